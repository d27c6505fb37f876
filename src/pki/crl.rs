//! Certificate revocation lists: what one says and whether the CA signed it.

use serde::Serialize;
use x509_parser::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrlFacts {
    pub issuer: String,
    #[serde(serialize_with = "crate::pki::unix_time::serialize")]
    pub last_update: i64,
    #[serde(serialize_with = "crate::pki::unix_time::serialize_option")]
    pub next_update: Option<i64>,
    pub revoked: usize,
    /// The subject of the CA whose key verifies the CRL's signature, if any does.
    pub signed_by: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("is not a valid certificate revocation list ({0})")]
pub struct NotACrl(String);

/// Reads a DER CRL and checks its signature against each of `ca_ders`.
pub fn crl(der: &[u8], ca_ders: &[Vec<u8>]) -> Result<CrlFacts, NotACrl> {
    let (_, list) = CertificateRevocationList::from_der(der).map_err(|e| NotACrl(e.to_string()))?;
    let signed_by = ca_ders.iter().find_map(|ca| {
        let (_, ca) = X509Certificate::from_der(ca).ok()?;
        list.verify_signature(ca.public_key()).ok().map(|_| ca.subject().to_string())
    });
    Ok(CrlFacts {
        issuer: list.issuer().to_string(),
        last_update: list.last_update().timestamp(),
        next_update: list.next_update().map(|t| t.timestamp()),
        revoked: list.iter_revoked_certificates().count(),
        signed_by,
    })
}
