//! Lowering: a service's auto scaling: its scalable target and target-tracking policies.

use std::collections::BTreeMap;

use crate::aws::autoscaling::scaling_id;
use crate::aws::ecs::service::service_id;
use crate::engine::model::{Desired, Mode, Value, props};
use crate::manifest::Manifest;

pub fn desired(manifest: &Manifest) -> Vec<Desired> {
    let clusters: BTreeMap<&str, &str> = manifest
        .containers
        .clusters
        .iter()
        .map(|cluster| (cluster.key.as_str(), cluster.name.as_str()))
        .collect();
    manifest
        .containers
        .services
        .iter()
        .filter_map(|service| {
            let scale = service.autoscale.as_ref()?;
            let cluster = clusters.get(service.cluster.as_str())?;
            let target = |value: Option<i64>| value.map_or(Value::Null, Value::Int);
            // Unset: whatever AWS applies (300 s for ECS) is the manifest's.
            let cooldown = |value: Option<i64>| value.map_or(Value::AwsDefault, Value::Int);
            Some(Desired {
                id: scaling_id(&service.key),
                props: props([
                    (
                        "resource",
                        Value::str(format!("service/{cluster}/{}", service.name)),
                        Mode::Replace,
                    ),
                    ("min", Value::Int(scale.min), Mode::InPlace),
                    ("max", Value::Int(scale.max), Mode::InPlace),
                    ("cpu", target(scale.cpu), Mode::InPlace),
                    ("memory", target(scale.memory), Mode::InPlace),
                    (
                        "scale_in_cooldown",
                        cooldown(scale.scale_in_cooldown),
                        Mode::InPlace,
                    ),
                    (
                        "scale_out_cooldown",
                        cooldown(scale.scale_out_cooldown),
                        Mode::InPlace,
                    ),
                ]),
                // Blocking: the service is deleted only after its scaling.
                after: vec![service_id(&service.key)],
            })
        })
        .collect()
}
