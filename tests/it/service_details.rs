//! The service details the seeds use, on `examples/service.yaml`: ECS Exec
//! (`execute_command: true`) gives the service a task role with exactly the `ssmmessages`
//! actions the SSM agent needs, and auto scaling cooldowns reach both target-tracking
//! policies, change in place, and plan clean after apply.

use crate::harness::{Moto, service_example, settings};

const EXEC: (&str, &str) = (
    "    logs: { retention_days: 7 }\n",
    "    logs: { retention_days: 7 }\n    execute_command: true\n",
);

fn cooldowns(scale_in: u32, scale_out: u32) -> (&'static str, String) {
    (
        "    autoscale: { min: 1, max: 4, cpu: 70, memory: 80 }\n",
        format!(
            "    autoscale: {{ min: 1, max: 4, cpu: 70, memory: 80, scale_in_cooldown: {scale_in}, scale_out_cooldown: {scale_out} }}\n"
        ),
    )
}

async fn policy_cooldowns(moto: &Moto) -> Vec<(String, Option<i32>, Option<i32>)> {
    let scaling = aws_sdk_applicationautoscaling::Client::new(&moto.sdk().await);
    let policies = scaling
        .describe_scaling_policies()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .send()
        .await
        .unwrap();
    let mut found: Vec<_> = policies
        .scaling_policies()
        .iter()
        .map(|policy| {
            let config = policy
                .target_tracking_scaling_policy_configuration()
                .unwrap();
            (
                policy.policy_name().to_string(),
                config.scale_in_cooldown(),
                config.scale_out_cooldown(),
            )
        })
        .collect();
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn exec_and_cooldowns() {
    let moto = Moto::start();
    let certificate = moto.certificate();
    let dir = tempfile::tempdir().unwrap();
    let (from, to) = cooldowns(300, 60);
    let path = service_example(&certificate, &dir, &[EXEC, (from, &to)]);
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();

    // The task role: ECS Exec's four actions, and the task definition uses the role.
    let sdk = moto.sdk().await;
    let iam = aws_sdk_iam::Client::new(&sdk);
    let (role, document) = crate::harness::role_policy(&iam, "-task").await;
    for action in [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    ] {
        assert!(document.contains(action), "{action}: {document}");
    }
    let ecs = aws_sdk_ecs::Client::new(&sdk);
    let definition = crate::harness::latest_task_definition(&ecs, "service-demo-web").await;
    assert_eq!(definition.task_role_arn(), Some(role.arn()));
    let services = ecs
        .describe_services()
        .cluster("service-demo-main")
        .services("service-demo-web")
        .send()
        .await
        .unwrap();
    assert!(services.services()[0].enable_execute_command());

    assert_eq!(
        policy_cooldowns(&moto).await,
        [
            ("edgectl-cpu".to_string(), Some(300), Some(60)),
            ("edgectl-memory".to_string(), Some(300), Some(60)),
        ]
    );
    let plan = moto
        .edgectl(&["plan", "-f", &path, "--detailed-exitcode"])
        .success();
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);

    // A cooldown changes in place: both policies are written again.
    let (from, to) = cooldowns(600, 60);
    let changed = service_example(&certificate, &dir, &[EXEC, (from, &to)]);
    let plan = moto.edgectl(&["plan", "-f", &changed]).success();
    settings().bind(|| insta::assert_snapshot!("autoscaling_cooldown", plan.stdout));
    moto.edgectl(&["apply", "-f", &changed, "--auto-approve"])
        .success();
    assert_eq!(
        policy_cooldowns(&moto).await,
        [
            ("edgectl-cpu".to_string(), Some(600), Some(60)),
            ("edgectl-memory".to_string(), Some(600), Some(60)),
        ]
    );
    let plan = moto
        .edgectl(&["plan", "-f", &changed, "--detailed-exitcode"])
        .success();
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);
}
