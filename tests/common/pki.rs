//! Test certificates made with rcgen: CAs, intermediates, server leaves and CRLs, with the
//! defects the checks must catch available on request.

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, RevokedCertParams, SanType, SerialNumber,
};
use time::{Duration, OffsetDateTime};

pub struct Ca {
    pub params: CertificateParams,
    pub key: KeyPair,
    pub pem: String,
}

impl Ca {
    pub fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }
}

pub struct Leaf {
    pub pem: String,
    pub key_pem: String,
}

fn rsa_2048() -> KeyPair {
    KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA key")
}

pub fn ecdsa() -> KeyPair {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("ECDSA key")
}

pub fn key(rsa: bool) -> KeyPair {
    if rsa { rsa_2048() } else { ecdsa() }
}

fn days(n: i64) -> OffsetDateTime {
    OffsetDateTime::now_utc() + Duration::days(n)
}

pub fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::OrganizationName, "example Inc.");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    params.not_before = days(-1);
    params.not_after = days(3650);
    params
}

pub fn ca(name: &str, rsa: bool) -> Ca {
    ca_with(ca_params(name), rsa)
}

pub fn ca_with(params: CertificateParams, rsa: bool) -> Ca {
    let key = key(rsa);
    let pem = params.self_signed(&key).expect("self-signed CA").pem();
    Ca { params, key, pem }
}

/// An intermediate CA signed by `parent`.
pub fn intermediate(parent: &Ca, name: &str) -> Ca {
    let mut params = ca_params(name);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    let key = ecdsa();
    let pem = params.signed_by(&key, &parent.issuer()).expect("intermediate").pem();
    Ca { params, key, pem }
}

pub fn server_params(host: &str) -> CertificateParams {
    let mut params = CertificateParams::new(vec![host.to_string()]).expect("server params");
    params.distinguished_name.push(DnType::CommonName, host);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.serial_number = Some(SerialNumber::from_slice(&[0x1f, 0x2e, 0x3d, 0x4c, 0x5b]));
    params.not_before = days(-1);
    params.not_after = days(365);
    params
}

pub fn server(ca: &Ca, host: &str, rsa: bool) -> Leaf {
    server_with(ca, server_params(host), rsa)
}

pub fn server_with(ca: &Ca, params: CertificateParams, rsa: bool) -> Leaf {
    let key = key(rsa);
    let pem = params.signed_by(&key, &ca.issuer()).expect("server certificate").pem();
    Leaf { pem, key_pem: key.serialize_pem() }
}

pub fn with_validity(mut params: CertificateParams, from_days: i64, to_days: i64) -> CertificateParams {
    params.not_before = days(from_days);
    params.not_after = days(to_days);
    params
}

pub fn without_sans(mut params: CertificateParams) -> CertificateParams {
    params.subject_alt_names.clear();
    params
}

pub fn add_ip(mut params: CertificateParams, ip: std::net::IpAddr) -> CertificateParams {
    params.subject_alt_names.push(SanType::IpAddress(ip));
    params
}

/// A CRL signed by `ca`, revoking one serial, next update in `next_update_days`.
pub fn crl(ca: &Ca, next_update_days: i64) -> String {
    let params = CertificateRevocationListParams {
        this_update: days(-1),
        next_update: days(next_update_days),
        crl_number: SerialNumber::from(7u64),
        issuing_distribution_point: None,
        revoked_certs: vec![RevokedCertParams {
            serial_number: SerialNumber::from(0x42u64),
            revocation_time: days(-1),
            reason_code: None,
            invalidity_date: None,
        }],
        key_identifier_method: KeyIdMethod::Sha256,
    };
    params.signed_by(&ca.issuer()).expect("CRL").pem().expect("CRL PEM")
}
