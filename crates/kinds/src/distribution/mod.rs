//! CloudFront distributions (`distribution.<key>`, the `distributions` section) and the
//! Origin Access Controls through which they read the stack's buckets
//! (`origin_access_control.<bucket key>`): the section (`manifest.rs`), the typed
//! properties and lowering (`lower.rs`), the adapters (`adapter.rs`,
//! `origin_access_control.rs`, over CloudFront's shared listing, `aws::cloudfront`),
//! registered by [`REGISTRATION`]. A distribution records the buckets it serves in `uses`
//! (their policy lets it in, their sync invalidates it), says which certificates it uses
//! (`Section::attachments`: a certificate a distribution uses is requested in
//! us-east-1), and warns of what validates but would fail on AWS (`Section::warnings`).
//! Zones alias it (checked against `manifest.declared`, IPv6 unless it writes
//! `ipv6: false`); a firewall protects it unless it names a web ACL of its own.

mod adapter;
mod lower;
mod manifest;
mod origin_access_control;

use std::sync::Arc;

use crate::aws::ids::distribution_id;
use crate::engine::model::Value;
use crate::lower::{Env, Lowering};
use crate::manifest::decode::{Decoder, Fields};
use crate::manifest::sections::Decoded;
use crate::manifest::{Attachment, Manifest, Section};

const SECTION: &str = "distributions";

pub const REGISTRATION: super::Registration = super::Registration {
    section: &Distributions,
    lowering: &Distributions,
    // Found by the tagging API in us-east-1 (or CloudFront's listing while it does not
    // hold them all), each one's tags read afresh (`aws::cloudfront::owned`); the Origin
    // Access Controls by their descriptions.
    adapters: || {
        vec![
            Arc::new(adapter::DistributionAdapter),
            Arc::new(origin_access_control::OriginAccessControlAdapter),
        ]
    },
    permissions: &[adapter::PERMISSIONS],
    conditions: &[adapter::CONDITIONS],
};

struct Distributions;

impl Section for Distributions {
    fn key(&self) -> &'static str {
        SECTION
    }

    /// `${distributions.<key>.domain_name}`, `id`, `arn`.
    fn attributes(&self) -> &'static [&'static str] {
        &["domain_name", "id", "arn"]
    }

    /// Origins name the stack's buckets and load balancers, as the manifest declares them.
    fn decode(
        &self,
        decoder: &mut Decoder,
        fields: &Fields<'_>,
        manifest: &Manifest,
    ) -> Option<Decoded> {
        let node = fields.get(SECTION)?;
        let declared = &manifest.declared;
        let ownership = |key: &str, value: &str| {
            declared
                .saying_text("buckets", "object_ownership", value)
                .contains(&key)
        };
        let cx = manifest::Context {
            buckets: declared
                .names("buckets")
                .iter()
                .map(|key| manifest::Bucket {
                    key: key.clone(),
                    object_ownership: if ownership(key, "preferred") {
                        "BucketOwnerPreferred"
                    } else if ownership(key, "writer") {
                        "ObjectWriter"
                    } else {
                        "BucketOwnerEnforced"
                    },
                })
                .collect(),
            load_balancers: manifest.declared.names("load_balancers").to_vec(),
            certificates: manifest.declared.names("certificates").to_vec(),
        };
        Some(Arc::new(manifest::decode(decoder, node, &cx)))
    }

    /// The stack's certificates each distribution uses.
    fn attachments(&self, decoded: &Decoded) -> Vec<Attachment> {
        entries(decoded)
            .iter()
            .filter_map(|distribution| {
                let key = distribution
                    .certificate
                    .as_deref()?
                    .strip_prefix("certificates.")?;
                Some(Attachment {
                    section: SECTION,
                    key: distribution.key.clone(),
                    to_section: "certificates",
                    to_key: key.to_string(),
                })
            })
            .collect()
    }

    fn warnings(&self, decoded: &Decoded) -> Vec<String> {
        manifest::warnings(entries(decoded))
    }
}

impl Lowering for Distributions {
    fn desired(
        &self,
        manifest: &Manifest,
        env: &Env,
        uses: &mut crate::lower::uses::Uses,
    ) -> Vec<crate::engine::model::Desired> {
        lower::desired(decoded(manifest), manifest, env, uses)
    }

    /// All live: the ARN is the physical id, the rest attributes it publishes.
    fn reference(
        &self,
        _manifest: &Manifest,
        _env: &Env,
        key: &str,
        attribute: &str,
    ) -> Option<Vec<Value>> {
        Some(vec![Value::Ref(match attribute {
            "arn" => distribution_id(key),
            _ => distribution_id(key).attribute(attribute),
        })])
    }
}

/// The distributions a decoding made.
fn entries(decoded: &Decoded) -> &[manifest::Distribution] {
    crate::manifest::sections::entries(decoded)
}

/// The distributions the manifest declares.
fn decoded(manifest: &Manifest) -> &[manifest::Distribution] {
    manifest.sections.list(SECTION)
}
