//! Cloud Map: private DNS namespaces in the stack's VPC (`namespace.<key>`, the
//! `namespaces` section) and the discovery services of the services that ask for one
//! (`discovery.<service>`, from a service's `discovery`), which ECS registers a service's
//! tasks with: the section (`manifest.rs`), the typed properties and lowering
//! (`lower.rs`), the adapters (`namespace.rs`, `service.rs`) and what they share — one
//! read of the account's private namespaces, the wait for Cloud Map's asynchronous
//! operations, the tagging (`cloud_map.rs`) —, registered by [`REGISTRATION`].

mod cloud_map;
mod lower;
mod manifest;
mod namespace;
mod service;

use std::sync::Arc;

use crate::lower::{Env, Lowering};
use crate::manifest::Manifest;
use crate::manifest::Section;
use crate::manifest::decode::{Decoder, Fields};
use crate::manifest::sections::Decoded;

const SECTION: &str = "namespaces";

pub const REGISTRATION: super::Registration = super::Registration {
    section: &Namespaces,
    lowering: &Namespaces,
    adapters: || {
        vec![
            Arc::new(namespace::NamespaceAdapter),
            Arc::new(service::DiscoveryAdapter),
        ]
    },
    // Found by their own listing: Cloud Map lists its namespaces, whose tags are read.
    conditions: &[],
    tagged: &[],
};

struct Namespaces;

impl Section for Namespaces {
    fn key(&self) -> &'static str {
        SECTION
    }

    /// A mistake of the whole section is told at its key.
    fn decode(
        &self,
        decoder: &mut Decoder,
        fields: &Fields<'_>,
        manifest: &Manifest,
    ) -> Option<Decoded> {
        let (node, at) = fields.with_key(SECTION)?;
        Some(Arc::new(manifest::decode(decoder, node, at, manifest)))
    }
}

impl Lowering for Namespaces {
    /// The namespaces, and the discovery services of the services that name one (with
    /// no `namespaces` section, none: the manifest refused a service's `discovery`).
    fn desired(
        &self,
        manifest: &Manifest,
        _env: &Env,
        _uses: &mut crate::lower::uses::Uses,
    ) -> Vec<crate::engine::model::Desired> {
        lower::desired(decoded(manifest), manifest)
    }
}

/// The namespaces the manifest declares.
fn decoded(manifest: &Manifest) -> &[manifest::Namespace] {
    manifest.sections.list(SECTION)
}
