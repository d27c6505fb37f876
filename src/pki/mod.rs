//! Pure certificate work: reading PEM, describing certificates, keys and CRLs, verifying chains.
//!
//! Nothing here talks to a cluster; everything takes bytes and a clock and returns plain
//! values, so it is unit-tested without a server.

pub mod crl;
pub mod inspect;
pub mod issue;
pub mod key;
pub mod pem;
pub mod pkcs12;
pub mod san;
pub mod verify;

/// Serialises Unix seconds as RFC 3339, so `-o json` carries readable, standard times.
pub(crate) mod unix_time {
    use serde::Serializer;
    use time::{OffsetDateTime, format_description::well_known::Rfc3339};

    fn text(unix: i64) -> String {
        OffsetDateTime::from_unix_timestamp(unix)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_else(|| unix.to_string())
    }

    pub fn serialize<S: Serializer>(unix: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&text(*unix))
    }

    pub fn serialize_option<S: Serializer>(unix: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match unix {
            Some(unix) => s.serialize_str(&text(*unix)),
            None => s.serialize_none(),
        }
    }
}
