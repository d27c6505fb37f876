//! The one edit behind `allow` and `disallow`: read the Gateway, choose the server, change
//! only its `tls.subjectAltNames`, and write with a JSON patch whose `test` operations make a
//! concurrent change fail instead of being overwritten; then re-read and try again, bounded.
//! Uncontended, that is exactly two requests: one GET and one PATCH.

use std::time::Duration;

use serde_json::Value;

use super::{Outcome, print_stdout};
use crate::cli::{DryRun, ObjectFormat, SanEditArgs, ServerArgs};
use crate::cluster::ClusterError;
use crate::cluster::gateways::{Gateways, Write};
use crate::context::Context;
use crate::error::Error;
use crate::istio::gateway::{self, GatewayServer, SanEdit, Selection, ServerEdit, ServerSelector, TlsMode};
use crate::pki::san::{self, San};
use crate::render;

/// Enough for twenty concurrent editors of one Gateway to all get through.
pub const MAX_EDIT_ATTEMPTS: u32 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Allow,
    Disallow,
}

pub async fn run(context: &Context, args: &SanEditArgs, direction: Direction) -> Result<Outcome, Error> {
    let namespace = context.object_namespace().await?;
    let name = match &args.gateway {
        Some(name) => name.clone(),
        None => pick_gateway(context, &Gateways::new(context.cluster().await?), &namespace).await?,
    };
    let sans = read_sans(context, &args.sans, direction)?;
    let done = edit(context, &namespace, &name, &sans, &selector(&args.server), direction, args.write.dry_run).await?;
    let text = match args.write.output {
        Some(ObjectFormat::Json) => render::structured::json(&done.object)?,
        Some(ObjectFormat::Yaml) => render::structured::yaml(&done.object)?,
        None => render::gateways::edit_summary(&done.gateway, &done.edits, direction == Direction::Allow, done.dry_run),
    };
    print_stdout(&text)?;
    Ok(Outcome::Success)
}

/// What an edit did (or, in a dry run, would do).
pub struct Edited {
    pub gateway: String,
    pub edits: Vec<(GatewayServer, SanEdit)>,
    /// The Gateway as it is (or would be) after the edit.
    pub object: Value,
    pub dry_run: bool,
}

/// Reads, chooses the servers, edits, writes; re-reads and retries on conflict.
pub async fn edit(
    context: &Context,
    namespace: &str,
    name: &str,
    sans: &[San],
    selector: &ServerSelector,
    direction: Direction,
    dry_run: DryRun,
) -> Result<Edited, Error> {
    let gateways = Gateways::new(context.cluster().await?);
    let qualified = format!("{namespace}/{name}");
    let mut chosen: Option<Vec<(usize, String)>> = None;
    let mut confirmed_empty = false;
    let mut rejected: Option<(String, ClusterError)> = None;
    for attempt in 1..=MAX_EDIT_ATTEMPTS {
        let current = match gateways.get(namespace, name).await {
            Err(e) if e.is_not_found() => {
                return Err(Error::GatewayNotFound { namespace: namespace.to_string(), name: name.to_string() });
            }
            other => other?,
        };
        let revision = current.pointer("/metadata/resourceVersion").and_then(Value::as_str).unwrap_or("").to_string();
        if let Some((rejected_at, error)) = rejected.take() {
            // The patch was refused although nobody changed the Gateway: a real rejection.
            if rejected_at == revision {
                return Err(error.into());
            }
        }
        let servers = gateway::servers(&current);
        let targets = match &chosen {
            None => {
                let picked = choose_servers(context, &qualified, &servers, selector)?;
                chosen = Some(picked.iter().map(|s| (s.index, s.label())).collect());
                picked
            }
            Some(previous) => same_servers(&qualified, &servers, previous)?,
        };
        let edits: Vec<(GatewayServer, SanEdit)> = targets
            .into_iter()
            .map(|server| {
                let edit = match direction {
                    Direction::Allow => gateway::add_sans(&server.allowed_sans, sans),
                    Direction::Disallow => gateway::remove_sans(&server.allowed_sans, sans),
                };
                (server, edit)
            })
            .collect();
        if attempt == 1 {
            warn_optional_mutual(&qualified, &edits);
        }
        if edits.iter().all(|(_, edit)| edit.is_noop()) {
            return Ok(Edited { gateway: qualified, edits, object: current, dry_run: false });
        }
        if !confirmed_empty {
            for (server, _) in edits.iter().filter(|(_, e)| e.empties_the_list()) {
                confirm_empty(context, &qualified, server)?;
            }
            confirmed_empty = true;
        }
        let server_edits: Vec<ServerEdit<'_>> = edits
            .iter()
            .map(|(server, edit)| ServerEdit {
                index: server.index,
                edit,
                had_field: gateway::has_san_field(&current, server.index),
            })
            .collect();
        let write = match dry_run {
            DryRun::Client => {
                let object = gateway::apply_edits(&current, &server_edits);
                return Ok(Edited { gateway: qualified, edits, object, dry_run: true });
            }
            DryRun::Server => Write::ServerDryRun,
            DryRun::None => Write::Real,
        };
        let patch = gateway::san_patch(&revision, &server_edits);
        match gateways.patch(namespace, name, &patch, write).await {
            Ok(object) => {
                return Ok(Edited { gateway: qualified, edits, object, dry_run: write == Write::ServerDryRun });
            }
            Err(ClusterError::Conflict { .. }) => {}
            // A failed `test` is a 422; it is a conflict if the Gateway has changed since.
            Err(error @ ClusterError::Api { code: 422, .. }) => rejected = Some((revision, error)),
            Err(other) => return Err(other.into()),
        }
        tokio::time::sleep(jitter(attempt)).await;
    }
    Err(Error::EditGaveUp { gateway: qualified, attempts: MAX_EDIT_ATTEMPTS })
}

pub fn selector(args: &ServerArgs) -> ServerSelector {
    match args {
        ServerArgs { port: Some(port), .. } => ServerSelector::Port(u64::from(*port)),
        ServerArgs { server_name: Some(name), .. } => ServerSelector::Name(name.clone()),
        ServerArgs { host: Some(host), .. } => ServerSelector::Host(host.clone()),
        ServerArgs { all_servers: true, .. } => ServerSelector::All,
        _ => ServerSelector::Auto,
    }
}

fn read_sans(context: &Context, given: &[String], direction: Direction) -> Result<Vec<San>, Error> {
    if given.is_empty() {
        let (what, prompt) = match direction {
            Direction::Allow => ("SAN", "Client SAN to allow"),
            Direction::Disallow => ("SAN", "Client SAN to disallow"),
        };
        let how = "one or more SANs after the gateway name";
        return Ok(context.prompter.input_many(what, how, prompt, |text| san::parse(text).map_err(|e| e.reason))?);
    }
    let (good, bad): (Vec<_>, Vec<_>) = given.iter().map(|text| san::parse(text)).partition(Result::is_ok);
    if !bad.is_empty() {
        return Err(Error::BadSans(bad.into_iter().filter_map(Result::err).collect()));
    }
    Ok(good.into_iter().filter_map(Result::ok).collect())
}

async fn pick_gateway(context: &Context, gateways: &Gateways<'_>, namespace: &str) -> Result<String, Error> {
    let how = "the Gateway name: kubectl mtls allow GATEWAY SAN...";
    // Fail before listing: the answer does not depend on the cluster.
    context.prompter.require_terminal("GATEWAY", how)?;
    let names: Vec<String> = gateways
        .list(Some(namespace))
        .await?
        .iter()
        .filter_map(|g| g.pointer("/metadata/name").and_then(Value::as_str).map(str::to_string))
        .collect();
    let index = context.prompter.select(&format!("a Gateway in {namespace}"), how, &names)?;
    Ok(names[index].clone())
}

fn choose_servers(
    context: &Context,
    gateway: &str,
    servers: &[GatewayServer],
    selector: &ServerSelector,
) -> Result<Vec<GatewayServer>, Error> {
    match gateway::select(gateway, servers, selector)? {
        Selection::Chosen(list) => Ok(list),
        Selection::Ambiguous(candidates) => {
            let labels: Vec<String> = candidates.iter().map(GatewayServer::summary).collect();
            let how = format!(
                "--port, --server-name, --host or --all-servers; gateway {gateway} has several mutual-TLS servers: {}",
                labels.join("; ")
            );
            let index = context.prompter.select(&format!("a server of gateway {gateway}"), &how, &labels)?;
            Ok(vec![candidates[index].clone()])
        }
    }
}

/// On a retry, the servers chosen first, provided they are still where they were.
fn same_servers(
    gateway: &str,
    servers: &[GatewayServer],
    chosen: &[(usize, String)],
) -> Result<Vec<GatewayServer>, Error> {
    chosen
        .iter()
        .map(|(index, label)| {
            servers
                .get(*index)
                .filter(|s| s.label() == *label && s.sans_ignored_because().is_none())
                .cloned()
                .ok_or_else(|| Error::GatewayReshaped { gateway: gateway.to_string() })
        })
        .collect()
}

fn warn_optional_mutual(gateway: &str, edits: &[(GatewayServer, SanEdit)]) {
    for (server, _) in edits.iter().filter(|(s, _)| s.mode == Some(TlsMode::OptionalMutual)) {
        eprintln!(
            "warning: gateway {gateway} server {} is OPTIONAL_MUTUAL: clients that present no certificate still get in; only certificates that are presented are checked against the SANs",
            server.label()
        );
    }
}

fn confirm_empty(context: &Context, gateway: &str, server: &GatewayServer) -> Result<(), Error> {
    let consequence = format!(
        "this empties the allow-list of gateway {gateway} server {}: an empty list accepts every client certificate signed by the CA",
        server.label()
    );
    if context.prompter.confirm(&consequence)? { Ok(()) } else { Err(Error::Declined) }
}

/// 10–60 ms, growing with the attempt, spread so concurrent editors do not retry in step.
fn jitter(attempt: u32) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(attempt);
    let spread = hasher.finish() % 50;
    Duration::from_millis(10 + spread + u64::from(attempt.min(10)) * 5)
}
