//! Look-alikes: resources of the names the stack would use, made beforehand by someone
//! else (no edgectl tags). Plan and apply refuse, naming each; nothing of them changes —
//! not on apply, not on destroy. And a task definition family someone else registers into
//! keeps their revisions when the stack is destroyed.
//!
//! moto is more lenient than AWS here: `CreateCluster` of a taken name overwrites the
//! cluster (AWS returns it), and `CreateLoadBalancer`/`CreateTargetGroup` of a taken name
//! make a second one (AWS returns the existing one when its settings are identical). The
//! refusal happens before any create, so the test holds for both.

use aws_sdk_ecs::types::{Compatibility, ContainerDefinition, NetworkMode, TaskDefinitionStatus};

use crate::harness::Moto;

const MANIFEST: &str = "examples/service.yaml";
/// A certificate for the example's HTTPS listener (never reached: every run here is
/// refused, or only plans, before a listener is made).
const CERTIFICATE: &str = "certificate_arn=arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000";

struct Clients {
    ec2: aws_sdk_ec2::Client,
    ecs: aws_sdk_ecs::Client,
    elbv2: aws_sdk_elasticloadbalancingv2::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    iam: aws_sdk_iam::Client,
    ecr: aws_sdk_ecr::Client,
}

async fn clients(moto: &Moto) -> Clients {
    let sdk = moto.sdk().await;
    Clients {
        ec2: aws_sdk_ec2::Client::new(&sdk),
        ecs: aws_sdk_ecs::Client::new(&sdk),
        elbv2: aws_sdk_elasticloadbalancingv2::Client::new(&sdk),
        logs: aws_sdk_cloudwatchlogs::Client::new(&sdk),
        iam: aws_sdk_iam::Client::new(&sdk),
        ecr: aws_sdk_ecr::Client::new(&sdk),
    }
}

/// The target group name the manifest gives the web service (a hash of its settings).
fn target_group_name(moto: &Moto) -> String {
    let plan = moto
        .edgectl(&["plan", "-f", MANIFEST, "--var", CERTIFICATE])
        .success();
    let prefix = "service-demo-web-";
    plan.stdout
        .match_indices(prefix)
        .map(|(start, _)| &plan.stdout[start..])
        .find_map(|rest| {
            let hash = rest.get(prefix.len()..prefix.len() + 6)?;
            let next = rest[prefix.len() + 6..].chars().next();
            (hash.chars().all(|c| c.is_ascii_hexdigit())
                && !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-'))
            .then(|| format!("{prefix}{hash}"))
        })
        .expect("the plan names the target group")
}

fn container(name: &str) -> ContainerDefinition {
    ContainerDefinition::builder()
        .name(name)
        .image("nginx:1.27")
        .build()
}

async fn register_foreign_revision(c: &Clients, family: &str) -> String {
    c.ecs
        .register_task_definition()
        .family(family)
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .cpu("256")
        .memory("512")
        .container_definitions(container("theirs"))
        .send()
        .await
        .unwrap()
        .task_definition()
        .unwrap()
        .task_definition_arn()
        .unwrap()
        .to_string()
}

/// Makes a look-alike of every named kind the service example creates.
async fn make_lookalikes(c: &Clients, target_group: &str) {
    c.ecs
        .create_cluster()
        .cluster_name("service-demo-main")
        .tags(
            aws_sdk_ecs::types::Tag::builder()
                .key("team")
                .value("platform")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let vpc = c
        .ec2
        .create_vpc()
        .cidr_block("172.31.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_string();
    let mut subnets = Vec::new();
    for (cidr, zone) in [
        ("172.31.0.0/24", "us-east-1a"),
        ("172.31.1.0/24", "us-east-1b"),
    ] {
        let subnet = c
            .ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(cidr)
            .availability_zone(zone)
            .send()
            .await
            .unwrap();
        subnets.push(subnet.subnet().unwrap().subnet_id().unwrap().to_string());
    }
    c.elbv2
        .create_load_balancer()
        .name("service-demo-web")
        .set_subnets(Some(subnets))
        .send()
        .await
        .unwrap();
    c.elbv2
        .create_target_group()
        .name(target_group)
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(3000)
        .vpc_id(&vpc)
        .target_type(aws_sdk_elasticloadbalancingv2::types::TargetTypeEnum::Ip)
        .send()
        .await
        .unwrap();
    c.logs
        .create_log_group()
        .log_group_name("/ecs/service-demo-web")
        .send()
        .await
        .unwrap();
    c.logs
        .put_retention_policy()
        .log_group_name("/ecs/service-demo-web")
        .retention_in_days(3)
        .send()
        .await
        .unwrap();
    register_foreign_revision(c, "service-demo-web").await;
    c.iam
        .create_role()
        .role_name("service-demo-web-execution")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .unwrap();
    c.ecr
        .create_repository()
        .repository_name("service-demo-web")
        .send()
        .await
        .unwrap();
}

/// Everything AWS says about the look-alikes, as text: equal text, unchanged resources.
async fn describe_lookalikes(c: &Clients) -> Vec<String> {
    let cluster = c
        .ecs
        .describe_clusters()
        .clusters("service-demo-main")
        .include(aws_sdk_ecs::types::ClusterField::Tags)
        .include(aws_sdk_ecs::types::ClusterField::Settings)
        .send()
        .await
        .unwrap();
    let balancers = c
        .elbv2
        .describe_load_balancers()
        .names("service-demo-web")
        .send()
        .await
        .unwrap();
    let balancer_arn = balancers.load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_string();
    let groups = c.elbv2.describe_target_groups().send().await.unwrap();
    let group_arns: Vec<String> = groups
        .target_groups()
        .iter()
        .filter_map(|group| group.target_group_arn().map(str::to_string))
        .collect();
    let mut arns = vec![balancer_arn.clone()];
    arns.extend(group_arns);
    let elb_tags = c
        .elbv2
        .describe_tags()
        .set_resource_arns(Some(arns))
        .send()
        .await
        .unwrap();
    let attributes = c
        .elbv2
        .describe_load_balancer_attributes()
        .load_balancer_arn(&balancer_arn)
        .send()
        .await
        .unwrap();
    let listeners = c
        .elbv2
        .describe_listeners()
        .load_balancer_arn(&balancer_arn)
        .send()
        .await
        .unwrap();
    let log_groups = c
        .logs
        .describe_log_groups()
        .log_group_name_prefix("/ecs/")
        .send()
        .await
        .unwrap();
    let revisions = c
        .ecs
        .list_task_definitions()
        .family_prefix("service-demo-web")
        .send()
        .await
        .unwrap();
    let role = c
        .iam
        .get_role()
        .role_name("service-demo-web-execution")
        .send()
        .await
        .unwrap();
    let policies = c
        .iam
        .list_attached_role_policies()
        .role_name("service-demo-web-execution")
        .send()
        .await
        .unwrap();
    let inline = c
        .iam
        .list_role_policies()
        .role_name("service-demo-web-execution")
        .send()
        .await
        .unwrap();
    let repositories = c.ecr.describe_repositories().send().await.unwrap();
    vec![
        format!("{:?}", cluster.clusters()),
        format!("{:?}", balancers.load_balancers()),
        format!("{:?}", groups.target_groups()),
        format!("{:?}", elb_tags.tag_descriptions()),
        format!("{:?}", attributes.attributes()),
        format!("{:?}", listeners.listeners()),
        format!("{:?}", log_groups.log_groups()),
        format!("{:?}", revisions.task_definition_arns()),
        format!("{:?}", role.role()),
        format!("{:?}", policies.attached_policies()),
        format!("{:?}", inline.policy_names()),
        format!("{:?}", repositories.repositories()),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn lookalikes_are_refused_and_left_untouched() {
    let moto = Moto::start();
    let c = clients(&moto).await;
    let target_group = target_group_name(&moto);
    make_lookalikes(&c, &target_group).await;
    let before = describe_lookalikes(&c).await;

    let plan = moto.edgectl(&["plan", "-f", MANIFEST, "--var", CERTIFICATE]);
    assert_eq!(plan.code, 1, "{}", plan.stderr);
    for (id, named) in [
        ("cluster.main", "ECS cluster `service-demo-main`"),
        ("load_balancer.web", "load balancer `service-demo-web`"),
        (
            "target_group.web",
            &format!("target group `{target_group}`"),
        ),
        ("log_group.web", "log group `/ecs/service-demo-web`"),
        (
            "task_definition.web",
            "task definition family `service-demo-web`",
        ),
        (
            "role.web-execution",
            "IAM role `service-demo-web-execution`",
        ),
        ("repository.web", "ECR repository `service-demo-web`"),
    ] {
        let line = plan
            .stderr
            .lines()
            .find(|line| line.contains(&format!("cannot create `{id}`")))
            .unwrap_or_else(|| panic!("no refusal for {id}:\n{}", plan.stderr));
        assert!(line.contains(named), "{line}");
        assert!(line.contains("no edgectl tags"), "{line}");
        assert!(line.contains("another `name`"), "{line}");
    }
    assert!(
        plan.stderr
            .contains("apply would refuse this plan (7 errors)"),
        "{}",
        plan.stderr
    );

    let apply = moto.edgectl(&[
        "apply",
        "-f",
        MANIFEST,
        "--auto-approve",
        "--var",
        CERTIFICATE,
    ]);
    assert_eq!(apply.code, 1, "{}", apply.stderr);
    assert!(
        apply.stderr.contains("apply refused: nothing was changed"),
        "{}",
        apply.stderr
    );
    assert_eq!(
        describe_lookalikes(&c).await,
        before,
        "apply changed a look-alike"
    );
    // Not even the parts of the stack without look-alikes were made.
    let vpcs = c.ec2.describe_vpcs().send().await.unwrap();
    assert!(
        vpcs.vpcs().iter().all(|vpc| vpc
            .tags()
            .iter()
            .all(|tag| tag.key() != Some("edgectl:stack"))),
        "apply created resources before refusing"
    );

    moto.edgectl(&[
        "destroy",
        "-f",
        MANIFEST,
        "--auto-approve",
        "--var",
        CERTIFICATE,
    ])
    .success();
    assert_eq!(
        describe_lookalikes(&c).await,
        before,
        "destroy changed a look-alike"
    );
}

/// Someone registers a revision into the stack's own family: the stack still finds its
/// revision, and destroy deregisters exactly the revisions the stack registered.
#[tokio::test(flavor = "multi_thread")]
async fn destroy_leaves_revisions_the_stack_did_not_register() {
    let moto = Moto::start();
    let c = clients(&moto).await;
    let certificate = moto.certificate();
    let var = format!("certificate_arn={certificate}");
    moto.edgectl(&["apply", "-f", MANIFEST, "--auto-approve", "--var", &var])
        .success();
    let theirs = register_foreign_revision(&c, "service-demo-web").await;

    let plan = moto.edgectl(&["plan", "-f", MANIFEST, "--var", &var, "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);

    moto.edgectl(&["destroy", "-f", MANIFEST, "--auto-approve", "--var", &var])
        .success();
    let active = c
        .ecs
        .list_task_definitions()
        .family_prefix("service-demo-web")
        .status(TaskDefinitionStatus::Active)
        .send()
        .await
        .unwrap();
    assert_eq!(active.task_definition_arns(), [theirs]);
}
