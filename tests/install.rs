//! Installing and fitting in: the krew manifest against krew's validation rules, the release
//! manifest script on locally built archives, kubectl plugin discovery, and completion.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Env, Run, kubectl_path};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// krew's own checks (pkg/index/validation) plus the index's conventions.
fn validate_manifest(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    let manifest: Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(manifest["apiVersion"], "krew.googlecontainertools.github.com/v1alpha2");
    assert_eq!(manifest["kind"], "Plugin");
    let name = manifest["metadata"]["name"].as_str().unwrap();
    assert!(name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') && !name.starts_with('-'));
    assert_eq!(path.file_stem().unwrap().to_str().unwrap(), name, "file name matches the plugin name");
    let spec = &manifest["spec"];
    let version = spec["version"].as_str().unwrap();
    let semver = version.strip_prefix('v').unwrap_or_else(|| panic!("{version} lacks the v"));
    assert_eq!(
        semver.split('-').next().unwrap().split('.').filter(|p| p.parse::<u64>().is_ok()).count(),
        3,
        "{version}"
    );
    assert!(spec["homepage"].as_str().unwrap().starts_with("https://"));
    let short = spec["shortDescription"].as_str().unwrap();
    assert!(!short.is_empty() && short.len() <= 50 && !short.contains('\n'), "{short}");
    let description = spec["description"].as_str().unwrap();
    assert!(!description.contains("--"), "no option lists in the description");
    let platforms = spec["platforms"].as_array().unwrap();
    let mut seen = BTreeSet::new();
    for platform in platforms {
        let labels = platform["selector"]["matchLabels"].as_object().unwrap();
        let keys: BTreeSet<&str> = labels.keys().map(String::as_str).collect();
        assert_eq!(keys, BTreeSet::from(["arch", "os"]), "selectors on os/arch only");
        assert!(platform["selector"].get("matchExpressions").is_none());
        let pair = (labels["os"].as_str().unwrap().to_string(), labels["arch"].as_str().unwrap().to_string());
        assert!(seen.insert(pair.clone()), "overlapping platforms: {pair:?}");
        let sha = platform["sha256"].as_str().unwrap();
        assert!(sha.len() == 64 && sha.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)), "{sha}");
        assert!(platform["uri"].as_str().unwrap().starts_with("https://"));
        let bin = platform["bin"].as_str().unwrap();
        assert!(!bin.contains('/') && !bin.contains('\\'));
        let expected_bin = if pair.0 == "windows" { "kubectl-mtls.exe" } else { "kubectl-mtls" };
        assert_eq!(bin, expected_bin);
        let from: Vec<&str> =
            platform["files"].as_array().unwrap().iter().map(|f| f["from"].as_str().unwrap()).collect();
        assert!(from.contains(&bin) && from.contains(&"LICENSE"), "{from:?}");
    }
    let expected: BTreeSet<(String, String)> =
        [("linux", "amd64"), ("linux", "arm64"), ("darwin", "amd64"), ("darwin", "arm64"), ("windows", "amd64")]
            .iter()
            .map(|(o, a)| (o.to_string(), a.to_string()))
            .collect();
    assert_eq!(seen, expected);
    manifest
}

#[test]
fn committed_manifest_follows_krew_rules() {
    validate_manifest(&root().join("krew-manifest/mtls.yaml"));
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap().to_string()
}

#[test]
fn release_script_renders_a_valid_manifest_for_real_archives() {
    let dir = tempfile::tempdir().unwrap();
    let stage = dir.path().join("stage");
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(&stage).unwrap();
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::copy(common::binary(), stage.join("kubectl-mtls")).unwrap();
    std::fs::copy(common::binary(), stage.join("kubectl-mtls.exe")).unwrap();
    std::fs::copy(root().join("LICENSE"), stage.join("LICENSE")).unwrap();
    std::fs::copy(root().join("README.md"), stage.join("README.md")).unwrap();
    let version = "v0.1.0-test";
    for (os, arch) in [("linux", "amd64"), ("linux", "arm64"), ("darwin", "amd64"), ("darwin", "arm64")] {
        let archive = dist.join(format!("kubectl-mtls_{version}_{os}_{arch}.tar.gz"));
        let status = Command::new("tar")
            .arg("-C")
            .arg(&stage)
            .arg("-czf")
            .arg(&archive)
            .args(["kubectl-mtls", "LICENSE", "README.md"])
            .status()
            .unwrap();
        assert!(status.success());
    }
    let zip = dist.join(format!("kubectl-mtls_{version}_windows_amd64.zip"));
    let status = Command::new("python3")
        .args(["-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1], 'w'); [z.write(sys.argv[2] + '/' + n, n) for n in ('kubectl-mtls.exe', 'LICENSE', 'README.md')]; z.close()"])
        .arg(&zip)
        .arg(&stage)
        .status()
        .unwrap();
    assert!(status.success());

    let out = Command::new("python3")
        .arg(root().join("scripts/render-krew-manifest.py"))
        .args(["--version", version, "--repo", "example/kubectl-mtls", "--dist"])
        .arg(&dist)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let manifest_path = dir.path().join("mtls.yaml");
    std::fs::write(&manifest_path, &out.stdout).unwrap();
    let manifest = validate_manifest(&manifest_path);

    for platform in manifest["spec"]["platforms"].as_array().unwrap() {
        let uri = platform["uri"].as_str().unwrap();
        let file = uri.rsplit('/').next().unwrap();
        assert!(uri.starts_with(&format!("https://github.com/example/kubectl-mtls/releases/download/{version}/")));
        let archive = dist.join(file);
        assert_eq!(platform["sha256"].as_str().unwrap(), sha256(&archive), "{file}");
        let listing = if file.ends_with(".zip") {
            Command::new("python3")
                .args(["-c", "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))"])
                .arg(&archive)
                .output()
                .unwrap()
        } else {
            Command::new("tar").arg("-tzf").arg(&archive).output().unwrap()
        };
        let names: Vec<String> = String::from_utf8_lossy(&listing.stdout).lines().map(str::to_string).collect();
        assert!(names.contains(&platform["bin"].as_str().unwrap().to_string()), "{file}: {names:?}");
        assert!(names.contains(&"LICENSE".to_string()), "{file}: {names:?}");
    }
    let bad = Command::new("python3")
        .arg(root().join("scripts/render-krew-manifest.py"))
        .args(["--version", "0.1", "--repo", "x/y", "--dist"])
        .arg(&dist)
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

/// A PATH holding only a clean copy of the plugin (target/debug has kubectl-mtls.d, which
/// kubectl would warn about) and kubectl.
fn plugin_path(env: &Env) -> std::ffi::OsString {
    let bin = env.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(common::binary(), bin.join("kubectl-mtls")).unwrap();
    std::env::join_paths([
        bin,
        kubectl_path().parent().unwrap().to_path_buf(),
        PathBuf::from("/usr/bin"),
        PathBuf::from("/bin"),
    ])
    .unwrap()
}

fn kubectl(env: &Env, path: &std::ffi::OsStr, args: &[&str]) -> Run {
    Command::new(kubectl_path())
        .env_clear()
        .env("HOME", env.dir.path())
        .env("PATH", path)
        .env("KUBECONFIG", env.kubeconfig("admin"))
        .args(args)
        .output()
        .unwrap()
        .into()
}

#[test]
fn kubectl_discovers_and_runs_the_plugin() {
    let env = Env::new();
    let path = plugin_path(&env);
    let run = kubectl(&env, &path, &["plugin", "list"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("/bin/kubectl-mtls"), "{run:?}");
    assert!(!run.stderr.to_lowercase().contains("warning"), "{run:?}");

    let run = kubectl(&env, &path, &["mtls", "--help"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("Usage: kubectl mtls [OPTIONS] <COMMAND>"), "{run:?}");
    assert!(run.stdout.contains("kubectl mtls --context prod describe my-credential     (works)"), "{run:?}");

    let run = kubectl(&env, &path, &["mtls", "version"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.starts_with(&format!("kubectl-mtls {} (", env!("CARGO_PKG_VERSION"))), "{run:?}");
}

#[test]
fn completion_scripts_and_kubectl_plugin_completion() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let run = env.run("admin", &["completion", shell]);
        assert_eq!(run.code, 0, "{shell}: {run:?}");
        assert!(run.stdout.contains("kubectl-mtls") && run.stdout.contains("issue-client"), "{shell}: {run:?}");
    }
    let run = env.run("admin", &["completion", "kubectl"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("exec kubectl-mtls __complete \"$@\""), "{run:?}");

    // Install the helper beside the plugin and let the real kubectl use it.
    let path = plugin_path(&env);
    let helper = env.path("bin/kubectl_complete-mtls");
    std::fs::write(&helper, &run.stdout).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    env.secret("istio-system", "httpbin-credential", &[("tls.crt", b"x")]);
    env.secret("istio-system", "unrelated", &[("password", b"x")]);
    env.server.seed(serde_json::json!({
        "apiVersion": "networking.istio.io/v1", "kind": "Gateway",
        "metadata": {"name": "edge-gateway", "namespace": "default"}, "spec": {"servers": []}
    }));

    let run = kubectl(&env, &path, &["__complete", "mtls", ""]);
    assert_eq!(run.code, 0, "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    for sub in ["describe", "create", "allow", "disallow", "list", "issue-client", "completion"] {
        assert!(lines.contains(&sub), "{sub}: {run:?}");
    }
    assert!(!lines.contains(&"__complete"), "{run:?}");
    assert!(lines.contains(&":4"), "{run:?}");

    let run = kubectl(&env, &path, &["__complete", "mtls", "describe", "h"]);
    assert!(run.stdout.lines().any(|l| l == "httpbin-credential"), "{run:?}");
    assert!(!run.stdout.contains("unrelated"), "{run:?}");
    let run = kubectl(&env, &path, &["__complete", "mtls", "allow", ""]);
    assert!(run.stdout.lines().any(|l| l == "edge-gateway"), "{run:?}");
    let run = kubectl(&env, &path, &["__complete", "mtls", "issue-client", "--"]);
    assert!(run.stdout.lines().any(|l| l == "--credential"), "{run:?}");
}

#[test]
fn workflows_are_well_formed() {
    for name in ["release.yml", "e2e.yml"] {
        let text = std::fs::read_to_string(root().join(".github/workflows").join(name)).unwrap();
        let workflow: Value = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(workflow.get("on").is_some() || workflow.get("true").is_some(), "{name}: no trigger");
        let jobs = workflow["jobs"].as_object().unwrap_or_else(|| panic!("{name}: no jobs"));
        for (job, body) in jobs {
            assert!(body["runs-on"].is_string(), "{name}/{job}: runs-on");
            for step in body["steps"].as_array().unwrap_or_else(|| panic!("{name}/{job}: steps")) {
                assert!(
                    step.get("uses").is_some() ^ step.get("run").is_some(),
                    "{name}/{job}: a step uses or runs: {step}"
                );
            }
        }
    }
    let e2e = std::fs::read_to_string(root().join(".github/workflows/e2e.yml")).unwrap();
    for command in ["kubectl mtls create", "kubectl mtls issue-client", "kubectl mtls allow", "kubectl mtls disallow"] {
        assert!(e2e.contains(command), "the real-cluster workflow runs {command}");
    }
}
