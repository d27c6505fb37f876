//! `kubectl mtls completion SHELL` prints a completion script; `__complete WORDS…` answers
//! kubectl's plugin completion (kubectl 1.26+ runs `kubectl_complete-mtls`, which calls it) in
//! cobra's format: one candidate per line, then `:DIRECTIVE`. Names of Secrets and Gateways
//! come from the cluster, with a short timeout; nothing is ever changed.

use clap::CommandFactory;

use super::{Outcome, print_stdout};
use crate::cli::{Cli, CompleteArgs, CompletionArgs, CompletionShell, KubeFlags};
use crate::cluster::{gateways::Gateways, secrets};
use crate::context::DEFAULT_CREDENTIAL_NAMESPACE;
use crate::error::Error;

/// Cobra's ShellCompDirectiveNoFileComp: do not fall back to file names.
const NO_FILES: u32 = 4;

const KUBECTL_HELPER: &str = "#!/usr/bin/env sh
# kubectl 1.26+ runs this to complete `kubectl mtls ...`; made by `kubectl mtls completion kubectl`.
exec kubectl-mtls __complete \"$@\"
";

pub fn script(args: &CompletionArgs) -> Result<Outcome, Error> {
    let shell = match args.shell {
        CompletionShell::Kubectl => return print_stdout(KUBECTL_HELPER).map(|_| Outcome::Success),
        CompletionShell::Bash => clap_complete::Shell::Bash,
        CompletionShell::Zsh => clap_complete::Shell::Zsh,
        CompletionShell::Fish => clap_complete::Shell::Fish,
        CompletionShell::Powershell => clap_complete::Shell::PowerShell,
    };
    let mut buffer = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "kubectl-mtls", &mut buffer);
    print_stdout(&String::from_utf8_lossy(&buffer))?;
    Ok(Outcome::Success)
}

/// What the word being completed is, judging by the words before it.
#[derive(Debug, PartialEq, Eq)]
enum Slot {
    Subcommand,
    Flag(String),
    SecretName,
    GatewayName,
    Nothing,
}

fn slot(words: &[String]) -> Slot {
    let before = &words[..words.len().saturating_sub(1)];
    let current = words.last().map(String::as_str).unwrap_or("");
    // The first word that is neither a flag nor a global flag's value.
    let mut subcommand = None;
    let mut skip = false;
    for word in before {
        if skip {
            skip = false;
        } else if word.starts_with('-') {
            skip = !word.contains('=') && takes_value("", word);
        } else {
            subcommand = Some(word);
            break;
        }
    }
    let Some(subcommand) = subcommand else {
        return if current.starts_with('-') { Slot::Flag(String::new()) } else { Slot::Subcommand };
    };
    if current.starts_with('-') {
        return Slot::Flag(subcommand.clone());
    }
    match before.last().map(String::as_str) {
        Some("--credential") => return Slot::SecretName,
        Some("--gateway" | "--allow-on") => return Slot::GatewayName,
        Some(flag) if flag.starts_with('-') && !flag.contains('=') && takes_value(subcommand, flag) => {
            return Slot::Nothing;
        }
        _ => {}
    }
    let positionals = before.iter().skip_while(|w| *w != subcommand).skip(1).filter(|w| !w.starts_with('-')).count();
    match (subcommand.as_str(), positionals) {
        ("describe", 0) => Slot::SecretName,
        ("allow" | "disallow" | "list", 0) => Slot::GatewayName,
        _ => Slot::Nothing,
    }
}

fn takes_value(subcommand: &str, flag: &str) -> bool {
    let command = Cli::command();
    let name = flag.trim_start_matches('-');
    let short = if flag.starts_with("--") { None } else { name.chars().next().filter(|_| name.len() == 1) };
    let matches = |a: &&clap::Arg| a.get_long() == Some(name) || (short.is_some() && a.get_short() == short);
    let global = command.get_arguments().find(matches);
    let local = command.find_subcommand(subcommand).and_then(|s| s.get_arguments().find(matches));
    global.or(local).is_some_and(|a| a.get_action().takes_values())
}

fn flags(subcommand: &str) -> Vec<String> {
    let command = Cli::command();
    let mut names: Vec<String> =
        command.get_arguments().filter_map(|a| a.get_long()).map(|l| format!("--{l}")).collect();
    if let Some(sub) = command.find_subcommand(subcommand) {
        names.extend(sub.get_arguments().filter_map(|a| a.get_long()).map(|l| format!("--{l}")));
    }
    names
}

pub async fn complete(kube: &KubeFlags, args: &CompleteArgs) -> Result<Outcome, Error> {
    let words = if args.words.is_empty() { vec![String::new()] } else { args.words.clone() };
    let current = words.last().cloned().unwrap_or_default();
    let candidates: Vec<String> = match slot(&words) {
        Slot::Subcommand => {
            Cli::command().get_subcommands().filter(|s| !s.is_hide_set()).map(|s| s.get_name().to_string()).collect()
        }
        Slot::Flag(subcommand) => flags(&subcommand),
        Slot::SecretName => cluster_names(kube, true).await,
        Slot::GatewayName => cluster_names(kube, false).await,
        Slot::Nothing => vec![],
    };
    let mut out: String = candidates.into_iter().filter(|c| c.starts_with(&current)).map(|c| c + "\n").collect();
    out.push_str(&format!(":{NO_FILES}\n"));
    print_stdout(&out)?;
    Ok(Outcome::Success)
}

/// Credential Secrets or Gateways in the relevant namespace; nothing if the cluster is slow or
/// says no (completion must never hang or print errors).
async fn cluster_names(kube: &KubeFlags, secrets_wanted: bool) -> Vec<String> {
    let mut flags = kube.clone();
    flags.request_timeout = "2s".into();
    let lookup = async {
        let cluster = crate::cluster::connect(&flags).await.ok()?;
        if secrets_wanted {
            let namespace = kube.namespace.clone().unwrap_or_else(|| DEFAULT_CREDENTIAL_NAMESPACE.to_string());
            secrets::names_with_certificates(&cluster, &namespace).await.ok()
        } else {
            let namespace = kube.namespace.clone().unwrap_or_else(|| cluster.context_namespace.clone());
            let objects = Gateways::new(&cluster).list(Some(&namespace)).await.ok()?;
            Some(
                objects
                    .iter()
                    .filter_map(|g| g.pointer("/metadata/name").and_then(serde_json::Value::as_str).map(str::to_string))
                    .collect(),
            )
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(3), lookup).await.ok().flatten().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let mut list: Vec<String> = text.split(' ').map(str::to_string).collect();
        if text.is_empty() {
            list = vec![String::new()];
        }
        list
    }

    #[test]
    fn slots() {
        assert_eq!(slot(&words("")), Slot::Subcommand);
        assert_eq!(slot(&words("de")), Slot::Subcommand);
        assert_eq!(slot(&words("describe ")), Slot::SecretName);
        assert_eq!(slot(&words("-n istio-system describe ")), Slot::SecretName);
        assert_eq!(slot(&words("allow ")), Slot::GatewayName);
        assert_eq!(slot(&words("allow gw ")), Slot::Nothing);
        assert_eq!(slot(&words("issue-client alice --credential ")), Slot::SecretName);
        assert_eq!(slot(&words("create c --gateway ")), Slot::GatewayName);
        assert_eq!(slot(&words("describe --")), Slot::Flag("describe".into()));
        assert_eq!(slot(&words("describe -o ")), Slot::Nothing);
        assert_eq!(slot(&words("-n ns describe ")), Slot::SecretName);
        assert_eq!(slot(&words("describe --output ")), Slot::Nothing);
    }
}
