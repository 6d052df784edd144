//! Lowering: ECS clusters: name, Container Insights, capacity providers and default
//! strategy.

use super::Env;
use crate::aws::ecs::cluster::{ClusterProps, Strategy};
use crate::aws::ids::cluster_id;
use crate::aws::tags;
use crate::engine::model::Desired;
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;

pub fn desired(manifest: &Manifest, _env: &Env) -> Vec<Desired> {
    manifest
        .containers
        .clusters
        .iter()
        .map(|cluster| {
            let props = ClusterProps {
                name: cluster.name.clone(),
                container_insights: cluster.container_insights,
                capacity_providers: cluster.capacity_providers.iter().cloned().collect(),
                default_strategy: cluster
                    .default_strategy
                    .iter()
                    .map(|item| Strategy {
                        provider: item.provider.clone(),
                        weight: item.weight,
                        base: item.base,
                    })
                    .collect(),
                tags: tags::desired_tag_map(&manifest.tags, &cluster.name),
            };
            Desired {
                id: cluster_id(&cluster.key),
                props: props.into_props(),
                after: Vec::new(),
            }
        })
        .collect()
}
