//! `kubectl mtls issue-client NAME --san SAN... --credential SECRET`: reads the CA that
//! `create` keeps in `SECRET-mtls-ca` (or takes one from files), issues a client certificate,
//! and writes the bundle locally. It changes the cluster only with `--allow-on`, through the
//! same conflict-safe edit as `allow`.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::san_edit::{self, Direction};
use super::{Outcome, print_stdout};
use crate::cli::{DryRun, IssueClientArgs, ObjectFormat};
use crate::cluster::gateways::Gateways;
use crate::cluster::{ClusterError, secrets};
use crate::context::Context;
use crate::error::Error;
use crate::files::{self, Mode};
use crate::istio::gateway::{self, GatewayServer, Selection};
use crate::pki::issue::{self, Ca, KeyType};
use crate::pki::san::{self, San};
use crate::pki::{inspect::CertificateFacts, pkcs12};
use crate::render;

use super::create::ca_secret_name;

/// The `-o json|yaml` schema.
#[derive(Debug, Serialize)]
pub struct IssuedBundle {
    pub name: String,
    pub certificate: PathBuf,
    /// None when a CSR was signed: the key never left the client.
    pub key: Option<PathBuf>,
    pub ca: PathBuf,
    pub p12: Option<PathBuf>,
    pub serial: String,
    pub sans: Vec<String>,
    #[serde(serialize_with = "crate::pki::unix_time::serialize")]
    pub not_before: i64,
    #[serde(serialize_with = "crate::pki::unix_time::serialize")]
    pub not_after: i64,
    pub curl: String,
}

pub async fn run(context: &Context, args: &IssueClientArgs) -> Result<Outcome, Error> {
    let name = match &args.name {
        Some(name) => name.clone(),
        None => context.prompter.input_one("NAME", "the client name: kubectl mtls issue-client NAME", "Client name")?,
    };
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return Err(Error::Invalid(format!(
            "invalid client name {name:?}: it names files, so no slashes and no leading dot"
        )));
    }
    let sans = sans(context, args)?;
    let dir = args.out.clone().unwrap_or_else(|| PathBuf::from(&name));
    let cert_path = dir.join(format!("{name}.crt"));
    let key_path = dir.join(format!("{name}.key"));
    let ca_path = dir.join("ca.crt");
    let p12_path = dir.join(format!("{name}.p12"));
    // Refuse before generating anything or touching the cluster.
    for path in [&cert_path, &ca_path]
        .into_iter()
        .chain(args.csr.is_none().then_some(&key_path))
        .chain(args.p12.then_some(&p12_path))
    {
        files::check_free(path, args.force)?;
    }
    let csr = args.csr.as_ref().map(|p| files::read(p)).transpose()?;
    let password = if args.p12 { Some(p12_password(context, args)?) } else { None };

    let now = super::now();
    let ca = load_ca(context, args, now).await?;
    let key_type = KeyType::from(args.key_type);
    let (cert_pem, key_pem, facts, capped) = match &csr {
        Some(csr) => {
            let (cert, facts, capped) = issue::sign_csr(&ca, csr, &name, &sans, args.validity, now)?;
            (cert, None, facts, capped)
        }
        None => {
            let _progress = super::create::slow_key_note(key_type);
            let issued = issue::client_certificate(&ca, &name, &sans, key_type, args.validity, now)?;
            (issued.cert_pem, Some(issued.key_pem), issued.facts, issued.capped)
        }
    };
    if capped {
        eprintln!("warning: the client certificate ends with the CA, on {}", render::time::date(facts.not_after));
    }

    // The key first: if anything later fails, nothing lies around without it.
    if let Some(key) = &key_pem {
        files::write(&key_path, key.as_bytes(), Mode::Private, args.force)?;
    }
    files::write(&cert_path, cert_pem.as_bytes(), Mode::Public, args.force)?;
    files::write(&ca_path, ca.chain_pem.as_bytes(), Mode::Public, args.force)?;
    if let (Some(password), Some(key)) = (&password, &key_pem) {
        let bundle = pkcs12::bundle(&name, key, &cert_pem, &ca.chain_pem, password)
            .map_err(|e| Error::Invalid(e.to_string()))?;
        files::write(&p12_path, &bundle, Mode::Private, args.force)?;
    }

    let issued_sans = facts.sans.as_ref().map(|s| s.typed()).unwrap_or_default();
    let mut lines = Vec::new();
    if let Some(reference) = &args.allow_on {
        let (namespace, gateway_name) = context.object_reference(reference).await?;
        let selector = san_edit::selector(&args.server);
        let done =
            san_edit::edit(context, &namespace, &gateway_name, &issued_sans, &selector, Direction::Allow, DryRun::None)
                .await
                .inspect_err(|_| {
                    eprintln!("the bundle was written to {}; the gateway was not changed:", dir.display())
                })?;
        lines.push(render::gateways::edit_summary(&done.gateway, &done.edits, true, false));
    }
    let curl = curl_line(context, args, &cert_path, &key_path, &ca_path).await;

    let bundle = IssuedBundle {
        name: name.clone(),
        certificate: cert_path.clone(),
        key: key_pem.as_ref().map(|_| key_path.clone()),
        ca: ca_path.clone(),
        p12: password.as_ref().filter(|_| key_pem.is_some()).map(|_| p12_path.clone()),
        serial: facts.serial.clone(),
        sans: issued_sans.iter().map(|s| s.value.clone()).collect(),
        not_before: facts.not_before,
        not_after: facts.not_after,
        curl,
    };
    let text = match args.output {
        Some(ObjectFormat::Json) => render::structured::json(&bundle)?,
        Some(ObjectFormat::Yaml) => render::structured::yaml(&bundle)?,
        None => summary(&bundle, &facts, &lines),
    };
    print_stdout(&text)?;
    Ok(Outcome::Success)
}

fn sans(context: &Context, args: &IssueClientArgs) -> Result<Vec<San>, Error> {
    if args.sans.is_empty() {
        if args.csr.is_some() {
            return Ok(vec![]);
        }
        return Ok(context.prompter.input_many(
            "--san",
            "--san SAN (at least one: Istio matches SANs and never reads the CN)",
            "Client SAN",
            |text| san::parse(text).map_err(|e| e.reason),
        )?);
    }
    let (good, bad): (Vec<_>, Vec<_>) = args.sans.iter().map(|s| san::parse(s)).partition(Result::is_ok);
    if !bad.is_empty() {
        return Err(Error::BadSans(bad.into_iter().filter_map(Result::err).collect()));
    }
    Ok(good.into_iter().filter_map(Result::ok).collect())
}

fn p12_password(context: &Context, args: &IssueClientArgs) -> Result<String, Error> {
    let password = match &args.p12_password_file {
        Some(path) => files::read(path)?.lines().next().unwrap_or_default().to_string(),
        None => context.prompter.password("--p12-password-file", "--p12-password-file FILE", "PKCS#12 password")?,
    };
    if password.is_empty() {
        return Err(Error::Invalid(
            "the PKCS#12 password is empty: there is no default password; put one in --p12-password-file".into(),
        ));
    }
    Ok(password)
}

async fn load_ca(context: &Context, args: &IssueClientArgs, now: i64) -> Result<Ca, Error> {
    if let (Some(cert), Some(key)) = (&args.ca_cert, &args.ca_key) {
        return issue::load_ca(&files::read(cert)?, &files::read(key)?, now).map_err(|e| {
            Error::Invalid(format!("cannot use --ca-cert {} / --ca-key {}: {e}", cert.display(), key.display()))
        });
    }
    let reference = match &args.credential {
        Some(reference) => reference.clone(),
        None => pick_credential(context).await?,
    };
    let (namespace, credential) = match reference.split_once('/') {
        Some((ns, name)) => (ns.to_string(), name.to_string()),
        None => (context.credential_namespace(), reference.clone()),
    };
    let ca_secret = ca_secret_name(&credential);
    let secret = match secrets::get_raw(context.cluster().await?, &namespace, &ca_secret).await {
        Ok(Some(secret)) => secret,
        Ok(None) => {
            return Err(Error::Invalid(format!(
                "no CA key for credential {namespace}/{credential}: looked for Secret {namespace}/{ca_secret} (kept by `kubectl mtls create`); \
                 if the CA key is in files, pass --ca-cert and --ca-key"
            )));
        }
        Err(ClusterError::Forbidden { .. }) => {
            return Err(Error::Invalid(format!(
                "forbidden: you may not get secrets in namespace {namespace} (RBAC), so the CA key in {namespace}/{ca_secret} cannot be read: \
                 ask a cluster admin for `get` on `secrets` there, or pass --ca-cert and --ca-key"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let ca = super::create::ca_from_secret(&secret, now)
        .map_err(|e| Error::Invalid(format!("the CA in secret {namespace}/{ca_secret} cannot sign: {e}")))?;
    // Clients signed by a CA the gateway does not trust would be refused: say so now.
    if let Ok(Some(credential_secret)) = secrets::get_raw(context.cluster().await?, &namespace, &credential).await {
        let bundle = credential_secret.data.unwrap_or_default().get("ca.crt").map(|b| b.0.clone()).unwrap_or_default();
        let trusted = crate::pki::pem::certificates(&bundle).unwrap_or_default();
        if !trusted.contains(&ca.cert_der) {
            eprintln!(
                "warning: the CA in {namespace}/{ca_secret} is not in the ca.crt of credential {namespace}/{credential}; the gateway will refuse these clients"
            );
        }
    }
    Ok(ca)
}

async fn pick_credential(context: &Context) -> Result<String, Error> {
    let how = "--credential [NAMESPACE/]SECRET, or --ca-cert and --ca-key";
    // Fail before listing: the answer does not depend on the cluster.
    context.prompter.require_terminal("--credential", how)?;
    let namespace = context.credential_namespace();
    let names: Vec<String> =
        secrets::names_with_label(context.cluster().await?, &namespace, "mtls.kubectl-mtls.io/role=ca")
            .await?
            .into_iter()
            .filter_map(|n| n.strip_suffix("-mtls-ca").map(str::to_string))
            .collect();
    let index =
        context.prompter.select(&format!("a credential in {namespace} whose CA key is available"), how, &names)?;
    Ok(names[index].clone())
}

/// `curl …` with the bundle; host, port and `--resolve` from the Gateway when one is named.
async fn curl_line(context: &Context, args: &IssueClientArgs, cert: &Path, key: &Path, ca: &Path) -> String {
    let mut host = "HOST".to_string();
    let mut port = 443;
    let mut resolve = String::new();
    if let Some(reference) = args.allow_on.as_ref().or(args.gateway.as_ref())
        && let Ok((namespace, gateway_name)) = context.object_reference(reference).await
        && let Ok(cluster) = context.cluster().await
        && let Ok(object) = Gateways::new(cluster).get(&namespace, &gateway_name).await
        && let Some(server) = mutual_server(&object, &gateway_name, args)
    {
        if let Some(h) =
            server.hosts.iter().map(|h| h.split_once('/').map_or(h.as_str(), |(_, h)| h)).find(|h| !h.contains('*'))
        {
            host = h.to_string();
        }
        port = server.port.unwrap_or(443);
        if let Some(address) = ingress_address(context, &object).await {
            resolve = format!("--resolve {host}:{port}:{address} ");
        }
    }
    format!(
        "curl {resolve}--cacert {} --cert {} --key {} https://{host}:{port}/",
        ca.display(),
        cert.display(),
        key.display()
    )
}

fn mutual_server(object: &Value, name: &str, args: &IssueClientArgs) -> Option<GatewayServer> {
    let servers = gateway::servers(object);
    match gateway::select(name, &servers, &san_edit::selector(&args.server)).ok()? {
        Selection::Chosen(list) | Selection::Ambiguous(list) => list.into_iter().next(),
    }
}

/// The load balancer address of the Service in front of the gateway workload, when readable.
async fn ingress_address(context: &Context, gateway: &Value) -> Option<String> {
    let selector = gateway::workload_selector(gateway)?;
    crate::cluster::workloads::load_balancer_address(context.cluster().await.ok()?, &selector).await
}

fn summary(bundle: &IssuedBundle, facts: &CertificateFacts, gateway_lines: &[String]) -> String {
    let mut out = format!(
        "issued client certificate {} ({}, serial {}, until {})\n  SANs: {}\n",
        bundle.name,
        facts.public_key,
        facts.serial,
        render::time::date(facts.not_after),
        bundle.sans.join(", ")
    );
    out.push_str(&format!("  {}  (0644)\n", bundle.certificate.display()));
    match &bundle.key {
        Some(key) => out.push_str(&format!("  {}  (0600)\n", key.display())),
        None => out.push_str("  (no key written: the CSR's key stays with the client)\n"),
    }
    out.push_str(&format!("  {}  (0644)\n", bundle.ca.display()));
    if let Some(p12) = &bundle.p12 {
        out.push_str(&format!("  {}  (0600)\n", p12.display()));
    }
    for line in gateway_lines {
        out.push_str(line);
    }
    out.push_str(&format!("try it:\n  {}\n", bundle.curl));
    out
}
