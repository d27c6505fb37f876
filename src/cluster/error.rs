//! What can go wrong talking to the API server, worded for the person who has to fix it.

use thiserror::Error;

/// The API call an error belongs to, so messages can name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub verb: &'static str,
    /// Plural resource, group-qualified for non-core (`gateways.networking.istio.io`).
    pub resource: &'static str,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

impl Operation {
    pub fn new(verb: &'static str, resource: &'static str, namespace: &str, name: Option<&str>) -> Operation {
        Operation { verb, resource, namespace: Some(namespace.to_string()), name: name.map(str::to_string) }
    }

    fn scope(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("in namespace {ns}"),
            None => "at cluster scope".into(),
        }
    }

    fn object(&self) -> String {
        match (&self.namespace, &self.name) {
            (Some(ns), Some(name)) => format!("{} {ns}/{name}", self.resource),
            (None, Some(name)) => format!("{} {name}", self.resource),
            _ => format!("{} {}", self.resource, self.scope()),
        }
    }
}

#[derive(Debug, Error)]
pub enum ClusterError {
    #[error("no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config")]
    NoKubeconfig,

    #[error("cannot use the kubeconfig: {detail}")]
    Kubeconfig {
        detail: String,
        #[source]
        source: kube::config::KubeconfigError,
    },

    #[error("cannot use the in-cluster service account")]
    InCluster(#[source] kube::config::InClusterError),

    #[error("invalid --request-timeout {0:?}: use a duration such as 30s, 2m or 0 (no limit)")]
    RequestTimeout(String),

    #[error("cannot set up a client for {server}")]
    Client {
        server: String,
        #[source]
        source: kube::Error,
    },

    #[error(
        "cannot reach the API server at {server}: check that the cluster is up and that --context/--kubeconfig point at it"
    )]
    Unreachable {
        server: String,
        #[source]
        source: kube::Error,
    },

    #[error(
        "the API server at {server} did not answer within the --request-timeout: check the cluster's health, or pass a longer --request-timeout"
    )]
    Timeout {
        server: String,
        #[source]
        source: kube::Error,
    },

    #[error(
        "the API server at {server} refused our credentials (401 Unauthorized): log in again or check the kubeconfig user"
    )]
    Unauthorized { server: String },

    #[error(
        "forbidden: you may not {verb} {resource} {scope} (RBAC): ask a cluster admin for `{verb}` on `{resource}` there",
        verb = .operation.verb, resource = .operation.resource, scope = .operation.scope()
    )]
    Forbidden { operation: Operation, message: String },

    #[error("{} not found", .operation.object())]
    NotFound { operation: Operation },

    #[error("namespace {namespace} not found: check the name with `kubectl get namespaces`")]
    NamespaceNotFound { namespace: String },

    #[error("the API server does not serve {} (is the software that defines them installed?)", .operation.resource)]
    NotServed { operation: Operation },

    #[error("{} changed while we were editing it", .operation.object())]
    Conflict { operation: Operation },

    #[error("the API server could not {verb} {object} ({code} {reason}): {message}", verb = .operation.verb, object = .operation.object())]
    Api { operation: Operation, code: u16, reason: String, message: String },

    #[error("the API server failed to {verb} {object} after {attempts} attempts; try again later", verb = .operation.verb, object = .operation.object())]
    Exhausted {
        operation: Operation,
        attempts: u32,
        #[source]
        source: Box<ClusterError>,
    },
}

impl ClusterError {
    /// Errors that mean we never got to talk to the cluster properly (exit code 4).
    pub fn is_connection(&self) -> bool {
        match self {
            ClusterError::NoKubeconfig
            | ClusterError::Kubeconfig { .. }
            | ClusterError::InCluster(_)
            | ClusterError::Client { .. }
            | ClusterError::Unreachable { .. }
            | ClusterError::Timeout { .. }
            | ClusterError::Unauthorized { .. } => true,
            ClusterError::Exhausted { source, .. } => source.is_connection(),
            _ => false,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, ClusterError::NotFound { .. })
    }

    /// Classifies a kube error for `operation` against `server`.
    pub fn from_kube(error: kube::Error, operation: &Operation, server: &str) -> ClusterError {
        match error {
            kube::Error::Api(status) => match status.code {
                401 => ClusterError::Unauthorized { server: server.to_string() },
                403 => ClusterError::Forbidden { operation: operation.clone(), message: status.message.clone() },
                // A missing object or namespace is named in the details; a path the server does
                // not serve (an API group or version that is not installed) gets a plain 404.
                404 if status.details.as_ref().is_some_and(|d| d.kind == "namespaces") => {
                    ClusterError::NamespaceNotFound {
                        namespace: status.details.as_ref().map(|d| d.name.clone()).unwrap_or_default(),
                    }
                }
                404 if status.details.as_ref().is_some_and(|d| !d.kind.is_empty()) => {
                    ClusterError::NotFound { operation: operation.clone() }
                }
                404 => ClusterError::NotServed { operation: operation.clone() },
                409 if status.reason == "Conflict" => ClusterError::Conflict { operation: operation.clone() },
                code => ClusterError::Api {
                    operation: operation.clone(),
                    code,
                    reason: status.reason.clone(),
                    message: status.message.clone(),
                },
            },
            other @ (kube::Error::HyperError(_) | kube::Error::Service(_)) if timed_out(&other) => {
                ClusterError::Timeout { server: server.to_string(), source: other }
            }
            other @ (kube::Error::HyperError(_) | kube::Error::Service(_)) => {
                ClusterError::Unreachable { server: server.to_string(), source: other }
            }
            other => ClusterError::Api {
                operation: operation.clone(),
                code: 0,
                reason: "ClientError".into(),
                message: other.to_string(),
            },
        }
    }

    /// Worth another try: throttling, server errors, dropped connections.
    pub fn is_transient(&self) -> bool {
        match self {
            ClusterError::Api { code, .. } => matches!(code, 429 | 500 | 502 | 503 | 504),
            ClusterError::Unreachable { .. } => true,
            _ => false,
        }
    }
}

/// Whether a transport error is a read timeout (kube's `read_timeout`, our --request-timeout).
fn timed_out(error: &kube::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(current) = source {
        let text = current.to_string().to_ascii_lowercase();
        if text.contains("timed out") || text.contains("deadline has elapsed") || text.contains("timeout") {
            return true;
        }
        source = current.source();
    }
    false
}
