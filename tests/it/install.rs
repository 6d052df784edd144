//! scripts/install.sh: the prebuilt binary for this machine from a release, checked
//! against its SHA-256 before anything is installed. A release is served here from a
//! folder laid out as GitHub's (`download/<tag>/<file>`).

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use crate::harness::root;

/// Serves `dir` over HTTP on a free loopback port, for as long as the test runs: its URL.
fn serve(dir: &Path) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            // The headers, up to the blank line.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|read| read > 2) {
                line.clear();
            }
            let path = request
                .split(' ')
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/');
            let mut stream = &stream;
            match std::fs::read(dir.join(path)) {
                Ok(body) => {
                    let _ = write!(
                        stream,
                        "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(&body);
                }
                Err(_) => {
                    let _ =
                        stream.write_all(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n");
                }
            }
        }
    });
    url
}

fn sha256(path: &Path) -> String {
    let output = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&output.stdout)
        .split(' ')
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn the_installer_checks_the_archive_then_installs_the_binary() {
    let target = match std::env::consts::ARCH {
        "x86_64" => "x86_64-unknown-linux-musl",
        "aarch64" => "aarch64-unknown-linux-musl",
        other => panic!("no release target for {other}"),
    };
    let releases = tempfile::tempdir().unwrap();
    let tag = releases.path().join("download/v9.9.9");
    std::fs::create_dir_all(&tag).unwrap();
    // A stand-in binary: what the installer does with the archive is the test.
    let build = tempfile::tempdir().unwrap();
    std::fs::write(
        build.path().join("edgectl"),
        "#!/bin/sh\necho 'edgectl 9.9.9 (commit 0123456789ab)'\n",
    )
    .unwrap();
    let archive = tag.join(format!("edgectl-{target}.tar.gz"));
    let packed = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(build.path())
        .arg("edgectl")
        .status()
        .unwrap();
    assert!(packed.success());
    let checksum = tag.join(format!("edgectl-{target}.sha256"));
    std::fs::write(
        &checksum,
        format!("{}  edgectl-{target}.tar.gz\n", sha256(&archive)),
    )
    .unwrap();
    let url = serve(releases.path());

    let install = |into: &Path| {
        Command::new("sh")
            .arg(root().join("scripts/install.sh"))
            .env("EDGECTL_DOWNLOAD_URL", &url)
            // A version without its `v` is the tag with it.
            .env("EDGECTL_VERSION", "9.9.9")
            .env("EDGECTL_INSTALL_DIR", into)
            .env("PATH", std::env::var("PATH").unwrap())
            .output()
            .unwrap()
    };
    let home = tempfile::tempdir().unwrap();
    let bin = home.path().join("bin");
    let output = install(&bin);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("installed edgectl 9.9.9 (commit 0123456789ab) in "),
        "{stderr}"
    );
    assert!(stderr.contains("is not on your PATH"), "{stderr}");
    let installed = Command::new(bin.join("edgectl"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(installed.status.success());

    // An archive that is not the one its checksum names is never installed.
    std::fs::write(
        &checksum,
        format!("{}  edgectl-{target}.tar.gz\n", "0".repeat(64)),
    )
    .unwrap();
    // The one installed before stays as it was.
    let before = std::fs::read(bin.join("edgectl")).unwrap();
    std::fs::write(bin.join("edgectl"), b"#!/bin/sh\necho 'edgectl 9.9.8'\n").unwrap();
    let refused = install(&bin);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("does not match its SHA-256") && stderr.contains("nothing was installed"),
        "{stderr}"
    );
    assert_ne!(std::fs::read(bin.join("edgectl")).unwrap(), before);
    assert_eq!(
        std::fs::read(bin.join("edgectl")).unwrap(),
        b"#!/bin/sh\necho 'edgectl 9.9.8'\n"
    );
    assert_eq!(std::fs::read_dir(&bin).unwrap().count(), 1, "no leftovers");
    let elsewhere = home.path().join("other");

    // A release that is not there says so.
    let missing = Command::new("sh")
        .arg(root().join("scripts/install.sh"))
        .env("EDGECTL_DOWNLOAD_URL", &url)
        .env("EDGECTL_VERSION", "v0.0.1")
        .env("EDGECTL_INSTALL_DIR", &elsewhere)
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("cannot download"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
}

/// The installer, cargo binstall's metadata and the release workflow name the archives
/// alike: `edgectl-<target>.tar.gz` with the binary at its root, and
/// `edgectl-<target>.sha256` beside it.
#[test]
fn the_installer_binstall_and_the_release_name_the_archives_alike() {
    let workflow = std::fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    for line in [
        "archive: edgectl-$target",
        "checksum: sha256",
        "profile: dist",
        "bin: edgectl",
    ] {
        assert!(workflow.contains(line), "release.yml lacks `{line}`");
    }
    assert!(
        !workflow.contains("leading-dir"),
        "the binary is at the archive's root"
    );
    let installer = std::fs::read_to_string(root().join("scripts/install.sh")).unwrap();
    for text in [
        "archive=edgectl-$target.tar.gz",
        "\"$url/edgectl-$target.sha256\"",
        "-C \"$tmp\" edgectl",
    ] {
        assert!(installer.contains(text), "install.sh lacks `{text}`");
    }
    let cargo = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    assert!(cargo.contains(
        "pkg-url = \"{ repo }/releases/download/v{ version }/edgectl-{ target }.tar.gz\""
    ));
    assert!(cargo.contains("bin-dir = \"{ bin }{ binary-ext }\""));
}
