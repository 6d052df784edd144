//! Cloud Map service discovery end to end on `examples/service.yaml`: a private DNS
//! namespace in the stack's VPC, the service's discovery service, and the ECS service
//! registered with it, so that `web.service-demo.local` resolves to the service's tasks;
//! read back through the SDK; a clean plan; a TTL and a description changed in place; a
//! renamed discovery name replacing its discovery service; a namespace of the name made by
//! someone else for the stack's VPC refused and left untouched; destroy in dependency
//! order (the registry emptied before its service, the services before the namespace).
//!
//! moto is patched (scripts/patch-moto.py 11-14) to filter ListServices by namespace, to
//! make the namespace's hosted zone as AWS does, to register an ECS service's tasks with
//! its registry, and to refuse deleting a namespace with services or a service with
//! instances, as AWS does. Its Cloud Map operations succeed at once; AWS's take seconds
//! (edgectl waits for each).

use crate::harness::{Moto, settings, summary};

fn manifest(
    certificate: &str,
    dir: &tempfile::TempDir,
    namespace: &str,
    discovery: &str,
) -> String {
    crate::harness::service_example(
        certificate,
        dir,
        &[
            (
                "\nrepositories:\n",
                &format!("\nnamespaces:\n{namespace}\nrepositories:\n"),
            ),
            (
                "    logs: { retention_days: 7 }\n",
                &format!("    logs: {{ retention_days: 7 }}\n    discovery: {discovery}\n"),
            ),
        ],
    )
}

const NAMESPACE: &str =
    "  local:\n    name: service-demo.local\n    description: Service discovery";

#[tokio::test(flavor = "multi_thread")]
async fn discovery_lifecycle() {
    let moto = Moto::start();
    let certificate = moto.certificate();
    let dir = tempfile::tempdir().unwrap();
    let path = manifest(&certificate, &dir, NAMESPACE, "true");
    let sdk = moto.sdk().await;
    let cloudmap = aws_sdk_servicediscovery::Client::new(&sdk);
    let ecs = aws_sdk_ecs::Client::new(&sdk);
    let route53 = aws_sdk_route53::Client::new(&sdk);

    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let namespaces = cloudmap.list_namespaces().send().await.unwrap();
    let namespace = namespaces
        .namespaces()
        .iter()
        .find(|namespace| namespace.name() == Some("service-demo.local"))
        .expect("the namespace")
        .clone();
    assert_eq!(namespace.description(), Some("Service discovery"));
    let tags = cloudmap
        .list_tags_for_resource()
        .resource_arn(namespace.arn().unwrap())
        .send()
        .await
        .unwrap();
    let tag = |key: &str| {
        tags.tags()
            .iter()
            .find(|tag| tag.key() == key)
            .map(|tag| tag.value().to_string())
    };
    assert_eq!(tag("edgectl:id").as_deref(), Some("namespace.local"));
    // Made in the stack's VPC: its hosted zone serves it.
    let vpc = tag("edgectl:vpc").unwrap();
    let described = cloudmap
        .get_namespace()
        .id(namespace.id().unwrap())
        .send()
        .await
        .unwrap();
    let zone = described
        .namespace()
        .unwrap()
        .properties()
        .unwrap()
        .dns_properties()
        .unwrap()
        .hosted_zone_id()
        .unwrap()
        .to_string();
    let zone = route53.get_hosted_zone().id(&zone).send().await.unwrap();
    assert!(
        zone.vpcs()
            .iter()
            .any(|listed| listed.vpc_id() == Some(vpc.as_str())),
        "{zone:?}"
    );

    let services = cloudmap.list_services().send().await.unwrap();
    let service = services.services()[0].clone();
    assert_eq!(service.name(), Some("web"));
    let records = service.dns_config().unwrap().dns_records();
    assert_eq!(records[0].ttl(), 60);
    // The ECS service is registered with it, and the name resolves to its tasks.
    let listed = ecs
        .describe_services()
        .cluster("service-demo-main")
        .services("service-demo-web")
        .send()
        .await
        .unwrap();
    let registries = listed.services()[0].service_registries();
    assert_eq!(registries.len(), 1);
    assert_eq!(registries[0].registry_arn(), service.arn());
    // The tasks' addresses, as DNS answers them (DiscoverInstances is served on a
    // `data-` host the SDK cannot put before a local endpoint: ListInstances reads the
    // same registrations).
    let found = cloudmap
        .list_instances()
        .service_id(service.id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(found.instances().len(), 2, "one per task: {found:?}");
    assert!(found.instances().iter().all(|instance| {
        instance
            .attributes()
            .is_some_and(|attributes| attributes.contains_key("AWS_INSTANCE_IPV4"))
    }));

    let plan = moto.edgectl(&["plan", "-f", &path]).success();
    assert!(summary(&plan).starts_with("No changes"), "{}", plan.stdout);

    // In place: the TTL, the namespace's description.
    let changed = manifest(
        &certificate,
        &dir,
        "  local:\n    name: service-demo.local\n    description: Discovery",
        "{ ttl: 10 }",
    );
    let plan = moto.edgectl(&["plan", "-f", &changed]).success();
    assert_eq!(
        summary(&plan),
        "Plan: 0 to create, 2 to update, 0 to replace, 0 to delete.",
        "{}",
        plan.stdout
    );
    moto.edgectl(&["apply", "-f", &changed, "--auto-approve"])
        .success();
    let services = cloudmap.list_services().send().await.unwrap();
    assert_eq!(
        services.services()[0].dns_config().unwrap().dns_records()[0].ttl(),
        10
    );
    let plan = moto.edgectl(&["plan", "-f", &changed]).success();
    assert!(summary(&plan).starts_with("No changes"), "{}", plan.stdout);

    // A new name is a new discovery service; the ECS service moves to it.
    let renamed = manifest(
        &certificate,
        &dir,
        "  local:\n    name: service-demo.local\n    description: Discovery",
        "{ name: api, ttl: 10 }",
    );
    let plan = moto.edgectl(&["plan", "-f", &renamed]).success();
    settings().bind(|| insta::assert_snapshot!("discovery_rename", plan.stdout));

    // A namespace of the name someone else made for the stack's VPC: refused, untouched.
    let theirs = cloudmap
        .create_private_dns_namespace()
        .name("other.local")
        .vpc(&vpc)
        .send()
        .await
        .unwrap();
    let operation = cloudmap
        .get_operation()
        .operation_id(theirs.operation_id().unwrap())
        .send()
        .await
        .unwrap();
    let theirs = operation.operation().unwrap().targets().unwrap()
        [&aws_sdk_servicediscovery::types::OperationTargetType::Namespace]
        .clone();
    let lookalike = manifest(
        &certificate,
        &dir,
        "  local:\n    name: service-demo.local\n    description: Discovery\n  other:\n    name: other.local",
        "{ namespace: local, ttl: 10 }",
    );
    let refused = moto.edgectl(&["apply", "-f", &lookalike, "--auto-approve"]);
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("Cloud Map namespace `other.local`")
            && refused.stderr.contains("no edgectl tags"),
        "{}",
        refused.stderr
    );
    let untouched = cloudmap
        .list_tags_for_resource()
        .resource_arn(format!(
            "arn:aws:servicediscovery:us-east-1:123456789012:namespace/{theirs}"
        ))
        .send()
        .await
        .unwrap();
    assert!(untouched.tags().is_empty());

    // Destroy: the ECS service (and its registrations), the discovery service, the
    // namespace — moto (patched) refuses any other order, as AWS does.
    moto.edgectl(&["destroy", "-f", &changed, "--auto-approve"])
        .success();
    let left = cloudmap.list_namespaces().send().await.unwrap();
    let names: Vec<_> = left.namespaces().iter().filter_map(|n| n.name()).collect();
    assert_eq!(names, ["other.local"], "only someone else's is left");
    assert!(
        cloudmap
            .list_services()
            .send()
            .await
            .unwrap()
            .services()
            .is_empty()
    );
}
