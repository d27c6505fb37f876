//! The README's first command: `cargo run --example walkthrough`.
//!
//! Starts the in-process test API server (an embedded test cluster, no real cluster needed),
//! seeds it with the credential the hand recipe makes and with a broken one, and runs
//! `kubectl mtls` against it, printing what a user would see.

use std::path::Path;

use base64::Engine;
use mtls_test_apiserver::TestApiServer;
use serde_json::json;

const CA: &str = include_str!("../tests/fixtures/recipe/example.com.crt");
const CERT: &str = include_str!("../tests/fixtures/recipe/httpbin.example.com.crt");
const KEY: &str = include_str!("../tests/fixtures/recipe/httpbin.example.com.key");
const CA_KEY: &str = include_str!("../tests/fixtures/recipe/example.com.key");

fn secret(server: &TestApiServer, name: &str, data: &[(&str, &str)]) {
    let encode = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    let data: serde_json::Map<String, serde_json::Value> =
        data.iter().map(|(k, v)| (k.to_string(), json!(encode(v)))).collect();
    server.seed(json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": "istio-system"},
        "data": data,
    }));
}

fn step(kubeconfig: &Path, shown: &str) -> i32 {
    println!("$ kubectl mtls {shown}");
    let mut args = vec!["kubectl-mtls".to_string(), "--kubeconfig".into(), kubeconfig.display().to_string()];
    args.extend(shown.split_whitespace().map(str::to_string));
    let code = kubectl_mtls::run(args);
    println!("(exit code {code})\n");
    code
}

fn main() {
    let server = TestApiServer::start();
    let dir = tempfile::tempdir().expect("temporary directory");
    let kubeconfig = server.write_kubeconfig(dir.path(), "admin");
    println!("Embedded test cluster at {} (no real cluster needed)\n", server.url());

    secret(&server, "httpbin-credential", &[("tls.crt", CERT), ("tls.key", KEY), ("ca.crt", CA)]);
    // The classic slip: the CA's key pasted where the server key belongs.
    secret(&server, "broken-credential", &[("tls.crt", CERT), ("tls.key", CA_KEY), ("ca.crt", CA)]);

    let good = step(&kubeconfig, "describe httpbin-credential");
    let broken = step(&kubeconfig, "describe broken-credential");
    let missing = step(&kubeconfig, "describe no-such-credential");
    assert_eq!((good, broken, missing), (0, 3, 1), "the walkthrough's exit codes changed");
    println!("Walkthrough complete.");
}
