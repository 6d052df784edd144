//! Lowering: NAT gateways: one, or one per zone, in the public subnets.

use std::collections::BTreeMap;

use crate::aws::ids::{internet_gateway_id, nat_address_id, nat_gateway_id, subnet_id};
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::lower::Env;
use crate::lower::vpc::{name, network};
use crate::manifest::{Manifest, Tier};

crate::engine::properties! {
    /// A public NAT gateway: its subnet and address make it.
    pub struct NatGatewayProps (changes: NatGatewayChanges) {
        /// By reference.
        pub subnet: Value => Replace,
        /// The Elastic IP's allocation, by reference; none when AWS lists no address.
        pub elastic_ip: Option<Value> => Replace,
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
            let id = nat_gateway_id(zone);
            let props = NatGatewayProps {
                subnet: Value::Ref(subnet_id(Tier::Public.as_str(), zone)),
                elastic_ip: Some(Value::Ref(nat_address_id(zone))),
                tags: tags::desired_tag_map(
                    &manifest.tags,
                    &name(manifest, &format!("nat-{}", zone + 1)),
                ),
            };
            Desired {
                props: props.into_props(),
                id,
                // A public NAT gateway needs the VPC's internet gateway attached.
                after: vec![internet_gateway_id()],
            }
        })
        .collect()
}
