//! Lowering: ECS services: task definition, count, network, load balancer, deployment.

use super::uses::Uses;
use crate::aws::ecs::service::{KEEP_COUNT, LoadBalancerTarget, ServiceProps};
use crate::aws::ids::{
    cluster_id, group_id, mount_targets_of, service_id, subnet_id, target_group_id,
    task_definition_id,
};
use crate::aws::tags;
use crate::engine::model::{Desired, Value, Why};
use crate::engine::typed::Properties as _;
use crate::manifest::{Manifest, Service};

pub fn desired(manifest: &Manifest, uses: &mut Uses) -> Vec<Desired> {
    let mut out: Vec<Desired> = manifest
        .containers
        .services
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
    out.extend(super::autoscaling::desired(manifest));
    out
}

pub fn desired_for(manifest: &Manifest, service: &Service) -> Desired {
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
        registry: service
            .discovery
            .as_ref()
            .map(|_| Value::Ref(crate::aws::ids::discovery_id(&service.key))),
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
