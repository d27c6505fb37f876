//! The errors a command can end with, and the exit code each one means.

use thiserror::Error;

use crate::cluster::ClusterError;
use crate::files::FileError;
use crate::istio::gateway::{CredentialPatchError, SelectError};
use crate::pki::issue::IssueError;
use crate::pki::san::SanError;
use crate::prompt::PromptError;
use crate::render::structured::StructuredError;

/// Exit codes, chosen only in `run`. 2 is clap's for usage errors.
pub mod exit {
    /// Success; for `describe`, no check failed.
    pub const OK: i32 = 0;
    /// The command could not do its job (not found, forbidden, bad input, API error).
    pub const ERROR: i32 = 1;
    /// The command line was wrong or incomplete (clap's code, also used for missing input).
    pub const USAGE: i32 = 2;
    /// `describe` ran, and at least one check failed.
    pub const CHECK_FAILED: i32 = 3;
    /// The cluster could not be reached, or refused our credentials, or there is no kubeconfig.
    pub const CLUSTER: i32 = 4;
}

#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Cluster(#[from] ClusterError),

    #[error(transparent)]
    Prompt(#[from] PromptError),

    #[error(
        "secret {namespace}/{name} not found: check the name with `kubectl get secrets -n {namespace}`, or pass -n NAMESPACE if the gateway workload runs elsewhere"
    )]
    SecretNotFound { namespace: String, name: String },

    #[error(
        "gateway {namespace}/{name} not found: list them with `kubectl mtls list -n {namespace}`, or pass -n NAMESPACE"
    )]
    GatewayNotFound { namespace: String, name: String },

    #[error(transparent)]
    Select(#[from] SelectError),

    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\nerror: "))]
    BadSans(Vec<SanError>),

    #[error("gateway {gateway} kept changing while we edited it ({attempts} attempts); nothing was written: try again")]
    EditGaveUp { gateway: String, attempts: u32 },

    #[error(
        "gateway {gateway} changed shape while we edited it (its servers moved); nothing was written: run the command again"
    )]
    GatewayReshaped { gateway: String },

    #[error("not confirmed; nothing was changed")]
    Declined,

    #[error("{0}")]
    Invalid(String),

    #[error(transparent)]
    Issue(#[from] IssueError),

    #[error(transparent)]
    File(#[from] FileError),

    #[error(transparent)]
    CredentialPatch(#[from] CredentialPatchError),

    #[error(transparent)]
    Structured(#[from] StructuredError),

    #[error("cannot write to standard output")]
    Stdout(#[source] std::io::Error),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Cluster(e) if e.is_connection() => exit::CLUSTER,
            Error::Prompt(PromptError::NeedsInput { .. }) => exit::USAGE,
            _ => exit::ERROR,
        }
    }
}
