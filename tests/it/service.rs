//! Containers end to end on `examples/service.yaml`: apply from empty, check ECS, ELBv2,
//! ECR and Application Auto Scaling through the SDK, a clean re-plan, an image rollout,
//! a desired-count change, a listener rule added and removed, a target group replaced
//! without leaving its listener pointing nowhere, and destroy.
//!
//! moto runs no tasks: `MOTO_ECS_SERVICE_RUNNING` (set by the harness) makes every
//! service report running tasks and a COMPLETED rollout, so the wait for stability is
//! exercised on the states AWS returns for a healthy deployment; failed, rolled-back and
//! unfinished deployments are `rollouts.rs`'s.

use aws_sdk_ecs::types::ServiceField;

use crate::harness::{Moto, edited, settings, summary, written};

const MANIFEST: &str = "examples/service.yaml";

struct Clients {
    ecs: aws_sdk_ecs::Client,
    elbv2: aws_sdk_elasticloadbalancingv2::Client,
    ecr: aws_sdk_ecr::Client,
    scaling: aws_sdk_applicationautoscaling::Client,
}

async fn clients(moto: &Moto) -> Clients {
    let sdk = moto.sdk().await;
    Clients {
        ecs: aws_sdk_ecs::Client::new(&sdk),
        elbv2: aws_sdk_elasticloadbalancingv2::Client::new(&sdk),
        ecr: aws_sdk_ecr::Client::new(&sdk),
        scaling: aws_sdk_applicationautoscaling::Client::new(&sdk),
    }
}

fn write(dir: &tempfile::TempDir, text: &str) -> String {
    written(dir, "service.yaml", text)
}

fn edit(text: &str, from: &str, to: &str) -> String {
    edited(text, &[(from, to)])
}

/// The service as ECS reports it.
async fn service(c: &Clients) -> aws_sdk_ecs::types::Service {
    let described = c
        .ecs
        .describe_services()
        .cluster("service-demo-main")
        .services("service-demo-web")
        .include(ServiceField::Tags)
        .send()
        .await
        .unwrap();
    described
        .services()
        .first()
        .cloned()
        .expect("the service exists")
}

/// The example load balancer's listeners, as ELBv2 reports them.
async fn live_listeners(c: &Clients) -> Vec<aws_sdk_elasticloadbalancingv2::types::Listener> {
    let balancers = c
        .elbv2
        .describe_load_balancers()
        .names("service-demo-web")
        .send()
        .await
        .unwrap();
    let arn = balancers.load_balancers()[0].load_balancer_arn().unwrap();
    let found = c
        .elbv2
        .describe_listeners()
        .load_balancer_arn(arn)
        .send()
        .await
        .unwrap();
    found.listeners().to_vec()
}

/// The load balancer's listeners, by port: (protocol, default action type, target group).
async fn listeners(c: &Clients) -> Vec<(i32, String, String, Option<String>, Vec<String>)> {
    let mut out: Vec<_> = live_listeners(c)
        .await
        .iter()
        .map(|listener| {
            let action = &listener.default_actions()[0];
            (
                listener.port().unwrap(),
                listener.protocol().unwrap().as_str().to_string(),
                action.r#type().unwrap().as_str().to_string(),
                action.target_group_arn().map(str::to_string),
                listener
                    .certificates()
                    .iter()
                    .filter_map(|certificate| certificate.certificate_arn().map(str::to_string))
                    .collect(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The HTTPS listener's rules other than the default: (priority, paths, action type).
async fn rules(c: &Clients) -> Vec<(String, Vec<String>, String)> {
    let listeners = live_listeners(c).await;
    let https = listeners.iter().find(|l| l.port() == Some(443)).unwrap();
    let rules = c
        .elbv2
        .describe_rules()
        .listener_arn(https.listener_arn().unwrap())
        .send()
        .await
        .unwrap();
    rules
        .rules()
        .iter()
        .filter(|rule| !rule.is_default().unwrap_or(false))
        .map(|rule| {
            let paths = rule
                .conditions()
                .iter()
                .flat_map(|condition| {
                    let configured = condition
                        .path_pattern_config()
                        .map(|c| c.values().to_vec())
                        .unwrap_or_default();
                    if configured.is_empty() {
                        condition.values().to_vec()
                    } else {
                        configured
                    }
                })
                .collect();
            (
                rule.priority().unwrap_or_default().to_string(),
                paths,
                rule.actions()[0].r#type().unwrap().as_str().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn service_lifecycle() {
    let moto = Moto::start();
    let c = clients(&moto).await;
    let certificate = moto.certificate();
    let cert_var = format!("certificate_arn={certificate}");
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(crate::harness::root().join(MANIFEST)).unwrap();
    let path = write(&dir, &base);
    let run = |args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["-f", &path, "--var", &cert_var]);
        moto.edgectl(&all)
    };

    // From empty.
    let applied = run(&["apply", "--auto-approve"]).success();
    assert!(
        summary(&applied).starts_with("Plan: 26 to create, 0 to update"),
        "{}",
        applied.stdout
    );

    // What AWS has, read through the SDK.
    let live = service(&c).await;
    assert_eq!(live.desired_count(), 2);
    assert_eq!(live.launch_type().map(|t| t.as_str()), Some("FARGATE"));
    assert_eq!(live.health_check_grace_period_seconds(), Some(60));
    let breaker = live
        .deployment_configuration()
        .unwrap()
        .deployment_circuit_breaker()
        .unwrap();
    assert!(breaker.enable() && breaker.rollback());
    let network = live
        .network_configuration()
        .unwrap()
        .awsvpc_configuration()
        .unwrap();
    assert_eq!(network.subnets().len(), 2, "the two private subnets");
    let definition = c
        .ecs
        .describe_task_definition()
        .task_definition(live.task_definition().unwrap())
        .send()
        .await
        .unwrap();
    let definition = definition.task_definition().unwrap();
    assert_eq!(
        (definition.cpu(), definition.memory()),
        (Some("512"), Some("1024"))
    );
    let container = &definition.container_definitions()[0];
    assert!(
        container
            .image()
            .unwrap()
            .ends_with(".amazonaws.com/service-demo-web:latest"),
        "a new service starts from `latest`: {:?}",
        container.image()
    );
    assert_eq!(container.port_mappings()[0].container_port(), Some(3000));
    let logs = container.log_configuration().unwrap().options().unwrap();
    assert_eq!(
        logs.get("awslogs-group").map(String::as_str),
        Some("/ecs/service-demo-web")
    );
    assert!(
        definition
            .execution_role_arn()
            .unwrap()
            .contains(":role/edgectl/service-demo/")
    );

    let target_group_arn = live.load_balancers()[0]
        .target_group_arn()
        .unwrap()
        .to_string();
    let groups = c
        .elbv2
        .describe_target_groups()
        .target_group_arns(&target_group_arn)
        .send()
        .await
        .unwrap();
    let group = &groups.target_groups()[0];
    assert_eq!(group.health_check_path(), Some("/health"));
    assert_eq!(group.port(), Some(3000));
    assert_eq!(group.target_type().map(|t| t.as_str()), Some("ip"));
    let attributes = c
        .elbv2
        .describe_target_group_attributes()
        .target_group_arn(&target_group_arn)
        .send()
        .await
        .unwrap();
    assert!(
        attributes
            .attributes()
            .iter()
            .any(|a| a.key() == Some("stickiness.enabled") && a.value() == Some("true"))
    );

    let found = listeners(&c).await;
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!((found[0].0, found[0].2.as_str()), (80, "redirect"));
    assert_eq!(
        (found[1].0, found[1].1.as_str(), found[1].2.as_str()),
        (443, "HTTPS", "forward")
    );
    assert_eq!(found[1].3.as_deref(), Some(target_group_arn.as_str()));
    assert_eq!(found[1].4, vec![certificate.clone()]);

    let repositories = c
        .ecr
        .describe_repositories()
        .repository_names("service-demo-web")
        .send()
        .await
        .unwrap();
    assert!(
        repositories.repositories()[0]
            .image_scanning_configuration()
            .unwrap()
            .scan_on_push()
    );
    let policy = c
        .ecr
        .get_lifecycle_policy()
        .repository_name("service-demo-web")
        .send()
        .await
        .unwrap();
    assert!(
        policy
            .lifecycle_policy_text()
            .unwrap()
            .contains("imageCountMoreThan")
    );

    let targets = c
        .scaling
        .describe_scalable_targets()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .send()
        .await
        .unwrap();
    let target = &targets.scalable_targets()[0];
    assert_eq!((target.min_capacity(), target.max_capacity()), (1, 4));
    let policies = c
        .scaling
        .describe_scaling_policies()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .send()
        .await
        .unwrap();
    assert_eq!(
        policies.scaling_policies().len(),
        2,
        "CPU and memory targets"
    );

    // A plan right after apply is empty.
    let clean = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);

    // Rollout: exactly one new revision and one service update, nothing else.
    let rollout = run(&["apply", "--auto-approve", "--var", "image_tag=v2"]).success();
    settings().bind(|| insta::assert_snapshot!("service_rollout", rollout.stdout));
    let live = service(&c).await;
    assert!(
        live.task_definition()
            .unwrap()
            .ends_with("service-demo-web:2")
    );
    let revisions = c
        .ecs
        .list_task_definitions()
        .family_prefix("service-demo-web")
        .send()
        .await
        .unwrap();
    assert_eq!(
        revisions.task_definition_arns().len(),
        2,
        "one new revision; the old one kept for rollback"
    );

    // CI owns the tag: without `image_tag`, nothing changes, and the plan says why.
    let kept = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(kept.code, 0, "{}", kept.stdout);
    assert!(
        kept.stdout.contains("keeps its live `containers`"),
        "{}",
        kept.stdout
    );

    // Without auto scaling the count is the manifest's: a change is an in-place update.
    let no_scaling = edit(
        &base,
        "    autoscale: { min: 1, max: 4, cpu: 70, memory: 80 }\n",
        "",
    );
    std::fs::write(&path, &no_scaling).unwrap();
    run(&["apply", "--auto-approve", "--var", "image_tag=v2"]).success();
    let counted = edit(&no_scaling, "count: 2", "count: 3");
    std::fs::write(&path, &counted).unwrap();
    let count = run(&["plan", "--detailed-exitcode", "--var", "image_tag=v2"]);
    assert_eq!(count.code, 2);
    settings().bind(|| insta::assert_snapshot!("service_count", count.stdout));
    run(&["apply", "--auto-approve", "--var", "image_tag=v2"]).success();
    assert_eq!(service(&c).await.desired_count(), 3);

    // A path rule, added then removed.
    let with_rule = edit(
        &counted,
        "        forward: web\n",
        "        forward: web\n        rules:\n          - { priority: 10, paths: [/api/*], fixed_response: { status: 404, body: no api here } }\n",
    );
    std::fs::write(&path, &with_rule).unwrap();
    let added = run(&["apply", "--auto-approve", "--var", "image_tag=v2"]).success();
    assert!(
        summary(&added).starts_with("Plan: 1 to create, 0 to update, 0 to replace, 0 to delete"),
        "{}",
        added.stdout
    );
    assert_eq!(
        rules(&c).await,
        vec![(
            "10".to_string(),
            vec!["/api/*".to_string()],
            "fixed-response".to_string()
        )]
    );
    std::fs::write(&path, &counted).unwrap();
    let removed = run(&["apply", "--auto-approve", "--var", "image_tag=v2"]).success();
    assert!(rules(&c).await.is_empty());
    assert!(
        summary(&removed).starts_with("Plan: 0 to create, 0 to update, 0 to replace, 1 to delete"),
        "{}",
        removed.stdout
    );

    // A target group port change replaces the group, new one first: the listener and the
    // service move to it, then the old one goes.
    let moved = edit(&counted, "port: 3000\n", "port: 8080\n");
    std::fs::write(&path, &moved).unwrap();
    let replaced = run(&["apply", "--auto-approve", "--var", "image_tag=v2"]).success();
    settings().bind(|| insta::assert_snapshot!("service_target_group_port", replaced.stdout));
    let live = service(&c).await;
    let new_group = live.load_balancers()[0]
        .target_group_arn()
        .unwrap()
        .to_string();
    assert_ne!(new_group, target_group_arn);
    let found = listeners(&c).await;
    assert_eq!(
        found[1].3.as_deref(),
        Some(new_group.as_str()),
        "the listener forwards to the new group"
    );
    let old = c
        .elbv2
        .describe_target_groups()
        .target_group_arns(&target_group_arn)
        .send()
        .await;
    assert!(
        old.is_err() || old.unwrap().target_groups().is_empty(),
        "the old group is gone"
    );
    let clean = run(&["plan", "--detailed-exitcode", "--var", "image_tag=v2"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);

    // Destroy leaves nothing of the stack.
    run(&["destroy", "--auto-approve"]).success();
    let clusters = c.ecs.list_clusters().send().await.unwrap();
    let described = c
        .ecs
        .describe_clusters()
        .set_clusters(Some(clusters.cluster_arns().to_vec()))
        .send()
        .await
        .unwrap();
    assert!(
        described
            .clusters()
            .iter()
            .all(|cluster| cluster.status() != Some("ACTIVE"))
    );
    assert!(
        c.elbv2
            .describe_load_balancers()
            .send()
            .await
            .unwrap()
            .load_balancers()
            .is_empty()
    );
    assert!(
        c.elbv2
            .describe_target_groups()
            .send()
            .await
            .unwrap()
            .target_groups()
            .is_empty()
    );
    assert!(
        c.ecr
            .describe_repositories()
            .send()
            .await
            .unwrap()
            .repositories()
            .is_empty()
    );
    let revisions = c
        .ecs
        .list_task_definitions()
        .family_prefix("service-demo-web")
        .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
        .send()
        .await
        .unwrap();
    assert!(
        revisions.task_definition_arns().is_empty(),
        "every revision deregistered"
    );
    let again = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 2);
    assert!(
        // The manifest now has no auto scaling: 25 resources, every one to create.
        summary(&again).starts_with("Plan: 25 to create, 0 to update, 0 to replace, 0 to delete"),
        "{}",
        again.stdout
    );
}

#[tokio::test]
async fn a_repository_holding_images_is_not_destroyed_without_force_destroy() {
    let moto = Moto::start();
    let c = clients(&moto).await;
    let dir = tempfile::tempdir().unwrap();
    let manifest = "stack: images\nregion: us-east-1\nrepositories:\n  app: {}\n";
    let path = write(&dir, manifest);
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    c.ecr
        .put_image()
        .repository_name("images-app")
        .image_tag("v1")
        .image_manifest(r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7023,"digest":"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"},"layers":[]}"#)
        .send()
        .await
        .unwrap();

    let refused = moto.edgectl(&["destroy", "-f", &path, "--auto-approve"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("holds images"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("force_destroy: true"),
        "{}",
        refused.stderr
    );
    let still = c
        .ecr
        .describe_repositories()
        .repository_names("images-app")
        .send()
        .await
        .unwrap();
    assert_eq!(still.repositories().len(), 1, "nothing was deleted");

    // With `force_destroy` applied, destroy takes the images too.
    std::fs::write(
        &path,
        "stack: images\nregion: us-east-1\nrepositories:\n  app: { force_destroy: true }\n",
    )
    .unwrap();
    let applied = moto
        .edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    assert!(
        summary(&applied).starts_with("Plan: 0 to create, 1 to update"),
        "{}",
        applied.stdout
    );
    moto.edgectl(&["destroy", "-f", &path, "--auto-approve"])
        .success();
    assert!(
        c.ecr
            .describe_repositories()
            .send()
            .await
            .unwrap()
            .repositories()
            .is_empty()
    );
}

/// An apply killed at any instant and run again converges: no duplicate load balancer,
/// target group, service, repository or task definition revision, and a clean plan.
/// moto ignores idempotency tokens, so this rests on tag-on-create and observe-first.
#[tokio::test]
async fn killed_apply_converges_on_rerun() {
    let moto = Moto::start();
    let c = clients(&moto).await;
    let cert_var = format!("certificate_arn={}", moto.certificate());
    for delay_ms in [60, 150, 300] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_edgectl"))
            .args([
                "apply",
                "-f",
                MANIFEST,
                "--auto-approve",
                "--no-progress",
                "--var",
                &cert_var,
            ])
            .current_dir(crate::harness::root())
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", &moto.url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        moto.settle();
        // A killed run leaves its lock: the rerun takes it over (its process is gone).
        moto.edgectl(&[
            "apply",
            "-f",
            MANIFEST,
            "--auto-approve",
            "--var",
            &cert_var,
        ])
        .success();

        let balancers = c.elbv2.describe_load_balancers().send().await.unwrap();
        assert_eq!(
            balancers.load_balancers().len(),
            1,
            "after a kill at {delay_ms}ms"
        );
        let groups = c.elbv2.describe_target_groups().send().await.unwrap();
        assert_eq!(
            groups.target_groups().len(),
            1,
            "after a kill at {delay_ms}ms"
        );
        let services = c
            .ecs
            .list_services()
            .cluster("service-demo-main")
            .send()
            .await
            .unwrap();
        assert_eq!(
            services.service_arns().len(),
            1,
            "after a kill at {delay_ms}ms"
        );
        let repositories = c.ecr.describe_repositories().send().await.unwrap();
        assert_eq!(
            repositories.repositories().len(),
            1,
            "after a kill at {delay_ms}ms"
        );
        let revisions = c
            .ecs
            .list_task_definitions()
            .family_prefix("service-demo-web")
            .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
            .send()
            .await
            .unwrap();
        assert_eq!(
            revisions.task_definition_arns().len(),
            1,
            "after a kill at {delay_ms}ms"
        );
        let plan = moto.edgectl(&[
            "plan",
            "-f",
            MANIFEST,
            "--detailed-exitcode",
            "--var",
            &cert_var,
        ]);
        assert_eq!(
            plan.code, 0,
            "after a kill at {delay_ms}ms:\n{}",
            plan.stdout
        );
        moto.edgectl(&[
            "destroy",
            "-f",
            MANIFEST,
            "--auto-approve",
            "--var",
            &cert_var,
        ])
        .success();
    }
}
