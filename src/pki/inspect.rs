//! What a certificate says, as plain values: the fields `describe` shows and the checks read.

use aws_lc_rs::digest;
use serde::Serialize;
use x509_parser::prelude::*;

use super::san::{San, SanKind};

/// SANs grouped by type, as Envoy matches them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Sans {
    pub dns: Vec<String>,
    pub uri: Vec<String>,
    pub ip: Vec<String>,
    pub email: Vec<String>,
}

impl Sans {
    pub fn is_empty(&self) -> bool {
        self.dns.is_empty() && self.uri.is_empty() && self.ip.is_empty() && self.email.is_empty()
    }

    /// Every SAN with its type, DNS first, as an allow-list edit takes them.
    pub fn typed(&self) -> Vec<San> {
        let typed =
            |kind, list: &Vec<String>| list.iter().map(move |v| San { kind, value: v.clone() }).collect::<Vec<_>>();
        [
            typed(SanKind::Dns, &self.dns),
            typed(SanKind::Uri, &self.uri),
            typed(SanKind::Ip, &self.ip),
            typed(SanKind::Email, &self.email),
        ]
        .concat()
    }

    /// The DNS names and IP addresses: what a server certificate is for.
    pub fn hosts(&self) -> Vec<String> {
        self.dns.iter().chain(&self.ip).cloned().collect()
    }
}

/// Everything `describe` reports about one certificate. Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateFacts {
    pub subject: String,
    pub issuer: String,
    pub self_signed: bool,
    /// None when the certificate has no SAN extension at all.
    pub sans: Option<Sans>,
    #[serde(serialize_with = "crate::pki::unix_time::serialize")]
    pub not_before: i64,
    #[serde(serialize_with = "crate::pki::unix_time::serialize")]
    pub not_after: i64,
    pub serial: String,
    pub public_key: PublicKeyFacts,
    pub signature_algorithm: String,
    pub sha1_signature: bool,
    pub sha256_fingerprint: String,
    pub is_ca: bool,
    pub path_len: Option<u32>,
    /// None when the certificate has no key usage extension.
    pub key_usage: Option<Vec<String>>,
    /// None when the certificate has no extended key usage extension.
    pub extended_key_usage: Option<Vec<String>>,
    pub key_cert_sign: bool,
    /// The raw subjectPublicKey bits, to compare with a private key.
    #[serde(skip)]
    pub public_key_raw: Vec<u8>,
    /// The RSA modulus without leading zeros, for RSA keys.
    #[serde(skip)]
    pub rsa_modulus: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicKeyFacts {
    /// `RSA`, `ECDSA`, `Ed25519`, or the algorithm's OID.
    pub algorithm: String,
    /// Key size in bits (RSA modulus, EC field size).
    pub bits: usize,
    /// The named curve for ECDSA keys (`P-256`, `P-384`, `P-521`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
}

impl std::fmt::Display for PublicKeyFacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.curve {
            Some(curve) => write!(f, "{} {curve}", self.algorithm),
            None if self.bits > 0 && self.algorithm != "Ed25519" => write!(f, "{} {}", self.algorithm, self.bits),
            None => write!(f, "{}", self.algorithm),
        }
    }
}

/// Why DER bytes are not a certificate we can read.
#[derive(Debug, thiserror::Error)]
#[error("is not a valid X.509 certificate ({reason})")]
pub struct NotACertificate {
    reason: String,
}

pub fn certificate(der: &[u8]) -> Result<CertificateFacts, NotACertificate> {
    let (rest, cert) = X509Certificate::from_der(der).map_err(|e| NotACertificate { reason: e.to_string() })?;
    if !rest.is_empty() {
        return Err(NotACertificate { reason: "trailing bytes after the certificate".into() });
    }
    let sans = match cert.subject_alternative_name() {
        Ok(Some(ext)) => Some(group_sans(&ext.value.general_names)),
        Ok(None) => None,
        Err(e) => return Err(NotACertificate { reason: format!("bad subjectAltName: {e}") }),
    };
    let (is_ca, path_len) = match cert.basic_constraints() {
        Ok(Some(bc)) => (bc.value.ca, bc.value.path_len_constraint),
        _ => (false, None),
    };
    let key_usage_ext = cert.key_usage().ok().flatten();
    let key_cert_sign = key_usage_ext.as_ref().is_some_and(|ku| ku.value.key_cert_sign());
    let key_usage = key_usage_ext.map(|ku| key_usage_names(ku.value));
    let extended_key_usage = cert.extended_key_usage().ok().flatten().map(|eku| eku_names(eku.value));
    let signature_oid = cert.signature_algorithm.algorithm.to_id_string();
    let signature_algorithm = oid2sn(&cert.signature_algorithm.algorithm, oid_registry())
        .map(str::to_string)
        .unwrap_or_else(|_| signature_oid.clone());
    let sha1_signature = matches!(
        signature_oid.as_str(),
        "1.2.840.113549.1.1.5" | "1.2.840.10045.4.1" | "1.2.840.10040.4.3" | "1.3.14.3.2.29"
    );
    Ok(CertificateFacts {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
        sans,
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        serial: cert.raw_serial_as_string(),
        public_key: public_key_facts(cert.public_key()),
        signature_algorithm,
        sha1_signature,
        sha256_fingerprint: fingerprint(der),
        is_ca,
        path_len,
        key_usage,
        extended_key_usage,
        key_cert_sign,
        public_key_raw: cert.public_key().subject_public_key.data.to_vec(),
        rsa_modulus: match cert.public_key().parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => Some(super::key::strip_zeros(rsa.modulus)),
            _ => None,
        },
    })
}

/// SHA-256 over the DER, as `AB:CD:…`, the form `openssl x509 -fingerprint -sha256` prints.
pub fn fingerprint(der: &[u8]) -> String {
    let hash = digest::digest(&digest::SHA256, der);
    hash.as_ref().iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

fn group_sans(names: &[GeneralName<'_>]) -> Sans {
    let mut sans = Sans::default();
    for name in names {
        match name {
            GeneralName::DNSName(dns) => sans.dns.push(dns.to_string()),
            GeneralName::URI(uri) => sans.uri.push(uri.to_string()),
            GeneralName::RFC822Name(email) => sans.email.push(email.to_string()),
            GeneralName::IPAddress(bytes) => sans.ip.push(ip_to_string(bytes)),
            _ => {}
        }
    }
    sans
}

fn ip_to_string(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string(),
        16 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(bytes);
            std::net::Ipv6Addr::from(octets).to_string()
        }
        _ => hex::encode(bytes),
    }
}

fn public_key_facts(spki: &SubjectPublicKeyInfo<'_>) -> PublicKeyFacts {
    let oid = spki.algorithm.algorithm.to_id_string();
    let bits = spki.parsed().map(|k| k.key_size()).unwrap_or(0);
    let curve =
        spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok()).map(|c| match c.to_id_string().as_str() {
            "1.2.840.10045.3.1.7" => "P-256".to_string(),
            "1.3.132.0.34" => "P-384".to_string(),
            "1.3.132.0.35" => "P-521".to_string(),
            other => other.to_string(),
        });
    let (algorithm, curve) = match oid.as_str() {
        "1.2.840.113549.1.1.1" => ("RSA".to_string(), None),
        "1.2.840.10045.2.1" => ("ECDSA".to_string(), curve),
        "1.3.101.112" => ("Ed25519".to_string(), None),
        _ => (oid, None),
    };
    PublicKeyFacts { algorithm, bits, curve }
}

fn key_usage_names(ku: &KeyUsage) -> Vec<String> {
    let flags = [
        (ku.digital_signature(), "Digital Signature"),
        (ku.non_repudiation(), "Non Repudiation"),
        (ku.key_encipherment(), "Key Encipherment"),
        (ku.data_encipherment(), "Data Encipherment"),
        (ku.key_agreement(), "Key Agreement"),
        (ku.key_cert_sign(), "Certificate Sign"),
        (ku.crl_sign(), "CRL Sign"),
        (ku.encipher_only(), "Encipher Only"),
        (ku.decipher_only(), "Decipher Only"),
    ];
    flags.iter().filter(|(on, _)| *on).map(|(_, name)| name.to_string()).collect()
}

fn eku_names(eku: &ExtendedKeyUsage<'_>) -> Vec<String> {
    let mut names: Vec<String> = [
        (eku.any, "Any"),
        (eku.server_auth, "TLS Web Server Authentication"),
        (eku.client_auth, "TLS Web Client Authentication"),
        (eku.code_signing, "Code Signing"),
        (eku.email_protection, "E-mail Protection"),
        (eku.time_stamping, "Time Stamping"),
        (eku.ocsp_signing, "OCSP Signing"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, name)| name.to_string())
    .collect();
    names.extend(eku.other.iter().map(|oid| oid.to_id_string()));
    names
}
