#!/usr/bin/env bash
# Wall time of `kubectl mtls describe` next to `kubectl get secret -o json` on the same
# embedded test cluster, as medians of N runs each and their ratio:
#   bash scripts/bench-describe.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
source scripts/start-test-cluster.sh
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
