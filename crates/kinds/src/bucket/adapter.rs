//! A bucket's own configuration: versioning, default encryption, public access block,
//! object ownership, lifecycle, CORS, website, tags. Each is one S3 sub-resource with
//! its own get/put call; a create sends them all, an update only the changed ones.

use async_trait::async_trait;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint,
    BucketVersioningStatus, CorsConfiguration, CorsRule as S3CorsRule, CreateBucketConfiguration,
    ErrorDocument, ExpirationStatus, IndexDocument, LifecycleExpiration,
    LifecycleRule as S3LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration,
    ObjectIdentifier, ObjectOwnership, OwnershipControls, OwnershipControlsRule,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Transition,
    TransitionStorageClass, VersioningConfiguration, WebsiteConfiguration,
};
use futures::stream::{self, StreamExt, TryStreamExt};

use super::lower::{BucketChanges, BucketProps, CorsRule, Encryption, LifecycleRule, Website};
use super::s3::{FORCE_DESTROY_TAG, OwnedBucket, put_bucket_tags};
use crate::aws::ids::BUCKET;
use std::collections::BTreeSet;
use std::time::Duration;

use crate::aws::conditions::{Condition, Given as _, IAM_PROPAGATION, Means, Removal as _};
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind, built};
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::Change;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::Properties as _;

/// Kept on resources whose manifest says `retain: true` (see `plan::diff`).
pub use crate::aws::tags::RETAIN_TAG;

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
        let buckets = super::s3::owned_buckets(cx).await?;
        stream::iter(buckets.to_vec())
            .map(|owned| async move { observe(cx, &owned).await })
            .buffer_unordered(8)
            .try_collect()
            .await
    }

    /// The bucket of the manifest's name in this account (a pin is its name too), with its
    /// policy (the stack's with it). One of another account, or of another region, is
    /// refused.
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = BucketProps::from_props(&desired.props)?;
        let name = pin.unwrap_or(&props.name);
        // In this account: another's, even one that lets this role read it, is not taken.
        let account = crate::aws::account(op.cx).await?;
        let tags = match super::s3::tags_if_exists(op.cx, name, Some(&account)).await {
            Ok(Some(tags)) => tags,
            Ok(None) => return Ok(Found::Nothing),
            Err(error) if error.code.as_deref() == Some("AccessDenied") => {
                return Ok(Found::Refused(taken_elsewhere(name)));
            }
            Err(error) if error.code.as_deref() == Some("PermanentRedirect") => {
                return Ok(Found::Refused(format!(
                    "bucket `{name}` is in another region than the stack's ({})",
                    op.cx.region
                )));
            }
            Err(error) => return Err(error),
        };
        let owned = OwnedBucket {
            id: op.id.clone(),
            name: name.to_string(),
            tags,
        };
        let observed = observe(op.cx, &owned).await?;
        let pairs = owned
            .tags
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()));
        let what = format!("bucket `{name}`");
        let mut found = crate::aws::adopt::found(op.cx, op.id, what, pairs, observed).await?;
        if let Found::Live { also, .. } = &mut found {
            also.extend(super::policy::observe(op.cx, &owned).await?);
        }
        Ok(found)
    }

    /// The ownership tags beside the bucket's own (S3 replaces a bucket's whole tag set).
    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        let name = &found.physical_id;
        let mut pairs = super::s3::tags_if_exists(op.cx, name, None)
            .await?
            .unwrap_or_default();
        let ownership = tags::adopt_tags(op, desired);
        pairs.retain(|(key, _)| !ownership.iter().any(|(owned, _)| owned == key));
        pairs.extend(ownership);
        put_bucket_tags(op.cx, name, pairs).await
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

/// One bucket as observed: its configuration, read at once. About 125 lines: seven
/// concurrent reads in one `try_join!`, each with its own answer for "not configured",
/// then the typed properties built from them.
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
    let encryption = observed_encryption(
        encryption
            .as_ref()
            .and_then(|found| found.server_side_encryption_configuration())
            .and_then(|config| config.rules().first())
            .and_then(|rule| rule.apply_server_side_encryption_by_default()),
    );
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
        .map(|rule| rule.object_ownership().as_str().to_string());
    let mut rules: Vec<LifecycleRule> = lifecycle
        .as_ref()
        .map(|found| found.rules().iter().map(observed_rule).collect())
        .unwrap_or_default();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    let cors: Vec<CorsRule> = cors
        .as_ref()
        .map(|found| found.cors_rules().iter().map(observed_cors).collect())
        .unwrap_or_default();
    let website = website
        .as_ref()
        .and_then(|found| observed_website(found.index_document(), found.error_document()));
    let pairs = || owned.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let props = BucketProps {
        name: owned.name.clone(),
        // No status: never versioned.
        versioning: versioning.status() == Some(&BucketVersioningStatus::Enabled),
        encryption,
        block_public_access: block,
        object_ownership: ownership,
        lifecycle: rules,
        cors,
        website,
        force_destroy: owned.tag(FORCE_DESTROY_TAG) == Some("true"),
        tags: tags::observed_tag_map(pairs()),
    };
    let mut resource = Observed::new(owned.id.clone(), &owned.name, props.into_props());
    resource.extra.insert("name".into(), owned.name.clone());
    Ok(resource)
}

/// The default encryption as the `encryption` property holds it: nothing without one.
fn observed_encryption(default: Option<&ServerSideEncryptionByDefault>) -> Option<Encryption> {
    let default = default?;
    let algorithm = default.sse_algorithm().as_str();
    let kms_key = default
        .kms_master_key_id()
        .filter(|_| algorithm != "AES256")
        .map_or(Value::Null, |key| Value::Phys(key.to_string()));
    Some(Encryption {
        algorithm: algorithm.to_string(),
        kms_key,
    })
}

/// The website as the `website` property holds it: nothing without an index document.
fn observed_website(
    index: Option<&IndexDocument>,
    error: Option<&ErrorDocument>,
) -> Option<Website> {
    Some(Website {
        index: index?.suffix().to_string(),
        error: error.map(|error| error.key().to_string()),
    })
}

fn observed_cors(rule: &S3CorsRule) -> CorsRule {
    let set = |items: &[String]| -> BTreeSet<String> { items.iter().cloned().collect() };
    CorsRule {
        origins: set(rule.allowed_origins()),
        methods: set(rule.allowed_methods()),
        headers: set(rule.allowed_headers()),
        expose: set(rule.expose_headers()),
        max_age: rule.max_age_seconds().map(i64::from),
    }
}

fn observed_rule(rule: &S3LifecycleRule) -> LifecycleRule {
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
    let days = |days: Option<i32>| days.map(i64::from);
    LifecycleRule {
        id: rule.id().unwrap_or_default().to_string(),
        prefix: prefix.to_string(),
        enabled: rule.status() == &ExpirationStatus::Enabled,
        transitions: transitions
            .into_iter()
            .map(|(days, class)| format!("{days} days: {class}"))
            .collect(),
        expire_after_days: days(rule.expiration().and_then(|expiration| expiration.days())),
        noncurrent_expire_after_days: days(
            rule.noncurrent_version_expiration()
                .and_then(|expiration| expiration.noncurrent_days()),
        ),
        abort_multipart_after_days: days(
            rule.abort_incomplete_multipart_upload()
                .and_then(|abort| abort.days_after_initiation()),
        ),
    }
}

fn not_ours(name: &str, id: &ResourceId, stack: &str) -> String {
    format!(
        "bucket `{name}` already exists in this account but is not tagged as `{id}` of stack `{stack}`: choose another name, or take it over with `edgectl adopt -f FILE {id}` (unless another edgectl stack owns it)"
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
    let props = BucketProps::from_props(&desired.props).map_err(|mismatch| mismatch.to_string())?;
    let name = props.name.as_str();
    // Asked as this account's: another's, even one this role may read, answers 403.
    let account = crate::aws::account(cx)
        .await
        .map_err(|error| format!("cannot check whether the name is taken: {error}"))?;
    match super::s3::tags_if_exists(cx, name, Some(&account)).await {
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
    let props = BucketProps::from_props(&desired.props)?;
    let name = props.name.clone();
    let mut pairs = tags::create_tags(&op.cx.stack, op.id, &props.tags);
    if props.force_destroy {
        pairs.push((FORCE_DESTROY_TAG.into(), "true".into()));
    }
    let mut configuration =
        CreateBucketConfiguration::builder().set_tags(Some(super::s3::s3_tags(pairs)?));
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
            props
                .object_ownership
                .as_deref()
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
    // What S3 has by default is not sent: versioning off, no lifecycle, CORS or website.
    let send = BucketChanges {
        versioning: props.versioning,
        encryption: true,
        block_public_access: true,
        // Sent with CreateBucket.
        object_ownership: false,
        lifecycle: !props.lifecycle.is_empty(),
        cors: !props.cors.is_empty(),
        website: props.website.is_some(),
        ..BucketChanges::default()
    };
    put_sub_resources(op, &name, &props, send).await?;
    Ok(name)
}

/// Sends the sub-resources `send` flags, each its desired value (or deletes it).
async fn put_sub_resources(
    op: &OpCx<'_>,
    name: &str,
    props: &BucketProps,
    send: BucketChanges,
) -> Result<(), AwsError> {
    if send.versioning {
        put_versioning(op, name, props.versioning).await?;
    }
    if send.encryption {
        put_encryption(op, name, props.encryption.as_ref()).await?;
    }
    if send.block_public_access {
        put_public_access_block(op, name, props.block_public_access).await?;
    }
    if send.object_ownership {
        put_ownership(op, name, props.object_ownership.as_deref()).await?;
    }
    if send.lifecycle {
        put_lifecycle(op, name, &props.lifecycle).await?;
    }
    if send.cors {
        put_cors(op, name, &props.cors).await?;
    }
    if send.website {
        put_website(op, name, props.website.as_ref()).await?;
    }
    Ok(())
}

async fn put_versioning(op: &OpCx<'_>, name: &str, enabled: bool) -> Result<(), AwsError> {
    let status = if enabled {
        BucketVersioningStatus::Enabled
    } else {
        // A bucket once versioned can only be suspended, never unversioned.
        BucketVersioningStatus::Suspended
    };
    op.cx
        .clients
        .s3
        .put_bucket_versioning()
        .bucket(name)
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .aws("PutBucketVersioning")
        .map(drop)
}

async fn put_encryption(
    op: &OpCx<'_>,
    name: &str,
    encryption: Option<&Encryption>,
) -> Result<(), AwsError> {
    let kms = encryption.is_some_and(|encryption| encryption.algorithm == "aws:kms");
    let mut default = ServerSideEncryptionByDefault::builder().sse_algorithm(if kms {
        ServerSideEncryption::AwsKms
    } else {
        ServerSideEncryption::Aes256
    });
    let key = encryption.map_or(&Value::Null, |encryption| &encryption.kms_key);
    if let Some(key) = op.resolve_optional(key)? {
        default = default.kms_master_key_id(key);
    }
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(built("PutBucketEncryption", default.build())?)
        // Bucket keys cut KMS requests (and cost) for SSE-KMS.
        .bucket_key_enabled(kms)
        .build();
    op.cx
        .clients
        .s3
        .put_bucket_encryption()
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

async fn put_public_access_block(op: &OpCx<'_>, name: &str, block: bool) -> Result<(), AwsError> {
    let s3 = &op.cx.clients.s3;
    if !block {
        return s3
            .delete_public_access_block()
            .bucket(name)
            .send()
            .await
            .aws("DeletePublicAccessBlock")
            .done_if_gone(CONDITIONS);
    }
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
}

async fn put_ownership(op: &OpCx<'_>, name: &str, ownership: Option<&str>) -> Result<(), AwsError> {
    let ownership = ObjectOwnership::from(ownership.unwrap_or("BucketOwnerEnforced"));
    op.cx
        .clients
        .s3
        .put_bucket_ownership_controls()
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

async fn put_lifecycle(op: &OpCx<'_>, name: &str, rules: &[LifecycleRule]) -> Result<(), AwsError> {
    let s3 = &op.cx.clients.s3;
    let rules: Vec<S3LifecycleRule> = rules.iter().map(lifecycle_rule).collect::<Result<_, _>>()?;
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

async fn put_cors(op: &OpCx<'_>, name: &str, rules: &[CorsRule]) -> Result<(), AwsError> {
    let s3 = &op.cx.clients.s3;
    let rules: Vec<S3CorsRule> = rules.iter().map(cors_rule).collect::<Result<_, _>>()?;
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

async fn put_website(op: &OpCx<'_>, name: &str, website: Option<&Website>) -> Result<(), AwsError> {
    let s3 = &op.cx.clients.s3;
    let Some(website) = website else {
        return s3
            .delete_bucket_website()
            .bucket(name)
            .send()
            .await
            .aws("DeleteBucketWebsite")
            .done_if_gone(CONDITIONS);
    };
    let mut configuration = WebsiteConfiguration::builder().index_document(built(
        "PutBucketWebsite",
        IndexDocument::builder()
            .suffix(website.index.as_str())
            .build(),
    )?);
    if let Some(error) = website.error.as_deref() {
        configuration = configuration.error_document(built(
            "PutBucketWebsite",
            ErrorDocument::builder().key(error).build(),
        )?);
    }
    s3.put_bucket_website()
        .bucket(name)
        .website_configuration(configuration.build())
        .send()
        .await
        .aws("PutBucketWebsite")
        .map(drop)
}

fn lifecycle_rule(lifecycle: &LifecycleRule) -> Result<S3LifecycleRule, AwsError> {
    let days = |days: Option<i64>| days.map(|days| days as i32);
    let mut rule = S3LifecycleRule::builder()
        .id(lifecycle.id.as_str())
        .filter(
            LifecycleRuleFilter::builder()
                .prefix(lifecycle.prefix.as_str())
                .build(),
        )
        .status(if lifecycle.enabled {
            ExpirationStatus::Enabled
        } else {
            ExpirationStatus::Disabled
        });
    for transition in &lifecycle.transitions {
        let Some((days, class)) = transition.split_once(" days: ") else {
            continue;
        };
        rule = rule.transitions(
            Transition::builder()
                .days(days.parse().unwrap_or(0))
                .storage_class(TransitionStorageClass::from(class))
                .build(),
        );
    }
    if let Some(days) = days(lifecycle.expire_after_days) {
        rule = rule.expiration(LifecycleExpiration::builder().days(days).build());
    }
    if let Some(days) = days(lifecycle.noncurrent_expire_after_days) {
        rule = rule.noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(days)
                .build(),
        );
    }
    if let Some(days) = days(lifecycle.abort_multipart_after_days) {
        rule = rule.abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(days)
                .build(),
        );
    }
    built("PutBucketLifecycleConfiguration", rule.build())
}

fn cors_rule(cors: &CorsRule) -> Result<S3CorsRule, AwsError> {
    let list = |items: &BTreeSet<String>| -> Vec<String> { items.iter().cloned().collect() };
    let mut rule = S3CorsRule::builder()
        .set_allowed_origins(Some(list(&cors.origins)))
        .set_allowed_methods(Some(list(&cors.methods)))
        .set_allowed_headers(Some(list(&cors.headers)))
        .set_expose_headers(Some(list(&cors.expose)));
    if let Some(age) = cors.max_age {
        rule = rule.max_age_seconds(age as i32);
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
    let props = BucketProps::from_props(&desired.props)?;
    let changed = BucketProps::changed(changes);
    put_sub_resources(op, &name, &props, changed).await?;
    if changed.tags || changed.force_destroy {
        // The whole set is replaced: keep edgectl's own tags (ownership, sync) as they are,
        // and AWS's (`aws:cloudformation:*` on a bucket adopted from a stack that retains
        // it), which S3 refuses to remove (InvalidTag).
        let mut pairs: Vec<(String, String)> = super::s3::bucket_tags(op.cx, &name)
            .await?
            .into_iter()
            .filter(|(key, _)| {
                key.starts_with("aws:")
                    || (key.starts_with("edgectl:")
                        && key != FORCE_DESTROY_TAG
                        && key != RETAIN_TAG)
            })
            .collect();
        pairs.extend(
            tags::create_tags(&op.cx.stack, op.id, &props.tags)
                .into_iter()
                .filter(|(key, _)| key != tags::STACK_TAG && key != tags::ID_TAG),
        );
        if props.force_destroy {
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
                key: version
                    .key()
                    .ok_or_else(|| AwsError::missing("ListObjectVersions", "Key"))?
                    .to_string(),
                version: version.version_id().map(str::to_string),
                marker: false,
            });
        }
        for marker in page.delete_markers() {
            out.push(Version {
                key: marker
                    .key()
                    .ok_or_else(|| AwsError::missing("ListObjectVersions", "DeleteMarkers.Key"))?
                    .to_string(),
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
            let ours =
                super::s3::uploaded_by_stack(cx, name, &version.key, version.version.as_deref())
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
    let live = BucketProps::from_props(&observed.props).map_err(|mismatch| mismatch.to_string())?;
    if live.force_destroy {
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
        crate::base::text::plural(foreign.len(), "object"),
        shown.join(", ")
    ))
}

async fn delete(op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
    let name = observed.physical_id.as_str();
    let live = BucketProps::from_props(&observed.props)?;
    if !live.force_destroy {
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
        let missing = |field| AwsError::missing("ListMultipartUploads", field);
        s3.abort_multipart_upload()
            .bucket(name)
            .key(upload.key().ok_or_else(|| missing("Key"))?)
            .upload_id(upload.upload_id().ok_or_else(|| missing("UploadId"))?)
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
    super::s3::delete_identifiers(cx, name, identifiers).await
}

use crate::aws::permissions::{On, Permission};

/// The IAM permissions this kind's calls need (`edgectl policy`); the suite's
/// `policy` test runs each shipped manifest with no more than these.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        actions: &[
            "s3:CreateBucket",
            "s3:TagResource",
            "s3:DeleteBucket",
            "s3:ListBucket",
            "s3:ListBucketVersions",
            "s3:ListBucketMultipartUploads",
            "s3:GetBucketTagging",
            "s3:PutBucketTagging",
            "s3:GetBucketPolicy",
            "s3:PutBucketPolicy",
            "s3:DeleteBucketPolicy",
            "s3:GetBucketVersioning",
            "s3:PutBucketVersioning",
            "s3:GetBucketWebsite",
            "s3:PutBucketWebsite",
            "s3:DeleteBucketWebsite",
            "s3:GetBucketCORS",
            "s3:PutBucketCORS",
            "s3:GetLifecycleConfiguration",
            "s3:PutLifecycleConfiguration",
            "s3:GetEncryptionConfiguration",
            "s3:PutEncryptionConfiguration",
            "s3:GetBucketOwnershipControls",
            "s3:PutBucketOwnershipControls",
            "s3:GetBucketPublicAccessBlock",
            "s3:PutBucketPublicAccessBlock",
        ],
        on: On::Named {
            kind: "bucket",
            arn: "arn:{partition}:s3:::{name}",
        },
    },
    Permission {
        actions: &[
            "s3:GetObject",
            "s3:PutObject",
            "s3:DeleteObject",
            "s3:DeleteObjectVersion",
            "s3:AbortMultipartUpload",
        ],
        on: On::Named {
            kind: "bucket",
            arn: "arn:{partition}:s3:::{name}/*",
        },
    },
    Permission {
        actions: &["kms:GenerateDataKey", "kms:Decrypt"],
        on: On::Owned,
    },
];
