//! WAFv2 web ACLs (`firewall.<key>`, the `firewalls` section), the IP sets their address
//! rules read (`ip_set.<key>.<rule>`) and their associations with the stack's load
//! balancers (`firewall_association.<key>.<load balancer>`): the section (`manifest.rs`),
//! the typed properties and lowering (`lower.rs`), the adapters and their shared reads of
//! both scopes (`adapter.rs`), registered by [`REGISTRATION`]. A distribution names the
//! web ACL that protects it itself: the section says which it protects
//! (`Section::attachments`), and the distributions' lowering asks
//! `Manifest::attached("firewalls", "distributions", key)`.

mod adapter;
mod lower;
mod manifest;

use std::sync::Arc;

use crate::lower::{Env, Lowering};
use crate::manifest::decode::{Decoder, Fields};
use crate::manifest::sections::Decoded;
use crate::manifest::{Attachment, Manifest, Section};

const SECTION: &str = "firewalls";

pub const REGISTRATION: super::Registration = super::Registration {
    section: &Firewalls,
    lowering: &Firewalls,
    // Found by listing both scopes and reading each one's tags.
    adapters: || {
        vec![
            Arc::new(adapter::FirewallAdapter),
            Arc::new(adapter::IpSetAdapter),
            Arc::new(adapter::AssociationAdapter),
        ]
    },
    permissions: &[adapter::PERMISSIONS],
    conditions: &[adapter::CONDITIONS],
};

struct Firewalls;

impl Section for Firewalls {
    fn key(&self) -> &'static str {
        SECTION
    }

    fn decode(
        &self,
        decoder: &mut Decoder,
        fields: &Fields<'_>,
        manifest: &Manifest,
    ) -> Option<Decoded> {
        let node = fields.get(SECTION)?;
        let cx = manifest::Context {
            stack: manifest.stack.clone(),
            load_balancers: manifest.declared.names("load_balancers").to_vec(),
            distributions: manifest.declared.names("distributions").to_vec(),
            with_web_acl: manifest
                .declared
                .writing("distributions", "web_acl")
                .into_iter()
                .map(str::to_string)
                .collect(),
        };
        Some(Arc::new(manifest::decode(decoder, node, &cx)))
    }

    /// The distributions each web ACL protects.
    fn attachments(&self, decoded: &Decoded) -> Vec<Attachment> {
        crate::manifest::sections::entries::<manifest::Firewall>(decoded)
            .iter()
            .flat_map(|firewall| {
                firewall
                    .distributions
                    .iter()
                    .map(|distribution| Attachment {
                        section: SECTION,
                        key: firewall.key.clone(),
                        to_section: "distributions",
                        to_key: distribution.clone(),
                    })
            })
            .collect()
    }
}

impl Lowering for Firewalls {
    fn desired(
        &self,
        manifest: &Manifest,
        _env: &Env,
        _uses: &mut crate::lower::uses::Uses,
    ) -> Vec<crate::engine::model::Desired> {
        lower::desired(decoded(manifest), manifest)
    }
}

/// The firewalls the manifest declares.
fn decoded(manifest: &Manifest) -> &[manifest::Firewall] {
    manifest.sections.list(SECTION)
}
