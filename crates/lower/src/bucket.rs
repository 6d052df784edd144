//! Lowering: buckets: name, versioning, encryption, public access block, lifecycle,
//! ownership.

use crate::aws::s3::bucket::cors_value;
use crate::aws::s3::bucket_id;
use crate::aws::tags;
use crate::engine::model::{Desired, Mode, Value, props};
use crate::manifest::Manifest;
use crate::manifest::edge::{Bucket, LifecycleRule as ManifestRule};

pub fn desired(manifest: &Manifest) -> Vec<Desired> {
    manifest
        .edge
        .buckets
        .iter()
        .map(|bucket| Desired {
            id: bucket_id(&bucket.key),
            props: props([
                ("name", Value::str(&bucket.name), Mode::Replace),
                ("versioning", Value::Bool(bucket.versioning), Mode::InPlace),
                ("encryption", encryption(bucket), Mode::InPlace),
                (
                    "block_public_access",
                    Value::Bool(bucket.block_public_access),
                    Mode::InPlace,
                ),
                (
                    "object_ownership",
                    Value::str(bucket.object_ownership),
                    Mode::InPlace,
                ),
                (
                    "lifecycle",
                    Value::List(bucket.lifecycle.iter().map(rule_value).collect()),
                    Mode::InPlace,
                ),
                (
                    "cors",
                    Value::List(
                        bucket
                            .cors
                            .iter()
                            .map(|rule| {
                                cors_value(
                                    &rule.origins,
                                    &rule.methods,
                                    &rule.headers,
                                    &rule.expose,
                                    rule.max_age,
                                )
                            })
                            .collect(),
                    ),
                    Mode::InPlace,
                ),
                (
                    "website",
                    bucket.website.as_ref().map_or(Value::Null, |website| {
                        Value::map([
                            ("index", Value::str(&website.index)),
                            (
                                "error",
                                website.error.as_ref().map_or(Value::Null, Value::str),
                            ),
                        ])
                    }),
                    Mode::InPlace,
                ),
                (
                    "force_destroy",
                    Value::Bool(bucket.force_destroy),
                    Mode::InPlace,
                ),
                (
                    "tags",
                    tags::managed_tags(&manifest.tags, &bucket.tags, &bucket.name, bucket.retain),
                    Mode::InPlace,
                ),
            ]),
            after: Vec::new(),
        })
        .collect()
}

pub fn encryption(bucket: &Bucket) -> Value {
    match &bucket.kms {
        None => Value::map([
            ("algorithm", Value::str("AES256")),
            ("kms_key", Value::Null),
        ]),
        Some(key) => Value::map([
            ("algorithm", Value::str("aws:kms")),
            // S3 uses the account's `aws/s3` key when none is named.
            (
                "kms_key",
                key.as_ref()
                    .map_or(Value::AwsDefault, super::key::key_value),
            ),
        ]),
    }
}

pub fn rule_value(rule: &ManifestRule) -> Value {
    let days = |days: Option<i64>| days.map_or(Value::Null, Value::Int);
    Value::map([
        ("id", Value::str(&rule.id)),
        ("prefix", Value::str(&rule.prefix)),
        ("enabled", Value::Bool(rule.enabled)),
        (
            "transitions",
            Value::List(
                rule.transitions
                    .iter()
                    .map(|(days, class)| Value::str(format!("{days} days: {class}")))
                    .collect(),
            ),
        ),
        ("expire_after_days", days(rule.expire_after_days)),
        (
            "noncurrent_expire_after_days",
            days(rule.noncurrent_expire_after_days),
        ),
        (
            "abort_multipart_after_days",
            days(rule.abort_multipart_after_days),
        ),
    ])
}
