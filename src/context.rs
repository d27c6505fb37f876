//! From raw flags to what a command works with: the cluster (connected on first use, so a
//! command that needs no cluster never needs a kubeconfig), namespaces, and prompting.

use tokio::sync::OnceCell;

use crate::cli::{InteractionFlags, KubeFlags};
use crate::cluster::{self, Cluster, ClusterError};
use crate::prompt::Prompter;

/// Where credential Secrets live unless -n says otherwise: the usual gateway workload namespace.
pub const DEFAULT_CREDENTIAL_NAMESPACE: &str = "istio-system";

pub struct Context {
    kube: KubeFlags,
    cluster: OnceCell<Cluster>,
    pub namespace_flag: Option<String>,
    pub prompter: Prompter,
}

impl Context {
    pub fn new(kube: &KubeFlags, interaction: InteractionFlags) -> Context {
        Context {
            kube: kube.clone(),
            cluster: OnceCell::new(),
            namespace_flag: kube.namespace.clone(),
            prompter: Prompter::new(interaction.no_input, interaction.yes),
        }
    }

    /// The cluster, connected the first time it is asked for.
    pub async fn cluster(&self) -> Result<&Cluster, ClusterError> {
        self.cluster.get_or_try_init(|| cluster::connect(&self.kube)).await
    }

    /// For credential Secrets: -n, else istio-system.
    pub fn credential_namespace(&self) -> String {
        self.namespace_flag.clone().unwrap_or_else(|| DEFAULT_CREDENTIAL_NAMESPACE.to_string())
    }

    /// A flag naming an object elsewhere: `NAMESPACE/NAME`, or a bare `NAME` in the context's
    /// namespace, as kubectl would look it up.
    pub async fn object_reference(&self, reference: &str) -> Result<(String, String), ClusterError> {
        Ok(match reference.split_once('/') {
            Some((namespace, name)) => (namespace.to_string(), name.to_string()),
            None => (self.cluster().await?.context_namespace.clone(), reference.to_string()),
        })
    }

    /// For namespaced objects such as Gateways, kubectl's rule: -n, else the context's, else default.
    pub async fn object_namespace(&self) -> Result<String, ClusterError> {
        match &self.namespace_flag {
            Some(namespace) => Ok(namespace.clone()),
            None => Ok(self.cluster().await?.context_namespace.clone()),
        }
    }
}
