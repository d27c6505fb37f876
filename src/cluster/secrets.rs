//! Reading Secrets: one by name, or the ones in a namespace that hold certificates.

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams};

use super::Cluster;
use super::error::{ClusterError, Operation};
use super::retry::retrying;
use crate::istio::credential::{CredentialSecret, SecretData};

fn to_credential(secret: Secret) -> CredentialSecret {
    let data: SecretData = secret.data.unwrap_or_default().into_iter().map(|(key, bytes)| (key, bytes.0)).collect();
    CredentialSecret { name: secret.metadata.name.unwrap_or_default(), data }
}

/// The Secret `namespace/name`.
pub async fn get(cluster: &Cluster, namespace: &str, name: &str) -> Result<CredentialSecret, ClusterError> {
    let api: Api<Secret> = Api::namespaced(cluster.client.clone(), namespace);
    let operation = Operation::new("get", "secrets", namespace, Some(name));
    retrying(&operation, &cluster.server, || api.get(name)).await.map(to_credential)
}

/// The Secret `namespace/name`, or None if it does not exist.
pub async fn get_optional(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
) -> Result<Option<CredentialSecret>, ClusterError> {
    match get(cluster, namespace, name).await {
        Ok(secret) => Ok(Some(secret)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Names of the Secrets in `namespace` that carry a certificate key Istio reads, page by page.
pub async fn names_with_certificates(cluster: &Cluster, namespace: &str) -> Result<Vec<String>, ClusterError> {
    let api: Api<Secret> = Api::namespaced(cluster.client.clone(), namespace);
    let operation = Operation::new("list", "secrets", namespace, None);
    let mut names = Vec::new();
    let mut params = ListParams::default().limit(250);
    loop {
        let page = retrying(&operation, &cluster.server, || api.list(&params)).await?;
        for secret in page.items {
            let holds_certificate = secret
                .data
                .as_ref()
                .is_some_and(|d| ["tls.crt", "cert", "ca.crt", "cacert"].iter().any(|k| d.contains_key(*k)));
            if holds_certificate && let Some(name) = secret.metadata.name {
                names.push(name);
            }
        }
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => break,
        }
    }
    Ok(names)
}
