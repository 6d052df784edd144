//! The command-line contract: exit codes, confirmation, stdin manifests.

use crate::harness::{Moto, run_edgectl};

#[test]
fn usage_errors_exit_1_not_2() {
    // 2 means "changes pending" to CI; clap's default for usage errors must not leak out.
    let unknown_flag = run_edgectl(
        &["plan", "-f", "examples/network.yaml", "--no-such-flag"],
        None,
        None,
    );
    assert_eq!(unknown_flag.code, 1, "{}", unknown_flag.stderr);
    let missing_file_flag = run_edgectl(&["plan"], None, None);
    assert_eq!(missing_file_flag.code, 1);
    let bad_var = run_edgectl(
        &["plan", "-f", "examples/network.yaml", "--var", "novalue"],
        None,
        None,
    );
    assert_eq!(bad_var.code, 1);
    assert!(
        bad_var.stderr.contains("is not of the form K=V"),
        "{}",
        bad_var.stderr
    );
    let help = run_edgectl(&["--help"], None, None);
    assert_eq!(help.code, 0);
    for command in ["validate", "plan", "apply", "destroy"] {
        assert!(help.stdout.contains(command), "{}", help.stdout);
    }
}

#[test]
fn apply_without_a_terminal_refuses_at_once() {
    let moto = Moto::start();
    for command in ["apply", "destroy"] {
        let run = moto.edgectl(&[command, "-f", "examples/network.yaml"]);
        assert_eq!(run.code, 1);
        assert_eq!(
            run.stderr,
            format!(
                "error: refusing to {command} without confirmation: stdin is not a terminal\nhelp: pass `--auto-approve` to proceed without a prompt (as in CI)\n"
            )
        );
    }
    let from_stdin = moto.edgectl_with_stdin(&["apply", "-f", "-"], Some("stack: x\n"));
    assert_eq!(from_stdin.code, 1);
    assert!(
        from_stdin
            .stderr
            .contains("the manifest was read from stdin"),
        "{}",
        from_stdin.stderr
    );
    assert_eq!(moto.requests(), 0);
}

#[test]
fn plan_reads_the_manifest_from_stdin_and_reports_changes_with_exit_2() {
    let moto = Moto::start();
    let manifest =
        std::fs::read_to_string(crate::harness::root().join("examples/network.yaml")).unwrap();
    let run = moto.edgectl_with_stdin(&["plan", "-f", "-", "--detailed-exitcode"], Some(&manifest));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("Plan: 18 to create, 0 to update, 0 to replace, 0 to delete."),
        "{}",
        run.stdout
    );
    // Without --detailed-exitcode, pending changes are still a success.
    let plain = moto.edgectl_with_stdin(&["plan", "-f", "-"], Some(&manifest));
    assert_eq!(plain.code, 0);
}

#[test]
fn no_region_anywhere_is_a_clear_error() {
    let mut run_args = vec!["plan", "-f", "-"];
    run_args.push("--endpoint-url");
    run_args.push("http://127.0.0.1:9");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_edgectl"))
        .args(&run_args)
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"stack: noregion\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no AWS region is set"), "{stderr}");
    assert!(
        stderr.contains("help: set `region:` in the manifest"),
        "{stderr}"
    );
}

/// An example with an HTTPS listener and no certificate given stops before any AWS call,
/// naming the variable to set (a placeholder ARN would fail at CreateListener).
#[test]
fn the_service_example_asks_for_its_certificate_before_any_call() {
    let moto = Moto::start();
    let run = moto.edgectl(&["plan", "-f", "examples/service.yaml"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("variable `certificate_arn` has no value"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--var certificate_arn=VALUE"),
        "{}",
        run.stderr
    );
    assert_eq!(moto.requests(), 0);
}

/// A manifest named without `-f` (`edgectl plan stack.yaml`) is a usage error that says
/// how to name it; `apply stack.yaml` (whose positional argument is a saved plan) says
/// the file is a manifest, and never suggests writing a plan over it.
#[test]
fn a_manifest_named_without_its_flag_says_how() {
    for command in ["plan", "destroy", "validate"] {
        let run = run_edgectl(&[command, "examples/network.yaml"], None, None);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            run.stderr.contains(&format!(
                "help: a manifest is given with `-f`: `edgectl {command} -f examples/network.yaml`"
            )),
            "{}",
            run.stderr
        );
    }
    let run = run_edgectl(&["apply", "examples/network.yaml"], None, None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "`examples/network.yaml` is a manifest, not a plan file: apply it with `edgectl apply -f examples/network.yaml`"
        ),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("--out examples/network.yaml"),
        "{}",
        run.stderr
    );
}

/// A number in quotes is text (`port: "3000"` is refused, see tests/it/bad), but a
/// variable's value in quotes is the value: `port: "${var.port}"` is a port.
#[test]
fn a_variable_in_quotes_is_its_value() {
    let manifest = "stack: quoted\nvariables:\n  port: { default: 3000 }\nnetwork:\n  cidr: 10.0.0.0/16\n  zones: 1\n  subnets:\n    public: [10.0.0.0/24]\nclusters:\n  main: {}\nservices:\n  web:\n    image: nginx\n    port: \"${var.port}\"\n";
    let run = run_edgectl(&["validate", "-f", "-"], None, Some(manifest));
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// `validate` checks what a manifest says, not one run of it: every shipped manifest
/// validates with no variable given (a variable without a value is checked for where it
/// stands), in every environment it declares; a mistake in one environment is told
/// with that environment's name.
#[test]
fn validate_needs_no_values_and_checks_every_environment() {
    let shipped = [
        "examples/network.yaml",
        "examples/service.yaml",
        "examples/static-site.yaml",
        "manifests/cloudiot.yaml",
        "manifests/edgemind-prod.yaml",
        "manifests/happyrobot-fde.yaml",
        "manifests/manufacturing.yaml",
    ];
    for path in shipped {
        let run = run_edgectl(&["validate", "-f", path], None, None);
        assert_eq!(run.code, 0, "{path}: {}", run.stderr);
    }
    let run = run_edgectl(
        &["validate", "-f", "manifests/happyrobot-fde.yaml"],
        None,
        None,
    );
    assert!(
        run.stderr
            .contains("is valid in environments `dev` (stack `happyrobot-fde`), `prod` (stack `happyrobot-fde-prod`)"),
        "{}",
        run.stderr
    );
    let broken = "stack: envs\nvariables:\n  count: { description: tasks }\nenvironments:\n  dev: { count: 1 }\n  prod: { count: many }\nnetwork:\n  cidr: 10.0.0.0/16\n  zones: 1\n  subnets:\n    public: [10.0.0.0/24]\nclusters:\n  main: {}\nservices:\n  web:\n    image: nginx\n    count: ${var.count}\n";
    let run = run_edgectl(&["validate", "-f", "-"], None, Some(broken));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("in environment `prod`:"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("in environment `dev`:"),
        "{}",
        run.stderr
    );
    // With `--env`, that environment alone.
    let run = run_edgectl(&["validate", "-f", "-", "--env", "dev"], None, Some(broken));
    assert_eq!(run.code, 0, "{}", run.stderr);
    // A sync source not built yet (CI validates before it builds): valid; `plan` needs it.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("site.yaml");
    std::fs::copy("examples/static-site.yaml", &path).unwrap();
    let path = path.to_string_lossy();
    let run = run_edgectl(&["validate", "-f", &path], None, None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = run_edgectl(&["plan", "-f", &path], None, None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("is not a folder"), "{}", run.stderr);
}

/// The commands that upload nothing (`destroy`, `unlock`, `output`) need no built sync
/// folder: a pipeline tearing a stack down has not built its site.
#[test]
fn destroy_unlock_and_output_need_no_sync_folder() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("site.yaml");
    std::fs::copy("examples/static-site.yaml", &path).unwrap();
    let path = path.to_string_lossy();
    let destroy = moto.edgectl(&["destroy", "-f", &path, "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.stderr);
    for args in [vec!["unlock", "-f", &path], vec!["output", "-f", &path]] {
        let run = moto.edgectl(&args);
        assert!(
            !run.stderr.contains("is not a folder"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("is invalid"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

/// Completion scripts for the shells clap knows, and the man page, from the same
/// definitions as `--help`: they name every command and flag, today's included.
#[test]
fn completions_and_the_man_page_name_every_command() {
    for (shell, marker) in [
        ("bash", "_edgectl()"),
        ("zsh", "#compdef edgectl"),
        ("fish", "complete -c edgectl"),
    ] {
        let run = run_edgectl(&["completions", shell], None, None);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout.contains(marker), "{shell}: {}", run.stdout);
        // Flags as each shell writes them (fish: `-l redeploy`).
        for word in ["apply", "destroy", "redeploy", "detailed-exitcode"] {
            assert!(run.stdout.contains(word), "{shell} lacks {word}");
        }
    }
    let unknown = run_edgectl(&["completions", "cmd.exe"], None, None);
    assert_eq!(unknown.code, 1, "a usage error: {}", unknown.stderr);

    let man = run_edgectl(&["man"], None, None);
    assert_eq!(man.code, 0, "{}", man.stderr);
    assert!(man.stdout.contains(".TH edgectl 1"), "{}", man.stdout);
    for word in [
        "validate", "plan", "apply", "show", "destroy", "sync", "output", "unlock",
    ] {
        assert!(man.stdout.contains(word), "the man page lacks {word}");
    }
}

/// A manifest path that is not a regular file is refused at once, never read: a FIFO with
/// no writer (whose open would wait for one), a folder, a device.
#[test]
fn a_manifest_that_is_not_a_regular_file_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("stack.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    for (path, what) in [
        (fifo.to_str().unwrap(), "it is a FIFO, not a regular file"),
        (
            dir.path().to_str().unwrap(),
            "it is a folder, not a regular file",
        ),
        ("/dev/zero", "it is a device, not a regular file"),
    ] {
        let run = run_edgectl(&["validate", "-f", path], None, None);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            run.stderr
                .contains(&format!("error: cannot read manifest `{path}`"))
                && run.stderr.contains(what),
            "{}",
            run.stderr
        );
    }
}

/// `--var-file`: a YAML file of `name: value` lines, later files winning and `--var`
/// winning over files; a name the manifest does not declare, or a file that is not such a
/// mapping, is an error at its line, before any AWS call.
#[tokio::test]
async fn var_files_set_variables_and_their_mistakes_are_located() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let path = crate::harness::service_example(&moto.certificate(), &dir, &[]);
    let write = |name: &str, text: &str| {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        file.to_string_lossy().into_owned()
    };
    let base = write("base.yaml", "image_tag: v1\n");
    let release = write("release.yaml", "# the release\nimage_tag: v7\n");
    let plan = moto.edgectl(&[
        "plan",
        "-f",
        &path,
        "--var-file",
        &base,
        "--var-file",
        &release,
    ]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout.contains("\"v7\"") && !plan.stdout.contains("\"v1\""),
        "{}",
        plan.stdout
    );
    let plan = moto.edgectl(&[
        "plan",
        "-f",
        &path,
        "--var-file",
        &release,
        "--var",
        "image_tag=v9",
    ]);
    assert!(plan.stdout.contains("\"v9\""), "{}", plan.stdout);

    let requests = moto.requests();
    let misspelt = write("misspelt.yaml", "image_tag: v1\nimgae_tag: v2\n");
    let run = moto.edgectl(&["plan", "-f", &path, "--var-file", &misspelt]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(&format!(
            "error: `imgae_tag` in `{misspelt}:2` sets a variable the manifest does not declare"
        )) && run.stderr.contains("did you mean `image_tag`?"),
        "{}",
        run.stderr
    );
    let list = write("list.yaml", "- image_tag: v1\n");
    let run = moto.edgectl(&["plan", "-f", &path, "--var-file", &list]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("error: a variables file is a mapping, not a list")
            && run.stderr.contains(&format!("--> {list}:1:1")),
        "{}",
        run.stderr
    );
    let nested = write("nested.yaml", "image_tag:\n  tag: v1\n");
    let run = moto.edgectl(&["validate", "-f", &path, "--var-file", &nested]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("error: `image_tag` is set to a mapping, not a value")
            && run.stderr.contains(&format!("--> {nested}:1:1")),
        "{}",
        run.stderr
    );
    assert_eq!(
        moto.requests(),
        requests,
        "no AWS call for a bad variables file"
    );
}

/// A reader that goes away (`edgectl plan | head -1`) is no error and never a panic: the
/// run ends as it would have, with its own exit code. Data that cannot be written for
/// another reason (a full disk) fails the run. The pipe's reading end is closed before
/// edgectl starts, so its first write meets a closed pipe on every machine.
#[test]
fn a_closed_stdout_ends_the_output_quietly_and_a_full_disk_is_an_error() {
    use std::process::Stdio;

    let moto = Moto::start();
    for args in [
        &["completions", "bash"][..],
        &["plan", "-f", "examples/network.yaml", "--detailed-exitcode"][..],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = crate::harness::edgectl_command(args, Some(&moto.url))
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let expected = if args[0] == "plan" { 2 } else { 0 };
        assert_eq!(output.status.code(), Some(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("error"), "{args:?}: {stderr}");
    }

    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = crate::harness::edgectl_command(&["completions", "bash"], None)
        .stdin(Stdio::null())
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("error: cannot write to stdout: No space left on device"),
        "{stderr}"
    );
}

/// `edgectl --version` names the commit it was built from, as git names it.
#[test]
fn the_version_names_the_commit() {
    let run = run_edgectl(&["--version"], None, None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(crate::harness::root())
        .output()
        .unwrap();
    let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
    assert_eq!(head.len(), 12, "git names HEAD");
    assert_eq!(
        run.stdout,
        format!("edgectl {} (commit {head})\n", env!("CARGO_PKG_VERSION"))
    );
}
