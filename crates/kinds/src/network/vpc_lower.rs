//! Lowering: the stack's VPC.

use std::collections::BTreeMap;

use crate::aws::tags;
use crate::engine::model::{Desired, ResourceId};
use crate::engine::typed::Properties as _;
use crate::lower::Env;
use crate::lower::vpc::{name, network};
use crate::manifest::Manifest;

crate::engine::properties! {
    /// The stack's VPC: its CIDR makes it, its DNS attributes change in place.
    pub struct VpcProps (changes: VpcChanges) {
        pub cidr: String => Replace,
        pub dns_hostnames: bool => InPlace,
        pub dns_support: bool => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

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
