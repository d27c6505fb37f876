//! `kubectl mtls issue-client` end to end: bundles checked by the real openssl, and proven in
//! a real mutual-TLS handshake against `openssl s_server`.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use base64::Engine;
use common::{Env, Run, pki};
use serde_json::{Value, json};

fn openssl(args: &[&str], dir: &Path) -> Run {
    Command::new("openssl").args(args).current_dir(dir).output().expect("openssl").into()
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn created(env: &Env, extra: &[&str]) {
    let mut args = vec!["create", "cred", "--host", "httpbin.example.com"];
    args.extend_from_slice(extra);
    let run = env.run("admin", &args);
    assert_eq!(run.code, 0, "{run:?}");
}

fn secret_file(env: &Env, name: &str, key: &str, path: &str) {
    let secret = env.server.get("v1", "Secret", Some("istio-system"), name).unwrap();
    let bytes = base64::engine::general_purpose::STANDARD.decode(secret["data"][key].as_str().unwrap()).unwrap();
    std::fs::write(env.path(path), bytes).unwrap();
}

#[test]
fn bundles_for_each_san_type_and_key_type_verify_with_openssl() {
    let env = Env::new();
    created(&env, &[]);
    for (client, key_type, sans, expected) in [
        ("alice", "ecdsa-p256", vec!["alice.example.com"], "DNS:alice.example.com"),
        ("bob", "rsa-2048", vec!["spiffe://cluster.local/ns/web/sa/bob"], "URI:spiffe://cluster.local/ns/web/sa/bob"),
        ("carol", "ecdsa-p384", vec!["10.1.2.3", "carol@example.com"], "IP Address:10.1.2.3, email:carol@example.com"),
    ] {
        let mut args = vec!["issue-client", client, "--credential", "cred", "--key-type", key_type];
        for san in &sans {
            args.extend(["--san", san]);
        }
        let run = env.run("admin", &args);
        assert_eq!(run.code, 0, "{client}: {run:?}");
        assert!(!run.stdout.contains("PRIVATE KEY"), "{run:?}");
        let dir = env.path(client);
        assert_eq!(mode(&dir.join(format!("{client}.key"))), 0o600);
        assert_eq!(mode(&dir.join(format!("{client}.crt"))), 0o644);
        let verify = openssl(&["verify", "-CAfile", "ca.crt", &format!("{client}.crt")], &dir);
        assert_eq!(verify.code, 0, "{client}: {verify:?}");
        let ext = openssl(
            &[
                "x509",
                "-noout",
                "-ext",
                "subjectAltName,basicConstraints,extendedKeyUsage",
                "-in",
                &format!("{client}.crt"),
            ],
            &dir,
        );
        assert!(ext.stdout.contains(expected), "{client}: {ext:?}");
        assert!(ext.stdout.contains("CA:FALSE"), "{client}: {ext:?}");
        assert!(ext.stdout.contains("TLS Web Client Authentication"), "{client}: {ext:?}");
        let subject = openssl(&["x509", "-noout", "-subject", "-in", &format!("{client}.crt")], &dir);
        assert!(subject.stdout.contains(&format!("CN = {client}")), "{subject:?}");
    }
}

/// Runs `openssl s_server` trusting `ca` and connects with the bundle; true if the handshake
/// (TLS 1.2, so the client certificate is judged inside it) succeeds.
fn handshake(env: &Env, ca: &str, client_dir: &Path, client: &str) -> bool {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new("openssl")
        .args(["s_server", "-accept", &format!("127.0.0.1:{port}"), "-naccept", "1", "-tls1_2"])
        .args(["-cert", "server.crt", "-key", "server.key", "-CAfile", ca, "-Verify", "1", "-verify_return_error"])
        .current_dir(env.dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // s_server prints ACCEPT when it listens; a probe connection would use up -naccept 1.
    let mut ready = std::io::BufReader::new(server.stdout.take().unwrap());
    let mut line = String::new();
    while std::io::BufRead::read_line(&mut ready, &mut line).unwrap_or(0) > 0 && !line.contains("ACCEPT") {
        line.clear();
    }
    let client_run = Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}"), "-tls1_2", "-servername", "httpbin.example.com"])
        .args([
            "-cert",
            &format!("{client}.crt"),
            "-key",
            &format!("{client}.key"),
            "-CAfile",
            "ca.crt",
            "-verify_return_error",
        ])
        .current_dir(client_dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let out = String::from_utf8_lossy(&client_run.stdout).to_string() + &String::from_utf8_lossy(&client_run.stderr);
    let ok = client_run.status.success() && out.contains("Verify return code: 0 (ok)") && !out.contains("alert");
    if !ok {
        eprintln!("handshake with {ca} failed:\n{out}");
    }
    ok
}

#[test]
fn the_bundle_completes_a_mutual_tls_handshake_only_with_its_ca() {
    let env = Env::new();
    created(&env, &[]);
    secret_file(&env, "cred", "tls.crt", "server.crt");
    secret_file(&env, "cred", "tls.key", "server.key");
    secret_file(&env, "cred", "ca.crt", "gateway-ca.crt");
    let other = pki::ca("some other CA", false);
    std::fs::write(env.path("other-ca.crt"), &other.pem).unwrap();
    let run =
        env.run("admin", &["issue-client", "alice", "--san", "alice.example.com", "--credential", "istio-system/cred"]);
    assert_eq!(run.code, 0, "{run:?}");
    let dir = env.path("alice");
    assert!(
        handshake(&env, "gateway-ca.crt", &dir, "alice"),
        "a server trusting the credential's CA accepts the client"
    );
    assert!(!handshake(&env, "other-ca.crt", &dir, "alice"), "a server trusting another CA refuses it");
}

/// A P-256 key and a CSR for it, `STEM.key` and `STEM.csr`, with the given extensions.
fn make_csr(env: &Env, stem: &str, extensions: &[&str]) -> Run {
    let (key, csr) = (format!("{stem}.key"), format!("{stem}.csr"));
    let mut args = vec!["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    args.extend(["-keyout", &key, "-out", &csr, "-subj", "/CN=client"]);
    for extension in extensions {
        args.extend(["-addext", extension]);
    }
    openssl(&args, env.dir.path())
}

#[test]
fn csr_good_bad_and_asking_for_ca() {
    let env = Env::new();
    created(&env, &[]);
    let made = make_csr(&env, "dave", &["subjectAltName=DNS:dave.example.com,URI:spiffe://td/ns/x/sa/dave"]);
    assert_eq!(made.code, 0, "{made:?}");
    let run = env
        .run("admin", &["issue-client", "dave", "--csr", "dave.csr", "--credential", "cred", "--out", "dave-bundle"]);
    assert_eq!(run.code, 0, "{run:?}");
    let dir = env.path("dave-bundle");
    assert!(!dir.join("dave.key").exists(), "the CSR's key stays with the client");
    let ext = openssl(&["x509", "-noout", "-ext", "subjectAltName", "-in", "dave-bundle/dave.crt"], env.dir.path());
    assert!(ext.stdout.contains("DNS:dave.example.com, URI:spiffe://td/ns/x/sa/dave"), "{ext:?}");
    let modulus_key = openssl(&["pkey", "-in", "dave.key", "-pubout"], env.dir.path());
    let modulus_cert = openssl(&["x509", "-in", "dave-bundle/dave.crt", "-noout", "-pubkey"], env.dir.path());
    assert_eq!(modulus_key.stdout, modulus_cert.stdout, "signed for the CSR's key");

    // A tampered CSR: flip a byte inside the signed part.
    let pem_text = std::fs::read_to_string(env.path("dave.csr")).unwrap();
    let mut der = ::pem::parse(&pem_text).unwrap().into_contents();
    der[40] ^= 0x01;
    std::fs::write(env.path("bad.csr"), ::pem::encode(&::pem::Pem::new("CERTIFICATE REQUEST", der))).unwrap();
    let run = env.run("admin", &["issue-client", "eve", "--csr", "bad.csr", "--credential", "cred"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("cannot read the CSR"), "{run:?}");
    assert!(!env.path("eve").exists(), "nothing written");

    let made =
        make_csr(&env, "ca-ask", &["basicConstraints=critical,CA:TRUE", "subjectAltName=DNS:sneaky.example.com"]);
    assert_eq!(made.code, 0, "{made:?}");
    let run = env.run("admin", &["issue-client", "sneaky", "--csr", "ca-ask.csr", "--credential", "cred"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stderr,
        "error: the CSR asks for a CA certificate (basicConstraints CA:TRUE); client certificates are never CAs\n"
    );
}

#[test]
fn ca_from_files_and_expired_ca() {
    let env = Env::new();
    let ca = pki::ca("file ca", false);
    std::fs::write(env.path("ca.pem"), &ca.pem).unwrap();
    std::fs::write(env.path("ca.key"), ca.key.serialize_pem()).unwrap();
    let run = env.run(
        "admin",
        &["issue-client", "frank", "--san", "frank.example.com", "--ca-cert", "ca.pem", "--ca-key", "ca.key"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(openssl(&["verify", "-CAfile", "frank/ca.crt", "frank/frank.crt"], env.dir.path()).code, 0);
    assert!(env.server.requests().is_empty(), "a CA from files needs no cluster");

    let mut params = pki::ca_params("old");
    params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(20);
    params.not_after = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    let expired = pki::ca_with(params, false);
    std::fs::write(env.path("old.pem"), &expired.pem).unwrap();
    std::fs::write(env.path("old.key"), expired.key.serialize_pem()).unwrap();
    let run = env.run(
        "admin",
        &["issue-client", "gina", "--san", "g.example.com", "--ca-cert", "old.pem", "--ca-key", "old.key"],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("the CA certificate expired on"), "{run:?}");
}

#[test]
fn missing_or_forbidden_ca_key_says_where_it_looked() {
    let env = Env::new();
    created(&env, &["--ca-key-out", "ca.key"]);
    let run = env.run("admin", &["issue-client", "h", "--san", "h.example.com", "--credential", "cred"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stderr,
        "error: no CA key for credential istio-system/cred: looked for Secret istio-system/cred-mtls-ca (kept by `kubectl mtls create`); if the CA key is in files, pass --ca-cert and --ca-key\n"
    );
    let run = env.run("no-secrets", &["issue-client", "h", "--san", "h.example.com", "--credential", "cred"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.starts_with("error: forbidden: you may not get secrets in namespace istio-system (RBAC)"),
        "{run:?}"
    );
    assert!(run.stderr.contains("or pass --ca-cert and --ca-key"), "{run:?}");
}

#[test]
fn existing_files_are_never_overwritten_without_force() {
    let env = Env::new();
    created(&env, &[]);
    let args = ["issue-client", "ivy", "--san", "ivy.example.com", "--credential", "cred"];
    assert_eq!(env.run("admin", &args).code, 0);
    let key = env.path("ivy/ivy.key");
    let before = std::fs::read(&key).unwrap();
    let run = env.run("admin", &args);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("ivy.crt already exists: pass --force to overwrite it"), "{run:?}");
    assert_eq!(std::fs::read(&key).unwrap(), before);
    let mut forced = args.to_vec();
    forced.push("--force");
    assert_eq!(env.run("admin", &forced).code, 0);
    assert_ne!(std::fs::read(&key).unwrap(), before);
    assert_eq!(mode(&key), 0o600);
}

#[test]
fn p12_reads_back_with_openssl() {
    let env = Env::new();
    created(&env, &[]);
    std::fs::write(env.path("pw"), "correct horse\n").unwrap();
    let run = env.run(
        "admin",
        &[
            "issue-client",
            "jo",
            "--san",
            "jo.example.com",
            "--credential",
            "cred",
            "--p12",
            "--p12-password-file",
            "pw",
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(mode(&env.path("jo/jo.p12")), 0o600);
    let read = openssl(
        &["pkcs12", "-in", "jo/jo.p12", "-passin", "pass:correct horse", "-nokeys", "-clcerts"],
        env.dir.path(),
    );
    assert_eq!(read.code, 0, "{read:?}");
    assert!(read.stdout.contains("subject=CN=jo") || read.stdout.contains("subject=CN = jo"), "{read:?}");
    let wrong = openssl(&["pkcs12", "-in", "jo/jo.p12", "-passin", "pass:wrong", "-nokeys"], env.dir.path());
    assert_ne!(wrong.code, 0);
    let run = env.run("admin", &["issue-client", "kay", "--san", "k.example.com", "--credential", "cred", "--p12"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("pass --p12-password-file FILE"), "{run:?}");
}

#[test]
fn no_san_is_refused_because_istio_never_reads_the_cn() {
    let env = Env::new();
    created(&env, &[]);
    let run = env.run("admin", &["issue-client", "lee", "--credential", "cred"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--san SAN (at least one: Istio matches SANs and never reads the CN)"), "{run:?}");
    let run = env.run("admin", &["issue-client", "lee", "--credential", "cred", "--san", "*.example.com"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!env.path("lee").exists());
}

#[test]
fn allow_on_updates_the_gateway_and_the_curl_line_is_ready() {
    let env = Env::new();
    env.server.seed(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "gw", "namespace": "istio-system", "labels": {"istio": "ingressgateway"}},
        "spec": {"containers": [{"name": "proxy", "image": "proxy"}]}
    }));
    env.server.seed(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "istio-ingressgateway", "namespace": "istio-system", "labels": {"istio": "ingressgateway"}},
        "spec": {"selector": {"istio": "ingressgateway"}, "ports": [{"port": 443, "name": "https"}]},
        "status": {"loadBalancer": {"ingress": [{"ip": "172.18.255.200"}]}}
    }));
    env.server.seed(json!({
        "apiVersion": "networking.istio.io/v1", "kind": "Gateway",
        "metadata": {"name": "httpbin", "namespace": "default"},
        "spec": {"selector": {"istio": "ingressgateway"}, "servers": [{
            "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
            "hosts": ["httpbin.example.com"],
            "tls": {"mode": "SIMPLE", "credentialName": "x"}
        }]}
    }));
    let run = env.run("admin", &["create", "cred", "--gateway", "httpbin"]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = env.run(
        "admin",
        &["issue-client", "max", "--san", "max.example.com", "--credential", "cred", "--allow-on", "httpbin"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("gateway default/httpbin server 443/https: allowed max.example.com"), "{run:?}");
    assert!(
        run.stdout.contains("curl --resolve httpbin.example.com:443:172.18.255.200 --cacert max/ca.crt --cert max/max.crt --key max/max.key https://httpbin.example.com:443/"),
        "{run:?}"
    );
    let gw = env.server.get("networking.istio.io/v1", "Gateway", Some("default"), "httpbin").unwrap();
    assert_eq!(gw["spec"]["servers"][0]["tls"]["subjectAltNames"], json!(["max.example.com"]));

    let run = env.run(
        "admin",
        &[
            "issue-client",
            "ned",
            "--san",
            "ned.example.com",
            "--credential",
            "cred",
            "-o",
            "json",
            "--out",
            "ned-files",
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let shown: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(shown["sans"], json!(["ned.example.com"]));
    assert_eq!(shown["key"], "ned-files/ned.key");
    assert!(!run.stdout.contains("PRIVATE KEY"));
}

#[test]
fn the_p12_password_is_typed_twice_at_a_terminal() {
    let env = Env::new();
    created(&env, &[]);
    let mut command = env.command("admin");
    command.args(["issue-client", "pat", "--san", "pat.example.com", "--credential", "cred", "--p12"]);
    let mut session = rexpect::session::spawn_command(command, Some(20_000)).expect("spawn in a pty");
    session.exp_string("PKCS#12 password").expect("first prompt");
    session.send_line("s3cret pass").expect("type");
    session.exp_string("Repeat it").expect("second prompt");
    session.send_line("s3cret pass").expect("type again");
    session.exp_string("pat.p12  (0600)").expect("written");
    session.exp_eof().expect("exit");
    let read = openssl(
        &["pkcs12", "-in", "pat/pat.p12", "-passin", "pass:s3cret pass", "-nokeys", "-clcerts"],
        env.dir.path(),
    );
    assert_eq!(read.code, 0, "{read:?}");
}
