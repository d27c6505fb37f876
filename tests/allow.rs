//! `kubectl mtls allow` / `disallow` / `list` end to end: the real binary against the test API
//! server, with its request log, faults, RBAC users and a pseudo-terminal for prompts.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

mod common;

use common::{Env, Fault, FaultRule, Run};
use mtls_test_apiserver::{Options, ServedVersions, TestApiServer};
use serde_json::{Value, json};

fn gateway(name: &str, api_version: &str) -> Value {
    json!({
        "apiVersion": api_version,
        "kind": "Gateway",
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": {"app": "httpbin"},
            "annotations": {"team": "edge", "note": "1.10"}
        },
        "spec": {
            "selector": {"istio": "ingressgateway"},
            "servers": [
                {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]},
                {
                    "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                    "hosts": ["httpbin.example.com"],
                    "tls": {
                        "mode": "MUTUAL",
                        "credentialName": "httpbin-credential",
                        "subjectAltNames": ["a.example.com"],
                        "minProtocolVersion": "TLSV1_2",
                        "cipherSuites": ["ECDHE-ECDSA-AES256-GCM-SHA384"]
                    },
                    "someFutureField": {"nested": [1, 2.5, "x", null, true]}
                }
            ]
        }
    })
}

fn seed(env: &Env) {
    env.server.seed(gateway("httpbin", "networking.istio.io/v1"));
}

fn stored(env: &Env) -> Value {
    env.server.get("networking.istio.io/v1", "Gateway", Some("default"), "httpbin").expect("gateway stored")
}

fn sans(gateway: &Value, server: usize) -> Value {
    gateway.pointer(&format!("/spec/servers/{server}/tls/subjectAltNames")).cloned().unwrap_or(Value::Null)
}

/// The object without what an edit may legitimately change.
fn without_edit(mut gateway: Value, server: usize) -> Value {
    gateway["metadata"].as_object_mut().unwrap().remove("resourceVersion");
    gateway["metadata"].as_object_mut().unwrap().remove("generation");
    if let Some(tls) = gateway.pointer_mut(&format!("/spec/servers/{server}/tls")).and_then(Value::as_object_mut) {
        tls.remove("subjectAltNames");
    }
    gateway
}

#[test]
fn allow_adds_with_one_read_and_one_patch_and_touches_nothing_else() {
    let env = Env::new();
    seed(&env);
    let before = stored(&env);
    env.server.clear_requests();
    let run = env.run(
        "admin",
        &[
            "allow",
            "httpbin",
            "b.example.com",
            "spiffe://cluster.local/ns/web/sa/client",
            "10.0.0.9",
            "ops@example.com",
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        "gateway default/httpbin server 443/https: allowed b.example.com, spiffe://cluster.local/ns/web/sa/client, 10.0.0.9, ops@example.com\n  \
         allow-list now: a.example.com, b.example.com, spiffe://cluster.local/ns/web/sa/client, 10.0.0.9, ops@example.com\n"
    );
    let requests = env.server.requests();
    let calls: Vec<(String, String)> = requests.iter().map(|r| (r.method.clone(), r.patch_type.clone())).collect();
    assert_eq!(
        calls,
        [("GET".to_string(), String::new()), ("PATCH".to_string(), "application/json-patch+json".to_string())],
        "uncontended, one edit is exactly one read and one patch"
    );
    let after = stored(&env);
    assert_eq!(
        sans(&after, 1),
        json!([
            "a.example.com",
            "b.example.com",
            "spiffe://cluster.local/ns/web/sa/client",
            "10.0.0.9",
            "ops@example.com"
        ])
    );
    assert_eq!(without_edit(after, 1), without_edit(before, 1), "every other field survives exactly");
}

#[test]
fn duplicates_and_absent_entries_change_nothing() {
    let env = Env::new();
    seed(&env);
    let before = stored(&env);
    env.server.clear_requests();
    let run = env.run("admin", &["allow", "httpbin", "A.EXAMPLE.com"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        "gateway default/httpbin server 443/https: nothing to change\n  already allowed: A.EXAMPLE.com\n  allow-list now: a.example.com\n"
    );
    let run = env.run("admin", &["disallow", "httpbin", "zzz.example.com"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("not in the list: zzz.example.com"), "{run:?}");
    assert!(env.server.requests().iter().all(|r| r.method == "GET"));
    assert_eq!(stored(&env), before);
}

#[test]
fn bad_sans_are_refused_one_line_each_before_any_request() {
    let env = Env::new();
    seed(&env);
    env.server.clear_requests();
    let run =
        env.run("admin", &["allow", "httpbin", "*.example.com", "ok.example.com", "a..b", "spiffe://Bad/x", "ip:nope"]);
    assert_eq!(run.code, 1, "{run:?}");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 4, "{run:?}");
    assert!(
        lines[0]
            .starts_with("error: invalid SAN \"*.example.com\": allow-list entries are exact strings, not patterns")
    );
    assert!(lines[0].contains("list a name it covers, e.g. api.example.com"));
    assert!(lines[1].starts_with("error: invalid SAN \"a..b\""));
    assert!(lines[2].starts_with("error: invalid SAN \"spiffe://Bad/x\""));
    assert!(lines[3].starts_with("error: invalid SAN \"ip:nope\""));
    assert!(env.server.requests().is_empty());
}

fn multi_server_gateway(env: &Env) {
    let mut gw = gateway("multi", "networking.istio.io/v1");
    let servers = gw["spec"]["servers"].as_array_mut().unwrap();
    servers.push(json!({
        "name": "partners",
        "port": {"number": 9443, "name": "https-partners", "protocol": "HTTPS"},
        "hosts": ["partners.example.com"],
        "tls": {"mode": "OPTIONAL_MUTUAL", "credentialName": "partners"}
    }));
    servers.push(json!({
        "port": {"number": 8443, "name": "https-simple", "protocol": "HTTPS"},
        "hosts": ["simple.example.com"],
        "tls": {"mode": "SIMPLE", "credentialName": "simple"}
    }));
    env.server.seed(gw);
}

#[test]
fn server_selection_in_all_its_cases() {
    let env = Env::new();
    multi_server_gateway(&env);
    let get = || env.server.get("networking.istio.io/v1", "Gateway", Some("default"), "multi").unwrap();

    let run = env.run("admin", &["allow", "multi", "c.example.com"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.starts_with(
            "error: a server of gateway default/multi is required: pass --port, --server-name, --host or --all-servers;"
        ),
        "{run:?}"
    );
    assert!(
        run.stderr.contains(
            "443/https [httpbin.example.com] MUTUAL; 9443/https-partners [partners.example.com] OPTIONAL_MUTUAL"
        ),
        "{run:?}"
    );

    let run = env.run("admin", &["allow", "multi", "c.example.com", "--port", "443"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(sans(&get(), 1), json!(["a.example.com", "c.example.com"]));

    let run = env.run("admin", &["allow", "multi", "d.example.com", "--server-name", "partners"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.starts_with("warning: gateway default/multi server 9443/https-partners is OPTIONAL_MUTUAL: clients that present no certificate still get in"), "{run:?}");
    assert_eq!(sans(&get(), 2), json!(["d.example.com"]));

    let run = env.run("admin", &["allow", "multi", "e.example.com", "--host", "partners.example.com"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(sans(&get(), 2), json!(["d.example.com", "e.example.com"]));

    let run = env.run("admin", &["allow", "multi", "f.example.com", "--all-servers"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(sans(&get(), 1), json!(["a.example.com", "c.example.com", "f.example.com"]));
    assert_eq!(sans(&get(), 2), json!(["d.example.com", "e.example.com", "f.example.com"]));

    let before = get();
    let run = env.run("admin", &["allow", "multi", "g.example.com", "--port", "8443"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.starts_with(
            "error: cannot edit SANs of gateway default/multi server 8443/https-simple: its tls.mode is SIMPLE"
        ),
        "{run:?}"
    );
    assert!(run.stderr.contains("kubectl mtls create NAME --gateway default/multi"), "{run:?}");
    let run = env.run("admin", &["allow", "multi", "g.example.com", "--port", "80"]);
    assert!(run.stderr.contains("no tls block"), "{run:?}");
    let run = env.run("admin", &["allow", "multi", "g.example.com", "--port", "1234"]);
    assert!(
        run.stderr.starts_with("error: gateway default/multi has no server on port 1234; its servers: 80/http"),
        "{run:?}"
    );
    assert_eq!(get(), before);
}

#[test]
fn emptying_the_list_needs_confirmation() {
    let env = Env::new();
    seed(&env);
    let before = stored(&env);
    let run = env.run("admin", &["disallow", "httpbin", "a.example.com"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr,
        "error: confirmation (this empties the allow-list of gateway default/httpbin server 443/https: an empty list accepts every client certificate signed by the CA) is required: pass --yes (there is no terminal to ask at)\n"
    );
    assert_eq!(stored(&env), before);

    let run = env.run("admin", &["disallow", "httpbin", "a.example.com", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.ends_with("allow-list now: empty: every client certificate signed by the CA is accepted\n"),
        "{run:?}"
    );
    assert_eq!(sans(&stored(&env), 1), Value::Null, "the field is removed");
    assert_eq!(without_edit(stored(&env), 1), without_edit(before, 1));
}

#[test]
fn the_confirmation_prompt_in_a_terminal() {
    let env = Env::new();
    seed(&env);
    let mut command = env.command("admin");
    command.args(["disallow", "httpbin", "a.example.com"]);
    let mut session = rexpect::session::spawn_command(command, Some(20_000)).expect("spawn in a pty");
    session.exp_string("an empty list accepts every client certificate signed by the CA. Continue?").expect("prompt");
    session.send_line("n").expect("answer");
    session.exp_string("not confirmed; nothing was changed").expect("declined");
    session.exp_eof().expect("exit");
    assert_eq!(sans(&stored(&env), 1), json!(["a.example.com"]));

    let mut command = env.command("admin");
    command.args(["disallow", "httpbin", "a.example.com"]);
    let mut session = rexpect::session::spawn_command(command, Some(20_000)).expect("spawn in a pty");
    session.exp_string("Continue?").expect("prompt");
    session.send_line("y").expect("answer");
    session.exp_string("allow-list now: empty").expect("done");
    session.exp_eof().expect("exit");
    assert_eq!(sans(&stored(&env), 1), Value::Null);
}

#[test]
fn sans_typed_at_the_terminal_are_validated() {
    let env = Env::new();
    seed(&env);
    let mut command = env.command("admin");
    command.args(["allow", "httpbin"]);
    let mut session = rexpect::session::spawn_command(command, Some(20_000)).expect("spawn in a pty");
    session.exp_string("Client SAN to allow").expect("prompt");
    session.send_line("*.example.com").expect("type");
    session.exp_string("exact strings, not patterns").expect("validation message");
    // Clear the rejected input, then type good ones.
    for _ in 0.."*.example.com".len() {
        session.send("\x08").expect("backspace");
    }
    session.send_line("typed.example.com").expect("type");
    session.exp_string("empty line to finish").expect("next prompt");
    session.send_line("").expect("finish");
    session.exp_string("allowed typed.example.com").expect("done");
    session.exp_eof().expect("exit");
    assert_eq!(sans(&stored(&env), 1), json!(["a.example.com", "typed.example.com"]));
}

#[test]
fn older_control_planes_are_found_by_discovery() {
    for version in ["v1beta1", "v1alpha3"] {
        let server = TestApiServer::start_with(Options { served: ServedVersions { istio_gateway: vec![version] } });
        let env = Env::with_server(server);
        env.server.seed(gateway("httpbin", &format!("networking.istio.io/{version}")));
        let run = env.run("admin", &["allow", "httpbin", "b.example.com"]);
        assert_eq!(run.code, 0, "{version}: {run:?}");
        let paths: Vec<String> = env.server.requests().iter().map(|r| format!("{} {}", r.method, r.path)).collect();
        assert_eq!(
            paths,
            [
                "GET /apis/networking.istio.io/v1/namespaces/default/gateways/httpbin".to_string(),
                "GET /apis/networking.istio.io".to_string(),
                format!("GET /apis/networking.istio.io/{version}/namespaces/default/gateways/httpbin"),
                format!("PATCH /apis/networking.istio.io/{version}/namespaces/default/gateways/httpbin"),
            ]
        );
        let stored =
            env.server.get(&format!("networking.istio.io/{version}"), "Gateway", Some("default"), "httpbin").unwrap();
        assert_eq!(sans(&stored, 1), json!(["a.example.com", "b.example.com"]));
    }
    let none = TestApiServer::start_with(Options { served: ServedVersions { istio_gateway: vec![] } });
    let env = Env::with_server(none);
    let run = env.run("admin", &["allow", "httpbin", "b.example.com"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.starts_with("error: the API server does not serve gateways.networking.istio.io"), "{run:?}");
}

#[test]
fn twenty_concurrent_allows_with_a_concurrent_writer_lose_nothing() {
    let env = Env::new();
    seed(&env);
    env.server.faults().add(FaultRule::new(Fault::ConcurrentWrite).method("GET").path("/gateways/httpbin").times(10));
    let children: Vec<_> = (0..20)
        .map(|i| {
            env.command("admin")
                .args(["allow", "httpbin", &format!("client-{i}.example.com")])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for child in children {
        let run = Run::from(child.wait_with_output().expect("wait"));
        assert_eq!(run.code, 0, "{run:?}");
    }
    let after = stored(&env);
    let list: Vec<String> = serde_json::from_value(sans(&after, 1)).unwrap();
    assert_eq!(list.len(), 21, "{list:?}");
    for i in 0..20 {
        assert!(list.contains(&format!("client-{i}.example.com")), "client-{i} lost: {list:?}");
    }
    assert_eq!(
        after["metadata"]["annotations"]["test.kubectl-mtls.io/concurrent-writes"], "10",
        "the other writer's changes survive"
    );
    let conflicts = env.server.requests().iter().filter(|r| r.method == "PATCH" && r.status == 422).count();
    assert!(conflicts > 0, "the test exercised conflicts");
}

#[test]
fn faults_on_the_read_and_the_write_are_retried() {
    let env = Env::new();
    seed(&env);
    env.server.faults().add(FaultRule::new(Fault::Status(500)).method("GET").path("/gateways/httpbin").times(1));
    env.server.faults().add(FaultRule::new(Fault::Throttle { retry_after_secs: 1 }).method("PATCH").times(1));
    env.server.faults().add(FaultRule::new(Fault::Status(503)).method("PATCH").times(1));
    let run = env.run("admin", &["allow", "httpbin", "b.example.com"]);
    assert_eq!(run.code, 0, "{run:?}");
    let statuses: Vec<(String, u16)> = env.server.requests().iter().map(|r| (r.method.clone(), r.status)).collect();
    assert_eq!(
        statuses,
        [("GET".into(), 500), ("GET".into(), 200), ("PATCH".into(), 429), ("PATCH".into(), 503), ("PATCH".into(), 200)]
    );
    assert_eq!(sans(&stored(&env), 1), json!(["a.example.com", "b.example.com"]));
}

#[test]
fn rbac_denial_on_patch_changes_nothing() {
    let env = Env::new();
    seed(&env);
    let before = stored(&env);
    let run = env.run("no-gateway-patch", &["allow", "httpbin", "b.example.com"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        "error: forbidden: you may not patch gateways.networking.istio.io in namespace default (RBAC): ask a cluster admin for `patch` on `gateways.networking.istio.io` there"
    );
    assert_eq!(stored(&env), before);
}

#[test]
fn dry_runs_print_the_result_and_write_nothing() {
    let env = Env::new();
    seed(&env);
    let before = stored(&env);
    let run = env.run("admin", &["allow", "httpbin", "b.example.com", "--dry-run", "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let shown: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(sans(&shown, 1), json!(["a.example.com", "b.example.com"]));
    assert!(env.server.requests().iter().all(|r| r.method == "GET"));

    let run = env.run("admin", &["allow", "httpbin", "b.example.com", "--dry-run=server", "-o", "yaml"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("- b.example.com"), "{run:?}");
    assert!(env.server.requests().iter().any(|r| r.method == "PATCH" && r.query == "dryRun=All"));
    assert_eq!(stored(&env), before);
}

#[test]
fn missing_gateway_and_missing_input() {
    let env = Env::new();
    let run = env.run("admin", &["allow", "nope", "b.example.com"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stderr,
        "error: gateway default/nope not found: list them with `kubectl mtls list -n default`, or pass -n NAMESPACE\n"
    );
    let run = env.run("admin", &["allow"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.starts_with("error: GATEWAY is required: pass the Gateway name"), "{run:?}");
    let run = env.run("admin", &["allow", "httpbin"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.starts_with("error: SAN is required: pass one or more SANs after the gateway name"), "{run:?}");
}

#[test]
fn the_context_namespace_is_the_default() {
    let env = Env::new();
    let mut gw = gateway("edge-gw", "networking.istio.io/v1");
    gw["metadata"]["namespace"] = json!("edge");
    env.server.seed(gw);
    common::write(&env.path("kubeconfig-edge"), &env.server.kubeconfig("admin", Some("edge")));
    let run = Run::from(
        env.command("admin")
            .env("KUBECONFIG", env.path("kubeconfig-edge"))
            .args(["allow", "edge-gw", "b.example.com"])
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.starts_with("gateway edge/edge-gw"), "{run:?}");
}

#[test]
fn list_shows_servers_modes_and_sans() {
    let env = Env::new();
    seed(&env);
    multi_server_gateway(&env);
    let mut other = gateway("elsewhere", "networking.istio.io/v1");
    other["metadata"]["namespace"] = json!("edge");
    other["spec"]["servers"][1]["tls"].as_object_mut().unwrap().remove("subjectAltNames");
    other["spec"]["servers"][0]["tls"] =
        json!({"mode": "SIMPLE", "credentialName": "x", "subjectAltNames": ["ignored.example.com"]});
    env.server.seed(other);

    let run = env.run("admin", &["list"]);
    assert_eq!(run.code, 0, "{run:?}");
    insta::assert_snapshot!("list_default_namespace", run.stdout);
    let run = env.run("admin", &["list", "-A"]);
    assert_eq!(run.code, 0, "{run:?}");
    insta::assert_snapshot!("list_all_namespaces", run.stdout);
    let run = env.run("admin", &["list", "httpbin", "-o", "json"]);
    let rows: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(rows[0]["servers"][1]["allowed_sans"], json!(["a.example.com"]));
    assert_eq!(rows[0]["servers"][1]["mode"], "MUTUAL");
    let run = env.run("admin", &["list", "-n", "empty"]);
    assert_eq!(run.stdout, "No Istio Gateways found in namespace empty.\n");
}

#[test]
fn kubectl_sees_the_result() {
    let env = Env::new();
    seed(&env);
    assert_eq!(env.run("admin", &["allow", "httpbin", "b.example.com"]).code, 0);
    let run = Run::from(
        std::process::Command::new(common::kubectl_path())
            .env_clear()
            .env("HOME", env.dir.path())
            .env("KUBECONFIG", env.kubeconfig("reader"))
            .args(["get", "gateways.networking.istio.io", "httpbin", "-n", "default", "-o", "json"])
            .output()
            .expect("kubectl"),
    );
    assert_eq!(run.code, 0, "{run:?}");
    let shown: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(sans(&shown, 1), json!(["a.example.com", "b.example.com"]));
    assert_eq!(shown["spec"]["servers"][1]["someFutureField"], json!({"nested": [1, 2.5, "x", null, true]}));
}

#[test]
fn a_person_at_a_terminal_picks_the_server() {
    let env = Env::new();
    multi_server_gateway(&env);
    let mut command = env.command("admin");
    command.args(["allow", "multi", "picked.example.com"]);
    let mut session = rexpect::session::spawn_command(command, Some(20_000)).expect("spawn in a pty");
    session.exp_string("Choose a server of gateway default/multi").expect("pick list");
    session.exp_string("9443/https-partners").expect("second candidate shown");
    session.send("\x1b[B").expect("down");
    session.send_line("").expect("pick the second");
    session.exp_string("allowed picked.example.com").expect("done");
    session.exp_eof().expect("exit");
    let gw = env.server.get("networking.istio.io/v1", "Gateway", Some("default"), "multi").unwrap();
    assert_eq!(sans(&gw, 2), json!(["picked.example.com"]));
}
