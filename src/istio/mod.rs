//! Istio semantics, pure: which credential keys Istio reads and how it will judge them.

pub mod checks;
pub mod credential;
pub mod gateway;
