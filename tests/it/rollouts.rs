//! When a deploy fails (`examples/service.yaml`): a rollout that fails, is rolled back or
//! times out says why — the deployment's stopped tasks, their containers' exit codes, the
//! last lines they logged, the service's events —; the next plan notes a service whose
//! last rollout failed or is still in progress; `--redeploy` starts a new deployment of
//! the same task definition.
//!
//! moto runs no task: a failing deployment is moto's patch 21 (an image whose name holds
//! the marker fails as AWS's does when its essential container exits), a rollout in
//! progress is moto with no running tasks (`Moto::start_with_rollouts_stuck`).

use crate::harness::{Moto, Run, service_example};

const CLUSTER: &str = "service-demo-main";
const SERVICE: &str = "service-demo-web";

async fn primary_deployment(moto: &Moto) -> aws_sdk_ecs::types::Deployment {
    let ecs = aws_sdk_ecs::Client::new(&moto.sdk().await);
    let described = ecs
        .describe_services()
        .cluster(CLUSTER)
        .services(SERVICE)
        .send()
        .await
        .unwrap();
    described.services()[0]
        .deployments()
        .iter()
        .find(|deployment| deployment.status() == Some("PRIMARY"))
        .cloned()
        .expect("a PRIMARY deployment")
}

/// `edgectl VERB -f PATH --var image_tag=TAG EXTRA...` (apply asks nothing).
fn with_tag(moto: &Moto, verb: &str, path: &str, tag: &str, extra: &[&str]) -> Run {
    let tag = format!("image_tag={tag}");
    let mut args = vec![verb, "-f", path, "--var", &tag];
    if verb == "apply" {
        args.push("--auto-approve");
    }
    args.extend(extra);
    moto.edgectl(&args)
}

/// What a failed rollout's error says of its stopped tasks: why each stopped, the exit
/// code, and the lines the container logged.
#[track_caller]
fn says_why_tasks_stopped(stderr: &str) {
    for expected in [
        "stopped: Essential container in task exited (EssentialContainerExited)",
        "container `web` exited with code 1",
        "Error: DATABASE_URL is not set",
        "latest service events:",
        "deployment failed: tasks failed to start.",
        "      | Error: DATABASE_URL is not set",
    ] {
        assert!(stderr.contains(expected), "no {expected:?} in:\n{stderr}");
    }
    // Two tasks stopped, each named once with its own log stream.
    assert_eq!(
        stderr.matches("Essential container in task exited").count(),
        2,
        "{stderr}"
    );
}

/// The circuit breaker rolls a failed deployment back (the example's default): the apply
/// fails naming the rollback and why its tasks stopped, the service runs the revision
/// before, and the next plan offers the new image again.
#[tokio::test]
async fn a_rolled_back_deployment_says_why_its_tasks_stopped() {
    let moto = Moto::start_with_failing_image("broken");
    let dir = tempfile::tempdir().unwrap();
    let path = service_example(&moto.certificate(), &dir, &[]);
    with_tag(&moto, "apply", &path, "v1", &[]).success();
    let before = primary_deployment(&moto).await;

    let failed = with_tag(&moto, "apply", &path, "broken", &[]);
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    assert!(
        failed.stderr.contains(
            "was rolled back (ECS deployment circuit breaker: tasks failed to start.): the service runs deployment"
        ),
        "{}",
        failed.stderr
    );
    says_why_tasks_stopped(&failed.stderr);
    assert!(
        failed.stderr.contains("rolling back to deployment"),
        "{}",
        failed.stderr
    );
    // The last lines are read from the container's own stream.
    assert!(
        failed
            .stderr
            .contains("last lines of `web` (/ecs/service-demo-web ecs/web/"),
        "{}",
        failed.stderr
    );
    let after = primary_deployment(&moto).await;
    assert_eq!(after.task_definition(), before.task_definition());

    // The service runs the revision before: the plan offers the new image again, with no
    // note (the rolled-back deployment completed).
    let plan = with_tag(&moto, "plan", &path, "broken", &[]);
    assert!(plan.stdout.contains("~ service.web"), "{}", plan.stdout);
    assert!(plan.stdout.contains("task_definition"), "{}", plan.stdout);
    assert!(
        !plan.stdout.contains("note: `service.web`"),
        "{}",
        plan.stdout
    );
}

/// The task ids a failure names.
fn stopped_task_ids(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|line| line.trim().strip_prefix("task "))
        .filter_map(|rest| rest.split(' ').next())
        .map(str::to_string)
        .collect()
}

/// A new service's first deployment has nothing to roll back to: it stays FAILED. The
/// next plan notes it and what to do; `--redeploy` tries the same image again, in a new
/// deployment whose own stopped tasks (not the first one's) are named.
#[tokio::test]
async fn a_failed_rollout_is_noted_by_the_next_plan() {
    let moto = Moto::start_with_failing_image("broken");
    let dir = tempfile::tempdir().unwrap();
    let path = service_example(&moto.certificate(), &dir, &[]);
    let failed = with_tag(&moto, "apply", &path, "broken", &[]);
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    assert!(
        failed.stderr.contains(
            "the deployment failed: ECS deployment circuit breaker: tasks failed to start."
        ),
        "{}",
        failed.stderr
    );
    says_why_tasks_stopped(&failed.stderr);

    let plan = with_tag(&moto, "plan", &path, "broken", &[]);
    assert!(
        plan.stdout.contains(
            "note: `service.web` last rollout failed: ECS deployment circuit breaker: tasks failed to start. (0 of 2 tasks running); fix its cause and apply, or `apply --redeploy web` to start it again"
        ),
        "{}",
        plan.stdout
    );

    // The same image again: a new deployment, which fails the same way and says so,
    // naming its own two tasks.
    let first = primary_deployment(&moto).await;
    let again = with_tag(&moto, "apply", &path, "broken", &["--redeploy", "web"]);
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(
        again
            .stdout
            .contains(r#""running" → "new, same task definition (--redeploy)""#),
        "the plan shows the forced deployment: {}",
        again.stdout
    );
    let second = primary_deployment(&moto).await;
    assert_ne!(first.id(), second.id(), "a new deployment was started");
    says_why_tasks_stopped(&again.stderr);
    let (before, after) = (
        stopped_task_ids(&failed.stderr),
        stopped_task_ids(&again.stderr),
    );
    assert_eq!((before.len(), after.len()), (2, 2), "{}", again.stderr);
    assert!(
        after.iter().all(|id| !before.contains(id)),
        "the first deployment's tasks are not this one's: {}",
        again.stderr
    );

    // Fixed: a healthy image deploys, and the note is gone.
    with_tag(&moto, "apply", &path, "v2", &[]).success();
    let plan = with_tag(&moto, "plan", &path, "v2", &[]);
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("note:"), "{}", plan.stdout);
}

/// With the circuit breaker off (`rollback: false`), ECS starts failing tasks again and
/// again: the wait ends at `--timeout`, saying why the tasks stopped.
#[tokio::test]
async fn without_the_circuit_breaker_a_failing_rollout_times_out_saying_why() {
    let moto = Moto::start_with_failing_image("broken");
    let dir = tempfile::tempdir().unwrap();
    let path = service_example(
        &moto.certificate(),
        &dir,
        &[(
            "    health_check_grace_period: 60\n",
            "    health_check_grace_period: 60\n    deployment: { rollback: false }\n",
        )],
    );
    with_tag(&moto, "apply", &path, "v1", &[]).success();
    let failed = with_tag(&moto, "apply", &path, "broken", &["--timeout", "3s"]);
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    assert!(
        failed
            .stderr
            .contains("service `service-demo-web` not stable after 3.0s (running 0 of 2)"),
        "{}",
        failed.stderr
    );
    assert_eq!(
        stopped_task_ids(&failed.stderr).len(),
        2,
        "{}",
        failed.stderr
    );
    assert!(
        failed
            .stderr
            .contains("      | Error: DATABASE_URL is not set"),
        "{}",
        failed.stderr
    );
    let plan = with_tag(&moto, "plan", &path, "broken", &[]);
    assert!(
        plan.stdout.contains(
            "note: `service.web` rollout in progress: 0 of 2 tasks of the new deployment running"
        ),
        "{}",
        plan.stdout
    );
}

/// `--redeploy` on a healthy service: the plan shows a forced deployment and nothing else,
/// apply starts one (a new PRIMARY deployment of the same revision); a name the manifest
/// does not have is refused before any AWS call.
#[tokio::test]
async fn redeploy_starts_a_new_deployment_of_the_same_task_definition() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let path = service_example(&moto.certificate(), &dir, &[]);
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();

    let plan = moto.edgectl(&[
        "plan",
        "-f",
        &path,
        "--redeploy",
        "web",
        "--detailed-exitcode",
    ]);
    assert_eq!(plan.code, 2, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout
            .contains("Plan: 0 to create, 1 to update, 0 to replace, 0 to delete."),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains(r#""running" → "new, same task definition (--redeploy)""#),
        "{}",
        plan.stdout
    );

    let before = primary_deployment(&moto).await;
    moto.edgectl(&["apply", "-f", &path, "--redeploy", "web", "--auto-approve"])
        .success();
    let after = primary_deployment(&moto).await;
    assert_ne!(before.id(), after.id(), "a new deployment");
    assert_eq!(before.task_definition(), after.task_definition());
    let plan = moto.edgectl(&["plan", "-f", &path, "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.stdout);

    // Saved for review, then applied as saved.
    let saved = dir.path().join("redeploy.plan");
    let saved = saved.to_str().unwrap();
    moto.edgectl(&["plan", "-f", &path, "--redeploy", "web", "--out", saved])
        .success();
    moto.edgectl(&["apply", saved]).success();
    let again = primary_deployment(&moto).await;
    assert_ne!(after.id(), again.id(), "the saved plan's new deployment");

    let requests = moto.requests();
    let unknown = moto.edgectl(&["plan", "-f", &path, "--redeploy", "api"]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown
            .stderr
            .contains("--redeploy api: the manifest has no service `api` (its services: `web`)"),
        "{}",
        unknown.stderr
    );
    assert_eq!(moto.requests(), requests, "no AWS call for a wrong name");
}

/// A rollout whose tasks never start: `--timeout` ends the wait saying no task stopped
/// and what the service says; a plan then notes the rollout in progress.
#[tokio::test]
async fn a_rollout_in_progress_is_noted_and_a_timeout_says_why() {
    let moto = Moto::start_with_rollouts_stuck();
    let dir = tempfile::tempdir().unwrap();
    let path = service_example(&moto.certificate(), &dir, &[]);
    let applied = moto.edgectl(&["apply", "-f", &path, "--auto-approve", "--timeout", "3s"]);
    assert_eq!(applied.code, 1, "{}", applied.stderr);
    assert!(
        applied
            .stderr
            .contains("service `service-demo-web` not stable after 3.0s (running 0 of 2)"),
        "{}",
        applied.stderr
    );
    assert!(
        applied
            .stderr
            .contains("no stopped task of this deployment found"),
        "{}",
        applied.stderr
    );
    let plan = moto.edgectl(&["plan", "-f", &path]);
    assert!(
        plan.stdout.contains(
            "note: `service.web` rollout in progress: 0 of 2 tasks of the new deployment running"
        ),
        "{}",
        plan.stdout
    );
}
