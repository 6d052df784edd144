//! Lowering: target groups of the services a load balancer forwards to.

use super::Env;
use crate::aws::elbv2::target_group::{HealthCheck, TargetGroupProps};
use crate::aws::ids::target_group_id;
use crate::aws::naming::with_hash;
use crate::aws::tags;
use crate::engine::model::{Desired, ResourceId, Value};
use crate::engine::typed::Properties as _;
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
        let props = TargetGroupProps {
            name: name.clone(),
            port: expose.port.into(),
            protocol: protocol.to_string(),
            target_type: "ip".to_string(),
            vpc: Value::Ref(ResourceId::singleton("vpc")),
            health_check: HealthCheck {
                path: expose.health_path.clone(),
                interval: expose.health_interval,
                timeout: expose.health_timeout,
                healthy: expose.healthy,
                unhealthy: expose.unhealthy,
                matcher: expose.matcher.clone(),
            },
            stickiness: expose.sticky,
            deregistration_delay: expose.deregistration_delay,
            tags: tags::desired_tag_map(&manifest.tags, &name),
        };
        out.push(Desired {
            id: target_group_id(&service.key),
            props: props.into_props(),
            after: Vec::new(),
        });
    }
    out
}
