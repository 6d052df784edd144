//! Secrets Manager secrets (`secret.<key>`, the `secrets` section): the section
//! (`manifest.rs`), the typed properties and lowering (`lower.rs`), the adapter
//! (`adapter.rs`), registered by [`REGISTRATION`]. Containers read them by `secrets.<key>`
//! (checked against `manifest.declared`, and refused when the secret says
//! `generate: false`), through `aws::ids::secret_id`.

mod adapter;
mod lower;
mod manifest;

use std::sync::Arc;

use crate::aws::ids::secret_id;
use crate::engine::model::Value;
use crate::lower::{Env, Lowering};
use crate::manifest::Manifest;
use crate::manifest::Section;
use crate::manifest::decode::{Decoder, Fields};
use crate::manifest::keys::KeptEncrypted;
use crate::manifest::sections::{Decoded, entries};

const SECTION: &str = "secrets";

pub const REGISTRATION: super::Registration = super::Registration {
    section: &Secrets,
    lowering: &Secrets,
    // Found by ListSecrets filtered on the stack's tag.
    adapters: || vec![Arc::new(adapter::SecretAdapter)],
    permissions: &[adapter::PERMISSIONS],
    conditions: &[],
};

struct Secrets;

impl Section for Secrets {
    fn key(&self) -> &'static str {
        SECTION
    }

    /// `${secrets.<key>.arn}`, `name`.
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

    fn kept_encrypted(&self, decoded: &Decoded) -> Vec<KeptEncrypted> {
        manifest::kept_encrypted(entries::<manifest::Secret>(decoded))
    }

    /// Each secret's name, which `${secrets.<key>.name}` reads.
    fn names(&self, decoded: &Decoded) -> Vec<(String, String)> {
        entries::<manifest::Secret>(decoded)
            .iter()
            .map(|entry| (entry.key.clone(), entry.name.clone()))
            .collect()
    }
}

impl Lowering for Secrets {
    fn desired(
        &self,
        manifest: &Manifest,
        _env: &Env,
        uses: &mut crate::lower::uses::Uses,
    ) -> Vec<crate::engine::model::Desired> {
        lower::desired(decoded(manifest), manifest, uses)
    }

    /// A secret's ARN is live (its id); its name the manifest knows.
    fn reference(
        &self,
        manifest: &Manifest,
        _env: &Env,
        key: &str,
        attribute: &str,
    ) -> Option<Vec<Value>> {
        crate::lower::arn_or_name(manifest, SECTION, key, attribute, secret_id(key))
    }
}

/// The secrets the manifest declares.
fn decoded(manifest: &Manifest) -> &[manifest::Secret] {
    manifest.sections.list(SECTION)
}
