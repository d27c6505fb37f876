//! The Secrets `create` writes: the CA Secret `NAME-mtls-ca` and the credential `NAME`, with
//! the labels and annotations that say what they are and who manages them.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::ObjectMeta;
use serde_json::{Value, json};

use crate::cli::CreateArgs;
use crate::pki::issue::{self, Ca};

pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const ROLE_LABEL: &str = "mtls.kubectl-mtls.io/role";
pub const CREDENTIAL_ANNOTATION: &str = "mtls.kubectl-mtls.io/credential";
pub const CA_SECRET_ANNOTATION: &str = "mtls.kubectl-mtls.io/ca-secret";

/// Where `create` keeps the CA of credential `name`. Never `*-cacert`: Istio would read that
/// as the credential's CA bundle, and it holds a private key.
pub fn ca_secret_name(name: &str) -> String {
    format!("{name}-mtls-ca")
}

/// The CA kept in a `NAME-mtls-ca` Secret (`ca.crt`, `ca.key`).
pub fn ca_from_secret(secret: &Secret, now: i64) -> Result<Ca, issue::CaError> {
    let data = secret.data.clone().unwrap_or_default();
    let text = |k: &str| data.get(k).map(|b| String::from_utf8_lossy(&b.0).into_owned()).unwrap_or_default();
    issue::load_ca(&text("ca.crt"), &text("ca.key"), now)
}

/// Where the signing CA came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaOrigin {
    Files,
    Cluster,
    Generated,
}

pub fn labels(role: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(MANAGED_BY.to_string(), "kubectl-mtls".to_string()), (ROLE_LABEL.to_string(), role.to_string())])
}

pub fn to_value(secret: &Secret) -> Value {
    let mut value = serde_json::to_value(secret).unwrap_or(Value::Null);
    value["apiVersion"] = json!("v1");
    value["kind"] = json!("Secret");
    value
}

pub fn ca_secret_object(name: &str, namespace: &str, ca: &Ca, existing: Option<&Secret>) -> Secret {
    let mut annotations = BTreeMap::new();
    annotations.insert(CREDENTIAL_ANNOTATION.to_string(), name.to_string());
    annotations.insert(
        "mtls.kubectl-mtls.io/description".to_string(),
        format!(
            "CA certificate and private key for the Istio credential {name}, used by `kubectl mtls issue-client`. Whoever can read this Secret can mint client certificates."
        ),
    );
    Secret {
        metadata: ObjectMeta {
            name: Some(ca_secret_name(name)),
            namespace: Some(namespace.to_string()),
            labels: Some(labels("ca")),
            annotations: Some(annotations),
            resource_version: existing.and_then(|s| s.metadata.resource_version.clone()),
            ..ObjectMeta::default()
        },
        type_: Some("Opaque".into()),
        data: Some(BTreeMap::from([
            ("ca.crt".to_string(), ByteString(ca.chain_pem.clone().into_bytes())),
            ("ca.key".to_string(), ByteString(ca.key_pem().into_bytes())),
        ])),
        ..Secret::default()
    }
}

#[allow(clippy::too_many_arguments)]
pub fn credential_object(
    name: &str,
    namespace: &str,
    ca: &Ca,
    issued: &issue::Issued,
    existing: Option<&Secret>,
    args: &CreateArgs,
    ca_secret: &str,
    ca_origin: CaOrigin,
) -> Secret {
    // An in-place update keeps the Secret's other keys, labels and annotations.
    let mut secret = existing.cloned().unwrap_or_default();
    secret.metadata.name = Some(name.to_string());
    secret.metadata.namespace = Some(namespace.to_string());
    secret.metadata.managed_fields = None;
    secret.metadata.labels.get_or_insert_with(BTreeMap::new).extend(labels("credential"));
    let annotations = secret.metadata.annotations.get_or_insert_with(BTreeMap::new);
    match (ca_origin, &args.ca_key_out) {
        (CaOrigin::Generated, Some(path)) => {
            annotations.insert(
                CA_SECRET_ANNOTATION.to_string(),
                format!("none: the CA key was written to {}", path.display()),
            );
        }
        (CaOrigin::Files, _) => {
            annotations
                .insert(CA_SECRET_ANNOTATION.to_string(), "none: the CA was brought with --ca-cert/--ca-key".into());
        }
        _ => {
            annotations.insert(CA_SECRET_ANNOTATION.to_string(), ca_secret.to_string());
        }
    }
    if secret.type_.is_none() {
        secret.type_ = Some("kubernetes.io/tls".into());
    }
    // The server certificate, plus the CA's chain above the root when the CA is an intermediate.
    let mut chain = issued.cert_pem.clone();
    if !ca.facts.self_signed {
        chain.push_str(&ca.chain_pem);
    }
    let data = secret.data.get_or_insert_with(BTreeMap::new);
    data.insert("tls.crt".into(), ByteString(chain.into_bytes()));
    data.insert("tls.key".into(), ByteString(issued.key_pem.clone().into_bytes()));
    data.insert("ca.crt".into(), ByteString(ca.chain_pem.clone().into_bytes()));
    secret
}
