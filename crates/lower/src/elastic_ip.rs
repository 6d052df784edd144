//! Lowering: Elastic IPs, one per NAT gateway.

use super::Env;
use super::vpc::{name, network};
use crate::aws::ec2::elastic_ip::ElasticIpProps;
use crate::aws::ids::nat_address_id;
use crate::aws::tags;
use crate::engine::model::Desired;
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
