//! Which Secret keys Istio's SDS reads for `credentialName: NAME`, exactly as Istio decides.
//!
//! - Server pair: `cert` + `key` (both non-empty) win over `tls.crt` + `tls.key`.
//! - CA: a Secret `NAME-cacert` is looked up first (`cacert`, then `ca.crt`); only if it does
//!   not exist does the CA come from `NAME` itself (`cacert`, then `ca.crt`).
//! - CRL: `crl`, then `ca.crl`, from the Secret the CA comes from.

use std::collections::BTreeMap;

use serde::Serialize;

pub const CACERT_SUFFIX: &str = "-cacert";

/// The Secret data Istio sees: key → decoded bytes.
pub type SecretData = BTreeMap<String, Vec<u8>>;

/// A Secret and its data, as far as the credential logic cares.
#[derive(Debug, Clone)]
pub struct CredentialSecret {
    pub name: String,
    pub data: SecretData,
}

/// What a key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyRole {
    ServerCertificate,
    PrivateKey,
    CaBundle,
    Crl,
    /// Not a key Istio knows.
    Other,
}

impl std::fmt::Display for KeyRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyRole::ServerCertificate => "server certificate",
            KeyRole::PrivateKey => "private key",
            KeyRole::CaBundle => "CA bundle",
            KeyRole::Crl => "CRL",
            KeyRole::Other => "not used by Istio",
        })
    }
}

/// One key of one Secret, whether Istio reads it, and why not when it does not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyUse {
    pub secret: String,
    pub key: String,
    pub role: KeyRole,
    pub read: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A key Istio reads: in which Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRef {
    pub secret: String,
    pub key: String,
}

impl std::fmt::Display for KeyRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.secret, self.key)
    }
}

/// The outcome of Istio's key precedence for one credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub server_cert: Option<KeyRef>,
    pub server_key: Option<KeyRef>,
    pub ca: Option<KeyRef>,
    pub crl: Option<KeyRef>,
    /// True when a `NAME-cacert` Secret exists (it then owns the CA, even if it lacks the keys).
    pub cacert_secret_present: bool,
    pub keys: Vec<KeyUse>,
}

fn has(data: &SecretData, key: &str) -> bool {
    data.get(key).is_some_and(|v| !v.is_empty())
}

fn role_of(key: &str) -> KeyRole {
    match key {
        "cert" | "tls.crt" => KeyRole::ServerCertificate,
        "key" | "tls.key" => KeyRole::PrivateKey,
        "cacert" | "ca.crt" => KeyRole::CaBundle,
        "crl" | "ca.crl" => KeyRole::Crl,
        _ => KeyRole::Other,
    }
}

/// Applies Istio's precedence to the credential Secret and, if it exists, `NAME-cacert`.
pub fn resolve(credential: &CredentialSecret, cacert: Option<&CredentialSecret>) -> Resolution {
    let main = &credential.data;
    let at = |secret: &CredentialSecret, key: &str| KeyRef { secret: secret.name.clone(), key: key.to_string() };

    let (server_cert, server_key) = if has(main, "cert") && has(main, "key") {
        (Some(at(credential, "cert")), Some(at(credential, "key")))
    } else if has(main, "tls.crt") && has(main, "tls.key") {
        (Some(at(credential, "tls.crt")), Some(at(credential, "tls.key")))
    } else {
        (None, None)
    };
    let ca_source = cacert.unwrap_or(credential);
    let ca = ["cacert", "ca.crt"].iter().find(|k| has(&ca_source.data, k)).map(|k| at(ca_source, k));
    let crl = ["crl", "ca.crl"].iter().find(|k| has(&ca_source.data, k)).map(|k| at(ca_source, k));

    let chosen = [&server_cert, &server_key, &ca, &crl];
    let mut keys = Vec::new();
    for secret in std::iter::once(credential).chain(cacert) {
        for (key, value) in &secret.data {
            let role = role_of(key);
            let read = chosen.iter().any(|c| c.as_ref().is_some_and(|r| r.secret == secret.name && &r.key == key));
            let note = if read {
                String::new()
            } else {
                why_ignored(secret, key, value, role, &server_cert, &ca, &crl, cacert.is_some(), credential)
            };
            keys.push(KeyUse { secret: secret.name.clone(), key: key.clone(), role, read, note });
        }
    }
    Resolution { server_cert, server_key, ca, crl, cacert_secret_present: cacert.is_some(), keys }
}

#[allow(clippy::too_many_arguments)]
fn why_ignored(
    secret: &CredentialSecret,
    key: &str,
    value: &[u8],
    role: KeyRole,
    server_cert: &Option<KeyRef>,
    ca: &Option<KeyRef>,
    crl: &Option<KeyRef>,
    cacert_present: bool,
    credential: &CredentialSecret,
) -> String {
    if value.is_empty() {
        return "empty".into();
    }
    match role {
        KeyRole::Other => "Istio does not read this key".into(),
        KeyRole::ServerCertificate | KeyRole::PrivateKey => {
            let partner = match key {
                "cert" => "key",
                "key" => "cert",
                "tls.crt" => "tls.key",
                _ => "tls.crt",
            };
            match server_cert {
                Some(_) if secret.name != credential.name => {
                    "a server pair is read only from the credential Secret itself".into()
                }
                _ if !has(&secret.data, partner) => format!("read only together with `{partner}`, which is missing"),
                Some(winner) => format!("`{}` and its key take precedence", winner.key),
                None => "not read".into(),
            }
        }
        KeyRole::CaBundle | KeyRole::Crl => {
            let winner = if role == KeyRole::CaBundle { ca } else { crl };
            match winner {
                Some(w) if w.secret == secret.name => format!("`{}` takes precedence", w.key),
                _ if cacert_present && secret.name == credential.name => {
                    format!("the Secret {}{CACERT_SUFFIX} takes precedence", credential.name)
                }
                _ => "not read".into(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(name: &str, keys: &[&str]) -> CredentialSecret {
        CredentialSecret { name: name.into(), data: keys.iter().map(|k| (k.to_string(), b"x".to_vec())).collect() }
    }

    fn read_keys(r: &Resolution) -> Vec<String> {
        r.keys.iter().filter(|k| k.read).map(|k| format!("{}/{}", k.secret, k.key)).collect()
    }

    #[test]
    fn tls_style() {
        let r = resolve(&secret("gw", &["tls.crt", "tls.key", "ca.crt"]), None);
        assert_eq!(read_keys(&r), ["gw/ca.crt", "gw/tls.crt", "gw/tls.key"]);
        assert!(r.crl.is_none());
    }

    #[test]
    fn generic_style_wins_over_tls_style() {
        let r = resolve(&secret("gw", &["cert", "key", "tls.crt", "tls.key", "cacert", "ca.crt"]), None);
        assert_eq!(r.server_cert.unwrap().key, "cert");
        assert_eq!(r.ca.unwrap().key, "cacert");
        let tls = r.keys.iter().find(|k| k.key == "tls.crt").unwrap();
        assert!(!tls.read);
        assert_eq!(tls.note, "`cert` and its key take precedence");
    }

    #[test]
    fn a_lone_cert_does_not_count() {
        let r = resolve(&secret("gw", &["cert", "tls.crt", "tls.key"]), None);
        assert_eq!(r.server_cert.unwrap().key, "tls.crt");
        let lone = r.keys.iter().find(|k| k.key == "cert").unwrap();
        assert_eq!(lone.note, "read only together with `key`, which is missing");
    }

    #[test]
    fn empty_values_are_absent() {
        let mut s = secret("gw", &["tls.crt", "tls.key"]);
        s.data.insert("cert".into(), vec![]);
        s.data.insert("key".into(), vec![]);
        assert_eq!(resolve(&s, None).server_cert.unwrap().key, "tls.crt");
    }

    #[test]
    fn cacert_secret_overrides_inline_ca_and_owns_the_crl() {
        let r = resolve(
            &secret("gw", &["tls.crt", "tls.key", "ca.crt", "ca.crl"]),
            Some(&secret("gw-cacert", &["ca.crt", "crl"])),
        );
        assert_eq!(r.ca.clone().unwrap().to_string(), "gw-cacert/ca.crt");
        assert_eq!(r.crl.clone().unwrap().to_string(), "gw-cacert/crl");
        let inline = r.keys.iter().find(|k| k.secret == "gw" && k.key == "ca.crt").unwrap();
        assert_eq!(inline.note, "the Secret gw-cacert takes precedence");
    }

    #[test]
    fn cacert_secret_without_ca_keys_still_hides_the_inline_ca() {
        let r = resolve(&secret("gw", &["tls.crt", "tls.key", "ca.crt"]), Some(&secret("gw-cacert", &["other"])));
        assert!(r.ca.is_none());
        assert!(r.cacert_secret_present);
    }
}
