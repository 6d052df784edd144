//! The manifests we ship: every one validates, and each seed stack in `manifests/`
//! deploys, plans clean and destroys to nothing, with the seed's own shape checked
//! through the SDK.

use std::collections::BTreeMap;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::Filter;

use crate::harness::{Moto, root};

fn yaml_files(dir: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|error| panic!("read {dir}: {error}"))
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.ends_with(".yaml").then(|| format!("{dir}/{name}"))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_shipped_manifest_validates() {
    let files: Vec<String> = [yaml_files("manifests"), yaml_files("examples")].concat();
    assert!(
        files.len() >= 5,
        "expected the seed stacks and examples, found {files:?}"
    );
    for file in files {
        let text = std::fs::read_to_string(root().join(&file)).unwrap();
        // Every environment it declares, or none.
        let environments = crate::harness::environments(&text);
        let choices: Vec<Option<&String>> = if environments.is_empty() {
            vec![None]
        } else {
            environments.iter().map(Some).collect()
        };
        for environment in choices {
            let mut args = vec!["validate", "-f", &file];
            if text.contains("certificate_arn:") {
                args.extend([
                    "--var",
                    "certificate_arn=arn:aws:acm:us-east-1:123456789012:certificate/example",
                ]);
            }
            if let Some(environment) = environment {
                args.extend(["--env", environment]);
            }
            let run = crate::harness::run_edgectl(&args, None, None);
            assert_eq!(
                run.code, 0,
                "{file} ({environment:?}) does not validate:\n{}",
                run.stderr
            );
            assert!(run.stderr.contains("is valid"), "{file}: {}", run.stderr);
        }
    }
}

fn owned(stack: &str) -> Filter {
    Filter::builder()
        .name("tag:edgectl:stack")
        .values(stack)
        .build()
}

/// The shape of a deployed seed stack, read back through the SDK.
#[derive(Debug, PartialEq, Eq)]
struct Shape {
    vpc_cidrs: Vec<String>,
    subnet_cidrs: Vec<String>,
    nat_gateways: usize,
    endpoints: Vec<String>,
    groups: Vec<String>,
}

async fn shape(ec2: &Client, stack: &str) -> Shape {
    let vpcs = ec2
        .describe_vpcs()
        .filters(owned(stack))
        .send()
        .await
        .unwrap();
    let subnets = ec2
        .describe_subnets()
        .filters(owned(stack))
        .send()
        .await
        .unwrap();
    let nats = ec2
        .describe_nat_gateways()
        .filter(owned(stack))
        .filter(Filter::builder().name("state").values("available").build())
        .send()
        .await
        .unwrap();
    let endpoints = ec2
        .describe_vpc_endpoints()
        .filters(owned(stack))
        .send()
        .await
        .unwrap();
    let groups = ec2
        .describe_security_groups()
        .filters(owned(stack))
        .send()
        .await
        .unwrap();
    let sorted = |mut items: Vec<String>| {
        items.sort();
        items
    };
    Shape {
        vpc_cidrs: sorted(
            vpcs.vpcs()
                .iter()
                .filter_map(|vpc| vpc.cidr_block().map(String::from))
                .collect(),
        ),
        subnet_cidrs: sorted(
            subnets
                .subnets()
                .iter()
                .filter_map(|subnet| subnet.cidr_block().map(String::from))
                .collect(),
        ),
        nat_gateways: nats.nat_gateways().len(),
        endpoints: sorted(
            endpoints
                .vpc_endpoints()
                .iter()
                // AWS (and moto) list a deleted endpoint for a while, in state `deleted`.
                .filter(|endpoint| {
                    endpoint
                        .state()
                        .is_none_or(|state| !state.as_str().eq_ignore_ascii_case("deleted"))
                })
                .filter_map(|endpoint| endpoint.service_name().map(String::from))
                .collect(),
        ),
        groups: sorted(
            groups
                .security_groups()
                .iter()
                .filter_map(|group| group.group_name().map(String::from))
                .collect(),
        ),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    let mut items: Vec<String> = items.iter().map(|item| item.to_string()).collect();
    items.sort();
    items
}

#[tokio::test]
async fn seed_stacks_deploy_plan_clean_and_destroy_to_nothing() {
    let cases = [
        (
            "manifests/edgemind-prod.yaml",
            "edgemind-prod",
            "us-east-1",
            Shape {
                vpc_cidrs: strings(&["10.0.0.0/16"]),
                subnet_cidrs: strings(&[
                    "10.0.0.0/18",
                    "10.0.64.0/18",
                    "10.0.128.0/18",
                    "10.0.192.0/18",
                ]),
                nat_gateways: 1,
                endpoints: vec![],
                groups: strings(&[
                    "edgemind-prod-alb",
                    "edgemind-prod-backend",
                    "edgemind-prod-chromadb",
                    "edgemind-prod-efs",
                    "edgemind-prod-influxdb",
                ]),
            },
        ),
        (
            "manifests/happyrobot-fde.yaml",
            "happyrobot-fde",
            "eu-south-2",
            Shape {
                vpc_cidrs: strings(&["10.0.0.0/16"]),
                subnet_cidrs: strings(&[
                    "10.0.101.0/24",
                    "10.0.102.0/24",
                    "10.0.1.0/24",
                    "10.0.2.0/24",
                ]),
                nat_gateways: 2,
                endpoints: vec![],
                groups: strings(&[
                    "happyrobot-fde-alb",
                    "happyrobot-fde-ecs",
                    "happyrobot-fde-rds",
                ]),
            },
        ),
        (
            "manifests/cloudiot.yaml",
            "cloudiot-dev",
            "us-east-1",
            Shape {
                vpc_cidrs: strings(&["10.0.0.0/16"]),
                subnet_cidrs: strings(&["10.0.0.0/24", "10.0.1.0/24"]),
                nat_gateways: 0,
                endpoints: strings(&[
                    "com.amazonaws.us-east-1.dynamodb",
                    "com.amazonaws.us-east-1.s3",
                ]),
                groups: strings(&[
                    "cloudiot-dev-alb",
                    "cloudiot-dev-ecs",
                    "cloudiot-dev-lambda",
                    "cloudiot-dev-sagemaker",
                ]),
            },
        ),
        (
            "manifests/manufacturing.yaml",
            "manufacturing-production-shared",
            "us-east-1",
            Shape {
                vpc_cidrs: strings(&["10.20.0.0/16"]),
                subnet_cidrs: strings(&[
                    "10.20.0.0/24",
                    "10.20.1.0/24",
                    "10.20.2.0/24",
                    "10.20.16.0/20",
                    "10.20.32.0/20",
                    "10.20.48.0/20",
                    "10.20.64.0/24",
                    "10.20.65.0/24",
                    "10.20.66.0/24",
                ]),
                nat_gateways: 3,
                endpoints: strings(&[
                    "com.amazonaws.us-east-1.dynamodb",
                    "com.amazonaws.us-east-1.s3",
                ]),
                groups: strings(&[
                    "manufacturing-production-shared-kafka",
                    "manufacturing-production-shared-lambda",
                    "manufacturing-production-shared-postgres",
                ]),
            },
        ),
    ];
    // Buckets after apply, and what destroy leaves (`retain: true`).
    let buckets: BTreeMap<&str, (&[&str], &[&str])> = BTreeMap::from([
        (
            "manifests/edgemind-prod.yaml",
            (
                &["edgemind-prod-cdn-logs", "edgemind-prod-frontend"][..],
                &[][..],
            ),
        ),
        (
            "manifests/happyrobot-fde.yaml",
            (&["happyrobot-fde-alb-access-logs-dev"][..], &[][..]),
        ),
        (
            "manifests/cloudiot.yaml",
            (
                &["cloudiot-dev-processed", "cloudiot-dev-raw"][..],
                &["cloudiot-dev-processed", "cloudiot-dev-raw"][..],
            ),
        ),
        (
            "manifests/manufacturing.yaml",
            (
                &["manufacturing-production-shared-archive"][..],
                &["manufacturing-production-shared-archive"][..],
            ),
        ),
    ]);
    // One server for all four: stacks are told apart by their tags, as in one AWS account.
    let moto = Moto::start();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&moto.sdk().await)
            .force_path_style(true)
            .build(),
    );
    let bucket_names = async |s3: &aws_sdk_s3::Client, prefix: &str| -> Vec<String> {
        let listed = s3.list_buckets().send().await.unwrap();
        let mut names: Vec<String> = listed
            .buckets()
            .iter()
            .filter_map(|bucket| bucket.name())
            .filter(|name| name.starts_with(prefix))
            .map(str::to_string)
            .collect();
        names.sort();
        names
    };
    for (file, stack, region, expected) in cases {
        let certificate = format!("certificate_arn={}", moto.certificate_in(region));
        moto.external_zones(file).await;
        let ec2 = moto.ec2_in(region).await;
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        let environment = crate::harness::first_environment(&text);
        let with_vars = |args: &[&'static str]| {
            let mut args: Vec<&str> = args.to_vec();
            args.extend(["-f", file]);
            if text.contains("certificate_arn:") {
                args.extend(["--var", &certificate]);
            }
            if let Some(environment) = &environment {
                args.extend(["--env", environment]);
            }
            moto.edgectl(&args)
        };
        with_vars(&["apply", "--auto-approve"]).success();
        assert_eq!(shape(&ec2, stack).await, expected, "{file} after apply");
        let (made, kept) = buckets.get(file).copied().unwrap_or((&[], &[]));
        let prefix = stack.split('-').next().unwrap_or(stack);
        assert_eq!(bucket_names(&s3, prefix).await, made, "{file}: buckets");
        let noop = with_vars(&["plan", "--detailed-exitcode"]);
        assert_eq!(
            noop.code, 0,
            "{file}: plan after apply is not clean:\n{}",
            noop.stdout
        );
        with_vars(&["destroy", "--auto-approve"]).success();
        assert_eq!(
            bucket_names(&s3, prefix).await,
            kept,
            "{file}: buckets after destroy"
        );
        let left = shape(&ec2, stack).await;
        assert!(
            left.vpc_cidrs.is_empty()
                && left.subnet_cidrs.is_empty()
                && left.nat_gateways == 0
                && left.endpoints.is_empty()
                && left.groups.is_empty(),
            "{file}: destroy left {left:?}"
        );
    }
}

/// The EdgeMind stack end to end (issue 13): InfluxDB's task definition mounts its EFS
/// access point and its service is registered with Cloud Map, so `influxdb.edgemind.local`
/// resolves to its tasks (the namespace's instances); the backend's execution role reads
/// exactly the two secrets, by their real ARNs; the distribution answers the seed's
/// domain and sends `/ws` to the ALB. Seed 001's sync (issue 14): only `index.html`,
/// `css/`, `js/` and `assets/` of the repository go up (never its `package.json`), and a
/// key outside those globs stays in the bucket through a `delete: true` sync. The seed's
/// CloudFormation outputs read live by name.
#[tokio::test(flavor = "multi_thread")]
async fn edgemind_runs_as_the_seed_describes() {
    let moto = Moto::start();
    moto.external_zones("manifests/edgemind-prod.yaml").await;
    moto.edgectl(&[
        "apply",
        "-f",
        "manifests/edgemind-prod.yaml",
        "--auto-approve",
    ])
    .success();
    let sdk = moto.sdk().await;
    let ecs = aws_sdk_ecs::Client::new(&sdk);
    let efs = aws_sdk_efs::Client::new(&sdk);
    let cloudmap = aws_sdk_servicediscovery::Client::new(&sdk);
    let iam = aws_sdk_iam::Client::new(&sdk);
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let cloudfront = aws_sdk_cloudfront::Client::new(&sdk);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );

    // The dashboard's files only; a key outside the globs survives a deleting sync.
    let keys = async || -> Vec<String> {
        let listed = s3
            .list_objects_v2()
            .bucket("edgemind-prod-frontend")
            .send()
            .await
            .unwrap();
        let mut keys: Vec<String> = listed
            .contents()
            .iter()
            .filter_map(|object| object.key().map(str::to_string))
            .collect();
        keys.sort();
        keys
    };
    assert_eq!(keys().await, ["css/style.css", "index.html", "js/app.js"]);
    s3.put_object()
        .bucket("edgemind-prod-frontend")
        .key("reports/2026-11.csv")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"a,b"))
        .send()
        .await
        .unwrap();
    moto.edgectl(&["sync", "-f", "manifests/edgemind-prod.yaml"])
        .success();
    assert_eq!(
        keys().await,
        [
            "css/style.css",
            "index.html",
            "js/app.js",
            "reports/2026-11.csv"
        ]
    );
    let outputs = moto
        .edgectl(&["output", "-f", "manifests/edgemind-prod.yaml", "--json"])
        .success();
    let outputs: serde_json::Value = serde_json::from_str(&outputs.stdout).unwrap();
    assert_eq!(
        outputs["FrontendBucketName"]["value"],
        "edgemind-prod-frontend"
    );
    let listed = cloudfront.list_distributions().send().await.unwrap();
    let summary = &listed.distribution_list().unwrap().items()[0];
    assert_eq!(outputs["CloudFrontDistributionId"]["value"], summary.id());
    assert_eq!(
        outputs["FrontendURL"]["value"],
        format!("https://{}", summary.domain_name())
    );

    // The production URL: an alias in the sandbox zone to the distribution, beside its
    // ownership marker and the certificate's validation record; the certificate, issued,
    // serves the distribution and the ALB's HTTPS listener.
    let route53 = aws_sdk_route53::Client::new(&sdk);
    let zone = route53
        .list_hosted_zones_by_name()
        .dns_name("concept-reply-sandbox.com")
        .send()
        .await
        .unwrap()
        .hosted_zones()[0]
        .id()
        .to_string();
    let sets = route53
        .list_resource_record_sets()
        .hosted_zone_id(&zone)
        .send()
        .await
        .unwrap();
    let alias = sets
        .resource_record_sets()
        .iter()
        .find(|set| {
            set.name() == "edge-mind.concept-reply-sandbox.com." && set.r#type().as_str() == "A"
        })
        .and_then(|set| set.alias_target())
        .expect("the alias record");
    assert_eq!(
        alias.dns_name().trim_end_matches('.'),
        summary.domain_name()
    );
    assert_eq!(alias.hosted_zone_id(), "Z2FDTNDATAQYW2");
    let names: Vec<&str> = sets
        .resource_record_sets()
        .iter()
        .map(|set| set.name())
        .collect();
    assert!(
        names.contains(&"_edgectl.a.edge-mind.concept-reply-sandbox.com."),
        "{names:?}"
    );
    assert!(
        names.iter().any(|name| name.starts_with('_')
            && name.ends_with(".edge-mind.concept-reply-sandbox.com.")
            && !name.starts_with("_edgectl.")),
        "no validation record: {names:?}"
    );
    let acm = aws_sdk_acm::Client::new(&sdk);
    let listed = acm.list_certificates().send().await.unwrap();
    let certificate = listed
        .certificate_summary_list()
        .iter()
        .find(|summary| summary.domain_name() == Some("edge-mind.concept-reply-sandbox.com"))
        .and_then(|summary| summary.certificate_arn())
        .expect("the certificate")
        .to_string();
    let described = acm
        .describe_certificate()
        .certificate_arn(&certificate)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described
            .certificate()
            .and_then(|c| c.status())
            .map(|s| s.as_str()),
        Some("ISSUED")
    );
    let config = cloudfront
        .get_distribution_config()
        .id(summary.id())
        .send()
        .await
        .unwrap();
    assert_eq!(
        config
            .distribution_config()
            .and_then(|config| config.viewer_certificate())
            .and_then(|viewer| viewer.acm_certificate_arn()),
        Some(certificate.as_str())
    );
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);
    let balancer = elb
        .describe_load_balancers()
        .names("edgemind-prod-alb")
        .send()
        .await
        .unwrap();
    let listeners = elb
        .describe_listeners()
        .load_balancer_arn(balancer.load_balancers()[0].load_balancer_arn().unwrap())
        .send()
        .await
        .unwrap();
    let https = listeners
        .listeners()
        .iter()
        .find(|listener| listener.port() == Some(443))
        .unwrap();
    assert_eq!(
        https.certificates()[0].certificate_arn(),
        Some(certificate.as_str())
    );

    // InfluxDB's data on EFS, through the access point.
    let influxdb = crate::harness::latest_task_definition(&ecs, "edgemind-prod-influxdb").await;
    let volume = &influxdb.volumes()[0];
    let config = volume.efs_volume_configuration().unwrap();
    let file_systems = efs.describe_file_systems().send().await.unwrap();
    let fs = &file_systems.file_systems()[0];
    assert_eq!(config.file_system_id(), fs.file_system_id());
    assert_eq!(fs.encrypted(), Some(true));
    assert!(
        config
            .authorization_config()
            .and_then(|auth| auth.access_point_id())
            .is_some()
    );
    let mount = &influxdb.container_definitions()[0].mount_points()[0];
    assert_eq!(mount.container_path(), Some("/var/lib/influxdb2"));

    // influxdb.edgemind.local: the service is registered, its tasks are instances.
    let services = ecs
        .describe_services()
        .cluster("edgemind-prod-cluster")
        .services("edgemind-prod-influxdb")
        .send()
        .await
        .unwrap();
    let registry = services.services()[0].service_registries()[0]
        .registry_arn()
        .unwrap()
        .to_string();
    let namespaces = cloudmap.list_namespaces().send().await.unwrap();
    assert_eq!(namespaces.namespaces()[0].name(), Some("edgemind.local"));
    let listed = cloudmap.list_services().send().await.unwrap();
    let discovery = listed
        .services()
        .iter()
        .find(|service| service.arn() == Some(registry.as_str()))
        .unwrap();
    assert_eq!(discovery.name(), Some("influxdb"));
    let instances = cloudmap
        .list_instances()
        .service_id(discovery.id().unwrap())
        .send()
        .await
        .unwrap();
    assert!(!instances.instances().is_empty());

    // The backend's execution role reads exactly its two secrets, by their real ARNs.
    let (_, document) = crate::harness::role_policy(&iam, "backend-execution").await;
    for name in ["edgemind/mqtt", "edgemind/influxdb"] {
        let arn = secrets
            .describe_secret()
            .secret_id(name)
            .send()
            .await
            .unwrap()
            .arn()
            .unwrap()
            .to_string();
        assert!(document.contains(&arn), "{name}: {document}");
    }

    // The distribution answers the seed's domain and sends /ws to the ALB.
    let listed = cloudfront.list_distributions().send().await.unwrap();
    let id = listed.distribution_list().unwrap().items()[0]
        .id()
        .to_string();
    let got = cloudfront
        .get_distribution_config()
        .id(&id)
        .send()
        .await
        .unwrap();
    let config = got.distribution_config().unwrap();
    assert_eq!(
        config.aliases().unwrap().items(),
        ["edge-mind.concept-reply-sandbox.com"]
    );
    let paths: Vec<&str> = config
        .cache_behaviors()
        .unwrap()
        .items()
        .iter()
        .map(|behavior| behavior.path_pattern())
        .collect();
    assert!(paths.contains(&"/ws"), "{paths:?}");
}

/// HappyRobot as dev and as prod from its one manifest (issue 14): two stacks side by side,
/// with the seed's differences read back through the SDK — logs kept 7 / 30 days, backups
/// 1 / 7 days, HTTPS on 443 only where a domain or certificate is given (prod answers on
/// its own domain: an alias to its ALB in the company's zone, a certificate the stack
/// requests and validates), the production WAF, seed 004's alarms — and the outputs its write-up reads (the
/// ALB's DNS name, the database's endpoint) read live per environment.
#[tokio::test(flavor = "multi_thread")]
async fn happyrobot_applies_as_dev_and_as_prod() {
    let moto = Moto::start();
    let file = "manifests/happyrobot-fde.yaml";
    let sdk = moto.sdk_in("eu-south-2").await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    let rds = aws_sdk_rds::Client::new(&sdk);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&sdk);
    let waf = aws_sdk_wafv2::Client::new(&sdk);

    // No environment chosen: refused before any call, naming the choices.
    let none = moto.edgectl(&["plan", "-f", file]);
    assert_eq!(none.code, 1);
    assert!(
        none.stderr
            .contains("choose one: `--env dev` or `--env prod`"),
        "{}",
        none.stderr
    );
    assert_eq!(moto.requests(), 0);

    let plan = moto
        .edgectl(&["plan", "-f", file, "--env", "prod"])
        .success();
    assert!(
        plan.stdout
            .contains("Stack `happyrobot-fde-prod` in eu-south-2, environment `prod`"),
        "{}",
        plan.stdout
    );
    moto.edgectl(&["apply", "-f", file, "--env", "dev", "--auto-approve"])
        .success();
    // Prod answers on its own domain: the company's zone, the stack's certificate.
    let route53 = aws_sdk_route53::Client::new(&moto.sdk().await);
    let zone = moto.zone("happyrobot.example").await;
    let domain = [
        "--var",
        "domain=fde.happyrobot.example",
        "--var",
        "zone=happyrobot.example",
    ];
    let mut args = vec!["apply", "-f", file, "--env", "prod", "--auto-approve"];
    args.extend(domain);
    moto.edgectl(&args).success();
    let sets = route53
        .list_resource_record_sets()
        .hosted_zone_id(&zone)
        .send()
        .await
        .unwrap();
    let alias = sets
        .resource_record_sets()
        .iter()
        .find(|set| set.name() == "fde.happyrobot.example." && set.r#type().as_str() == "A")
        .and_then(|set| set.alias_target())
        .expect("the domain's alias to the ALB");
    assert!(
        alias.dns_name().starts_with("happyrobot-fde-prod-alb"),
        "{alias:?}"
    );

    for (suffix, log_days, backup_days, listeners) in
        [("", 7, 1, vec![80]), ("-prod", 30, 7, vec![80, 443])]
    {
        let group = format!("/aws/ecs/containers-api{suffix}");
        let found = logs
            .describe_log_groups()
            .log_group_name_prefix(&group)
            .send()
            .await
            .unwrap();
        let retention = found
            .log_groups()
            .iter()
            .find(|found| found.log_group_name() == Some(group.as_str()))
            .and_then(|found| found.retention_in_days());
        assert_eq!(retention, Some(log_days), "{group}");
        let identifier = format!("happyrobot-fde-postgres{suffix}");
        let database = rds
            .describe_db_instances()
            .db_instance_identifier(&identifier)
            .send()
            .await
            .unwrap();
        assert_eq!(
            database.db_instances()[0].backup_retention_period(),
            Some(backup_days),
            "{identifier}"
        );
        let stack = format!("happyrobot-fde{suffix}");
        let balancer = elb
            .describe_load_balancers()
            .names(format!("{stack}-alb"))
            .send()
            .await
            .unwrap();
        let balancer = &balancer.load_balancers()[0];
        let found = elb
            .describe_listeners()
            .load_balancer_arn(balancer.load_balancer_arn().unwrap())
            .send()
            .await
            .unwrap();
        let mut ports: Vec<i32> = found.listeners().iter().filter_map(|l| l.port()).collect();
        ports.sort();
        assert_eq!(ports, listeners, "{stack}");

        // The production WAF in front of prod's ALB only: rate limit and managed rules.
        let protecting = waf
            .get_web_acl_for_resource()
            .resource_arn(balancer.load_balancer_arn().unwrap())
            .send()
            .await
            .unwrap();
        match protecting.web_acl() {
            Some(acl) => {
                assert_eq!(suffix, "-prod", "dev has no WAF");
                assert_eq!(acl.name(), "happyrobot-fde-prod-waf");
                let rules: Vec<&str> = acl.rules().iter().map(|rule| rule.name()).collect();
                assert_eq!(rules, ["rate-limit", "common", "known-bad-inputs"]);
                let rate = acl.rules()[0]
                    .statement()
                    .unwrap()
                    .rate_based_statement()
                    .unwrap();
                assert_eq!((rate.limit(), rate.evaluation_window_sec()), (1000, 300));
            }
            None => assert_eq!(suffix, "", "prod's ALB has no WAF"),
        }

        // Seed 004's alarms, each notifying the stack's topic; the load balancer's by its
        // ARN suffix, the target groups' by theirs.
        let alarms = cloudwatch
            .describe_alarms()
            .alarm_name_prefix(format!("{stack}-"))
            .send()
            .await
            .unwrap();
        let topic = format!("arn:aws:sns:eu-south-2:123456789012:{stack}-alerts");
        let mut seen: Vec<(String, String, f64)> = Vec::new();
        let lb_suffix = balancer
            .load_balancer_arn()
            .unwrap()
            .split_once(":loadbalancer/")
            .unwrap()
            .1
            .to_string();
        for alarm in alarms.metric_alarms() {
            let name = alarm.alarm_name().unwrap()[stack.len() + 1..].to_string();
            if name.starts_with("prod-") {
                continue; // prod's, seen from dev's prefix
            }
            assert_eq!(alarm.alarm_actions(), [topic.as_str()], "{name}");
            let metric = alarm
                .metric_name()
                .map(str::to_string)
                .unwrap_or_else(|| "math".to_string());
            for dimension in alarm.dimensions().iter().chain(
                alarm
                    .metrics()
                    .iter()
                    .filter_map(|query| query.metric_stat()?.metric())
                    .flat_map(|metric| metric.dimensions()),
            ) {
                match dimension.name().unwrap() {
                    "LoadBalancer" => assert_eq!(dimension.value(), Some(lb_suffix.as_str())),
                    "TargetGroup" => {
                        assert!(
                            dimension
                                .value()
                                .unwrap()
                                .starts_with(&format!("targetgroup/{stack}-"))
                        )
                    }
                    _ => {}
                }
            }
            seen.push((name, metric, alarm.threshold().unwrap()));
        }
        seen.sort_by(|a, b| a.0.cmp(&b.0));
        let expected = [
            ("alb-5xx-rate", "math", 5.0),
            ("alb-api-unhealthy", "UnHealthyHostCount", 1.0),
            ("alb-response-time", "TargetResponseTime", 5.0),
            ("alb-web-unhealthy", "UnHealthyHostCount", 1.0),
            ("api-cpu", "CPUUtilization", 80.0),
            ("postgres-connections", "DatabaseConnections", 180.0),
            ("postgres-cpu", "CPUUtilization", 80.0),
            ("web-cpu", "CPUUtilization", 70.0),
        ];
        let expected: Vec<(String, String, f64)> = expected
            .iter()
            .map(|(name, metric, threshold)| (name.to_string(), metric.to_string(), *threshold))
            .collect();
        assert_eq!(seen, expected, "{stack}");

        // Seed 004's dashboard: its widgets in order, the ALB's by its ARN suffix, the
        // alarms' states by their ARNs; the stack's ownership tags from PutDashboard.
        let environment = if suffix.is_empty() { "dev" } else { "prod" };
        let name = format!("HappyRobot-FDE-{environment}");
        let dashboard = cloudwatch
            .get_dashboard()
            .dashboard_name(&name)
            .send()
            .await
            .unwrap();
        let body: serde_json::Value =
            serde_json::from_str(dashboard.dashboard_body().unwrap()).unwrap();
        let widgets = body["widgets"].as_array().unwrap();
        let kinds: Vec<&str> = widgets
            .iter()
            .map(|widget| widget["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "metric", "metric", "metric", "metric", "metric", "metric", "log", "alarm"
            ]
        );
        assert_eq!(
            widgets[4]["properties"]["metrics"][0][3].as_str(),
            Some(lb_suffix.as_str())
        );
        assert_eq!(
            widgets[7]["properties"]["alarms"].as_array().unwrap().len(),
            expected.len()
        );
        assert!(
            widgets[6]["properties"]["query"]
                .as_str()
                .unwrap()
                .starts_with(&format!(
                    "SOURCE '/aws/ecs/containers-api{suffix}' | SOURCE '/aws/ecs/containers-web{suffix}' |"
                ))
        );
        let tags = cloudwatch
            .list_tags_for_resource()
            .resource_arn(dashboard.dashboard_arn().unwrap())
            .send()
            .await
            .unwrap();
        let owner: Vec<(&str, &str)> = tags
            .tags()
            .iter()
            .map(|tag| (tag.key().unwrap(), tag.value().unwrap()))
            .filter(|(key, _)| key.starts_with("edgectl:"))
            .collect();
        assert_eq!(
            owner,
            [
                ("edgectl:stack", stack.as_str()),
                ("edgectl:id", "dashboard.main")
            ]
        );
        let mut args = vec!["output", "-f", file, "--env", environment, "dashboardUrl"];
        if environment == "prod" {
            args.extend(domain);
        }
        assert_eq!(
            moto.edgectl(&args).success().stdout.trim(),
            format!(
                "https://eu-south-2.console.aws.amazon.com/cloudwatch/home?region=eu-south-2#dashboards:name={name}"
            )
        );

        let mut args = vec![
            "output",
            "-f",
            file,
            "--env",
            environment,
            "loadBalancerDnsName",
        ];
        if environment == "prod" {
            args.extend(domain);
        }
        let output = moto.edgectl(&args).success();
        assert_eq!(
            output.stdout.trim(),
            balancer.dns_name().unwrap(),
            "{stack}"
        );
        // Each environment plans clean against its own stack.
        let mut args = vec![
            "plan",
            "-f",
            file,
            "--env",
            environment,
            "--detailed-exitcode",
        ];
        if environment == "prod" {
            args.extend(domain);
        }
        let clean = moto.edgectl(&args);
        assert_eq!(clean.code, 0, "{stack}: {}", clean.stdout);
    }
}

/// The manufacturing platform as seed 002 deploys it, from one manifest: production
/// (a NAT gateway per zone, Multi-AZ PostgreSQL) and development (one NAT gateway, a
/// single-AZ database), each tenant a stack of its own.
#[tokio::test(flavor = "multi_thread")]
async fn manufacturing_plans_per_environment_and_tenant() {
    let moto = Moto::start();
    let file = "manifests/manufacturing.yaml";
    for (environment, tenant, nat_gateways, multi_az) in [
        ("production", "shared", 3, "true"),
        ("development", "shared", 1, "false"),
        ("production", "customer-123", 3, "true"),
    ] {
        let tenant_var = format!("tenant={tenant}");
        let plan = moto
            .edgectl(&[
                "plan",
                "-f",
                file,
                "--env",
                environment,
                "--var",
                &tenant_var,
            ])
            .success();
        assert!(
            plan.stdout.contains(&format!(
                "Stack `manufacturing-{environment}-{tenant}` in us-east-1, environment `{environment}`"
            )),
            "{}",
            plan.stdout
        );
        let made = plan.stdout.matches("+ nat_gateway.").count();
        assert_eq!(made, nat_gateways, "{environment}: {}", plan.stdout);
        assert!(
            plan.stdout
                .contains(&format!("multi_az             = {multi_az}")),
            "{environment}: {}",
            plan.stdout
        );
    }
}
