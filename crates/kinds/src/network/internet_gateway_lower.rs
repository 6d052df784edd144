//! Lowering: the VPC's internet gateway, when the network has public subnets.

use std::collections::BTreeMap;

use crate::aws::ids::internet_gateway_id;
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::lower::Env;
use crate::lower::vpc::{name, network, vpc_ref};
use crate::manifest::Manifest;

crate::engine::properties! {
    /// The internet gateway and the VPC it is attached to.
    pub struct InternetGatewayProps (changes: InternetGatewayChanges) {
        /// By reference; none while the gateway is detached. Attachment is updated in
        /// place, but the VPC cannot be deleted while attached.
        pub vpc: Option<Value> => Blocking,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

pub fn desired(manifest: &Manifest, _env: &Env) -> Vec<Desired> {
    let Some(network) = network(manifest) else {
        return Vec::new();
    };
    if network.public.is_empty() {
        return Vec::new();
    }
    let props = InternetGatewayProps {
        // Attachment is updated in place, but the VPC cannot be deleted while attached.
        vpc: Some(vpc_ref()),
        tags: tags::desired_tag_map(&manifest.tags, &name(manifest, "igw")),
    };
    vec![Desired {
        id: internet_gateway_id(),
        props: props.into_props(),
        after: Vec::new(),
    }]
}
