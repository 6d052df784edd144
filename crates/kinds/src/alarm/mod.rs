//! CloudWatch metric alarms (`alarm.<name>`): the `alarms` section and the shorthand under
//! the services', load balancers' and databases' entries (`services.api.alarms: { cpu:
//! 80 }`, decoded here, `Section::decode`) (`manifest.rs`), the typed properties and
//! lowering (`lower.rs`), the adapter (`adapter.rs`), registered by [`REGISTRATION`].
//! Other sections name an alarm by its logical id (`services.api.cpu`, `Section::ids`),
//! a dashboard among them.

mod adapter;
mod lower;
mod manifest;

use std::sync::Arc;

use crate::lower::{Env, Lowering};
use crate::manifest::Manifest;
use crate::manifest::Section;
use crate::manifest::decode::{Decoder, Fields};
use crate::manifest::sections::Decoded;

const SECTION: &str = "alarms";

pub const REGISTRATION: super::Registration = super::Registration {
    section: &Alarms,
    lowering: &Alarms,
    // CloudWatch lists alarms by name or prefix, never by tag: found through the tagging
    // API's listing of the stack.
    adapters: || vec![Arc::new(adapter::AlarmAdapter)],
    permissions: &[adapter::PERMISSIONS],
    conditions: &[],
};

struct Alarms;

impl Section for Alarms {
    fn key(&self) -> &'static str {
        SECTION
    }

    /// Every alarm: the shorthand of the services, load balancers and databases, then
    /// the `alarms` section's full form; decoded whether the section is written or not.
    fn decode(
        &self,
        decoder: &mut Decoder,
        fields: &Fields<'_>,
        manifest: &Manifest,
    ) -> Option<Decoded> {
        let cx = manifest::Context {
            stack: &manifest.stack,
            topics: manifest.declared.names("topics"),
            services: manifest
                .names("services")
                .iter()
                .filter_map(|(key, name)| {
                    let cluster = *manifest.attached_to("services", key, "clusters").first()?;
                    Some((key.as_str(), (name.as_str(), cluster)))
                })
                .collect(),
            balancers: manifest
                .names("load_balancers")
                .iter()
                .map(|(key, _)| {
                    let forwards = manifest.attached_to("load_balancers", key, "services");
                    (key.as_str(), forwards)
                })
                .collect(),
            clusters: manifest.names("clusters"),
            insights: manifest
                .declared
                .flagged("clusters", "container_insights", true),
            databases: manifest.names("databases"),
        };
        Some(Arc::new(manifest::decode(decoder, fields, &cx)))
    }

    fn ids(&self, decoded: &Decoded) -> Option<Vec<String>> {
        let alarms = decoded.downcast_ref::<Vec<manifest::Alarm>>()?;
        Some(alarms.iter().map(|alarm| alarm.id.clone()).collect())
    }
}

impl Lowering for Alarms {
    fn desired(
        &self,
        manifest: &Manifest,
        _env: &Env,
        _uses: &mut crate::lower::uses::Uses,
    ) -> Vec<crate::engine::model::Desired> {
        lower::desired(decoded(manifest), manifest)
    }
}

/// The alarms the manifest declares.
fn decoded(manifest: &Manifest) -> &[manifest::Alarm] {
    manifest.sections.list(SECTION)
}
