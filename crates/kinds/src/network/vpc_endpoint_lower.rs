//! Lowering: Gateway (S3, DynamoDB) and interface VPC endpoints.

use std::collections::{BTreeMap, BTreeSet};

use super::route_table_lower::route_table_ids;
use crate::aws::tags;
use crate::engine::model::{Desired, ResourceId, Value};
use crate::engine::typed::Properties as _;
use crate::lower::Env;
use crate::lower::vpc::{name, network, vpc_ref};
use crate::manifest::Manifest;

crate::engine::properties! {
    /// A gateway endpoint: its VPC and service make it; its route tables change in place.
    pub struct VpcEndpointProps (changes: VpcEndpointChanges) {
        /// By reference.
        pub vpc: Value => Replace,
        /// `com.amazonaws.<region>.<service>`.
        pub service: String => Replace,
        /// By reference.
        pub route_tables: BTreeSet<Value> => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

pub fn desired(manifest: &Manifest, env: &Env) -> Vec<Desired> {
    let Some(network) = network(manifest) else {
        return Vec::new();
    };
    let tables: BTreeSet<Value> = route_table_ids(manifest)
        .into_iter()
        .map(Value::Ref)
        .collect();
    network
        .endpoints
        .iter()
        .map(|service| {
            let props = VpcEndpointProps {
                vpc: vpc_ref(),
                service: format!("com.amazonaws.{}.{service}", env.region),
                route_tables: tables.clone(),
                tags: tags::desired_tag_map(&manifest.tags, &name(manifest, service)),
            };
            Desired {
                id: ResourceId::new("vpc_endpoint", service),
                props: props.into_props(),
                after: Vec::new(),
            }
        })
        .collect()
}
