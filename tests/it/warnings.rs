//! Settings people regret warn, at their lines, before any AWS call; `--strict` makes them
//! errors. `tests/it/warn/regrets.yaml` holds each once.

use crate::harness::{Moto, edgectl_command, run_edgectl, settings};

const REGRETS: &str = "tests/it/warn/regrets.yaml";

#[test]
fn validate_warns_of_each_regret_at_its_line_and_strict_fails() {
    let run = run_edgectl(&["validate", "-f", REGRETS], None, None);
    assert_eq!(run.code, 0, "warnings are no error: {}", run.stderr);
    // Every environment's warnings first, then prod's own under its name.
    settings().bind(|| insta::assert_snapshot!("regrets_validate", run.stderr));

    let strict = run_edgectl(&["validate", "-f", REGRETS, "--strict"], None, None);
    assert_eq!(strict.code, 1, "{}", strict.stderr);
    assert!(
        strict.stderr.ends_with(
            "error: the manifest has 16 warnings and --strict makes them errors: change what they point at, or run without --strict\n"
        ),
        "{}",
        strict.stderr
    );
    // dev has none of prod's: 12 there.
    let dev = run_edgectl(
        &["validate", "-f", REGRETS, "--env", "dev", "--strict"],
        None,
        None,
    );
    assert!(
        dev.stderr.contains("error: the manifest has 14 warnings"),
        "{}",
        dev.stderr
    );
    // An immutable tag is no regret in production; nginx still is.
    let tagged = run_edgectl(
        &[
            "validate",
            "-f",
            REGRETS,
            "--env",
            "prod",
            "--var",
            "image_tag=4f2a9c1",
        ],
        None,
        None,
    );
    assert!(!tagged.stderr.contains("web:"), "{}", tagged.stderr);
    assert!(
        tagged.stderr.contains("image `nginx` is `latest`"),
        "{}",
        tagged.stderr
    );
}

#[test]
fn strict_stops_plan_and_apply_before_any_aws_call() {
    let moto = Moto::start();
    for command in [
        &["plan", "-f", REGRETS, "--env", "dev", "--strict"][..],
        &[
            "apply",
            "-f",
            REGRETS,
            "--env",
            "dev",
            "--strict",
            "--auto-approve",
        ][..],
    ] {
        let run = moto.edgectl(command);
        assert_eq!(run.code, 1, "{command:?}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("warning: `security_groups.bastion.ingress` opens tcp port 22 (SSH)"),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("--strict makes them errors"),
            "{}",
            run.stderr
        );
    }
    assert_eq!(moto.requests(), 0);
}

/// On GitHub Actions each warning is an annotation at its line and columns.
#[test]
fn warnings_are_annotations_at_their_lines_on_github_actions() {
    let output = edgectl_command(&["validate", "-f", REGRETS, "--env", "dev"], None)
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.lines().any(|line| line.starts_with(
            "::warning file=tests/it/warn/regrets.yaml,line=25,col=27,endColumn=36,title=edgectl::`security_groups.bastion.ingress` opens tcp port 22 (SSH) to the whole internet (`0.0.0.0/0`)%0Ahelp: allow only who needs it"
        )),
        "{stderr}"
    );
    assert_eq!(
        stderr
            .lines()
            .filter(|line| line.starts_with("::warning "))
            .count(),
        10,
        "at most 9 per level, then one pointing at the log: {stderr}"
    );
}

/// What ships passes `--strict` once CI gives the image its tag: the examples and the
/// seeds' stacks grant, open and print nothing their write-ups do not.
#[test]
fn shipped_manifests_have_no_warnings() {
    let manifests = crate::harness::shipped_manifests();
    for manifest in &manifests {
        let output = edgectl_command(&["validate", "-f", manifest, "--strict"], None)
            .env("EDGECTL_VAR_image_tag", "4f2a9c1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{manifest}: {stderr}");
        assert!(!stderr.contains("warning"), "{manifest}: {stderr}");
    }
    // Without the tag, production's `latest` is one.
    let untagged = run_edgectl(
        &[
            "validate",
            "-f",
            "manifests/happyrobot-fde.yaml",
            "--strict",
        ],
        None,
        None,
    );
    assert_eq!(untagged.code, 1, "{}", untagged.stderr);
    assert!(
        untagged
            .stderr
            .contains("in environment `prod`:\nwarning: image `api:latest`"),
        "{}",
        untagged.stderr
    );
}
