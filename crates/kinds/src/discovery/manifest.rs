//! The `namespaces` section: Cloud Map private DNS namespaces in the stack's VPC, which
//! services name in their `discovery`.
//!
//! ```yaml
//! namespaces:
//!   local:
//!     name: edgemind.local
//! ```

use crate::manifest::Manifest;
use crate::manifest::decode::{Decoder, Entry};
use crate::manifest::diag::Pos;
use crate::manifest::discovery::dns_name;
use crate::manifest::yaml::Node;

const NAMESPACE: &[&str] = &["name", "description"];

#[derive(Clone, Debug, PartialEq)]
pub struct Namespace {
    pub key: String,
    /// The DNS domain (`edgemind.local`).
    pub name: String,
    pub description: String,
}

/// The section's namespaces; `at` is where the section is written (its key).
pub fn decode(decoder: &mut Decoder, node: &Node, at: Pos, manifest: &Manifest) -> Vec<Namespace> {
    if manifest.network.is_none() {
        decoder.error(
            at,
            "a private DNS namespace needs the stack's VPC",
            "add a `network` section, or remove `namespaces`",
        );
        return Vec::new();
    }
    let mut out: Vec<Namespace> = Vec::new();
    for Entry { key, fields, .. } in decoder.entries(node, "namespaces", NAMESPACE) {
        let Some(name) = fields
            .required(
                decoder,
                "name",
                key.pos,
                format!("namespace `{}` has no `name`", key.value),
                "write its DNS domain, e.g. `name: edgemind.local`",
            )
            .and_then(|node| decoder.string(node, "name"))
        else {
            continue;
        };
        let domain = name.value.trim_end_matches('.').to_ascii_lowercase();
        if !dns_name(&domain) || !domain.contains('.') {
            decoder.error(
                name.pos,
                format!("`{}` is not a DNS domain", name.value),
                "write a domain of dot-separated labels of letters, digits and `-`, e.g. `edgemind.local`",
            );
            continue;
        }
        if let Some(first) = out.iter().find(|other| other.name == domain) {
            decoder.error(
                name.pos,
                format!("namespace `{domain}` is declared twice"),
                format!("namespace `{}` has it already", first.key),
            );
            continue;
        }
        out.push(Namespace {
            key: key.value.clone(),
            name: domain,
            description: fields
                .get("description")
                .and_then(|node| decoder.string(node, "description"))
                .map(|text| text.value)
                .unwrap_or_default(),
        });
    }
    out
}
