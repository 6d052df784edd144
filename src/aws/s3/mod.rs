//! S3: buckets (`bucket.<key>`), their policies (`bucket_policy.<key>`) and the objects
//! edgectl syncs into them (`objects.<key>`). One adapter, since one listing of the
//! account's buckets and their tags finds all three.
//!
//! Ownership: a bucket carries `edgectl:stack` and `edgectl:id` from CreateBucket itself
//! (`CreateBucketConfiguration.Tags`). A bucket with a sync carries `edgectl:sync`, whose
//! value says where the synced objects live and which header rules they were written
//! with, so observing lists objects only of those buckets. Every object edgectl uploads
//! carries `x-amz-meta-edgectl-stack`, so that a destroy can tell its objects from others.

pub mod bucket;
pub mod policy;
pub mod sync;

use async_trait::async_trait;
use aws_sdk_s3::types::Tag;
use futures::stream::{self, StreamExt, TryStreamExt};

use super::errors::{AwsError, AwsResultExt, ErrorKind, built};
use super::{Cx, OpCx, tags};
use crate::engine::diff::Change;
use crate::engine::model::{Desired, Observed, ResourceId};

pub const BUCKET: &str = "bucket";
pub const POLICY: &str = "bucket_policy";
pub const OBJECTS: &str = "objects";
/// Set on buckets whose manifest says `force_destroy: true`.
pub const FORCE_DESTROY_TAG: &str = "edgectl:force-destroy";
/// `<prefix>|<header rules fingerprint>` on buckets edgectl syncs into.
pub const SYNC_TAG: &str = "edgectl:sync";
/// Object metadata (`x-amz-meta-…`) naming the stack that uploaded an object.
pub const OBJECT_STACK_KEY: &str = "edgectl-stack";

pub fn bucket_id(key: &str) -> ResourceId {
    ResourceId::new(BUCKET, key)
}

/// A bucket of the stack as listed: its name and every tag.
#[derive(Clone, Debug)]
pub struct OwnedBucket {
    pub id: ResourceId,
    pub name: String,
    pub tags: Vec<(String, String)>,
}

impl OwnedBucket {
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }
}

pub fn s3_tags(pairs: Vec<(String, String)>) -> Result<Vec<Tag>, AwsError> {
    pairs
        .into_iter()
        .map(|(key, value)| built("Tag", Tag::builder().key(key).value(value).build()))
        .collect()
}

/// The bucket's live tags (none is an empty set, not an error).
pub async fn bucket_tags(cx: &Cx, name: &str) -> Result<Vec<(String, String)>, AwsError> {
    Ok(tags_if_exists(cx, name).await?.unwrap_or_default())
}

/// The bucket's live tags, or `None` when there is no such bucket.
pub async fn tags_if_exists(
    cx: &Cx,
    name: &str,
) -> Result<Option<Vec<(String, String)>>, AwsError> {
    match cx
        .clients
        .s3
        .get_bucket_tagging()
        .bucket(name)
        .send()
        .await
        .aws("GetBucketTagging")
    {
        Ok(found) => Ok(Some(
            found
                .tag_set()
                .iter()
                .map(|tag| (tag.key().to_string(), tag.value().to_string()))
                .collect(),
        )),
        Err(error) if error.code.as_deref() == Some(NO_SUCH_BUCKET) => Ok(None),
        // `NoSuchTagSet`: a bucket without tags.
        Err(error) if error.kind == ErrorKind::NotFound => Ok(Some(Vec::new())),
        Err(error) => Err(error),
    }
}

pub const NO_SUCH_BUCKET: &str = "NoSuchBucket";

/// Replaces the bucket's tag set (S3 has no per-key tagging for buckets).
pub async fn put_bucket_tags(
    cx: &Cx,
    name: &str,
    pairs: Vec<(String, String)>,
) -> Result<(), AwsError> {
    let tagging = built(
        "PutBucketTagging",
        aws_sdk_s3::types::Tagging::builder()
            .set_tag_set(Some(s3_tags(pairs)?))
            .build(),
    )?;
    cx.clients
        .s3
        .put_bucket_tagging()
        .bucket(name)
        .tagging(tagging)
        .send()
        .await
        .aws("PutBucketTagging")
        .map(drop)
}

/// The stack's buckets in this region: one ListBuckets, then one GetBucketTagging per
/// bucket of the region (S3 has no tag filter on listing), concurrently.
pub async fn owned_buckets(cx: &Cx) -> Result<Vec<OwnedBucket>, AwsError> {
    let listed = cx
        .clients
        .s3
        .list_buckets()
        .bucket_region(&cx.region)
        .max_buckets(10_000)
        .send()
        .await
        .aws("ListBuckets")?;
    let names: Vec<String> = listed
        .buckets()
        .iter()
        // Older endpoints ignore the region filter: check it where the answer says.
        .filter(|bucket| {
            bucket
                .bucket_region()
                .is_none_or(|region| region == cx.region)
        })
        .filter_map(|bucket| bucket.name().map(str::to_string))
        .collect();
    let found: Vec<Option<OwnedBucket>> = stream::iter(names)
        .map(|name| async move {
            let tags = match bucket_tags(cx, &name).await {
                Ok(tags) => tags,
                // Deleted between the listing and now, or another region's bucket.
                Err(error)
                    if error.kind == ErrorKind::NotFound
                        || error.code.as_deref() == Some("PermanentRedirect") =>
                {
                    return Ok(None);
                }
                Err(error) => return Err(error),
            };
            let id = tags::owned_id(
                &cx.stack,
                tags.iter()
                    .map(|(key, value)| (key.as_str(), value.as_str())),
            );
            Ok(id
                .filter(|id| id.kind() == BUCKET)
                .map(|id| OwnedBucket { id, name, tags }))
        })
        .buffer_unordered(16)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

/// Whether this stack uploaded the object (version): `None` when it is gone.
pub async fn uploaded_by_stack(
    cx: &Cx,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> Result<Option<bool>, AwsError> {
    let head = cx
        .clients
        .s3
        .head_object()
        .bucket(bucket)
        .key(key)
        // A bucket never versioned lists its objects with the version `null`.
        .set_version_id(version.filter(|id| *id != "null").map(str::to_string))
        .send()
        .await
        .aws("HeadObject");
    match head {
        Ok(head) => Ok(Some(
            head.metadata()
                .and_then(|metadata| metadata.get(OBJECT_STACK_KEY))
                .is_some_and(|stack| *stack == cx.stack),
        )),
        Err(error) if error.kind == ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

pub struct BucketAdapter;

#[async_trait]
impl crate::engine::kind::Kind for BucketAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[BUCKET, POLICY, OBJECTS]
    }

    fn normalize(&self, desired: &mut Desired, observed: &mut Observed) {
        if observed.id.kind() == OBJECTS {
            sync::normalize(desired, observed);
        }
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let buckets = owned_buckets(cx).await?;
        let observed: Vec<Vec<Observed>> = stream::iter(buckets)
            .map(|owned| async move {
                // The listing starts with the rest, read as ETags; a bucket that turns out
                // to encrypt with KMS is listed again with edgectl's own hashes.
                let ((mut out, encryption_kms), policy, objects) = futures::try_join!(
                    bucket::observe(cx, &owned),
                    policy::observe(cx, &owned),
                    sync::observe(cx, &owned, false)
                )?;
                out.extend(policy);
                let objects = match objects {
                    Some(_) if encryption_kms => sync::observe(cx, &owned, true).await?,
                    other => other,
                };
                out.extend(objects);
                Ok::<_, AwsError>(out)
            })
            .buffer_unordered(8)
            .try_collect()
            .await?;
        Ok(observed.into_iter().flatten().collect())
    }

    async fn preflight_delete(&self, cx: &Cx, observed: &Observed) -> Result<(), String> {
        match observed.id.kind() {
            BUCKET => bucket::preflight_delete(cx, observed).await,
            _ => Ok(()),
        }
    }

    fn invalid(&self, desired: &Desired) -> Option<String> {
        if let Some(error) = desired.value("scan_error").as_str() {
            return Some(error.to_string());
        }
        // A saved plan applied later: its folder must still be what was planned, checked
        // before anything changes.
        (desired.id.kind() == OBJECTS)
            .then(|| sync::changed_since_plan(desired))
            .flatten()
    }

    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        match desired.id.kind() {
            BUCKET => bucket::preflight_create(cx, desired).await,
            _ => Ok(()),
        }
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        match op.id.kind() {
            BUCKET => bucket::create(op, desired).await,
            POLICY => policy::put(op, desired).await,
            _ => sync::apply(op, desired, None).await,
        }
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        match op.id.kind() {
            BUCKET => bucket::update(op, desired, observed, changes).await,
            POLICY => policy::put(op, desired).await.map(drop),
            _ => sync::apply(op, desired, Some(observed)).await.map(drop),
        }
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        match op.id.kind() {
            BUCKET => bucket::delete(op, observed).await,
            POLICY => policy::delete(op, observed).await,
            _ => sync::delete(op, observed).await,
        }
    }
}
