//! The resource types the test server serves, and their discovery documents.
//!
//! Only what kubectl-mtls (and the real `kubectl` in the fidelity tests) touch: core v1
//! namespaces, secrets, pods and services; Istio's `networking.istio.io` Gateway at three
//! versions sharing one storage; and the Kubernetes Gateway API's Gateway.

use serde_json::{Value, json};

/// One REST resource: group + plural, with the versions it is served at.
#[derive(Debug, Clone)]
pub struct ResourceType {
    pub group: &'static str,
    pub versions: Vec<&'static str>,
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    /// Custom resources refuse strategic-merge patches with 415, as the real server does.
    pub custom: bool,
}

impl ResourceType {
    pub fn storage_version(&self) -> &'static str {
        self.versions[0]
    }

    pub fn api_version(&self, version: &str) -> String {
        if self.group.is_empty() { version.to_string() } else { format!("{}/{}", self.group, version) }
    }

    /// The `group` part of RBAC messages (`""` for core).
    pub fn rbac_group(&self) -> &'static str {
        self.group
    }
}

/// Which Istio Gateway versions the server offers; tests of old control planes trim this.
#[derive(Debug, Clone)]
pub struct ServedVersions {
    pub istio_gateway: Vec<&'static str>,
}

impl Default for ServedVersions {
    fn default() -> Self {
        ServedVersions { istio_gateway: vec!["v1", "v1beta1", "v1alpha3"] }
    }
}

pub fn catalogue(served: &ServedVersions) -> Vec<ResourceType> {
    let core = |plural, singular, kind, namespaced, short: &'static [&'static str]| ResourceType {
        group: "",
        versions: vec!["v1"],
        plural,
        singular,
        kind,
        namespaced,
        short_names: short,
        custom: false,
    };
    let mut all = vec![
        core("namespaces", "namespace", "Namespace", false, &["ns"]),
        core("secrets", "secret", "Secret", true, &[]),
        core("pods", "pod", "Pod", true, &["po"]),
        core("services", "service", "Service", true, &["svc"]),
        core("configmaps", "configmap", "ConfigMap", true, &["cm"]),
    ];
    if !served.istio_gateway.is_empty() {
        all.push(ResourceType {
            group: "networking.istio.io",
            versions: served.istio_gateway.clone(),
            plural: "gateways",
            singular: "gateway",
            kind: "Gateway",
            namespaced: true,
            short_names: &["gw"],
            custom: true,
        });
    }
    all.push(ResourceType {
        group: "gateway.networking.k8s.io",
        versions: vec!["v1"],
        plural: "gateways",
        singular: "gateway",
        kind: "Gateway",
        namespaced: true,
        short_names: &["gtw"],
        custom: true,
    });
    all
}

const VERBS: &[&str] = &["create", "delete", "get", "list", "patch", "update", "watch"];

pub fn version_document() -> Value {
    json!({
        "major": "1",
        "minor": "33",
        "gitVersion": "v1.33.0-kubectl-mtls-test",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.24.0",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

pub fn core_versions(address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": address}]
    })
}

fn group_document(group: &str, versions: &[&str]) -> Value {
    let entries: Vec<Value> =
        versions.iter().map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v})).collect();
    json!({
        "name": group,
        "versions": entries,
        "preferredVersion": entries[0].clone(),
    })
}

fn groups(catalogue: &[ResourceType]) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut out: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for resource in catalogue.iter().filter(|r| !r.group.is_empty()) {
        match out.iter_mut().find(|(g, _)| *g == resource.group) {
            Some((_, versions)) => {
                for v in &resource.versions {
                    if !versions.contains(v) {
                        versions.push(v);
                    }
                }
            }
            None => out.push((resource.group, resource.versions.clone())),
        }
    }
    out
}

pub fn group_list(catalogue: &[ResourceType]) -> Value {
    let docs: Vec<Value> = groups(catalogue).iter().map(|(g, versions)| group_document(g, versions)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": docs})
}

pub fn group(catalogue: &[ResourceType], name: &str) -> Option<Value> {
    groups(catalogue).iter().find(|(g, _)| *g == name).map(|(g, versions)| {
        let mut doc = group_document(g, versions);
        doc["kind"] = json!("APIGroup");
        doc["apiVersion"] = json!("v1");
        doc
    })
}

pub fn resource_list(catalogue: &[ResourceType], group: &str, version: &str) -> Option<Value> {
    let resources: Vec<Value> = catalogue
        .iter()
        .filter(|r| r.group == group && r.versions.contains(&version))
        .map(|r| {
            json!({
                "name": r.plural,
                "singularName": r.singular,
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": VERBS,
                "shortNames": r.short_names,
                "storageVersionHash": "test",
            })
        })
        .collect();
    if resources.is_empty() {
        return None;
    }
    let group_version = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }))
}
