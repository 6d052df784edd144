//! SNS topics (`topic.<key>`) and their subscriptions: the `topics` section
//! (`manifest.rs`), their typed properties and lowering (`lower.rs`), their adapters
//! (`adapter.rs`), registered by [`REGISTRATION`]. Alarms notify them (`notify:
//! [alerts]`), naming them by `aws::ids::topic_id`.

mod adapter;
mod lower;
mod manifest;

use std::sync::Arc;

use crate::aws::ids::topic_id;
use crate::engine::model::Value;
use crate::lower::{Env, Lowering};
use crate::manifest::Manifest;
use crate::manifest::Section;
use crate::manifest::decode::{Decoder, Fields};
use crate::manifest::sections::{Decoded, entries};

const SECTION: &str = "topics";

pub const REGISTRATION: super::Registration = super::Registration {
    section: &Topics,
    lowering: &Topics,
    // Found through the tagging API's listing of the stack (`aws::tags::tagged`).
    adapters: || {
        vec![
            Arc::new(adapter::TopicAdapter),
            Arc::new(adapter::SubscriptionAdapter),
        ]
    },
    permissions: &[adapter::PERMISSIONS],
    conditions: &[],
};

struct Topics;

impl Section for Topics {
    fn key(&self) -> &'static str {
        SECTION
    }

    /// `${topics.<key>.arn}`, `name`.
    fn attributes(&self) -> &'static [&'static str] {
        &["arn", "name"]
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

    /// Each topic's name, which `${topics.<key>.name}` reads.
    fn names(&self, decoded: &Decoded) -> Vec<(String, String)> {
        entries::<manifest::Topic>(decoded)
            .iter()
            .map(|entry| (entry.key.clone(), entry.name.clone()))
            .collect()
    }
}

impl Lowering for Topics {
    fn desired(
        &self,
        manifest: &Manifest,
        _env: &Env,
        uses: &mut crate::lower::uses::Uses,
    ) -> Vec<crate::engine::model::Desired> {
        lower::desired(decoded(manifest), manifest, uses)
    }

    /// A topic's ARN is live (its id); its name the manifest knows.
    fn reference(
        &self,
        manifest: &Manifest,
        _env: &Env,
        key: &str,
        attribute: &str,
    ) -> Option<Vec<Value>> {
        crate::lower::arn_or_name(manifest, SECTION, key, attribute, topic_id(key))
    }
}

/// The topics the manifest declares.
fn decoded(manifest: &Manifest) -> &[manifest::Topic] {
    manifest.sections.list(SECTION)
}
