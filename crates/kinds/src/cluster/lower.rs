//! The typed properties of a cluster, and its lowering: name, Container Insights,
//! capacity providers and default strategy.

use std::collections::{BTreeMap, BTreeSet};

use super::manifest::Cluster;
use crate::aws::ids::cluster_id;
use crate::aws::tags;
use crate::engine::model::Desired;
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;

crate::engine::properties! {
    /// An ECS cluster: what its lowering builds and its observe reads.
    pub struct ClusterProps (changes: ClusterChanges) {
        pub name: String => Replace,
        pub container_insights: bool => InPlace,
        pub capacity_providers: BTreeSet<String> => InPlace,
        pub default_strategy: BTreeSet<Strategy> => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

crate::engine::record! {
    /// One capacity provider's share of the cluster's default strategy.
    pub struct Strategy {
        pub provider: String,
        pub weight: i64,
        pub base: i64,
    }
}

/// The clusters (`clusters`).
pub fn desired(clusters: &[Cluster], manifest: &Manifest) -> Vec<Desired> {
    clusters
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
