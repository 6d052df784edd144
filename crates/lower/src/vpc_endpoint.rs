//! Lowering: Gateway (S3, DynamoDB) and interface VPC endpoints.

use std::collections::BTreeSet;

use super::Env;
use super::route_table::route_table_ids;
use super::vpc::{name, network, vpc_ref};
use crate::aws::tags;
use crate::engine::model::{Desired, Mode, ResourceId, Value, props};
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
        .map(|service| Desired {
            id: ResourceId::new("vpc_endpoint", service),
            props: props([
                ("vpc", vpc_ref(), Mode::Replace),
                (
                    "service",
                    Value::str(format!("com.amazonaws.{}.{service}", env.region)),
                    Mode::Replace,
                ),
                ("route_tables", Value::Set(tables.clone()), Mode::InPlace),
                (
                    "tags",
                    tags::desired_tags(&manifest.tags, &name(manifest, service)),
                    Mode::InPlace,
                ),
            ]),
            after: Vec::new(),
        })
        .collect()
}
