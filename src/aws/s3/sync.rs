//! Content sync (`objects.<key>`): a local folder mirrored into a bucket as part of apply.
//!
//! Files are compared by content, never by time. Every object edgectl uploads carries the
//! BLAKE3 hash of its bytes in `x-amz-meta-edgectl-blake3`. A single-part object's ETag is
//! the MD5 of its bytes, so one ListObjectsV2 page per 1,000 objects tells what changed; an
//! object whose ETag is no content hash (multipart `-N`, or any object on an SSE-KMS
//! bucket) is read with one HeadObject for edgectl's hash, which the local side computes
//! at memory speed on every core (MD5, serial by design, would cost a large file a second
//! per few hundred MB). An object without edgectl's hash (another tool's) is compared by
//! its ETag, computed locally the same way (multipart in parts of [`PART_SIZE`]).
//!
//! A file is hashed only when an object of the same key and size is live: a missing object
//! or another size is a change without reading a byte. [`warm`] starts that hashing in the
//! background while AWS is read, in the form the live object most likely has. Headers
//! (Content-Type, Cache-Control) follow from the manifest's rules; their fingerprint lives
//! in the bucket's `edgectl:sync` tag, and a change of rules uploads every file again with
//! its new headers.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};
use futures::stream::{self, StreamExt, TryStreamExt};
use md5::{Digest as _, Md5};
use sha2::Sha256;

use super::{OBJECT_STACK_KEY, OBJECTS, OwnedBucket, SYNC_TAG, bucket_id, put_bucket_tags};
use crate::aws::cloudfront::{self};
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind, built};
use crate::aws::tags;
use crate::aws::{Cx, OpCx};
use crate::engine::model::{Desired, Mode, Observed, ResourceId, Value, props};
use crate::manifest::edge::{Bucket, Sync};

/// Files above this size go up in parts of this size (as `aws s3` does by default).
pub const PART_SIZE: u64 = 8 * 1024 * 1024;
/// Object metadata holding edgectl's content hash (BLAKE3, hex) of every object it uploads.
const HASH_KEY: &str = "edgectl-blake3";
/// How a hash from [`HASH_KEY`] reads in a listing, apart from ETags.
const HASHED: &str = "blake3:";
/// The `edgectl:sync` tag's third part while changed objects await their invalidation.
const PENDING: &str = "invalidate";
/// Above this many changed paths, one invalidation of `/*` replaces the list (CloudFront
/// bills paths beyond the first 1,000 a month; a wildcard counts as one).
pub const INVALIDATE_ALL_ABOVE: usize = 15;
const UPLOADS_AT_ONCE: usize = 16;
const PARTS_AT_ONCE: usize = 8;

pub fn objects_id(key: &str) -> ResourceId {
    ResourceId::new(OBJECTS, key)
}

/// One local file as it will be stored.
#[derive(Clone, Debug)]
pub struct LocalFile {
    pub key: String,
    pub path: PathBuf,
    pub size: u64,
    pub content_type: String,
    pub cache_control: Option<String>,
    /// The S3 ETag of its content, computed once, when first needed.
    etag: Arc<OnceLock<Result<String, String>>>,
    /// `blake3:<hex>` of its content, computed once, when first needed.
    blake3: Arc<OnceLock<Result<String, String>>>,
}

impl LocalFile {
    pub fn etag(&self) -> Result<&str, AwsError> {
        self.cached(&self.etag, || etag_of(&self.path, self.size))
    }

    /// Its content hash as objects edgectl uploaded carry it (see [`HASHED`]).
    pub fn content_hash(&self) -> Result<&str, AwsError> {
        self.cached(&self.blake3, || blake3_of(&self.path, self.size))
    }

    /// Its hash in the form a live object's reads: edgectl's own, or the ETag.
    pub fn hash_like(&self, live: &str) -> Result<&str, AwsError> {
        if live.starts_with(HASHED) {
            self.content_hash()
        } else {
            self.etag()
        }
    }

    fn cached<'a>(
        &'a self,
        cell: &'a OnceLock<Result<String, String>>,
        compute: impl FnOnce() -> std::io::Result<String>,
    ) -> Result<&'a str, AwsError> {
        cell.get_or_init(|| compute().map_err(|error| error.to_string()))
            .as_deref()
            .map_err(|error| {
                AwsError::new(
                    ErrorKind::Other,
                    "sync",
                    format!("cannot read `{}`: {error}", self.path.display()),
                )
            })
    }
}

/// A file and the form of hash it is compared in: `true` for edgectl's own, else the ETag.
type Form<'a> = (&'a LocalFile, bool);

/// Hashes files, each in its form, on every core: small files spread over threads, a
/// large file's own hashing spreads over them.
fn hash_all(files: &[Form]) {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8);
    let (large, small): (Vec<&Form>, Vec<&Form>) =
        files.iter().partition(|(file, _)| file.size > PART_SIZE);
    for (file, own) in large {
        if *own {
            let _ = file.content_hash();
        } else {
            let _ = file.etag.get_or_init(|| {
                etag_parallel(&file.path, file.size, threads).map_err(|error| error.to_string())
            });
        }
    }
    let chunk = small.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        for part in small.chunks(chunk) {
            scope.spawn(move || {
                for (file, own) in part {
                    let _ = if *own {
                        file.content_hash()
                    } else {
                        file.etag()
                    };
                }
            });
        }
    });
}

/// [`warm`] for some of the manifest's buckets (`edgectl sync BUCKET`).
pub fn warm_buckets<'a>(buckets: impl IntoIterator<Item = &'a Bucket>) {
    for bucket in buckets {
        let Some(sync) = &bucket.sync else {
            continue;
        };
        let scanned = scan(sync);
        let kms = bucket.kms.is_some();
        std::thread::spawn(move || {
            let forms: Vec<Form> = scanned
                .files
                .iter()
                .map(|file| (file, kms || file.size > PART_SIZE))
                .collect();
            hash_all(&forms);
        });
    }
}

#[derive(Debug, Default)]
pub struct Scan {
    pub files: Vec<LocalFile>,
    /// What stops the sync before anything is uploaded: an entry that cannot be read.
    pub error: Option<String>,
    /// Entries left out because they are not regular files: symlinks (never followed,
    /// so nothing outside `source` is read) and special files (FIFOs, sockets, devices).
    pub skipped: Vec<String>,
}

/// Scans are read once per process, and hashes computed once.
static SCANS: LazyLock<Mutex<HashMap<String, Arc<Scan>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

pub fn scan(sync: &Sync) -> Arc<Scan> {
    let key = format!("{sync:?}");
    if let Some(found) = SCANS.lock().ok().and_then(|scans| scans.get(&key).cloned()) {
        return found;
    }
    let scanned = Arc::new(scan_now(sync));
    if let Ok(mut scans) = SCANS.lock() {
        scans.insert(key, scanned.clone());
    }
    scanned
}

fn globs(patterns: &[String]) -> globset::GlobSet {
    let mut builder = globset::GlobSetBuilder::new();
    for pattern in patterns {
        if let Ok(glob) = globset::Glob::new(pattern) {
            builder.add(glob);
        }
    }
    builder
        .build()
        .unwrap_or_else(|_| globset::GlobSet::empty())
}

fn scan_now(sync: &Sync) -> Scan {
    let exclude = globs(&sync.exclude);
    let rules: Vec<(globset::GlobMatcher, &str)> = sync
        .cache_control
        .iter()
        .filter_map(|(pattern, value)| {
            Some((
                globset::Glob::new(pattern).ok()?.compile_matcher(),
                value.as_str(),
            ))
        })
        .collect();
    let mut found = Walked::default();
    walk(&sync.source, &sync.source, &exclude, &mut found);
    if !found.unreadable.is_empty() {
        let shown: Vec<String> = found.unreadable.iter().take(10).cloned().collect();
        return Scan {
            files: Vec::new(),
            error: Some(format!(
                "cannot read {} in sync source `{}`, so nothing is synced: {}{}",
                crate::manifest::plural(found.unreadable.len(), "entry"),
                sync.source.display(),
                shown.join("; "),
                if found.unreadable.len() > shown.len() {
                    "; ..."
                } else {
                    ""
                }
            )),
            skipped: found.skipped,
        };
    }
    let mut skipped = found.skipped;
    skipped.sort();
    let mut found = found.files;
    found.sort();
    let files = found
        .into_iter()
        .map(|(relative, path, size)| LocalFile {
            key: format!("{}{relative}", sync.prefix),
            content_type: content_type(&path),
            cache_control: rules
                .iter()
                .find(|(matcher, _)| matcher.is_match(&relative))
                .map(|(_, value)| value.to_string()),
            path,
            size,
            etag: Arc::default(),
            blake3: Arc::default(),
        })
        .collect();
    Scan {
        files,
        error: None,
        skipped,
    }
}

#[derive(Default)]
struct Walked {
    /// (path relative to the source with `/`, path, size)
    files: Vec<(String, PathBuf, u64)>,
    skipped: Vec<String>,
    unreadable: Vec<String>,
}

/// The path of `path` inside `root`, with `/`.
fn relative_to(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Regular files under `dir`, excluded ones left out. Symlinks are skipped, never
/// followed: nothing outside the folder is read. Special files are skipped too; both are
/// reported. Every file is opened once, so one that cannot be read is found before any
/// upload starts, not in the middle of one.
fn walk(root: &Path, dir: &Path, exclude: &globset::GlobSet, out: &mut Walked) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            out.unreadable
                .push(format!("`{}`: {error}", relative_to(root, dir)));
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                out.unreadable
                    .push(format!("`{}`: {error}", relative_to(root, dir)));
                continue;
            }
        };
        let path = entry.path();
        let relative = relative_to(root, &path);
        let kind = match entry.file_type() {
            Ok(kind) => kind,
            Err(error) => {
                out.unreadable.push(format!("`{relative}`: {error}"));
                continue;
            }
        };
        // `exclude` globs match files (`build/**`), not the folders they are in.
        if !kind.is_dir() && exclude.is_match(&relative) {
            continue;
        }
        if kind.is_symlink() {
            out.skipped
                .push(format!("`{relative}` (a symlink, never followed)"));
        } else if kind.is_dir() {
            walk(root, &path, exclude, out);
        } else if kind.is_file() {
            match std::fs::File::open(&path).and_then(|file| file.metadata()) {
                Ok(metadata) => out.files.push((relative, path, metadata.len())),
                Err(error) => out.unreadable.push(format!("`{relative}`: {error}")),
            }
        } else {
            out.skipped
                .push(format!("`{relative}` ({})", special_kind(&kind)));
        }
    }
}

fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

pub fn content_type(path: &Path) -> String {
    mime_guess::from_path(path)
        .first_raw()
        .unwrap_or("application/octet-stream")
        .to_string()
}

/// The ETag S3 gives the file when edgectl uploads it.
pub fn etag_of(path: &Path, size: u64) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut buffer = vec![0u8; 1024 * 1024];
    if size <= PART_SIZE {
        let mut hasher = Md5::new();
        loop {
            let read = file.read(&mut buffer)?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
        }
        return Ok(hex::encode(hasher.finalize()));
    }
    let mut digests = Md5::new();
    let mut parts = 0;
    let mut remaining = size;
    while remaining > 0 {
        let mut part = Md5::new();
        let mut left = remaining.min(PART_SIZE);
        remaining -= left;
        while left > 0 {
            let want = (left as usize).min(buffer.len());
            file.read_exact(&mut buffer[..want])?;
            part.update(&buffer[..want]);
            left -= want as u64;
        }
        digests.update(part.finalize());
        parts += 1;
    }
    Ok(format!("{}-{parts}", hex::encode(digests.finalize())))
}

/// `blake3:<hex>` of the file: a large one mapped and hashed on every core.
pub fn blake3_of(path: &Path, size: u64) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    if size > PART_SIZE {
        hasher.update_mmap_rayon(path)?;
    } else {
        hasher.update_reader(std::fs::File::open(path)?)?;
    }
    Ok(format!("{HASHED}{}", hasher.finalize().to_hex()))
}

/// A part's number and the MD5 of its bytes.
type PartDigest = (u64, Vec<u8>);

/// [`etag_of`] with the parts of a multipart file hashed on `threads` threads.
pub fn etag_parallel(path: &Path, size: u64, threads: usize) -> std::io::Result<String> {
    if size <= PART_SIZE || threads < 2 {
        return etag_of(path, size);
    }
    let parts = size.div_ceil(PART_SIZE);
    let digests: Vec<std::io::Result<Vec<PartDigest>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads as u64)
            .map(|first| {
                scope.spawn(move || {
                    use std::io::{Seek as _, SeekFrom};
                    let mut file = std::fs::File::open(path)?;
                    let mut buffer = vec![0u8; 1024 * 1024];
                    let mut out = Vec::new();
                    for part in (first..parts).step_by(threads) {
                        file.seek(SeekFrom::Start(part * PART_SIZE))?;
                        let mut left = PART_SIZE.min(size - part * PART_SIZE);
                        let mut hasher = Md5::new();
                        while left > 0 {
                            let want = (left as usize).min(buffer.len());
                            file.read_exact(&mut buffer[..want])?;
                            hasher.update(&buffer[..want]);
                            left -= want as u64;
                        }
                        out.push((part, hasher.finalize().to_vec()));
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("hashing thread panicked")))
            })
            .collect()
    });
    let mut all = Vec::new();
    for part in digests {
        all.extend(part?);
    }
    all.sort();
    let mut combined = Md5::new();
    for (_, digest) in &all {
        combined.update(digest);
    }
    Ok(format!("{}-{parts}", hex::encode(combined.finalize())))
}

/// The header rules' fingerprint: changes when a rule changes, not when a file is added.
pub fn headers_fingerprint(sync: &Sync) -> String {
    let mut hasher = Sha256::new();
    // Bump the leading version when edgectl's own choice of headers changes.
    hasher.update(b"v1\n");
    for (pattern, value) in &sync.cache_control {
        hasher.update(format!("{pattern}\t{value}\n").as_bytes());
    }
    hex::encode(hasher.finalize())[..16].to_string()
}

/// A file's value before it is hashed: never equal to an ETag.
pub(crate) fn unhashed(size: u64) -> String {
    format!("{size} bytes")
}

/// What only the manifest knows goes onto the live side (whether remote files missing
/// locally are deleted, which distributions to invalidate), and what only the live side
/// knows settles the desired one: files with a live object of the same key and size are
/// hashed and take their ETag; the others stay unhashed, and so differ.
pub fn normalize(desired: &mut Desired, observed: &mut Observed) {
    for key in [
        "delete",
        "invalidate",
        "scan_error",
        "skipped",
        "scan",
        "kms",
    ] {
        if let Some(field) = desired.props.get(key) {
            observed.props.insert(key.to_string(), field.clone());
        }
    }
    let sizes = observed
        .props
        .remove("sizes")
        .map(|field| field.value)
        .unwrap_or(Value::Null);
    let empty = BTreeMap::new();
    let sizes = sizes.as_map().unwrap_or(&empty);
    if let Some(files) = scanned_files(desired.value("scan")) {
        let live = observed
            .value("files")
            .as_map()
            .cloned()
            .unwrap_or_default();
        // Each candidate with the live hash it is compared with, which says the form.
        let candidates: Vec<(&LocalFile, &str)> = files
            .iter()
            .filter(|file| sizes.get(&file.key) == Some(&Value::Int(file.size as i64)))
            .filter_map(|file| Some((file, live.get(&file.key)?.as_str()?)))
            .collect();
        let forms: Vec<Form> = candidates
            .iter()
            .map(|(file, hash)| (*file, hash.starts_with(HASHED)))
            .collect();
        hash_all(&forms);
        if let Some(field) = desired.props.get_mut("files")
            && let Value::Map(wanted) = &mut field.value
        {
            for (file, hash) in candidates {
                if let Ok(local) = file.hash_like(hash) {
                    wanted.insert(file.key.clone(), Value::str(local));
                }
            }
        }
    }
    if desired.value("delete") != &Value::Bool(true)
        && let (Some(Value::Map(wanted)), Some(field)) = (
            desired.props.get("files").map(|field| &field.value),
            observed.props.get_mut("files"),
        )
        && let Value::Map(live) = &mut field.value
    {
        live.retain(|key, _| wanted.contains_key(key));
    }
}

/// The files of the scan a desired state was made from.
/// What a sync reads from disk, as a value the plan holds: the source (absolute), the key
/// prefix, whether remote-only keys go, the excluded globs and the Cache-Control rules.
/// A plan file carries it, so that `apply PLANFILE` can read the folder again.
pub(crate) fn scan_value(sync: &Sync) -> Value {
    Value::map([
        ("source", Value::str(sync.source.to_string_lossy())),
        ("prefix", Value::str(&sync.prefix)),
        ("delete", Value::Bool(sync.delete)),
        (
            "exclude",
            Value::List(sync.exclude.iter().map(Value::str).collect()),
        ),
        (
            "cache_control",
            Value::List(
                sync.cache_control
                    .iter()
                    .map(|(glob, value)| Value::List(vec![Value::str(glob), Value::str(value)]))
                    .collect(),
            ),
        ),
    ])
}

/// The sync settings back from [`scan_value`].
fn sync_of(value: &Value) -> Option<Sync> {
    let map = value.as_map()?;
    let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_string);
    let texts = |item: &Value| -> Option<Vec<String>> {
        item.items()
            .map(|item| item.as_str().map(str::to_string))
            .collect()
    };
    Some(Sync {
        source: PathBuf::from(text("source")?),
        prefix: text("prefix")?,
        delete: map.get("delete")?.as_bool()?,
        exclude: texts(map.get("exclude")?)?,
        cache_control: map
            .get("cache_control")?
            .items()
            .map(|rule| match texts(rule)?.as_slice() {
                [glob, value] => Some((glob.clone(), value.clone())),
                _ => None,
            })
            .collect::<Option<_>>()?,
    })
}

/// The files a sync's `scan` value names: scanned once per process (lowering scanned them
/// already, unless this applies a saved plan).
fn scanned_files(scan_settings: &Value) -> Option<Vec<LocalFile>> {
    let scanned = scan(&sync_of(scan_settings)?);
    scanned.error.is_none().then(|| scanned.files.clone())
}

/// Why a sync's folder is no longer what its plan was made from, if it is not.
pub fn changed_since_plan(desired: &Desired) -> Option<String> {
    let local = scanned_files(desired.value("scan"))?;
    unchanged_since_plan(&local, desired.value("files"))
        .err()
        .map(|what| format!("{what} in the folder since the plan was made: make a new plan"))
}

/// Whether the files are still the ones the plan was made with (a saved plan applied
/// later): the same keys, and each the planned size, or the planned hash where the plan
/// compared one with a live object.
fn unchanged_since_plan(local: &[LocalFile], planned: &Value) -> Result<(), String> {
    let empty = BTreeMap::new();
    let planned = planned.as_map().unwrap_or(&empty);
    let keys: std::collections::BTreeSet<&str> =
        local.iter().map(|file| file.key.as_str()).collect();
    if let Some(key) = planned.keys().find(|key| !keys.contains(key.as_str())) {
        return Err(format!("`{key}` is gone"));
    }
    for file in local {
        let Some(want) = planned.get(&file.key).and_then(Value::as_str) else {
            return Err(format!("`{}` is new", file.key));
        };
        let same = if want == unhashed(file.size) {
            true
        } else if want.ends_with(" bytes") {
            false
        } else {
            file.hash_like(want).is_ok_and(|hash| hash == want)
        };
        if !same {
            return Err(format!("`{}` changed", file.key));
        }
    }
    Ok(())
}

/// The remote side: keys under the prefix with their content hashes.
async fn remote_files(
    cx: &Cx,
    bucket: &str,
    prefix: &str,
    kms: bool,
) -> Result<BTreeMap<String, (String, i64)>, AwsError> {
    let s3 = &cx.clients.s3;
    let pages: Vec<_> = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .aws("ListObjectsV2")?;
    let listed: Vec<(String, String, i64)> = pages
        .iter()
        .flat_map(|page| page.contents())
        .filter_map(|object| {
            Some((
                object.key()?.to_string(),
                object
                    .e_tag()
                    .unwrap_or_default()
                    .trim_matches('"')
                    .to_string(),
                object.size().unwrap_or(-1),
            ))
        })
        .collect();
    // An ETag is a content hash only for a single-part upload without SSE-KMS; the other
    // objects are asked for edgectl's own.
    let (plain, opaque): (Vec<_>, Vec<_>) = listed
        .into_iter()
        .partition(|(_, etag, _)| !kms && !etag.contains('-'));
    let headed: Vec<Option<(String, (String, i64))>> = stream::iter(opaque)
        .map(|(key, etag, size)| async move {
            let head = s3.head_object().bucket(bucket).key(&key).send().await;
            let head = match head.aws("HeadObject") {
                Ok(head) => head,
                // Deleted since the listing: not live.
                Err(error) if error.kind == ErrorKind::NotFound => return Ok(None),
                Err(error) => return Err(error),
            };
            let hash = head
                .metadata()
                .and_then(|metadata| metadata.get(HASH_KEY))
                .map_or(etag, |hex| format!("{HASHED}{hex}"));
            Ok::<_, AwsError>(Some((key, (hash, size))))
        })
        .buffer_unordered(32)
        .try_collect()
        .await?;
    Ok(plain
        .into_iter()
        .map(|(key, etag, size)| (key, (etag, size)))
        .chain(headed.into_iter().flatten())
        .collect())
}

pub async fn observe(
    cx: &Cx,
    owned: &OwnedBucket,
    kms: bool,
) -> Result<Option<Observed>, AwsError> {
    let Some(tag) = owned.tag(SYNC_TAG) else {
        return Ok(None);
    };
    let listed = remote_files(cx, &owned.name, sync_tag_prefix(tag), kms).await?;
    Ok(Some(recorded(owned, tag, listed)))
}

/// The prefix a bucket's `edgectl:sync` tag records.
fn sync_tag_prefix(tag: &str) -> &str {
    tag.split('|').next().unwrap_or_default()
}

/// `edgectl sync`'s read of one manifest bucket: its tags and its listing (under the
/// manifest's prefix) at once. `None`: never synced. Refuses a bucket that is missing or
/// that the stack does not own, since a sync writes into it.
pub async fn observe_for_sync(
    cx: &Cx,
    key: &str,
    name: &str,
    prefix: &str,
    kms: bool,
) -> Result<Option<Observed>, AwsError> {
    let tags = super::tags_if_exists(cx, name);
    let listed = async {
        match remote_files(cx, name, prefix, kms).await {
            Err(error) if error.code.as_deref() == Some(super::NO_SUCH_BUCKET) => Ok(None),
            other => other.map(Some),
        }
    };
    let (tags, listed) = futures::try_join!(tags, listed)?;
    let (Some(tags), Some(listed)) = (tags, listed) else {
        return Err(AwsError::new(
            ErrorKind::NotFound,
            "sync",
            format!(
                "bucket `{key}` ({name}) does not exist yet: `edgectl apply` creates it, then `edgectl sync` keeps its content"
            ),
        ));
    };
    let id = bucket_id(key);
    let owner = tags::owned_id(
        &cx.stack,
        tags.iter()
            .map(|(tag, value)| (tag.as_str(), value.as_str())),
    );
    if owner.as_ref() != Some(&id) {
        return Err(AwsError::new(
            ErrorKind::Other,
            "sync",
            format!(
                "bucket `{key}` ({name}) is not owned by stack `{}` as `{id}`: edgectl never writes into a bucket it does not own",
                cx.stack
            ),
        ));
    }
    let owned = OwnedBucket {
        id,
        name: name.to_string(),
        tags,
    };
    let Some(tag) = owned.tag(SYNC_TAG) else {
        return Ok(None);
    };
    // Synced last under another prefix (the manifest changed it): compare with that one.
    let listed = if sync_tag_prefix(tag) == prefix {
        listed
    } else {
        remote_files(cx, name, sync_tag_prefix(tag), kms).await?
    };
    Ok(Some(recorded(&owned, tag, listed)))
}

/// The objects resource of a bucket whose `edgectl:sync` tag is `tag`, from its listing.
fn recorded(owned: &OwnedBucket, tag: &str, listed: BTreeMap<String, (String, i64)>) -> Observed {
    let mut parts = tag.split('|');
    let prefix = parts.next().unwrap_or_default();
    let headers = parts.next().unwrap_or_default();
    let pending = parts.next() == Some(PENDING);
    let mut resource = listing(&objects_id(owned.id.name()), &owned.name, prefix, listed);
    for (name, value) in [
        ("headers", Value::str(headers)),
        ("pending_invalidation", Value::Bool(pending)),
    ] {
        resource.props.insert(
            name.to_string(),
            crate::engine::model::Field {
                value,
                mode: Mode::InPlace,
            },
        );
    }
    resource
}

/// A live listing as the objects resource: files by their hashes, and (for `normalize`
/// only, which removes it) their sizes, which say what local files need hashing.
fn listing(
    id: &ResourceId,
    bucket: &str,
    prefix: &str,
    listed: BTreeMap<String, (String, i64)>,
) -> Observed {
    let mut files = BTreeMap::new();
    let mut sizes = BTreeMap::new();
    for (key, (etag, size)) in listed {
        sizes.insert(key.clone(), Value::Int(size));
        files.insert(key, Value::Str(etag));
    }
    Observed::new(
        id.clone(),
        bucket,
        props([
            ("bucket", Value::Phys(bucket.to_string()), Mode::InPlace),
            ("prefix", Value::str(prefix), Mode::InPlace),
            ("files", Value::Map(files), Mode::InPlace),
            ("sizes", Value::Map(sizes), Mode::InPlace),
        ]),
    )
}

/// Uploads what changed, deletes what went, records the sync on the bucket, and
/// invalidates what a distribution may have cached. Returns the bucket's name.
pub async fn apply(
    op: &OpCx<'_>,
    desired: &Desired,
    observed: Option<&Observed>,
) -> Result<String, AwsError> {
    if let Some(error) = desired.value("scan_error").as_str() {
        return Err(AwsError::new(ErrorKind::Other, "sync", error));
    }
    let bucket = op.resolve(desired.value("bucket"))?;
    let prefix = desired
        .value("prefix")
        .as_str()
        .unwrap_or_default()
        .to_string();
    let Some(local) = scanned_files(desired.value("scan")) else {
        return Err(AwsError::new(
            ErrorKind::Other,
            "sync",
            "the folder was planned but cannot be read again",
        ));
    };
    if let Err(what) = unchanged_since_plan(&local, desired.value("files")) {
        return Err(AwsError::new(
            ErrorKind::Other,
            "sync",
            format!(
                "{what} in the folder since the plan was made; nothing of it was uploaded: make a new plan"
            ),
        ));
    }
    let headers_changed = observed.is_some_and(|o| o.value("headers") != desired.value("headers"));
    // An update acts on the plan's own comparison (`normalize` settled the desired hashes
    // against the live listing). A create has no live side yet: the bucket may already
    // hold objects, so it is listed now and settled the same way.
    let (wanted, live) = match observed {
        Some(live) => (desired.value("files").clone(), live.value("files").clone()),
        None => {
            let kms = desired.value("kms") == &Value::Bool(true);
            let listed = remote_files(op.cx, &bucket, &prefix, kms).await?;
            let mut settled = desired.clone();
            let mut live = listing(op.id, &bucket, &prefix, listed);
            tokio::task::block_in_place(|| normalize(&mut settled, &mut live));
            (settled.value("files").clone(), live.value("files").clone())
        }
    };
    let empty = BTreeMap::new();
    let wanted = wanted.as_map().unwrap_or(&empty);
    let live = live.as_map().unwrap_or(&empty);
    let uploads: Vec<&LocalFile> = local
        .iter()
        .filter(|file| headers_changed || wanted.get(&file.key) != live.get(&file.key))
        .collect();
    // Remote-only keys are in the live map only with `delete: true` (see `normalize`).
    let deletes: Vec<String> = live
        .keys()
        .filter(|key| !wanted.contains_key(*key))
        .cloned()
        .collect();
    let cx = op.cx;
    // Paths a cache may hold stale: overwritten and deleted objects (new ones were never served).
    let mut changed: Vec<&str> = uploads
        .iter()
        .filter(|file| live.contains_key(&file.key))
        .map(|file| file.key.as_str())
        .collect();
    changed.extend(deletes.iter().map(String::as_str));
    let targets: Vec<Value> = desired.value("invalidate").items().cloned().collect();
    // An apply stopped between changing objects and invalidating them left this mark:
    // which paths changed is not known any more, so everything is invalidated.
    let pending = observed.is_some_and(|o| o.value("pending_invalidation") == &Value::Bool(true));
    let invalidating = !targets.is_empty() && (pending || !changed.is_empty());
    let headers = desired.value("headers").as_str().unwrap_or_default();
    let done_tag = format!("{prefix}|{headers}");
    let marked = if invalidating && !pending {
        // Marked before the first object changes, so that no crash loses the invalidation.
        Some(set_sync_tag(cx, &bucket, format!("{done_tag}|{PENDING}"), None).await?)
    } else {
        None
    };
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
    delete_identifiers(cx, &bucket, identifiers).await?;
    if invalidating {
        for target in &targets {
            let Some(map) = target.as_map() else {
                continue;
            };
            let Some(distribution) = map.get("distribution") else {
                continue;
            };
            let arn = op.resolve(distribution)?;
            let paths = if pending {
                vec!["/*".to_string()]
            } else {
                invalidation_paths(
                    &changed,
                    map.get("origin_path")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                    map.get("root_object")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                )
            };
            if !paths.is_empty() {
                cloudfront::invalidate(op, &arn, paths).await?;
            }
        }
    }
    // Record the sync (prefix and header rules) once its objects are all there, unless the
    // tag read with the listing already says exactly that.
    let tag_says_so = observed.is_some_and(|live| {
        !pending
            && live.value("prefix").as_str() == Some(prefix.as_str())
            && live.value("headers") == desired.value("headers")
    });
    if !tag_says_so || marked.is_some() {
        set_sync_tag(cx, &bucket, done_tag, marked).await?;
    }
    Ok(bucket)
}

/// Sets the bucket's `edgectl:sync` tag. S3 replaces a bucket's whole tag set: the others
/// are read and written back, or taken from `known` (the set this apply itself wrote).
/// Returns the set now on the bucket.
async fn set_sync_tag(
    cx: &Cx,
    bucket: &str,
    value: String,
    known: Option<Vec<(String, String)>>,
) -> Result<Vec<(String, String)>, AwsError> {
    let mut tags = match known {
        Some(tags) => tags,
        None => super::bucket_tags(cx, bucket).await?,
    };
    if tags
        .iter()
        .any(|(key, current)| key == SYNC_TAG && *current == value)
    {
        return Ok(tags);
    }
    tags.retain(|(key, _)| key != SYNC_TAG);
    tags.push((SYNC_TAG.to_string(), value));
    put_bucket_tags(cx, bucket, tags.clone()).await?;
    Ok(tags)
}

/// CloudFront paths for changed keys behind an origin path; the root object also
/// answers for `/`. Above the threshold, `/*`.
pub fn invalidation_paths(keys: &[&str], origin_path: &str, root_object: &str) -> Vec<String> {
    let base = origin_path.trim_matches('/');
    let mut paths = BTreeSet::new();
    for key in keys {
        let path = if base.is_empty() {
            Some(*key)
        } else {
            key.strip_prefix(base)
                .and_then(|rest| rest.strip_prefix('/'))
        };
        let Some(path) = path else {
            continue;
        };
        paths.insert(format!("/{path}"));
        if !root_object.is_empty() && path == root_object {
            paths.insert("/".to_string());
        }
    }
    if paths.len() > INVALIDATE_ALL_ABOVE {
        return vec!["/*".to_string()];
    }
    paths.into_iter().collect()
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
            crate::render::bytes(bytes),
            crate::render::bytes(self.total_bytes)
        ));
    }
}

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
    let mut file = tokio::fs::File::open(path).await?;
    file.seek(std::io::SeekFrom::Start(offset)).await?;
    let mut body = vec![0u8; length as usize];
    file.read_exact(&mut body).await?;
    Ok(body)
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

/// The sync leaves the stack: its objects (those edgectl uploaded) go, and the bucket
/// forgets the sync. Objects others put under the prefix stay.
pub async fn delete(op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
    let cx = op.cx;
    let bucket = observed.physical_id.as_str();
    let keys: Vec<String> = observed
        .value("files")
        .as_map()
        .map(|files| files.keys().cloned().collect())
        .unwrap_or_default();
    let ours: Vec<Option<String>> = stream::iter(keys)
        .map(|key| async move {
            let ours = super::uploaded_by_stack(cx, bucket, &key, None).await?;
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
    delete_identifiers(cx, bucket, identifiers).await?;
    match super::bucket_tags(cx, bucket).await {
        Ok(mut tags) => {
            if tags.iter().any(|(key, _)| key == SYNC_TAG) {
                tags.retain(|(key, _)| key != SYNC_TAG);
                put_bucket_tags(cx, bucket, tags).await?;
            }
            Ok(())
        }
        Err(error) if error.kind == ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    }
}

/// Counts for the plan: (to upload, to delete, unchanged), and the keys of each change.
pub fn summary(old: &Value, new: &Value, headers_changed: bool) -> SyncSummary {
    let empty = BTreeMap::new();
    let old = old.as_map().unwrap_or(&empty);
    let new = new.as_map().unwrap_or(&empty);
    let mut out = SyncSummary::default();
    for (key, etag) in new {
        match old.get(key) {
            None => out.added.push(key.clone()),
            Some(live) if live != etag || headers_changed => out.changed.push(key.clone()),
            Some(_) => out.unchanged += 1,
        }
    }
    out.deleted = old
        .keys()
        .filter(|key| !new.contains_key(*key))
        .cloned()
        .collect();
    out
}

#[derive(Debug, Default, PartialEq)]
pub struct SyncSummary {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub deleted: Vec<String>,
    pub unchanged: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running_as_root() -> bool {
        std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
            status
                .lines()
                .any(|line| line.starts_with("Uid:") && line.split_whitespace().nth(1) == Some("0"))
        })
    }

    #[test]
    fn the_walk_skips_and_reports_symlinks_and_special_files() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.txt"), "not for the bucket").unwrap();
        let source = tempfile::tempdir().unwrap();
        let root = source.path();
        std::fs::create_dir(root.join("assets")).unwrap();
        std::fs::write(root.join("index.html"), "<h1>hi</h1>").unwrap();
        std::fs::write(root.join("assets/app.js"), "1").unwrap();
        std::fs::write(root.join("assets/app.js.map"), "{}").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("escape")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.txt"), root.join("secret.txt"))
            .unwrap();
        let fifo = std::process::Command::new("mkfifo")
            .arg(root.join("pipe"))
            .status()
            .unwrap();
        assert!(fifo.success());
        let exclude = globs(&["**/*.map".to_string()]);
        let mut walked = Walked::default();
        walk(root, root, &exclude, &mut walked);
        let mut files: Vec<&str> = walked
            .files
            .iter()
            .map(|(key, _, _)| key.as_str())
            .collect();
        files.sort();
        assert_eq!(files, ["assets/app.js", "index.html"]);
        walked.skipped.sort();
        assert_eq!(
            walked.skipped,
            [
                "`escape` (a symlink, never followed)",
                "`pipe` (a FIFO)",
                "`secret.txt` (a symlink, never followed)"
            ]
        );
        assert!(walked.unreadable.is_empty(), "{:?}", walked.unreadable);
    }

    #[test]
    fn an_unreadable_file_stops_the_scan_before_any_upload() {
        // Root reads every file whatever its mode: the check needs an ordinary user.
        if running_as_root() {
            return;
        }
        use std::os::unix::fs::PermissionsExt as _;
        let source = tempfile::tempdir().unwrap();
        let root = source.path();
        std::fs::write(root.join("ok.html"), "ok").unwrap();
        std::fs::write(root.join("locked.html"), "no").unwrap();
        std::fs::set_permissions(
            root.join("locked.html"),
            std::fs::Permissions::from_mode(0o0),
        )
        .unwrap();
        let mut walked = Walked::default();
        walk(root, root, &globs(&[]), &mut walked);
        assert_eq!(walked.unreadable.len(), 1, "{:?}", walked.unreadable);
        assert!(walked.unreadable[0].starts_with("`locked.html`"));
    }

    #[test]
    fn invalidation_paths_follow_the_origin_path_and_root_object() {
        assert_eq!(
            invalidation_paths(&["index.html", "app.js"], "", "index.html"),
            vec!["/", "/app.js", "/index.html"]
        );
        assert_eq!(
            invalidation_paths(&["site/a.css", "other/b.css"], "/site", ""),
            vec!["/a.css"]
        );
        let many: Vec<String> = (0..=INVALIDATE_ALL_ABOVE)
            .map(|n| format!("f{n}"))
            .collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(invalidation_paths(&many, "", ""), vec!["/*"]);
    }

    #[test]
    fn multipart_etags_match_s3s_rule() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.bin");
        let size = PART_SIZE + 10;
        std::fs::write(&path, vec![7u8; size as usize]).unwrap();
        let first = Md5::digest(vec![7u8; PART_SIZE as usize]);
        let second = Md5::digest(vec![7u8; 10]);
        let mut both = Vec::new();
        both.extend_from_slice(&first);
        both.extend_from_slice(&second);
        let expected = format!("{}-2", hex::encode(Md5::digest(&both)));
        assert_eq!(etag_of(&path, size).unwrap(), expected);
        let small = dir.path().join("small.txt");
        std::fs::write(&small, b"hello").unwrap();
        assert_eq!(
            etag_of(&small, 5).unwrap(),
            "5d41402abc4b2a76b9719d911017c592"
        );
    }

    #[test]
    fn content_hashes_are_blake3_of_the_bytes_mapped_or_read() {
        let dir = tempfile::tempdir().unwrap();
        let bytes: Vec<u8> = (0..PART_SIZE + 4099).map(|i| (i % 253) as u8).collect();
        let big = dir.path().join("big.bin");
        std::fs::write(&big, &bytes).unwrap();
        // The large path maps the file and hashes on every core; the small one reads it.
        assert_eq!(
            blake3_of(&big, bytes.len() as u64).unwrap(),
            format!("blake3:{}", blake3::hash(&bytes).to_hex())
        );
        let small = dir.path().join("small.txt");
        std::fs::write(&small, b"hello").unwrap();
        assert_eq!(
            blake3_of(&small, 5).unwrap(),
            "blake3:ea8f163db38682925e4491c5e58d4bb3506ef8c14eb78a86e908c5624a67200f"
        );
        // The live side's form chooses the local one.
        let file = LocalFile {
            key: "small.txt".into(),
            path: small,
            size: 5,
            content_type: "text/plain".into(),
            cache_control: None,
            etag: Arc::default(),
            blake3: Arc::default(),
        };
        assert_eq!(
            file.hash_like("5d41402abc4b2a76b9719d911017c592").unwrap(),
            "5d41402abc4b2a76b9719d911017c592"
        );
        assert!(
            file.hash_like("blake3:00")
                .unwrap()
                .starts_with("blake3:ea8f")
        );
    }

    #[test]
    fn summary_counts_uploads_deletes_and_unchanged() {
        let old = Value::map([("a", Value::str("1")), ("b", Value::str("2"))]);
        let new = Value::map([("a", Value::str("1")), ("c", Value::str("3"))]);
        let summary = summary(&old, &new, false);
        assert_eq!(summary.added, vec!["c"]);
        assert_eq!(summary.deleted, vec!["b"]);
        assert_eq!(summary.unchanged, 1);
    }
}
