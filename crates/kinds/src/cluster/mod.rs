//! ECS clusters (`cluster.<key>`, the `clusters` section): the section (`manifest.rs`),
//! the typed properties and lowering (`lower.rs`), the adapter (`adapter.rs`, over ECS's
//! shared read of the stack's clusters, `aws::ecs::stack_clusters`), registered by
//! [`REGISTRATION`]. Services name one (`cluster:`, checked against `manifest.declared`);
//! alarms, dashboards and a service's scaling name it by its name (`Section::names`); a
//! service is placed by its default strategy when it lists one
//! (`Declared::listed("clusters", key, "default_strategy")`), and a dashboard's running
//! count needs its Container Insights (`container_insights: true`, as written).

mod adapter;
mod lower;
mod manifest;

use std::sync::Arc;

use crate::aws::ids::cluster_id;
use crate::engine::model::Value;
use crate::lower::{Env, Lowering};
use crate::manifest::Manifest;
use crate::manifest::Section;
use crate::manifest::decode::{Decoder, Fields};
use crate::manifest::sections::{Decoded, entries};

const SECTION: &str = "clusters";

pub const REGISTRATION: super::Registration = super::Registration {
    section: &Clusters,
    lowering: &Clusters,
    // Found by ListClusters and DescribeClusters (tags come with it).
    adapters: || vec![Arc::new(adapter::ClusterAdapter)],
    permissions: &[adapter::PERMISSIONS],
    conditions: &[adapter::CONDITIONS],
};

struct Clusters;

impl Section for Clusters {
    fn key(&self) -> &'static str {
        SECTION
    }

    /// `${clusters.<key>.name}`, `arn`.
    fn attributes(&self) -> &'static [&'static str] {
        &["name", "arn"]
    }

    fn decode(
        &self,
        decoder: &mut Decoder,
        fields: &Fields<'_>,
        manifest: &Manifest,
    ) -> Option<Decoded> {
        let node = fields.get(SECTION)?;
        Some(Arc::new(manifest::decode(decoder, node, &manifest.scope())))
    }

    /// Each cluster's name, which alarms, dashboards and scaling name it by.
    fn names(&self, decoded: &Decoded) -> Vec<(String, String)> {
        entries::<manifest::Cluster>(decoded)
            .iter()
            .map(|cluster| (cluster.key.clone(), cluster.name.clone()))
            .collect()
    }
}

impl Lowering for Clusters {
    fn desired(
        &self,
        manifest: &Manifest,
        _env: &Env,
        _uses: &mut crate::lower::uses::Uses,
    ) -> Vec<crate::engine::model::Desired> {
        lower::desired(decoded(manifest), manifest)
    }

    /// A cluster's ARN is live; its name the manifest knows.
    fn reference(
        &self,
        manifest: &Manifest,
        _env: &Env,
        key: &str,
        attribute: &str,
    ) -> Option<Vec<Value>> {
        crate::lower::arn_or_name(manifest, SECTION, key, attribute, cluster_id(key))
    }
}

/// The clusters the manifest declares.
fn decoded(manifest: &Manifest) -> &[manifest::Cluster] {
    manifest.sections.list(SECTION)
}
