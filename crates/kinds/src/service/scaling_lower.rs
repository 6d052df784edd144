//! Lowering: a service's auto scaling: its scalable target and target-tracking policies.

use crate::aws::ids::{scaling_id, service_id};
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;

use super::manifest::Service;

crate::engine::properties! {
    /// A service's scalable target and its target-tracking policies.
    pub struct ScalingProps (changes: ScalingChanges) {
        /// `service/<cluster>/<service>`.
        pub resource: String => Replace,
        pub min: i64 => InPlace,
        pub max: i64 => InPlace,
        /// Average CPU to track, percent; no policy when `None`.
        pub cpu: Option<i64> => InPlace,
        /// Average memory to track, percent; no policy when `None`.
        pub memory: Option<i64> => InPlace,
        /// Seconds, or `AwsDefault` (300 s for ECS) in the lowering; `Null` when live
        /// policies say none.
        pub scale_in_cooldown: Value => InPlace,
        pub scale_out_cooldown: Value => InPlace,
    }
}

pub fn desired(services: &[Service], manifest: &Manifest) -> Vec<Desired> {
    services
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
