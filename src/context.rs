//! From raw flags to what a command works with: a connected cluster, namespaces, prompting.

use crate::cli::{InteractionFlags, KubeFlags};
use crate::cluster::{self, Cluster, ClusterError};
use crate::prompt::Prompter;

/// Where credential Secrets live unless -n says otherwise: the usual gateway workload namespace.
pub const DEFAULT_CREDENTIAL_NAMESPACE: &str = "istio-system";

pub struct Context {
    pub cluster: Cluster,
    pub namespace_flag: Option<String>,
    pub prompter: Prompter,
}

impl Context {
    pub async fn connect(kube: &KubeFlags, interaction: InteractionFlags) -> Result<Context, ClusterError> {
        let cluster = cluster::connect(kube).await?;
        Ok(Context {
            cluster,
            namespace_flag: kube.namespace.clone(),
            prompter: Prompter::new(interaction.no_input, interaction.yes),
        })
    }

    /// For credential Secrets: -n, else istio-system.
    pub fn credential_namespace(&self) -> String {
        self.namespace_flag.clone().unwrap_or_else(|| DEFAULT_CREDENTIAL_NAMESPACE.to_string())
    }

    /// A flag naming an object elsewhere: `NAMESPACE/NAME`, or a bare `NAME` in the context's
    /// namespace, as kubectl would look it up.
    pub fn object_reference(&self, reference: &str) -> (String, String) {
        match reference.split_once('/') {
            Some((namespace, name)) => (namespace.to_string(), name.to_string()),
            None => (self.cluster.context_namespace.clone(), reference.to_string()),
        }
    }

    /// For namespaced objects such as Gateways, kubectl's rule: -n, else the context's, else default.
    pub fn object_namespace(&self) -> String {
        self.namespace_flag.clone().unwrap_or_else(|| self.cluster.context_namespace.clone())
    }
}
