//! Lowering: the stack's VPC.

use super::Env;
use crate::aws::ec2::vpc::VpcProps;
use crate::aws::tags;
use crate::engine::model::{Desired, ResourceId, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::{Manifest, Network};

pub fn desired(manifest: &Manifest, _env: &Env) -> Vec<Desired> {
    let Some(network) = network(manifest) else {
        return Vec::new();
    };
    let props = VpcProps {
        cidr: network.cidr.to_string(),
        dns_hostnames: network.dns_hostnames,
        dns_support: network.dns_support,
        tags: tags::desired_tag_map(&manifest.tags, &name(manifest, "vpc")),
    };
    vec![Desired {
        id: ResourceId::singleton("vpc"),
        props: props.into_props(),
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
