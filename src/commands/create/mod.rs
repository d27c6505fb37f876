//! `kubectl mtls create NAME --host HOST...`: writes, in this order, the CA Secret
//! `NAME-mtls-ca` (unless the CA key goes to a file or is brought), the credential Secret
//! `NAME` (tls.crt, tls.key, ca.crt), and with `--gateway` a JSON patch that sets one server to
//! MUTUAL with `credentialName: NAME`. Each step is idempotent, so a re-run after a failure
//! completes the job; what was done before a failure is reported with the error.

use k8s_openapi::api::core::v1::Secret;
use serde_json::{Value, json};

mod objects;

use objects::{CaOrigin, ca_secret_object, credential_object, to_value};
pub use objects::{ca_from_secret, ca_secret_name};

use super::{Outcome, print_stdout};
use crate::cli::{CreateArgs, DryRun, ObjectFormat};
use crate::cluster::gateways::{Gateways, Write};
use crate::cluster::{ClusterError, secrets, workloads};
use crate::context::{Context, DEFAULT_CREDENTIAL_NAMESPACE};
use crate::error::Error;
use crate::files;
use crate::istio::gateway::{self, GatewayServer, Selection};
use crate::pki::issue::{self, Ca, KeyType};
use crate::pki::{inspect, key, pem, verify};
use crate::render;

/// A gateway named on the command line, with its server chosen.
struct GatewayTarget {
    namespace: String,
    name: String,
    object: Value,
    server: GatewayServer,
}

pub async fn run(context: &Context, args: &CreateArgs) -> Result<Outcome, Error> {
    let name = match &args.name {
        Some(name) => name.clone(),
        None => {
            context.prompter.input_one("NAME", "the credential name: kubectl mtls create NAME", "Credential name")?
        }
    };
    if name.ends_with(crate::istio::credential::CACERT_SUFFIX) {
        return Err(Error::Invalid(format!(
            "a credential cannot be named {name}: Istio reads *-cacert Secrets as CA bundles; choose another name"
        )));
    }
    if let Some(path) = &args.ca_key_out {
        files::check_free(path, args.force)?;
    }
    let now = super::now();
    let key_type = KeyType::from(args.key_type);

    // Gateway first (read only): it decides the namespace, the server and maybe the hosts.
    let target = match &args.gateway {
        Some(reference) => Some(find_gateway(context, reference, args).await?),
        None => None,
    };
    let namespace = match (&context.namespace_flag, &target) {
        (Some(ns), _) => ns.clone(),
        (None, Some(target)) => workload_namespace(context, target).await?,
        (None, None) => DEFAULT_CREDENTIAL_NAMESPACE.to_string(),
    };
    let hosts = hosts(context, args, target.as_ref())?;
    for host in &hosts {
        issue::host_san(host)?;
    }

    // The CA: brought, kept in the cluster from an earlier run, or new.
    let ca_secret = ca_secret_name(&name);
    let existing_ca_secret = secrets::get_raw(context.cluster().await?, &namespace, &ca_secret).await?;
    let existing_credential = secrets::get_raw(context.cluster().await?, &namespace, &name).await?;
    let (ca, ca_origin) = choose_ca(args, &name, key_type, now, existing_ca_secret.as_ref(), &namespace)?;

    // Everything is decided and generated before the first write, so bad input writes nothing.
    let decision = decide(&name, &namespace, existing_credential.as_ref(), &ca, &hosts, key_type, args, now)?;
    let issued = match decision {
        Decision::Unchanged => None,
        Decision::Write { replace } => {
            if replace && args.force {
                let consequence = format!(
                    "this replaces credential {namespace}/{name} entirely, with a new CA and server certificate"
                );
                if !context.prompter.confirm(&consequence)? {
                    return Err(Error::Declined);
                }
            }
            let issued = {
                let _progress = slow_key_note(key_type);
                issue::server_certificate(&ca, &hosts, key_type, args.validity, now)?
            };
            if issued.capped {
                eprintln!(
                    "warning: the server certificate ends with the CA, on {}",
                    render::time::date(issued.facts.not_after)
                );
            }
            Some((issued, replace))
        }
    };

    let mut plan = Plan::default();
    let dry_run = args.write.dry_run != DryRun::None;

    // Step 1: the CA Secret.
    if ca_origin == CaOrigin::Generated && args.ca_key_out.is_none() {
        let secret = ca_secret_object(&name, &namespace, &ca, existing_ca_secret.as_ref());
        plan.objects.push(to_value(&secret));
        if args.write.dry_run == DryRun::Client {
            plan.done.push(format!(
                "CA secret {namespace}/{ca_secret}: would be {}",
                if existing_ca_secret.is_some() { "replaced" } else { "created" }
            ));
        } else {
            let result = match existing_ca_secret {
                Some(_) => secrets::replace(context.cluster().await?, &namespace, &secret, dry_run).await,
                None => secrets::create(context.cluster().await?, &namespace, &secret, dry_run).await,
            };
            result.map_err(|e| plan.fail(e))?;
            plan.done.push(format!(
                "CA secret {namespace}/{ca_secret}: {}",
                if existing_ca_secret.is_some() { "replaced" } else { "created" }
            ));
        }
    } else if ca_origin == CaOrigin::Cluster {
        plan.done.push(format!("CA secret {namespace}/{ca_secret}: reused"));
    }

    // Step 2: the credential Secret.
    let mut issued_facts = None;
    match issued {
        None => plan.done.push(format!("credential {namespace}/{name}: unchanged")),
        Some((issued, replace)) => {
            let secret = credential_object(
                &name,
                &namespace,
                &ca,
                &issued,
                existing_credential.as_ref(),
                args,
                &ca_secret,
                ca_origin,
            );
            plan.objects.push(to_value(&secret));
            let verb = if replace { "updated" } else { "created" };
            if args.write.dry_run == DryRun::Client {
                plan.done.push(format!("credential {namespace}/{name}: would be {verb}"));
            } else {
                let result = if replace {
                    secrets::replace(context.cluster().await?, &namespace, &secret, dry_run).await
                } else {
                    secrets::create(context.cluster().await?, &namespace, &secret, dry_run).await
                };
                result.map_err(|e| plan.fail(e))?;
                plan.done.push(format!("credential {namespace}/{name}: {verb}"));
            }
            issued_facts = Some(issued.facts);
        }
    }
    if let Some(path) = &args.ca_key_out
        && ca_origin == CaOrigin::Generated
        && !dry_run
    {
        files::write(path, ca.key_pem().as_bytes(), files::Mode::Private, args.force)
            .map_err(|e| plan.fail_with(e.into()))?;
        plan.done.push(format!(
            "CA key: written to {} (0600); pass it with --ca-cert/--ca-key to issue-client",
            path.display()
        ));
    }

    // Step 3: the Gateway, with a conflict-safe patch re-computed after any concurrent change.
    if let Some(first) = target {
        let qualified = format!("{}/{}", first.namespace, first.name);
        let gateways = Gateways::new(context.cluster().await?);
        let mut target = first;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let patch = gateway::credential_patch(&qualified, &target.object, &target.server, &name)
                .map_err(|e| plan.fail_with(e.into()))?;
            let Some(patch) = patch else {
                plan.done.push(format!(
                    "gateway {qualified} server {}: already MUTUAL with credential {name}",
                    target.server.label()
                ));
                break;
            };
            plan.objects.push(gateway::apply_json_patch(&target.object, &patch));
            if args.write.dry_run != DryRun::Client {
                let write = if dry_run { Write::ServerDryRun } else { Write::Real };
                match gateways.patch(&target.namespace, &target.name, &patch, write).await {
                    Ok(_) => {}
                    Err(ClusterError::Conflict { .. } | ClusterError::Api { code: 422, .. })
                        if attempts < super::san_edit::MAX_EDIT_ATTEMPTS =>
                    {
                        plan.objects.pop();
                        let object = gateways.get(&target.namespace, &target.name).await.map_err(|e| plan.fail(e))?;
                        let server = gateway::servers(&object)
                            .into_iter()
                            .find(|s| s.index == target.server.index && s.label() == target.server.label())
                            .ok_or_else(|| plan.fail_with(Error::GatewayReshaped { gateway: qualified.clone() }))?;
                        target = GatewayTarget { object, server, ..target };
                        continue;
                    }
                    Err(e) => return Err(plan.fail(e)),
                }
            }
            let was = target
                .server
                .credential
                .as_ref()
                .map(|c| format!(" (was {}, {c})", target.server.mode_label()))
                .unwrap_or_default();
            plan.done.push(format!(
                "gateway {qualified} server {}: {}tls.mode MUTUAL, credentialName {name}{was}",
                target.server.label(),
                if args.write.dry_run == DryRun::Client { "would set " } else { "set " }
            ));
            break;
        }
    }

    let text = match args.write.output.or(if args.write.dry_run == DryRun::Client {
        Some(ObjectFormat::Yaml)
    } else {
        None
    }) {
        Some(format) => {
            let list = json!({"apiVersion": "v1", "kind": "List", "items": plan.objects});
            match format {
                ObjectFormat::Json => render::structured::json(&list)?,
                ObjectFormat::Yaml => render::structured::yaml(&list)?,
            }
        }
        None => summary(&plan, &ca, issued_facts.as_ref(), &namespace, &name, dry_run),
    };
    print_stdout(&text)?;
    Ok(Outcome::Success)
}

#[derive(Default)]
struct Plan {
    done: Vec<String>,
    objects: Vec<Value>,
}

impl Plan {
    fn fail(&self, error: ClusterError) -> Error {
        self.fail_with(error.into())
    }

    /// Says on stderr what was done before the failure, so a re-run is not a surprise.
    fn fail_with(&self, error: Error) -> Error {
        if !self.done.is_empty() {
            eprintln!("done before the failure (a re-run completes the rest):");
            for line in &self.done {
                eprintln!("  {line}");
            }
        }
        error
    }
}

fn choose_ca(
    args: &CreateArgs,
    name: &str,
    key_type: KeyType,
    now: i64,
    existing: Option<&Secret>,
    namespace: &str,
) -> Result<(Ca, CaOrigin), Error> {
    if let (Some(cert), Some(key)) = (&args.ca_cert, &args.ca_key) {
        let ca = issue::load_ca(&files::read(cert)?, &files::read(key)?, now).map_err(|e| {
            Error::Invalid(format!("cannot use --ca-cert {} / --ca-key {}: {e}", cert.display(), key.display()))
        })?;
        return Ok((ca, CaOrigin::Files));
    }
    if let Some(secret) = existing
        && !args.force
    {
        let ca = ca_from_secret(secret, now).map_err(|e| {
            Error::Invalid(format!(
                "the CA kept in secret {namespace}/{} cannot sign: {e}; pass --force to make a new CA",
                ca_secret_name(name)
            ))
        })?;
        return Ok((ca, CaOrigin::Cluster));
    }
    let common_name = args.ca_cn.clone().unwrap_or_else(|| format!("{name} CA"));
    let _progress = slow_key_note(key_type);
    Ok((issue::new_ca(&args.ca_org, &common_name, args.ca_validity, key_type, now)?, CaOrigin::Generated))
}

enum Decision {
    Unchanged,
    Write { replace: bool },
}

/// Whether the existing credential already is what was asked for, may be replaced, or not.
#[allow(clippy::too_many_arguments)]
fn decide(
    name: &str,
    namespace: &str,
    existing: Option<&Secret>,
    ca: &Ca,
    hosts: &[String],
    key_type: KeyType,
    args: &CreateArgs,
    now: i64,
) -> Result<Decision, Error> {
    let Some(existing) = existing else {
        return Ok(Decision::Write { replace: false });
    };
    if args.force {
        return Ok(Decision::Write { replace: true });
    }
    let differences = differences(existing, ca, hosts, key_type, now);
    if differences.is_empty() {
        return Ok(Decision::Unchanged);
    }
    let same_ca = !differences.iter().any(|d| d.starts_with("it was signed by another CA"));
    if args.rotate && same_ca {
        return Ok(Decision::Write { replace: true });
    }
    let how = if same_ca {
        "pass --rotate to issue a new server certificate from the same CA, or --force to replace it all"
    } else {
        "pass --force to replace it all (clients holding certificates from the old CA will be refused)"
    };
    Err(Error::Invalid(format!("secret {namespace}/{name} exists and differs ({}): {how}", differences.join("; "))))
}

fn differences(existing: &Secret, ca: &Ca, hosts: &[String], key_type: KeyType, now: i64) -> Vec<String> {
    let data = existing.data.clone().unwrap_or_default();
    let bytes = |k: &str| data.get(k).map(|b| b.0.clone()).unwrap_or_default();
    let mut found = Vec::new();
    let existing_ca = pem::certificates(&bytes("ca.crt")).ok().and_then(|c| c.into_iter().next());
    if existing_ca.as_deref() != Some(ca.cert_der.as_slice()) {
        found.push("it was signed by another CA".to_string());
        return found;
    }
    let leaf = pem::certificates(&bytes("tls.crt")).ok().and_then(|c| c.into_iter().next());
    let Some(leaf) = leaf else {
        found.push("its tls.crt is missing or unreadable".into());
        return found;
    };
    let Ok(facts) = inspect::certificate(&leaf) else {
        found.push("its tls.crt is unreadable".into());
        return found;
    };
    let mut have: Vec<String> = facts.sans.as_ref().map(|s| s.hosts()).unwrap_or_default();
    let mut want: Vec<String> = hosts
        .iter()
        .map(|h| h.parse::<std::net::IpAddr>().map(|ip| ip.to_string()).unwrap_or_else(|_| h.to_ascii_lowercase()))
        .collect();
    have.iter_mut().for_each(|h| *h = h.to_ascii_lowercase());
    have.sort();
    want.sort();
    if have != want {
        found.push(format!("its hosts are {}, not {}", have.join(","), want.join(",")));
    }
    if !key_type.matches(&facts.public_key) {
        found.push(format!("its key is {}, not {key_type:?}", facts.public_key));
    }
    if verify::server_chain(&leaf, &[], std::slice::from_ref(&ca.cert_der), now) != verify::ChainOutcome::Verified {
        found.push("its server certificate does not verify to the CA".into());
    }
    if facts.not_after - now < 30 * 86_400 {
        found.push(format!("its server certificate expires on {}", render::time::date(facts.not_after)));
    }
    if !key::private_key(&bytes("tls.key")).is_ok_and(|k| k.matches(&facts)) {
        found.push("its tls.key does not match tls.crt".into());
    }
    found
}

async fn find_gateway(context: &Context, reference: &str, args: &CreateArgs) -> Result<GatewayTarget, Error> {
    let (namespace, name) = context.object_reference(reference).await?;
    let gateways = Gateways::new(context.cluster().await?);
    let object = match gateways.get(&namespace, &name).await {
        Err(e) if e.is_not_found() => return Err(Error::GatewayNotFound { namespace, name }),
        other => other?,
    };
    let servers = gateway::servers(&object);
    let qualified = format!("{namespace}/{name}");
    let host = args.hosts.first().map(String::as_str);
    let server = match gateway::select_for_credential(&qualified, &servers, args.port.map(u64::from), host)? {
        Selection::Chosen(list) => list[0].clone(),
        Selection::Ambiguous(candidates) => {
            let labels: Vec<String> = candidates.iter().map(GatewayServer::summary).collect();
            let how = format!("--port; gateway {qualified} has several TLS servers: {}", labels.join("; "));
            let index = context.prompter.select(&format!("a server of gateway {qualified}"), &how, &labels)?;
            candidates[index].clone()
        }
    };
    Ok(GatewayTarget { namespace, name, object, server })
}

async fn workload_namespace(context: &Context, target: &GatewayTarget) -> Result<String, Error> {
    let gateway = format!("{}/{}", target.namespace, target.name);
    let Some(selector) = gateway::workload_selector(&target.object) else {
        return Err(Error::Invalid(format!(
            "gateway {gateway} has no spec.selector, so its workload namespace is unknown: pass -n NAMESPACE (usually istio-system)"
        )));
    };
    let namespaces: Vec<String> =
        workloads::pod_namespaces(context.cluster().await?, &selector).await?.into_iter().collect();
    match namespaces.as_slice() {
        [one] => Ok(one.clone()),
        _ => {
            let found = if namespaces.is_empty() {
                "no pods match it".to_string()
            } else {
                format!("pods match it in {}", namespaces.join(", "))
            };
            let how = format!(
                "-n NAMESPACE: the namespace of the gateway workload, where Istio reads the credential (gateway {gateway} selects {selector}; {found})"
            );
            let choices =
                if namespaces.is_empty() { vec![DEFAULT_CREDENTIAL_NAMESPACE.to_string()] } else { namespaces };
            let index = context.prompter.select("the namespace of the gateway workload", &how, &choices)?;
            Ok(choices[index].clone())
        }
    }
}

fn hosts(context: &Context, args: &CreateArgs, target: Option<&GatewayTarget>) -> Result<Vec<String>, Error> {
    if !args.hosts.is_empty() {
        return Ok(args.hosts.clone());
    }
    if let Some(target) = target {
        let offered: Vec<String> = target
            .server
            .hosts
            .iter()
            .map(|h| h.split_once('/').map_or(h.as_str(), |(_, host)| host).to_string())
            .filter(|h| h != "*")
            .collect();
        if !offered.is_empty() {
            eprintln!(
                "using the hosts of the gateway server {}: {} (pass --host to choose)",
                target.server.label(),
                offered.join(", ")
            );
            return Ok(offered);
        }
    }
    Ok(context.prompter.input_many(
        "--host",
        "--host HOST (repeatable)",
        "Host for the server certificate",
        |text| {
            if text.contains(char::is_whitespace) || text.is_empty() {
                Err("one host name or IP address".to_string())
            } else {
                Ok(text.to_string())
            }
        },
    )?)
}

fn summary(
    plan: &Plan,
    ca: &Ca,
    issued: Option<&inspect::CertificateFacts>,
    namespace: &str,
    name: &str,
    dry_run: bool,
) -> String {
    let mut out = String::new();
    if dry_run {
        out.push_str("(dry run: nothing was written)\n");
    }
    for line in &plan.done {
        out.push_str(&format!("{line}\n"));
    }
    out.push_str(&format!(
        "CA: {} ({}, until {})\n",
        ca.facts.subject,
        ca.facts.public_key,
        render::time::date(ca.facts.not_after)
    ));
    if let Some(facts) = issued {
        let sans = facts.sans.as_ref().map(|s| s.hosts().join(", ")).unwrap_or_default();
        out.push_str(&format!(
            "server certificate: {sans} ({}, serial {}, until {})\n",
            facts.public_key,
            facts.serial,
            render::time::date(facts.not_after)
        ));
    }
    out.push_str(&format!(
        "next: kubectl mtls issue-client CLIENT --san SAN --credential {namespace}/{name}\n      kubectl mtls describe {name} -n {namespace}\n"
    ));
    out
}

/// RSA keys of 3072 bits and more take a noticeable moment to generate.
pub fn slow_key_note(key_type: KeyType) -> Option<crate::prompt::Progress> {
    matches!(key_type, KeyType::Rsa3072 | KeyType::Rsa4096)
        .then(|| crate::prompt::Progress::start(&format!("generating a {key_type:?} key")))
}
