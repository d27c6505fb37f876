//! Istio Gateway semantics, pure: reading `spec.servers[]`, choosing a server, the TLS modes
//! under which `subjectAltNames` mean anything, and the JSON patch that edits only one
//! server's SAN list.

use serde::Serialize;
use serde_json::{Value, json};

use crate::pki::san::San;

/// `spec.servers[].tls.mode`. PASSTHROUGH is Istio's default when no mode is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMode {
    Passthrough,
    Simple,
    Mutual,
    AutoPassthrough,
    IstioMutual,
    OptionalMutual,
    /// A mode this version of the plugin does not know.
    Other(String),
}

impl TlsMode {
    fn parse(text: &str) -> TlsMode {
        match text {
            "PASSTHROUGH" => TlsMode::Passthrough,
            "SIMPLE" => TlsMode::Simple,
            "MUTUAL" => TlsMode::Mutual,
            "AUTO_PASSTHROUGH" => TlsMode::AutoPassthrough,
            "ISTIO_MUTUAL" => TlsMode::IstioMutual,
            "OPTIONAL_MUTUAL" => TlsMode::OptionalMutual,
            other => TlsMode::Other(other.to_string()),
        }
    }

    /// `subjectAltNames` only take effect with MUTUAL and OPTIONAL_MUTUAL.
    pub fn uses_sans(&self) -> bool {
        matches!(self, TlsMode::Mutual | TlsMode::OptionalMutual)
    }
}

/// Serialised as Istio spells it (`MUTUAL`), so `-o json` matches the Gateway.
impl Serialize for TlsMode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl std::fmt::Display for TlsMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TlsMode::Passthrough => "PASSTHROUGH",
            TlsMode::Simple => "SIMPLE",
            TlsMode::Mutual => "MUTUAL",
            TlsMode::AutoPassthrough => "AUTO_PASSTHROUGH",
            TlsMode::IstioMutual => "ISTIO_MUTUAL",
            TlsMode::OptionalMutual => "OPTIONAL_MUTUAL",
            TlsMode::Other(other) => other,
        })
    }
}

/// One entry of `spec.servers`, as far as SANs are concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GatewayServer {
    /// Position in `spec.servers`.
    pub index: usize,
    pub port: Option<u64>,
    pub port_name: Option<String>,
    pub protocol: Option<String>,
    /// The server's own optional `name`.
    pub name: Option<String>,
    pub hosts: Vec<String>,
    /// None when the server has no `tls` block (plain HTTP).
    pub mode: Option<TlsMode>,
    pub credential: Option<String>,
    pub allowed_sans: Vec<String>,
}

impl GatewayServer {
    /// `443/https`, `443`, or `#2` when the port is missing.
    pub fn label(&self) -> String {
        match (&self.port, &self.port_name) {
            (Some(port), Some(name)) => format!("{port}/{name}"),
            (Some(port), None) => port.to_string(),
            (None, Some(name)) => name.clone(),
            (None, None) => format!("#{}", self.index + 1),
        }
    }

    pub fn mode_label(&self) -> String {
        self.mode.as_ref().map_or_else(|| "none (plain text)".to_string(), ToString::to_string)
    }

    /// `443/https [httpbin.example.com] MUTUAL`, for pick lists and errors.
    pub fn summary(&self) -> String {
        format!("{} [{}] {}", self.label(), self.hosts.join(", "), self.mode_label())
    }

    /// The explanation of why this server's mode ignores SANs, or None if it uses them.
    pub fn sans_ignored_because(&self) -> Option<String> {
        match &self.mode {
            Some(mode) if mode.uses_sans() => None,
            None => Some("it has no tls block, so it serves plain text and sees no client certificate".into()),
            Some(TlsMode::Simple) => Some("its tls.mode is SIMPLE, which asks clients for no certificate".into()),
            Some(TlsMode::Passthrough) | Some(TlsMode::AutoPassthrough) => {
                Some(format!("its tls.mode is {}, so TLS is not terminated at the gateway", self.mode_label()))
            }
            Some(TlsMode::IstioMutual) => {
                Some("its tls.mode is ISTIO_MUTUAL, which uses Istio's own mesh certificates".into())
            }
            Some(other) => Some(format!("its tls.mode {other} is not one this plugin knows to use SANs")),
        }
    }
}

fn text(value: &Value, pointer: &str) -> Option<String> {
    value.pointer(pointer).and_then(Value::as_str).map(str::to_string)
}

/// Every server of a Gateway object.
pub fn servers(gateway: &Value) -> Vec<GatewayServer> {
    let Some(list) = gateway.pointer("/spec/servers").and_then(Value::as_array) else {
        return vec![];
    };
    list.iter()
        .enumerate()
        .map(|(index, server)| {
            let tls = server.get("tls");
            GatewayServer {
                index,
                port: server.pointer("/port/number").and_then(Value::as_u64),
                port_name: text(server, "/port/name"),
                protocol: text(server, "/port/protocol"),
                name: text(server, "/name"),
                hosts: server
                    .get("hosts")
                    .and_then(Value::as_array)
                    .map(|h| h.iter().filter_map(Value::as_str).map(str::to_string).collect())
                    .unwrap_or_default(),
                mode: tls.map(|t| TlsMode::parse(t.get("mode").and_then(Value::as_str).unwrap_or("PASSTHROUGH"))),
                credential: tls.and_then(|t| text(t, "/credentialName")),
                allowed_sans: tls
                    .and_then(|t| t.get("subjectAltNames"))
                    .and_then(Value::as_array)
                    .map(|l| l.iter().filter_map(Value::as_str).map(str::to_string).collect())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// How the user named the server(s) to edit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ServerSelector {
    /// No selector: the only mutual-TLS server, or ask.
    #[default]
    Auto,
    Port(u64),
    /// The server's `name` or its `port.name`.
    Name(String),
    Host(String),
    All,
}

/// The outcome of selection before any prompting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    Chosen(Vec<GatewayServer>),
    /// Several candidates and no selector: a person must pick (or pass a flag).
    Ambiguous(Vec<GatewayServer>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    #[error("gateway {gateway} has no servers")]
    NoServers { gateway: String },
    #[error("gateway {gateway} has no server {wanted}; its servers: {available}")]
    NotFound { gateway: String, wanted: String, available: String },
    #[error(
        "gateway {gateway} has no server that verifies client certificates (tls.mode MUTUAL or OPTIONAL_MUTUAL); its servers: {available}. \
         SANs only take effect on such a server: switch one with `kubectl mtls create NAME --gateway {gateway}`"
    )]
    NoMutual { gateway: String, available: String },
    #[error(
        "cannot edit SANs of gateway {gateway} server {server}: {why}; Envoy would ignore them. \
         Switch the server to MUTUAL with `kubectl mtls create NAME --gateway {gateway} --port PORT` first"
    )]
    SansIgnored { gateway: String, server: String, why: String },
}

fn available(servers: &[GatewayServer]) -> String {
    servers.iter().map(GatewayServer::summary).collect::<Vec<_>>().join("; ")
}

/// Chooses the servers to edit; refuses servers whose mode ignores SANs.
pub fn select(gateway: &str, servers: &[GatewayServer], selector: &ServerSelector) -> Result<Selection, SelectError> {
    if servers.is_empty() {
        return Err(SelectError::NoServers { gateway: gateway.into() });
    }
    let mutual: Vec<GatewayServer> = servers.iter().filter(|s| s.sans_ignored_because().is_none()).cloned().collect();
    let matching: Vec<GatewayServer> = match selector {
        ServerSelector::Auto | ServerSelector::All => {
            if mutual.is_empty() {
                return Err(SelectError::NoMutual { gateway: gateway.into(), available: available(servers) });
            }
            return Ok(match (selector, mutual.len()) {
                (ServerSelector::All, _) | (_, 1) => Selection::Chosen(mutual),
                _ => Selection::Ambiguous(mutual),
            });
        }
        ServerSelector::Port(port) => servers.iter().filter(|s| s.port == Some(*port)).cloned().collect(),
        ServerSelector::Name(name) => servers
            .iter()
            .filter(|s| s.name.as_deref() == Some(name) || s.port_name.as_deref() == Some(name))
            .cloned()
            .collect(),
        ServerSelector::Host(host) => {
            servers.iter().filter(|s| s.hosts.iter().any(|h| host_matches(h, host))).cloned().collect()
        }
    };
    let wanted = match selector {
        ServerSelector::Port(p) => format!("on port {p}"),
        ServerSelector::Name(n) => format!("named {n}"),
        ServerSelector::Host(h) => format!("for host {h}"),
        _ => String::new(),
    };
    if matching.is_empty() {
        return Err(SelectError::NotFound { gateway: gateway.into(), wanted, available: available(servers) });
    }
    let usable: Vec<GatewayServer> = matching.iter().filter(|s| s.sans_ignored_because().is_none()).cloned().collect();
    match usable.len() {
        0 => {
            let server = &matching[0];
            Err(SelectError::SansIgnored {
                gateway: gateway.into(),
                server: server.label(),
                why: server.sans_ignored_because().unwrap_or_default(),
            })
        }
        1 => Ok(Selection::Chosen(usable)),
        _ => Ok(Selection::Ambiguous(usable)),
    }
}

/// A Gateway `hosts` entry (`ns/host`, `*/host`, `*.example.com`, `*`) against a host name.
fn host_matches(entry: &str, host: &str) -> bool {
    let pattern = entry.split_once('/').map_or(entry, |(_, h)| h);
    if pattern == "*" || pattern.eq_ignore_ascii_case(host) {
        return true;
    }
    pattern.strip_prefix("*.").is_some_and(|suffix| {
        host.len() > suffix.len() + 1
            && host[host.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
            && host.as_bytes()[host.len() - suffix.len() - 1] == b'.'
    })
}

/// What an edit does to one server's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SanEdit {
    pub before: Vec<String>,
    pub after: Vec<String>,
    /// Entries asked for that were already there (allow) or absent (disallow).
    pub unchanged: Vec<String>,
    pub changed: Vec<String>,
}

impl SanEdit {
    pub fn is_noop(&self) -> bool {
        self.changed.is_empty()
    }

    /// The allow-list becomes empty: every CA-signed client is then accepted.
    pub fn empties_the_list(&self) -> bool {
        !self.before.is_empty() && self.after.is_empty()
    }
}

/// Appends the SANs not yet present (Envoy's notion of "the same": DNS ignores case).
pub fn add_sans(current: &[String], sans: &[San]) -> SanEdit {
    let mut after = current.to_vec();
    let (mut unchanged, mut changed) = (vec![], vec![]);
    for san in sans {
        if after.iter().any(|entry| san.same_entry(entry)) {
            unchanged.push(san.value.clone());
        } else {
            after.push(san.value.clone());
            changed.push(san.value.clone());
        }
    }
    SanEdit { before: current.to_vec(), after, unchanged, changed }
}

/// Removes every entry matching one of the SANs.
pub fn remove_sans(current: &[String], sans: &[San]) -> SanEdit {
    let mut after = Vec::new();
    let mut changed = Vec::new();
    for entry in current {
        if sans.iter().any(|san| san.same_entry(entry)) {
            changed.push(entry.clone());
        } else {
            after.push(entry.clone());
        }
    }
    let unchanged =
        sans.iter().filter(|san| !current.iter().any(|e| san.same_entry(e))).map(|s| s.value.clone()).collect();
    SanEdit { before: current.to_vec(), after, unchanged, changed }
}

/// One server's list edit, for [`san_patch`].
#[derive(Debug, Clone, Copy)]
pub struct ServerEdit<'a> {
    pub index: usize,
    pub edit: &'a SanEdit,
    /// Whether the server has a `tls.subjectAltNames` field now.
    pub had_field: bool,
}

/// A JSON patch that sets the SAN lists of some servers, guarded by `test` operations on the
/// resourceVersion and on each list as it was read, so a concurrent change makes it fail
/// instead of being overwritten. An empty list removes the field.
pub fn san_patch(resource_version: &str, edits: &[ServerEdit<'_>]) -> Value {
    let mut operations = vec![json!({"op": "test", "path": "/metadata/resourceVersion", "value": resource_version})];
    for ServerEdit { index, edit, had_field } in edits {
        let path = format!("/spec/servers/{index}/tls/subjectAltNames");
        if *had_field {
            operations.push(json!({"op": "test", "path": path, "value": edit.before}));
        }
        match (had_field, edit.after.is_empty()) {
            (true, true) => operations.push(json!({"op": "remove", "path": path})),
            (true, false) => operations.push(json!({"op": "replace", "path": path, "value": edit.after})),
            (false, false) => operations.push(json!({"op": "add", "path": path, "value": edit.after})),
            (false, true) => {}
        }
    }
    Value::Array(operations)
}

/// The Gateway as the patch would leave it, computed locally (for `--dry-run=client`).
pub fn apply_edits(gateway: &Value, edits: &[ServerEdit<'_>]) -> Value {
    let mut result = gateway.clone();
    for ServerEdit { index, edit, .. } in edits {
        if let Some(tls) = result.pointer_mut(&format!("/spec/servers/{index}/tls")).and_then(Value::as_object_mut) {
            if edit.after.is_empty() {
                tls.remove("subjectAltNames");
            } else {
                tls.insert("subjectAltNames".into(), json!(edit.after));
            }
        }
    }
    result
}

/// Chooses the server `create` points at the credential: by port, else by host, else the only
/// server that speaks HTTPS or TLS.
pub fn select_for_credential(
    gateway: &str,
    servers: &[GatewayServer],
    port: Option<u64>,
    host: Option<&str>,
) -> Result<Selection, SelectError> {
    if servers.is_empty() {
        return Err(SelectError::NoServers { gateway: gateway.into() });
    }
    let terminating =
        |s: &&GatewayServer| matches!(s.protocol.as_deref(), Some("HTTPS") | Some("TLS")) || s.mode.is_some();
    let (candidates, wanted): (Vec<GatewayServer>, String) = match (port, host) {
        (Some(port), _) => {
            (servers.iter().filter(|s| s.port == Some(port)).cloned().collect(), format!("on port {port}"))
        }
        (None, Some(host)) => {
            let all: Vec<GatewayServer> = servers.iter().filter(terminating).cloned().collect();
            let for_host: Vec<GatewayServer> =
                all.iter().filter(|s| s.hosts.iter().any(|h| host_matches(h, host))).cloned().collect();
            (if for_host.is_empty() { all } else { for_host }, "serving HTTPS or TLS".to_string())
        }
        (None, None) => (servers.iter().filter(terminating).cloned().collect(), "serving HTTPS or TLS".to_string()),
    };
    match candidates.len() {
        0 => Err(SelectError::NotFound { gateway: gateway.into(), wanted, available: available(servers) }),
        1 => Ok(Selection::Chosen(candidates)),
        _ => Ok(Selection::Ambiguous(candidates)),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialPatchError {
    #[error(
        "gateway {gateway} server {server} uses tls.{field}, which excludes credentialName: edit it by hand, or choose another server with --port"
    )]
    OtherCredentialField { gateway: String, server: String, field: &'static str },
}

/// A JSON patch that sets a server to `tls.mode: MUTUAL` with `credentialName`, keeping every
/// other TLS field (subjectAltNames included); guarded by `test` operations. None when the
/// server is already so.
pub fn credential_patch(
    gateway_name: &str,
    gateway: &Value,
    server: &GatewayServer,
    credential: &str,
) -> Result<Option<Value>, CredentialPatchError> {
    let base = format!("/spec/servers/{}", server.index);
    let tls = gateway.pointer(&format!("{base}/tls"));
    for field in ["credentialNames", "tlsCertificates"] {
        if tls.and_then(|t| t.get(field)).is_some() {
            return Err(CredentialPatchError::OtherCredentialField {
                gateway: gateway_name.into(),
                server: server.label(),
                field,
            });
        }
    }
    if server.mode == Some(TlsMode::Mutual) && server.credential.as_deref() == Some(credential) {
        return Ok(None);
    }
    let revision = gateway.pointer("/metadata/resourceVersion").and_then(Value::as_str).unwrap_or("");
    let mut operations = vec![json!({"op": "test", "path": "/metadata/resourceVersion", "value": revision})];
    match tls {
        None => operations.push(json!({"op": "add", "path": format!("{base}/tls"), "value": {"mode": "MUTUAL", "credentialName": credential}})),
        Some(_) => {
            operations.push(json!({"op": "add", "path": format!("{base}/tls/mode"), "value": "MUTUAL"}));
            operations.push(json!({"op": "add", "path": format!("{base}/tls/credentialName"), "value": credential}));
        }
    }
    Ok(Some(Value::Array(operations)))
}

/// The object a JSON patch would produce, computed locally (for `--dry-run=client`). A patch
/// that does not apply leaves the object as it was.
pub fn apply_json_patch(object: &Value, patch: &Value) -> Value {
    let mut result = object.clone();
    if let Ok(operations) = serde_json::from_value::<json_patch::Patch>(patch.clone())
        && json_patch::patch(&mut result, &operations).is_err()
    {
        return object.clone();
    }
    result
}

/// The Gateway's `spec.selector` as a label selector (`k=v,k2=v2`): it picks the gateway
/// workload's pods. None when the Gateway has no selector.
pub fn workload_selector(gateway: &Value) -> Option<String> {
    let pairs: Vec<String> = gateway
        .pointer("/spec/selector")?
        .as_object()?
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|v| format!("{k}={v}")))
        .collect();
    (!pairs.is_empty()).then(|| pairs.join(","))
}

/// Whether the server at `index` has a `tls.subjectAltNames` field at all.
pub fn has_san_field(gateway: &Value, index: usize) -> bool {
    gateway.pointer(&format!("/spec/servers/{index}/tls/subjectAltNames")).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::san;

    fn gateway() -> Value {
        json!({"spec": {"servers": [
            {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]},
            {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": ["ns/httpbin.example.com"],
             "tls": {"mode": "MUTUAL", "credentialName": "cred", "subjectAltNames": ["a.example.com"]}},
            {"port": {"number": 8443, "name": "simple", "protocol": "HTTPS"}, "hosts": ["*.example.org"],
             "tls": {"mode": "SIMPLE", "credentialName": "other"}},
            {"name": "partners", "port": {"number": 9443, "name": "https-partners", "protocol": "HTTPS"}, "hosts": ["partners.example.com"],
             "tls": {"mode": "OPTIONAL_MUTUAL", "credentialName": "cred"}}
        ]}})
    }

    fn chosen(selection: Selection) -> Vec<usize> {
        match selection {
            Selection::Chosen(list) => list.iter().map(|s| s.index).collect(),
            Selection::Ambiguous(list) => panic!("ambiguous: {list:?}"),
        }
    }

    #[test]
    fn reads_servers() {
        let servers = servers(&gateway());
        assert_eq!(servers.len(), 4);
        assert_eq!(servers[0].mode, None);
        assert_eq!(servers[1].mode, Some(TlsMode::Mutual));
        assert_eq!(servers[1].allowed_sans, ["a.example.com"]);
        assert_eq!(servers[1].label(), "443/https");
        let no_mode = servers_of(json!({"tls": {"credentialName": "x"}}));
        assert_eq!(no_mode[0].mode, Some(TlsMode::Passthrough), "PASSTHROUGH is the default mode");
    }

    fn servers_of(server: Value) -> Vec<GatewayServer> {
        servers(&json!({"spec": {"servers": [server]}}))
    }

    #[test]
    fn selection_in_all_its_cases() {
        let all = servers(&gateway());
        assert!(matches!(select("gw", &all, &ServerSelector::Auto), Ok(Selection::Ambiguous(l)) if l.len() == 2));
        assert_eq!(chosen(select("gw", &all, &ServerSelector::All).unwrap()), [1, 3]);
        assert_eq!(chosen(select("gw", &all, &ServerSelector::Port(443)).unwrap()), [1]);
        assert_eq!(chosen(select("gw", &all, &ServerSelector::Name("partners".into())).unwrap()), [3]);
        assert_eq!(chosen(select("gw", &all, &ServerSelector::Name("https-partners".into())).unwrap()), [3]);
        assert_eq!(chosen(select("gw", &all, &ServerSelector::Host("HTTPBIN.example.com".into())).unwrap()), [1]);
        let only_one = &all[..2];
        assert_eq!(chosen(select("gw", only_one, &ServerSelector::Auto).unwrap()), [1]);
        assert!(matches!(select("gw", &all, &ServerSelector::Port(1)), Err(SelectError::NotFound { .. })));
        let err = select("gw", &all, &ServerSelector::Port(8443)).unwrap_err();
        assert!(err.to_string().contains("its tls.mode is SIMPLE"), "{err}");
        let err = select("gw", &all, &ServerSelector::Port(80)).unwrap_err();
        assert!(err.to_string().contains("no tls block"), "{err}");
        assert!(matches!(select("gw", &all[..1], &ServerSelector::Auto), Err(SelectError::NoMutual { .. })));
        assert!(matches!(select("gw", &[], &ServerSelector::Auto), Err(SelectError::NoServers { .. })));
    }

    #[test]
    fn hosts_match_like_istio() {
        assert!(host_matches("*", "a.b"));
        assert!(host_matches("ns/a.example.com", "a.example.com"));
        assert!(host_matches("*.example.com", "a.example.com"));
        assert!(!host_matches("*.example.com", "example.com"));
        assert!(!host_matches("*.example.com", "aexample.com"));
    }

    #[test]
    fn edits_are_idempotent_and_case_aware() {
        let current = vec!["A.example.com".to_string(), "spiffe://td/x".to_string()];
        let add = add_sans(&current, &[san::parse("a.EXAMPLE.com").unwrap(), san::parse("b.example.com").unwrap()]);
        assert_eq!(add.after, ["A.example.com", "spiffe://td/x", "b.example.com"]);
        assert_eq!(add.unchanged, ["a.EXAMPLE.com"]);
        let remove =
            remove_sans(&current, &[san::parse("a.example.com").unwrap(), san::parse("c.example.com").unwrap()]);
        assert_eq!(remove.after, ["spiffe://td/x"]);
        assert_eq!(remove.changed, ["A.example.com"]);
        assert_eq!(remove.unchanged, ["c.example.com"]);
        let all_gone = remove_sans(&remove.after, &[san::parse("spiffe://td/x").unwrap()]);
        assert!(all_gone.empties_the_list());
    }

    #[test]
    fn patch_tests_before_it_writes() {
        let edit = add_sans(&["a".to_string()], &[san::parse("b.example").unwrap()]);
        let patch = san_patch("42", &[ServerEdit { index: 1, edit: &edit, had_field: true }]);
        assert_eq!(
            patch,
            json!([
                {"op": "test", "path": "/metadata/resourceVersion", "value": "42"},
                {"op": "test", "path": "/spec/servers/1/tls/subjectAltNames", "value": ["a"]},
                {"op": "replace", "path": "/spec/servers/1/tls/subjectAltNames", "value": ["a", "b.example"]}
            ])
        );
        let first = add_sans(&[], &[san::parse("b.example").unwrap()]);
        assert_eq!(san_patch("1", &[ServerEdit { index: 0, edit: &first, had_field: false }])[1]["op"], "add");
        let emptied = remove_sans(&["b.example".to_string()], &[san::parse("b.example").unwrap()]);
        let patch = san_patch("1", &[ServerEdit { index: 0, edit: &emptied, had_field: true }]);
        assert_eq!(patch[2], json!({"op": "remove", "path": "/spec/servers/0/tls/subjectAltNames"}));
        let gateway = json!({"spec": {"servers": [{"tls": {"mode": "MUTUAL", "subjectAltNames": ["b.example"]}}]}});
        let after = apply_edits(&gateway, &[ServerEdit { index: 0, edit: &emptied, had_field: true }]);
        assert_eq!(after, json!({"spec": {"servers": [{"tls": {"mode": "MUTUAL"}}]}}));
    }
}
