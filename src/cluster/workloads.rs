//! Where a Gateway's workload runs: the namespaces of the pods its `spec.selector` picks.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};

use super::Cluster;
use super::error::{ClusterError, Operation};
use super::retry::retrying;

/// The distinct namespaces of pods matching `selector` (`k=v,k2=v2`), across the cluster.
pub async fn pod_namespaces(cluster: &Cluster, selector: &str) -> Result<BTreeSet<String>, ClusterError> {
    let api: Api<Pod> = Api::all(cluster.client.clone());
    let operation = Operation { verb: "list", resource: "pods", namespace: None, name: None };
    let mut namespaces = BTreeSet::new();
    let mut params = ListParams::default().labels(selector).limit(500);
    loop {
        let page = retrying(&operation, &cluster.server, || api.list_metadata(&params)).await?;
        namespaces.extend(page.items.into_iter().filter_map(|pod| pod.metadata.namespace));
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => break,
        }
    }
    Ok(namespaces)
}

/// The first load-balancer address (IP or host name) of a Service labelled like the gateway
/// workload; None when there is none or it cannot be read.
pub async fn load_balancer_address(cluster: &Cluster, selector: &str) -> Option<String> {
    use k8s_openapi::api::core::v1::Service;
    let api: Api<Service> = Api::all(cluster.client.clone());
    let services = api.list(&ListParams::default().labels(selector).limit(50)).await.ok()?;
    services.items.iter().find_map(|service| {
        let ingress = service.status.as_ref()?.load_balancer.as_ref()?.ingress.as_ref()?;
        ingress.iter().find_map(|i| i.ip.clone().or_else(|| i.hostname.clone()))
    })
}
