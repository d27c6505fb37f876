//! Connecting the way kubectl does: --kubeconfig, else KUBECONFIG (paths merge), else
//! ~/.kube/config, else the in-cluster service account; then --context/--cluster/--user.

use std::time::Duration;

use kube::config::{Config, KubeConfigOptions, Kubeconfig};

use super::error::ClusterError;
use crate::cli::KubeFlags;

/// A client plus what commands need to know about where it points.
#[derive(Clone)]
pub struct Cluster {
    pub client: kube::Client,
    /// The API server URL, for messages.
    pub server: String,
    /// The context's namespace, or `default`: kubectl's default for namespaced objects.
    pub context_namespace: String,
}

pub async fn connect(flags: &KubeFlags) -> Result<Cluster, ClusterError> {
    let timeout = parse_timeout(&flags.request_timeout)?;
    let options =
        KubeConfigOptions { context: flags.context.clone(), cluster: flags.cluster.clone(), user: flags.user.clone() };
    let kubeconfig_error = |detail: String| move |source| ClusterError::Kubeconfig { detail, source };
    let kubeconfig = match &flags.kubeconfig {
        Some(path) => {
            Some(Kubeconfig::read_from(path).map_err(kubeconfig_error(format!("cannot read {}", path.display())))?)
        }
        None => match Kubeconfig::from_env().map_err(kubeconfig_error("cannot read the files in KUBECONFIG".into()))? {
            Some(merged) => Some(merged),
            None => match home_kubeconfig() {
                Some(path) => Some(
                    Kubeconfig::read_from(&path)
                        .map_err(kubeconfig_error(format!("cannot read {}", path.display())))?,
                ),
                None => None,
            },
        },
    };
    let mut config = match kubeconfig {
        Some(kubeconfig) => Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(kubeconfig_error("the selected context, cluster or user is missing or incomplete".into()))?,
        None if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() => {
            Config::incluster().map_err(ClusterError::InCluster)?
        }
        None => return Err(ClusterError::NoKubeconfig),
    };
    // Our own bounded retry (cluster::retry) replaces kube's, which can wait for minutes.
    config.default_retry = false;
    config.read_timeout = timeout;
    config.connect_timeout = Some(timeout.unwrap_or(Duration::from_secs(30)).min(Duration::from_secs(30)));
    let server = config.cluster_url.to_string().trim_end_matches('/').to_string();
    let context_namespace = config.default_namespace.clone();
    let client =
        kube::Client::try_from(config).map_err(|source| ClusterError::Client { server: server.clone(), source })?;
    Ok(Cluster { client, server, context_namespace })
}

fn home_kubeconfig() -> Option<std::path::PathBuf> {
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"))?;
    let path = std::path::PathBuf::from(home).join(".kube").join("config");
    path.exists().then_some(path)
}

/// kubectl's `--request-timeout`: `0` for none, else a number with a unit (`500ms`, `30s`, `2m`, `1h`).
pub fn parse_timeout(text: &str) -> Result<Option<Duration>, ClusterError> {
    let bad = || ClusterError::RequestTimeout(text.to_string());
    let text = text.trim();
    if text == "0" {
        return Ok(None);
    }
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| bad())?;
    let duration = match unit {
        "ms" => Duration::from_millis(number),
        "s" | "" => Duration::from_secs(number),
        "m" => Duration::from_secs(number * 60),
        "h" => Duration::from_secs(number * 3600),
        _ => return Err(bad()),
    };
    Ok((!duration.is_zero()).then_some(duration))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout("0").unwrap(), None);
        assert_eq!(parse_timeout("30s").unwrap(), Some(Duration::from_secs(30)));
        assert_eq!(parse_timeout("2m").unwrap(), Some(Duration::from_secs(120)));
        assert_eq!(parse_timeout("250ms").unwrap(), Some(Duration::from_millis(250)));
        assert!(parse_timeout("soon").is_err());
        assert!(parse_timeout("5y").is_err());
    }
}
