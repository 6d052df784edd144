//! Lowering: buckets: name, versioning, encryption, public access block, lifecycle,
//! ownership, CORS, website.

use super::uses::{KeyUser, Uses};
use std::collections::BTreeSet;

use crate::aws::ids::bucket_id;
use crate::aws::s3::bucket::{BucketProps, CorsRule, Encryption, LifecycleRule, Website};
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;
use crate::manifest::edge::{Bucket, CorsRule as ManifestCors, LifecycleRule as ManifestRule};

pub fn desired(manifest: &Manifest, uses: &mut Uses) -> Vec<Desired> {
    manifest
        .edge
        .buckets
        .iter()
        .map(|bucket| {
            let props = BucketProps {
                name: bucket.name.clone(),
                versioning: bucket.versioning,
                encryption: Some(encryption(bucket, uses)),
                block_public_access: bucket.block_public_access,
                object_ownership: Some(bucket.object_ownership.to_string()),
                lifecycle: bucket.lifecycle.iter().map(lifecycle_rule).collect(),
                cors: bucket.cors.iter().map(cors_rule).collect(),
                website: bucket.website.as_ref().map(|website| Website {
                    index: website.index.clone(),
                    error: website.error.clone(),
                }),
                force_destroy: bucket.force_destroy,
                tags: tags::managed_tag_map(
                    &manifest.tags,
                    &bucket.tags,
                    &bucket.name,
                    bucket.retain,
                ),
            };
            Desired {
                id: bucket_id(&bucket.key),
                props: props.into_props(),
                after: Vec::new(),
            }
        })
        .collect()
}

pub fn encryption(bucket: &Bucket, uses: &mut Uses) -> Encryption {
    match &bucket.kms {
        None => Encryption {
            algorithm: "AES256".into(),
            kms_key: Value::Null,
        },
        Some(key) => Encryption {
            algorithm: "aws:kms".into(),
            // S3 uses the account's `aws/s3` key when none is named.
            kms_key: key.as_ref().map_or(Value::AwsDefault, |key| {
                uses.key(&bucket_id(&bucket.key), key, KeyUser::Via("s3"))
            }),
        },
    }
}

pub fn lifecycle_rule(rule: &ManifestRule) -> LifecycleRule {
    LifecycleRule {
        id: rule.id.clone(),
        prefix: rule.prefix.clone(),
        enabled: rule.enabled,
        transitions: rule
            .transitions
            .iter()
            .map(|(days, class)| format!("{days} days: {class}"))
            .collect(),
        expire_after_days: rule.expire_after_days,
        noncurrent_expire_after_days: rule.noncurrent_expire_after_days,
        abort_multipart_after_days: rule.abort_multipart_after_days,
    }
}

fn cors_rule(rule: &ManifestCors) -> CorsRule {
    let set = |items: &[String]| -> BTreeSet<String> { items.iter().cloned().collect() };
    CorsRule {
        origins: set(&rule.origins),
        methods: set(&rule.methods),
        headers: set(&rule.headers),
        expose: set(&rule.expose),
        max_age: rule.max_age,
    }
}
