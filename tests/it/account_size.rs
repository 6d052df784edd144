//! Issue 25: what a stack reads grows with the stack, never with the account. The kinds
//! find the stack's resources through the Resource Groups Tagging API (by its tag) and
//! read only those; a kind lists its service's resources only while the API does not yet
//! show one the manifest expects (made a moment ago, or not made yet). So the no-op plan
//! of a shipped stack makes exactly the same calls beside other teams' resources of every
//! kind as in an empty account; and a rerun right after a killed apply, before the API
//! lists what the killed run made, still makes nothing twice.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};

use crate::harness::{Moto, Run};
use crate::proxy::{FaultProxy, Tags};

use crate::static_site::operations;

/// Another team's stack tag for half of the crowd (the other half has no tags at all).
fn other_team(i: usize) -> Vec<(String, String)> {
    match i % 2 {
        0 => vec![
            ("edgectl:stack".to_string(), "other-team".to_string()),
            ("edgectl:id".to_string(), format!("thing.t{i}")),
        ],
        _ => Vec::new(),
    }
}

/// `n` resources of each kind whose discovery could grow with the account, in `region`
/// (CloudFront's distributions and WAF's CLOUDFRONT scope in us-east-1), made through the
/// SDK as other teams would: repositories, `/ecs/` log groups, clusters, private DNS
/// namespaces, target groups and load balancers in a VPC of their own, file systems, KMS
/// keys with aliases, RDS parameter and subnet groups and instances, web ACLs and IP sets
/// of both scopes, distributions, buckets, security groups.
/// Returns how many resources it made: 18 per index of `made` (its VPC and subnets aside).
async fn crowd(moto: &Moto, region: &str, made: std::ops::Range<usize>) -> usize {
    let sdk = moto.sdk_in(region).await;
    let global = moto.sdk_in("us-east-1").await;
    let ec2 = moto.ec2_in(region).await;
    let cidr = format!("10.{}.0.0/16", 100 + made.start % 100);
    let vpc = moto.make_vpc_in(region, &cidr).await;
    let zones: Vec<String> = ec2
        .describe_availability_zones()
        .send()
        .await
        .unwrap()
        .availability_zones()
        .iter()
        .filter_map(|zone| zone.zone_name().map(str::to_string))
        .take(2)
        .collect();
    let mut subnets = Vec::new();
    for (k, zone) in zones.iter().enumerate() {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("10.{}.{k}.0/24", 100 + made.start % 100))
            .availability_zone(zone)
            .send()
            .await
            .unwrap();
        subnets.push(subnet.subnet().unwrap().subnet_id().unwrap().to_string());
    }

    let ecr = aws_sdk_ecr::Client::new(&sdk);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    let ecs = aws_sdk_ecs::Client::new(&sdk);
    let cloudmap = aws_sdk_servicediscovery::Client::new(&sdk);
    let elbv2 = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);
    let efs = aws_sdk_efs::Client::new(&sdk);
    let kms = aws_sdk_kms::Client::new(&sdk);
    let rds = aws_sdk_rds::Client::new(&sdk);
    let waf = aws_sdk_wafv2::Client::new(&sdk);
    let waf_global = aws_sdk_wafv2::Client::new(&global);
    let cloudfront = aws_sdk_cloudfront::Client::new(&global);
    let s3 = aws_sdk_s3::Client::new(&sdk);
    let count = made.len() * 18;
    for i in made {
        let name = format!("other-team-{i}");
        let tags = other_team(i);

        let mut repository = ecr.create_repository().repository_name(&name);
        for (key, value) in &tags {
            repository = repository.tags(
                aws_sdk_ecr::types::Tag::builder()
                    .key(key)
                    .value(value)
                    .build()
                    .unwrap(),
            );
        }
        repository.send().await.unwrap();

        let mut group = logs
            .create_log_group()
            .log_group_name(format!("/ecs/{name}"));
        for (key, value) in &tags {
            group = group.tags(key, value);
        }
        group.send().await.unwrap();

        let mut cluster = ecs.create_cluster().cluster_name(&name);
        for (key, value) in &tags {
            cluster = cluster.tags(
                aws_sdk_ecs::types::Tag::builder()
                    .key(key)
                    .value(value)
                    .build(),
            );
        }
        cluster.send().await.unwrap();

        let mut namespace = cloudmap
            .create_private_dns_namespace()
            .name(format!("{name}.internal"))
            .vpc(&vpc);
        for (key, value) in &tags {
            namespace = namespace.tags(
                aws_sdk_servicediscovery::types::Tag::builder()
                    .key(key)
                    .value(value)
                    .build()
                    .unwrap(),
            );
        }
        namespace.send().await.unwrap();

        let elb_tags: Vec<aws_sdk_elasticloadbalancingv2::types::Tag> = tags
            .iter()
            .map(|(key, value)| {
                aws_sdk_elasticloadbalancingv2::types::Tag::builder()
                    .key(key)
                    .value(value)
                    .build()
            })
            .collect();
        elbv2
            .create_target_group()
            .name(&name)
            .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
            .port(80)
            .vpc_id(&vpc)
            .target_type(aws_sdk_elasticloadbalancingv2::types::TargetTypeEnum::Ip)
            .set_tags(Some(elb_tags.clone()))
            .send()
            .await
            .unwrap();
        elbv2
            .create_load_balancer()
            .name(&name)
            .set_subnets(Some(subnets.clone()))
            .set_tags(Some(elb_tags))
            .send()
            .await
            .unwrap();

        let mut file_system = efs.create_file_system().creation_token(&name);
        for (key, value) in &tags {
            file_system = file_system.tags(
                aws_sdk_efs::types::Tag::builder()
                    .key(key)
                    .value(value)
                    .build()
                    .unwrap(),
            );
        }
        file_system.send().await.unwrap();

        let mut key = kms.create_key();
        for (tag_key, value) in &tags {
            key = key.tags(
                aws_sdk_kms::types::Tag::builder()
                    .tag_key(tag_key)
                    .tag_value(value)
                    .build()
                    .unwrap(),
            );
        }
        let key = key.send().await.unwrap();
        kms.create_alias()
            .alias_name(format!("alias/{name}"))
            .target_key_id(key.key_metadata().unwrap().key_id())
            .send()
            .await
            .unwrap();

        let rds_tags: Vec<aws_sdk_rds::types::Tag> = tags
            .iter()
            .map(|(key, value)| {
                aws_sdk_rds::types::Tag::builder()
                    .key(key)
                    .value(value)
                    .build()
            })
            .collect();
        rds.create_db_parameter_group()
            .db_parameter_group_name(&name)
            .db_parameter_group_family("postgres16")
            .description("another team's")
            .set_tags(Some(rds_tags.clone()))
            .send()
            .await
            .unwrap();
        rds.create_db_subnet_group()
            .db_subnet_group_name(&name)
            .db_subnet_group_description("another team's")
            .set_subnet_ids(Some(subnets.clone()))
            .set_tags(Some(rds_tags.clone()))
            .send()
            .await
            .unwrap();
        rds.create_db_instance()
            .db_instance_identifier(&name)
            .db_instance_class("db.t4g.micro")
            .engine("postgres")
            .allocated_storage(20)
            .master_username("app")
            .master_user_password("another-teams-secret")
            .db_subnet_group_name(&name)
            .set_tags(Some(rds_tags))
            .send()
            .await
            .unwrap();

        // Names are unique per scope, and CLOUDFRONT's is one for every region.
        let waf_name = format!("{name}-{region}");
        for (client, scope) in [
            (&waf, aws_sdk_wafv2::types::Scope::Regional),
            (&waf_global, aws_sdk_wafv2::types::Scope::Cloudfront),
        ] {
            let waf_tags: Vec<aws_sdk_wafv2::types::Tag> = tags
                .iter()
                .map(|(key, value)| {
                    aws_sdk_wafv2::types::Tag::builder()
                        .key(key)
                        .value(value)
                        .build()
                        .unwrap()
                })
                .collect();
            client
                .create_ip_set()
                .name(&waf_name)
                .scope(scope.clone())
                .ip_address_version(aws_sdk_wafv2::types::IpAddressVersion::Ipv4)
                .set_addresses(Some(Vec::new()))
                .set_tags(Some(waf_tags.clone()))
                .send()
                .await
                .unwrap();
            client
                .create_web_acl()
                .name(&waf_name)
                .scope(scope)
                .default_action(
                    aws_sdk_wafv2::types::DefaultAction::builder()
                        .allow(aws_sdk_wafv2::types::AllowAction::builder().build())
                        .build(),
                )
                .visibility_config(
                    aws_sdk_wafv2::types::VisibilityConfig::builder()
                        .sampled_requests_enabled(false)
                        .cloud_watch_metrics_enabled(false)
                        .metric_name(&waf_name)
                        .build()
                        .unwrap(),
                )
                .set_tags(Some(waf_tags))
                .send()
                .await
                .unwrap();
        }

        distribution(&cloudfront, &format!("{name}-{region}")).await;

        let bucket = format!("{name}-{region}");
        let mut create = s3.create_bucket().bucket(&bucket);
        if region != "us-east-1" {
            create = create.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(region))
                    .build(),
            );
        }
        create.send().await.unwrap();

        let mut spec = TagSpecification::builder().resource_type(ResourceType::SecurityGroup);
        for (key, value) in &tags {
            spec = spec.tags(Tag::builder().key(key).value(value).build());
        }
        let group = ec2
            .create_security_group()
            .group_name(&name)
            .description("another team's")
            .vpc_id(&vpc);
        // EC2 refuses a tag specification without tags.
        let group = match tags.is_empty() {
            true => group,
            false => group.tag_specifications(spec.build()),
        };
        group.send().await.unwrap();
    }
    count
}

/// A distribution of another team's (a custom origin, no tags).
async fn distribution(cloudfront: &aws_sdk_cloudfront::Client, name: &str) {
    use aws_sdk_cloudfront::types::{
        CustomOriginConfig, DefaultCacheBehavior, DistributionConfig, Origin, OriginProtocolPolicy,
        Origins, ViewerProtocolPolicy,
    };
    let origin = Origin::builder()
        .id("origin")
        .domain_name(format!("{name}.example.com"))
        .custom_origin_config(
            CustomOriginConfig::builder()
                .http_port(80)
                .https_port(443)
                .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let config = DistributionConfig::builder()
        .caller_reference(name)
        .comment(name)
        .enabled(false)
        .origins(
            Origins::builder()
                .quantity(1)
                .items(origin)
                .build()
                .unwrap(),
        )
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("origin")
                .viewer_protocol_policy(ViewerProtocolPolicy::AllowAll)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    cloudfront
        .create_distribution()
        .distribution_config(config)
        .send()
        .await
        .unwrap();
}

/// Operations only a listing of a whole service makes (never a read of the stack's own).
const LISTINGS: &[&str] = &[
    "ListClusters",
    "ListDistributions",
    "ListWebACLs",
    "ListIPSets",
    "ListNamespaces",
    "ListKeys",
    "ListBuckets",
];

/// Applies `args`' manifest, then compares its no-op plan's calls, operation by operation,
/// in the empty account and beside `n` other resources of every kind.
async fn same_reads_beside_others(args: &[&str], region: &str) {
    let moto = Moto::start();
    let manifest = args[args.iter().position(|arg| *arg == "-f").unwrap() + 1];
    moto.external_zones(manifest).await;
    let with = |verb: &[&str]| -> Vec<String> {
        verb.iter().chain(args).map(|arg| arg.to_string()).collect()
    };
    let apply = with(&["apply", "--auto-approve"]);
    let refs = crate::stress::refs;
    moto.edgectl(&refs(&apply)).success();
    let plan = with(&["plan", "--detailed-exitcode", "--verbose"]);
    let alone = moto.edgectl(&refs(&plan));
    assert_eq!(alone.code, 0, "{}\n{}", alone.stdout, alone.stderr);
    let alone = operations(&alone);
    assert!(!alone.is_empty(), "no calls reported");

    crowd(&moto, region, 0..3).await;
    if region != "us-east-1" {
        crowd(&moto, "us-east-1", 0..3).await;
    }
    let beside = moto.edgectl(&refs(&plan));
    assert_eq!(beside.code, 0, "{}\n{}", beside.stdout, beside.stderr);
    let beside = operations(&beside);
    assert_eq!(
        beside, alone,
        "{manifest}: the no-op plan's calls changed with other teams' resources in the account"
    );
    // Operations are counted as `Service.Operation`.
    let listed: Vec<&String> = alone
        .keys()
        .filter(|name| LISTINGS.contains(&name.rsplit('.').next().unwrap_or_default()))
        .collect();
    assert!(
        listed.is_empty(),
        "{manifest}: a no-op plan listed whole services: {listed:?}"
    );
}

/// EdgeMind (network, ECR, a cluster, three services with their log groups, target
/// groups and scaling, Cloud Map, EFS, an ALB, buckets, CloudFront with the ALB as an
/// origin, a certificate) plans with the same calls beside three resources of every kind
/// of other teams'.
#[tokio::test(flavor = "multi_thread")]
async fn edgemind_reads_the_same_however_full_the_account() {
    same_reads_beside_others(&["-f", "manifests/edgemind-prod.yaml"], "us-east-1").await;
}

/// HappyRobot's production (a database with its parameter and subnet groups, a web ACL on
/// the ALB, a topic, a dashboard), in eu-south-2: the same.
#[tokio::test(flavor = "multi_thread")]
async fn happyrobot_reads_the_same_however_full_the_account() {
    same_reads_beside_others(
        &["-f", "manifests/happyrobot-fde.yaml", "--env", "prod"],
        "eu-south-2",
    )
    .await;
}

/// EdgeMind's apply killed midway, then run again while the tagging API lists nothing of
/// what the killed run made: every kind finds its resources by its own reads, nothing is
/// made twice, and the plan after is clean.
#[tokio::test(flavor = "multi_thread")]
async fn a_rerun_before_the_tagging_api_lists_makes_nothing_twice() {
    const EDGEMIND: &str = "manifests/edgemind-prod.yaml";
    let apply = ["apply", "-f", EDGEMIND, "--auto-approve"];
    // Each account's own ids (a mount target's subnet, a revision's content) left out.
    let shape = |inventory: BTreeMap<String, usize>| -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for (key, count) in inventory {
            let key = key.split(['@', '#']).next().unwrap_or_default().to_string();
            *out.entry(key).or_default() += count;
        }
        out
    };
    let (total, clean) = {
        let moto = Moto::start();
        moto.external_zones(EDGEMIND).await;
        let proxy = FaultProxy::start(&moto.url);
        crate::stress::through(&proxy, &apply).success();
        (
            proxy.requests(),
            shape(crate::stress::inventory(&moto, "edgemind-prod").await),
        )
    };
    // A fresh account for each kill: what destroy retains by design (logs, secrets, the
    // file system) would otherwise be taken up again.
    for fraction in [0.5, 0.9] {
        let moto = Moto::start();
        moto.external_zones(EDGEMIND).await;
        let proxy = FaultProxy::start(&moto.url);
        let n = (total as f64 * fraction) as usize;
        let killed = crate::stress::killed_after(&proxy, &apply, n);
        proxy.tags(Tags::Empty);
        let rerun = crate::stress::through(&proxy, &apply);
        proxy.tags(Tags::Live);
        assert_eq!(
            rerun.code, 0,
            "apply killed after request {n} ({killed:?}) did not converge:\n{}",
            rerun.stderr
        );
        let now = shape(crate::stress::inventory(&moto, "edgemind-prod").await);
        assert_eq!(
            now, clean,
            "killed after {n} ({killed:?}): not what a clean run makes"
        );
        let plan = crate::stress::through(&proxy, &["plan", "-f", EDGEMIND, "--detailed-exitcode"]);
        assert_eq!(plan.code, 0, "killed after {n}: {}", plan.stdout);
    }
}

/// One entry of a section of [`scale_manifest`], by its number.
type Entry = fn(usize) -> String;

/// A stack of `units` × (a security group with its rule, a repository, a topic, a cluster,
/// a bucket) beside a public network of two zones: about 10, 100 or 500 resources.
fn scale_manifest(units: usize) -> String {
    let mut text = String::from(
        "stack: scale\nregion: us-east-1\nnetwork:\n  cidr: 10.0.0.0/16\n  zones: 2\n  subnets:\n    public: [10.0.0.0/24, 10.0.1.0/24]\n  nat: none\n",
    );
    if units == 0 {
        return text;
    }
    let sections: [(&str, Entry); 5] = [
        ("security_groups", |i| {
            format!(
                "  sg{i}:\n    description: unit {i}\n    ingress:\n      - {{ port: 443, from: 10.0.0.0/16 }}\n"
            )
        }),
        ("repositories", |i| {
            format!("  r{i}: {{ name: scale-r{i} }}\n")
        }),
        ("topics", |i| format!("  t{i}: {{}}\n")),
        ("clusters", |i| format!("  c{i}: {{ name: scale-c{i} }}\n")),
        ("buckets", |i| format!("  b{i}: {{ name: scale-b{i} }}\n")),
    ];
    for (section, entry) in sections {
        text.push_str(&format!("{section}:\n"));
        for i in 0..units {
            text.push_str(&entry(i));
        }
    }
    text
}

/// The live resources a plan says it read (`read N live resources with ...`).
fn resources_read(run: &Run) -> usize {
    run.stderr
        .lines()
        .find_map(|line| {
            line.strip_prefix("read ")?
                .split_once(" live resources")?
                .0
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no `read N live resources` line:\n{}", run.stderr))
}

/// The scale series of bench/RESULTS.md: stacks of about 10, 100 and 500 resources, each
/// planned (no-op) beside 0, about 300 and about 3,000 resources of other teams'.
/// `bench/run scale-account` runs it with the release edgectl (`EDGECTL_BENCH_BINARY`).
#[tokio::test(flavor = "multi_thread")]
#[ignore = "the figures of bench/RESULTS.md: minutes"]
async fn scale_figures() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = Vec::new();
    for units in [0usize, 16, 82] {
        let moto = Moto::start();
        let path =
            crate::harness::written(&dir, &format!("scale-{units}.yaml"), &scale_manifest(units));
        moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
            .success();
        let (mut made, mut next) = (0, 0);
        for target in [0usize, 300, 3000] {
            while made + 18 <= target {
                let step = (target - made) / 18;
                made += crowd(&moto, "us-east-1", next..next + step).await;
                next += step;
            }
            let before = moto.requests();
            let started = std::time::Instant::now();
            let run = moto.edgectl(&["plan", "-f", &path, "--detailed-exitcode"]);
            let wall = started.elapsed();
            assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
            let row = (resources_read(&run), made, moto.requests() - before, wall);
            eprintln!(
                "stack of {} resources beside {} others: {} calls, {:.2} s",
                row.0,
                row.1,
                row.2,
                row.3.as_secs_f64()
            );
            rows.push(row);
        }
    }
    println!(
        "| stack's resources | other resources in the account | no-op plan's AWS calls | wall |"
    );
    println!("|---:|---:|---:|---:|");
    for (resources, others, calls, wall) in rows {
        println!(
            "| {resources} | {others} | {calls} | {:.2} s |",
            wall.as_secs_f64()
        );
    }
}

/// The no-op plan of each shipped stack with 100 ms added to every request (a real
/// endpoint's round trip, through the suite's proxy): calls, wall time, and the serial
/// depth of its reads (wall time over the round trip). For bench/RESULTS.md.
/// `bench/run scale-latency` runs it with the release edgectl (`EDGECTL_BENCH_BINARY`).
#[tokio::test(flavor = "multi_thread")]
#[ignore = "the figures of bench/RESULTS.md"]
async fn latency_figures() {
    let round_trip = std::time::Duration::from_millis(100);
    // Every shipped manifest; `{certificate}` stands for one of moto's.
    let stacks: [&[&str]; 7] = [
        &["-f", "examples/network.yaml"],
        &[
            "-f",
            "examples/service.yaml",
            "--var",
            "certificate_arn={certificate}",
        ],
        &["-f", "examples/static-site.yaml"],
        &["-f", "manifests/edgemind-prod.yaml"],
        &["-f", "manifests/happyrobot-fde.yaml", "--env", "dev"],
        &["-f", "manifests/manufacturing.yaml", "--env", "production"],
        &["-f", "manifests/cloudiot.yaml"],
    ];
    println!("| stack | no-op plan's AWS calls | wall at +100 ms a request | serial depth |");
    println!("|---|---:|---:|---:|");
    for args in stacks {
        let moto = Moto::start();
        moto.external_zones(args[1]).await;
        let certificate = if args.iter().any(|arg| arg.contains("{certificate}")) {
            moto.certificate()
        } else {
            String::new()
        };
        let filled: Vec<String> = args
            .iter()
            .map(|arg| arg.replace("{certificate}", &certificate))
            .collect();
        let with = |verb: &[&str]| -> Vec<String> {
            verb.iter()
                .map(|arg| arg.to_string())
                .chain(filled.iter().cloned())
                .collect()
        };
        let apply = with(&["apply", "--auto-approve"]);
        moto.edgectl(&apply.iter().map(String::as_str).collect::<Vec<_>>())
            .success();
        let proxy = FaultProxy::start(&moto.url);
        proxy.delay(round_trip);
        proxy.reset_counts();
        let plan = with(&["plan", "--detailed-exitcode"]);
        let started = std::time::Instant::now();
        let run =
            crate::stress::through(&proxy, &plan.iter().map(String::as_str).collect::<Vec<_>>());
        let wall = started.elapsed();
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
        println!(
            "| {} | {} | {:.1} s | {:.0} |",
            args[1..].join(" ").replace("{certificate}", "<moto's>"),
            proxy.requests(),
            wall.as_secs_f64(),
            wall.as_secs_f64() / round_trip.as_secs_f64()
        );
    }
}
