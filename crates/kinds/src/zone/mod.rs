//! Route 53: the hosted zones the stack makes (`zone.<key>`) and the records it writes
//! (`record.<zone>.<label>.<type>`), in its own zones or in zones someone else owns (the
//! `zones` section): the section (`manifest.rs`), the typed properties and lowering
//! (`lower.rs`), the adapters and their shared reads (`adapter.rs`), registered by
//! [`REGISTRATION`]. Records other kinds need (a certificate's validation records) they
//! ask for through `uses.record`: the zones' lowering grants them, after every other
//! kind's. The zones' domains are what other sections read of it (`Section::names`: a
//! certificate's validation zone; the zones the commands look up, `pipeline::Target`).

mod adapter;
mod lower;
mod manifest;

use std::sync::Arc;

use crate::lower::{Env, Lowering};
use crate::manifest::Manifest;
use crate::manifest::Section;
use crate::manifest::decode::{Decoder, Fields};
use crate::manifest::sections::{Decoded, entries};

const SECTION: &str = "zones";

pub const REGISTRATION: super::Registration = super::Registration {
    section: &Zones,
    lowering: &Zones,
    // Found by ListHostedZones (a zone is the stack's by its caller reference) and the
    // record sets of the zones in scope (a record by its TXT marker).
    adapters: || {
        vec![
            Arc::new(adapter::ZoneAdapter),
            Arc::new(adapter::RecordAdapter),
        ]
    },
    permissions: &[adapter::PERMISSIONS],
    conditions: &[],
};

struct Zones;

impl Section for Zones {
    fn key(&self) -> &'static str {
        SECTION
    }

    /// Records alias the stack's distributions and load balancers.
    fn decode(
        &self,
        decoder: &mut Decoder,
        fields: &Fields<'_>,
        manifest: &Manifest,
    ) -> Option<Decoded> {
        let node = fields.get(SECTION)?;
        let cx = manifest::Context {
            // IPv6 unless the distribution says `ipv6: false`.
            distributions: {
                let without = manifest.declared.flagged("distributions", "ipv6", false);
                manifest
                    .declared
                    .names("distributions")
                    .iter()
                    .map(|key| (key.clone(), !without.contains(&key.as_str())))
                    .collect()
            },
            load_balancers: manifest.declared.names("load_balancers").to_vec(),
            plain_http: manifest
                .declared
                .names("load_balancers")
                .iter()
                .filter(|key| manifest.known("load_balancers", key, "https") == Some("false"))
                .cloned()
                .collect(),
        };
        Some(Arc::new(manifest::decode(decoder, node, &cx)))
    }

    /// Each zone's domain.
    fn names(&self, decoded: &Decoded) -> Vec<(String, String)> {
        entries::<manifest::Zone>(decoded)
            .iter()
            .map(|zone| (zone.key.clone(), zone.name.clone()))
            .collect()
    }
}

impl Lowering for Zones {
    fn desired(
        &self,
        manifest: &Manifest,
        _env: &Env,
        uses: &mut crate::lower::uses::Uses,
    ) -> Vec<crate::engine::model::Desired> {
        lower::desired(decoded(manifest), manifest, uses)
    }

    /// It writes the records the others asked for (`uses.record`).
    fn grants(&self) -> bool {
        true
    }
}

/// The zones the manifest declares.
fn decoded(manifest: &Manifest) -> &[manifest::Zone] {
    manifest.sections.list(SECTION)
}
