//! `edgectl adopt`, the acceptance: EdgeMind's network and containers (seed 000's
//! network and backend stacks, with the secrets stack the backend reads and ChromaDB
//! beside it, as seed 001 runs it) made first the way the CDK app names them, then
//! adopted with the shipped manifest: every resource found, nothing replaced, the apply
//! after it updates in place, and the next plan is clean. The load balancer, its
//! listeners, the target group (which keeps its CloudFormation-made name), the services
//! and their auto scaling (whose policies keep CDK's names) are the same resources after.

use std::collections::BTreeSet;

use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};
use aws_sdk_ec2::types::{IpPermission, IpRange, UserIdGroupPair};
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, Compatibility, ContainerDefinition, LaunchType,
    LoadBalancer, NetworkConfiguration, NetworkMode, PortMapping,
};
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, ProtocolEnum, RedirectActionConfig,
    RedirectActionStatusCodeEnum, TargetGroupAttribute, TargetTypeEnum,
};

use aws_sdk_cloudfront::types::{
    Aliases, CacheBehavior, CacheBehaviors, CustomOriginConfig, DefaultCacheBehavior,
    DistributionConfig, LoggingConfig, MinimumProtocolVersion, Origin, OriginAccessControlConfig,
    OriginAccessControlOriginTypes, OriginAccessControlSigningBehaviors,
    OriginAccessControlSigningProtocols, OriginProtocolPolicy, Origins, S3OriginConfig,
    SslSupportMethod, ViewerCertificate, ViewerProtocolPolicy,
};
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};

use super::adopt::{CdkNetwork, make_cdk_network};
use crate::harness::{Moto, edited, written};

/// What CloudFormation named what the CDK app left unnamed.
const ALB: &str = "edgemi-Backe-1R5KX2QJ8XE3H";
const TARGET_GROUP: &str = "edgemi-Backe-1TQZ6OR0YV2QO";
/// The security groups: key, name, and the description the manifest has from the CDK app.
const GROUPS: [(&str, &str, &str); 5] = [
    (
        "alb",
        "edgemind-prod-network-AlbSecurityGroup86A59E99-1XK0T1ZQ",
        "EdgeMind ALB",
    ),
    (
        "backend",
        "edgemind-prod-network-BackendSecurityGroupA1B2C3D4-9QW2",
        "EdgeMind backend (Node.js, MQTT, WebSocket)",
    ),
    (
        "influxdb",
        "edgemind-prod-network-InfluxDbSecurityGroupE5F6A7B8-7YH3",
        "InfluxDB 2.7 on Fargate",
    ),
    (
        "efs",
        "edgemind-prod-network-EfsSecurityGroup0C1D2E3F-5RT4",
        "InfluxDB data on EFS",
    ),
    (
        "chromadb",
        "edgemind-prod-network-ChromaDbSecurityGroup4A5B6C7D-3UI5",
        "ChromaDB vector store",
    ),
];
const CPU_POLICY: &str = "edgemindprodbackendServiceTaskCountTargetCpuScaling8A4B2C1D";
const MEMORY_POLICY: &str = "edgemindprodbackendServiceTaskCountTargetMemoryScaling3E5F7A9B";

/// The shipped manifest, whole, with the names CloudFormation chose written in (the load
/// balancer's, the security groups').
pub fn manifest() -> String {
    let shipped =
        std::fs::read_to_string(crate::harness::root().join("manifests/edgemind-prod.yaml"))
            .unwrap();
    let mut edits: Vec<(String, String)> = vec![(
        "  alb:\n    security_groups: [alb]".to_string(),
        format!("  alb:\n    name: {ALB}\n    security_groups: [alb]"),
    )];
    for (key, name, _) in GROUPS {
        edits.push((
            format!("\n  {key}:\n    description:"),
            format!("\n  {key}:\n    name: {name}\n    description:"),
        ));
    }
    let edits: Vec<(&str, &str)> = edits
        .iter()
        .map(|(from, to)| (from.as_str(), to.as_str()))
        .collect();
    edited(&shipped, &edits)
}

/// The folder the manifest's bucket syncs (`./edgemind-frontend`), beside it.
pub fn frontend_files(dir: &std::path::Path) {
    let files = dir.join("edgemind-frontend");
    std::fs::create_dir_all(files.join("css")).unwrap();
    std::fs::write(files.join("index.html"), "<h1>EdgeMind</h1>").unwrap();
    std::fs::write(files.join("css/site.css"), "h1 { color: teal }").unwrap();
}

/// What was made by hand and must be the same resources after.
pub struct Made {
    pub network: CdkNetwork,
    pub file_system: String,
    pub balancer: String,
    pub listeners: BTreeSet<String>,
    pub target_group: String,
    pub services: BTreeSet<String>,
    pub certificate: String,
    pub distribution: String,
}

/// The site's domain (seed 001's production URL) and the zone it is in.
const DOMAIN: &str = "edge-mind.concept-reply-sandbox.com";
const ZONE: &str = "concept-reply-sandbox.com";
/// CloudFront's hosted zone, which every alias to a distribution names.
const CLOUDFRONT_ZONE: &str = "Z2FDTNDATAQYW2";

/// The certificate of the site's domain, requested and validated through DNS the way
/// CDK's `Certificate` with `CertificateValidation.fromDns(zone)` does it: the validation
/// CNAME written in the company's zone (made here, as the account has it).
async fn make_certificate(moto: &Moto) -> (String, String) {
    moto.external_zones("manifests/edgemind-prod.yaml").await;
    let sdk = moto.sdk().await;
    let route53 = aws_sdk_route53::Client::new(&sdk);
    let zone = route53
        .list_hosted_zones_by_name()
        .dns_name(ZONE)
        .send()
        .await
        .unwrap()
        .hosted_zones()[0]
        .id()
        .trim_start_matches("/hostedzone/")
        .to_string();
    let acm = aws_sdk_acm::Client::new(&sdk);
    let certificate = acm
        .request_certificate()
        .domain_name(DOMAIN)
        .validation_method(aws_sdk_acm::types::ValidationMethod::Dns)
        .send()
        .await
        .unwrap()
        .certificate_arn()
        .unwrap()
        .to_string();
    let described = acm
        .describe_certificate()
        .certificate_arn(&certificate)
        .send()
        .await
        .unwrap();
    let record = described.certificate().unwrap().domain_validation_options()[0]
        .resource_record()
        .unwrap()
        .clone();
    let cname = ResourceRecordSet::builder()
        .name(record.name())
        .r#type(RrType::Cname)
        .ttl(300)
        .resource_records(
            ResourceRecord::builder()
                .value(record.value())
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    change(&route53, &zone, cname).await;
    (certificate, zone)
}

/// Writes one record set in a zone, as a person or another tool would.
pub async fn change(route53: &aws_sdk_route53::Client, zone: &str, set: ResourceRecordSet) {
    route53
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(
            ChangeBatch::builder()
                .changes(
                    Change::builder()
                        .action(ChangeAction::Create)
                        .resource_record_set(set)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// Seed 000's frontend stack as CDK makes it, with seed 001's production URL: the site's
/// bucket (versioned) and the log bucket, an Origin Access Control of CDK's naming, the
/// distribution (S3 by default, the API's paths to the load balancer, logs to their
/// bucket, the domain as its alias with the certificate), and the alias record.
async fn make_frontend(moto: &Moto, balancer_dns: &str, certificate: &str, zone: &str) -> String {
    let sdk = moto.sdk().await;
    let s3 = aws_sdk_s3::Client::new(&sdk);
    for bucket in ["edgemind-prod-frontend", "edgemind-prod-cdn-logs"] {
        s3.create_bucket().bucket(bucket).send().await.unwrap();
    }
    s3.put_bucket_versioning()
        .bucket("edgemind-prod-frontend")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let cloudfront = aws_sdk_cloudfront::Client::new(&sdk);
    let oac = cloudfront
        .create_origin_access_control()
        .origin_access_control_config(
            OriginAccessControlConfig::builder()
                .name("edgemindprodfrontendDistributionOrigin1S3OriginAccessControl6A2F1C3B")
                .signing_behavior(OriginAccessControlSigningBehaviors::Always)
                .signing_protocol(OriginAccessControlSigningProtocols::Sigv4)
                .origin_access_control_origin_type(OriginAccessControlOriginTypes::S3)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .origin_access_control()
        .unwrap()
        .id()
        .to_string();
    let site = Origin::builder()
        .id("edgemindprodfrontendDistributionOrigin1D3E5F7A9")
        .domain_name("edgemind-prod-frontend.s3.us-east-1.amazonaws.com")
        .origin_access_control_id(oac)
        .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
        .build()
        .unwrap();
    let api = Origin::builder()
        .id("edgemindprodfrontendDistributionOrigin2B4C6D8E0")
        .domain_name(balancer_dns)
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
    const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
    const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
    const ALL_VIEWER: &str = "216adef6-5c7f-47e4-b989-5492eafa07d3";
    let api_paths: Vec<CacheBehavior> = ["/api/*", "/health"]
        .into_iter()
        .map(|path| {
            CacheBehavior::builder()
                .path_pattern(path)
                .target_origin_id("edgemindprodfrontendDistributionOrigin2B4C6D8E0")
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .cache_policy_id(CACHING_DISABLED)
                .origin_request_policy_id(ALL_VIEWER)
                .build()
                .unwrap()
        })
        .collect();
    let config = DistributionConfig::builder()
        .caller_reference("edgemind-prod-frontend-Distribution-1700000000")
        .comment("EdgeMind factory dashboard")
        .enabled(true)
        .origins(
            Origins::builder()
                .quantity(2)
                .items(site)
                .items(api)
                .build()
                .unwrap(),
        )
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("edgemindprodfrontendDistributionOrigin1D3E5F7A9")
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .cache_policy_id(CACHING_OPTIMIZED)
                .compress(true)
                .build()
                .unwrap(),
        )
        .cache_behaviors(
            CacheBehaviors::builder()
                .quantity(api_paths.len() as i32)
                .set_items(Some(api_paths))
                .build()
                .unwrap(),
        )
        .aliases(
            Aliases::builder()
                .quantity(1)
                .items(DOMAIN)
                .build()
                .unwrap(),
        )
        .viewer_certificate(
            ViewerCertificate::builder()
                .acm_certificate_arn(certificate)
                .ssl_support_method(SslSupportMethod::SniOnly)
                .minimum_protocol_version(MinimumProtocolVersion::TlSv122021)
                .build(),
        )
        .logging(
            LoggingConfig::builder()
                .enabled(true)
                .include_cookies(false)
                .bucket("edgemind-prod-cdn-logs.s3.amazonaws.com")
                .prefix("cloudfront/")
                .build(),
        )
        .build()
        .unwrap();
    let distribution = cloudfront
        .create_distribution()
        .distribution_config(config)
        .send()
        .await
        .unwrap();
    let distribution = distribution.distribution().unwrap();
    let alias = ResourceRecordSet::builder()
        .name(DOMAIN)
        .r#type(RrType::A)
        .alias_target(
            AliasTarget::builder()
                .dns_name(distribution.domain_name())
                .hosted_zone_id(CLOUDFRONT_ZONE)
                .evaluate_target_health(false)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    change(&aws_sdk_route53::Client::new(&sdk), zone, alias).await;
    distribution.id().to_string()
}

pub async fn make_edgemind(moto: &Moto) -> Made {
    let (certificate, zone) = make_certificate(moto).await;
    let certificate = certificate.as_str();
    let network = make_cdk_network(moto).await;
    let sdk = moto.sdk().await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let mut groups = std::collections::BTreeMap::new();
    for (key, name, description) in GROUPS {
        let id = ec2
            .create_security_group()
            .group_name(name)
            .description(description)
            .vpc_id(&network.vpc)
            .send()
            .await
            .unwrap()
            .group_id()
            .unwrap()
            .to_string();
        groups.insert(key, id);
    }
    let from_cidr = |port: i32| {
        IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(port)
            .to_port(port)
            .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
            .build()
    };
    let from_group = |port: i32, group: &str| {
        IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(port)
            .to_port(port)
            .user_id_group_pairs(UserIdGroupPair::builder().group_id(group).build())
            .build()
    };
    for (to, rule) in [
        ("alb", from_cidr(80)),
        ("alb", from_cidr(443)),
        ("backend", from_group(3000, &groups["alb"])),
        ("backend", from_group(8080, &groups["alb"])),
        ("influxdb", from_group(8086, &groups["backend"])),
        ("efs", from_group(2049, &groups["influxdb"])),
        ("chromadb", from_group(8000, &groups["backend"])),
    ] {
        ec2.authorize_security_group_ingress()
            .group_id(&groups[to])
            .ip_permissions(rule)
            .send()
            .await
            .unwrap();
    }

    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    for (name, description) in [
        ("edgemind/mqtt", "MQTT broker credentials"),
        ("edgemind/influxdb", "InfluxDB connection"),
    ] {
        secrets
            .create_secret()
            .name(name)
            .description(description)
            .secret_string("{}")
            .send()
            .await
            .unwrap();
    }
    let repository = aws_sdk_ecr::Client::new(&sdk)
        .create_repository()
        .repository_name("edgemind-prod-backend")
        .send()
        .await
        .unwrap()
        .repository()
        .unwrap()
        .repository_uri()
        .unwrap()
        .to_string();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    for group in [
        "/ecs/edgemind-prod-backend",
        "/ecs/edgemind-prod-influxdb",
        "/ecs/edgemind-prod-chromadb",
    ] {
        logs.create_log_group()
            .log_group_name(group)
            .send()
            .await
            .unwrap();
    }
    let ecs = aws_sdk_ecs::Client::new(&sdk);
    let cluster = ecs
        .create_cluster()
        .cluster_name("edgemind-prod-cluster")
        .send()
        .await
        .unwrap()
        .cluster()
        .unwrap()
        .cluster_arn()
        .unwrap()
        .to_string();

    // The backend stack: the load balancer, its target group and listeners.
    let elbv2 = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);
    let balancer = elbv2
        .create_load_balancer()
        .name(ALB)
        .scheme(aws_sdk_elasticloadbalancingv2::types::LoadBalancerSchemeEnum::InternetFacing)
        .r#type(aws_sdk_elasticloadbalancingv2::types::LoadBalancerTypeEnum::Application)
        .subnets(&network.subnets[0])
        .subnets(&network.subnets[1])
        .security_groups(&groups["alb"])
        .send()
        .await
        .unwrap()
        .load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_string();
    let target_group = elbv2
        .create_target_group()
        .name(TARGET_GROUP)
        .protocol(ProtocolEnum::Http)
        .port(3000)
        .vpc_id(&network.vpc)
        .target_type(TargetTypeEnum::Ip)
        .health_check_path("/health")
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_string();
    let attribute = |key: &str, value: &str| {
        TargetGroupAttribute::builder()
            .key(key)
            .value(value)
            .build()
    };
    elbv2
        .modify_target_group_attributes()
        .target_group_arn(&target_group)
        .attributes(attribute("stickiness.enabled", "true"))
        .attributes(attribute("stickiness.type", "lb_cookie"))
        .attributes(attribute("stickiness.lb_cookie.duration_seconds", "86400"))
        .send()
        .await
        .unwrap();
    let mut listeners = BTreeSet::new();
    let redirect = Action::builder()
        .r#type(ActionTypeEnum::Redirect)
        .redirect_config(
            RedirectActionConfig::builder()
                .protocol("HTTPS")
                .port("443")
                .status_code(RedirectActionStatusCodeEnum::Http301)
                .build(),
        )
        .build();
    let forward = Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(&target_group)
        .build();
    for (port, protocol, action) in [
        (80, ProtocolEnum::Http, redirect),
        (443, ProtocolEnum::Https, forward),
    ] {
        let mut request = elbv2
            .create_listener()
            .load_balancer_arn(&balancer)
            .port(port)
            .protocol(protocol)
            .default_actions(action);
        if port == 443 {
            request =
                request.certificates(Certificate::builder().certificate_arn(certificate).build());
        }
        let listener = request.send().await.unwrap().listeners()[0]
            .listener_arn()
            .unwrap()
            .to_string();
        listeners.insert(listener);
    }

    // The database stack: InfluxDB's data on EFS (tagged with its construct's path, as CDK
    // names a file system), a mount target per private subnet, an access point for
    // InfluxDB's user; and Cloud Map's `edgemind.local` with the `influxdb` service.
    let efs = aws_sdk_efs::Client::new(&sdk);
    let file_system = efs
        .create_file_system()
        .creation_token("edgemind-prod-database-InfluxDbFileSystem")
        .encrypted(true)
        .tags(
            aws_sdk_efs::types::Tag::builder()
                .key("Name")
                .value("edgemind-prod-database/InfluxDbFileSystem")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .file_system_id()
        .to_string();
    for subnet in &network.subnets[2..] {
        efs.create_mount_target()
            .file_system_id(&file_system)
            .subnet_id(subnet)
            .security_groups(&groups["efs"])
            .send()
            .await
            .unwrap();
    }
    efs.create_access_point()
        .file_system_id(&file_system)
        .posix_user(
            aws_sdk_efs::types::PosixUser::builder()
                .uid(1000)
                .gid(1000)
                .build()
                .unwrap(),
        )
        .root_directory(
            aws_sdk_efs::types::RootDirectory::builder()
                .path("/influxdb")
                .creation_info(
                    aws_sdk_efs::types::CreationInfo::builder()
                        .owner_uid(1000)
                        .owner_gid(1000)
                        .permissions("755")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let discovery = aws_sdk_servicediscovery::Client::new(&sdk);
    discovery
        .create_private_dns_namespace()
        .name("edgemind.local")
        .vpc(&network.vpc)
        .send()
        .await
        .unwrap();
    let namespace = discovery
        .list_namespaces()
        .send()
        .await
        .unwrap()
        .namespaces()
        .iter()
        .find(|namespace| namespace.name() == Some("edgemind.local"))
        .and_then(|namespace| namespace.id())
        .unwrap()
        .to_string();
    let registry = discovery
        .create_service()
        .name("influxdb")
        .namespace_id(&namespace)
        .dns_config(
            aws_sdk_servicediscovery::types::DnsConfig::builder()
                .dns_records(
                    aws_sdk_servicediscovery::types::DnsRecord::builder()
                        .r#type(aws_sdk_servicediscovery::types::RecordType::A)
                        .ttl(60)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .service()
        .unwrap()
        .arn()
        .unwrap()
        .to_string();

    // The services, on task definitions of CDK's families, in the private subnets.
    let mut services = BTreeSet::new();
    for (key, ports, group) in [
        ("backend", vec![3000, 8080], "backend"),
        ("influxdb", vec![8086], "influxdb"),
        ("chromadb", vec![8000], "chromadb"),
    ] {
        let image = match key {
            "backend" => format!("{repository}:latest"),
            "influxdb" => "influxdb:2.7".to_string(),
            _ => "chromadb/chroma".to_string(),
        };
        let mut container = ContainerDefinition::builder()
            .name(key)
            .image(image)
            .essential(true);
        for port in ports {
            container =
                container.port_mappings(PortMapping::builder().container_port(port).build());
        }
        let definition = ecs
            .register_task_definition()
            .family(format!("edgemindprod{key}TaskDef6D3E4A55"))
            .network_mode(NetworkMode::Awsvpc)
            .requires_compatibilities(Compatibility::Fargate)
            .cpu("512")
            .memory("1024")
            .execution_role_arn(format!(
                "arn:aws:iam::123456789012:role/edgemind-prod-{key}-TaskDefExecutionRole-1ABC"
            ))
            .container_definitions(container.build())
            .send()
            .await
            .unwrap()
            .task_definition()
            .unwrap()
            .task_definition_arn()
            .unwrap()
            .to_string();
        let mut request = ecs
            .create_service()
            .cluster(&cluster)
            .service_name(format!("edgemind-prod-{key}"))
            .task_definition(definition)
            .desired_count(if key == "backend" { 2 } else { 1 })
            .launch_type(LaunchType::Fargate)
            .network_configuration(
                NetworkConfiguration::builder()
                    .awsvpc_configuration(
                        AwsVpcConfiguration::builder()
                            .subnets(&network.subnets[2])
                            .subnets(&network.subnets[3])
                            .security_groups(&groups[group])
                            .assign_public_ip(AssignPublicIp::Disabled)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            );
        if key == "backend" {
            request = request
                .load_balancers(
                    LoadBalancer::builder()
                        .target_group_arn(&target_group)
                        .container_name("backend")
                        .container_port(3000)
                        .build(),
                )
                .health_check_grace_period_seconds(60)
                .enable_execute_command(true);
        }
        if key == "influxdb" {
            request = request.service_registries(
                aws_sdk_ecs::types::ServiceRegistry::builder()
                    .registry_arn(&registry)
                    .build(),
            );
        }
        let service = request
            .send()
            .await
            .unwrap()
            .service()
            .unwrap()
            .service_arn()
            .unwrap()
            .to_string();
        services.insert(service);
    }

    // The backend's auto scaling, its policies named as CDK names them; and a scalable
    // target on ChromaDB, which the manifest does not scale: it comes with its service,
    // and the apply after adoption removes it.
    let scaling = aws_sdk_applicationautoscaling::Client::new(&sdk);
    scaling
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id("service/edgemind-prod-cluster/edgemind-prod-chromadb")
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .min_capacity(1)
        .max_capacity(2)
        .send()
        .await
        .unwrap();
    let resource = "service/edgemind-prod-cluster/edgemind-prod-backend";
    scaling
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .min_capacity(1)
        .max_capacity(4)
        .send()
        .await
        .unwrap();
    for (name, metric, target) in [
        (
            CPU_POLICY,
            MetricType::EcsServiceAverageCpuUtilization,
            70.0,
        ),
        (
            MEMORY_POLICY,
            MetricType::EcsServiceAverageMemoryUtilization,
            80.0,
        ),
    ] {
        scaling
            .put_scaling_policy()
            .policy_name(name)
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(resource)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .policy_type(PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(
                TargetTrackingScalingPolicyConfiguration::builder()
                    .target_value(target)
                    .predefined_metric_specification(
                        PredefinedMetricSpecification::builder()
                            .predefined_metric_type(metric)
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    let balancer_dns = elbv2
        .describe_load_balancers()
        .load_balancer_arns(&balancer)
        .send()
        .await
        .unwrap()
        .load_balancers()[0]
        .dns_name()
        .unwrap()
        .to_string();
    let distribution = make_frontend(moto, &balancer_dns, certificate, &zone).await;
    Made {
        network,
        file_system,
        balancer,
        listeners,
        target_group,
        services,
        certificate: certificate.to_string(),
        distribution,
    }
}

/// The backend's scaling policies: (name, target).
async fn policies(moto: &Moto) -> Vec<(String, i64)> {
    let scaling = aws_sdk_applicationautoscaling::Client::new(&moto.sdk().await);
    let mut found: Vec<(String, i64)> = scaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .send()
        .await
        .unwrap()
        .scaling_policies()
        .iter()
        .map(|policy| {
            let target = policy
                .target_tracking_scaling_policy_configuration()
                .map_or(0, |config| config.target_value() as i64);
            (policy.policy_name().to_string(), target)
        })
        .collect();
    found.sort();
    found
}

#[tokio::test]
async fn edgemind_made_as_its_cdk_app_names_it_is_adopted_and_nothing_is_replaced() {
    let moto = Moto::start();
    let made = make_edgemind(&moto).await;
    let dir = tempfile::tempdir().unwrap();
    frontend_files(dir.path());
    let manifest = written(&dir, "edgemind.yaml", &manifest());

    let preview = moto
        .edgectl(&["plan", "-f", &manifest, "--adopt"])
        .success();
    crate::adopt::takes_all(
        &preview.stdout,
        &[
            format!("= vpc <- VPC ({})", made.network.vpc),
            format!("= nat_gateway.1 <- NAT gateway ({})", made.network.nat),
            format!("= load_balancer.alb <- load balancer `{ALB}` ({})", made.balancer),
            format!(
                "= target_group.backend <- target group `{TARGET_GROUP}` ({})",
                made.target_group
            ),
            "= listener.alb-80 <- listener on port 80 (arn:".to_string(),
            "= listener.alb-443 <- listener on port 443 (arn:".to_string(),
            "= service.backend <- ECS service `edgemind-prod-backend` (arn:".to_string(),
            "= service.chromadb <- ECS service `edgemind-prod-chromadb` (arn:".to_string(),
            "= scaling.backend <- with `service.backend` (service/edgemind-prod-cluster/edgemind-prod-backend)".to_string(),
            "= scaling.chromadb <- with `service.chromadb` (service/edgemind-prod-cluster/edgemind-prod-chromadb)".to_string(),
            "it runs `123456789012.dkr.ecr.us-east-1.amazonaws.com/edgemind-prod-backend:latest` (task definition `edgemindprodbackendTaskDef6D3E4A55:1`, not adopted)".to_string(),
            format!("= security_group.alb <- security group `{}` (sg-", GROUPS[0].1),
            "= cluster.cluster <- ECS cluster `edgemind-prod-cluster` (arn:".to_string(),
            "= repository.backend <- ECR repository `edgemind-prod-backend`".to_string(),
            "= secret.mqtt <- secret `edgemind/mqtt` (arn:".to_string(),
            "= log_group.backend <- log group `/ecs/edgemind-prod-backend`".to_string(),
            "= namespace.local <- Cloud Map namespace `edgemind.local` (ns-".to_string(),
            "= discovery.influxdb <- Cloud Map service `influxdb` (arn:".to_string(),
            "= service.influxdb <- ECS service `edgemind-prod-influxdb` (arn:".to_string(),
            format!(
                "= certificate.site <- ACM certificate for `{DOMAIN}` (ISSUED, {})",
                made.certificate
            ),
            "= certificate_validation.site <- with `certificate.site`".to_string(),
            format!(
                "= distribution.cdn <- CloudFront distribution `{}` (",
                made.distribution
            ),
            format!("= record.sandbox.edge-mind.a <- record `{DOMAIN}` (A) in zone `{ZONE}`"),
            "= record.sandbox.site-validation-0.cname <- record `_".to_string(),
            "= bucket.frontend <- bucket `edgemind-prod-frontend`".to_string(),
            "= bucket.cdn-logs <- bucket `edgemind-prod-cdn-logs`".to_string(),
        ],
    );
    // What adopt writes besides ownership (`edgectl:retain` on the secrets the manifest
    // keeps) is no change of the plan after it.
    let secret = preview
        .stdout
        .split("\n\n")
        .find(|block| block.trim_start().starts_with("~ secret.mqtt ("))
        .unwrap_or_else(|| panic!("no update of secret.mqtt in:\n{}", preview.stdout));
    assert!(
        secret.contains("+ Name = \"edgemind/mqtt\"") && !secret.contains("edgectl:retain"),
        "{secret}"
    );
    assert!(
        preview
            .stdout
            .contains(" to update, 0 to replace, 1 to delete."),
        "{}",
        preview.stdout
    );

    let adopted = moto
        .edgectl(&["adopt", "-f", &manifest, "--auto-approve"])
        .success();
    assert!(
        adopted.stderr.contains("into stack `edgemind-prod`"),
        "{}",
        adopted.stderr
    );
    // CDK tags a file system with its construct's path, not a name the manifest gives: it
    // was not found. Named at its id with its access point, it is taken with its mount
    // targets (in the subnets adopted above).
    let pinned = format!("file_system.influxdb={}", made.file_system);
    let data = moto
        .edgectl(&[
            "adopt",
            "-f",
            &manifest,
            "--auto-approve",
            &pinned,
            "access_point.influxdb.data",
        ])
        .success();
    for line in [
        "adopted file_system.influxdb (file system `edgemind-prod-database/InfluxDbFileSystem`)",
        "adopted mount_target.influxdb.us-east-1a (with `file_system.influxdb`)",
        "adopted mount_target.influxdb.us-east-1b (with `file_system.influxdb`)",
        "adopted access_point.influxdb.data (access point)",
    ] {
        assert!(
            data.stderr.contains(line),
            "no `{line}` in:\n{}",
            data.stderr
        );
    }
    // The manifest keeps the file system on destroy: adopt says so at once, so that a
    // destroy before the next apply keeps it too.
    let efs = aws_sdk_efs::Client::new(&moto.sdk().await);
    let described = efs
        .describe_file_systems()
        .file_system_id(&made.file_system)
        .send()
        .await
        .unwrap();
    let retained = described.file_systems()[0]
        .tags()
        .iter()
        .any(|tag| tag.key() == "edgectl:retain" && tag.value() == "true");
    assert!(retained, "{:?}", described.file_systems()[0].tags());
    // What was adopted is planned in place; the task definitions and roles the stack makes
    // are created, and the services move onto them; ChromaDB's auto scaling goes.
    let plan = moto.edgectl(&["plan", "-f", &manifest]).success();
    assert!(
        plan.stdout.contains(" 0 to replace, 1 to delete."),
        "{}",
        plan.stdout
    );
    moto.edgectl(&["apply", "-f", &manifest, "--auto-approve"])
        .success();
    let clean = moto.edgectl(&["plan", "-f", &manifest, "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}\n{}", clean.stdout, clean.stderr);

    // The same resources, and CDK's policies kept (none added beside them).
    let sdk = moto.sdk().await;
    let elbv2 = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);
    let balancers = elbv2.describe_load_balancers().send().await.unwrap();
    let arns: Vec<&str> = balancers
        .load_balancers()
        .iter()
        .filter_map(|lb| lb.load_balancer_arn())
        .collect();
    assert_eq!(arns, [made.balancer.as_str()]);
    let listeners: BTreeSet<String> = elbv2
        .describe_listeners()
        .load_balancer_arn(&made.balancer)
        .send()
        .await
        .unwrap()
        .listeners()
        .iter()
        .filter_map(|listener| listener.listener_arn().map(str::to_string))
        .collect();
    assert_eq!(listeners, made.listeners);
    let groups = elbv2.describe_target_groups().send().await.unwrap();
    let groups: Vec<&str> = groups
        .target_groups()
        .iter()
        .filter_map(|group| group.target_group_arn())
        .collect();
    assert_eq!(groups, [made.target_group.as_str()]);
    let ecs = aws_sdk_ecs::Client::new(&sdk);
    let services: BTreeSet<String> = ecs
        .list_services()
        .cluster("edgemind-prod-cluster")
        .send()
        .await
        .unwrap()
        .service_arns()
        .iter()
        .cloned()
        .collect();
    assert_eq!(services, made.services);
    // The frontend: the same distribution (its alias record unchanged, pointing at it),
    // the same certificate, and no other.
    let cloudfront = aws_sdk_cloudfront::Client::new(&sdk);
    let listed = cloudfront.list_distributions().send().await.unwrap();
    let distributions: Vec<&str> = listed
        .distribution_list()
        .map(|list| list.items())
        .unwrap_or_default()
        .iter()
        .map(|summary| summary.id())
        .collect();
    assert_eq!(distributions, [made.distribution.as_str()]);
    let acm = aws_sdk_acm::Client::new(&sdk);
    let listed = acm.list_certificates().send().await.unwrap();
    let certificates: Vec<&str> = listed
        .certificate_summary_list()
        .iter()
        .filter_map(|summary| summary.certificate_arn())
        .collect();
    assert_eq!(certificates, [made.certificate.as_str()]);
    assert_eq!(
        policies(&moto).await,
        [
            (CPU_POLICY.to_string(), 70),
            (MEMORY_POLICY.to_string(), 80)
        ]
    );
}
