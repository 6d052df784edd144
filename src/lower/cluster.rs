//! Lowering: ECS clusters: name, Container Insights, capacity providers and default
//! strategy.

use super::Env;
use crate::aws::ecs::cluster::{KIND, strategy_value};
use crate::aws::tags;
use crate::engine::model::{Desired, Mode, ResourceId, Value, props};
use crate::manifest::Manifest;

pub fn desired(manifest: &Manifest, _env: &Env) -> Vec<Desired> {
    manifest
        .containers
        .clusters
        .iter()
        .map(|cluster| Desired {
            id: cluster_id(&cluster.key),
            props: props([
                ("name", Value::str(&cluster.name), Mode::Replace),
                (
                    "container_insights",
                    Value::Bool(cluster.container_insights),
                    Mode::InPlace,
                ),
                (
                    "capacity_providers",
                    Value::Set(cluster.capacity_providers.iter().map(Value::str).collect()),
                    Mode::InPlace,
                ),
                (
                    "default_strategy",
                    Value::Set(
                        cluster
                            .default_strategy
                            .iter()
                            .map(|item| strategy_value(&item.provider, item.weight, item.base))
                            .collect(),
                    ),
                    Mode::InPlace,
                ),
                (
                    "tags",
                    tags::desired_tags(&manifest.tags, &cluster.name),
                    Mode::InPlace,
                ),
            ]),
            after: Vec::new(),
        })
        .collect()
}

pub fn cluster_id(key: &str) -> ResourceId {
    ResourceId::new(KIND, key)
}
