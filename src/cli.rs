//! The command line as clap sees it. Nothing here talks to a cluster; `context` resolves it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The crate version and the git commit it was built from.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("KUBECTL_MTLS_GIT_COMMIT"), ")");

const AFTER_HELP: &str = "\
kubectl passes flags that come after `mtls` to the plugin, so put kubectl flags there:
  kubectl mtls --context prod describe my-credential     (works)
  kubectl --context prod mtls describe my-credential     (kubectl rejects it)

Exit codes: 0 ok; 1 error; 2 usage error; 3 a check failed (describe);
4 the cluster could not be reached or refused our credentials.";

/// Mutual TLS for Istio ingress gateways: credentials, client certificates and SAN allow-lists, checked.
#[derive(Debug, Parser)]
#[command(name = "kubectl-mtls", bin_name = "kubectl mtls", version = VERSION, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub kube: KubeFlags,

    #[command(flatten)]
    pub interaction: InteractionFlags,

    #[command(subcommand)]
    pub command: Command,
}

/// kubectl's own connection flags, on every command.
#[derive(Debug, Clone, Default, Args)]
pub struct KubeFlags {
    /// Path to the kubeconfig file (default: $KUBECONFIG, whose paths merge, then ~/.kube/config).
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use.
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,

    /// The kubeconfig cluster to use.
    #[arg(long, global = true, value_name = "NAME")]
    pub cluster: Option<String>,

    /// The kubeconfig user to use.
    #[arg(long, global = true, value_name = "NAME")]
    pub user: Option<String>,

    /// The namespace of the command's own object (see each command's help for its default).
    #[arg(short = 'n', long, global = true, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// How long to wait for one API request before giving up, e.g. 10s, 1m (0: no limit).
    #[arg(long, global = true, value_name = "DURATION", default_value = "30s")]
    pub request_timeout: String,
}

/// How the plugin may talk to the person at the terminal.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct InteractionFlags {
    /// Never prompt; fail naming the flag to pass instead.
    #[arg(long, global = true)]
    pub no_input: bool,

    /// Answer yes to confirmations.
    #[arg(short = 'y', long, global = true)]
    pub yes: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show every certificate in a gateway credential and check it the way Istio will use it.
    #[command(long_about = DESCRIBE_ABOUT)]
    Describe(DescribeArgs),
    /// Create a gateway credential: CA, server certificate and Secret; optionally switch a Gateway server to MUTUAL.
    #[command(long_about = CREATE_ABOUT)]
    Create(CreateArgs),
    /// Issue a client certificate bundle signed by a credential's CA.
    #[command(long_about = ISSUE_CLIENT_ABOUT)]
    IssueClient(IssueClientArgs),
    /// Allow client SANs on a Gateway server (tls.subjectAltNames).
    #[command(long_about = ALLOW_ABOUT)]
    Allow(SanEditArgs),
    /// Stop allowing client SANs on a Gateway server.
    #[command(long_about = DISALLOW_ABOUT)]
    Disallow(SanEditArgs),
    /// List Gateway servers: TLS mode, credential and the client SANs they accept.
    #[command(long_about = LIST_ABOUT)]
    List(ListArgs),
    /// Print the version of kubectl-mtls and the git commit it was built from.
    Version,
    /// Print a shell completion script (bash, zsh, fish, powershell), or with `kubectl` the
    /// `kubectl_complete-mtls` helper kubectl 1.26+ runs to complete `kubectl mtls …`.
    #[command(long_about = COMPLETION_ABOUT)]
    Completion(CompletionArgs),
    /// Completion candidates for kubectl's plugin completion (used by `kubectl_complete-mtls`).
    #[command(name = "__complete", hide = true)]
    Complete(CompleteArgs),
}

const COMPLETION_ABOUT: &str = "\
Print a shell completion script.

  kubectl mtls completion bash > /etc/bash_completion.d/kubectl-mtls    (completes kubectl-mtls)

For `kubectl mtls <TAB>`, kubectl 1.26+ runs an executable named kubectl_complete-mtls from
your PATH. Install it next to kubectl-mtls:

  kubectl mtls completion kubectl > ~/.local/bin/kubectl_complete-mtls
  chmod +x ~/.local/bin/kubectl_complete-mtls

It completes subcommands, flags, and Secret and Gateway names from the cluster.";

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell, or `kubectl` for the kubectl plugin-completion helper.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
    /// PowerShell.
    Powershell,
    /// The `kubectl_complete-mtls` helper for kubectl's plugin completion.
    Kubectl,
}

#[derive(Debug, Args)]
pub struct CompleteArgs {
    /// The words after `kubectl mtls`; the last is the one being completed.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub words: Vec<String>,
}

const CREATE_ABOUT: &str = "\
Create a gateway credential: a CA (generated, reused, or brought with --ca-cert/--ca-key), a
server certificate for --host, and the Secret NAME holding tls.crt, tls.key and ca.crt. With
--gateway, also set the chosen server to tls.mode MUTUAL with credentialName NAME.

The Secret goes to -n NAMESPACE; else, with --gateway, the namespace of the gateway workload
(the pods its spec.selector picks); else istio-system. The CA key is kept in the Secret
NAME-mtls-ca beside it, for issue-client, unless --ca-key-out keeps it in a file instead.

Safe to re-run: an identical credential is left unchanged; a different one is refused unless
--rotate (new server certificate, same CA, updated in place so Istio rotates without restarts)
or --force (replace everything, after confirmation).";

const ISSUE_CLIENT_ABOUT: &str = "\
Issue a client certificate bundle signed by a credential's CA: DIR/NAME.crt, DIR/NAME.key
(0600) and DIR/ca.crt, written atomically and never over existing files without --force.

The CA comes from the Secret SECRET-mtls-ca that `kubectl mtls create` keeps beside the
credential (in -n NAMESPACE, else istio-system), or from --ca-cert/--ca-key. The certificate
carries the SANs Istio matches (at least one: Istio never reads the CN), CA:FALSE and
clientAuth. --csr signs a client's own key instead of generating one. --allow-on also adds the
SANs to a Gateway server's allow-list, and a ready curl line is printed to try it.";

const ALLOW_ABOUT: &str = "\
Allow client SANs on a Gateway server: adds them to spec.servers[].tls.subjectAltNames.

Istio compares each entry exactly with the DNS, URI, email and IP SANs of the client
certificate (DNS ignoring case); any one match lets the client in. The CN is never read.
SANs are DNS names, URIs (spiffe://… checked for SPIFFE form), IP addresses or emails;
prefix dns:, uri:, ip: or email: to force a type.

The Gateway is looked up in -n NAMESPACE, else the context's namespace, else default. The
server is chosen by --port, --server-name, --host or --all-servers, else the only server with
tls.mode MUTUAL or OPTIONAL_MUTUAL. The edit touches only that server's list and is
conflict-safe: a concurrent change is re-read, never overwritten.";

const DISALLOW_ABOUT: &str = "\
Stop allowing client SANs on a Gateway server: removes them from tls.subjectAltNames.

Removing the last SAN leaves the list empty, and an empty list accepts every client
certificate signed by the CA. That needs a confirmation at the terminal, or --yes.";

const LIST_ABOUT: &str = "\
List Gateway servers with their TLS mode, credential and the client SANs they accept.

An empty list on a MUTUAL server accepts any client certificate signed by the CA. Servers
whose mode ignores SANs (SIMPLE, PASSTHROUGH, ISTIO_MUTUAL) are flagged when they have some.";

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The credential Secret's name (the Gateway's tls.credentialName). Prompted for at a terminal.
    pub name: Option<String>,

    /// A host the server certificate is for: DNS name (*.domain allowed) or IP. Repeatable.
    #[arg(long = "host", value_name = "HOST")]
    pub hosts: Vec<String>,

    /// Also set this Istio Gateway's server to MUTUAL with this credential ([NAMESPACE/]NAME).
    #[arg(long, value_name = "[NAMESPACE/]GATEWAY")]
    pub gateway: Option<String>,

    /// With --gateway: the server on this port.
    #[arg(long, value_name = "PORT", requires = "gateway")]
    pub port: Option<u16>,

    /// Sign with this CA certificate (PEM) instead of generating one.
    #[arg(long, value_name = "FILE", requires = "ca_key")]
    pub ca_cert: Option<PathBuf>,

    /// The key of --ca-cert (PEM).
    #[arg(long, value_name = "FILE", requires = "ca_cert")]
    pub ca_key: Option<PathBuf>,

    /// Write a generated CA's key to this file (0600) instead of a Secret in the cluster.
    #[arg(long, value_name = "FILE", conflicts_with = "ca_cert")]
    pub ca_key_out: Option<PathBuf>,

    /// Organisation of a generated CA.
    #[arg(long, value_name = "ORG", default_value = "kubectl-mtls")]
    pub ca_org: String,

    /// Common name of a generated CA (default: "NAME CA").
    #[arg(long, value_name = "CN")]
    pub ca_cn: Option<String>,

    /// Validity of a generated CA, e.g. 3650d, 10y.
    #[arg(long, value_name = "DURATION", default_value = "10y", value_parser = parse_days)]
    pub ca_validity: u32,

    /// Validity of the server certificate (never past the CA's), e.g. 365d, 1y, 2160h.
    #[arg(long, value_name = "DURATION", default_value = "1y", value_parser = parse_days)]
    pub validity: u32,

    /// Key type for generated keys.
    #[arg(long, value_enum, default_value_t)]
    pub key_type: KeyTypeArg,

    /// Replace a different existing credential's server certificate, keeping its CA.
    #[arg(long, conflicts_with = "force")]
    pub rotate: bool,

    /// Replace an existing credential entirely, CA included (asks first; --yes to skip).
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum KeyTypeArg {
    /// ECDSA on P-256: small, fast, widely supported.
    #[default]
    EcdsaP256,
    /// ECDSA on P-384.
    EcdsaP384,
    /// RSA 2048 bits, what the hand recipe uses.
    #[value(name = "rsa-2048")]
    Rsa2048,
    /// RSA 3072 bits.
    #[value(name = "rsa-3072")]
    Rsa3072,
    /// RSA 4096 bits (slow to generate).
    #[value(name = "rsa-4096")]
    Rsa4096,
}

impl From<KeyTypeArg> for crate::pki::issue::KeyType {
    fn from(arg: KeyTypeArg) -> Self {
        use crate::pki::issue::KeyType;
        match arg {
            KeyTypeArg::EcdsaP256 => KeyType::EcdsaP256,
            KeyTypeArg::EcdsaP384 => KeyType::EcdsaP384,
            KeyTypeArg::Rsa2048 => KeyType::Rsa2048,
            KeyTypeArg::Rsa3072 => KeyType::Rsa3072,
            KeyTypeArg::Rsa4096 => KeyType::Rsa4096,
        }
    }
}

/// `365`, `365d`, `1y`, `2160h` → whole days (hours round up).
pub fn parse_days(text: &str) -> Result<u32, String> {
    let bad = || format!("{text:?} is not a duration: use days (365 or 365d), years (1y) or hours (2160h)");
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u32 = number.parse().map_err(|_| bad())?;
    let days = match unit {
        "" | "d" => Some(number),
        "y" => number.checked_mul(365),
        "h" => Some(number.div_ceil(24)),
        _ => None,
    }
    .ok_or_else(bad)?;
    if days == 0 {
        return Err(format!("{text:?} is too short: at least one day"));
    }
    Ok(days)
}

#[derive(Debug, Args)]
pub struct IssueClientArgs {
    /// The client's name: the certificate's CN (for people) and the bundle's file names.
    pub name: Option<String>,

    /// A SAN for the client: DNS name, URI (spiffe://…), IP or email. Repeatable.
    #[arg(long = "san", value_name = "SAN")]
    pub sans: Vec<String>,

    /// The credential whose CA signs ([NAMESPACE/]SECRET; a bare name is in -n, else istio-system).
    #[arg(long, value_name = "[NAMESPACE/]SECRET")]
    pub credential: Option<String>,

    /// Sign with this CA certificate (PEM) instead of the credential's.
    #[arg(long, value_name = "FILE", requires = "ca_key")]
    pub ca_cert: Option<PathBuf>,

    /// The key of --ca-cert (PEM).
    #[arg(long, value_name = "FILE", requires = "ca_cert")]
    pub ca_key: Option<PathBuf>,

    /// Sign this certificate signing request (PEM) instead of generating a key.
    #[arg(long, value_name = "FILE")]
    pub csr: Option<PathBuf>,

    /// Where to write the bundle (default: ./NAME).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Validity, e.g. 365d, 1y, 720h (never past the CA's).
    #[arg(long, value_name = "DURATION", default_value = "1y", value_parser = parse_days)]
    pub validity: u32,

    /// Key type for the generated key.
    #[arg(long, value_enum, default_value_t)]
    pub key_type: KeyTypeArg,

    /// Also write NAME.p12 (0600), protected by a password from --p12-password-file or typed twice.
    #[arg(long)]
    pub p12: bool,

    /// File holding the PKCS#12 password (first line).
    #[arg(long, value_name = "FILE", requires = "p12")]
    pub p12_password_file: Option<PathBuf>,

    /// Also allow the SANs on this Istio Gateway ([NAMESPACE/]GATEWAY), like `kubectl mtls allow`.
    #[arg(long, value_name = "[NAMESPACE/]GATEWAY")]
    pub allow_on: Option<String>,

    /// Take host and port for the curl line from this Gateway ([NAMESPACE/]GATEWAY).
    #[arg(long, value_name = "[NAMESPACE/]GATEWAY", conflicts_with = "allow_on")]
    pub gateway: Option<String>,

    #[command(flatten)]
    pub server: ServerArgs,

    /// Overwrite existing bundle files.
    #[arg(long)]
    pub force: bool,

    /// Print paths, serial, SANs and validity as JSON or YAML (never the key).
    #[arg(short = 'o', long, value_enum, value_name = "FORMAT")]
    pub output: Option<ObjectFormat>,
}

#[derive(Debug, Args)]
pub struct SanEditArgs {
    /// The Istio Gateway (in -n NAMESPACE). Prompted for at a terminal.
    pub gateway: Option<String>,

    /// Client SANs: DNS names, URIs, IP addresses or emails. Prompted for at a terminal.
    #[arg(value_name = "SAN")]
    pub sans: Vec<String>,

    #[command(flatten)]
    pub server: ServerArgs,

    #[command(flatten)]
    pub write: WriteArgs,
}

/// Which server of a Gateway to act on.
#[derive(Debug, Clone, Default, Args)]
pub struct ServerArgs {
    /// The server listening on this port.
    #[arg(long, value_name = "PORT", group = "server_selector")]
    pub port: Option<u16>,

    /// The server with this name or port name.
    #[arg(long, value_name = "NAME", group = "server_selector")]
    pub server_name: Option<String>,

    /// The server whose hosts cover this host.
    #[arg(long, value_name = "HOST", group = "server_selector")]
    pub host: Option<String>,

    /// Every server with tls.mode MUTUAL or OPTIONAL_MUTUAL.
    #[arg(long, group = "server_selector")]
    pub all_servers: bool,
}

/// For commands that change the cluster.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct WriteArgs {
    /// Write nothing: `client` computes the result here, `server` asks the API server.
    #[arg(long, value_enum, value_name = "MODE", default_value_t, num_args = 0..=1, require_equals = true, default_missing_value = "client")]
    pub dry_run: DryRun,

    /// Print the resulting object instead of a summary.
    #[arg(short = 'o', long, value_enum, value_name = "FORMAT")]
    pub output: Option<ObjectFormat>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum DryRun {
    /// Write to the cluster.
    #[default]
    None,
    /// Compute the result locally; send no write.
    Client,
    /// Send the write with dryRun=All: the server validates it and keeps nothing.
    Server,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ObjectFormat {
    /// JSON.
    Json,
    /// YAML.
    Yaml,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this Gateway.
    pub gateway: Option<String>,

    /// Gateways in every namespace.
    #[arg(short = 'A', long, conflicts_with = "gateway")]
    pub all_namespaces: bool,

    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

const DESCRIBE_ABOUT: &str = "\
Show every certificate in a gateway credential and check it the way Istio will use it.

Reads the Secret and, if it exists, SECRET-cacert (which Istio prefers for the CA), applies
Istio's key precedence (cert/key over tls.crt/tls.key, cacert over ca.crt, crl over ca.crl),
lists every certificate, and checks key match, chain, validity, SANs, CA constraints, weak
algorithms and the CRL.

The Secret is looked up in -n NAMESPACE, or in istio-system: the namespace of the gateway
workload, where Istio reads credentials. Exit code 3 means a check failed.";

#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// The credential Secret (the Gateway's tls.credentialName). Prompted for at a terminal.
    pub secret: Option<String>,

    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: OutputFormat,

    /// Warn when a certificate expires within this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub expiry_warning_days: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Tables for people.
    #[default]
    Table,
    /// JSON, for scripts.
    Json,
    /// YAML, for scripts.
    Yaml,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn durations() {
        assert_eq!(parse_days("365"), Ok(365));
        assert_eq!(parse_days("90d"), Ok(90));
        assert_eq!(parse_days("10y"), Ok(3650));
        assert_eq!(parse_days("25h"), Ok(2));
    }

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn valid_command_lines() {
        for line in [
            "kubectl-mtls describe gw-cred",
            "kubectl-mtls describe gw-cred -n istio-system -o json",
            "kubectl-mtls -n other --context c describe gw-cred",
            "kubectl-mtls describe --kubeconfig /tmp/k --user u --cluster c gw-cred -o yaml",
            "kubectl-mtls describe",
            "kubectl-mtls --no-input -y describe x --expiry-warning-days 10",
            "kubectl-mtls version",
            "kubectl-mtls completion bash",
            "kubectl-mtls completion kubectl",
            "kubectl-mtls __complete describe --credential x",
            "kubectl-mtls allow gw a.example.com spiffe://td/ns/x --port 443",
            "kubectl-mtls allow gw a.example.com --dry-run -o yaml",
            "kubectl-mtls allow gw a.example.com --dry-run=server -o json --all-servers",
            "kubectl-mtls disallow gw a.example.com --server-name https -y",
            "kubectl-mtls disallow",
            "kubectl-mtls list -A -o json",
            "kubectl-mtls list gw -n edge",
            "kubectl-mtls create cred --host a.example.com --host 10.0.0.1",
            "kubectl-mtls create cred --host a.example.com --gateway edge/gw --port 443 --key-type rsa-2048",
            "kubectl-mtls create cred --host a --ca-cert ca.pem --ca-key ca.key --validity 90d --rotate",
            "kubectl-mtls create cred --host a --ca-key-out ca.key --ca-validity 5y --dry-run -o yaml",
            "kubectl-mtls issue-client alice --san alice.example.com --credential istio-system/cred",
            "kubectl-mtls issue-client alice --san a --ca-cert c --ca-key k --out /tmp/x --p12 --p12-password-file p",
            "kubectl-mtls issue-client alice --csr a.csr --credential cred --allow-on gw --port 443 -o json",
        ] {
            let args = line.split_whitespace();
            if let Err(e) = Cli::try_parse_from(args) {
                panic!("{line}: {e}");
            }
        }
    }

    #[test]
    fn invalid_command_lines() {
        for (line, expected) in [
            ("kubectl-mtls describe x -o xml", "invalid value 'xml'"),
            ("kubectl-mtls describe x --expiry-warning-days soon", "invalid value 'soon'"),
            ("kubectl-mtls frobnicate", "unrecognized subcommand 'frobnicate'"),
            ("kubectl-mtls describe a b", "unexpected argument 'b'"),
            ("kubectl-mtls allow gw a --port 443 --host h", "cannot be used with"),
            ("kubectl-mtls allow gw a --dry-run=maybe", "invalid value 'maybe'"),
            ("kubectl-mtls allow gw a --port 70000", "invalid value '70000'"),
            ("kubectl-mtls list gw -A", "cannot be used with"),
            ("kubectl-mtls create c --host a --port 443", "--gateway"),
            ("kubectl-mtls create c --host a --ca-cert x", "--ca-key"),
            ("kubectl-mtls create c --host a --rotate --force", "cannot be used with"),
            ("kubectl-mtls create c --host a --validity 0d", "too short"),
            ("kubectl-mtls create c --host a --validity soon", "is not a duration"),
            ("kubectl-mtls create c --host a --key-type dsa", "invalid value 'dsa'"),
            ("kubectl-mtls issue-client a --san x --p12-password-file p", "--p12"),
            ("kubectl-mtls issue-client a --san x --allow-on g --gateway g", "cannot be used with"),
        ] {
            match Cli::try_parse_from(line.split_whitespace()) {
                Ok(_) => panic!("{line}: parsed"),
                Err(e) => assert!(e.to_string().contains(expected), "{line}: {e}"),
            }
        }
    }
}
