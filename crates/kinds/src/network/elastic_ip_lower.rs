//! Lowering: Elastic IPs, one per NAT gateway.

use std::collections::BTreeMap;

use crate::aws::ids::nat_address_id;
use crate::aws::tags;
use crate::engine::model::Desired;
use crate::engine::typed::Properties as _;
use crate::lower::Env;
use crate::lower::vpc::{name, network};
use crate::manifest::Manifest;

crate::engine::properties! {
    /// An Elastic IP: nothing of it changes but its tags.
    pub struct ElasticIpProps (changes: ElasticIpChanges) {
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

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
