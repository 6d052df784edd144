//! The network layer end to end: apply from empty, check AWS through the SDK (not through
//! edgectl's own observe), each kind of change, destroy, and ownership.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{Filter, NatGatewayState, Tag, VpcAttributeName};

use crate::harness::{Moto, Run, root, settings, written};

const STACK: &str = "network-demo";
const MANIFEST: &str = "examples/network.yaml";

fn owned() -> Filter {
    Filter::builder()
        .name("tag:edgectl:stack")
        .values(STACK)
        .build()
}

fn tag<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|tag| tag.key() == Some(key))
        .and_then(|tag| tag.value())
}

/// Every live, owned AWS object's `edgectl:id`, with how many carry it. A security group
/// and its rules are one object: 18 logical resources of the example are 15 objects.
async fn owned_ids(ec2: &Client) -> BTreeMap<String, usize> {
    let mut ids = BTreeMap::new();
    let mut count = |tags: &[Tag]| {
        if let Some(id) = tag(tags, "edgectl:id") {
            *ids.entry(id.to_string()).or_insert(0) += 1;
        }
    };
    ec2.describe_vpcs()
        .filters(owned())
        .send()
        .await
        .unwrap()
        .vpcs()
        .iter()
        .for_each(|item| count(item.tags()));
    ec2.describe_subnets()
        .filters(owned())
        .send()
        .await
        .unwrap()
        .subnets()
        .iter()
        .for_each(|item| count(item.tags()));
    ec2.describe_internet_gateways()
        .filters(owned())
        .send()
        .await
        .unwrap()
        .internet_gateways()
        .iter()
        .for_each(|item| count(item.tags()));
    ec2.describe_addresses()
        .filters(owned())
        .send()
        .await
        .unwrap()
        .addresses()
        .iter()
        .for_each(|item| count(item.tags()));
    ec2.describe_route_tables()
        .filters(owned())
        .send()
        .await
        .unwrap()
        .route_tables()
        .iter()
        .for_each(|item| count(item.tags()));
    ec2.describe_security_groups()
        .filters(owned())
        .send()
        .await
        .unwrap()
        .security_groups()
        .iter()
        .for_each(|item| count(item.tags()));
    // Deleted endpoints (and NAT gateways) stay listed for a while, on AWS as on moto.
    ec2.describe_vpc_endpoints()
        .filters(owned())
        .send()
        .await
        .unwrap()
        .vpc_endpoints()
        .iter()
        .filter(|endpoint| {
            !endpoint
                .state()
                .is_some_and(|state| state.as_str().eq_ignore_ascii_case("deleted"))
        })
        .for_each(|item| count(item.tags()));
    ec2.describe_nat_gateways()
        .filter(owned())
        .send()
        .await
        .unwrap()
        .nat_gateways()
        .iter()
        .filter(|gateway| gateway.state() != Some(&NatGatewayState::Deleted))
        .for_each(|item| count(item.tags()));
    ids
}

fn write_manifest(dir: &tempfile::TempDir, text: &str) -> String {
    written(dir, "network.yaml", text)
}

/// The first `from` only: the example repeats some lines.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "the example no longer contains `{from}`"
    );
    text.replacen(from, to, 1)
}

#[tokio::test(flavor = "multi_thread")]
async fn network_lifecycle() {
    let moto = Moto::start();
    let ec2 = moto.ec2().await;
    // Someone else's VPC with the same CIDR and a look-alike name: edgectl must never touch it.
    let bystander = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::Vpc)
                .tags(Tag::builder().key("Name").value("network-demo-vpc").build())
                .build(),
        )
        .send()
        .await
        .unwrap()
        .vpc()
        .and_then(|vpc| vpc.vpc_id())
        .unwrap()
        .to_string();

    moto.edgectl(&["apply", "-f", MANIFEST, "--auto-approve"])
        .success();

    // The VPC, through the SDK.
    let vpcs = ec2.describe_vpcs().filters(owned()).send().await.unwrap();
    assert_eq!(vpcs.vpcs().len(), 1);
    let vpc = &vpcs.vpcs()[0];
    let vpc_id = vpc.vpc_id().unwrap().to_string();
    assert_ne!(vpc_id, bystander);
    assert_eq!(vpc.cidr_block(), Some("10.0.0.0/16"));
    assert_eq!(tag(vpc.tags(), "project"), Some("edgectl-examples"));
    assert_eq!(tag(vpc.tags(), "edgectl:id"), Some("vpc"));
    let hostnames = ec2
        .describe_vpc_attribute()
        .vpc_id(&vpc_id)
        .attribute(VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .unwrap();
    assert_eq!(
        hostnames
            .enable_dns_hostnames()
            .and_then(|value| value.value()),
        Some(true)
    );

    // Subnets: the n-th CIDR of each tier in the n-th zone.
    let subnets = ec2
        .describe_subnets()
        .filters(owned())
        .send()
        .await
        .unwrap();
    let layout: BTreeMap<&str, (&str, &str)> = subnets
        .subnets()
        .iter()
        .inspect(|subnet| assert_eq!(subnet.vpc_id(), Some(vpc_id.as_str())))
        .map(|subnet| {
            (
                tag(subnet.tags(), "Name").unwrap(),
                (
                    subnet.cidr_block().unwrap(),
                    subnet.availability_zone().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(
        layout,
        BTreeMap::from([
            ("network-demo-private-1", ("10.0.10.0/24", "us-east-1a")),
            ("network-demo-private-2", ("10.0.11.0/24", "us-east-1b")),
            ("network-demo-public-1", ("10.0.0.0/24", "us-east-1a")),
            ("network-demo-public-2", ("10.0.1.0/24", "us-east-1b")),
        ])
    );
    let subnet_id = |name: &str| {
        subnets
            .subnets()
            .iter()
            .find(|subnet| tag(subnet.tags(), "Name") == Some(name))
            .and_then(|subnet| subnet.subnet_id())
            .unwrap()
            .to_string()
    };

    // One internet gateway, attached; one NAT gateway, in the first public subnet.
    let gateways = ec2
        .describe_internet_gateways()
        .filters(owned())
        .send()
        .await
        .unwrap();
    assert_eq!(gateways.internet_gateways().len(), 1);
    let igw = gateways.internet_gateways()[0]
        .internet_gateway_id()
        .unwrap()
        .to_string();
    assert_eq!(
        gateways.internet_gateways()[0].attachments()[0].vpc_id(),
        Some(vpc_id.as_str())
    );
    let nats = ec2
        .describe_nat_gateways()
        .filter(owned())
        .send()
        .await
        .unwrap();
    assert_eq!(nats.nat_gateways().len(), 1);
    let nat = &nats.nat_gateways()[0];
    assert_eq!(
        nat.subnet_id(),
        Some(subnet_id("network-demo-public-1").as_str())
    );
    assert_eq!(nat.state(), Some(&NatGatewayState::Available));
    let nat_id = nat.nat_gateway_id().unwrap().to_string();

    // Routes: public tables out through the internet gateway, private ones through the NAT.
    let tables = ec2
        .describe_route_tables()
        .filters(owned())
        .send()
        .await
        .unwrap();
    let routes: BTreeMap<&str, (Option<&str>, BTreeSet<String>)> = tables
        .route_tables()
        .iter()
        .map(|table| {
            let default = table
                .routes()
                .iter()
                .find(|route| route.destination_cidr_block() == Some("0.0.0.0/0"));
            let target = default.and_then(|route| route.nat_gateway_id().or(route.gateway_id()));
            let associated = table
                .associations()
                .iter()
                .filter_map(|association| association.subnet_id().map(str::to_string))
                .collect();
            (tag(table.tags(), "Name").unwrap(), (target, associated))
        })
        .collect();
    let public_subnets = BTreeSet::from([
        subnet_id("network-demo-public-1"),
        subnet_id("network-demo-public-2"),
    ]);
    assert_eq!(
        routes["network-demo-public"],
        (Some(igw.as_str()), public_subnets)
    );
    assert_eq!(
        routes["network-demo-private-1"],
        (
            Some(nat_id.as_str()),
            BTreeSet::from([subnet_id("network-demo-private-1")])
        )
    );
    assert_eq!(
        routes["network-demo-private-2"],
        (
            Some(nat_id.as_str()),
            BTreeSet::from([subnet_id("network-demo-private-2")])
        )
    );

    // Security groups: the ALB -> backend -> database chain, by group reference.
    let groups = ec2
        .describe_security_groups()
        .filters(owned())
        .send()
        .await
        .unwrap();
    let group = |name: &str| {
        groups
            .security_groups()
            .iter()
            .find(|group| group.group_name() == Some(name))
            .unwrap()
    };
    let alb = group("network-demo-alb");
    let backend = group("network-demo-backend");
    let database = group("network-demo-database");
    let ingress_from = |group: &aws_sdk_ec2::types::SecurityGroup| -> BTreeSet<(i32, String)> {
        group
            .ip_permissions()
            .iter()
            .flat_map(|permission| {
                let port = permission.from_port().unwrap();
                let cidrs = permission
                    .ip_ranges()
                    .iter()
                    .map(move |range| (port, range.cidr_ip().unwrap().to_string()));
                let groups = permission
                    .user_id_group_pairs()
                    .iter()
                    .map(move |pair| (port, pair.group_id().unwrap().to_string()));
                cidrs.chain(groups).collect::<Vec<_>>()
            })
            .collect()
    };
    assert_eq!(
        ingress_from(alb),
        BTreeSet::from([
            (80, "0.0.0.0/0".to_string()),
            (443, "0.0.0.0/0".to_string())
        ])
    );
    let alb_id = alb.group_id().unwrap().to_string();
    assert_eq!(
        ingress_from(backend),
        BTreeSet::from([(3000, alb_id.clone()), (8080, alb_id)])
    );
    assert_eq!(
        ingress_from(database),
        BTreeSet::from([(5432, backend.group_id().unwrap().to_string())])
    );
    assert!(
        database.ip_permissions_egress().is_empty(),
        "`egress: []` removes AWS's default allow-all"
    );
    assert_eq!(backend.ip_permissions_egress()[0].ip_protocol(), Some("-1"));

    // The S3 gateway endpoint, routed from every table.
    let endpoints = ec2
        .describe_vpc_endpoints()
        .filters(owned())
        .send()
        .await
        .unwrap();
    assert_eq!(endpoints.vpc_endpoints().len(), 1);
    assert_eq!(
        endpoints.vpc_endpoints()[0].service_name(),
        Some("com.amazonaws.us-east-1.s3")
    );
    assert_eq!(endpoints.vpc_endpoints()[0].route_table_ids().len(), 3);

    // A plan right after apply is empty.
    let noop = moto.edgectl(&["plan", "-f", MANIFEST, "--detailed-exitcode"]);
    assert_eq!(noop.code, 0, "{}", noop.stdout);
    assert!(
        noop.stdout
            .contains("No changes: 18 resources match the manifest."),
        "{}",
        noop.stdout
    );

    // Each kind of change plans exactly that, applies, and converges.
    let dir = tempfile::tempdir().unwrap();
    let mut text = std::fs::read_to_string(root().join(MANIFEST)).unwrap();
    let changes = [
        (
            "add_subnet",
            "    private: [10.0.10.0/24, 10.0.11.0/24]\n",
            "    private: [10.0.10.0/24, 10.0.11.0/24]\n    isolated: [10.0.20.0/24]\n",
        ),
        (
            "change_rule",
            "{ ports: [3000, 8080], from: alb }",
            "{ ports: [3000, 9090], from: alb }",
        ),
        ("nat_per_zone", "nat: single", "nat: per-zone"),
        (
            "replace_subnet",
            "isolated: [10.0.20.0/24]",
            "isolated: [10.0.21.0/24]",
        ),
    ];
    for (name, from, to) in changes {
        text = edit(&text, from, to);
        let path = write_manifest(&dir, &text);
        let planned = moto.edgectl(&["plan", "-f", &path, "--detailed-exitcode"]);
        assert_eq!(planned.code, 2, "{name}: {}", planned.stderr);
        settings().bind(|| insta::assert_snapshot!(format!("change_{name}"), planned.stdout));
        moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
            .success();
        let after = moto.edgectl(&["plan", "-f", &path, "--detailed-exitcode"]);
        assert_eq!(after.code, 0, "{name} did not converge:\n{}", after.stdout);
    }
    // After the changes: two NAT gateways, and the isolated subnet with its new CIDR.
    let nats = ec2
        .describe_nat_gateways()
        .filter(owned())
        .send()
        .await
        .unwrap();
    let live_nats = nats
        .nat_gateways()
        .iter()
        .filter(|gateway| gateway.state() == Some(&NatGatewayState::Available))
        .count();
    assert_eq!(live_nats, 2);
    let subnets = ec2
        .describe_subnets()
        .filters(owned())
        .send()
        .await
        .unwrap();
    let isolated: Vec<&str> = subnets
        .subnets()
        .iter()
        .filter(|subnet| tag(subnet.tags(), "edgectl:id") == Some("subnet.isolated-1"))
        .filter_map(|subnet| subnet.cidr_block())
        .collect();
    assert_eq!(isolated, ["10.0.21.0/24"]);
    // No duplicates anywhere.
    assert!(owned_ids(&ec2).await.values().all(|count| *count == 1));

    // Destroy leaves nothing tagged, and the bystander VPC where it was.
    let path = write_manifest(&dir, &text);
    let destroyed = moto
        .edgectl(&["destroy", "-f", &path, "--auto-approve"])
        .success();
    assert!(
        destroyed
            .stdout
            .contains("Plan: 0 to create, 0 to update, 0 to replace, 22 to delete."),
        "{}",
        destroyed.stdout
    );
    let endpoints = ec2
        .describe_vpc_endpoints()
        .filters(owned())
        .send()
        .await
        .unwrap();
    assert_eq!(
        owned_ids(&ec2).await,
        BTreeMap::new(),
        "{endpoints:?}\n{}",
        destroyed.stderr
    );
    let all_vpcs = ec2.describe_vpcs().send().await.unwrap();
    assert!(
        all_vpcs
            .vpcs()
            .iter()
            .any(|vpc| vpc.vpc_id() == Some(bystander.as_str()))
    );
    let again = moto.edgectl(&["plan", "-f", MANIFEST, "--detailed-exitcode"]);
    assert_eq!(again.code, 2);
}

/// An apply that died after some creates (here: a VPC created and tagged by an earlier,
/// interrupted run) is continued, not duplicated.
#[tokio::test(flavor = "multi_thread")]
async fn apply_continues_from_partial_state() {
    let moto = Moto::start();
    let ec2 = moto.ec2().await;
    let tags = [
        ("edgectl:stack", STACK),
        ("edgectl:id", "vpc"),
        ("Name", "network-demo-vpc"),
        ("project", "edgectl-examples"),
    ];
    let spec = aws_sdk_ec2::types::TagSpecification::builder()
        .resource_type(aws_sdk_ec2::types::ResourceType::Vpc)
        .set_tags(Some(
            tags.iter()
                .map(|(key, value)| Tag::builder().key(*key).value(*value).build())
                .collect(),
        ))
        .build();
    let vpc_id = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .tag_specifications(spec)
        .send()
        .await
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_string();

    let planned = moto.edgectl(&["plan", "-f", MANIFEST]).success();
    // The half-made VPC is adopted: only its DNS hostnames flag (set after create) is missing.
    assert!(
        planned
            .stdout
            .contains(&format!("~ vpc ({vpc_id})  update in place")),
        "{}",
        planned.stdout
    );
    assert!(
        planned
            .stdout
            .contains("Plan: 17 to create, 1 to update, 0 to replace, 0 to delete."),
        "{}",
        planned.stdout
    );
    moto.edgectl(&["apply", "-f", MANIFEST, "--auto-approve"])
        .success();
    let ids = owned_ids(&ec2).await;
    assert_eq!(ids.len(), 15);
    assert!(ids.values().all(|count| *count == 1), "{ids:?}");
    let vpcs = ec2.describe_vpcs().filters(owned()).send().await.unwrap();
    assert_eq!(vpcs.vpcs()[0].vpc_id(), Some(vpc_id.as_str()));
}

/// An apply killed at an arbitrary instant and run again converges with no duplicates.
#[tokio::test(flavor = "multi_thread")]
async fn killed_apply_converges_on_rerun() {
    let moto = Moto::start();
    let ec2 = moto.ec2().await;
    for delay_ms in [40, 120] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_edgectl"))
            .args(["apply", "-f", MANIFEST, "--auto-approve", "--no-progress"])
            .current_dir(root())
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
        let rerun: Run = moto
            .edgectl(&["apply", "-f", MANIFEST, "--auto-approve"])
            .success();
        assert!(rerun.code == 0);
        let ids = owned_ids(&ec2).await;
        assert_eq!(ids.len(), 15, "{ids:?}");
        assert!(
            ids.values().all(|count| *count == 1),
            "duplicates after a kill at {delay_ms}ms: {ids:?}"
        );
        assert_eq!(
            moto.edgectl(&["plan", "-f", MANIFEST, "--detailed-exitcode"])
                .code,
            0
        );
        moto.edgectl(&["destroy", "-f", MANIFEST, "--auto-approve"])
            .success();
    }
}
