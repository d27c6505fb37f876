#!/usr/bin/env python3
"""Renders the krew manifest for a release from its archives.

    scripts/render-krew-manifest.py --version v0.1.0 --repo OWNER/REPO --dist DIR > mtls.yaml

DIR holds kubectl-mtls_VERSION_OS_ARCH.tar.gz (linux, darwin) and .zip (windows), as the
release workflow packs them: kubectl-mtls (.exe on windows), LICENSE and README.md at the
top level. Each archive's SHA-256 is computed here; the URLs point at the GitHub release.
"""

import argparse
import hashlib
import pathlib
import re
import sys

PLATFORMS = [
    ("linux", "amd64"),
    ("linux", "arm64"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
    ("windows", "amd64"),
]

DESCRIPTION = """\
      Makes mutual TLS on Istio ingress gateways a few safe commands instead of a
      hand-run openssl recipe. It creates the CA, the gateway's server certificate and
      the credential Secret in the gateway workload's namespace; edits the client SANs
      a Gateway accepts without ever losing a concurrent change; issues client
      certificate bundles signed by the credential's CA; and checks every certificate
      in a credential the way Istio will read it."""


def archive_name(version, os_name, arch):
    extension = "zip" if os_name == "windows" else "tar.gz"
    return f"kubectl-mtls_{version}_{os_name}_{arch}.{extension}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", required=True, help="release tag, e.g. v0.1.0")
    parser.add_argument("--repo", required=True, help="GitHub OWNER/REPO")
    parser.add_argument("--dist", required=True, type=pathlib.Path, help="folder with the archives")
    args = parser.parse_args()
    if not re.fullmatch(r"v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", args.version):
        sys.exit(f"--version {args.version!r} is not semver with a leading v (v0.1.0)")

    platforms = []
    for os_name, arch in PLATFORMS:
        name = archive_name(args.version, os_name, arch)
        path = args.dist / name
        if not path.is_file():
            sys.exit(f"missing archive {path}")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        binary = "kubectl-mtls.exe" if os_name == "windows" else "kubectl-mtls"
        platforms.append(f"""\
  - selector:
      matchLabels:
        os: {os_name}
        arch: {arch}
    uri: https://github.com/{args.repo}/releases/download/{args.version}/{name}
    sha256: {digest}
    files:
      - from: {binary}
        to: .
      - from: LICENSE
        to: .
    bin: {binary}
""")

    sys.stdout.write(f"""\
apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: mtls
spec:
  version: {args.version}
  homepage: https://github.com/{args.repo}
  shortDescription: Mutual TLS for Istio ingress gateways
  description: |
{DESCRIPTION}
  platforms:
{"".join(platforms)}""")


if __name__ == "__main__":
    main()
