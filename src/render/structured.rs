//! `-o json` and `-o yaml`: one serde value, two spellings.

use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum StructuredError {
    #[error("could not render JSON")]
    Json(#[source] serde_json::Error),
    #[error("could not render YAML")]
    Yaml(#[source] serde_saphyr::SerializeError),
}

pub fn json<T: Serialize>(value: &T) -> Result<String, StructuredError> {
    serde_json::to_string_pretty(value).map(|s| s + "\n").map_err(StructuredError::Json)
}

pub fn yaml<T: Serialize>(value: &T) -> Result<String, StructuredError> {
    serde_saphyr::to_string(value).map_err(StructuredError::Yaml)
}
