//! `kubectl mtls describe` end to end: the real binary against the test API server.

mod common;

use common::{Env, pki};

const RECIPE_CA: &str = include_str!("fixtures/recipe/example.com.crt");
const RECIPE_CERT: &str = include_str!("fixtures/recipe/httpbin.example.com.crt");
const RECIPE_KEY: &str = include_str!("fixtures/recipe/httpbin.example.com.key");

fn recipe_secret(env: &Env, name: &str) {
    env.secret(
        "istio-system",
        name,
        &[("tls.crt", RECIPE_CERT.as_bytes()), ("tls.key", RECIPE_KEY.as_bytes()), ("ca.crt", RECIPE_CA.as_bytes())],
    );
}

#[test]
fn smoke() {
    let env = Env::new();
    recipe_secret(&env, "httpbin-credential");
    let run = env.run("admin", &["describe", "httpbin-credential"]);
    println!("{run:?}");
    panic!();
}
