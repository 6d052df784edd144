//! Lowering: a service's auto scaling: its scalable target and target-tracking policies.

use crate::aws::autoscaling::ScalingProps;
use crate::aws::ids::{scaling_id, service_id};
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;

pub fn desired(manifest: &Manifest) -> Vec<Desired> {
    manifest
        .containers
        .services
        .iter()
        .filter_map(|service| {
            let scale = service.autoscale.as_ref()?;
            let cluster = manifest.name_of("clusters", &service.cluster)?;
            // Unset: whatever AWS applies (300 s for ECS) is the manifest's.
            let cooldown = |value: Option<i64>| value.map_or(Value::AwsDefault, Value::Int);
            let props = ScalingProps {
                resource: format!("service/{cluster}/{}", service.name),
                min: scale.min,
                max: scale.max,
                cpu: scale.cpu,
                memory: scale.memory,
                scale_in_cooldown: cooldown(scale.scale_in_cooldown),
                scale_out_cooldown: cooldown(scale.scale_out_cooldown),
            };
            Some(Desired {
                id: scaling_id(&service.key),
                props: props.into_props(),
                // Blocking: the service is deleted only after its scaling.
                after: vec![service_id(&service.key)],
            })
        })
        .collect()
}
