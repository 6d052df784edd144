//! Content sync (`objects.<key>`): a local folder mirrored into a bucket as part of apply
//! (and of `edgectl sync`). The comparison of local and live content is `content.rs`;
//! this kind uploads what changed, deletes what went, and records the sync in the
//! bucket's `edgectl:sync` tag ([`SyncTag`]). Telling the distributions in front what
//! changed is the invalidation kind's (`invalidation.rs`), which runs after:
//! when objects a distribution serves are about to change, the tag is marked first, so
//! that an apply stopped in between still invalidates on the next run.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, ObjectIdentifier};
use futures::stream::{self, StreamExt, TryStreamExt};

use super::content::{
    self, HASH_KEY, HASHED, LocalFile, PART_SIZE, scanned_files, unchanged_since_plan,
};
use super::lower::{ObjectsLocal, ObjectsProps};
use super::s3::{OBJECT_STACK_KEY, SyncTag};
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind, built};
use crate::aws::ids::{OBJECTS, objects_id};
use crate::aws::{Cx, OpCx};
use crate::engine::diff::{Action, Change, Entry, Step, Summary};
use crate::engine::model::{Desired, Observed, Value};
use crate::engine::typed::Properties as _;

const UPLOADS_AT_ONCE: usize = 16;
const PARTS_AT_ONCE: usize = 8;

pub struct ObjectsAdapter;

#[async_trait]
impl crate::engine::kind::Kind for ObjectsAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[OBJECTS]
    }

    /// What only the manifest knows goes onto the live side (whether remote files missing
    /// locally are deleted), and the live objects settle the desired files (see
    /// [`content::settle`]).
    fn normalize(&self, desired: &mut Desired, observed: &mut Observed) {
        let (Ok(mut want), Ok(local), Ok(mut live)) = (
            ObjectsProps::from_props(&desired.props),
            ObjectsLocal::from_props(&desired.props),
            ObjectsProps::from_props(&observed.props),
        ) else {
            return;
        };
        // Absent from a live side normalized already: nothing more is hashed.
        let sizes = live.sizes.take().unwrap_or_default();
        content::settle(
            &local.scan,
            local.delete,
            &mut want.files,
            &mut live.files,
            &sizes,
        );
        desired.props.extend(want.into_props());
        observed.props = live.into_props();
        // A scan that failed stays a difference: the step it makes is refused before
        // anything changes (`invalid`), never read as "nothing to sync".
        observed.props.extend(
            ObjectsLocal {
                scan_error: None,
                ..local
            }
            .into_props(),
        );
    }

    fn invalid(&self, desired: &Desired) -> Option<String> {
        let (props, local) = match (
            ObjectsProps::from_props(&desired.props),
            ObjectsLocal::from_props(&desired.props),
        ) {
            (Ok(props), Ok(local)) => (props, local),
            (Err(mismatch), _) | (_, Err(mismatch)) => return Some(mismatch.to_string()),
        };
        if let Some(error) = local.scan_error {
            return Some(error);
        }
        // A saved plan applied later: its folder must still be what was planned, checked
        // before anything changes.
        content::changed_since_plan(&local.scan, &props.files)
    }

    fn summarize(&self, step: &Step) -> Option<Summary> {
        summarize(step)
    }

    /// Every synced bucket's objects, from the listing the invalidation kind shares.
    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let synced = super::s3::synced(cx, |_| true).await?;
        Ok(synced
            .into_iter()
            .map(|(owned, sync, listed)| recorded(&owned.id, &owned.name, &sync, listed))
            .collect())
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        apply(op, desired, None).await
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        _changes: &[Change],
    ) -> Result<(), AwsError> {
        apply(op, desired, Some(observed)).await.map(drop)
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        delete(op, observed).await
    }
}

/// The objects resource of a bucket synced as `sync` says, from its listing.
fn recorded(
    id: &crate::engine::model::ResourceId,
    bucket: &str,
    sync: &SyncTag,
    listed: content::Listing,
) -> Observed {
    let (files, sizes) = content::live_files(listed);
    let props = ObjectsProps {
        bucket: Value::Phys(bucket.to_string()),
        prefix: sync.prefix.clone(),
        files,
        sizes: Some(sizes),
        headers: sync.headers.clone(),
        fronted: sync.cdn,
    };
    let mut resource = Observed::new(objects_id(id.name()), bucket, props.into_props());
    resource.extra.insert("sync".into(), sync.to_string());
    resource
}

/// A sync as counts ("3 to upload, 1 to delete, 120 unchanged"), with its files as entries.
fn summarize(step: &Step) -> Option<Summary> {
    let desired = step.desired.as_ref()?;
    let props = ObjectsProps::from_props(&desired.props).ok()?;
    let local = ObjectsLocal::from_props(&desired.props).ok()?;
    let live = match &step.observed {
        Some(observed) => Some(ObjectsProps::from_props(&observed.props).ok()?),
        None => None,
    };
    let headers_changed = live
        .as_ref()
        .is_some_and(|live| live.headers != props.headers);
    let none = BTreeMap::new();
    let old = live.as_ref().map_or(&none, |live| &live.files);
    let sync = content::summary(old, &props.files, headers_changed);
    let mut lines = vec![format!(
        "bucket {}: {} to upload, {} to delete, {} unchanged{}",
        step.id.name(),
        sync.added.len() + sync.changed.len(),
        sync.deleted.len(),
        sync.unchanged,
        if headers_changed {
            " (cache rules changed: every file is uploaded again with its new headers)"
        } else {
            ""
        }
    )];
    if let Some(error) = &local.scan_error {
        lines.push(format!("# {error}"));
    }
    if !local.skipped.is_empty() {
        lines.push(format!(
            "# skipped, not regular files: {}",
            local.skipped.join(", ")
        ));
    }
    let entries = [
        (Action::Create, &sync.added),
        (Action::Update, &sync.changed),
        (Action::Delete, &sync.deleted),
    ]
    .into_iter()
    .flat_map(|(action, keys)| {
        keys.iter().map(move |key| Entry {
            action,
            name: key.clone(),
        })
    })
    .collect();
    Some(Summary { lines, entries })
}

/// The desired and the live files an apply acts on. An update acts on the plan's own
/// comparison (`settle` matched the desired hashes against the live listing). A create
/// has no live side yet: the bucket may already hold objects, so it is listed now and
/// settled the same way.
async fn compared(
    op: &OpCx<'_>,
    bucket: &str,
    props: &ObjectsProps,
    local: &ObjectsLocal,
    live: Option<ObjectsProps>,
) -> Result<(BTreeMap<String, String>, BTreeMap<String, String>), AwsError> {
    if let Some(live) = live {
        return Ok((props.files.clone(), live.files));
    }
    let listed = content::remote_files(op.cx, bucket, &props.prefix, local.kms).await?;
    let (mut live, sizes) = content::live_files(listed);
    let mut wanted = props.files.clone();
    tokio::task::block_in_place(|| {
        content::settle(&local.scan, local.delete, &mut wanted, &mut live, &sizes)
    });
    Ok((wanted, live))
}

/// Uploads what changed, deletes what went, and records the sync on the bucket. Returns
/// the bucket's name.
pub async fn apply(
    op: &OpCx<'_>,
    desired: &Desired,
    observed: Option<&Observed>,
) -> Result<String, AwsError> {
    let props = ObjectsProps::from_props(&desired.props)?;
    let local = ObjectsLocal::from_props(&desired.props)?;
    if let Some(error) = &local.scan_error {
        return Err(AwsError::new(ErrorKind::Other, "sync", error.as_str()));
    }
    let bucket = op.resolve(&props.bucket)?;
    let Some(files) = scanned_files(&local.scan) else {
        return Err(AwsError::new(
            ErrorKind::Other,
            "sync",
            "the folder was planned but cannot be read again",
        ));
    };
    if let Err(what) = unchanged_since_plan(&files, &props.files) {
        return Err(AwsError::new(
            ErrorKind::Other,
            "sync",
            format!(
                "{what} in the folder since the plan was made; nothing of it was uploaded: make a new plan"
            ),
        ));
    }
    let live = observed
        .map(|observed| ObjectsProps::from_props(&observed.props))
        .transpose()?;
    let headers_changed = live
        .as_ref()
        .is_some_and(|live| live.headers != props.headers);
    let (wanted, live) = compared(op, &bucket, &props, &local, live).await?;
    let uploads: Vec<&LocalFile> = files
        .iter()
        .filter(|file| headers_changed || wanted.get(&file.key) != live.get(&file.key))
        .collect();
    // Remote-only keys are in the live map only with `delete: true` (see `settle`).
    let deletes: Vec<String> = live
        .keys()
        .filter(|key| !wanted.contains_key(*key))
        .cloned()
        .collect();
    let cx = op.cx;
    let was = observed
        .and_then(|live| live.extra.get("sync"))
        .map(|tag| SyncTag::parse(tag));
    // Served objects about to change (overwritten or deleted; new ones were never
    // served) are marked for invalidation first, so that no crash loses it. The
    // invalidation kind clears the mark once the distributions are told.
    let served = was.as_ref().is_some_and(|was| was.cdn) && props.fronted;
    let overwrites = uploads.iter().any(|file| live.contains_key(&file.key));
    let pending = was.as_ref().is_some_and(|was| was.pending);
    let now = SyncTag {
        prefix: props.prefix.clone(),
        headers: props.headers.clone(),
        kms: local.kms,
        cdn: props.fronted,
        pending: pending || (served && (overwrites || !deletes.is_empty())),
    };
    if now.pending && !pending {
        super::s3::set_sync_tag(cx, &bucket, Some(&now)).await?;
    }
    let owned: Vec<LocalFile> = uploads.iter().map(|file| (*file).clone()).collect();
    let bucket_name = bucket.as_str();
    let tally = &Tally {
        op,
        files: AtomicUsize::new(0),
        bytes: AtomicU64::new(0),
        total_files: owned.len(),
        total_bytes: owned.iter().map(|file| file.size).sum(),
    };
    stream::iter(owned)
        .map(|file| async move { upload(cx, bucket_name, &file, tally).await })
        .buffer_unordered(UPLOADS_AT_ONCE)
        .try_collect::<Vec<()>>()
        .await?;
    let identifiers: Vec<ObjectIdentifier> = deletes
        .iter()
        .map(|key| {
            built(
                "DeleteObjects",
                ObjectIdentifier::builder().key(key).build(),
            )
        })
        .collect::<Result<_, _>>()?;
    super::s3::delete_identifiers(cx, &bucket, identifiers).await?;
    // Record the sync once its objects are all there, unless the tag read with the
    // listing (or written above) already says exactly that.
    if was.as_ref() != Some(&now) {
        super::s3::set_sync_tag(cx, &bucket, Some(&now)).await?;
    }
    Ok(bucket)
}

/// Uploads done so far, told to the progress display as they finish.
struct Tally<'a> {
    op: &'a OpCx<'a>,
    files: AtomicUsize,
    bytes: AtomicU64,
    total_files: usize,
    total_bytes: u64,
}

impl Tally<'_> {
    fn add(&self, files: usize, bytes: u64) {
        let files = self.files.fetch_add(files, Ordering::Relaxed) + files;
        let bytes = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.op.status(&format!(
            "uploaded {files}/{} files, {} of {}",
            self.total_files,
            crate::base::text::bytes(bytes),
            crate::base::text::bytes(self.total_bytes)
        ));
    }
}

/// Uploads one file: in one PutObject, or in parts above the multipart threshold. About
/// 120 lines: the two ways share the headers, the stack's metadata and the progress
/// tally, and a part's failure aborts the multipart upload it belongs to.
async fn upload(
    cx: &Cx,
    bucket: &str,
    file: &LocalFile,
    tally: &Tally<'_>,
) -> Result<(), AwsError> {
    let s3 = &cx.clients.s3;
    let read_error = |error: std::io::Error| {
        AwsError::new(
            ErrorKind::Other,
            "PutObject",
            format!("cannot read `{}`: {error}", file.path.display()),
        )
    };
    if file.size <= PART_SIZE {
        let body = tokio::fs::read(&file.path).await.map_err(read_error)?;
        // The file changed since it was planned: the plan no longer describes it.
        if body.len() as u64 != file.size {
            return Err(AwsError::new(
                ErrorKind::Other,
                "PutObject",
                format!(
                    "`{}` changed while edgectl ran; run apply again",
                    file.path.display()
                ),
            ));
        }
        // The hash of the bytes sent, not of the file read again.
        let hash = blake3::hash(&body).to_hex().to_string();
        s3.put_object()
            .bucket(bucket)
            .key(&file.key)
            .body(ByteStream::from(body))
            .content_type(&file.content_type)
            .set_cache_control(file.cache_control.clone())
            .set_metadata(metadata(&cx.stack, &hash))
            .send()
            .await
            .aws("PutObject")?;
        tally.add(1, file.size);
        return Ok(());
    }
    let hash = {
        let file = file.clone();
        tokio::task::spawn_blocking(move || file.content_hash().map(str::to_string))
            .await
            .map_err(|error| AwsError::new(ErrorKind::Other, "sync", error.to_string()))??
    };
    let hash = hash.trim_start_matches(HASHED);
    let created = s3
        .create_multipart_upload()
        .bucket(bucket)
        .key(&file.key)
        .content_type(&file.content_type)
        .set_cache_control(file.cache_control.clone())
        .set_metadata(metadata(&cx.stack, hash))
        .send()
        .await
        .aws("CreateMultipartUpload")?;
    let upload_id = created
        .upload_id()
        .ok_or_else(|| AwsError::missing("CreateMultipartUpload", "UploadId"))?
        .to_string();
    let parts = file.size.div_ceil(PART_SIZE);
    let result: Result<Vec<CompletedPart>, AwsError> = stream::iter(1..=parts)
        .map(|number| {
            let upload_id = upload_id.clone();
            async move {
                let offset = (number - 1) * PART_SIZE;
                let length = PART_SIZE.min(file.size - offset);
                let body = read_part(&file.path, offset, length)
                    .await
                    .map_err(read_error)?;
                let sent = s3
                    .upload_part()
                    .bucket(bucket)
                    .key(&file.key)
                    .upload_id(&upload_id)
                    .part_number(number as i32)
                    .body(ByteStream::from(body))
                    .send()
                    .await
                    .aws("UploadPart")?;
                tally.add(0, length);
                Ok(CompletedPart::builder()
                    .part_number(number as i32)
                    .set_e_tag(sent.e_tag().map(str::to_string))
                    .build())
            }
        })
        .buffer_unordered(PARTS_AT_ONCE)
        .try_collect()
        .await;
    let mut completed = match result {
        Ok(parts) => parts,
        Err(error) => {
            // Leave no billable half-upload behind.
            let _ = s3
                .abort_multipart_upload()
                .bucket(bucket)
                .key(&file.key)
                .upload_id(&upload_id)
                .send()
                .await;
            return Err(error);
        }
    };
    completed.sort_by_key(|part| part.part_number());
    s3.complete_multipart_upload()
        .bucket(bucket)
        .key(&file.key)
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        )
        .send()
        .await
        .aws("CompleteMultipartUpload")?;
    tally.add(1, 0);
    Ok(())
}

/// An uploaded object's metadata: the stack that owns it, and edgectl's hash of its bytes.
fn metadata(stack: &str, hash: &str) -> Option<HashMap<String, String>> {
    Some(HashMap::from([
        (OBJECT_STACK_KEY.to_string(), stack.to_string()),
        (HASH_KEY.to_string(), hash.to_string()),
    ]))
}

async fn read_part(path: &Path, offset: u64, length: u64) -> std::io::Result<Vec<u8>> {
    use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
    let mut file = tokio::fs::File::from_std(content::open_file(path)?);
    file.seek(std::io::SeekFrom::Start(offset)).await?;
    let mut body = vec![0u8; length as usize];
    file.read_exact(&mut body).await?;
    Ok(body)
}

/// The sync leaves the stack: its objects (those edgectl uploaded) go, and the bucket
/// forgets the sync. Objects others put under the prefix stay.
pub async fn delete(op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
    let cx = op.cx;
    let bucket = observed.physical_id.as_str();
    let keys: Vec<String> = ObjectsProps::from_props(&observed.props)?
        .files
        .into_keys()
        .collect();
    let ours: Vec<Option<String>> = stream::iter(keys)
        .map(|key| async move {
            let ours = super::s3::uploaded_by_stack(cx, bucket, &key, None).await?;
            Ok::<_, AwsError>((ours == Some(true)).then_some(key))
        })
        .buffer_unordered(32)
        .try_collect()
        .await?;
    let identifiers: Vec<ObjectIdentifier> = ours
        .into_iter()
        .flatten()
        .map(|key| {
            built(
                "DeleteObjects",
                ObjectIdentifier::builder().key(key).build(),
            )
        })
        .collect::<Result<_, _>>()?;
    super::s3::delete_identifiers(cx, bucket, identifiers).await?;
    match super::s3::set_sync_tag(cx, bucket, None).await {
        Err(error) if error.kind == ErrorKind::NotFound => Ok(()),
        other => other,
    }
}
