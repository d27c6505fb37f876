//! PKCS#12 bundles (`.p12`) for clients that want key and certificates in one file.

use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};

#[derive(Debug, thiserror::Error)]
#[error("cannot build the PKCS#12 bundle: {0}")]
pub struct Pkcs12Error(String);

/// A password-protected PKCS#12 holding the key, its certificate and the CA chain.
pub fn bundle(
    alias: &str,
    key_pem: &str,
    cert_pem: &str,
    ca_pem: &str,
    password: &str,
) -> Result<Vec<u8>, Pkcs12Error> {
    let error = |e: &dyn std::fmt::Display| Pkcs12Error(e.to_string());
    let key_der = ::pem::parse(key_pem).map_err(|e| error(&e))?.into_contents();
    let key = PrivateKey::from_der(&key_der).map_err(|e| error(&e))?;
    let mut certificates = Vec::new();
    for der in super::pem::certificates(cert_pem.as_bytes())
        .map_err(|e| error(&e))?
        .into_iter()
        .chain(super::pem::certificates(ca_pem.as_bytes()).map_err(|e| error(&e))?)
    {
        certificates.push(Certificate::from_der(&der).map_err(|e| error(&e))?);
    }
    let key_id = super::inspect::fingerprint(certificates.first().map(|c| c.as_der()).unwrap_or_default());
    let chain = PrivateKeyChain::new(key_id.as_str(), key, certificates);
    let mut store = KeyStore::new();
    store.add_entry(alias, KeyStoreEntry::PrivateKeyChain(chain));
    store.writer(password).write().map_err(|e| error(&e))
}
