//! Issuing certificates with rcgen: CAs, gateway server certificates and client certificates,
//! with random positive serials, key identifiers, and validity capped at the CA's expiry.

use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use serde::Serialize;
use thiserror::Error;
use time::{Duration, OffsetDateTime};

use super::inspect::{self, CertificateFacts};
use super::san::{San, SanKind};

/// Key algorithms we generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum KeyType {
    EcdsaP256,
    EcdsaP384,
    Rsa2048,
    Rsa3072,
    Rsa4096,
}

impl KeyType {
    fn algorithm(self) -> &'static rcgen::SignatureAlgorithm {
        match self {
            KeyType::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyType::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            _ => &rcgen::PKCS_RSA_SHA256,
        }
    }

    pub fn is_rsa(self) -> bool {
        matches!(self, KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096)
    }

    /// Whether a certificate's public key is of this type.
    pub fn matches(self, facts: &inspect::PublicKeyFacts) -> bool {
        match self {
            KeyType::EcdsaP256 => facts.curve.as_deref() == Some("P-256"),
            KeyType::EcdsaP384 => facts.curve.as_deref() == Some("P-384"),
            KeyType::Rsa2048 => facts.algorithm == "RSA" && facts.bits == 2048,
            KeyType::Rsa3072 => facts.algorithm == "RSA" && facts.bits == 3072,
            KeyType::Rsa4096 => facts.algorithm == "RSA" && facts.bits == 4096,
        }
    }
}

#[derive(Debug, Error)]
pub enum IssueError {
    #[error("cannot generate a {0:?} key")]
    KeyGeneration(KeyType, #[source] rcgen::Error),
    #[error("cannot sign the certificate")]
    Signing(#[source] rcgen::Error),
    #[error("invalid host {0:?}: use a DNS name (optionally *.domain) or an IP address")]
    BadHost(String),
    #[error("the CA expired on {0}: it cannot issue certificates; bring a valid CA or recreate it with --force")]
    CaExpired(String),
    #[error("cannot read the CSR: {0}")]
    Csr(String),
    #[error("the CSR asks for a CA certificate (basicConstraints CA:TRUE); client certificates are never CAs")]
    CsrWantsCa,
    #[error("no SAN: Istio never reads the CN, so a client certificate needs at least one SAN (pass --san)")]
    NoSans,
}

/// A signing CA: its certificate (first in `chain_pem`), key and facts.
pub struct Ca {
    pub chain_pem: String,
    pub cert_der: Vec<u8>,
    pub key: KeyPair,
    pub facts: CertificateFacts,
}

impl Ca {
    fn issuer(&self) -> Result<Issuer<'static, &KeyPair>, IssueError> {
        Issuer::from_ca_cert_der(&self.cert_der.clone().into(), &self.key).map_err(IssueError::Signing)
    }

    pub fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }
}

/// A newly issued certificate and its key.
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
    pub facts: CertificateFacts,
    /// The requested validity was cut to end with the CA.
    pub capped: bool,
}

pub fn generate_key(key_type: KeyType) -> Result<KeyPair, IssueError> {
    let size = match key_type {
        KeyType::Rsa2048 => Some(rcgen::RsaKeySize::_2048),
        KeyType::Rsa3072 => Some(rcgen::RsaKeySize::_3072),
        KeyType::Rsa4096 => Some(rcgen::RsaKeySize::_4096),
        _ => None,
    };
    match size {
        Some(size) => KeyPair::generate_rsa_for(key_type.algorithm(), size),
        None => KeyPair::generate_for(key_type.algorithm()),
    }
    .map_err(|e| IssueError::KeyGeneration(key_type, e))
}

/// A random positive serial of 16 bytes: never 0, never the same twice in practice.
pub fn random_serial() -> SerialNumber {
    let mut bytes = [0u8; 16];
    let filled = aws_lc_rs::rand::fill(&mut bytes).is_ok();
    if !filled || bytes.iter().all(|b| *b == 0) {
        let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos().to_be_bytes();
        bytes.copy_from_slice(&nanos);
    }
    bytes[0] = (bytes[0] & 0x7f) | 0x01;
    SerialNumber::from_slice(&bytes)
}

fn at(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A new self-signed CA, as the recipe's `openssl req -x509` makes, with proper key usage.
pub fn new_ca(
    organization: &str,
    common_name: &str,
    validity_days: u32,
    key_type: KeyType,
    now: i64,
) -> Result<Ca, IssueError> {
    let key = generate_key(key_type)?;
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::OrganizationName, organization);
    params.distinguished_name.push(DnType::CommonName, common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    params.serial_number = Some(random_serial());
    params.not_before = at(now) - Duration::minutes(5);
    params.not_after = at(now) + Duration::days(i64::from(validity_days));
    let cert = params.self_signed(&key).map_err(IssueError::Signing)?;
    let der = cert.der().to_vec();
    let facts = inspect::certificate(&der).map_err(|e| IssueError::Signing(rcgen::Error::PemError(e.to_string())))?;
    Ok(Ca { chain_pem: cert.pem(), cert_der: der, key, facts })
}

/// Why a CA brought by the user (or found in the cluster) cannot sign.
#[derive(Debug, Error)]
pub enum CaError {
    #[error("the CA certificate cannot be read: {0}")]
    Certificate(String),
    #[error("the CA key cannot be read: {0}")]
    Key(String),
    #[error("the CA certificate is not a CA (no basicConstraints CA:TRUE)")]
    NotCa,
    #[error("the CA certificate's key usage lacks keyCertSign, so verifiers would reject what it signs")]
    NoKeyCertSign,
    #[error("the CA certificate expired on {0}")]
    Expired(String),
    #[error("the CA key does not belong to the CA certificate")]
    KeyMismatch,
}

/// Loads a CA from PEM (the first certificate is the CA; any others are its chain).
pub fn load_ca(chain_pem: &str, key_pem: &str, now: i64) -> Result<Ca, CaError> {
    let ders = super::pem::certificates(chain_pem.as_bytes()).map_err(|e| CaError::Certificate(e.to_string()))?;
    let der = ders.first().cloned().ok_or_else(|| CaError::Certificate("no certificate in it".into()))?;
    let facts = inspect::certificate(&der).map_err(|e| CaError::Certificate(e.to_string()))?;
    let key_facts = super::key::private_key(key_pem.as_bytes()).map_err(|e| CaError::Key(e.to_string()))?;
    if !facts.is_ca {
        return Err(CaError::NotCa);
    }
    if facts.key_usage.is_some() && !facts.key_cert_sign {
        return Err(CaError::NoKeyCertSign);
    }
    if facts.not_after < now {
        return Err(CaError::Expired(crate::render::time::date(facts.not_after)));
    }
    if !key_facts.matches(&facts) {
        return Err(CaError::KeyMismatch);
    }
    let key = KeyPair::from_pem(key_pem).map_err(|e| CaError::Key(e.to_string()))?;
    Ok(Ca { chain_pem: chain_pem.to_string(), cert_der: der, key, facts })
}

/// The validity window: from a few minutes ago (clock skew) to `days` ahead, but never past the CA.
fn window(ca: &Ca, validity_days: u32, now: i64) -> Result<(OffsetDateTime, OffsetDateTime, bool), IssueError> {
    if ca.facts.not_after <= now {
        return Err(IssueError::CaExpired(crate::render::time::date(ca.facts.not_after)));
    }
    let wanted = now + i64::from(validity_days) * 86_400;
    let capped = wanted > ca.facts.not_after;
    Ok((at(now) - Duration::minutes(5), at(wanted.min(ca.facts.not_after)), capped))
}

/// Checks a `--host` value: a DNS name (a `*.` first label allowed) or an IP address.
pub fn host_san(host: &str) -> Result<SanType, IssueError> {
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let bare = host.strip_prefix("*.").unwrap_or(host);
    match super::san::parse(&format!("dns:{bare}")) {
        Ok(_) => host.to_string().try_into().map(SanType::DnsName).map_err(|_| IssueError::BadHost(host.into())),
        Err(_) => Err(IssueError::BadHost(host.into())),
    }
}

fn finish(params: &CertificateParams, key: &KeyPair, ca: &Ca, capped: bool) -> Result<Issued, IssueError> {
    let cert = params.signed_by(key, &ca.issuer()?).map_err(IssueError::Signing)?;
    let facts =
        inspect::certificate(cert.der()).map_err(|e| IssueError::Signing(rcgen::Error::PemError(e.to_string())))?;
    Ok(Issued { cert_pem: cert.pem(), key_pem: key.serialize_pem(), facts, capped })
}

/// A gateway server certificate for `hosts`, signed by `ca`.
pub fn server_certificate(
    ca: &Ca,
    hosts: &[String],
    key_type: KeyType,
    validity_days: u32,
    now: i64,
) -> Result<Issued, IssueError> {
    let sans = hosts.iter().map(|h| host_san(h)).collect::<Result<Vec<_>, _>>()?;
    let (not_before, not_after, capped) = window(ca, validity_days, now)?;
    let key = generate_key(key_type)?;
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, hosts.first().cloned().unwrap_or_default());
    params.subject_alt_names = sans;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = leaf_key_usages(key_type.is_rsa());
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.serial_number = Some(random_serial());
    params.not_before = not_before;
    params.not_after = not_after;
    finish(&params, &key, ca, capped)
}

fn leaf_key_usages(rsa: bool) -> Vec<KeyUsagePurpose> {
    if rsa {
        vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment]
    } else {
        vec![KeyUsagePurpose::DigitalSignature]
    }
}

fn client_san(san: &San) -> Result<SanType, IssueError> {
    let text = || san.value.clone().try_into().map_err(|_| IssueError::BadHost(san.value.clone()));
    Ok(match san.kind {
        SanKind::Dns => SanType::DnsName(text()?),
        SanKind::Uri => SanType::URI(text()?),
        SanKind::Email => SanType::Rfc822Name(text()?),
        SanKind::Ip => SanType::IpAddress(san.value.parse().map_err(|_| IssueError::BadHost(san.value.clone()))?),
    })
}

fn client_params(
    name: &str,
    sans: &[San],
    rsa: bool,
    window: (OffsetDateTime, OffsetDateTime),
) -> Result<CertificateParams, IssueError> {
    if sans.is_empty() {
        return Err(IssueError::NoSans);
    }
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, name);
    params.subject_alt_names = sans.iter().map(client_san).collect::<Result<_, _>>()?;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = leaf_key_usages(rsa);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.use_authority_key_identifier_extension = true;
    params.serial_number = Some(random_serial());
    params.not_before = window.0;
    params.not_after = window.1;
    Ok(params)
}

/// A client certificate with a new key.
pub fn client_certificate(
    ca: &Ca,
    name: &str,
    sans: &[San],
    key_type: KeyType,
    validity_days: u32,
    now: i64,
) -> Result<Issued, IssueError> {
    let (not_before, not_after, capped) = window(ca, validity_days, now)?;
    let params = client_params(name, sans, key_type.is_rsa(), (not_before, not_after))?;
    let key = generate_key(key_type)?;
    finish(&params, &key, ca, capped)
}

/// A client certificate for the key in a CSR (whose signature is verified). The CSR's SANs
/// are used unless `sans` is non-empty; a CSR asking for CA:TRUE is refused.
pub fn sign_csr(
    ca: &Ca,
    csr_pem: &str,
    name: &str,
    sans: &[San],
    validity_days: u32,
    now: i64,
) -> Result<(String, CertificateFacts, bool), IssueError> {
    let csr = CertificateSigningRequestParams::from_pem(csr_pem).map_err(|e| IssueError::Csr(csr_error(&e)))?;
    if matches!(csr.params.is_ca, IsCa::Ca(_)) {
        return Err(IssueError::CsrWantsCa);
    }
    let requested: Vec<San> = if sans.is_empty() { csr_sans(&csr.params) } else { sans.to_vec() };
    let (not_before, not_after, capped) = window(ca, validity_days, now)?;
    let rsa = csr.public_key.algorithm() == &rcgen::PKCS_RSA_SHA256;
    let params = client_params(name, &requested, rsa, (not_before, not_after))?;
    let signed = CertificateSigningRequestParams { params, public_key: csr.public_key };
    let cert = signed.signed_by(&ca.issuer()?).map_err(IssueError::Signing)?;
    let facts =
        inspect::certificate(cert.der()).map_err(|e| IssueError::Signing(rcgen::Error::PemError(e.to_string())))?;
    Ok((cert.pem(), facts, capped))
}

fn csr_error(error: &rcgen::Error) -> String {
    match error {
        rcgen::Error::InvalidCertificationRequestSignature => {
            "its signature does not verify (it was altered, or not signed by its own key)".into()
        }
        rcgen::Error::CouldNotParseCertificationRequest => "it is not a PEM certificate signing request".into(),
        rcgen::Error::UnsupportedExtension => "it asks for an extension we do not sign".into(),
        other => other.to_string(),
    }
}

fn csr_sans(params: &CertificateParams) -> Vec<San> {
    params
        .subject_alt_names
        .iter()
        .filter_map(|san| match san {
            SanType::DnsName(n) => Some(San { kind: SanKind::Dns, value: n.to_string() }),
            SanType::URI(u) => Some(San { kind: SanKind::Uri, value: u.to_string() }),
            SanType::Rfc822Name(e) => Some(San { kind: SanKind::Email, value: e.to_string() }),
            SanType::IpAddress(ip) => Some(San { kind: SanKind::Ip, value: ip.to_string() }),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{san, verify};

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn server_certificates_verify_to_their_ca() {
        let ca = new_ca("example Inc.", "example CA", 3650, KeyType::EcdsaP256, NOW).unwrap();
        assert!(ca.facts.is_ca && ca.facts.key_cert_sign);
        let hosts = vec!["httpbin.example.com".to_string(), "10.0.0.1".to_string(), "*.apps.example.com".to_string()];
        let issued = server_certificate(&ca, &hosts, KeyType::EcdsaP256, 365, NOW).unwrap();
        let leaf = crate::pki::pem::certificates(issued.cert_pem.as_bytes()).unwrap().remove(0);
        assert_eq!(
            verify::server_chain(&leaf, &[], std::slice::from_ref(&ca.cert_der), NOW + 10),
            verify::ChainOutcome::Verified
        );
        let sans = issued.facts.sans.unwrap();
        assert_eq!(sans.dns, ["httpbin.example.com", "*.apps.example.com"]);
        assert_eq!(sans.ip, ["10.0.0.1"]);
        assert!(!issued.facts.serial.is_empty() && issued.facts.serial != "00");
        assert!(!issued.capped);
    }

    #[test]
    fn validity_is_capped_at_the_ca() {
        let ca = new_ca("o", "short CA", 10, KeyType::EcdsaP256, NOW).unwrap();
        let issued = server_certificate(&ca, &["a.example".to_string()], KeyType::EcdsaP256, 365, NOW).unwrap();
        assert!(issued.capped);
        assert_eq!(issued.facts.not_after, ca.facts.not_after);
        assert!(matches!(
            server_certificate(&ca, &["a.example".into()], KeyType::EcdsaP256, 1, NOW + 11 * 86_400),
            Err(IssueError::CaExpired(_))
        ));
    }

    #[test]
    fn serials_differ() {
        let a = random_serial();
        let b = random_serial();
        assert_ne!(a, b);
        assert!(a.as_ref()[0] & 0x80 == 0, "positive");
    }

    #[test]
    fn bad_hosts_are_refused() {
        let ca = new_ca("o", "ca", 10, KeyType::EcdsaP256, NOW).unwrap();
        assert!(matches!(
            server_certificate(&ca, &["a..b".into()], KeyType::EcdsaP256, 1, NOW),
            Err(IssueError::BadHost(_))
        ));
        assert!(matches!(
            server_certificate(&ca, &["a.*.b".into()], KeyType::EcdsaP256, 1, NOW),
            Err(IssueError::BadHost(_))
        ));
    }

    #[test]
    fn loading_a_ca_refuses_what_cannot_sign() {
        let ca = new_ca("o", "ca", 10, KeyType::EcdsaP256, NOW).unwrap();
        let other = new_ca("o", "other", 10, KeyType::EcdsaP256, NOW).unwrap();
        assert!(load_ca(&ca.chain_pem, &ca.key_pem(), NOW).is_ok());
        assert!(matches!(load_ca(&ca.chain_pem, &other.key_pem(), NOW), Err(CaError::KeyMismatch)));
        assert!(matches!(load_ca(&ca.chain_pem, &ca.key_pem(), NOW + 20 * 86_400), Err(CaError::Expired(_))));
        let leaf = server_certificate(&ca, &["a.example".into()], KeyType::EcdsaP256, 5, NOW).unwrap();
        assert!(matches!(load_ca(&leaf.cert_pem, &leaf.key_pem, NOW), Err(CaError::NotCa)));
    }

    #[test]
    fn client_certificates_need_a_san() {
        let ca = new_ca("o", "ca", 10, KeyType::EcdsaP256, NOW).unwrap();
        assert!(matches!(client_certificate(&ca, "alice", &[], KeyType::EcdsaP256, 5, NOW), Err(IssueError::NoSans)));
        let sans = vec![san::parse("spiffe://td/ns/a/sa/b").unwrap(), san::parse("alice@example.com").unwrap()];
        let issued = client_certificate(&ca, "alice", &sans, KeyType::EcdsaP256, 5, NOW).unwrap();
        assert_eq!(issued.facts.extended_key_usage.unwrap(), ["TLS Web Client Authentication"]);
        assert!(!issued.facts.is_ca);
    }
}
