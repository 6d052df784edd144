//! S3 buckets (`bucket.<key>`, the `buckets` section), their policies
//! (`bucket_policy.<key>`), the content edgectl syncs into them (`objects.<key>`) and the
//! invalidation of what distributions cache of it (`invalidation.<key>`): the section
//! (`manifest.rs`), the typed properties and lowerings (`lower.rs`, `policy_lower.rs`,
//! `sync.rs`, `invalidation_lower.rs`), the adapters (`adapter.rs`, `policy.rs`,
//! `objects.rs`, `invalidation.rs`) and what they share — the reads, the `edgectl:sync`
//! tag (`s3.rs`), the comparison of a folder and a listing (`content.rs`) —, registered
//! by [`REGISTRATION`].
//!
//! Its lowering grants: it runs after the kinds that said they read a bucket (a
//! distribution's Origin Access Control, `uses.bucket_reader`, and what it serves,
//! `uses.served`) or log to it (a load balancer, `uses.log_delivery`), and before the
//! keys that encrypt it (`kinds::ALL`'s order). Other kinds name a bucket by its name
//! (`Section::names`). `edgectl sync`, the command that exists for it, uses [`synced`],
//! [`sync_settings`], [`warm_buckets`] and [`content`].

mod adapter;
pub mod content;
mod invalidation;
mod invalidation_lower;
mod lower;
mod manifest;
mod objects;
mod policy;
mod policy_lower;
mod s3;
mod sync;

use std::sync::Arc;

use crate::engine::model::Value;
use crate::lower::{Env, Lowering};
use crate::manifest::decode::{Decoder, Fields};
use crate::manifest::keys::KeptEncrypted;
use crate::manifest::sections::Decoded;
use crate::manifest::{Manifest, Section};

pub use manifest::Bucket;
pub use sync::{settings as sync_settings, warm_buckets};

const SECTION: &str = "buckets";

pub const REGISTRATION: super::Registration = super::Registration {
    section: &Buckets,
    lowering: &Buckets,
    // Found through the tagging API's listing of the stack and the manifest's names,
    // each one's tags read (S3 lists no tags).
    adapters: || {
        vec![
            Arc::new(adapter::BucketAdapter),
            Arc::new(policy::BucketPolicyAdapter),
            Arc::new(objects::ObjectsAdapter),
            Arc::new(invalidation::InvalidationAdapter),
        ]
    },
    permissions: &[adapter::PERMISSIONS],
    conditions: &[adapter::CONDITIONS, policy::CONDITIONS],
};

struct Buckets;

impl Section for Buckets {
    fn key(&self) -> &'static str {
        SECTION
    }

    /// `${buckets.<key>.name}`, `arn`, `domain_name`, `regional_domain_name`.
    fn attributes(&self) -> &'static [&'static str] {
        &["name", "arn", "domain_name", "regional_domain_name"]
    }

    /// A sync's `source` starts at the manifest's folder.
    fn decode(
        &self,
        decoder: &mut Decoder,
        fields: &Fields<'_>,
        manifest: &Manifest,
    ) -> Option<Decoded> {
        let node = fields.get(SECTION)?;
        let cx = manifest::Context {
            base: &manifest.base,
            tags: crate::manifest::schema::decode_tags,
            keys: manifest.declared.names("keys").to_vec(),
        };
        Some(Arc::new(manifest::decode(decoder, node, &cx)))
    }

    fn kept_encrypted(&self, decoded: &Decoded) -> Vec<KeptEncrypted> {
        manifest::kept_encrypted(entries(decoded))
    }

    /// Each bucket's name, which load balancers log to and distributions read from.
    fn names(&self, decoded: &Decoded) -> Vec<(String, String)> {
        entries(decoded)
            .iter()
            .map(|bucket| (bucket.key.clone(), bucket.name.clone()))
            .collect()
    }
}

impl Lowering for Buckets {
    /// The buckets, their policies, their synced objects and the invalidations of the
    /// distributions that serve them.
    fn desired(
        &self,
        manifest: &Manifest,
        _env: &Env,
        uses: &mut crate::lower::uses::Uses,
    ) -> Vec<crate::engine::model::Desired> {
        let buckets = decoded(manifest);
        let mut out = lower::desired(buckets, manifest, uses);
        out.extend(policy_lower::desired(buckets, uses));
        out.extend(sync::desired(buckets, uses));
        out.extend(invalidation_lower::desired(buckets, uses));
        out
    }

    fn warm(&self, manifest: &Manifest) {
        sync::warm(decoded(manifest));
    }

    /// What others read of a bucket (its policy, its sync), recorded before it.
    fn grants(&self) -> bool {
        true
    }

    /// All known from the manifest: the name, and what S3 makes of it.
    fn reference(
        &self,
        manifest: &Manifest,
        env: &Env,
        key: &str,
        attribute: &str,
    ) -> Option<Vec<Value>> {
        let name = manifest.name_of(SECTION, key)?;
        Some(vec![Value::str(match attribute {
            "arn" => format!(
                "arn:{}:s3:::{name}",
                crate::aws::iam::partition(&env.region)
            ),
            "domain_name" => format!("{name}.s3.amazonaws.com"),
            "regional_domain_name" => format!("{name}.s3.{}.amazonaws.com", env.region),
            _ => name.to_string(),
        })])
    }
}

/// The buckets a decoding made.
fn entries(decoded: &Decoded) -> &[Bucket] {
    crate::manifest::sections::entries(decoded)
}

/// The buckets the manifest declares.
fn decoded(manifest: &Manifest) -> &[Bucket] {
    manifest.sections.list(SECTION)
}

/// The buckets `edgectl sync` may fill: every bucket the manifest declares (those without
/// a `sync` are refused by name).
pub fn synced(manifest: &Manifest) -> &[Bucket] {
    decoded(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_s_attributes_are_known_from_its_name() {
        let manifest = crate::manifest::parse_bytes(
            "m.yaml",
            b"stack: demo\nregion: eu-west-1\nbuckets:\n  site: { name: demo-site }\n",
            &Default::default(),
            &crate::sections(),
        )
        .unwrap();
        let env = Env {
            region: "eu-west-1".into(),
            zones: Vec::new(),
        };
        let reference = |attribute: &str| Buckets.reference(&manifest, &env, "site", attribute);
        assert_eq!(
            reference("regional_domain_name"),
            Some(vec![Value::str("demo-site.s3.eu-west-1.amazonaws.com")])
        );
        assert_eq!(
            reference("arn"),
            Some(vec![Value::str("arn:aws:s3:::demo-site")])
        );
        assert_eq!(reference("name"), Some(vec![Value::str("demo-site")]));
        assert_eq!(Buckets.reference(&manifest, &env, "other", "name"), None);
    }
}
