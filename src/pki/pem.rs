//! Splitting a Secret value into PEM blocks, with errors that say what the bytes look like.

use thiserror::Error;

/// Why a Secret value could not be read as PEM.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PemError {
    #[error("is empty")]
    Empty,
    #[error("holds DER (binary), not PEM; Istio reads PEM: convert it with `openssl x509 -inform der -in FILE`")]
    Der,
    #[error("is not PEM: no `-----BEGIN` line")]
    NotPem,
    #[error("holds malformed PEM ({0}); a block may be truncated or its base64 damaged")]
    Malformed(String),
    #[error("holds a {found} block where {expected} was expected")]
    WrongLabel { found: String, expected: &'static str },
}

/// One PEM block: its label (`CERTIFICATE`, `PRIVATE KEY`, …) and DER contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub label: String,
    pub der: Vec<u8>,
}

/// Every PEM block in `bytes`, in order.
pub fn blocks(bytes: &[u8]) -> Result<Vec<Block>, PemError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(PemError::Empty);
    }
    if bytes.first() == Some(&0x30) {
        return Err(PemError::Der);
    }
    let text = String::from_utf8_lossy(bytes);
    if !text.contains("-----BEGIN ") {
        return Err(PemError::NotPem);
    }
    let begins = text.matches("-----BEGIN ").count();
    let parsed = ::pem::parse_many(bytes).map_err(|e| PemError::Malformed(e.to_string()))?;
    if parsed.len() != begins {
        return Err(PemError::Malformed("a `-----BEGIN` line has no matching `-----END` line".into()));
    }
    Ok(parsed.into_iter().map(|p| Block { label: p.tag().to_string(), der: p.into_contents() }).collect())
}

/// The DER of every `CERTIFICATE` block; any other block is an error.
pub fn certificates(bytes: &[u8]) -> Result<Vec<Vec<u8>>, PemError> {
    blocks(bytes)?
        .into_iter()
        .map(|b| {
            if b.label == "CERTIFICATE" {
                Ok(b.der)
            } else {
                Err(PemError::WrongLabel { found: b.label, expected: "CERTIFICATE" })
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT: &str = "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n";

    #[test]
    fn reads_several_blocks_in_order() {
        let two = format!("{CERT}{}", CERT.replace("MAMCAQE=", "MAMCAQI="));
        let blocks = blocks(two.as_bytes()).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[1].der, vec![0x30, 0x03, 0x02, 0x01, 0x02]);
    }

    #[test]
    fn names_what_the_bytes_are() {
        assert_eq!(blocks(b"  \n"), Err(PemError::Empty));
        assert_eq!(blocks(&[0x30, 0x82, 0x01]), Err(PemError::Der));
        assert_eq!(blocks(b"hello"), Err(PemError::NotPem));
        let truncated = &CERT[..CERT.len() - 28];
        assert!(matches!(blocks(truncated.as_bytes()), Err(PemError::Malformed(_))));
    }

    #[test]
    fn certificates_refuse_other_labels() {
        let key = "-----BEGIN PRIVATE KEY-----\nMAMCAQE=\n-----END PRIVATE KEY-----\n";
        assert_eq!(
            certificates(key.as_bytes()),
            Err(PemError::WrongLabel { found: "PRIVATE KEY".into(), expected: "CERTIFICATE" })
        );
    }
}
