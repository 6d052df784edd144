//! `edgectl adopt`: a network and containers made beforehand outside edgectl (by hand, the
//! way a CDK stack shapes them: explicit route tables, a NAT gateway and its address) are
//! found by name or by where they sit, shown with the plan that would follow, refused
//! whole when one of them is another stack's, taken over (tagged, nothing else) when the
//! others are named, and then kept: the next apply updates them in place, replaces none,
//! and a plan after it is clean. And CloudFormation's: refused while a live stack manages
//! the resource without retaining it.

use aws_sdk_ec2::types::{DomainType, Filter, IpPermission, IpRange};

use crate::harness::{Moto, written};

pub const MANIFEST: &str = "\
stack: legacy
region: us-east-1
tags: { project: legacy }
network:
  cidr: 10.0.0.0/16
  zones: 2
  subnets:
    public: [10.0.0.0/18, 10.0.64.0/18]
    private: [10.0.128.0/18, 10.0.192.0/18]
  nat: single
security_groups:
  alb:
    name: LegacyStack-AlbSecurityGroup86A59E99-1XK0
    description: Legacy ALB
    ingress:
      - { ports: [80, 443], from: 0.0.0.0/0 }
clusters:
  main:
    name: legacy-cluster
repositories:
  backend:
    name: legacy-backend
secrets:
  mqtt:
    name: legacy/mqtt
    description: MQTT credentials
";

/// Every resource of [`MANIFEST`] but the repository, another stack's.
pub const ADOPTED: [&str; 15] = [
    "vpc",
    "subnet.public-1",
    "subnet.public-2",
    "subnet.private-1",
    "subnet.private-2",
    "internet_gateway",
    "elastic_ip.nat-1",
    "nat_gateway.1",
    "route_table.public",
    "route_table.private-1",
    "route_table.private-2",
    "security_group.alb",
    "security_group_rules.alb",
    "cluster.main",
    "secret.mqtt",
];

/// What was made by hand: the ids adoption must keep.
pub struct Legacy {
    vpc: String,
    nat: String,
    group: String,
    cluster: String,
}

/// A network as CDK's `Vpc` makes one for `10.0.0.0/16` over 2 zones with one NAT
/// gateway, without tags: /18 subnets, public first; one public route table for both
/// public subnets and one per private subnet, each associated explicitly.
pub struct CdkNetwork {
    pub vpc: String,
    /// Public 1 and 2, then private 1 and 2.
    pub subnets: Vec<String>,
    pub nat: String,
}

pub async fn make_cdk_network(moto: &Moto) -> CdkNetwork {
    let sdk = moto.sdk().await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let vpc = moto.make_vpc("10.0.0.0/16").await;
    let mut subnets = Vec::new();
    for (cidr, zone) in [
        ("10.0.0.0/18", "us-east-1a"),
        ("10.0.64.0/18", "us-east-1b"),
        ("10.0.128.0/18", "us-east-1a"),
        ("10.0.192.0/18", "us-east-1b"),
    ] {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(cidr)
            .availability_zone(zone)
            .send()
            .await
            .unwrap();
        subnets.push(subnet.subnet().unwrap().subnet_id().unwrap().to_string());
    }
    let gateway = ec2
        .create_internet_gateway()
        .send()
        .await
        .unwrap()
        .internet_gateway()
        .unwrap()
        .internet_gateway_id()
        .unwrap()
        .to_string();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&gateway)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    let allocation = ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .send()
        .await
        .unwrap()
        .allocation_id()
        .unwrap()
        .to_string();
    let nat = ec2
        .create_nat_gateway()
        .subnet_id(&subnets[0])
        .allocation_id(&allocation)
        .send()
        .await
        .unwrap()
        .nat_gateway()
        .unwrap()
        .nat_gateway_id()
        .unwrap()
        .to_string();
    // One public table for both public subnets, one per private subnet, each associated
    // explicitly, as CDK's VPC makes them.
    let table = |route_to: String, nat_route: bool, subnets: Vec<String>| {
        let ec2 = ec2.clone();
        let vpc = vpc.clone();
        async move {
            let table = ec2
                .create_route_table()
                .vpc_id(&vpc)
                .send()
                .await
                .unwrap()
                .route_table()
                .unwrap()
                .route_table_id()
                .unwrap()
                .to_string();
            let route = ec2
                .create_route()
                .route_table_id(&table)
                .destination_cidr_block("0.0.0.0/0");
            let route = match nat_route {
                true => route.nat_gateway_id(route_to),
                false => route.gateway_id(route_to),
            };
            route.send().await.unwrap();
            for subnet in subnets {
                ec2.associate_route_table()
                    .route_table_id(&table)
                    .subnet_id(subnet)
                    .send()
                    .await
                    .unwrap();
            }
        }
    };
    table(gateway.clone(), false, subnets[..2].to_vec()).await;
    table(nat.clone(), true, vec![subnets[2].clone()]).await;
    table(nat.clone(), true, vec![subnets[3].clone()]).await;
    CdkNetwork { vpc, subnets, nat }
}

pub async fn make_legacy(moto: &Moto) -> Legacy {
    let CdkNetwork { vpc, nat, .. } = make_cdk_network(moto).await;
    let sdk = moto.sdk().await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let group = ec2
        .create_security_group()
        .group_name("LegacyStack-AlbSecurityGroup86A59E99-1XK0")
        .description("Legacy ALB")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    // Port 80 only: adoption keeps the group, the next apply adds 443.
    ec2.authorize_security_group_ingress()
        .group_id(&group)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(80)
                .to_port(80)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let cluster = aws_sdk_ecs::Client::new(&sdk)
        .create_cluster()
        .cluster_name("legacy-cluster")
        .send()
        .await
        .unwrap()
        .cluster()
        .unwrap()
        .cluster_arn()
        .unwrap()
        .to_string();
    aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name("legacy/mqtt")
        .description("MQTT credentials")
        .secret_string("{\"host\":\"broker\"}")
        .send()
        .await
        .unwrap();
    // The repository is another edgectl stack's: never taken.
    aws_sdk_ecr::Client::new(&sdk)
        .create_repository()
        .repository_name("legacy-backend")
        .tags(
            aws_sdk_ecr::types::Tag::builder()
                .key("edgectl:stack")
                .value("other")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    Legacy {
        vpc,
        nat,
        group,
        cluster,
    }
}

/// The EC2 resources that carry an edgectl stack's tag.
async fn tagged_by_edgectl(moto: &Moto) -> Vec<String> {
    let ec2 = moto.ec2().await;
    let tags = ec2
        .describe_tags()
        .filters(
            Filter::builder()
                .name("key")
                .values("edgectl:stack")
                .build(),
        )
        .send()
        .await
        .unwrap();
    tags.tags()
        .iter()
        .filter_map(|tag| tag.resource_id().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn a_network_and_containers_made_by_hand_are_adopted_and_kept() {
    let moto = Moto::start();
    let legacy = make_legacy(&moto).await;
    let dir = tempfile::tempdir().unwrap();
    let manifest = written(&dir, "legacy.yaml", MANIFEST);

    // What it would take, and the plan after: nothing written.
    let preview = moto
        .edgectl(&["plan", "-f", &manifest, "--adopt"])
        .success();
    for line in [
        format!("= vpc <- VPC ({})", legacy.vpc),
        format!("= nat_gateway.1 <- NAT gateway ({})", legacy.nat),
        format!(
            "= security_group.alb <- security group `LegacyStack-AlbSecurityGroup86A59E99-1XK0` ({})",
            legacy.group
        ),
        format!(
            "= cluster.main <- ECS cluster `legacy-cluster` ({})",
            legacy.cluster
        ),
        "= elastic_ip.nat-1 <- elastic IP (eipalloc-".to_string(),
        "= route_table.public <- route table (rtb-".to_string(),
        "= route_table.private-1 <- route table (rtb-".to_string(),
        "= route_table.private-2 <- route table (rtb-".to_string(),
        "= secret.mqtt <- secret `legacy/mqtt` (arn:".to_string(),
        "! repository.backend: ECR repository `legacy-backend` belongs to edgectl stack `other`"
            .to_string(),
    ] {
        assert!(
            preview.stdout.contains(&line),
            "no `{line}` in:\n{}",
            preview.stdout
        );
    }
    // The repository, refused, is created; the rest kept and updated in place.
    assert!(
        preview
            .stdout
            .contains("Plan: 1 to create, 15 to update, 0 to replace, 0 to delete."),
        "{}",
        preview.stdout
    );
    assert!(tagged_by_edgectl(&moto).await.is_empty());

    // One refusal refuses the whole adoption: nothing is tagged.
    let refused = moto.edgectl(&["adopt", "-f", &manifest, "--auto-approve"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("1 resource cannot be adopted"),
        "{}",
        refused.stderr
    );
    assert!(tagged_by_edgectl(&moto).await.is_empty());

    // Named, the others are taken.
    let ids = ADOPTED;
    let mut args = vec!["adopt", "-f", &manifest, "--auto-approve"];
    args.extend(ids);
    let adopted = moto.edgectl(&args).success();
    assert!(
        adopted
            .stderr
            .contains("adopted 15 resources into stack `legacy`"),
        "{}",
        adopted.stderr
    );
    // Adopting again (a run that died part way, run again) has nothing left to do; a
    // resource named at another id than the stack's is refused.
    let again = moto
        .edgectl(&["adopt", "-f", &manifest, "--auto-approve", "vpc"])
        .success();
    assert!(
        again.stderr.contains("nothing to adopt"),
        "{}",
        again.stderr
    );
    let elsewhere = moto.edgectl(&["adopt", "-f", &manifest, "--auto-approve", "vpc=vpc-0other"]);
    assert!(
        elsewhere.code == 1
            && elsewhere.stderr.contains(&format!(
                "`vpc` is the stack's already, as `{}`, not `vpc-0other`",
                legacy.vpc
            )),
        "{}",
        elsewhere.stderr
    );

    // The other stack lets its repository go; the next apply makes it and updates the
    // adopted in place.
    aws_sdk_ecr::Client::new(&moto.sdk().await)
        .delete_repository()
        .repository_name("legacy-backend")
        .send()
        .await
        .unwrap();
    let plan = moto.edgectl(&["plan", "-f", &manifest]).success();
    assert!(
        plan.stdout
            .contains("Plan: 1 to create, 15 to update, 0 to replace, 0 to delete."),
        "{}",
        plan.stdout
    );
    moto.edgectl(&["apply", "-f", &manifest, "--auto-approve"])
        .success();
    let clean = moto.edgectl(&["plan", "-f", &manifest, "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}\n{}", clean.stdout, clean.stderr);
    let outputs = moto.edgectl(&["status", "-f", &manifest]).success();
    for kept in [&legacy.vpc, &legacy.nat, &legacy.group, &legacy.cluster] {
        assert!(
            outputs.stdout.contains(kept.as_str()),
            "{kept} was not kept:\n{}",
            outputs.stdout
        );
    }
}

const RETAINED: &str = r#"{"Resources":{"Vpc":{"Type":"AWS::EC2::VPC","DeletionPolicy":"Retain","UpdateReplacePolicy":"Retain","Properties":{"CidrBlock":"10.50.0.0/16"}}}}"#;
const MANAGED: &str =
    r#"{"Resources":{"Vpc":{"Type":"AWS::EC2::VPC","Properties":{"CidrBlock":"10.60.0.0/16"}}}}"#;

fn network(stack: &str, cidr: &str) -> String {
    format!(
        "stack: {stack}\nregion: us-east-1\nnetwork:\n  cidr: {cidr}.0.0/16\n  zones: 1\n  subnets:\n    public: [{cidr}.0.0/24]\n"
    )
}

#[tokio::test]
async fn what_a_live_cloudformation_stack_manages_is_adopted_only_where_it_is_retained() {
    let moto = Moto::start();
    let cloudformation = aws_sdk_cloudformation::Client::new(&moto.sdk().await);
    for (name, template) in [("retaining", RETAINED), ("managing", MANAGED)] {
        cloudformation
            .create_stack()
            .stack_name(name)
            .template_body(template)
            .send()
            .await
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let managed = written(&dir, "managed.yaml", &network("managed", "10.60"));
    let refused = moto.edgectl(&["plan", "-f", &managed, "--adopt"]).success();
    assert!(
        refused
            .stdout
            .contains("! vpc: VPC is managed by CloudFormation stack `managing` (as `Vpc`)")
            && refused
                .stdout
                .contains("`DeletionPolicy: Retain` and `UpdateReplacePolicy: Retain`"),
        "{}",
        refused.stdout
    );
    let retained = written(&dir, "retained.yaml", &network("retained", "10.50"));
    let taken = moto
        .edgectl(&["plan", "-f", &retained, "--adopt"])
        .success();
    assert!(
        taken.stdout.contains("= vpc <- VPC (vpc-")
            && taken.stdout.contains("CloudFormation stack `retaining` still lists it as `Vpc`, retained (DeletionPolicy and UpdateReplacePolicy Retain)"),
        "{}",
        taken.stdout
    );
}

/// What adopt never takes: the region's default VPC (a manifest of its CIDR finds
/// nothing), a VPC's main route table, an id named that nothing live matches where the
/// manifest puts it; and a security group named alone brings its rules with it.
#[tokio::test]
async fn adopt_leaves_the_default_vpc_and_main_tables_and_names_what_it_cannot_find() {
    let moto = Moto::start();
    let ec2 = moto.ec2().await;
    let dir = tempfile::tempdir().unwrap();
    let default = written(&dir, "default.yaml", &network("default", "172.31"));
    let preview = moto.edgectl(&["plan", "-f", &default, "--adopt"]).success();
    assert!(
        preview.stdout.starts_with("Nothing to adopt\n") && !preview.stdout.contains("= vpc <-"),
        "{}",
        preview.stdout
    );

    // A VPC whose main table is also associated explicitly with the manifest's subnet.
    let vpc = moto.make_vpc("10.70.0.0/16").await;
    let subnet = moto.make_subnet(&vpc, "10.70.0.0/24", "us-east-1a").await;
    let main = ec2
        .describe_route_tables()
        .filters(Filter::builder().name("vpc-id").values(&vpc).build())
        .send()
        .await
        .unwrap()
        .route_tables()[0]
        .route_table_id()
        .unwrap()
        .to_string();
    ec2.associate_route_table()
        .route_table_id(&main)
        .subnet_id(&subnet)
        .send()
        .await
        .unwrap();
    ec2.create_security_group()
        .group_name("web")
        .description("web")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    // One whose description (which EC2 cannot change) differs from the manifest's.
    ec2.create_security_group()
        .group_name("db")
        .description("old")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    let text = format!(
        "{}security_groups:\n  web:\n    name: web\n    description: web\n  db:\n    name: db\n    description: new\n",
        network("seventy", "10.70")
    );
    let manifest = written(&dir, "seventy.yaml", &text);
    let preview = moto
        .edgectl(&["plan", "-f", &manifest, "--adopt"])
        .success();
    for refused in [
        format!("! route_table.public: route table `{main}` is its VPC's main route table"),
        "! security_group.db: security group `db`: the next apply would replace it, deleting what was adopted: `description` (live \"old\", manifest \"new\")".to_string(),
        "it goes with `security_group.db`, which cannot be adopted".to_string(),
    ] {
        assert!(preview.stdout.contains(&refused), "no `{refused}` in:\n{}", preview.stdout);
    }
    // A subnet of the manifest's CIDR in another VPC: named, it is still not taken.
    let other = moto.make_vpc("10.71.0.0/16").await;
    let elsewhere = moto.make_subnet(&other, "10.71.0.0/24", "us-east-1a").await;
    let pinned = format!("subnet.public-1={elsewhere}");
    // Named alone, a group brings its rules; a subnet named at an id that is not in the
    // VPC found is refused, and nothing is tagged.
    let named = moto.edgectl(&[
        "adopt",
        "-f",
        &manifest,
        "--auto-approve",
        "vpc",
        "security_group.web",
        &pinned,
    ]);
    assert_eq!(named.code, 1, "{}", named.stderr);
    assert!(
        named.stdout.contains("= security_group_rules.web <- with `security_group.web`")
            && named.stdout.contains(
                &format!("! subnet.public-1: nothing live was found for it at `{elsewhere}` (or not where the manifest puts it)")
            ),
        "{}",
        named.stdout
    );
    assert!(tagged_by_edgectl(&moto).await.is_empty());
}

const MONITORING: &str = "\
stack: monitoring
region: us-east-1
topics:
  alerts:
    name: ops-alerts
    display_name: Ops alerts
    subscriptions:
      - https: https://hooks.example.com/alerts
alarms:
  delivery-failures:
    name: ops-delivery-failures
    namespace: AWS/SNS
    metric: NumberOfNotificationsFailed
    dimensions: { TopicName: ops-alerts }
    statistic: Sum
    period: 5m
    threshold: 1
    comparison: \">=\"
    missing_data: not_breaching
    notify: [alerts]
dashboards:
  ops:
    name: ops-overview
    widgets:
      - alarms: all
      - text: \"## Ops\"
";

/// A topic, its subscriptions, an alarm notifying it and a dashboard, made by hand: found
/// by name, the topic's subscriptions with it (the one the manifest lacks deleted by the
/// next apply), the alarm's action read as the stack's topic; then kept through the
/// apply, and clean.
#[tokio::test]
async fn a_topic_its_subscriptions_and_an_alarm_made_by_hand_are_adopted() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let sns = aws_sdk_sns::Client::new(&sdk);
    let topic = sns
        .create_topic()
        .name("ops-alerts")
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    for (protocol, endpoint) in [
        ("https", "https://hooks.example.com/alerts"),
        ("https", "https://old.example.com/hook"),
    ] {
        sns.subscribe()
            .topic_arn(&topic)
            .protocol(protocol)
            .endpoint(endpoint)
            .send()
            .await
            .unwrap();
    }
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&sdk);
    cloudwatch
        .put_metric_alarm()
        .alarm_name("ops-delivery-failures")
        .namespace("AWS/SNS")
        .metric_name("NumberOfNotificationsFailed")
        .dimensions(
            aws_sdk_cloudwatch::types::Dimension::builder()
                .name("TopicName")
                .value("ops-alerts")
                .build(),
        )
        .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
        .period(300)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(
            aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanOrEqualToThreshold,
        )
        .alarm_actions(&topic)
        .send()
        .await
        .unwrap();
    cloudwatch
        .put_dashboard()
        .dashboard_name("ops-overview")
        .dashboard_body(r#"{"widgets":[{"type":"text","x":0,"y":0,"width":24,"height":2,"properties":{"markdown":"ops"}}]}"#)
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let manifest = written(&dir, "monitoring.yaml", MONITORING);
    let preview = moto
        .edgectl(&["plan", "-f", &manifest, "--adopt"])
        .success();
    takes_all(
        &preview.stdout,
        &[
            format!("= topic.alerts <- SNS topic `ops-alerts` ({topic})"),
            "= alarm.delivery-failures <- CloudWatch alarm `ops-delivery-failures` (ops-delivery-failures)".to_string(),
            "<- with `topic.alerts`".to_string(),
            "= dashboard.ops <- CloudWatch dashboard `ops-overview` (arn:".to_string(),
            " 0 to replace, 1 to delete.".to_string(),
        ],
    );
    moto.edgectl(&["adopt", "-f", &manifest, "--auto-approve"])
        .success();
    moto.edgectl(&["apply", "-f", &manifest, "--auto-approve"])
        .success();
    let clean = moto.edgectl(&["plan", "-f", &manifest, "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}\n{}", clean.stdout, clean.stderr);
    let topics = sns.list_topics().send().await.unwrap();
    let arns: Vec<&str> = topics
        .topics()
        .iter()
        .filter_map(|topic| topic.topic_arn())
        .collect();
    assert_eq!(arns, [topic.as_str()]);
    let endpoints: Vec<String> = sns
        .list_subscriptions_by_topic()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap()
        .subscriptions()
        .iter()
        .filter_map(|subscription| subscription.endpoint().map(str::to_string))
        .collect();
    assert_eq!(endpoints, ["https://hooks.example.com/alerts"]);
}

/// Asserts that an adoption's preview says each of `lines` and refuses nothing.
#[track_caller]
pub fn takes_all(preview: &str, lines: &[String]) {
    for line in lines {
        assert!(preview.contains(line), "no `{line}` in:\n{preview}");
    }
    assert!(
        !preview.contains("Cannot adopt"),
        "nothing is refused:\n{preview}"
    );
}

/// A bucket made by hand, with a policy of its own: found by name, its policy with it
/// (the manifest has none: the next apply deletes it, as the preview says), its tags kept
/// beside the ownership tags adopt adds (S3 replaces a bucket's whole tag set).
#[tokio::test]
async fn a_bucket_made_by_hand_is_adopted_with_its_policy() {
    let moto = Moto::start();
    let s3 = aws_sdk_s3::Client::new(&moto.sdk().await);
    s3.create_bucket()
        .bucket("legacy-site-assets")
        .send()
        .await
        .unwrap();
    s3.put_bucket_tagging()
        .bucket("legacy-site-assets")
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .tag_set(
                    aws_sdk_s3::types::Tag::builder()
                        .key("team")
                        .value("web")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    s3.put_bucket_policy()
        .bucket("legacy-site-assets")
        .policy(r#"{"Version":"2012-10-17","Statement":[{"Sid":"Deny","Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::legacy-site-assets"}]}"#)
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let manifest = written(
        &dir,
        "site.yaml",
        "stack: site\nregion: us-east-1\nbuckets:\n  assets:\n    name: legacy-site-assets\n    versioning: true\n",
    );
    let preview = moto
        .edgectl(&["plan", "-f", &manifest, "--adopt"])
        .success();
    takes_all(
        &preview.stdout,
        &[
            "= bucket.assets <- bucket `legacy-site-assets` (legacy-site-assets)".to_string(),
            "= bucket_policy.assets <- with `bucket.assets` (legacy-site-assets)".to_string(),
            "Plan: 0 to create, 1 to update, 0 to replace, 1 to delete.".to_string(),
        ],
    );
    moto.edgectl(&["adopt", "-f", &manifest, "--auto-approve"])
        .success();
    let tags = s3
        .get_bucket_tagging()
        .bucket("legacy-site-assets")
        .send()
        .await
        .unwrap();
    let keys: std::collections::BTreeSet<&str> =
        tags.tag_set().iter().map(|tag| tag.key()).collect();
    assert_eq!(
        keys,
        std::collections::BTreeSet::from(["team", "edgectl:stack", "edgectl:id"])
    );
    moto.edgectl(&["apply", "-f", &manifest, "--auto-approve"])
        .success();
    let clean = moto.edgectl(&["plan", "-f", &manifest, "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}\n{}", clean.stdout, clean.stderr);
    let versioning = s3
        .get_bucket_versioning()
        .bucket("legacy-site-assets")
        .send()
        .await
        .unwrap();
    assert_eq!(
        versioning.status(),
        Some(&aws_sdk_s3::types::BucketVersioningStatus::Enabled)
    );
}

pub const DATA_MANIFEST: &str = "\
stack: legacy
region: us-east-1
network:
  cidr: 10.80.0.0/16
  zones: 1
  subnets:
    public: [10.80.0.0/24]
  endpoints: [s3]
keys:
  data:
    alias: legacy/data
    description: Legacy data
firewalls:
  waf:
    name: legacy-waf
    rules:
      - { name: office, allow_ips: [203.0.113.0/24] }
zones:
  legacy:
    name: legacy.example.com
    records:
      - { name: www, a: [192.0.2.20] }
";

/// A CloudFormation stack that manages a record (CloudFormation tags no record set:
/// adopt asks it by the record's name).
const RECORD_STACK: &str = r#"{"Resources":{"AppRecord":{"Type":"AWS::Route53::RecordSet","Properties":{"HostedZoneName":"legacy.example.com.","Name":"app.legacy.example.com","Type":"A","TTL":"300","ResourceRecords":["192.0.2.10"]}}}}"#;

/// What `make_data_world` made by hand.
pub struct DataWorld {
    pub endpoint: String,
    pub key: String,
    pub ip_set: String,
    pub acl: String,
}

/// [`DATA_MANIFEST`]'s world made by hand: a VPC with its subnet and route table, the S3
/// gateway endpoint, a KMS key with its alias, a web ACL and its IP set, the zone with the
/// `www` record, and a CloudFormation stack `dns` managing the zone's `app` record.
pub async fn make_data_world(moto: &Moto) -> DataWorld {
    use aws_sdk_wafv2::types::{
        AllowAction, DefaultAction, IpAddressVersion, Scope, VisibilityConfig,
    };
    let sdk = moto.sdk().await;
    let ec2 = moto.ec2().await;
    let vpc = moto.make_vpc("10.80.0.0/16").await;
    let subnet = moto.make_subnet(&vpc, "10.80.0.0/24", "us-east-1a").await;
    let table = ec2
        .create_route_table()
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .route_table()
        .unwrap()
        .route_table_id()
        .unwrap()
        .to_string();
    ec2.associate_route_table()
        .route_table_id(&table)
        .subnet_id(&subnet)
        .send()
        .await
        .unwrap();
    let endpoint = ec2
        .create_vpc_endpoint()
        .vpc_id(&vpc)
        .service_name("com.amazonaws.us-east-1.s3")
        .vpc_endpoint_type(aws_sdk_ec2::types::VpcEndpointType::Gateway)
        .route_table_ids(&table)
        .send()
        .await
        .unwrap()
        .vpc_endpoint()
        .unwrap()
        .vpc_endpoint_id()
        .unwrap()
        .to_string();
    let kms = aws_sdk_kms::Client::new(&sdk);
    let key = kms
        .create_key()
        .description("Legacy data")
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    kms.create_alias()
        .alias_name("alias/legacy/data")
        .target_key_id(&key)
        .send()
        .await
        .unwrap();
    let waf = aws_sdk_wafv2::Client::new(&sdk);
    let ip_set = waf
        .create_ip_set()
        .name("legacy-waf-office")
        .scope(Scope::Regional)
        .ip_address_version(IpAddressVersion::Ipv4)
        .addresses("203.0.113.0/24")
        .send()
        .await
        .unwrap()
        .summary()
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    let acl = waf
        .create_web_acl()
        .name("legacy-waf")
        .scope(Scope::Regional)
        .default_action(
            DefaultAction::builder()
                .allow(AllowAction::builder().build())
                .build(),
        )
        .visibility_config(
            VisibilityConfig::builder()
                .sampled_requests_enabled(false)
                .cloud_watch_metrics_enabled(false)
                .metric_name("legacy-waf")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .summary()
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    let zone = moto.zone("legacy.example.com").await;
    let route53 = aws_sdk_route53::Client::new(&sdk);
    let www = aws_sdk_route53::types::ResourceRecordSet::builder()
        .name("www.legacy.example.com")
        .r#type(aws_sdk_route53::types::RrType::A)
        .ttl(300)
        .resource_records(
            aws_sdk_route53::types::ResourceRecord::builder()
                .value("192.0.2.20")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    crate::adopt_edgemind::change(&route53, &zone, www).await;
    aws_sdk_cloudformation::Client::new(&sdk)
        .create_stack()
        .stack_name("dns")
        .template_body(RECORD_STACK)
        .send()
        .await
        .unwrap();

    DataWorld {
        endpoint,
        key,
        ip_set,
        acl,
    }
}

/// A KMS key (by its alias), an S3 gateway endpoint (by service in the VPC), a web ACL
/// and its IP set (by name in their scope) and a record (its marker written beside it)
/// made by hand are adopted, then kept by the next apply; a record a live CloudFormation
/// stack manages is refused, though CloudFormation tags no record.
#[tokio::test]
async fn keys_endpoints_firewalls_and_records_made_by_hand_are_adopted() {
    use aws_sdk_wafv2::types::Scope;
    let moto = Moto::start();
    let DataWorld {
        endpoint,
        key,
        ip_set,
        acl,
    } = make_data_world(&moto).await;
    let sdk = moto.sdk().await;
    let ec2 = moto.ec2().await;
    let kms = aws_sdk_kms::Client::new(&sdk);
    let waf = aws_sdk_wafv2::Client::new(&sdk);
    let dir = tempfile::tempdir().unwrap();
    let managed = written(
        &dir,
        "managed.yaml",
        "stack: dns-legacy\nregion: us-east-1\nzones:\n  legacy:\n    name: legacy.example.com\n    records:\n      - { name: app, a: [192.0.2.10] }\n",
    );
    let refused = moto.edgectl(&["plan", "-f", &managed, "--adopt"]).success();
    assert!(
        refused.stdout.contains(
            "record `app.legacy.example.com` (A) in zone `legacy.example.com` is managed by CloudFormation stack `dns` (as `AppRecord`)"
        ),
        "{}",
        refused.stdout
    );

    let manifest = written(&dir, "legacy.yaml", DATA_MANIFEST);
    let preview = moto
        .edgectl(&["plan", "-f", &manifest, "--adopt"])
        .success();
    takes_all(
        &preview.stdout,
        &[
            format!("= vpc_endpoint.s3 <- VPC endpoint ({endpoint})"),
            "= key.data <- KMS key `alias/legacy/data` (".to_string(),
            format!("= firewall.waf <- web ACL `legacy-waf` (REGIONAL) ({acl})"),
            format!("= ip_set.waf.office <- IP set `legacy-waf-office` (REGIONAL) ({ip_set})"),
            "= record.legacy.www.a <- record `www.legacy.example.com` (A) in zone `legacy.example.com`"
                .to_string(),
        ],
    );
    assert!(
        preview.stdout.contains(" 0 to replace, 0 to delete."),
        "{}",
        preview.stdout
    );
    moto.edgectl(&["adopt", "-f", &manifest, "--auto-approve"])
        .success();
    moto.edgectl(&["apply", "-f", &manifest, "--auto-approve"])
        .success();
    let clean = moto.edgectl(&["plan", "-f", &manifest, "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}\n{}", clean.stdout, clean.stderr);

    // The same key, endpoint, web ACL and IP set: none made beside them.
    let keys = kms.list_keys().send().await.unwrap();
    let keys: Vec<&str> = keys.keys().iter().filter_map(|k| k.key_arn()).collect();
    assert_eq!(keys, [key.as_str()]);
    let endpoints = ec2.describe_vpc_endpoints().send().await.unwrap();
    let endpoints: Vec<&str> = endpoints
        .vpc_endpoints()
        .iter()
        .filter(|e| e.state().map(|s| s.as_str()) != Some("deleted"))
        .filter_map(|e| e.vpc_endpoint_id())
        .collect();
    assert_eq!(endpoints, [endpoint.as_str()]);
    let acls = waf
        .list_web_acls()
        .scope(Scope::Regional)
        .send()
        .await
        .unwrap();
    let acls: Vec<&str> = acls.web_acls().iter().filter_map(|a| a.arn()).collect();
    assert_eq!(acls, [acl.as_str()]);
    let sets = waf
        .list_ip_sets()
        .scope(Scope::Regional)
        .send()
        .await
        .unwrap();
    let sets: Vec<&str> = sets.ip_sets().iter().filter_map(|s| s.arn()).collect();
    assert_eq!(sets, [ip_set.as_str()]);
}

pub const DATABASE_MANIFEST: &str = "\
stack: legacy
region: us-east-1
network:
  cidr: 10.90.0.0/16
  zones: 2
  subnets:
    isolated: [10.90.0.0/24, 10.90.1.0/24]
security_groups:
  db:
    name: legacy-db-sg
    description: Legacy database
databases:
  main:
    identifier: legacy-db
    version: \"15\"
    class: db.t3.micro
    storage: 20
    subnets: isolated
    security_groups: [db]
    database: app
    backup_retention_days: 1
clusters:
  main: {}
services:
  app:
    image: nginx:1.27
    port: 80
    subnets: isolated
    security_groups: [db]
    secrets:
      DATABASE_PASSWORD: databases.main:password
";

/// What CloudFormation named the database's subnet group.
pub const SUBNET_GROUP: &str = "legacy-databasesubnetgroup-1x2y3z4w5v6u";

/// [`DATABASE_MANIFEST`]'s world made by hand, as CDK's `DatabaseInstance` makes it: the
/// instance's ARN.
pub async fn make_database(moto: &Moto) -> String {
    let sdk = moto.sdk().await;
    let vpc = moto.make_vpc("10.90.0.0/16").await;
    let subnets = [
        moto.make_subnet(&vpc, "10.90.0.0/24", "us-east-1a").await,
        moto.make_subnet(&vpc, "10.90.1.0/24", "us-east-1b").await,
    ];
    let group = moto
        .ec2()
        .await
        .create_security_group()
        .group_name("legacy-db-sg")
        .description("Legacy database")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    let rds = aws_sdk_rds::Client::new(&sdk);
    rds.create_db_subnet_group()
        .db_subnet_group_name(SUBNET_GROUP)
        .db_subnet_group_description("Subnet group for Database database")
        .set_subnet_ids(Some(subnets.to_vec()))
        .send()
        .await
        .unwrap();
    rds.create_db_instance()
        .db_instance_identifier("legacy-db")
        .engine("postgres")
        .engine_version("15.5")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .storage_type("gp3")
        .master_username("postgres")
        .master_user_password("cdk-generated-secret-1")
        .db_name("app")
        .db_subnet_group_name(SUBNET_GROUP)
        .vpc_security_group_ids(&group)
        .storage_encrypted(true)
        .backup_retention_period(1)
        .send()
        .await
        .unwrap()
        .db_instance()
        .unwrap()
        .db_instance_arn()
        .unwrap()
        .to_string()
}

/// A PostgreSQL instance made by hand (as CDK's `DatabaseInstance` makes one: a subnet
/// group of CloudFormation's naming, RDS's default parameter group, a password CDK keeps
/// in a secret of its own) is adopted with its subnet group, which keeps its name; the
/// next apply moves it onto a parameter group of the stack's and hands its password to
/// RDS (said by the preview); nothing is replaced, and the plan after is clean.
#[tokio::test(flavor = "multi_thread")]
async fn a_database_made_by_hand_is_adopted_with_its_subnet_group() {
    let moto = Moto::start();
    let instance = make_database(&moto).await;
    let rds = aws_sdk_rds::Client::new(&moto.sdk().await);
    let dir = tempfile::tempdir().unwrap();
    let manifest = written(&dir, "legacy.yaml", DATABASE_MANIFEST);
    let preview = moto
        .edgectl(&["plan", "-f", &manifest, "--adopt"])
        .success();
    takes_all(
        &preview.stdout,
        &[
            "= database.main <- RDS database `legacy-db` (legacy-db)".to_string(),
            "RDS does not keep its master password: the next apply hands it to RDS".to_string(),
            format!("= db_subnet_group.main <- DB subnet group `{SUBNET_GROUP}` ({SUBNET_GROUP})"),
            "= security_group.db <- security group `legacy-db-sg`".to_string(),
        ],
    );
    assert!(
        preview.stdout.contains(" 0 to replace, 0 to delete."),
        "{}",
        preview.stdout
    );
    moto.edgectl(&["adopt", "-f", &manifest, "--auto-approve"])
        .success();
    let applied = moto
        .edgectl(&["apply", "-f", &manifest, "--auto-approve"])
        .success();
    // The secret RDS made when the apply handed it the password is the one the service
    // reads (its task definition made after the database's update).
    let secret = rds
        .describe_db_instances()
        .db_instance_identifier("legacy-db")
        .send()
        .await
        .unwrap()
        .db_instances()[0]
        .master_user_secret()
        .and_then(|secret| secret.secret_arn())
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no secret after apply:\n{}", applied.stderr));
    let ecs = aws_sdk_ecs::Client::new(&moto.sdk().await);
    let families = ecs.list_task_definitions().send().await.unwrap();
    let family = families.task_definition_arns().last().unwrap();
    let described = ecs
        .describe_task_definition()
        .task_definition(family)
        .send()
        .await
        .unwrap();
    let reads: Vec<&str> = described.task_definition().unwrap().container_definitions()[0]
        .secrets()
        .iter()
        .map(|secret| secret.value_from())
        .collect();
    assert!(
        reads.iter().any(|from| from.starts_with(&secret)),
        "{reads:?} does not read {secret}"
    );
    let clean = moto.edgectl(&["plan", "-f", &manifest, "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}\n{}", clean.stdout, clean.stderr);

    // The same instance, in the same subnet group, its password now RDS's, on the stack's
    // parameter group.
    let described = rds.describe_db_instances().send().await.unwrap();
    let instances = described.db_instances();
    assert_eq!(instances.len(), 1);
    let live = &instances[0];
    assert_eq!(live.db_instance_arn(), Some(instance.as_str()));
    assert_eq!(
        live.db_subnet_group()
            .and_then(|group| group.db_subnet_group_name()),
        Some(SUBNET_GROUP)
    );
    assert!(live.master_user_secret().is_some(), "{live:?}");
    assert_eq!(
        live.db_parameter_groups()[0].db_parameter_group_name(),
        Some("legacy-db-postgres15")
    );
}
