//! The README's first command: `cargo run --example walkthrough`.
//!
//! Starts the in-process test API server (an embedded test cluster, no real cluster needed)
//! with an Istio ingress gateway pod and a Gateway, then runs the whole recipe with
//! `kubectl mtls`: create, describe, issue-client (allowing it on the Gateway), allow, list;
//! and describes the credential the hand recipe makes, and a broken one.

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
    let mut args =
        vec!["kubectl-mtls".to_string(), "--kubeconfig".into(), kubeconfig.display().to_string(), "--no-input".into()];
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

    server.seed(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "istio-ingressgateway-0", "namespace": "istio-system", "labels": {"istio": "ingressgateway"}},
        "spec": {"containers": [{"name": "istio-proxy", "image": "istio/proxyv2"}]}
    }));
    server.seed(json!({
        "apiVersion": "networking.istio.io/v1", "kind": "Gateway",
        "metadata": {"name": "httpbin", "namespace": "default"},
        "spec": {"selector": {"istio": "ingressgateway"}, "servers": [{
            "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
            "hosts": ["httpbin.example.com"],
            "tls": {"mode": "SIMPLE", "credentialName": "httpbin-simple"}
        }]}
    }));
    secret(&server, "recipe-credential", &[("tls.crt", CERT), ("tls.key", KEY), ("ca.crt", CA)]);
    // The classic slip: the CA's key pasted where the server key belongs.
    secret(&server, "broken-credential", &[("tls.crt", CERT), ("tls.key", CA_KEY), ("ca.crt", CA)]);
    let bundle = dir.path().join("alice");

    let codes = [
        step(&kubeconfig, "create httpbin-credential --gateway httpbin --host httpbin.example.com"),
        step(&kubeconfig, "describe httpbin-credential"),
        step(
            &kubeconfig,
            &format!(
                "issue-client alice --san alice.example.com --credential httpbin-credential --allow-on httpbin --out {}",
                bundle.display()
            ),
        ),
        step(&kubeconfig, "allow httpbin spiffe://cluster.local/ns/web/sa/client"),
        step(&kubeconfig, "list"),
        step(&kubeconfig, "describe recipe-credential"),
        step(&kubeconfig, "describe broken-credential"),
        step(&kubeconfig, "describe no-such-credential"),
    ];
    assert_eq!(codes, [0, 0, 0, 0, 0, 0, 3, 1], "the walkthrough's exit codes changed");
    println!("Walkthrough complete.");
}
