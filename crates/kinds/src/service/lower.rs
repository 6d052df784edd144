//! Lowering: ECS services: task definition, count, network, load balancer, deployment.

use std::collections::{BTreeMap, BTreeSet};

use super::manifest::Service;
use crate::aws::ids::{
    cluster_id, group_id, mount_targets_of, service_id, subnet_id, target_group_id,
    task_definition_id,
};
use crate::aws::tags;
use crate::engine::model::{Desired, Value, Why};
use crate::engine::typed::Properties as _;
use crate::lower::uses::Uses;
use crate::manifest::Manifest;

const KEEP_COUNT: &str = "auto scaling sets the task count between `min` and `max`";

crate::engine::properties! {
    /// A Fargate service: what its lowering builds and its observe reads.
    pub struct ServiceProps (changes: ServiceChanges) {
        pub name: String => Replace,
        /// By reference.
        pub cluster: Value => Replace,
        /// `FARGATE`, or `capacity-providers` (the cluster's default strategy decides).
        pub launch: String => Replace,
        /// By reference.
        pub task_definition: Value => InPlace,
        /// A number; in the lowering, one auto scaling owns is kept live ([`KEEP_COUNT`]),
        /// a number again once the plan settles it.
        pub desired_count: Value => InPlace,
        /// By reference.
        pub subnets: BTreeSet<Value> => InPlace,
        /// By reference.
        pub security_groups: BTreeSet<Value> => InPlace,
        pub public_ip: bool => InPlace,
        pub load_balancer: Option<LoadBalancerTarget> => InPlace,
        /// The Cloud Map service the tasks are registered with, by reference.
        pub registry: Option<Value> => InPlace,
        /// Seconds.
        pub grace_period: Option<i64> => InPlace,
        pub min_percent: i64 => InPlace,
        pub max_percent: i64 => InPlace,
        pub rollback: bool => InPlace,
        pub execute_command: bool => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

crate::engine::record! {
    /// The target group a service's container is registered with, on its port.
    pub struct LoadBalancerTarget {
        /// By reference.
        pub target_group: Value,
        pub container: String,
        pub port: i64,
    }
}

pub fn desired(services: &[Service], manifest: &Manifest, uses: &mut Uses) -> Vec<Desired> {
    let mut out: Vec<Desired> = services
        .iter()
        .map(|service| {
            // Its tasks stop when a file system they mount has no mount target in their
            // subnet yet.
            for volume in &service.volumes {
                uses.after_family(
                    &service_id(&service.key),
                    mount_targets_of(&volume.file_system),
                );
            }
            desired_for(manifest, service)
        })
        .collect();
    out.extend(super::scaling_lower::desired(services, manifest));
    out
}

fn desired_for(manifest: &Manifest, service: &Service) -> Desired {
    let network = manifest.network.as_ref();
    let subnets = network.map_or(0, |network| network.subnets(service.subnets).len());
    // A cluster with a default strategy places the service by it (no launch type).
    let uses_strategy = manifest
        .declared
        .listed("clusters", &service.cluster, "default_strategy")
        > 0;
    let count = Value::Int(service.count);
    let props = ServiceProps {
        name: service.name.clone(),
        cluster: Value::Ref(cluster_id(&service.cluster)),
        launch: String::from(if uses_strategy {
            "capacity-providers"
        } else {
            "FARGATE"
        }),
        task_definition: Value::Ref(task_definition_id(&service.key)),
        desired_count: if service.autoscale.is_some() {
            Value::KeepLive(Box::new(count), Why(KEEP_COUNT))
        } else {
            count
        },
        subnets: (0..subnets)
            .map(|index| Value::Ref(subnet_id(service.subnets.as_str(), index)))
            .collect(),
        security_groups: service
            .security_groups
            .iter()
            .map(|group| Value::Ref(group_id(group)))
            .collect(),
        public_ip: service.public_ip,
        load_balancer: service.expose.as_ref().map(|expose| LoadBalancerTarget {
            target_group: Value::Ref(target_group_id(&service.key)),
            container: expose.container.clone(),
            port: expose.port.into(),
        }),
        // Registered with Cloud Map when the `namespaces` kind names it in a namespace.
        registry: manifest
            .is_attached("namespaces", "services", &service.key)
            .then(|| Value::Ref(crate::aws::ids::discovery_id(&service.key))),
        grace_period: service.grace_period,
        min_percent: service.min_percent,
        max_percent: service.max_percent,
        rollback: service.rollback,
        execute_command: service.execute_command,
        tags: tags::desired_tag_map(&manifest.tags, &service.name),
    };
    Desired {
        id: service_id(&service.key),
        props: props.into_props(),
        // After the listeners that forward to it (ECS refuses a service whose target
        // group no listener uses yet) and the mount targets of what it mounts: through
        // `uses`, as those kinds record it.
        after: Vec::new(),
    }
}
