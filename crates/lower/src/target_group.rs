//! Lowering: target groups of the services a load balancer forwards to.

use super::Env;
use crate::aws::elbv2::target_group::health;
use crate::aws::naming::with_hash;
use crate::aws::tags;
use crate::engine::model::{Desired, Mode, ResourceId, Value, props};
use crate::manifest::Manifest;

pub fn desired(manifest: &Manifest, _env: &Env) -> Vec<Desired> {
    let mut out = Vec::new();
    for service in &manifest.containers.services {
        let Some(expose) = &service.expose else {
            continue;
        };
        let protocol = if expose.https { "HTTPS" } else { "HTTP" };
        let name = with_hash(
            &format!("{}-{}", manifest.stack, service.key),
            32,
            &format!("{protocol}:{}:ip", expose.port),
        );
        out.push(Desired {
            id: target_group_id(&service.key),
            props: props([
                ("name", Value::str(&name), Mode::Replace),
                ("port", Value::Int(expose.port.into()), Mode::Replace),
                ("protocol", Value::str(protocol), Mode::Replace),
                ("target_type", Value::str("ip"), Mode::Replace),
                (
                    "vpc",
                    Value::Ref(ResourceId::singleton("vpc")),
                    Mode::Replace,
                ),
                (
                    "health_check",
                    health(
                        &expose.health_path,
                        expose.health_interval,
                        expose.health_timeout,
                        expose.healthy,
                        expose.unhealthy,
                        &expose.matcher,
                    ),
                    Mode::InPlace,
                ),
                (
                    "stickiness",
                    expose.sticky.map_or(Value::Null, Value::Int),
                    Mode::InPlace,
                ),
                (
                    "deregistration_delay",
                    Value::Int(expose.deregistration_delay),
                    Mode::InPlace,
                ),
                (
                    "tags",
                    tags::desired_tags(&manifest.tags, &name),
                    Mode::InPlace,
                ),
            ]),
            after: Vec::new(),
        });
    }
    out
}

pub fn target_group_id(service: &str) -> ResourceId {
    ResourceId::new("target_group", service)
}
