//! Lowering: Elastic IPs, one per NAT gateway.

use super::Env;
use super::vpc::{name, network};
use crate::aws::ec2::elastic_ip::ElasticIpProps;
use crate::aws::tags;
use crate::engine::model::{Desired, ResourceId};
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;

pub fn desired(manifest: &Manifest, _env: &Env) -> Vec<Desired> {
    let Some(network) = network(manifest) else {
        return Vec::new();
    };
    network
        .nat_zones()
        .into_iter()
        .map(|zone| {
            let id = nat_address_id(zone);
            let props = ElasticIpProps {
                tags: tags::desired_tag_map(&manifest.tags, &name(manifest, id.name())),
            };
            Desired {
                props: props.into_props(),
                id,
                after: Vec::new(),
            }
        })
        .collect()
}

/// `elastic_ip.nat-1` for the NAT gateway of zone 1.
pub fn nat_address_id(zone_index: usize) -> ResourceId {
    ResourceId::new("elastic_ip", &format!("nat-{}", zone_index + 1))
}
