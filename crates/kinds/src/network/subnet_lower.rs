//! Lowering: subnets: public, private and isolated tiers across the zones.

use std::collections::BTreeMap;

use crate::aws::ids::subnet_id;
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::lower::Env;
use crate::lower::vpc::{name, network, vpc_ref};
use crate::manifest::{Manifest, Tier};

crate::engine::properties! {
    /// A subnet: its VPC, CIDR and zone make it; the public-IP-on-launch flag changes.
    pub struct SubnetProps (changes: SubnetChanges) {
        /// By reference.
        pub vpc: Value => Replace,
        pub cidr: String => Replace,
        pub zone: String => Replace,
        pub public_ip_on_launch: bool => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

pub fn desired(manifest: &Manifest, env: &Env) -> Vec<Desired> {
    let Some(network) = network(manifest) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for tier in Tier::ALL {
        for (index, cidr) in network.subnets(tier).iter().enumerate() {
            let id = subnet_id(tier.as_str(), index);
            let zone = env.zones.get(index).cloned().unwrap_or_default();
            let props = SubnetProps {
                vpc: vpc_ref(),
                cidr: cidr.to_string(),
                zone,
                public_ip_on_launch: tier == Tier::Public && network.public_ip_on_launch,
                tags: tags::desired_tag_map(&manifest.tags, &name(manifest, id.name())),
            };
            out.push(Desired {
                props: props.into_props(),
                id,
                after: Vec::new(),
            });
        }
    }
    out
}
