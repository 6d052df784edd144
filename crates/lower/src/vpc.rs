//! Lowering: the stack's VPC.

use super::Env;
use crate::aws::tags;
use crate::engine::model::{Desired, Mode, ResourceId, Value, props};
use crate::manifest::{Manifest, Network};

pub fn desired(manifest: &Manifest, _env: &Env) -> Vec<Desired> {
    let Some(network) = network(manifest) else {
        return Vec::new();
    };
    vec![Desired {
        id: ResourceId::singleton("vpc"),
        props: props([
            ("cidr", Value::str(network.cidr.to_string()), Mode::Replace),
            (
                "dns_hostnames",
                Value::Bool(network.dns_hostnames),
                Mode::InPlace,
            ),
            (
                "dns_support",
                Value::Bool(network.dns_support),
                Mode::InPlace,
            ),
            (
                "tags",
                tags::desired_tags(&manifest.tags, &name(manifest, "vpc")),
                Mode::InPlace,
            ),
        ]),
        after: Vec::new(),
    }]
}

/// The `Name` tag of a resource: `<stack>-<suffix>`.
pub fn name(manifest: &Manifest, suffix: &str) -> String {
    format!("{}-{suffix}", manifest.stack)
}

pub fn network(manifest: &Manifest) -> Option<&Network> {
    manifest.network.as_ref()
}

pub fn vpc_ref() -> Value {
    Value::Ref(ResourceId::singleton("vpc"))
}
