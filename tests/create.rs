//! `kubectl mtls create` end to end: the real binary against the test API server; every
//! issued certificate checked by the real openssl and by `kubectl mtls describe`.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

mod common;

use base64::Engine;
use common::{Env, Fault, FaultRule, Run, pki};
use serde_json::{Value, json};

fn gateway(servers: Value) -> Value {
    json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "httpbin", "namespace": "default", "annotations": {"owner": "edge"}},
        "spec": {"selector": {"istio": "ingressgateway"}, "servers": servers}
    })
}

fn https_server() -> Value {
    json!({
        "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
        "hosts": ["httpbin.example.com"],
        "tls": {"mode": "SIMPLE", "credentialName": "old", "subjectAltNames": ["keep.example.com"], "minProtocolVersion": "TLSV1_2"},
        "unknownToUs": {"x": [1, "two"]}
    })
}

fn ingress_pod(env: &Env, namespace: &str, name: &str) {
    env.server.seed(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": {"istio": "ingressgateway", "app": "istio-ingressgateway"}},
        "spec": {"containers": [{"name": "istio-proxy", "image": "istio/proxyv2"}]}
    }));
}

fn secret(env: &Env, namespace: &str, name: &str) -> Option<Value> {
    env.server.get("v1", "Secret", Some(namespace), name)
}

fn data(secret: &Value, key: &str) -> String {
    let encoded = secret["data"][key].as_str().unwrap_or_default();
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded).unwrap()).unwrap()
}

fn writes(env: &Env) -> Vec<String> {
    env.server
        .requests()
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect()
}

/// The real openssl: the server certificate verifies to ca.crt and is for `host`.
fn openssl_checks(env: &Env, credential: &Value, host: &str) {
    let cert = env.path("check-tls.crt");
    let ca = env.path("check-ca.crt");
    common::write(&cert, &data(credential, "tls.crt"));
    common::write(&ca, &data(credential, "ca.crt"));
    let verify =
        std::process::Command::new("openssl").arg("verify").arg("-CAfile").arg(&ca).arg(&cert).output().unwrap();
    assert!(verify.status.success(), "openssl verify: {}", String::from_utf8_lossy(&verify.stderr));
    let check = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-checkhost", host, "-in"])
        .arg(&cert)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(said.contains("does match certificate"), "openssl x509 -checkhost {host}: {said}");
    let text =
        std::process::Command::new("openssl").args(["x509", "-noout", "-text", "-in"]).arg(&cert).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("TLS Web Server Authentication"), "{text}");
    assert!(!text.contains("Serial Number: 0 (0x0)"), "{text}");
}

fn describe_is_clean(env: &Env, namespace: &str, name: &str) {
    let run = env.run("admin", &["describe", name, "-n", namespace, "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["status"], "ok", "{run:?}");
}

#[test]
fn fresh_create_then_unchanged_then_rotate() {
    let env = Env::new();
    let run = env.run("admin", &["create", "httpbin-credential", "--host", "httpbin.example.com"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("CA secret istio-system/httpbin-credential-mtls-ca: created"), "{run:?}");
    assert!(run.stdout.contains("credential istio-system/httpbin-credential: created"), "{run:?}");
    assert!(
        run.stdout
            .contains("next: kubectl mtls issue-client CLIENT --san SAN --credential istio-system/httpbin-credential"),
        "{run:?}"
    );
    assert!(!run.stdout.contains("PRIVATE KEY"), "{run:?}");
    let credential = secret(&env, "istio-system", "httpbin-credential").unwrap();
    let ca_secret = secret(&env, "istio-system", "httpbin-credential-mtls-ca").unwrap();
    assert_eq!(credential["metadata"]["labels"]["app.kubernetes.io/managed-by"], "kubectl-mtls");
    assert!(data(&ca_secret, "ca.key").contains("PRIVATE KEY"));
    assert!(credential["data"].get("ca.key").is_none(), "the CA key never goes into the credential");
    assert_eq!(data(&credential, "ca.crt"), data(&ca_secret, "ca.crt"));
    openssl_checks(&env, &credential, "httpbin.example.com");
    describe_is_clean(&env, "istio-system", "httpbin-credential");

    env.server.clear_requests();
    let run = env.run("admin", &["create", "httpbin-credential", "--host", "httpbin.example.com"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("CA secret istio-system/httpbin-credential-mtls-ca: reused"), "{run:?}");
    assert!(run.stdout.contains("credential istio-system/httpbin-credential: unchanged"), "{run:?}");
    assert!(writes(&env).is_empty(), "{:?}", writes(&env));

    let run = env.run("admin", &["create", "httpbin-credential", "--host", "api.example.com"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stderr,
        "error: secret istio-system/httpbin-credential exists and differs (its hosts are httpbin.example.com, not api.example.com): pass --rotate to issue a new server certificate from the same CA, or --force to replace it all\n"
    );

    let run = env.run("admin", &["create", "httpbin-credential", "--host", "api.example.com", "--rotate"]);
    assert_eq!(run.code, 0, "{run:?}");
    let rotated = secret(&env, "istio-system", "httpbin-credential").unwrap();
    assert_eq!(data(&rotated, "ca.crt"), data(&credential, "ca.crt"), "same CA");
    assert_ne!(data(&rotated, "tls.crt"), data(&credential, "tls.crt"), "new server certificate");
    assert_eq!(rotated["metadata"]["uid"], credential["metadata"]["uid"], "updated in place");
    openssl_checks(&env, &rotated, "api.example.com");
    assert_eq!(secret(&env, "istio-system", "httpbin-credential-mtls-ca").unwrap(), ca_secret, "CA untouched");
}

#[test]
fn force_replaces_everything_after_confirmation() {
    let env = Env::new();
    assert_eq!(env.run("admin", &["create", "cred", "--host", "a.example.com"]).code, 0);
    let before = secret(&env, "istio-system", "cred").unwrap();
    let run = env.run("admin", &["create", "cred", "--host", "a.example.com", "--force"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("pass --yes"), "{run:?}");
    assert_eq!(secret(&env, "istio-system", "cred").unwrap(), before);
    let run = env.run("admin", &["create", "cred", "--host", "a.example.com", "--force", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_ne!(data(&secret(&env, "istio-system", "cred").unwrap(), "ca.crt"), data(&before, "ca.crt"), "new CA");
    describe_is_clean(&env, "istio-system", "cred");
}

#[test]
fn rsa_2048_like_the_recipe() {
    let env = Env::new();
    let run = env.run(
        "admin",
        &["create", "cred", "--host", "httpbin.example.com", "--key-type", "rsa-2048", "--ca-org", "example Inc."],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("O=example Inc.") && run.stdout.contains("(RSA 2048, until"), "{run:?}");
    let credential = secret(&env, "istio-system", "cred").unwrap();
    openssl_checks(&env, &credential, "httpbin.example.com");
    describe_is_clean(&env, "istio-system", "cred");
}

#[test]
fn bring_your_own_ca_and_each_refusal() {
    let env = Env::new();
    let ca = pki::ca("my ca", false);
    common::write(&env.path("ca.crt"), &ca.pem);
    common::write(&env.path("ca.key"), &ca.key.serialize_pem());
    let run =
        env.run("admin", &["create", "byo", "--host", "b.example.com", "--ca-cert", "ca.crt", "--ca-key", "ca.key"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(secret(&env, "istio-system", "byo-mtls-ca").is_none(), "a brought CA stays off the cluster");
    let credential = secret(&env, "istio-system", "byo").unwrap();
    assert_eq!(data(&credential, "ca.crt"), ca.pem);
    openssl_checks(&env, &credential, "b.example.com");

    let other = pki::ca("other", false);
    common::write(&env.path("other.key"), &other.key.serialize_pem());
    let leaf = pki::server(&ca, "leaf.example.com", false);
    common::write(&env.path("leaf.crt"), &leaf.pem);
    common::write(&env.path("leaf.key"), &leaf.key_pem);
    let mut expired_params = pki::ca_params("expired");
    expired_params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(30);
    expired_params.not_after = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    let expired = pki::ca_with(expired_params, false);
    common::write(&env.path("expired.crt"), &expired.pem);
    common::write(&env.path("expired.key"), &expired.key.serialize_pem());
    let mut no_sign = pki::ca_params("no keyCertSign");
    no_sign.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    let no_sign = pki::ca_with(no_sign, false);
    common::write(&env.path("nosign.crt"), &no_sign.pem);
    common::write(&env.path("nosign.key"), &no_sign.key.serialize_pem());

    env.server.clear_requests();
    for (cert, key, expected) in [
        ("ca.crt", "other.key", "the CA key does not belong to the CA certificate"),
        ("leaf.crt", "leaf.key", "the CA certificate is not a CA"),
        ("expired.crt", "expired.key", "the CA certificate expired on"),
        ("nosign.crt", "nosign.key", "lacks keyCertSign"),
        ("missing.crt", "ca.key", "cannot read missing.crt"),
    ] {
        let run =
            env.run("admin", &["create", "refused", "--host", "r.example.com", "--ca-cert", cert, "--ca-key", key]);
        assert_eq!(run.code, 1, "{cert}: {run:?}");
        assert!(run.stderr.contains(expected), "{cert}: {run:?}");
    }
    assert!(writes(&env).is_empty(), "nothing half-made: {:?}", writes(&env));
}

#[test]
fn gateway_is_switched_to_mutual_and_keeps_everything_else() {
    let env = Env::new();
    ingress_pod(&env, "istio-system", "istio-ingressgateway-1");
    ingress_pod(&env, "istio-system", "istio-ingressgateway-2");
    env.server.seed(gateway(json!([
        {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]},
        https_server()
    ])));
    let before = env.server.get("networking.istio.io/v1", "Gateway", Some("default"), "httpbin").unwrap();
    let run = env.run("admin", &["create", "httpbin-credential", "--gateway", "httpbin"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("using the hosts of the gateway server 443/https: httpbin.example.com"), "{run:?}");
    assert!(run.stdout.contains("gateway default/httpbin server 443/https: set tls.mode MUTUAL, credentialName httpbin-credential (was SIMPLE, old)"), "{run:?}");
    assert!(secret(&env, "istio-system", "httpbin-credential").is_some(), "the Secret is in the workload's namespace");
    let after = env.server.get("networking.istio.io/v1", "Gateway", Some("default"), "httpbin").unwrap();
    let tls = &after["spec"]["servers"][1]["tls"];
    assert_eq!(tls["mode"], "MUTUAL");
    assert_eq!(tls["credentialName"], "httpbin-credential");
    assert_eq!(tls["subjectAltNames"], json!(["keep.example.com"]));
    let mut expected = before.clone();
    expected["spec"]["servers"][1]["tls"]["mode"] = json!("MUTUAL");
    expected["spec"]["servers"][1]["tls"]["credentialName"] = json!("httpbin-credential");
    for field in ["resourceVersion", "generation"] {
        expected["metadata"].as_object_mut().unwrap().remove(field);
    }
    let mut got = after.clone();
    for field in ["resourceVersion", "generation"] {
        got["metadata"].as_object_mut().unwrap().remove(field);
    }
    assert_eq!(got, expected, "only mode and credentialName changed");

    env.server.clear_requests();
    let run = env.run(
        "admin",
        &["create", "httpbin-credential", "--gateway", "default/httpbin", "--host", "httpbin.example.com"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("already MUTUAL with credential httpbin-credential"), "{run:?}");
    assert!(writes(&env).is_empty(), "{:?}", writes(&env));
}

#[test]
fn gateway_server_and_namespace_choice() {
    let env = Env::new();
    env.server.seed(gateway(json!([
        https_server(),
        {"port": {"number": 8443, "name": "https-2", "protocol": "HTTPS"}, "hosts": ["two.example.com"], "tls": {"mode": "SIMPLE", "credentialName": "two"}}
    ])));
    let run = env.run("admin", &["create", "c", "--gateway", "httpbin", "--host", "x.example.com", "--port", "443"]);
    assert_eq!(run.code, 2, "no workload pods: {run:?}");
    assert!(
        run.stderr.starts_with("error: the namespace of the gateway workload is required: pass -n NAMESPACE"),
        "{run:?}"
    );
    assert!(run.stderr.contains("selects istio=ingressgateway; no pods match it"), "{run:?}");

    ingress_pod(&env, "istio-system", "gw-1");
    ingress_pod(&env, "other-gateways", "gw-2");
    let run = env.run("admin", &["create", "c", "--gateway", "httpbin", "--host", "x.example.com", "--port", "443"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("pods match it in istio-system, other-gateways"), "{run:?}");

    let run = env.run("admin", &["create", "c", "--gateway", "httpbin", "-n", "istio-system"]);
    assert_eq!(run.code, 2, "two HTTPS servers: {run:?}");
    assert!(run.stderr.starts_with("error: a server of gateway default/httpbin is required: pass --port;"), "{run:?}");

    let run = env.run("admin", &["create", "c", "--gateway", "httpbin", "-n", "istio-system", "--port", "8443"]);
    assert_eq!(run.code, 0, "{run:?}");
    let after = env.server.get("networking.istio.io/v1", "Gateway", Some("default"), "httpbin").unwrap();
    assert_eq!(after["spec"]["servers"][1]["tls"]["credentialName"], "c");
    assert_eq!(after["spec"]["servers"][0]["tls"]["credentialName"], "old");
    describe_is_clean(&env, "istio-system", "c");
}

#[test]
fn a_concurrent_gateway_writer_keeps_its_change() {
    let env = Env::new();
    ingress_pod(&env, "istio-system", "gw");
    env.server.seed(gateway(json!([https_server()])));
    env.server.faults().add(FaultRule::new(Fault::ConcurrentWrite).method("GET").path("/gateways/httpbin").times(1));
    let run = env.run("admin", &["create", "cred", "--gateway", "httpbin"]);
    assert_eq!(run.code, 0, "{run:?}");
    let after = env.server.get("networking.istio.io/v1", "Gateway", Some("default"), "httpbin").unwrap();
    assert_eq!(after["metadata"]["annotations"]["test.kubectl-mtls.io/concurrent-writes"], "1");
    assert_eq!(after["spec"]["servers"][0]["tls"]["credentialName"], "cred");
    let patches: Vec<u16> = env.server.requests().iter().filter(|r| r.method == "PATCH").map(|r| r.status).collect();
    assert_eq!(patches, [422, 200]);
}

#[test]
fn rbac_denials_leave_nothing_half_made_and_a_rerun_completes() {
    let env = Env::new();
    ingress_pod(&env, "istio-system", "gw");
    env.server.seed(gateway(json!([https_server()])));

    let run = env.run("no-secrets", &["create", "cred", "--host", "a.example.com"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.starts_with("error: forbidden: you may not get secrets in namespace istio-system (RBAC)"),
        "{run:?}"
    );
    assert!(secret(&env, "istio-system", "cred-mtls-ca").is_none());

    let before = env.server.get("networking.istio.io/v1", "Gateway", Some("default"), "httpbin").unwrap();
    let run = env.run("no-gateway-patch", &["create", "cred", "--gateway", "httpbin"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("done before the failure (a re-run completes the rest):\n  CA secret istio-system/cred-mtls-ca: created\n  credential istio-system/cred: created\n"), "{run:?}");
    assert!(
        run.stderr.contains("error: forbidden: you may not patch gateways.networking.istio.io in namespace default"),
        "{run:?}"
    );
    assert_eq!(env.server.get("networking.istio.io/v1", "Gateway", Some("default"), "httpbin").unwrap(), before);

    let run = env.run("admin", &["create", "cred", "--gateway", "httpbin"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("CA secret istio-system/cred-mtls-ca: reused"), "{run:?}");
    assert!(run.stdout.contains("credential istio-system/cred: unchanged"), "{run:?}");
    assert!(run.stdout.contains("set tls.mode MUTUAL"), "{run:?}");
}

#[test]
fn dry_runs_write_nothing() {
    let env = Env::new();
    let run = env.run("admin", &["create", "cred", "--host", "a.example.com", "--dry-run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("kind: List"), "{run:?}");
    assert!(run.stdout.contains("name: cred-mtls-ca"), "{run:?}");
    assert!(writes(&env).is_empty());
    let run = env.run("admin", &["create", "cred", "--host", "a.example.com", "--dry-run=server", "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let list: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert!(env.server.requests().iter().filter(|r| r.method == "POST").all(|r| r.query.contains("dryRun=All")));
    assert!(secret(&env, "istio-system", "cred").is_none());
    assert!(secret(&env, "istio-system", "cred-mtls-ca").is_none());
}

#[test]
fn ca_key_out_keeps_the_ca_off_the_cluster() {
    let env = Env::new();
    let run = env.run("admin", &["create", "cred", "--host", "a.example.com", "--ca-key-out", "ca.key"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(secret(&env, "istio-system", "cred-mtls-ca").is_none());
    let key = env.path("ca.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let original = std::fs::read(&key).unwrap();
    let run = env.run("admin", &["create", "cred2", "--host", "a.example.com", "--ca-key-out", "ca.key"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("ca.key already exists: pass --force to overwrite it"), "{run:?}");
    assert_eq!(std::fs::read(&key).unwrap(), original);
    assert!(secret(&env, "istio-system", "cred2").is_none(), "refused before writing anything");
}

#[test]
fn bad_input_is_refused_before_any_write() {
    let env = Env::new();
    for (args, expected) in [
        (vec!["create", "cred", "--host", "a..b"], "invalid host \"a..b\""),
        (vec!["create", "x-cacert", "--host", "a.example.com"], "Istio reads *-cacert Secrets as CA bundles"),
        (vec!["create", "cred"], "--host is required: pass --host HOST"),
        (vec!["create", "--host", "a.example.com"], "NAME is required"),
    ] {
        let run: Run = env.run("admin", &args);
        assert_ne!(run.code, 0, "{args:?}: {run:?}");
        assert!(run.stderr.contains(expected), "{args:?}: {run:?}");
    }
    assert!(writes(&env).is_empty(), "{:?}", writes(&env));
}
