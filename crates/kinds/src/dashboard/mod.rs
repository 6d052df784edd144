//! CloudWatch dashboards (`dashboard.<key>`), the first kind built in one place: its
//! manifest section (`manifest.rs`), its typed properties and lowering (`lower.rs`), its
//! adapter (`adapter.rs`), registered by [`REGISTRATION`].
//!
//! Seed 004's `monitoring.ts` dashboard: the services' CPU, memory and task count, the
//! database's CPU, connections and latency, the load balancer's requests, response time
//! and errors, the services' recent errors, the alarms' states.

mod adapter;
mod lower;
mod manifest;

use std::sync::Arc;

use crate::engine::model::{ResourceId, Value};
use crate::lower::{Env, Lowering};
use crate::manifest::Manifest;
use crate::manifest::Section;
use crate::manifest::decode::{Decoder, Fields};
use crate::manifest::sections::Decoded;

pub const KIND: &str = "dashboard";
const SECTION: &str = "dashboards";

pub const REGISTRATION: super::Registration = super::Registration {
    section: &Dashboards,
    lowering: &Dashboards,
    adapters: || vec![Arc::new(adapter::DashboardAdapter)],
    permissions: &[adapter::PERMISSIONS],
    conditions: &[],
};

pub fn dashboard_id(key: &str) -> ResourceId {
    ResourceId::new(KIND, key)
}

struct Dashboards;

impl Section for Dashboards {
    fn key(&self) -> &'static str {
        SECTION
    }

    /// `${dashboards.<key>.url}`: where the console shows it; `name`.
    fn attributes(&self) -> &'static [&'static str] {
        &["url", "name"]
    }

    fn decode(
        &self,
        decoder: &mut Decoder,
        fields: &Fields<'_>,
        manifest: &Manifest,
    ) -> Option<Decoded> {
        let node = fields.get(SECTION)?;
        Some(Arc::new(manifest::decode(decoder, node, manifest)))
    }
}

impl Lowering for Dashboards {
    fn desired(
        &self,
        manifest: &Manifest,
        env: &Env,
        _uses: &mut crate::lower::uses::Uses,
    ) -> Vec<crate::engine::model::Desired> {
        lower::desired(decoded(manifest), manifest, env)
    }

    /// What the manifest knows already: a dashboard's name and its console address.
    fn reference(
        &self,
        manifest: &Manifest,
        env: &Env,
        key: &str,
        attribute: &str,
    ) -> Option<Vec<Value>> {
        let dashboard = decoded(manifest)
            .iter()
            .find(|dashboard| dashboard.key == key)?;
        let text = match attribute {
            "url" => lower::console_url(&env.region, &dashboard.name),
            _ => dashboard.name.clone(),
        };
        Some(vec![Value::Str(text)])
    }
}

/// The dashboards the manifest declares.
fn decoded(manifest: &Manifest) -> &[manifest::Dashboard] {
    manifest.sections.list(SECTION)
}
