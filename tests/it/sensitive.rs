//! `sensitive: true` variables: their values reach AWS but never the output — not in
//! plans (shown as `(sensitive)`), progress, summaries or errors. Every byte edgectl
//! writes is searched for the value.

use crate::harness::{Moto, Run};

const SECRET: &str = "s3cr3t-Hunter2-value";

fn manifest() -> String {
    let text = std::fs::read_to_string(crate::harness::root().join("examples/service.yaml"))
        .expect("read example");
    let text = text.replace(
        "variables:\n",
        "variables:\n  db_password: { sensitive: true, description: the database password }\n",
    );
    assert!(text.contains("    environment: { NODE_ENV: production }"));
    text.replace(
        "    environment: { NODE_ENV: production }",
        "    environment: { NODE_ENV: production, DB_PASSWORD: \"${var.db_password}\" }",
    )
}

fn assert_hidden(what: &str, run: &Run) {
    assert_absent(SECRET, what, run);
}

/// `secret` is on neither of the run's streams.
#[track_caller]
pub fn assert_absent(secret: &str, what: &str, run: &Run) {
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(
            !text.contains(secret),
            "{what}: the sensitive value is on {stream}:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sensitive_values_never_reach_the_output() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("service.yaml");
    std::fs::write(&path, manifest()).unwrap();
    let path = path.to_string_lossy().into_owned();
    let certificate = format!("certificate_arn={}", moto.certificate());
    let secret = format!("db_password={SECRET}");
    let args = |verb: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = verb.iter().map(|arg| arg.to_string()).collect();
        args.extend(["-f", &path, "--var", &certificate, "--var", &secret].map(String::from));
        args
    };
    let run = |verb: &[&str]| -> Run {
        let args = args(verb);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        moto.edgectl(&args)
    };

    let validate = run(&["validate"]);
    assert_eq!(validate.code, 0, "{}", validate.stderr);
    assert_hidden("validate", &validate);
    let plan = run(&["plan", "-v"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert_hidden("plan", &plan);
    assert!(
        plan.stdout.contains("DB_PASSWORD") && plan.stdout.contains("(sensitive)"),
        "{}",
        plan.stdout
    );
    let apply = run(&["apply", "--auto-approve", "-v"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    assert_hidden("apply", &apply);

    // The value did reach AWS: the task definition carries it.
    let ecs = aws_sdk_ecs::Client::new(&moto.sdk().await);
    let definition = ecs
        .describe_task_definition()
        .task_definition("service-demo-web")
        .send()
        .await
        .unwrap();
    let environment = definition
        .task_definition()
        .unwrap()
        .container_definitions()[0]
        .environment()
        .to_vec();
    assert!(
        environment
            .iter()
            .any(|pair| pair.name() == Some("DB_PASSWORD") && pair.value() == Some(SECRET))
    );

    // A changed value shows as a change, not as the values.
    let changed = format!("db_password={SECRET}-next");
    let mut next: Vec<String> = vec!["plan".into(), "-f".into(), path.clone()];
    next.extend(["--var".into(), certificate.clone(), "--var".into(), changed]);
    let next: Vec<&str> = next.iter().map(String::as_str).collect();
    let replan = moto.edgectl(&next);
    assert_eq!(replan.code, 0, "{}", replan.stderr);
    assert_hidden("plan of a changed value", &replan);
    assert!(replan.stdout.contains("(sensitive)"), "{}", replan.stdout);

    // In an error report, where the manifest's own lines are quoted.
    let broken = manifest().replace(
        "  db_password: { sensitive: true, description: the database password }\n",
        &format!("  db_password: {{ sensitive: true, default: {SECRET} }}\n"),
    ) + "nope: 1\n";
    std::fs::write(dir.path().join("broken.yaml"), broken).unwrap();
    let broken_path = dir
        .path()
        .join("broken.yaml")
        .to_string_lossy()
        .into_owned();
    let invalid = moto.edgectl(&["plan", "-f", &broken_path, "--var", &certificate]);
    assert_eq!(invalid.code, 1);
    assert_hidden("an invalid manifest", &invalid);

    let destroy = run(&["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.stderr);
    assert_hidden("destroy", &destroy);
}
