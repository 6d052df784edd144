//! ECR repositories (`repository.<key>`, the `repositories` section): the section
//! (`manifest.rs`), the typed properties and lowering (`lower.rs`), the adapter
//! (`adapter.rs`), registered by [`REGISTRATION`]. A service's image names one
//! (`image: { repository: web, tag: ... }`, checked against `manifest.declared`), and its
//! task definition reads its URI through `aws::ids::repository_id`.

mod adapter;
mod lower;
mod manifest;

use std::sync::Arc;

use crate::aws::ids::repository_id;
use crate::engine::model::Value;
use crate::lower::{Env, Lowering};
use crate::manifest::Manifest;
use crate::manifest::Section;
use crate::manifest::decode::{Decoder, Fields};
use crate::manifest::keys::KeptEncrypted;
use crate::manifest::sections::{Decoded, entries};

const SECTION: &str = "repositories";

pub const REGISTRATION: super::Registration = super::Registration {
    section: &Repositories,
    lowering: &Repositories,
    // Found by DescribeRepositories and each one's tags.
    adapters: || vec![Arc::new(adapter::RepositoryAdapter)],
    permissions: &[adapter::PERMISSIONS],
    conditions: &[adapter::CONDITIONS],
};

struct Repositories;

impl Section for Repositories {
    fn key(&self) -> &'static str {
        SECTION
    }

    /// `${repositories.<key>.uri}`, `name`.
    fn attributes(&self) -> &'static [&'static str] {
        &["uri", "name"]
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

    fn kept_encrypted(&self, decoded: &Decoded) -> Vec<KeptEncrypted> {
        manifest::kept_encrypted(entries::<manifest::Repository>(decoded))
    }
}

impl Lowering for Repositories {
    fn desired(
        &self,
        manifest: &Manifest,
        _env: &Env,
        uses: &mut crate::lower::uses::Uses,
    ) -> Vec<crate::engine::model::Desired> {
        lower::desired(decoded(manifest), manifest, uses)
    }

    /// A repository's URI is live; its name the manifest knows.
    fn reference(
        &self,
        manifest: &Manifest,
        _env: &Env,
        key: &str,
        attribute: &str,
    ) -> Option<Vec<Value>> {
        let repository = decoded(manifest)
            .iter()
            .find(|repository| repository.key == key)?;
        Some(vec![match attribute {
            "uri" => Value::Ref(repository_id(key)),
            _ => Value::Str(repository.name.clone()),
        }])
    }
}

/// The repositories the manifest declares.
fn decoded(manifest: &Manifest) -> &[manifest::Repository] {
    manifest.sections.list(SECTION)
}
