#!/usr/bin/env bash
# Wall times on the embedded test cluster, as medians of N runs, next to what they replace:
#   create (ECDSA, RSA-2048)  vs  the recipe's openssl CA + server certificate commands
#   allow                     vs  kubectl patch --type=json doing the same edit
#   issue-client (RSA-2048)   vs  the recipe's openssl client commands + kubectl get secret
#   bash scripts/bench-commands.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
source scripts/start-test-cluster.sh
cat > "$dir/gw.json" <<'JSON'
{"apiVersion":"networking.istio.io/v1","kind":"Gateway","metadata":{"name":"bench","namespace":"default"},
 "spec":{"selector":{"istio":"ingressgateway"},"servers":[{"port":{"number":443,"name":"https","protocol":"HTTPS"},
 "hosts":["httpbin.example.com"],"tls":{"mode":"MUTUAL","credentialName":"bench","subjectAltNames":["seed.example.com"]}}]}}
JSON
.venv/bin/kubectl create -f "$dir/gw.json" --validate=false >/dev/null
python3 - "$runs" "$dir" <<'PY'
import statistics, subprocess, sys, time
runs, d = int(sys.argv[1]), sys.argv[2]
M = "target/release/kubectl-mtls"
def median(make_cmds):
    times = []
    for i in range(runs):
        cmds = make_cmds(i)
        start = time.perf_counter()
        for c in cmds:
            subprocess.run(c, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, shell=isinstance(c, str), cwd=d)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000
import os
M = os.path.abspath(M); K = os.path.abspath(".venv/bin/kubectl")
def recipe_server(i):
    return [f"openssl req -x509 -sha256 -nodes -days 365 -newkey rsa:2048 -subj '/O=example Inc./CN=example.com' -keyout ca{i}.key -out ca{i}.crt",
            f"openssl req -out s{i}.csr -newkey rsa:2048 -nodes -keyout s{i}.key -subj '/CN=httpbin.example.com' -addext subjectAltName=DNS:httpbin.example.com",
            f"openssl x509 -req -sha256 -days 365 -CA ca{i}.crt -CAkey ca{i}.key -set_serial 0 -in s{i}.csr -out s{i}.crt -copy_extensions copyall"]
def client_recipe(i):
    return [f"{K} get secret -n istio-system rsa0 -o json",
            f"openssl req -out c{i}.csr -newkey rsa:2048 -nodes -keyout c{i}.key -subj '/CN=client' -addext subjectAltName=DNS:client{i}.example.com",
            f"openssl x509 -req -sha256 -days 365 -CA ca0.crt -CAkey ca0.key -set_serial 1 -in c{i}.csr -out c{i}.crt -copy_extensions copyall"]
rows = [
  ("create, ECDSA P-256", median(lambda i: [[M, "create", f"ec{i}", "--host", "httpbin.example.com"]])),
  ("create, RSA-2048", median(lambda i: [[M, "create", f"rsa{i}", "--host", "httpbin.example.com", "--key-type", "rsa-2048"]])),
  ("openssl recipe: CA + server cert (RSA-2048)", median(recipe_server)),
  ("allow (GET + PATCH)", median(lambda i: [[M, "allow", "bench", f"a{i}.example.com"]])),
  ("kubectl patch --type=json", median(lambda i: [[K, "patch", "gateways.networking.istio.io", "bench", "--type=json", "-p",
      f'[{{"op":"add","path":"/spec/servers/0/tls/subjectAltNames/-","value":"k{i}.example.com"}}]']])),
  ("issue-client, RSA-2048", median(lambda i: [[M, "issue-client", f"c{i}", "--san", f"c{i}.example.com", "--credential", "rsa0", "--key-type", "rsa-2048"]])),
  ("openssl recipe: client cert + kubectl get secret", median(client_recipe)),
]
for name, ms in rows:
    print(f"{name:50s} median {ms:7.1f} ms over {runs} runs")
print(f"ratio create RSA-2048 / recipe:        {rows[1][1]/rows[2][1]:.2f}")
print(f"ratio allow / kubectl patch:           {rows[3][1]/rows[4][1]:.2f}")
print(f"ratio issue-client RSA-2048 / recipe:  {rows[5][1]/rows[6][1]:.2f}")
PY
