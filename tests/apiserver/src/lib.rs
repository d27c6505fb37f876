//! An in-process Kubernetes API server for kubectl-mtls's tests.
//!
//! No kube-apiserver can run on our build machines, so the tests run the real `kubectl-mtls`
//! binary against this server instead. It is faithful where the product touches the API:
//! HTTPS with its own CA, bearer-token users with RBAC denials worded like the real server's,
//! discovery, get/list/create/update/patch/delete with real `resourceVersion` conflicts,
//! merge, JSON (with `test`), strategic-merge (core types only) and apply patches, `dryRun`,
//! paging, and faults a test can switch on. Every request is logged for assertions.
//!
//! Known differences from kube-apiserver are listed in `README.md` beside this file.

mod faults;
mod rbac;
mod resources;
mod server;
mod store;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

pub use faults::{Fault, FaultRule, Faults};
pub use rbac::{Rule, User};
pub use resources::ServedVersions;
pub use server::RequestRecord;

use server::{State, lock};

/// Options for a new server.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub served: ServedVersions,
}

/// A running test API server. It stops when dropped.
pub struct TestApiServer {
    state: Arc<State>,
    address: SocketAddr,
    ca_pem: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestApiServer {
    /// Starts a server on 127.0.0.1 with a random port, seeded with the namespaces
    /// `default`, `kube-system` and `istio-system`.
    pub fn start() -> TestApiServer {
        TestApiServer::start_with(Options::default())
    }

    pub fn start_with(options: Options) -> TestApiServer {
        let (ca_pem, tls_config) = tls_config();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).expect("nonblocking listener");
        let address = listener.local_addr().expect("listener address");
        let state = Arc::new(State {
            catalogue: resources::catalogue(&options.served),
            store: Mutex::new(store::Store::default()),
            users: Mutex::new(rbac::default_users()),
            faults: Mutex::new(Faults::default()),
            log: Mutex::new(Vec::new()),
            address: address.to_string(),
        });
        let (shutdown, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let serve_state = state.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("tokio runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls_config));
                loop {
                    let (tcp, _) = tokio::select! {
                        _ = &mut stopped => break,
                        accepted = listener.accept() => match accepted {
                            Ok(pair) => pair,
                            Err(_) => continue,
                        },
                    };
                    let acceptor = acceptor.clone();
                    let state = serve_state.clone();
                    tokio::spawn(async move {
                        let Ok(tls) = acceptor.accept(tcp).await else { return };
                        let service = hyper::service::service_fn(move |request| server::handle(state.clone(), request));
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(tls), service)
                            .await;
                    });
                }
            });
        });
        let server = TestApiServer { state, address, ca_pem, shutdown: Some(shutdown), thread: Some(thread) };
        for namespace in ["default", "kube-system", "istio-system"] {
            server.seed(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}));
        }
        server
    }

    pub fn url(&self) -> String {
        format!("https://{}", self.address)
    }

    /// The PEM of the CA that signed the server's certificate.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub fn token(&self, user: &str) -> String {
        lock(&self.state.users)
            .iter()
            .find(|u| u.name == user)
            .map(|u| u.token.clone())
            .unwrap_or_else(|| format!("unknown-user-{user}"))
    }

    /// A kubeconfig (JSON is valid YAML) with one context, `test`, for `user`.
    pub fn kubeconfig(&self, user: &str, namespace: Option<&str>) -> String {
        use base64::Engine;
        let ca = base64::engine::general_purpose::STANDARD.encode(&self.ca_pem);
        let mut context = json!({"cluster": "test", "user": user});
        if let Some(ns) = namespace {
            context["namespace"] = json!(ns);
        }
        json!({
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "test", "cluster": {"server": self.url(), "certificate-authority-data": ca}}],
            "users": [{"name": user, "user": {"token": self.token(user)}}],
            "contexts": [{"name": "test", "context": context}],
            "current-context": "test",
        })
        .to_string()
    }

    /// Writes [`Self::kubeconfig`] to `dir/kubeconfig-USER` and returns the path.
    pub fn write_kubeconfig(&self, dir: &Path, user: &str) -> PathBuf {
        let path = dir.join(format!("kubeconfig-{user}"));
        std::fs::write(&path, self.kubeconfig(user, None)).expect("write kubeconfig");
        path
    }

    pub fn add_user(&self, user: User) {
        lock(&self.state.users).push(user);
    }

    /// Creates or replaces an object directly in storage (no RBAC, no faults, no log), and
    /// creates its namespace if needed. Returns the stored object.
    pub fn seed(&self, object: Value) -> Value {
        let (resource, namespace, name) = self.locate(&object);
        let mut store = lock(&self.state.store);
        if let Some(ns) = namespace.as_deref()
            && !store.namespace_exists(ns)
        {
            let namespaces = self.resource("v1", "Namespace");
            store.create(&namespaces, None, json!({"metadata": {"name": ns}}), false).expect("create namespace");
        }
        let _ = store.delete(&resource, namespace.as_deref(), &name, false);
        store.create(&resource, namespace.as_deref(), object, false).unwrap_or_else(|e| panic!("seed: {}", e.message))
    }

    /// Reads an object directly from storage, as stored (storage apiVersion).
    pub fn get(&self, api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> Option<Value> {
        let resource = self.resource(api_version, kind);
        lock(&self.state.store).get(&resource, namespace, name).ok()
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.state.log).clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.state.log).clear();
    }

    /// The fault plan; change it while the server runs.
    pub fn faults(&self) -> MutexGuard<'_, Faults> {
        lock(&self.state.faults)
    }

    fn resource(&self, api_version: &str, kind: &str) -> resources::ResourceType {
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        self.state
            .catalogue
            .iter()
            .find(|r| r.group == group && r.kind == kind && r.versions.contains(&version))
            .cloned()
            .unwrap_or_else(|| panic!("the test API server does not serve {api_version} {kind}"))
    }

    fn locate(&self, object: &Value) -> (resources::ResourceType, Option<String>, String) {
        let api_version = object["apiVersion"].as_str().expect("seeded object has apiVersion");
        let kind = object["kind"].as_str().expect("seeded object has kind");
        let resource = self.resource(api_version, kind);
        let name = store::object_name(object).expect("seeded object has metadata.name");
        let namespace = resource
            .namespaced
            .then(|| object.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("default").to_string());
        (resource, namespace, name)
    }
}

impl Drop for TestApiServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A fresh CA and a serving certificate for 127.0.0.1 / localhost.
fn tls_config() -> (String, rustls::ServerConfig) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name.push(DnType::CommonName, "kubectl-mtls test API server CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);

    let server_key = KeyPair::generate().expect("server key");
    let mut server_params = CertificateParams::new(vec!["localhost".to_string()]).expect("server params");
    server_params.subject_alt_names.push(SanType::IpAddress([127, 0, 0, 1].into()));
    server_params.distinguished_name.push(DnType::CommonName, "kube-apiserver");
    let server_cert = server_params.signed_by(&server_key, &issuer).expect("server certificate");

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let key_der = rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![server_cert.der().clone(), ca_cert.der().clone()], key_der)
        .expect("server TLS config");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    (ca_cert.pem(), config)
}
