//! Lowering: target groups of the services a load balancer forwards to.

use std::collections::BTreeMap;

use super::manifest::Service;
use crate::aws::ids::target_group_id;
use crate::aws::naming::with_hash;
use crate::aws::tags;
use crate::engine::model::{Desired, ResourceId, Value, Why};
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;

const KEEP_NAME: &str = "a target group's name only tells groups apart (it hashes port, protocol and target type): one made elsewhere keeps its own until it is replaced";

crate::engine::record! {
    /// A target group's health check: the path asked, seconds between checks and to wait
    /// for an answer, how many answers make a target healthy or unhealthy, and the HTTP
    /// codes that count as healthy (`200`, `200-299`).
    pub struct HealthCheck {
        pub path: String,
        pub interval: i64,
        pub timeout: i64,
        pub healthy: i64,
        pub unhealthy: i64,
        pub matcher: String,
    }
}

crate::engine::properties! {
    /// A target group: what makes it (its name hashes port, protocol and target type)
    /// makes a new one; its health check, stickiness, deregistration delay and tags
    /// change in place.
    pub struct TargetGroupProps (changes: TargetGroupChanges) {
        /// Derived, so kept from a live group (one adopted, made elsewhere, keeps its
        /// own) until the group is replaced ([`KEEP_NAME`]).
        pub name: Value => Replace,
        pub port: i64 => Replace,
        /// `HTTP` or `HTTPS`.
        pub protocol: String => Replace,
        /// `ip`, for Fargate.
        pub target_type: String => Replace,
        /// By reference.
        pub vpc: Value => Replace,
        pub health_check: HealthCheck => InPlace,
        /// The load balancer cookie's duration in seconds; nothing when not sticky.
        pub stickiness: Option<i64> => InPlace,
        /// Seconds.
        pub deregistration_delay: i64 => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

pub fn desired(services: &[Service], manifest: &Manifest) -> Vec<Desired> {
    let mut out = Vec::new();
    for service in services {
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
            name: Value::KeepLive(Box::new(Value::str(&name)), Why(KEEP_NAME)),
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
