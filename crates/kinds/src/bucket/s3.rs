//! What the S3 adapters share — buckets (`bucket.<key>`, `adapter.rs`), their policies
//! (`bucket_policy.<key>`, `policy.rs`), the objects edgectl syncs into them
//! (`objects.<key>`, `objects.rs`) and the invalidation of what distributions cache of
//! them (`invalidation.<key>`, `invalidation.rs`) —: the reads made once per command, the
//! stack's buckets (one ListBuckets and each bucket's tags, [`owned_buckets`]) and each
//! synced bucket's listing ([`listing`]; the comparison of local and live content is
//! `content.rs`), and the `edgectl:sync` tag, which nothing outside this folder writes.
//!
//! Ownership: a bucket carries `edgectl:stack` and `edgectl:id` from CreateBucket itself
//! (`CreateBucketConfiguration.Tags`). A bucket with a sync carries `edgectl:sync`
//! ([`SyncTag`]), which says where the synced objects live and how they were written, so
//! observing lists objects only of those buckets. Every object edgectl uploads carries
//! `x-amz-meta-edgectl-stack`, so that a destroy can tell its objects from others.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use aws_sdk_s3::types::{Delete, ObjectIdentifier, Tag};
use futures::stream::{self, StreamExt, TryStreamExt};
use tokio::sync::OnceCell;

use super::content::Listing;
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind, built};
use crate::aws::ids::BUCKET;
use crate::aws::{Cx, tags};
use crate::engine::model::ResourceId;

/// Set on buckets whose manifest says `force_destroy: true`.
pub const FORCE_DESTROY_TAG: &str = "edgectl:force-destroy";
/// [`SyncTag`] on buckets edgectl syncs into.
pub(super) const SYNC_TAG: &str = "edgectl:sync";
/// Object metadata (`x-amz-meta-…`) naming the stack that uploaded an object.
pub const OBJECT_STACK_KEY: &str = "edgectl-stack";
pub const NO_SUCH_BUCKET: &str = "NoSuchBucket";

/// What the `edgectl:sync` tag records of a bucket's synced content, as words separated by
/// spaces (tag values allow only letters, digits, spaces and `_ . : / = + @ -`): the key
/// prefix in hex, the header rules' fingerprint (`-` for either when empty), then a flag
/// for each that holds: `kms` (the objects were written under SSE-KMS, so their ETags are
/// no content hashes and a listing asks each for edgectl's own), `cdn` (a distribution of
/// the stack serves them, so a change is invalidated), `invalidate` (objects changed and
/// their invalidation is not done yet: an apply stopped in between). Tags written by
/// earlier versions (`<prefix>|<fingerprint>|invalidate`) still read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncTag {
    pub prefix: String,
    pub headers: String,
    pub kms: bool,
    pub cdn: bool,
    pub pending: bool,
}

impl SyncTag {
    pub fn parse(text: &str) -> Self {
        let (prefix, headers, flags): (String, String, Vec<&str>) = if text.contains('|') {
            let mut parts = text.split('|');
            let prefix = parts.next().unwrap_or_default().to_string();
            let headers = parts.next().unwrap_or_default().to_string();
            (prefix, headers, parts.collect())
        } else {
            let mut words = text.split_whitespace();
            let mut next = || words.next().filter(|word| *word != "-").unwrap_or_default();
            let prefix = hex::decode(next())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .unwrap_or_default();
            let headers = next().to_string();
            (prefix, headers, words.collect())
        };
        Self {
            prefix,
            headers,
            kms: flags.contains(&"kms"),
            cdn: flags.contains(&"cdn"),
            pending: flags.contains(&"invalidate"),
        }
    }
}

impl fmt::Display for SyncTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = |text: String| {
            if text.is_empty() {
                "-".to_string()
            } else {
                text
            }
        };
        write!(
            f,
            "{} {}",
            word(hex::encode(&self.prefix)),
            word(self.headers.clone())
        )?;
        for (flag, name) in [
            (self.kms, "kms"),
            (self.cdn, "cdn"),
            (self.pending, "invalidate"),
        ] {
            if flag {
                write!(f, " {name}")?;
            }
        }
        Ok(())
    }
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

    /// Its sync as recorded; `None` when it was never synced.
    pub fn sync(&self) -> Option<SyncTag> {
        self.tag(SYNC_TAG).map(SyncTag::parse)
    }
}

/// A listing's bucket, prefix, and whether its objects were written under SSE-KMS.
type ListingKey = (String, String, bool);

/// The S3 reads the bucket, policy, objects and invalidation kinds share, made once per
/// command (`Reads::kinds`); a command's scope (`edgectl sync`'s buckets) is the
/// context's (`aws::Reads::scope`), kept by a fresh one.
#[derive(Default)]
pub struct Reads {
    buckets: OnceCell<Vec<OwnedBucket>>,
    listings: Mutex<BTreeMap<ListingKey, Arc<OnceCell<Listing>>>>,
    /// The tag set this command last wrote on a bucket: S3 replaces a bucket's whole set,
    /// and a later write in the same command need not read it back.
    written: Mutex<BTreeMap<String, Vec<(String, String)>>>,
}

fn reads(cx: &Cx) -> &Reads {
    cx.reads.kinds.get::<Reads>()
}

pub fn s3_tags(pairs: Vec<(String, String)>) -> Result<Vec<Tag>, AwsError> {
    pairs
        .into_iter()
        .map(|(key, value)| built("Tag", Tag::builder().key(key).value(value).build()))
        .collect()
}

/// The bucket's live tags (none is an empty set, not an error); the set this command
/// wrote last, when it wrote one.
pub async fn bucket_tags(cx: &Cx, name: &str) -> Result<Vec<(String, String)>, AwsError> {
    if let Some(known) = written(cx, name) {
        return Ok(known);
    }
    Ok(tags_if_exists(cx, name, None).await?.unwrap_or_default())
}

fn written(cx: &Cx, name: &str) -> Option<Vec<(String, String)>> {
    reads(cx)
        .written
        .lock()
        .ok()
        .and_then(|written| written.get(name).cloned())
}

/// The bucket's live tags, or `None` when there is no such bucket.
pub async fn tags_if_exists(
    cx: &Cx,
    name: &str,
    owner: Option<&str>,
) -> Result<Option<Vec<(String, String)>>, AwsError> {
    match cx
        .clients
        .s3
        .get_bucket_tagging()
        .bucket(name)
        .set_expected_bucket_owner(owner.map(str::to_string))
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

/// Replaces the bucket's tag set (S3 has no per-key tagging for buckets).
pub async fn put_bucket_tags(
    cx: &Cx,
    name: &str,
    pairs: Vec<(String, String)>,
) -> Result<(), AwsError> {
    let tagging = built(
        "PutBucketTagging",
        aws_sdk_s3::types::Tagging::builder()
            .set_tag_set(Some(s3_tags(pairs.clone())?))
            .build(),
    )?;
    let sent = cx
        .clients
        .s3
        .put_bucket_tagging()
        .bucket(name)
        .tagging(tagging)
        .send()
        .await
        .aws("PutBucketTagging");
    let mut written = reads(cx).written.lock().unwrap_or_else(|e| e.into_inner());
    match sent {
        Ok(_) => {
            written.insert(name.to_string(), pairs);
            Ok(())
        }
        Err(error) => {
            // What is on the bucket now is not known.
            written.remove(name);
            Err(error)
        }
    }
}

/// Sets the bucket's `edgectl:sync` tag, keeping its other tags (read back, or the set
/// this command wrote last). Nothing is written when the tag already says `sync`.
/// Private to `s3`: the tag is the state of a bucket's sync, which its objects and
/// invalidation kinds share (`objects.rs` marks, `invalidation.rs` clears); no other
/// kind may write it, and the compiler says so.
pub(super) async fn set_sync_tag(
    cx: &Cx,
    bucket: &str,
    sync: Option<&SyncTag>,
) -> Result<(), AwsError> {
    let mut tags = bucket_tags(cx, bucket).await?;
    let value = sync.map(ToString::to_string);
    let current = tags
        .iter()
        .find(|(key, _)| key == SYNC_TAG)
        .map(|(_, value)| value.clone());
    if current == value {
        return Ok(());
    }
    tags.retain(|(key, _)| key != SYNC_TAG);
    if let Some(value) = value {
        tags.push((SYNC_TAG.to_string(), value));
    }
    put_bucket_tags(cx, bucket, tags).await
}

/// The stack's buckets in this region, read once per command: those the tagging API lists
/// by the stack's tag (S3 has no tag filter on listing, and reading every bucket's tags
/// would cost a call per bucket of the account, and a permission on each), then each
/// one's tags, read afresh (the tagging API may lag behind a tag written a moment ago:
/// a bucket's sync state is one), concurrently; and the manifest's buckets by their names
/// (`Cx::buckets`), which the listing may not show yet when they were made a moment ago. Under a scope (`edgectl sync`), only the scope's buckets, by name, each
/// refused when it is missing or not the stack's.
pub async fn owned_buckets(cx: &Cx) -> Result<&[OwnedBucket], AwsError> {
    reads(cx)
        .buckets
        .get_or_try_init(|| async {
            match cx.reads.scope.get() {
                Some(scope) => scoped_buckets(cx, scope).await,
                None => listed_buckets(cx).await,
            }
        })
        .await
        .map(Vec::as_slice)
}

async fn listed_buckets(cx: &Cx) -> Result<Vec<OwnedBucket>, AwsError> {
    let listed: Vec<String> = tags::tagged(cx, BUCKET)
        .await?
        .into_iter()
        .filter_map(|(_, arn, _)| arn.rsplit(":::").next().map(str::to_string))
        .collect();
    // Each name once, and whether only the manifest names it.
    let mut names: BTreeMap<String, bool> = listed.into_iter().map(|name| (name, false)).collect();
    for name in &cx.buckets {
        names.entry(name.clone()).or_insert(true);
    }
    let found: Vec<Option<OwnedBucket>> = stream::iter(names)
        .map(|(name, only_named)| async move {
            let tags = match bucket_tags(cx, &name).await {
                Ok(tags) => tags,
                // Deleted between the listing and now, or another region's bucket.
                Err(error)
                    if error.kind == ErrorKind::NotFound
                        || error.code.as_deref() == Some("PermanentRedirect") =>
                {
                    return Ok(None);
                }
                // A name the manifest gives that another account has: its create says so.
                Err(error) if only_named && error.code.as_deref() == Some("AccessDenied") => {
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

async fn scoped_buckets(
    cx: &Cx,
    scope: &[(ResourceId, String)],
) -> Result<Vec<OwnedBucket>, AwsError> {
    futures::future::try_join_all(scope.iter().map(|(id, name)| async move {
        let Some(tags) = tags_if_exists(cx, name, None).await? else {
            return Err(AwsError::new(
                ErrorKind::NotFound,
                "sync",
                format!(
                    "bucket `{}` ({name}) does not exist yet: `edgectl apply` creates it, then `edgectl sync` keeps its content",
                    id.name()
                ),
            ));
        };
        let owner = tags::owned_id(
            &cx.stack,
            tags.iter()
                .map(|(tag, value)| (tag.as_str(), value.as_str())),
        );
        if owner.as_ref() != Some(id) {
            return Err(AwsError::new(
                ErrorKind::Other,
                "sync",
                format!(
                    "bucket `{}` ({name}) is not owned by stack `{}` as `{id}`: edgectl never writes into a bucket it does not own",
                    id.name(),
                    cx.stack
                ),
            ));
        }
        Ok(OwnedBucket {
            id: id.clone(),
            name: name.clone(),
            tags,
        })
    }))
    .await
}

/// The bucket's objects under `prefix` with their content hashes, read once per command
/// (the objects and the invalidation kinds compare the same listing).
pub async fn listing(cx: &Cx, bucket: &str, prefix: &str, kms: bool) -> Result<Listing, AwsError> {
    let cell = {
        let mut listings = reads(cx).listings.lock().unwrap_or_else(|e| e.into_inner());
        listings
            .entry((bucket.to_string(), prefix.to_string(), kms))
            .or_default()
            .clone()
    };
    cell.get_or_try_init(|| super::content::remote_files(cx, bucket, prefix, kms))
        .await
        .cloned()
}

/// The stack's synced buckets whose sync `keep` selects, each with its sync as recorded
/// and its listing (shared: the objects and the invalidation kinds read the same).
pub async fn synced(
    cx: &Cx,
    keep: fn(&SyncTag) -> bool,
) -> Result<Vec<(OwnedBucket, SyncTag, Listing)>, AwsError> {
    let chosen: Vec<(OwnedBucket, SyncTag)> = owned_buckets(cx)
        .await?
        .iter()
        .filter_map(|owned| Some((owned.clone(), owned.sync().filter(keep)?)))
        .collect();
    stream::iter(chosen)
        .map(|(owned, sync)| async move {
            let listed = listing(cx, &owned.name, &sync.prefix, sync.kms).await?;
            Ok::<_, AwsError>((owned, sync, listed))
        })
        .buffer_unordered(8)
        .try_collect()
        .await
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

/// DeleteObjects in batches of 1,000 (its limit), reporting any key it could not delete.
pub async fn delete_identifiers(
    cx: &Cx,
    bucket: &str,
    identifiers: Vec<ObjectIdentifier>,
) -> Result<(), AwsError> {
    for batch in identifiers.chunks(1000) {
        let deleted = cx
            .clients
            .s3
            .delete_objects()
            .bucket(bucket)
            .delete(built(
                "DeleteObjects",
                Delete::builder()
                    .set_objects(Some(batch.to_vec()))
                    .quiet(true)
                    .build(),
            )?)
            .send()
            .await
            .aws("DeleteObjects")?;
        if let Some(error) = deleted.errors().first() {
            return Err(AwsError {
                code: error.code().map(str::to_string),
                ..AwsError::new(
                    ErrorKind::Other,
                    "DeleteObjects",
                    format!(
                        "`{}` was not deleted: {}",
                        error.key().unwrap_or_default(),
                        error.message().unwrap_or_default()
                    ),
                )
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's pattern for tag values: `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`, at most 256.
    /// moto stores any tag value, so this is where the pattern is held to.
    fn valid_tag_value(value: &str) -> bool {
        value.chars().count() <= 256
            && value
                .chars()
                .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
    }

    #[test]
    fn the_sync_tag_is_a_valid_tag_value_and_reads_back() {
        for sync in [
            SyncTag::default(),
            SyncTag {
                prefix: "site/v1 (beta)|x/".to_string(),
                headers: "0123456789abcdef".to_string(),
                kms: true,
                cdn: true,
                pending: true,
            },
            SyncTag {
                cdn: true,
                ..SyncTag::default()
            },
        ] {
            let written = sync.to_string();
            assert!(valid_tag_value(&written), "{written}");
            assert_eq!(SyncTag::parse(&written), sync);
        }
        // Written by earlier versions.
        assert_eq!(
            SyncTag::parse("app/|abc|invalidate"),
            SyncTag {
                prefix: "app/".to_string(),
                headers: "abc".to_string(),
                pending: true,
                ..SyncTag::default()
            }
        );
    }
}
