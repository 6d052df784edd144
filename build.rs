//! Names the commit edgectl is built from in `edgectl --version`: `EDGECTL_COMMIT` when
//! set (the release workflow, a build from a source archive), else the commit of the git
//! checkout this crate is the top of, else `unknown`. Twelve characters either way.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=EDGECTL_COMMIT");
    let commit = std::env::var("EDGECTL_COMMIT")
        .ok()
        .filter(|commit| !commit.is_empty())
        .or_else(checkout_commit)
        .unwrap_or_else(|| "unknown".to_string());
    let short: String = commit.chars().take(12).collect();
    println!("cargo:rustc-env=EDGECTL_COMMIT={short}");
}

/// HEAD of the checkout whose top is this crate's folder (not of a repository that merely
/// holds an unpacked crate), rebuilt when HEAD or a branch moves (a worktree's too).
fn checkout_commit() -> Option<String> {
    let crate_dir = std::env::var("CARGO_MANIFEST_DIR").ok()?;
    let top = git(&["rev-parse", "--show-toplevel"])?;
    let same = |a: &str, b: &str| {
        Path::new(a)
            .canonicalize()
            .ok()
            .is_some_and(|a| Path::new(b).canonicalize().ok() == Some(a))
    };
    if !same(&top, &crate_dir) {
        return None;
    }
    for name in ["HEAD", "refs/heads", "packed-refs"] {
        if let Some(path) = git(&["rev-parse", "--git-path", name])
            && Path::new(&path).exists()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    git(&["rev-parse", "HEAD"])
}

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}
