//! The human forms of `list` and of `allow`/`disallow` results.

use comfy_table::{Table, presets};
use serde::Serialize;

use crate::istio::gateway::{GatewayServer, SanEdit};

/// One Gateway and its servers: the `list -o json|yaml` schema.
#[derive(Debug, Clone, Serialize)]
pub struct GatewayRow {
    pub namespace: String,
    pub gateway: String,
    pub servers: Vec<GatewayServer>,
}

/// What a server's allow-list means, in a few words.
pub fn allowed(server: &GatewayServer) -> String {
    match (server.allowed_sans.is_empty(), server.sans_ignored_because().is_none()) {
        (false, _) => server.allowed_sans.join(", "),
        (true, true) => "any CA-signed client".to_string(),
        (true, false) => "-".to_string(),
    }
}

fn warning(server: &GatewayServer) -> String {
    match server.sans_ignored_because() {
        Some(_) if !server.allowed_sans.is_empty() => format!("SANs ignored: tls.mode is {}", server.mode_label()),
        None if server.mode == Some(crate::istio::gateway::TlsMode::OptionalMutual) => {
            "clients without a certificate get in".to_string()
        }
        _ => String::new(),
    }
}

pub fn table(rows: &[GatewayRow], scope: &str) -> String {
    if rows.is_empty() {
        return format!("No Istio Gateways found in {scope}.\n");
    }
    let mut table = Table::new();
    table.load_style(presets::NOTHING).force_no_tty();
    table.set_header(["NAMESPACE", "GATEWAY", "SERVER", "HOSTS", "MODE", "CREDENTIAL", "ALLOWED SANS", "WARNING"]);
    for row in rows {
        if row.servers.is_empty() {
            table.add_row([row.namespace.as_str(), row.gateway.as_str(), "-", "-", "-", "-", "-", "no servers"]);
        }
        for server in &row.servers {
            table.add_row([
                row.namespace.clone(),
                row.gateway.clone(),
                server.label(),
                server.hosts.join(","),
                server.mode_label(),
                server.credential.clone().unwrap_or_else(|| "-".into()),
                allowed(server),
                warning(server),
            ]);
        }
    }
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    let mut text: String = table.to_string().lines().map(|l| l.trim_end().to_string() + "\n").collect();
    if text.ends_with("\n\n") {
        text.pop();
    }
    text
}

/// `gateway default/httpbin server 443/https: allowed b.example.com …`.
pub fn edit_summary(gateway: &str, edits: &[(GatewayServer, SanEdit)], allow: bool, dry_run: bool) -> String {
    let prefix = if dry_run { "(dry run) " } else { "" };
    let mut out = String::new();
    for (server, edit) in edits {
        let head = format!("{prefix}gateway {gateway} server {}", server.label());
        if edit.changed.is_empty() {
            out.push_str(&format!("{head}: nothing to change\n"));
        } else {
            let verb = if allow { "allowed" } else { "disallowed" };
            out.push_str(&format!("{head}: {verb} {}\n", edit.changed.join(", ")));
        }
        if !edit.unchanged.is_empty() {
            let why = if allow { "already allowed" } else { "not in the list" };
            out.push_str(&format!("  {why}: {}\n", edit.unchanged.join(", ")));
        }
        let now = if edit.after.is_empty() {
            "empty: every client certificate signed by the CA is accepted".to_string()
        } else {
            edit.after.join(", ")
        };
        out.push_str(&format!("  allow-list now: {now}\n"));
    }
    out
}
