//! The `kubectl-mtls` binary; kubectl runs it as `kubectl mtls`.

fn main() {
    std::process::exit(kubectl_mtls::run(std::env::args_os()));
}
