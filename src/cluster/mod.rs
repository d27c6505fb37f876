//! All API-server access: connecting like kubectl, reading Secrets, and turning the API's
//! answers into errors that name the verb, resource and namespace involved.

mod connect;
mod error;
pub mod gateways;
mod retry;
pub mod secrets;
pub mod workloads;

pub use connect::{Cluster, connect};
pub use error::{ClusterError, Operation};
