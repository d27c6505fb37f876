//! Turning reports into what people and scripts read: tables, JSON and YAML.

pub mod describe;
pub mod structured;
pub mod time;
