//! Reading Secrets: one by name, or the ones in a namespace that hold certificates.

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams, PostParams};

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

/// The stored Secret, with its resourceVersion, labels and annotations.
pub async fn get_raw(cluster: &Cluster, namespace: &str, name: &str) -> Result<Option<Secret>, ClusterError> {
    let api: Api<Secret> = Api::namespaced(cluster.client.clone(), namespace);
    let operation = Operation::new("get", "secrets", namespace, Some(name));
    match retrying(&operation, &cluster.server, || api.get(name)).await {
        Ok(secret) => Ok(Some(secret)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Creates a Secret; with `dry_run` the server validates it and keeps nothing.
pub async fn create(
    cluster: &Cluster,
    namespace: &str,
    secret: &Secret,
    dry_run: bool,
) -> Result<Secret, ClusterError> {
    let api: Api<Secret> = Api::namespaced(cluster.client.clone(), namespace);
    let name = secret.metadata.name.clone().unwrap_or_default();
    let operation = Operation::new("create", "secrets", namespace, Some(&name));
    let params = PostParams { dry_run, field_manager: Some(FIELD_MANAGER.into()) };
    // Not retried on server errors: a create that half-succeeded would then report a conflict.
    api.create(&params, secret).await.map_err(|e| ClusterError::from_kube(e, &operation, &cluster.server))
}

/// Replaces a Secret; its `metadata.resourceVersion` makes a concurrent change a 409 Conflict.
pub async fn replace(
    cluster: &Cluster,
    namespace: &str,
    secret: &Secret,
    dry_run: bool,
) -> Result<Secret, ClusterError> {
    let api: Api<Secret> = Api::namespaced(cluster.client.clone(), namespace);
    let name = secret.metadata.name.clone().unwrap_or_default();
    let operation = Operation::new("update", "secrets", namespace, Some(&name));
    let params = PostParams { dry_run, field_manager: Some(FIELD_MANAGER.into()) };
    retrying(&operation, &cluster.server, || api.replace(&name, &params, secret)).await
}

pub const FIELD_MANAGER: &str = "kubectl-mtls";

/// Names of the Secrets in `namespace` carrying `label` (`key=value`).
pub async fn names_with_label(cluster: &Cluster, namespace: &str, label: &str) -> Result<Vec<String>, ClusterError> {
    let api: Api<Secret> = Api::namespaced(cluster.client.clone(), namespace);
    let operation = Operation::new("list", "secrets", namespace, None);
    let params = ListParams::default().labels(label).limit(500);
    let page = retrying(&operation, &cluster.server, || api.list_metadata(&params)).await?;
    Ok(page.items.into_iter().filter_map(|s| s.metadata.name).collect())
}
