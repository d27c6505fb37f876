//! Serves the embedded test cluster until interrupted, for trying commands by hand and for
//! `scripts/bench-describe.sh`: `cargo run --example test_cluster -- DIR`.
//!
//! Writes `DIR/kubeconfig` (user admin; `DIR/kubeconfig-reader` for a read-only user) and
//! seeds the hand recipe's credential as `istio-system/httpbin-credential`.

use base64::Engine;
use mtls_test_apiserver::TestApiServer;
use serde_json::json;

fn main() {
    let Some(dir) = std::env::args_os().nth(1).map(std::path::PathBuf::from) else {
        eprintln!("usage: cargo run --example test_cluster -- DIR");
        std::process::exit(2);
    };
    std::fs::create_dir_all(&dir).expect("create DIR");
    let server = TestApiServer::start();
    let encode = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    server.seed(json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "httpbin-credential", "namespace": "istio-system"},
        "data": {
            "tls.crt": encode(include_str!("../tests/fixtures/recipe/httpbin.example.com.crt")),
            "tls.key": encode(include_str!("../tests/fixtures/recipe/httpbin.example.com.key")),
            "ca.crt": encode(include_str!("../tests/fixtures/recipe/example.com.crt")),
        },
    }));
    server.write_kubeconfig(&dir, "reader");
    let admin = server.write_kubeconfig(&dir, "admin");
    std::fs::rename(&admin, dir.join("kubeconfig")).expect("write kubeconfig");
    println!("test cluster at {}; KUBECONFIG={}", server.url(), dir.join("kubeconfig").display());
    loop {
        std::thread::park();
    }
}
