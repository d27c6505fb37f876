//! `kubectl mtls describe` end to end: the real binary against the test API server.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

mod common;

use common::{Env, Fault, FaultRule, Run, pki};
use serde_json::Value;

const RECIPE_CA: &str = include_str!("fixtures/recipe/example.com.crt");
const RECIPE_CERT: &str = include_str!("fixtures/recipe/httpbin.example.com.crt");
const RECIPE_KEY: &str = include_str!("fixtures/recipe/httpbin.example.com.key");
const RECIPE_CA_KEY: &str = include_str!("fixtures/recipe/example.com.key");

fn recipe_secret(env: &Env, name: &str) {
    env.secret(
        "istio-system",
        name,
        &[("tls.crt", RECIPE_CERT.as_bytes()), ("tls.key", RECIPE_KEY.as_bytes()), ("ca.crt", RECIPE_CA.as_bytes())],
    );
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {run:?}"))
}

/// The checks with this id, as (status, message).
fn checks(report: &Value, id: &str) -> Vec<(String, String)> {
    report["checks"]
        .as_array()
        .expect("checks array")
        .iter()
        .filter(|c| c["id"] == id)
        .map(|c| {
            (
                c["status"].as_str().unwrap_or_default().to_string(),
                c["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn status_of(report: &Value, id: &str) -> Vec<String> {
    checks(report, id).into_iter().map(|(s, _)| s).collect()
}

/// Describes a credential built from `data` and returns the run and its JSON report.
fn describe(data: &[(&str, &[u8])]) -> (Run, Value) {
    let env = Env::new();
    env.secret("istio-system", "cred", data);
    let run = env.run("admin", &["describe", "cred", "-o", "json"]);
    let report = json(&run);
    (run, report)
}

#[test]
fn the_hand_recipe_credential_reads_as_istio_reads_it() {
    let env = Env::new();
    recipe_secret(&env, "httpbin-credential");
    let run = env.run("admin", &["describe", "httpbin-credential"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.is_empty(), "{run:?}");
    insta::with_settings!({filters => vec![
        (r"\d+ days left", "[N] days left"),
        (r"valid for \d+ more days", "valid for [N] more days"),
    ]}, {
        insta::assert_snapshot!("recipe_table", run.stdout);
    });
}

#[test]
fn json_agrees_with_openssl_and_never_carries_the_key() {
    let env = Env::new();
    recipe_secret(&env, "httpbin-credential");
    let run = env.run("admin", &["describe", "httpbin-credential", "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains("PRIVATE KEY"), "{run:?}");
    let report = json(&run);
    assert_eq!(report["status"], "ok");
    let leaf = &report["certificates"][0];
    assert_eq!(leaf["role"], "server-leaf");
    assert_eq!(leaf["sans"]["dns"][0], "httpbin.example.com");
    assert_eq!(leaf["public_key"]["algorithm"], "RSA");
    assert_eq!(leaf["public_key"]["bits"], 2048);

    // The real openssl agrees on the fingerprint and the chain.
    let cert_path = env.path("tls.crt");
    let ca_path = env.path("ca.crt");
    common::write(&cert_path, RECIPE_CERT);
    common::write(&ca_path, RECIPE_CA);
    let fingerprint = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(&cert_path)
        .output()
        .expect("openssl");
    let fingerprint = String::from_utf8_lossy(&fingerprint.stdout).trim().to_string();
    assert_eq!(fingerprint, format!("sha256 Fingerprint={}", leaf["sha256_fingerprint"].as_str().unwrap()));
    let verify = std::process::Command::new("openssl")
        .arg("verify")
        .arg("-CAfile")
        .arg(&ca_path)
        .arg(&cert_path)
        .output()
        .expect("openssl");
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
    assert_eq!(status_of(&report, "chain"), ["ok"]);

    let yaml = env.run("admin", &["describe", "httpbin-credential", "-o", "yaml"]);
    assert_eq!(yaml.code, 0, "{yaml:?}");
    assert!(yaml.stdout.contains("credential: httpbin-credential"), "{yaml:?}");
    assert!(yaml.stdout.contains("status: ok"), "{yaml:?}");
}

#[test]
fn ecdsa_chain_with_intermediate_and_ip_san() {
    let root = pki::ca("root", false);
    let intermediate = pki::intermediate(&root, "intermediate");
    let params = pki::add_ip(pki::server_params("gw.example.com"), "10.0.0.7".parse().unwrap());
    let leaf = pki::server_with(&intermediate, params, false);
    let chain = format!("{}{}", leaf.pem, intermediate.pem);
    let (run, report) = describe(&[
        ("tls.crt", chain.as_bytes()),
        ("tls.key", leaf.key_pem.as_bytes()),
        ("ca.crt", root.pem.as_bytes()),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let roles: Vec<&str> =
        report["certificates"].as_array().unwrap().iter().map(|c| c["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["server-leaf", "intermediate", "ca"]);
    assert_eq!(report["certificates"][0]["sans"]["ip"][0], "10.0.0.7");
    assert_eq!(report["certificates"][0]["public_key"]["curve"], "P-256");
    assert_eq!(report["certificates"][1]["path_len"], 0);
    assert_eq!(status_of(&report, "chain"), ["ok"]);
    assert_eq!(status_of(&report, "key-match"), ["ok"]);
}

#[test]
fn cacert_secret_wins_and_the_override_is_explained() {
    let env = Env::new();
    let ca = pki::ca("real ca", false);
    let stale = pki::ca("stale ca", false);
    let leaf = pki::server(&ca, "gw.example.com", false);
    env.secret(
        "istio-system",
        "cred",
        &[("tls.crt", leaf.pem.as_bytes()), ("tls.key", leaf.key_pem.as_bytes()), ("ca.crt", stale.pem.as_bytes())],
    );
    env.secret("istio-system", "cred-cacert", &[("ca.crt", ca.pem.as_bytes())]);
    let run = env.run("admin", &["describe", "cred", "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let report = json(&run);
    assert_eq!(status_of(&report, "cacert-override"), ["warn"]);
    assert_eq!(status_of(&report, "chain"), ["ok"], "the CA from cred-cacert verifies the chain");
    let inline =
        report["keys"].as_array().unwrap().iter().find(|k| k["secret"] == "cred" && k["key"] == "ca.crt").unwrap();
    assert_eq!(inline["read"], false);
    assert_eq!(inline["note"], "the Secret cred-cacert takes precedence");
}

#[test]
fn a_private_key_in_a_cacert_secret_fails() {
    let env = Env::new();
    let ca = pki::ca("ca", false);
    let leaf = pki::server(&ca, "gw.example.com", false);
    env.secret("istio-system", "cred", &[("tls.crt", leaf.pem.as_bytes()), ("tls.key", leaf.key_pem.as_bytes())]);
    env.secret("istio-system", "cred-cacert", &[("ca.crt", ca.pem.as_bytes()), ("tls.key", leaf.key_pem.as_bytes())]);
    let run = env.run("admin", &["describe", "cred", "-o", "json"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(status_of(&json(&run), "cacert-secret-key"), ["fail"]);
}

#[test]
fn mixed_key_styles_warn_and_name_what_is_ignored() {
    let ca = pki::ca("ca", false);
    let leaf = pki::server(&ca, "gw.example.com", false);
    let old = pki::server(&ca, "old.example.com", false);
    let (run, report) = describe(&[
        ("cert", leaf.pem.as_bytes()),
        ("key", leaf.key_pem.as_bytes()),
        ("tls.crt", old.pem.as_bytes()),
        ("tls.key", old.key_pem.as_bytes()),
        ("ca.crt", ca.pem.as_bytes()),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let (status, message) = checks(&report, "key-styles").remove(0);
    assert_eq!(status, "warn");
    assert!(message.contains("`tls.crt`, `tls.key`"), "{message}");
    assert_eq!(report["certificates"][0]["source"], "cred/cert");
}

#[test]
fn crl_is_summarised_and_its_signature_checked() {
    let ca = pki::ca("ca", false);
    let other = pki::ca("other", false);
    let leaf = pki::server(&ca, "gw.example.com", false);
    let good = pki::crl(&ca, 7);
    let base = [("tls.crt", leaf.pem.as_bytes()), ("tls.key", leaf.key_pem.as_bytes()), ("ca.crt", ca.pem.as_bytes())];

    let (run, report) = describe(&[base[0], base[1], base[2], ("ca.crl", good.as_bytes())]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(status_of(&report, "crl"), ["ok"]);
    assert_eq!(report["crl"]["revoked"], 1);
    assert!(report["crl"]["signed_by"].as_str().unwrap().contains("CN=ca"));

    let forged = pki::crl(&other, 7);
    let (run, report) = describe(&[base[0], base[1], base[2], ("ca.crl", forged.as_bytes())]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(status_of(&report, "crl"), ["fail"]);

    let stale = pki::crl(&ca, -1);
    let (run, report) = describe(&[base[0], base[1], base[2], ("ca.crl", stale.as_bytes())]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(status_of(&report, "crl"), ["warn"]);
}

#[test]
fn each_broken_credential_fails_on_its_own_check() {
    let ca = pki::ca("ca", false);
    let leaf = pki::server(&ca, "gw.example.com", false);
    let other_leaf = pki::server(&ca, "other.example.com", false);
    let not_a_ca = pki::server(&ca, "not-a-ca.example.com", false);
    let expired = pki::server_with(&ca, pki::with_validity(pki::server_params("gw.example.com"), -30, -2), false);
    let future = pki::server_with(&ca, pki::with_validity(pki::server_params("gw.example.com"), 5, 60), false);
    let der = {
        let pem = ::pem::parse(leaf.pem.as_bytes()).unwrap();
        pem.contents().to_vec()
    };
    let truncated = &leaf.pem[..leaf.pem.len() / 2];

    type Data = Vec<(&'static str, Vec<u8>)>;
    let cases: Vec<(&str, Data, &str, &str)> = vec![
        (
            "key mismatch",
            vec![("tls.crt", leaf.pem.clone().into()), ("tls.key", other_leaf.key_pem.clone().into())],
            "key-match",
            "does not belong",
        ),
        (
            "expired",
            vec![("tls.crt", expired.pem.clone().into()), ("tls.key", expired.key_pem.clone().into())],
            "validity",
            "expired on",
        ),
        (
            "not yet valid",
            vec![("tls.crt", future.pem.clone().into()), ("tls.key", future.key_pem.clone().into())],
            "validity",
            "is not valid until",
        ),
        (
            "CA that is not a CA",
            vec![
                ("tls.crt", leaf.pem.clone().into()),
                ("tls.key", leaf.key_pem.clone().into()),
                ("ca.crt", not_a_ca.pem.clone().into()),
            ],
            "ca",
            "not a CA certificate",
        ),
        (
            "garbage",
            vec![("tls.crt", b"hello world".to_vec()), ("tls.key", leaf.key_pem.clone().into())],
            "server-certificate-pem",
            "cred/tls.crt is not PEM",
        ),
        (
            "DER",
            vec![("tls.crt", der), ("tls.key", leaf.key_pem.clone().into())],
            "server-certificate-pem",
            "holds DER",
        ),
        (
            "truncated",
            vec![("tls.crt", truncated.as_bytes().to_vec()), ("tls.key", leaf.key_pem.clone().into())],
            "server-certificate-pem",
            "malformed PEM",
        ),
        (
            "certificate as key",
            vec![("tls.crt", leaf.pem.clone().into()), ("tls.key", leaf.pem.clone().into())],
            "key-match",
            "holds a CERTIFICATE block, not a private key",
        ),
        (
            "missing key",
            vec![("tls.crt", leaf.pem.clone().into()), ("ca.crt", ca.pem.clone().into())],
            "keys",
            "`tls.crt` + `tls.key`",
        ),
    ];
    for (name, data, id, expected) in cases {
        let borrowed: Vec<(&str, &[u8])> = data.iter().map(|(k, v)| (*k, v.as_slice())).collect();
        let (run, report) = describe(&borrowed);
        assert_eq!(run.code, 3, "{name}: {run:?}");
        assert!(run.stderr.is_empty(), "{name}: {run:?}");
        let found = checks(&report, id);
        assert!(
            found.iter().any(|(status, message)| status == "fail" && message.contains(expected)),
            "{name}: expected a failing {id} check saying {expected:?}, got {found:?}"
        );
    }
}

#[test]
fn warnings_do_not_fail_and_the_threshold_is_configurable() {
    let ca = pki::ca("ca", false);
    let soon = pki::server_with(&ca, pki::with_validity(pki::server_params("gw.example.com"), -1, 10), false);
    let no_san = pki::server_with(&ca, pki::without_sans(pki::server_params("gw.example.com")), false);
    let env = Env::new();
    env.secret(
        "istio-system",
        "soon",
        &[("tls.crt", soon.pem.as_bytes()), ("tls.key", soon.key_pem.as_bytes()), ("ca.crt", ca.pem.as_bytes())],
    );
    env.secret(
        "istio-system",
        "nosan",
        &[("tls.crt", no_san.pem.as_bytes()), ("tls.key", no_san.key_pem.as_bytes()), ("ca.crt", ca.pem.as_bytes())],
    );

    let run = env.run("admin", &["describe", "soon", "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let report = json(&run);
    assert!(checks(&report, "validity").iter().any(|(s, m)| s == "warn" && m.contains("expires in")), "{run:?}");
    assert_eq!(report["status"], "warn");

    let run = env.run("admin", &["describe", "soon", "-o", "json", "--expiry-warning-days", "5"]);
    assert!(!status_of(&json(&run), "validity").contains(&"warn".to_string()), "{run:?}");

    let run = env.run("admin", &["describe", "nosan", "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(status_of(&json(&run), "server-san"), ["warn"]);
}

#[test]
fn weak_rsa_and_sha1_warn() {
    let env = Env::new();
    let key = env.path("weak.key");
    let cert = env.path("weak.crt");
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-sha1", "-newkey", "rsa:1024", "-nodes", "-days", "30", "-subj", "/CN=weak.example"])
        .args(["-addext", "subjectAltName=DNS:weak.example", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let cert_pem = std::fs::read(&cert).unwrap();
    let key_pem = std::fs::read(&key).unwrap();
    env.secret("istio-system", "weak", &[("tls.crt", &cert_pem), ("tls.key", &key_pem), ("ca.crt", &cert_pem)]);
    let run = env.run("admin", &["describe", "weak", "-o", "json"]);
    let report = json(&run);
    assert!(status_of(&report, "weak-key").contains(&"warn".to_string()), "{run:?}");
    assert!(status_of(&report, "weak-signature").contains(&"warn".to_string()), "{run:?}");
    assert_eq!(status_of(&report, "key-match"), ["ok"], "PKCS#8 RSA key from openssl reads: {run:?}");
}

#[test]
fn recipe_ca_key_is_not_a_server_key() {
    // The CA's own key in tls.key: a classic copy-paste slip.
    let (run, report) = describe(&[
        ("tls.crt", RECIPE_CERT.as_bytes()),
        ("tls.key", RECIPE_CA_KEY.as_bytes()),
        ("ca.crt", RECIPE_CA.as_bytes()),
    ]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(status_of(&report, "key-match"), ["fail"]);
}

#[test]
fn missing_secret_is_one_clear_line() {
    let env = Env::new();
    let run = env.run("admin", &["describe", "nope"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stderr,
        "error: secret istio-system/nope not found: check the name with `kubectl get secrets -n istio-system`, or pass -n NAMESPACE if the gateway workload runs elsewhere\n"
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn namespace_flag_wins_over_the_default() {
    let env = Env::new();
    let ca = pki::ca("ca", false);
    let leaf = pki::server(&ca, "gw.example.com", false);
    env.secret(
        "gateways",
        "cred",
        &[("tls.crt", leaf.pem.as_bytes()), ("tls.key", leaf.key_pem.as_bytes()), ("ca.crt", ca.pem.as_bytes())],
    );
    assert_eq!(env.run("admin", &["describe", "cred"]).code, 1);
    let run = env.run("admin", &["describe", "cred", "-n", "gateways", "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(json(&run)["namespace"], "gateways");
    assert!(env.server.requests().iter().any(|r| r.path == "/api/v1/namespaces/gateways/secrets/cred"));
}

#[test]
fn rbac_denial_names_verb_resource_and_namespace() {
    let env = Env::new();
    recipe_secret(&env, "cred");
    let run = env.run("no-secrets", &["describe", "cred"]);
    assert_eq!(run.code, 1, "{run:?}");
    let first = run.stderr.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        "error: forbidden: you may not get secrets in namespace istio-system (RBAC): ask a cluster admin for `get` on `secrets` there"
    );
}

#[test]
fn connection_problems_exit_4() {
    let env = Env::new();
    // Bad token.
    let bad = env.server.kubeconfig("admin", None).replace("token-admin", "token-wrong");
    common::write(&env.path("kubeconfig-bad"), &bad);
    let run =
        env.command("admin").env("KUBECONFIG", env.path("kubeconfig-bad")).args(["describe", "x"]).output().unwrap();
    let run = Run::from(run);
    assert_eq!(run.code, 4, "{run:?}");
    assert!(run.stderr.starts_with("error: the API server at https://127.0.0.1:"), "{run:?}");
    assert!(run.stderr.contains("refused our credentials (401 Unauthorized)"), "{run:?}");

    // Nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let unreachable =
        env.server.kubeconfig("admin", None).replace(&env.server.url(), &format!("https://127.0.0.1:{port}"));
    common::write(&env.path("kubeconfig-closed"), &unreachable);
    let run = Run::from(
        env.command("admin").env("KUBECONFIG", env.path("kubeconfig-closed")).args(["describe", "x"]).output().unwrap(),
    );
    assert_eq!(run.code, 4, "{run:?}");
    assert!(
        run.stderr.starts_with(&format!("error: cannot reach the API server at https://127.0.0.1:{port}")),
        "{run:?}"
    );

    // No kubeconfig at all.
    let run = Run::from(env.command("admin").env_remove("KUBECONFIG").args(["describe", "x"]).output().unwrap());
    assert_eq!(run.code, 4, "{run:?}");
    assert_eq!(run.stderr, "error: no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config\n");
}

#[test]
fn transient_faults_are_retried_and_persistent_ones_reported() {
    let env = Env::new();
    recipe_secret(&env, "cred");
    env.server.faults().add(FaultRule::new(Fault::Status(500)).method("GET").path("/secrets/cred").times(1));
    env.server
        .faults()
        .add(FaultRule::new(Fault::Throttle { retry_after_secs: 1 }).path("/secrets/cred-cacert").times(1));
    env.server.faults().add(FaultRule::new(Fault::Drop).path("/secrets/cred").times(1));
    let run = env.run("admin", &["describe", "cred", "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let statuses: Vec<(String, u16)> = env
        .server
        .requests()
        .iter()
        .filter(|r| r.path.contains("/secrets/"))
        .map(|r| (r.path.rsplit('/').next().unwrap().to_string(), r.status))
        .collect();
    let cred: Vec<u16> = statuses.iter().filter(|(n, _)| n == "cred").map(|(_, s)| *s).collect();
    let cacert: Vec<u16> = statuses.iter().filter(|(n, _)| n == "cred-cacert").map(|(_, s)| *s).collect();
    assert_eq!(cred.first(), Some(&500));
    assert_eq!(cred.last(), Some(&200));
    assert_eq!(cacert, [429, 404]);

    env.server.faults().clear();
    env.server.faults().add(FaultRule::new(Fault::Status(503)).path("/secrets/cred"));
    let run = env.run("admin", &["describe", "cred"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.starts_with(
            "error: the API server failed to get secrets istio-system/cred after 4 attempts; try again later"
        ),
        "{run:?}"
    );
}

#[test]
fn a_missing_secret_name_without_a_terminal_names_the_argument() {
    let env = Env::new();
    let run = env.run("admin", &["describe"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr,
        "error: SECRET is required: pass the Secret name: kubectl mtls describe SECRET (there is no terminal to ask at)\n"
    );
    let run = env.run("admin", &["describe", "--no-input"]);
    assert!(run.stderr.contains("and --no-input was given"), "{run:?}");
    assert!(env.server.requests().is_empty(), "nothing is asked of the cluster before failing");
}

#[test]
fn kubeconfig_paths_merge_and_context_flags_select() {
    let env = Env::new();
    recipe_secret(&env, "cred");
    // File one: only a context naming the cluster and user; file two: the cluster and users.
    let full: Value = serde_json::from_str(&env.server.kubeconfig("admin", None)).unwrap();
    let contexts = serde_json::json!({
        "apiVersion": "v1", "kind": "Config",
        "contexts": [
            {"name": "as-reader", "context": {"cluster": "test", "user": "reader"}},
            {"name": "as-nobody", "context": {"cluster": "test", "user": "nobody"}}
        ],
        "current-context": "as-nobody",
    });
    let mut rest = full.clone();
    rest["contexts"] = serde_json::json!([]);
    rest.as_object_mut().unwrap().remove("current-context");
    rest["users"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"name": "reader", "user": {"token": "token-reader"}}));
    common::write(&env.path("one"), &contexts.to_string());
    common::write(&env.path("two"), &rest.to_string());
    let joined = std::env::join_paths([env.path("one"), env.path("two")]).unwrap();
    let run = Run::from(
        env.command("admin")
            .env("KUBECONFIG", &joined)
            .args(["--context", "as-reader", "describe", "cred", "-o", "json"])
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(env.server.requests().iter().all(|r| r.user == "reader"));
    // --kubeconfig wins over KUBECONFIG.
    let run = Run::from(
        env.command("admin")
            .env("KUBECONFIG", &joined)
            .arg("--kubeconfig")
            .arg(env.kubeconfig("no-secrets"))
            .args(["describe", "cred"])
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("forbidden"), "{run:?}");
}

#[test]
fn help_and_version_need_no_kubeconfig() {
    let env = Env::new();
    for args in [&["--help"][..], &["describe", "--help"], &["--version"], &["version"]] {
        let run = Run::from(env.command("admin").env_remove("KUBECONFIG").args(args).output().unwrap());
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
    }
    let help = env.run("admin", &["describe", "--help"]);
    assert!(help.stdout.contains("Usage: kubectl mtls describe"), "{help:?}");
    assert!(help.stdout.contains("istio-system"), "{help:?}");
    let top = env.run("admin", &["--help"]);
    assert!(top.stdout.contains("kubectl mtls --context prod describe"), "{top:?}");
}

#[test]
fn a_person_at_a_terminal_picks_the_secret() {
    let env = Env::new();
    recipe_secret(&env, "httpbin-credential");
    env.secret("istio-system", "not-a-credential", &[("password", b"hunter2")]);
    let mut command = env.command("admin");
    command.arg("describe");
    let mut session = rexpect::session::spawn_command(command, Some(20_000)).expect("spawn in a pty");
    session.exp_string("Choose a credential Secret in istio-system").expect("pick list");
    session.exp_string("httpbin-credential").expect("the credential is offered");
    session.send_line("").expect("pick the first");
    session.exp_string("Credential istio-system/httpbin-credential").expect("described");
    session.exp_eof().expect("exit");
}

#[test]
fn a_slow_api_server_meets_the_request_timeout() {
    let env = Env::new();
    recipe_secret(&env, "cred");
    env.server.faults().add(FaultRule::new(Fault::Delay(std::time::Duration::from_secs(3))).path("/secrets/cred"));
    let started = std::time::Instant::now();
    let run = env.run("admin", &["describe", "cred", "--request-timeout", "500ms"]);
    assert_eq!(run.code, 4, "{run:?}");
    assert!(run.stderr.starts_with("error: the API server at https://127.0.0.1:"), "{run:?}");
    assert!(run.stderr.contains("did not answer within the --request-timeout"), "{run:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "gave up on time");
}
