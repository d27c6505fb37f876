//! Turning reports into what people and scripts read: tables, JSON and YAML.

pub mod describe;
pub mod gateways;
pub mod structured;
pub mod time;
