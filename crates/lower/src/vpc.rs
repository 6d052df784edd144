//! What the kinds placed in the stack's VPC share (the network's own, in `kinds/network`,
//! and the security groups, Cloud Map's namespaces, ...): the VPC by reference, the `Name`
//! a resource is tagged with.

use crate::engine::model::{ResourceId, Value};
use crate::manifest::{Manifest, Network};

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
