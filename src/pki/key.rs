//! Private keys: read one from PEM and tell whether it belongs to a certificate.

use thiserror::Error;

use super::pem::{self, PemError};

#[derive(Debug, Error)]
pub enum KeyError {
    #[error("{0}")]
    Pem(#[from] PemError),
    #[error("holds {0} PEM blocks; Istio expects exactly one private key")]
    Count(usize),
    #[error("holds an encrypted private key; Envoy cannot decrypt it: store it unencrypted (`openssl pkey -in KEY -out KEY.plain`)")]
    Encrypted,
    #[error("holds a {0} block, not a private key")]
    NotAKey(String),
    #[error("holds a private key of a type or form we cannot read (PKCS#8, PKCS#1 RSA and SEC1 EC keys are supported)")]
    Unreadable,
}

/// A parsed private key; only its public half is kept.
#[derive(Debug, Clone)]
pub struct PrivateKeyFacts {
    /// The raw public key, comparable with a certificate's subjectPublicKey bits.
    pub public_key_raw: Vec<u8>,
}

pub fn private_key(bytes: &[u8]) -> Result<PrivateKeyFacts, KeyError> {
    let blocks = pem::blocks(bytes)?;
    let [block] = blocks.as_slice() else {
        return Err(KeyError::Count(blocks.len()));
    };
    match block.label.as_str() {
        "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" => {}
        "ENCRYPTED PRIVATE KEY" => return Err(KeyError::Encrypted),
        other => return Err(KeyError::NotAKey(other.to_string())),
    }
    let key_pair = rcgen::KeyPair::try_from(block.der.as_slice()).map_err(|_| KeyError::Unreadable)?;
    Ok(PrivateKeyFacts { public_key_raw: key_pair.public_key_raw().to_vec() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_its_own_certificate_and_not_another() {
        let key = rcgen::KeyPair::generate().unwrap();
        let other = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["a.example".into()]).unwrap().self_signed(&key).unwrap();
        let facts = crate::pki::inspect::certificate(cert.der()).unwrap();
        let parsed = private_key(key.serialize_pem().as_bytes()).unwrap();
        assert_eq!(parsed.public_key_raw, facts.public_key_raw);
        let parsed_other = private_key(other.serialize_pem().as_bytes()).unwrap();
        assert_ne!(parsed_other.public_key_raw, facts.public_key_raw);
    }

    #[test]
    fn refuses_what_is_not_a_key() {
        let cert = "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n";
        assert!(matches!(private_key(cert.as_bytes()), Err(KeyError::NotAKey(l)) if l == "CERTIFICATE"));
        let enc = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAMCAQE=\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert!(matches!(private_key(enc.as_bytes()), Err(KeyError::Encrypted)));
        let junk = "-----BEGIN PRIVATE KEY-----\nMAMCAQE=\n-----END PRIVATE KEY-----\n";
        assert!(matches!(private_key(junk.as_bytes()), Err(KeyError::Unreadable)));
    }
}
