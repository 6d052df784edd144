//! Customer managed KMS keys (`key.<name>`, the `keys` section): the section
//! (`manifest.rs`), the typed properties and the key policy built from what the other
//! kinds recorded they encrypt with it (`lower.rs`), the adapter (`adapter.rs`), registered
//! by [`REGISTRATION`]. Other sections name a key through `manifest::keys::key_ref`, and
//! record their use of it through `lower::uses::Uses::key`; this kind's lowering runs
//! last ([`Lowering::grants`]).

mod adapter;
mod lower;
mod manifest;

use std::sync::Arc;

use crate::aws::ids::key_id;
use crate::engine::model::Value;
use crate::lower::{Env, Lowering};
use crate::manifest::Manifest;
use crate::manifest::Section;
use crate::manifest::decode::{Decoder, Fields};
use crate::manifest::sections::Decoded;

const SECTION: &str = "keys";

pub const REGISTRATION: super::Registration = super::Registration {
    section: &Keys,
    lowering: &Keys,
    // KMS lists no keys by tag; the tagging API's listing of the stack does.
    adapters: || vec![Arc::new(adapter::KeyAdapter)],
    permissions: &[adapter::PERMISSIONS],
    conditions: &[adapter::CONDITIONS],
};

struct Keys;

impl Section for Keys {
    fn key(&self) -> &'static str {
        SECTION
    }

    /// `${keys.<name>.arn}`.
    fn attributes(&self) -> &'static [&'static str] {
        &["arn"]
    }

    /// The keys, and the check that destroy deletes none that a retained resource
    /// stays encrypted under (the other sections are decoded already).
    fn decode(
        &self,
        decoder: &mut Decoder,
        fields: &Fields<'_>,
        manifest: &Manifest,
    ) -> Option<Decoded> {
        let node = fields.get(SECTION)?;
        let keys = manifest::decode(decoder, node, manifest);
        manifest::check_retained(decoder, &keys, manifest);
        Some(Arc::new(keys))
    }
}

impl Lowering for Keys {
    fn desired(
        &self,
        manifest: &Manifest,
        env: &Env,
        uses: &mut crate::lower::uses::Uses,
    ) -> Vec<crate::engine::model::Desired> {
        lower::desired(decoded(manifest), manifest, env, uses)
    }

    /// A key's policy names every kind that encrypts with it.
    fn grants(&self) -> bool {
        true
    }

    fn reference(
        &self,
        _manifest: &Manifest,
        _env: &Env,
        key: &str,
        _attribute: &str,
    ) -> Option<Vec<Value>> {
        Some(vec![Value::Ref(key_id(key))])
    }
}

/// The keys the manifest declares.
fn decoded(manifest: &Manifest) -> &[manifest::Key] {
    manifest.sections.list(SECTION)
}
