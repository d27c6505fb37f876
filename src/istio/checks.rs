//! Checking a credential the way Istio will use it: every certificate inventoried, every
//! problem a check with a status and a sentence. Pure: Secret bytes and a clock in, a report out.

use serde::Serialize;

use super::credential::{self, CACERT_SUFFIX, CredentialSecret, KeyRef, KeyUse, Resolution};
use crate::pki::{self, crl::CrlFacts, inspect::CertificateFacts, verify::ChainOutcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        })
    }
}

/// One check: a stable id for scripts, a status and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub id: &'static str,
    pub status: Status,
    pub message: String,
}

/// Where a certificate sits in the credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertRole {
    ServerLeaf,
    Intermediate,
    Ca,
}

impl std::fmt::Display for CertRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CertRole::ServerLeaf => "server leaf",
            CertRole::Intermediate => "intermediate",
            CertRole::Ca => "CA",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateEntry {
    /// `SECRET/KEY`, where the certificate was read.
    pub source: String,
    /// 1-based position in that key's PEM bundle.
    pub index: usize,
    pub role: CertRole,
    #[serde(flatten)]
    pub facts: CertificateFacts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrlEntry {
    pub source: String,
    #[serde(flatten)]
    pub facts: CrlFacts,
}

/// Everything `describe` reports. Its JSON/YAML form is the documented `-o json` schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub namespace: String,
    pub credential: String,
    pub keys: Vec<KeyUse>,
    pub certificates: Vec<CertificateEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crl: Option<CrlEntry>,
    pub checks: Vec<Check>,
    /// Worst status of all checks.
    pub status: Status,
}

impl Report {
    pub fn failed(&self) -> bool {
        self.status == Status::Fail
    }
}

/// Thresholds for the checks.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Unix seconds.
    pub now: i64,
    /// Warn when a certificate expires within this many days.
    pub expiry_warning_days: i64,
}

const DAY: i64 = 86_400;

struct Builder {
    checks: Vec<Check>,
}

impl Builder {
    fn push(&mut self, id: &'static str, status: Status, message: impl Into<String>) {
        self.checks.push(Check { id, status, message: message.into() });
    }
}

fn value<'a>(secrets: &'a [&CredentialSecret], at: &KeyRef) -> &'a [u8] {
    secrets
        .iter()
        .find(|s| s.name == at.secret)
        .and_then(|s| s.data.get(&at.key))
        .map(Vec::as_slice)
        .unwrap_or_default()
}

pub fn check(
    namespace: &str,
    credential: &CredentialSecret,
    cacert: Option<&CredentialSecret>,
    policy: Policy,
) -> Report {
    let resolution = credential::resolve(credential, cacert);
    let secrets: Vec<&CredentialSecret> = std::iter::once(credential).chain(cacert).collect();
    let mut b = Builder { checks: Vec::new() };
    let mut certificates = Vec::new();

    keys_present(&mut b, credential, &resolution);
    precedence(&mut b, credential, &resolution);
    for secret in &secrets {
        if secret.name.ends_with(CACERT_SUFFIX) && secret.data.keys().any(|k| k == "key" || k == "tls.key") {
            b.push(
                "cacert-secret-key",
                Status::Fail,
                format!(
                    "Secret {} holds a private key; a Secret named *{CACERT_SUFFIX} is read as a CA bundle and must not hold keys: move the key elsewhere",
                    secret.name
                ),
            );
        }
    }

    // Server chain: leaf first, then whatever else tls.crt/cert carries.
    let mut server_chain: Vec<(Vec<u8>, CertificateFacts)> = Vec::new();
    if let Some(at) = &resolution.server_cert {
        match read_certificates(value(&secrets, at)) {
            Ok(list) => {
                for (i, (der, facts)) in list.into_iter().enumerate() {
                    let role = if i == 0 {
                        CertRole::ServerLeaf
                    } else if facts.self_signed {
                        CertRole::Ca
                    } else {
                        CertRole::Intermediate
                    };
                    certificates.push(CertificateEntry {
                        source: at.to_string(),
                        index: i + 1,
                        role,
                        facts: facts.clone(),
                    });
                    server_chain.push((der, facts));
                }
            }
            Err(reason) => b.push("server-certificate-pem", Status::Fail, format!("{at} {reason}")),
        }
    }
    let mut ca_bundle: Vec<(Vec<u8>, CertificateFacts)> = Vec::new();
    if let Some(at) = &resolution.ca {
        match read_certificates(value(&secrets, at)) {
            Ok(list) => {
                for (i, (der, facts)) in list.into_iter().enumerate() {
                    certificates.push(CertificateEntry {
                        source: at.to_string(),
                        index: i + 1,
                        role: CertRole::Ca,
                        facts: facts.clone(),
                    });
                    ca_bundle.push((der, facts));
                }
            }
            Err(reason) => b.push("ca-bundle-pem", Status::Fail, format!("{at} {reason}")),
        }
    }

    if let (Some(at), Some((_, leaf))) = (&resolution.server_key, server_chain.first()) {
        key_match(&mut b, at, value(&secrets, at), leaf);
    } else if let (Some(at), None) = (&resolution.server_key, server_chain.first()) {
        // No readable certificate; still say whether the key itself is readable.
        if let Err(reason) = pki::key::private_key(value(&secrets, at)) {
            b.push("key-match", Status::Fail, format!("{at} {reason}"));
        }
    }
    if let Some((leaf_der, leaf)) = server_chain.first() {
        leaf_checks(&mut b, leaf);
        if !ca_bundle.is_empty() {
            let intermediates: Vec<Vec<u8>> = server_chain.iter().skip(1).map(|(d, _)| d.clone()).collect();
            let anchors: Vec<Vec<u8>> = ca_bundle.iter().map(|(d, _)| d.clone()).collect();
            chain(&mut b, pki::verify::server_chain(leaf_der, &intermediates, &anchors, policy.now), &resolution);
        }
    }
    for entry in &certificates {
        validity(&mut b, entry, policy);
        weak(&mut b, entry);
    }
    for entry in
        certificates.iter().filter(|e| e.source == resolution.ca.as_ref().map(|c| c.to_string()).unwrap_or_default())
    {
        ca_constraints(&mut b, entry);
    }
    let crl = resolution.crl.as_ref().and_then(|at| {
        let anchors: Vec<Vec<u8>> = ca_bundle.iter().map(|(d, _)| d.clone()).collect();
        crl_check(&mut b, at, value(&secrets, at), &anchors, policy)
    });

    let status = b.checks.iter().map(|c| c.status).max().unwrap_or(Status::Ok);
    Report {
        namespace: namespace.to_string(),
        credential: credential.name.clone(),
        keys: resolution.keys,
        certificates,
        crl,
        checks: b.checks,
        status,
    }
}

fn read_certificates(bytes: &[u8]) -> Result<Vec<(Vec<u8>, CertificateFacts)>, String> {
    let ders = pki::pem::certificates(bytes).map_err(|e| e.to_string())?;
    ders.into_iter()
        .enumerate()
        .map(|(i, der)| match pki::inspect::certificate(&der) {
            Ok(facts) => Ok((der, facts)),
            Err(e) => Err(format!("certificate #{} {e}", i + 1)),
        })
        .collect()
}

fn keys_present(b: &mut Builder, credential: &CredentialSecret, r: &Resolution) {
    if r.server_cert.is_none() {
        b.push(
            "keys",
            Status::Fail,
            format!(
                "Secret {} has no server certificate and key Istio can read: it looks for `tls.crt` + `tls.key` (or `cert` + `key`), both non-empty",
                credential.name
            ),
        );
    } else if r.ca.is_none() {
        let message = if r.cacert_secret_present {
            format!(
                "Secret {}{CACERT_SUFFIX} exists but has no `ca.crt` or `cacert`; Istio reads the CA only from it, so MUTUAL and OPTIONAL_MUTUAL servers will fail: add the CA there or delete that Secret",
                credential.name
            )
        } else {
            format!(
                "no CA bundle: Istio looks for `ca.crt` (or `cacert`) in {0} or in a Secret {0}{CACERT_SUFFIX}; without it the credential serves SIMPLE TLS only and cannot verify clients for MUTUAL",
                credential.name
            )
        };
        let status = if r.cacert_secret_present { Status::Fail } else { Status::Warn };
        b.push("keys", status, message);
    } else {
        b.push(
            "keys",
            Status::Ok,
            format!(
                "Istio reads the server certificate from {}, the key from {} and the CA from {}",
                r.server_cert.as_ref().map(ToString::to_string).unwrap_or_default(),
                r.server_key.as_ref().map(ToString::to_string).unwrap_or_default(),
                r.ca.as_ref().map(ToString::to_string).unwrap_or_default(),
            ),
        );
    }
}

fn precedence(b: &mut Builder, credential: &CredentialSecret, r: &Resolution) {
    let data = &credential.data;
    let both_styles = ["cert", "key", "cacert"].iter().any(|k| data.contains_key(*k))
        && ["tls.crt", "tls.key", "ca.crt"].iter().any(|k| data.contains_key(*k));
    if both_styles {
        let ignored: Vec<String> = r
            .keys
            .iter()
            .filter(|k| !k.read && k.secret == credential.name && k.role != credential::KeyRole::Other)
            .map(|k| format!("`{}`", k.key))
            .collect();
        b.push(
            "key-styles",
            Status::Warn,
            format!(
                "Secret {} mixes `cert`/`key`/`cacert` with `tls.crt`/`tls.key`/`ca.crt`; Istio ignores {}: remove the keys it does not read so nobody edits the wrong one",
                credential.name,
                if ignored.is_empty() { "none of them yet".to_string() } else { ignored.join(", ") }
            ),
        );
    }
    let inline_ca = data.iter().any(|(k, v)| (k == "ca.crt" || k == "cacert") && !v.is_empty());
    if r.cacert_secret_present && inline_ca {
        b.push(
            "cacert-override",
            Status::Warn,
            format!(
                "Secret {0}{CACERT_SUFFIX} overrides the CA in {0}: Istio verifies clients with the CA from {0}{CACERT_SUFFIX} and ignores the inline one",
                credential.name
            ),
        );
    }
}

fn key_match(b: &mut Builder, at: &KeyRef, bytes: &[u8], leaf: &CertificateFacts) {
    match pki::key::private_key(bytes) {
        Err(reason) => b.push("key-match", Status::Fail, format!("{at} {reason}")),
        Ok(key) if key.matches(leaf) => b.push("key-match", Status::Ok, format!("{at} matches the server certificate")),
        Ok(_) => b.push(
            "key-match",
            Status::Fail,
            format!(
                "{at} does not belong to the server certificate ({}): Envoy will reject the credential",
                leaf.subject_or_sans()
            ),
        ),
    }
}

impl CertificateFacts {
    /// The subject, or the SANs when the subject is empty.
    pub fn subject_or_sans(&self) -> String {
        if !self.subject.is_empty() {
            return self.subject.clone();
        }
        self.sans.as_ref().and_then(|s| s.dns.first().or(s.ip.first()).cloned()).unwrap_or_else(|| "no subject".into())
    }
}

fn leaf_checks(b: &mut Builder, leaf: &CertificateFacts) {
    match &leaf.sans {
        Some(sans) if !sans.is_empty() => {}
        _ => b.push(
            "server-san",
            Status::Warn,
            "the server certificate has no subjectAltName; clients that ignore the CN (Go, browsers, curl with most TLS libraries) will refuse it: reissue it with the gateway host as a DNS SAN",
        ),
    }
    if let Some(eku) = &leaf.extended_key_usage
        && !eku.iter().any(|u| u == "TLS Web Server Authentication" || u == "Any")
    {
        b.push(
            "server-eku",
            Status::Fail,
            format!("the server certificate's extended key usage ({}) does not allow TLS server authentication: clients will refuse it", eku.join(", ")),
        );
    }
    if leaf.is_ca {
        b.push(
            "server-is-ca",
            Status::Warn,
            "the server certificate is a CA certificate (CA:TRUE); issue a leaf certificate for the gateway instead",
        );
    }
}

fn chain(b: &mut Builder, outcome: ChainOutcome, r: &Resolution) {
    let ca = r.ca.as_ref().map(ToString::to_string).unwrap_or_default();
    let (status, message) = match outcome {
        ChainOutcome::Verified => (Status::Ok, format!("the server chain verifies to a CA in {ca}")),
        ChainOutcome::UnknownIssuer => (
            Status::Warn,
            format!("the server certificate does not chain to a CA in {ca}; clients that trust only that CA (curl --cacert) will refuse it. That is fine if clients trust its issuer another way: the CA bundle is what verifies client certificates"),
        ),
        ChainOutcome::Expired => (Status::Fail, "the server chain does not verify: a certificate in it has expired".into()),
        ChainOutcome::NotYetValid => (Status::Fail, "the server chain does not verify: a certificate in it is not valid yet".into()),
        ChainOutcome::BadSignature => (Status::Fail, "the server chain does not verify: a signature in it is wrong (a certificate was not signed by the CA it names)".into()),
        ChainOutcome::NotForServerAuth => (Status::Fail, "the server chain does not verify for TLS server use: an extended key usage in it excludes serverAuth".into()),
        ChainOutcome::UnsupportedAlgorithm => (
            Status::Warn,
            "the server chain could not be verified: it uses a signature algorithm or key size modern TLS clients refuse (SHA-1, RSA under 2048 bits)".into(),
        ),
        ChainOutcome::LeafIsCa => (Status::Fail, "the server chain does not verify: the server certificate is a CA certificate".into()),
        ChainOutcome::Other(detail) => (Status::Fail, format!("the server chain does not verify ({detail})")),
    };
    b.push("chain", status, message);
}

fn label(entry: &CertificateEntry) -> String {
    format!("{} #{} ({})", entry.source, entry.index, entry.role)
}

fn validity(b: &mut Builder, entry: &CertificateEntry, policy: Policy) {
    let facts = &entry.facts;
    let days_left = (facts.not_after - policy.now).div_euclid(DAY);
    if policy.now < facts.not_before {
        b.push(
            "validity",
            Status::Fail,
            format!("{} is not valid until {}", label(entry), crate::render::time::date(facts.not_before)),
        );
    } else if policy.now > facts.not_after {
        b.push(
            "validity",
            Status::Fail,
            format!("{} expired on {}", label(entry), crate::render::time::date(facts.not_after)),
        );
    } else if days_left < policy.expiry_warning_days {
        b.push(
            "validity",
            Status::Warn,
            format!("{} expires in {days_left} days, on {}", label(entry), crate::render::time::date(facts.not_after)),
        );
    } else {
        b.push("validity", Status::Ok, format!("{} is valid for {days_left} more days", label(entry)));
    }
}

fn weak(b: &mut Builder, entry: &CertificateEntry) {
    let facts = &entry.facts;
    if facts.public_key.algorithm == "RSA" && facts.public_key.bits < 2048 {
        b.push(
            "weak-key",
            Status::Warn,
            format!("{} has a {}-bit RSA key; use at least 2048 bits", label(entry), facts.public_key.bits),
        );
    }
    // A self-signed root's own signature is never checked by clients, so SHA-1 there is harmless.
    if facts.sha1_signature && !(entry.role == CertRole::Ca && facts.self_signed) {
        b.push(
            "weak-signature",
            Status::Warn,
            format!("{} is signed with SHA-1 ({}); reissue it with SHA-256", label(entry), facts.signature_algorithm),
        );
    }
}

fn ca_constraints(b: &mut Builder, entry: &CertificateEntry) {
    let facts = &entry.facts;
    if !facts.is_ca {
        b.push(
            "ca",
            Status::Fail,
            format!(
                "{} is not a CA certificate (no basicConstraints CA:TRUE); Envoy cannot verify clients with it",
                label(entry)
            ),
        );
    } else if facts.key_usage.is_some() && !facts.key_cert_sign {
        b.push(
            "ca",
            Status::Fail,
            format!(
                "{} has CA:TRUE but its key usage lacks keyCertSign; verifiers will not accept certificates it signed",
                label(entry)
            ),
        );
    } else {
        b.push(
            "ca",
            Status::Ok,
            format!("{} is a CA (CA:TRUE{})", label(entry), if facts.key_cert_sign { ", keyCertSign" } else { "" }),
        );
    }
}

fn crl_check(b: &mut Builder, at: &KeyRef, bytes: &[u8], anchors: &[Vec<u8>], policy: Policy) -> Option<CrlEntry> {
    let der = match pki::pem::blocks(bytes) {
        Ok(blocks) => match blocks.into_iter().find(|bl| bl.label == "X509 CRL") {
            Some(block) => block.der,
            None => {
                b.push("crl", Status::Fail, format!("{at} holds no `X509 CRL` PEM block"));
                return None;
            }
        },
        Err(reason) => {
            b.push("crl", Status::Fail, format!("{at} {reason}"));
            return None;
        }
    };
    match pki::crl::crl(&der, anchors) {
        Err(reason) => {
            b.push("crl", Status::Fail, format!("{at} {reason}"));
            None
        }
        Ok(facts) => {
            let next = facts.next_update.map(crate::render::time::date).unwrap_or_else(|| "never".into());
            if facts.signed_by.is_none() {
                b.push(
                    "crl",
                    Status::Fail,
                    format!("{at} is not signed by any CA in the CA bundle; Envoy will reject it"),
                );
            } else if facts.next_update.is_some_and(|n| n < policy.now) {
                b.push(
                    "crl",
                    Status::Warn,
                    format!("{at} is out of date: its next update was due {next}; publish a fresh CRL"),
                );
            } else {
                b.push(
                    "crl",
                    Status::Ok,
                    format!(
                        "{at}: {} revoked, issued by {}, signature verified, next update {next}",
                        facts.revoked, facts.issuer
                    ),
                );
            }
            Some(CrlEntry { source: at.to_string(), facts })
        }
    }
}
