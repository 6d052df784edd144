//! ACM certificates requested with DNS validation (`certificate.<key>`, the
//! `certificates` section) and the wait for their issue (`certificate_validation.<key>`),
//! which listeners and distributions order after: the section (`manifest.rs`), the typed
//! properties and lowering (`lower.rs`), the adapters and their shared read
//! (`adapter.rs`), registered by [`REGISTRATION`]. Its validation records it asks of the
//! zones' lowering (`uses.record`); listeners and distributions name it by
//! `certificates.<key>` (checked against `manifest.declared`), through
//! `lower::certificate_reference`.

mod adapter;
mod lower;
mod manifest;

use std::sync::Arc;

use crate::lower::{Env, Lowering};
use crate::manifest::Manifest;
use crate::manifest::Section;
use crate::manifest::decode::{Decoder, Fields};
use crate::manifest::sections::Decoded;

const SECTION: &str = "certificates";

pub const REGISTRATION: super::Registration = super::Registration {
    section: &Certificates,
    lowering: &Certificates,
    // ACM lists nothing by tag: found through the tagging API's listing of the stack, in
    // its region and in us-east-1.
    adapters: || {
        vec![
            Arc::new(adapter::CertificateAdapter),
            Arc::new(adapter::ValidationAdapter),
        ]
    },
    permissions: &[adapter::PERMISSIONS],
    conditions: &[],
};

struct Certificates;

impl Section for Certificates {
    fn key(&self) -> &'static str {
        SECTION
    }

    /// Validated through the zones the manifest declares; in us-east-1 when a
    /// distribution uses it.
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

impl Lowering for Certificates {
    fn desired(
        &self,
        manifest: &Manifest,
        env: &Env,
        uses: &mut crate::lower::uses::Uses,
    ) -> Vec<crate::engine::model::Desired> {
        lower::desired(decoded(manifest), manifest, env, uses)
    }
}

/// The certificates the manifest declares.
fn decoded(manifest: &Manifest) -> &[manifest::Certificate] {
    manifest.sections.list(SECTION)
}
