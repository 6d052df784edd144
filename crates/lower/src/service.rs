//! Lowering: ECS services: task definition, count, network, load balancer, deployment.

use super::Env;
use super::cluster::cluster_id;
use super::load_balancer::forwarders;
use super::subnet::subnet_id;
use super::target_group::target_group_id;
use super::task_definition::task_definition_id;
use crate::aws::ec2::security_group::group_id;
use crate::aws::ecs::service::{KEEP_COUNT, service_id};
use crate::aws::tags;
use crate::engine::model::{Desired, Mode, Value, Why, props};
use crate::manifest::{Manifest, Service};

pub fn desired(manifest: &Manifest, env: &Env) -> Vec<Desired> {
    let mut out: Vec<Desired> = manifest
        .containers
        .services
        .iter()
        .map(|service| desired_for(manifest, env, service))
        .collect();
    out.extend(super::autoscaling::desired(manifest));
    out
}

pub fn desired_for(manifest: &Manifest, env: &Env, service: &Service) -> Desired {
    let network = manifest.network.as_ref();
    let subnets = network.map_or(0, |network| network.subnets(service.subnets).len());
    let uses_strategy = manifest
        .containers
        .clusters
        .iter()
        .any(|cluster| cluster.key == service.cluster && !cluster.default_strategy.is_empty());
    let load_balancer = service.expose.as_ref().map_or(Value::Null, |expose| {
        Value::map([
            ("target_group", Value::Ref(target_group_id(&service.key))),
            ("container", Value::str(&expose.container)),
            ("port", Value::Int(expose.port.into())),
        ])
    });
    let count = Value::Int(service.count);
    Desired {
        id: service_id(&service.key),
        props: props([
            ("name", Value::str(&service.name), Mode::Replace),
            (
                "cluster",
                Value::Ref(cluster_id(&service.cluster)),
                Mode::Replace,
            ),
            (
                "launch",
                Value::str(if uses_strategy {
                    "capacity-providers"
                } else {
                    "FARGATE"
                }),
                Mode::Replace,
            ),
            (
                "task_definition",
                Value::Ref(task_definition_id(&service.key)),
                Mode::InPlace,
            ),
            (
                "desired_count",
                if service.autoscale.is_some() {
                    Value::KeepLive(Box::new(count), Why(KEEP_COUNT))
                } else {
                    count
                },
                Mode::InPlace,
            ),
            (
                "subnets",
                Value::Set(
                    (0..subnets)
                        .map(|index| Value::Ref(subnet_id(service.subnets, index)))
                        .collect(),
                ),
                Mode::InPlace,
            ),
            (
                "security_groups",
                Value::Set(
                    service
                        .security_groups
                        .iter()
                        .map(|group| Value::Ref(group_id(group)))
                        .collect(),
                ),
                Mode::InPlace,
            ),
            ("public_ip", Value::Bool(service.public_ip), Mode::InPlace),
            ("load_balancer", load_balancer, Mode::InPlace),
            (
                "grace_period",
                service.grace_period.map_or(Value::Null, Value::Int),
                Mode::InPlace,
            ),
            (
                "min_percent",
                Value::Int(service.min_percent),
                Mode::InPlace,
            ),
            (
                "max_percent",
                Value::Int(service.max_percent),
                Mode::InPlace,
            ),
            ("rollback", Value::Bool(service.rollback), Mode::InPlace),
            (
                "execute_command",
                Value::Bool(service.execute_command),
                Mode::InPlace,
            ),
            (
                "registry",
                service.discovery.as_ref().map_or(Value::Null, |_| {
                    Value::Ref(crate::aws::servicediscovery::service::discovery_id(
                        &service.key,
                    ))
                }),
                Mode::InPlace,
            ),
            (
                "tags",
                tags::desired_tags(&manifest.tags, &service.name),
                Mode::InPlace,
            ),
        ]),
        // ECS refuses a service whose target group no listener uses yet; its tasks stop
        // when a file system they mount has no mount target in their subnet yet.
        after: forwarders(manifest, &service.key)
            .into_iter()
            .chain(service.volumes.iter().flat_map(|volume| {
                super::file_system::mount_targets(manifest, env, &volume.file_system)
            }))
            .collect(),
    }
}
