//! Lowering: the VPC's internet gateway, when the network has public subnets.

use super::Env;
use super::vpc::{name, network, vpc_ref};
use crate::aws::ec2::internet_gateway::internet_gateway_id;
use crate::aws::tags;
use crate::engine::model::{Desired, Mode, props};
use crate::manifest::Manifest;

pub fn desired(manifest: &Manifest, _env: &Env) -> Vec<Desired> {
    let Some(network) = network(manifest) else {
        return Vec::new();
    };
    if network.public.is_empty() {
        return Vec::new();
    }
    vec![Desired {
        id: internet_gateway_id(),
        props: props([
            // Attachment is updated in place, but the VPC cannot be deleted while attached.
            ("vpc", vpc_ref(), Mode::Blocking),
            (
                "tags",
                tags::desired_tags(&manifest.tags, &name(manifest, "igw")),
                Mode::InPlace,
            ),
        ]),
        after: Vec::new(),
    }]
}
