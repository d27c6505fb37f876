//! Private keys: read one from PEM and tell whether it belongs to a certificate.

use thiserror::Error;

use super::pem::{self, PemError};

#[derive(Debug, Error)]
pub enum KeyError {
    #[error("{0}")]
    Pem(#[from] PemError),
    #[error("holds {0} PEM blocks; Istio expects exactly one private key")]
    Count(usize),
    #[error(
        "holds an encrypted private key; Envoy cannot decrypt it: store it unencrypted (`openssl pkey -in KEY -out KEY.plain`)"
    )]
    Encrypted,
    #[error("holds a {0} block, not a private key")]
    NotAKey(String),
    #[error("holds a private key of a type or form we cannot read (PKCS#8, PKCS#1 RSA and SEC1 EC keys are supported)")]
    Unreadable,
}

/// A parsed private key; only its public half is kept.
#[derive(Debug, Clone)]
pub struct PrivateKeyFacts {
    /// The raw public key, comparable with a certificate's subjectPublicKey bits. None for
    /// RSA keys the crypto backend refuses to load (under 2048 bits), which we still read.
    pub public_key_raw: Option<Vec<u8>>,
    /// The RSA modulus without leading zeros, for RSA keys.
    pub rsa_modulus: Option<Vec<u8>>,
}

impl PrivateKeyFacts {
    /// Whether this key is the private half of a certificate's public key.
    pub fn matches(&self, certificate: &super::inspect::CertificateFacts) -> bool {
        match (&self.public_key_raw, &self.rsa_modulus, &certificate.rsa_modulus) {
            (Some(raw), _, _) => *raw == certificate.public_key_raw,
            (None, Some(ours), Some(theirs)) => ours == theirs,
            _ => false,
        }
    }
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
    let rsa_modulus = rsa_modulus(&block.der);
    match rcgen::KeyPair::try_from(block.der.as_slice()) {
        Ok(key_pair) => Ok(PrivateKeyFacts { public_key_raw: Some(key_pair.public_key_raw().to_vec()), rsa_modulus }),
        Err(_) if rsa_modulus.is_some() => Ok(PrivateKeyFacts { public_key_raw: None, rsa_modulus }),
        Err(_) => Err(KeyError::Unreadable),
    }
}

/// The modulus of a PKCS#1 `RSAPrivateKey`, bare or wrapped in PKCS#8.
fn rsa_modulus(der: &[u8]) -> Option<Vec<u8>> {
    use x509_parser::der_parser::parse_der;
    let (_, object) = parse_der(der).ok()?;
    let fields = object.as_sequence().ok()?;
    // PKCS#8: version, AlgorithmIdentifier, OCTET STRING { RSAPrivateKey }.
    if fields.len() >= 3 && fields[1].as_sequence().is_ok() {
        let rsa_oid = fields[1].as_sequence().ok()?.first()?.as_oid().ok()?.to_id_string();
        return if rsa_oid == "1.2.840.113549.1.1.1" { rsa_modulus(fields[2].as_slice().ok()?) } else { None };
    }
    // PKCS#1: version, modulus, publicExponent, …
    if fields.len() >= 9 {
        return Some(strip_zeros(fields[1].as_slice().ok()?));
    }
    None
}

pub(crate) fn strip_zeros(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes[start..].to_vec()
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
        assert!(parsed.matches(&facts));
        let parsed_other = private_key(other.serialize_pem().as_bytes()).unwrap();
        assert!(!parsed_other.matches(&facts));
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
