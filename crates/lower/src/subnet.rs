//! Lowering: subnets: public, private and isolated tiers across the zones.

use super::Env;
use super::vpc::{name, network, vpc_ref};
use crate::aws::tags;
use crate::engine::model::{Desired, Mode, ResourceId, Value, props};
use crate::manifest::{Manifest, Tier};

pub fn desired(manifest: &Manifest, env: &Env) -> Vec<Desired> {
    let Some(network) = network(manifest) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for tier in Tier::ALL {
        for (index, cidr) in network.subnets(tier).iter().enumerate() {
            let id = subnet_id(tier, index);
            let zone = env.zones.get(index).cloned().unwrap_or_default();
            let public_ip = tier == Tier::Public && network.public_ip_on_launch;
            out.push(Desired {
                props: props([
                    ("vpc", vpc_ref(), Mode::Replace),
                    ("cidr", Value::str(cidr.to_string()), Mode::Replace),
                    ("zone", Value::str(zone), Mode::Replace),
                    ("public_ip_on_launch", Value::Bool(public_ip), Mode::InPlace),
                    (
                        "tags",
                        tags::desired_tags(&manifest.tags, &name(manifest, id.name())),
                        Mode::InPlace,
                    ),
                ]),
                id,
                after: Vec::new(),
            });
        }
    }
    out
}

/// `subnet.public-1` for the first public subnet.
pub fn subnet_id(tier: Tier, index: usize) -> ResourceId {
    ResourceId::new("subnet", &format!("{}-{}", tier.as_str(), index + 1))
}
