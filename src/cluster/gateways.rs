//! Istio Gateways (`gateways.networking.istio.io`) as raw JSON, so fields we do not know
//! survive untouched. v1 is tried first; on an older control plane that does not serve it,
//! the group's discovery document says which of v1beta1 / v1alpha3 to use.

use std::sync::Mutex;

use serde_json::Value;

use super::Cluster;
use super::error::{ClusterError, Operation};
use super::retry::retrying;

pub const GROUP: &str = "networking.istio.io";
pub const RESOURCE: &str = "gateways.networking.istio.io";
const VERSIONS: [&str; 3] = ["v1", "v1beta1", "v1alpha3"];

/// Access to Istio Gateways at the version this cluster serves.
pub struct Gateways<'a> {
    cluster: &'a Cluster,
    version: Mutex<Option<String>>,
}

/// Whether a write is real or a server-side dry run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Real,
    ServerDryRun,
}

impl<'a> Gateways<'a> {
    pub fn new(cluster: &'a Cluster) -> Gateways<'a> {
        Gateways { cluster, version: Mutex::new(None) }
    }

    fn version(&self) -> String {
        self.version.lock().ok().and_then(|v| v.clone()).unwrap_or_else(|| VERSIONS[0].to_string())
    }

    fn item_path(&self, namespace: &str, name: &str) -> String {
        format!("/apis/{GROUP}/{}/namespaces/{namespace}/gateways/{name}", self.version())
    }

    /// Runs `call` at the current version; if the server does not serve it, discovers the
    /// version it does serve and runs `call` once more.
    async fn with_version<T, F, Fut>(&self, operation: &Operation, call: F) -> Result<T, ClusterError>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<T, ClusterError>>,
    {
        let known = self.version.lock().ok().and_then(|v| v.clone());
        let tried = known.clone().unwrap_or_else(|| VERSIONS[0].to_string());
        let result = match call(tried.clone()).await {
            // Only the first guess can be wrong; a version we discovered is served.
            Err(ClusterError::NotServed { .. }) if known.is_none() => {
                let version = self.discover(operation).await?;
                let result = call(version.clone()).await;
                self.remember(version);
                return result;
            }
            other => other,
        };
        if result.is_ok() {
            self.remember(tried);
        }
        result
    }

    fn remember(&self, version: String) {
        if let Ok(mut slot) = self.version.lock() {
            *slot = Some(version);
        }
    }

    async fn discover(&self, operation: &Operation) -> Result<String, ClusterError> {
        let request =
            http::Request::get(format!("/apis/{GROUP}")).body(Vec::new()).map_err(|e| http_error(operation, e))?;
        let document: Value = retrying(operation, &self.cluster.server, || {
            let request = clone_request(&request);
            async move { self.cluster.client.request::<Value>(request).await }
        })
        .await?;
        let served: Vec<&str> = document
            .get("versions")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(|v| v.get("version").and_then(Value::as_str)).collect())
            .unwrap_or_default();
        VERSIONS
            .iter()
            .find(|v| served.contains(v))
            .map(|v| v.to_string())
            .ok_or_else(|| ClusterError::NotServed { operation: operation.clone() })
    }

    /// The Gateway `namespace/name`, as the server stores it.
    pub async fn get(&self, namespace: &str, name: &str) -> Result<Value, ClusterError> {
        let operation = Operation::new("get", RESOURCE, namespace, Some(name));
        self.with_version(&operation, |version| {
            let operation = operation.clone();
            async move {
                let path = format!("/apis/{GROUP}/{version}/namespaces/{namespace}/gateways/{name}");
                let request = http::Request::get(path).body(Vec::new()).map_err(|e| http_error(&operation, e))?;
                retrying(&operation, &self.cluster.server, || {
                    self.cluster.client.request::<Value>(clone_request(&request))
                })
                .await
            }
        })
        .await
    }

    /// Every Gateway in `namespace` (or in all namespaces), page by page.
    pub async fn list(&self, namespace: Option<&str>) -> Result<Vec<Value>, ClusterError> {
        let operation =
            Operation { verb: "list", resource: RESOURCE, namespace: namespace.map(str::to_string), name: None };
        self.with_version(&operation, |version| {
            let operation = operation.clone();
            async move {
                let base = match namespace {
                    Some(ns) => format!("/apis/{GROUP}/{version}/namespaces/{ns}/gateways"),
                    None => format!("/apis/{GROUP}/{version}/gateways"),
                };
                let mut items = Vec::new();
                let mut token = String::new();
                loop {
                    let mut path = format!("{base}?limit=250");
                    if !token.is_empty() {
                        path.push_str(&format!("&continue={}", percent_encode(&token)));
                    }
                    let request = http::Request::get(path).body(Vec::new()).map_err(|e| http_error(&operation, e))?;
                    let page: Value = retrying(&operation, &self.cluster.server, || {
                        self.cluster.client.request::<Value>(clone_request(&request))
                    })
                    .await?;
                    if let Some(list) = page.get("items").and_then(Value::as_array) {
                        items.extend(list.iter().cloned());
                    }
                    token = page.pointer("/metadata/continue").and_then(Value::as_str).unwrap_or_default().to_string();
                    if token.is_empty() {
                        break;
                    }
                }
                Ok(items)
            }
        })
        .await
    }

    /// Applies a JSON patch (RFC 6902). Transient failures are retried: the patch's own `test`
    /// operations make a repeat harmless.
    pub async fn patch(&self, namespace: &str, name: &str, patch: &Value, write: Write) -> Result<Value, ClusterError> {
        let operation = Operation::new("patch", RESOURCE, namespace, Some(name));
        let mut path = self.item_path(namespace, name);
        if write == Write::ServerDryRun {
            path.push_str("?dryRun=All");
        }
        let request = http::Request::patch(path)
            .header(http::header::CONTENT_TYPE, "application/json-patch+json")
            .body(patch.to_string().into_bytes())
            .map_err(|e| http_error(&operation, e))?;
        retrying(&operation, &self.cluster.server, || self.cluster.client.request::<Value>(clone_request(&request)))
            .await
    }
}

fn clone_request(request: &http::Request<Vec<u8>>) -> http::Request<Vec<u8>> {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.headers_mut() = request.headers().clone();
    copy
}

fn http_error(operation: &Operation, error: http::Error) -> ClusterError {
    ClusterError::Api { operation: operation.clone(), code: 0, reason: "BadRequest".into(), message: error.to_string() }
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
