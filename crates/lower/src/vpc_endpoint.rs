//! Lowering: Gateway (S3, DynamoDB) and interface VPC endpoints.

use std::collections::BTreeSet;

use super::Env;
use super::route_table::route_table_ids;
use super::vpc::{name, network, vpc_ref};
use crate::aws::ec2::vpc_endpoint::VpcEndpointProps;
use crate::aws::tags;
use crate::engine::model::{Desired, ResourceId, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;

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
