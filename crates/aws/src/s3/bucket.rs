//! A bucket's own configuration: versioning, default encryption, public access block,
//! object ownership, lifecycle, CORS, website, tags. Each is one S3 sub-resource with
//! its own get/put call; a create sends them all, an update only the changed ones.

use async_trait::async_trait;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint,
    BucketVersioningStatus, CorsConfiguration, CorsRule, CreateBucketConfiguration, ErrorDocument,
    ExpirationStatus, IndexDocument, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter,
    NoncurrentVersionExpiration, ObjectIdentifier, ObjectOwnership, OwnershipControls,
    OwnershipControlsRule, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    Transition, TransitionStorageClass, VersioningConfiguration, WebsiteConfiguration,
};
use futures::stream::{self, StreamExt, TryStreamExt};

use super::{BUCKET, FORCE_DESTROY_TAG, OwnedBucket, put_bucket_tags};
use std::time::Duration;

use crate::conditions::{Condition, Given as _, IAM_PROPAGATION, Means, Removal as _};
use crate::engine::diff::Change;
use crate::engine::model::{Desired, Mode, Observed, ResourceId, Value, props};
use crate::errors::{AwsError, AwsResultExt, ErrorKind, built};
use crate::{Cx, OpCx, tags};

/// Kept on resources whose manifest says `retain: true` (see `plan::diff`).
pub use crate::tags::RETAIN_TAG;

pub fn cors_value(
    origins: &[String],
    methods: &[String],
    headers: &[String],
    expose: &[String],
    max_age: Option<i64>,
) -> Value {
    let set = |items: &[String]| Value::Set(items.iter().map(Value::str).collect());
    Value::map([
        ("origins", set(origins)),
        ("methods", set(methods)),
        ("headers", set(headers)),
        ("expose", set(expose)),
        ("max_age", max_age.map_or(Value::Null, Value::Int)),
    ])
}

pub struct BucketAdapter;

/// S3 aborts a call that meets another operation on the bucket ("A conflicting
/// conditional operation is currently in progress against this resource. Please try
/// again": a bucket of that name deleted moments ago, a configuration being applied),
/// as the Terraform provider's `internal/service/s3/bucket.go` (`resourceBucketCreate`,
/// 20 minutes) and `bucket_server_side_encryption_configuration.go` (2 minutes) retry it.
pub const CONDITIONS: &[Condition] = &[
    Condition {
        operation: "CreateBucket",
        code: "OperationAborted",
        message: None,
        means: Means::Settling {
            awaiting: "another operation on a bucket of this name to finish",
            window: Duration::from_secs(20 * 60),
        },
        source: "terraform-provider-aws internal/service/s3/bucket.go resourceBucketCreate",
    },
    Condition {
        operation: "PutBucketEncryption",
        code: "OperationAborted",
        message: None,
        means: Means::Settling {
            awaiting: "another operation on the bucket to finish",
            window: IAM_PROPAGATION,
        },
        source: "terraform-provider-aws internal/service/s3/bucket_server_side_encryption_configuration.go",
    },
    Condition {
        operation: "DeleteBucketLifecycle",
        code: "NoSuchLifecycleConfiguration",
        message: None,
        means: Means::Gone,
        source: "terraform-provider-aws internal/service/s3/bucket_lifecycle_configuration.go resourceBucketLifecycleConfigurationDelete",
    },
    Condition {
        operation: "DeleteBucketLifecycle",
        code: "NoSuchBucket",
        message: None,
        means: Means::Gone,
        source: "terraform-provider-aws internal/service/s3/bucket_lifecycle_configuration.go resourceBucketLifecycleConfigurationDelete",
    },
    Condition {
        operation: "DeleteBucketCors",
        code: "NoSuchCORSConfiguration",
        message: None,
        means: Means::Gone,
        source: "terraform-provider-aws internal/service/s3/bucket_cors_configuration.go resourceBucketCorsConfigurationDelete",
    },
    Condition {
        operation: "DeleteBucketCors",
        code: "NoSuchBucket",
        message: None,
        means: Means::Gone,
        source: "terraform-provider-aws internal/service/s3/bucket_cors_configuration.go resourceBucketCorsConfigurationDelete",
    },
    Condition {
        operation: "DeleteBucketWebsite",
        code: "NoSuchWebsiteConfiguration",
        message: None,
        means: Means::Gone,
        source: "terraform-provider-aws internal/service/s3/bucket_website_configuration.go resourceBucketWebsiteConfigurationDelete",
    },
    Condition {
        operation: "DeleteBucketWebsite",
        code: "NoSuchBucket",
        message: None,
        means: Means::Gone,
        source: "terraform-provider-aws internal/service/s3/bucket_website_configuration.go resourceBucketWebsiteConfigurationDelete",
    },
    Condition {
        operation: "DeletePublicAccessBlock",
        code: "NoSuchPublicAccessBlockConfiguration",
        message: None,
        means: Means::Gone,
        source: "terraform-provider-aws internal/service/s3/bucket_public_access_block.go resourceBucketPublicAccessBlockDelete",
    },
    Condition {
        operation: "DeletePublicAccessBlock",
        code: "NoSuchBucket",
        message: None,
        means: Means::Gone,
        source: "terraform-provider-aws internal/service/s3/bucket_public_access_block.go resourceBucketPublicAccessBlockDelete",
    },
];

#[async_trait]
impl crate::engine::kind::Kind for BucketAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[BUCKET]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let buckets = super::owned_buckets(cx).await?;
        stream::iter(buckets.to_vec())
            .map(|owned| async move { observe(cx, &owned).await })
            .buffer_unordered(8)
            .try_collect()
            .await
    }

    async fn preflight_delete(&self, cx: &Cx, observed: &Observed) -> Result<(), String> {
        preflight_delete(cx, observed).await
    }

    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        preflight_create(cx, desired).await
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        create(op, desired).await
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        update(op, desired, observed, changes).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        delete(op, observed).await
    }
}

/// Reads a sub-resource, `None` when the bucket has none configured.
async fn optional<T>(result: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match result {
        Ok(found) => Ok(Some(found)),
        Err(error) if error.kind == ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// One bucket as observed: its configuration, read at once.
async fn observe(cx: &Cx, owned: &OwnedBucket) -> Result<Observed, AwsError> {
    let s3 = &cx.clients.s3;
    let name = owned.name.as_str();
    let (versioning, encryption, public, ownership, lifecycle, cors, website) = futures::try_join!(
        async {
            s3.get_bucket_versioning()
                .bucket(name)
                .send()
                .await
                .aws("GetBucketVersioning")
        },
        async {
            optional(
                s3.get_bucket_encryption()
                    .bucket(name)
                    .send()
                    .await
                    .aws("GetBucketEncryption"),
            )
            .await
        },
        async {
            optional(
                s3.get_public_access_block()
                    .bucket(name)
                    .send()
                    .await
                    .aws("GetPublicAccessBlock"),
            )
            .await
        },
        async {
            optional(
                s3.get_bucket_ownership_controls()
                    .bucket(name)
                    .send()
                    .await
                    .aws("GetBucketOwnershipControls"),
            )
            .await
        },
        async {
            optional(
                s3.get_bucket_lifecycle_configuration()
                    .bucket(name)
                    .send()
                    .await
                    .aws("GetBucketLifecycleConfiguration"),
            )
            .await
        },
        async {
            optional(
                s3.get_bucket_cors()
                    .bucket(name)
                    .send()
                    .await
                    .aws("GetBucketCors"),
            )
            .await
        },
        async {
            optional(
                s3.get_bucket_website()
                    .bucket(name)
                    .send()
                    .await
                    .aws("GetBucketWebsite"),
            )
            .await
        },
    )?;
    let default = encryption
        .as_ref()
        .and_then(|found| found.server_side_encryption_configuration())
        .and_then(|config| config.rules().first())
        .and_then(|rule| rule.apply_server_side_encryption_by_default());
    let kms = default.is_some_and(|default| default.sse_algorithm().as_str() != "AES256");
    let encryption = default.map_or(Value::Null, |default| {
        Value::map([
            ("algorithm", Value::str(default.sse_algorithm().as_str())),
            (
                "kms_key",
                default
                    .kms_master_key_id()
                    .filter(|_| kms)
                    .map_or(Value::Null, |key| Value::Phys(key.to_string())),
            ),
        ])
    });
    let block = public
        .as_ref()
        .and_then(|found| found.public_access_block_configuration())
        .is_some_and(|config| {
            [
                config.block_public_acls(),
                config.ignore_public_acls(),
                config.block_public_policy(),
                config.restrict_public_buckets(),
            ]
            .iter()
            .all(|flag| *flag == Some(true))
        });
    let ownership = ownership
        .as_ref()
        .and_then(|found| found.ownership_controls())
        .and_then(|controls| controls.rules().first())
        .map_or(Value::Null, |rule| {
            Value::str(rule.object_ownership().as_str())
        });
    let mut rules: Vec<Value> = lifecycle
        .as_ref()
        .map(|found| found.rules().iter().map(observed_rule).collect())
        .unwrap_or_default();
    rules.sort_by(|a, b| rule_id(a).cmp(rule_id(b)));
    let cors = Value::List(
        cors.as_ref()
            .map(|found| {
                found
                    .cors_rules()
                    .iter()
                    .map(|rule| {
                        cors_value(
                            rule.allowed_origins(),
                            rule.allowed_methods(),
                            rule.allowed_headers(),
                            rule.expose_headers(),
                            rule.max_age_seconds().map(i64::from),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
    );
    let website = website
        .as_ref()
        .and_then(|found| {
            Some(Value::map([
                ("index", Value::str(found.index_document()?.suffix())),
                (
                    "error",
                    found
                        .error_document()
                        .map_or(Value::Null, |error| Value::str(error.key())),
                ),
            ]))
        })
        .unwrap_or(Value::Null);
    let pairs = || owned.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let mut resource = Observed::new(
        owned.id.clone(),
        &owned.name,
        props([
            ("name", Value::str(&owned.name), Mode::Replace),
            (
                "versioning",
                Value::Bool(versioning.status() == Some(&BucketVersioningStatus::Enabled)),
                Mode::InPlace,
            ),
            ("encryption", encryption, Mode::InPlace),
            ("block_public_access", Value::Bool(block), Mode::InPlace),
            ("object_ownership", ownership, Mode::InPlace),
            ("lifecycle", Value::List(rules), Mode::InPlace),
            ("cors", cors, Mode::InPlace),
            ("website", website, Mode::InPlace),
            (
                "force_destroy",
                Value::Bool(owned.tag(FORCE_DESTROY_TAG) == Some("true")),
                Mode::InPlace,
            ),
            ("tags", tags::observed_tags(pairs()), Mode::InPlace),
        ]),
    );
    resource.extra.insert("name".into(), owned.name.clone());
    Ok(resource)
}

fn rule_id(rule: &Value) -> &str {
    rule.as_map()
        .and_then(|map| map.get("id"))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn observed_rule(rule: &LifecycleRule) -> Value {
    let prefix = rule
        .filter()
        .and_then(|filter| filter.prefix())
        // Rules written by older tools keep their prefix outside the filter.
        .or({
            #[allow(deprecated)]
            rule.prefix()
        })
        .unwrap_or_default();
    let mut transitions: Vec<(i32, String)> = rule
        .transitions()
        .iter()
        .filter_map(|transition| {
            Some((
                transition.days()?,
                transition.storage_class()?.as_str().to_string(),
            ))
        })
        .collect();
    transitions.sort();
    let days = |days: Option<i32>| days.map_or(Value::Null, |days| Value::Int(days.into()));
    Value::map([
        ("id", Value::str(rule.id().unwrap_or_default())),
        ("prefix", Value::str(prefix)),
        (
            "enabled",
            Value::Bool(rule.status() == &ExpirationStatus::Enabled),
        ),
        (
            "transitions",
            Value::List(
                transitions
                    .into_iter()
                    .map(|(days, class)| Value::str(format!("{days} days: {class}")))
                    .collect(),
            ),
        ),
        (
            "expire_after_days",
            days(rule.expiration().and_then(|expiration| expiration.days())),
        ),
        (
            "noncurrent_expire_after_days",
            days(
                rule.noncurrent_version_expiration()
                    .and_then(|expiration| expiration.noncurrent_days()),
            ),
        ),
        (
            "abort_multipart_after_days",
            days(
                rule.abort_incomplete_multipart_upload()
                    .and_then(|abort| abort.days_after_initiation()),
            ),
        ),
    ])
}

fn not_ours(name: &str, id: &ResourceId, stack: &str) -> String {
    format!(
        "bucket `{name}` already exists in this account but is not tagged as `{id}` of stack `{stack}`; edgectl does not take over buckets it did not create (tag it `edgectl:stack={stack}` and `edgectl:id={id}` to adopt it, or choose another name)"
    )
}

fn taken_elsewhere(name: &str) -> String {
    format!(
        "bucket name `{name}` is taken by another AWS account (bucket names are global): choose another `name`"
    )
}

/// Bucket names are global: one taken in this account by a bucket without the stack's
/// tags, or by another account (S3 answers 403), is refused before anything changes.
/// `create` checks again, for a bucket made in between.
async fn preflight_create(cx: &Cx, desired: &Desired) -> Result<(), String> {
    let name = desired.value("name").as_str().unwrap_or_default();
    match super::tags_if_exists(cx, name).await {
        Ok(None) => Ok(()),
        Ok(Some(pairs)) => {
            let owned = tags::owned_id(
                &cx.stack,
                pairs
                    .iter()
                    .map(|(key, value)| (key.as_str(), value.as_str())),
            );
            if owned.as_ref() == Some(&desired.id) {
                Ok(())
            } else {
                Err(not_ours(name, &desired.id, &cx.stack))
            }
        }
        Err(error) if error.code.as_deref() == Some("AccessDenied") => Err(taken_elsewhere(name)),
        Err(error) => Err(format!("cannot check whether the name is taken: {error}")),
    }
}

async fn create(op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
    let s3 = &op.cx.clients.s3;
    let name = desired
        .value("name")
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut pairs = crate::tags::for_create(op, desired);
    if desired.value("force_destroy") == &Value::Bool(true) {
        pairs.push((FORCE_DESTROY_TAG.into(), "true".into()));
    }
    let mut configuration =
        CreateBucketConfiguration::builder().set_tags(Some(super::s3_tags(pairs)?));
    // us-east-1 takes no location constraint (and refuses its own name as one).
    if op.cx.region != "us-east-1" {
        configuration = configuration
            .location_constraint(BucketLocationConstraint::from(op.cx.region.as_str()));
    }
    // In us-east-1 CreateBucket answers 200 for a bucket the account already owns (other
    // regions say BucketAlreadyOwnedByYou): ask first, so that a bucket edgectl did not
    // create (it would have been observed by its tags) is never configured as if it had.
    match s3
        .head_bucket()
        .bucket(&name)
        .send()
        .await
        .aws("HeadBucket")
    {
        Ok(_) => {
            return Err(AwsError::new(
                ErrorKind::Conflict,
                "CreateBucket",
                not_ours(&name, op.id, &op.cx.stack),
            ));
        }
        Err(error) if error.kind == ErrorKind::NotFound => {}
        // 403: another account's bucket; CreateBucket says so below.
        Err(_) => {}
    }
    let created = s3
        .create_bucket()
        .bucket(&name)
        .create_bucket_configuration(configuration.build())
        .object_ownership(ObjectOwnership::from(
            desired
                .value("object_ownership")
                .as_str()
                .unwrap_or("BucketOwnerEnforced"),
        ))
        .send()
        .await
        .aws("CreateBucket")
        .given(CONDITIONS);
    match created {
        Ok(_) => {}
        Err(error) if error.code.as_deref() == Some("BucketAlreadyOwnedByYou") => {
            return Err(AwsError {
                message: not_ours(&name, op.id, &op.cx.stack),
                ..error
            });
        }
        Err(error) if error.code.as_deref() == Some("BucketAlreadyExists") => {
            return Err(AwsError {
                message: taken_elsewhere(&name),
                ..error
            });
        }
        Err(error) => return Err(error),
    }
    // A bucket just created may answer NoSuchBucket for a moment: the walk takes the
    // create up again from the live bucket (`made`).
    op.made(&name);
    let all = [
        "versioning",
        "encryption",
        "block_public_access",
        "object_ownership",
        "lifecycle",
        "cors",
        "website",
    ];
    for field in all {
        let value = desired.value(field);
        let unset = match field {
            "versioning" => value == &Value::Bool(false),
            "lifecycle" | "cors" => value.items().next().is_none(),
            "website" => value == &Value::Null,
            // Sent with CreateBucket.
            "object_ownership" => true,
            _ => false,
        };
        if unset {
            continue;
        }
        put_field(op, &name, field, value).await?;
    }
    Ok(name)
}

/// Sends one sub-resource's desired value (or deletes it).
async fn put_field(op: &OpCx<'_>, name: &str, field: &str, value: &Value) -> Result<(), AwsError> {
    let cx = op.cx;
    let s3 = &cx.clients.s3;
    match field {
        "versioning" => {
            let status = if value == &Value::Bool(true) {
                BucketVersioningStatus::Enabled
            } else {
                // A bucket once versioned can only be suspended, never unversioned.
                BucketVersioningStatus::Suspended
            };
            s3.put_bucket_versioning()
                .bucket(name)
                .versioning_configuration(VersioningConfiguration::builder().status(status).build())
                .send()
                .await
                .aws("PutBucketVersioning")
                .map(drop)
        }
        "encryption" => {
            let map = value.as_map().cloned().unwrap_or_default();
            let kms = map.get("algorithm").and_then(Value::as_str) == Some("aws:kms");
            let mut default = ServerSideEncryptionByDefault::builder().sse_algorithm(if kms {
                ServerSideEncryption::AwsKms
            } else {
                ServerSideEncryption::Aes256
            });
            if let Some(key) = op.resolve_optional(map.get("kms_key").unwrap_or(&Value::Null))? {
                default = default.kms_master_key_id(key);
            }
            let rule = ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(built(
                    "PutBucketEncryption",
                    default.build(),
                )?)
                // Bucket keys cut KMS requests (and cost) for SSE-KMS.
                .bucket_key_enabled(kms)
                .build();
            s3.put_bucket_encryption()
                .bucket(name)
                .server_side_encryption_configuration(built(
                    "PutBucketEncryption",
                    ServerSideEncryptionConfiguration::builder()
                        .rules(rule)
                        .build(),
                )?)
                .send()
                .await
                .aws("PutBucketEncryption")
                .given(CONDITIONS)
                .map(drop)
        }
        "block_public_access" => {
            if value == &Value::Bool(true) {
                s3.put_public_access_block()
                    .bucket(name)
                    .public_access_block_configuration(
                        PublicAccessBlockConfiguration::builder()
                            .block_public_acls(true)
                            .ignore_public_acls(true)
                            .block_public_policy(true)
                            .restrict_public_buckets(true)
                            .build(),
                    )
                    .send()
                    .await
                    .aws("PutPublicAccessBlock")
                    .map(drop)
            } else {
                s3.delete_public_access_block()
                    .bucket(name)
                    .send()
                    .await
                    .aws("DeletePublicAccessBlock")
                    .done_if_gone(CONDITIONS)
            }
        }
        "object_ownership" => {
            let ownership = ObjectOwnership::from(value.as_str().unwrap_or("BucketOwnerEnforced"));
            s3.put_bucket_ownership_controls()
                .bucket(name)
                .ownership_controls(built(
                    "PutBucketOwnershipControls",
                    OwnershipControls::builder()
                        .rules(built(
                            "PutBucketOwnershipControls",
                            OwnershipControlsRule::builder()
                                .object_ownership(ownership)
                                .build(),
                        )?)
                        .build(),
                )?)
                .send()
                .await
                .aws("PutBucketOwnershipControls")
                .map(drop)
        }
        "lifecycle" => {
            let rules: Vec<LifecycleRule> = value
                .items()
                .map(lifecycle_rule)
                .collect::<Result<_, _>>()?;
            if rules.is_empty() {
                return s3
                    .delete_bucket_lifecycle()
                    .bucket(name)
                    .send()
                    .await
                    .aws("DeleteBucketLifecycle")
                    .done_if_gone(CONDITIONS);
            }
            s3.put_bucket_lifecycle_configuration()
                .bucket(name)
                .lifecycle_configuration(built(
                    "PutBucketLifecycleConfiguration",
                    BucketLifecycleConfiguration::builder()
                        .set_rules(Some(rules))
                        .build(),
                )?)
                .send()
                .await
                .aws("PutBucketLifecycleConfiguration")
                .map(drop)
        }
        "cors" => {
            let rules: Vec<CorsRule> = value.items().map(cors_rule).collect::<Result<_, _>>()?;
            if rules.is_empty() {
                return s3
                    .delete_bucket_cors()
                    .bucket(name)
                    .send()
                    .await
                    .aws("DeleteBucketCors")
                    .done_if_gone(CONDITIONS);
            }
            s3.put_bucket_cors()
                .bucket(name)
                .cors_configuration(built(
                    "PutBucketCors",
                    CorsConfiguration::builder()
                        .set_cors_rules(Some(rules))
                        .build(),
                )?)
                .send()
                .await
                .aws("PutBucketCors")
                .map(drop)
        }
        "website" => match value.as_map() {
            None => s3
                .delete_bucket_website()
                .bucket(name)
                .send()
                .await
                .aws("DeleteBucketWebsite")
                .done_if_gone(CONDITIONS),
            Some(map) => {
                let mut website = WebsiteConfiguration::builder().index_document(built(
                    "PutBucketWebsite",
                    IndexDocument::builder()
                        .suffix(
                            map.get("index")
                                .and_then(Value::as_str)
                                .unwrap_or("index.html"),
                        )
                        .build(),
                )?);
                if let Some(error) = map.get("error").and_then(Value::as_str) {
                    website = website.error_document(built(
                        "PutBucketWebsite",
                        ErrorDocument::builder().key(error).build(),
                    )?);
                }
                s3.put_bucket_website()
                    .bucket(name)
                    .website_configuration(website.build())
                    .send()
                    .await
                    .aws("PutBucketWebsite")
                    .map(drop)
            }
        },
        _ => Ok(()),
    }
}

fn lifecycle_rule(value: &Value) -> Result<LifecycleRule, AwsError> {
    let empty = Default::default();
    let map = value.as_map().unwrap_or(&empty);
    let text = |key: &str| map.get(key).and_then(Value::as_str).unwrap_or_default();
    let days = |key: &str| match map.get(key) {
        Some(Value::Int(days)) => Some(*days as i32),
        _ => None,
    };
    let mut rule = LifecycleRule::builder()
        .id(text("id"))
        .filter(
            LifecycleRuleFilter::builder()
                .prefix(text("prefix"))
                .build(),
        )
        .status(if map.get("enabled") == Some(&Value::Bool(false)) {
            ExpirationStatus::Disabled
        } else {
            ExpirationStatus::Enabled
        });
    for transition in map.get("transitions").into_iter().flat_map(Value::items) {
        let Some((days, class)) = transition
            .as_str()
            .and_then(|text| text.split_once(" days: "))
        else {
            continue;
        };
        rule = rule.transitions(
            Transition::builder()
                .days(days.parse().unwrap_or(0))
                .storage_class(TransitionStorageClass::from(class))
                .build(),
        );
    }
    if let Some(days) = days("expire_after_days") {
        rule = rule.expiration(LifecycleExpiration::builder().days(days).build());
    }
    if let Some(days) = days("noncurrent_expire_after_days") {
        rule = rule.noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(days)
                .build(),
        );
    }
    if let Some(days) = days("abort_multipart_after_days") {
        rule = rule.abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(days)
                .build(),
        );
    }
    built("PutBucketLifecycleConfiguration", rule.build())
}

fn cors_rule(value: &Value) -> Result<CorsRule, AwsError> {
    let empty = Default::default();
    let map = value.as_map().unwrap_or(&empty);
    let list = |key: &str| -> Vec<String> {
        map.get(key)
            .into_iter()
            .flat_map(Value::items)
            .filter_map(|item| item.as_str().map(str::to_string))
            .collect()
    };
    let mut rule = CorsRule::builder()
        .set_allowed_origins(Some(list("origins")))
        .set_allowed_methods(Some(list("methods")))
        .set_allowed_headers(Some(list("headers")))
        .set_expose_headers(Some(list("expose")));
    if let Some(Value::Int(age)) = map.get("max_age") {
        rule = rule.max_age_seconds(*age as i32);
    }
    built("PutBucketCors", rule.build())
}

async fn update(
    op: &OpCx<'_>,
    desired: &Desired,
    observed: &Observed,
    changes: &[Change],
) -> Result<(), AwsError> {
    let name = observed.detail("name")?.to_string();
    for change in changes {
        if !matches!(change.field.as_str(), "tags" | "force_destroy") {
            put_field(op, &name, &change.field, &change.new).await?;
        }
    }
    if changes
        .iter()
        .any(|change| matches!(change.field.as_str(), "tags" | "force_destroy"))
    {
        // The whole set is replaced: keep edgectl's own tags (ownership, sync) as they are.
        let mut pairs: Vec<(String, String)> = super::bucket_tags(op.cx, &name)
            .await?
            .into_iter()
            .filter(|(key, _)| {
                key.starts_with("edgectl:") && key != FORCE_DESTROY_TAG && key != RETAIN_TAG
            })
            .collect();
        pairs.extend(
            tags::create_tags(&op.cx.stack, op.id, desired.value("tags"))
                .into_iter()
                .filter(|(key, _)| key != tags::STACK_TAG && key != tags::ID_TAG),
        );
        if desired.value("force_destroy") == &Value::Bool(true) {
            pairs.push((FORCE_DESTROY_TAG.into(), "true".into()));
        }
        put_bucket_tags(op.cx, &name, pairs).await?;
    }
    Ok(())
}

/// One object version or delete marker of a bucket.
struct Version {
    key: String,
    version: Option<String>,
    marker: bool,
}

/// Every object version and delete marker (a bucket never versioned lists its objects
/// with the version `null`).
async fn versions(cx: &Cx, name: &str) -> Result<Vec<Version>, AwsError> {
    let mut out = Vec::new();
    let mut key_marker: Option<String> = None;
    let mut version_marker: Option<String> = None;
    loop {
        let page = cx
            .clients
            .s3
            .list_object_versions()
            .bucket(name)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .send()
            .await
            .aws("ListObjectVersions")?;
        for version in page.versions() {
            out.push(Version {
                key: version.key().unwrap_or_default().to_string(),
                version: version.version_id().map(str::to_string),
                marker: false,
            });
        }
        for marker in page.delete_markers() {
            out.push(Version {
                key: marker.key().unwrap_or_default().to_string(),
                version: marker.version_id().map(str::to_string),
                marker: true,
            });
        }
        if page.is_truncated() != Some(true) {
            return Ok(out);
        }
        key_marker = page.next_key_marker().map(str::to_string);
        version_marker = page.next_version_id_marker().map(str::to_string);
        if key_marker.is_none() {
            return Ok(out);
        }
    }
}

/// Object versions that edgectl did not upload for this stack (delete markers hold no data
/// and are not counted). One HeadObject per version: run only before a bucket's deletion.
async fn foreign_objects(cx: &Cx, name: &str) -> Result<Vec<String>, AwsError> {
    let listed = versions(cx, name).await?;
    let foreign: Vec<Option<String>> = stream::iter(listed.into_iter().filter(|v| !v.marker))
        .map(|version| async move {
            let ours = super::uploaded_by_stack(cx, name, &version.key, version.version.as_deref())
                .await?;
            // Gone since the listing (None) is not foreign.
            Ok::<_, AwsError>((ours == Some(false)).then_some(version.key))
        })
        .buffer_unordered(32)
        .try_collect()
        .await?;
    let mut keys: Vec<String> = foreign.into_iter().flatten().collect();
    keys.sort();
    keys.dedup();
    Ok(keys)
}

/// Refuses, before anything is deleted, a bucket that holds objects edgectl did not put
/// there, unless the bucket says `force_destroy`.
async fn preflight_delete(cx: &Cx, observed: &Observed) -> Result<(), String> {
    if observed.value("force_destroy") == &Value::Bool(true) {
        return Ok(());
    }
    let name = observed.physical_id.as_str();
    let foreign = foreign_objects(cx, name)
        .await
        .map_err(|error| error.to_string())?;
    if foreign.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = foreign.iter().take(5).map(String::as_str).collect();
    let more = if foreign.len() > shown.len() {
        format!(" and {} more", foreign.len() - shown.len())
    } else {
        String::new()
    };
    Err(format!(
        "bucket `{name}` holds {} edgectl did not put there ({}{more}); edgectl empties a bucket only when the manifest says `force_destroy: true` (apply that first), or empty it yourself",
        crate::text::plural(foreign.len(), "object"),
        shown.join(", ")
    ))
}

async fn delete(op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
    let name = observed.physical_id.as_str();
    let force = observed.value("force_destroy") == &Value::Bool(true);
    if !force {
        // Checked before the walk started; checked again, since objects may have arrived.
        if let Err(message) = preflight_delete(op.cx, observed).await {
            return Err(AwsError::new(ErrorKind::Blocked, "DeleteBucket", message));
        }
    }
    empty(op.cx, name).await?;
    let result = op
        .cx
        .clients
        .s3
        .delete_bucket()
        .bucket(name)
        .send()
        .await
        .aws("DeleteBucket");
    match result {
        Err(error) if error.kind == ErrorKind::NotFound => Ok(()),
        other => other.map(drop),
    }
}

/// Deletes every object version, delete marker and unfinished multipart upload.
pub async fn empty(cx: &Cx, name: &str) -> Result<(), AwsError> {
    let s3 = &cx.clients.s3;
    let uploads = s3
        .list_multipart_uploads()
        .bucket(name)
        .send()
        .await
        .aws("ListMultipartUploads")?;
    for upload in uploads.uploads() {
        s3.abort_multipart_upload()
            .bucket(name)
            .key(upload.key().unwrap_or_default())
            .upload_id(upload.upload_id().unwrap_or_default())
            .send()
            .await
            .aws("AbortMultipartUpload")?;
    }
    let listed = versions(cx, name).await?;
    let identifiers: Vec<ObjectIdentifier> = listed
        .into_iter()
        .map(|version| {
            built(
                "DeleteObjects",
                ObjectIdentifier::builder()
                    .key(version.key)
                    .set_version_id(version.version)
                    .build(),
            )
        })
        .collect::<Result<_, _>>()?;
    super::delete_identifiers(cx, name, identifiers).await
}
