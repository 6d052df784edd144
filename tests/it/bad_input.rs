//! Broken manifests: each gets its exact error report (file:line:column and a hint, every
//! error at once), exit code 1, and not a single AWS request.

use crate::harness::{Moto, settings};

#[test]
fn broken_manifests_are_reported_without_calling_aws() {
    let moto = Moto::start();
    let mut names: Vec<String> = std::fs::read_dir(crate::harness::root().join("tests/it/bad"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml"))
        .collect();
    names.sort();
    assert!(names.len() >= 8);
    for name in &names {
        let path = format!("tests/it/bad/{name}");
        // `apply --auto-approve` would go straight to AWS if validation let anything through.
        let run = moto.edgectl(&["apply", "-f", &path, "--auto-approve"]);
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{name}: {}", run.stdout);
        settings().bind(|| {
            insta::assert_snapshot!(
                format!("bad_{}", name.trim_end_matches(".yaml")),
                run.stderr
            )
        });
    }
    // Variables given on the command line must be declared.
    let run = moto.edgectl(&[
        "plan",
        "-f",
        "examples/network.yaml",
        "--var",
        "image_tag=v2",
    ]);
    assert_eq!(run.code, 1);
    settings().bind(|| insta::assert_snapshot!("bad_undeclared_cli_variable", run.stderr));
    assert_eq!(moto.requests(), 0, "a broken manifest must not reach AWS");
}

#[test]
fn variables_fill_the_manifest() {
    let moto = Moto::start();
    let run = moto.edgectl(&[
        "validate",
        "-f",
        "tests/it/bad/variables.yaml",
        "--var",
        "env=prod",
        "--var",
        "zone_count=2",
    ]);
    // `zone_count` is not declared: still an error, but `env` now resolves.
    assert_eq!(run.code, 1);
    assert!(
        !run.stderr.contains("variable `env` has no value"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("undeclared variable `zone_count`"),
        "{}",
        run.stderr
    );
    assert_eq!(moto.requests(), 0);
}
