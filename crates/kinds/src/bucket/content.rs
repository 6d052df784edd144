//! A synced bucket's content, locally and live: the folder scanned and hashed, the bucket
//! listed, and the two compared. Shared by the objects kind (`objects.rs`, which uploads)
//! and the invalidation kind (`invalidation.rs`, which tells the distributions
//! in front what changed): both compare the same listing, read once per command.
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
//! or another size is a change without reading a byte. [`warm_buckets`] starts that hashing
//! in the background while AWS is read, in the form the live object most likely has.
//! Headers (Content-Type, Cache-Control) follow from the manifest's rules; their
//! fingerprint lives in the bucket's `edgectl:sync` tag, and a change of rules uploads
//! every file again with its new headers.

use std::collections::{BTreeMap, HashMap};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use futures::stream::{self, StreamExt, TryStreamExt};
use md5::{Digest as _, Md5};
use sha2::Sha256;

use crate::aws::Cx;
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::engine::model::Value;

/// A sync as lowering hands it over from the manifest: the folder, the key prefix,
/// whether remote-only keys go, the Cache-Control rules (glob, value; first match wins)
/// and the excluded globs.
#[derive(Clone, Debug, PartialEq)]
pub struct Sync {
    pub source: PathBuf,
    pub prefix: String,
    pub delete: bool,
    pub cache_control: Vec<(String, String)>,
    /// Globs of the files synced (relative to the source, `/`-separated); none: every file.
    pub include: Vec<String>,
    /// Globs of files never synced, nor deleted from the bucket.
    pub exclude: Vec<String>,
}

impl Sync {
    /// What the sync covers, on both sides (as `aws s3 sync`'s filters do): a file or key
    /// (relative to the source or prefix) matching an `include` glob when there are some,
    /// and no `exclude` glob. A key outside it is neither uploaded nor deleted.
    pub fn filter(&self) -> Filter {
        Filter {
            include: (!self.include.is_empty()).then(|| globs(&self.include)),
            exclude: globs(&self.exclude),
        }
    }
}

pub struct Filter {
    include: Option<globset::GlobSet>,
    exclude: globset::GlobSet,
}

impl Filter {
    pub fn selects(&self, relative: &str) -> bool {
        self.include
            .as_ref()
            .is_none_or(|include| include.is_match(relative))
            && !self.exclude.is_match(relative)
    }
}

/// A live listing: key -> (its hash, as the listing or a HeadObject tells it; its size).
pub type Listing = BTreeMap<String, (String, i64)>;

/// Files above this size go up in parts of this size (as `aws s3` does by default).
pub const PART_SIZE: u64 = 8 * 1024 * 1024;
/// Object metadata holding edgectl's content hash (BLAKE3, hex) of every object it uploads.
pub const HASH_KEY: &str = "edgectl-blake3";
/// How a hash from [`HASH_KEY`] reads in a listing, apart from ETags.
pub const HASHED: &str = "blake3:";

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

/// Starts hashing syncs' files in the background, each in the form its object most
/// likely has (edgectl's own hash for multipart objects and any object of a bucket that
/// encrypts with KMS, `kms`; else the ETag), so that the hashes are ready, or nearly,
/// when the listing arrives. Hashing a file twice never happens (each hash is computed
/// once).
pub fn warm(syncs: impl IntoIterator<Item = (Sync, bool)>) {
    for (sync, kms) in syncs {
        let scanned = scan(&sync);
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
    let filter = sync.filter();
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
    walk(&sync.source, &sync.source, &filter, &mut found);
    let collisions = case_collisions(&found.files);
    found.refused.extend(collisions);
    if !found.refused.is_empty() {
        found.refused.sort();
        let shown: Vec<String> = found.refused.iter().take(10).cloned().collect();
        return Scan {
            files: Vec::new(),
            error: Some(format!(
                "{} in sync source `{}` cannot be S3 keys, so nothing is synced: {}{}; rename them, or leave them out with `exclude`",
                crate::base::text::plural(found.refused.len(), "name"),
                sync.source.display(),
                shown.join("; "),
                if found.refused.len() > shown.len() {
                    "; ..."
                } else {
                    ""
                }
            )),
            skipped: found.skipped,
        };
    }
    if !found.unreadable.is_empty() {
        let shown: Vec<String> = found.unreadable.iter().take(10).cloned().collect();
        return Scan {
            files: Vec::new(),
            error: Some(format!(
                "cannot read {} in sync source `{}`, so nothing is synced: {}{}",
                crate::base::text::plural(found.unreadable.len(), "entry"),
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
    /// Files no S3 key can name faithfully.
    refused: Vec<String>,
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
fn walk(root: &Path, dir: &Path, filter: &Filter, out: &mut Walked) {
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
        // Globs match files (`build/**`), not the folders they are in.
        if !kind.is_dir() && !filter.selects(&relative) {
            continue;
        }
        if kind.is_symlink() {
            out.skipped
                .push(format!("`{relative}` (a symlink, never followed)"));
        } else if kind.is_dir() {
            walk(root, &path, filter, out);
        } else if kind.is_file() {
            // Only a file the sync selects becomes a key: its whole path must name it
            // faithfully (an excluded file, a folder of excluded files, is no concern).
            if let Some(why) = path_problem(root, &path) {
                out.refused.push(format!("`{relative}`: {why}"));
                continue;
            }
            // Opened as a regular file, without following a link: an entry swapped for a
            // FIFO or a symlink since the listing is refused, never waited on or followed.
            match crate::base::files::open_regular(&path, crate::base::files::Links::Refuse) {
                Ok((_, metadata)) => out.files.push((relative, path, metadata.len())),
                Err(error) => out.unreadable.push(format!("`{relative}`: {error}")),
            }
        } else {
            out.skipped.push(format!(
                "`{relative}` ({})",
                crate::base::files::what(&kind)
            ));
        }
    }
}

/// Why the key of the file at `path` would not name it faithfully: a part of its path
/// (a folder's name or its own) that is not UTF-8 (it would be written with replacement
/// characters, and two such names could share a key), or that [`key_problem`] refuses.
fn path_problem(root: &Path, path: &Path) -> Option<&'static str> {
    let inside = path.strip_prefix(root).unwrap_or(path);
    for part in inside.components() {
        let Some(name) = part.as_os_str().to_str() else {
            return Some("its path is not UTF-8, so no S3 key names it faithfully");
        };
        if let Some(why) = key_problem(name) {
            return Some(why);
        }
    }
    None
}

/// Why a name, as a part of an S3 key (a file's, a folder's, the sync's `prefix`), would
/// read as another path to a browser, CloudFront or a tool that downloads the bucket:
/// `None` when it names the file faithfully everywhere.
pub(crate) fn key_problem(name: &str) -> Option<&'static str> {
    if name.chars().any(char::is_control) {
        return Some("its name holds a control character");
    }
    if name.contains('\\') {
        return Some("its name holds `\\`, which browsers and Windows tools read as `/`");
    }
    if name.contains('?') || name.contains('#') {
        return Some(
            "its name holds `?` or `#`, where a URL's path ends (a query, a fragment), so a browser never asks for it",
        );
    }
    if name.contains('%') {
        return Some("its name holds `%`, which a URL reads as the start of an escape");
    }
    None
}

/// Paths that differ only in case, files' or the folders they are in (`docs/a` and
/// `Docs/b`): S3 keeps both, but a tool that downloads the bucket to a disk that ignores
/// case (macOS's, Windows') writes them to one file or folder.
fn case_collisions(files: &[(String, PathBuf, u64)]) -> Vec<String> {
    let mut by_folded: HashMap<String, std::collections::BTreeSet<&str>> = HashMap::new();
    for (relative, _, _) in files {
        // The file and every folder above it.
        let ends = relative
            .match_indices('/')
            .map(|(at, _)| at)
            .chain(std::iter::once(relative.len()));
        for end in ends {
            let path = &relative[..end];
            by_folded
                .entry(path.to_lowercase())
                .or_default()
                .insert(path);
        }
    }
    let mut found: Vec<String> = by_folded
        .into_values()
        .filter(|names| names.len() > 1)
        .map(|names| {
            let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
            format!(
                "{}: their names differ only in case, so a disk that ignores case holds one of them",
                quoted.join(" and ")
            )
        })
        .collect();
    found.sort();
    found
}

pub fn content_type(path: &Path) -> String {
    mime_guess::from_path(path)
        .first_raw()
        .unwrap_or("application/octet-stream")
        .to_string()
}

/// The ETag S3 gives the file when edgectl uploads it.
pub fn etag_of(path: &Path, size: u64) -> std::io::Result<String> {
    let mut file = open_file(path)?;
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

/// A synced file opened again after the scan (to hash or upload it): still a regular
/// file, never a link or a FIFO swapped in since.
pub fn open_file(path: &Path) -> std::io::Result<std::fs::File> {
    crate::base::files::open_regular(path, crate::base::files::Links::Refuse).map(|(file, _)| file)
}

/// `blake3:<hex>` of the file: a large one mapped and hashed on every core.
pub fn blake3_of(path: &Path, size: u64) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    if size > PART_SIZE {
        // Mapped by its path: checked a regular file first, as everywhere.
        open_file(path)?;
        hasher.update_mmap_rayon(path)?;
    } else {
        hasher.update_reader(open_file(path)?)?;
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
                    let mut file = open_file(path)?;
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
pub fn unhashed(size: u64) -> String {
    format!("{size} bytes")
}

/// What only the live side knows settles the desired one: files with a live object of the
/// same key and size are hashed and take its hash (in the live one's form); the others
/// stay unhashed, and so differ. What the sync does not cover leaves the live side: keys
/// its filters leave out and, without `delete`, keys with no local file. `scan` is the
/// sync as [`scan_value`] holds it; `sizes`, the live objects' (see [`live_files`]). What
/// only the manifest knows (whether remote files missing locally are deleted, which
/// distributions to invalidate) the kinds copy onto the live side themselves.
pub fn settle(
    scan: &Value,
    delete: bool,
    wanted: &mut BTreeMap<String, String>,
    live: &mut BTreeMap<String, String>,
    sizes: &BTreeMap<String, i64>,
) {
    if let Some(files) = scanned_files(scan) {
        // Each candidate with the live hash it is compared with, which says the form.
        let candidates: Vec<(&LocalFile, &str)> = files
            .iter()
            .filter(|file| sizes.get(&file.key) == Some(&(file.size as i64)))
            .filter_map(|file| Some((file, live.get(&file.key)?.as_str())))
            .collect();
        let forms: Vec<Form> = candidates
            .iter()
            .map(|(file, hash)| (*file, hash.starts_with(HASHED)))
            .collect();
        hash_all(&forms);
        for (file, hash) in candidates {
            if let Ok(local) = file.hash_like(hash) {
                wanted.insert(file.key.clone(), local.to_string());
            }
        }
    }
    // What the sync's filters leave out of the bucket is not the sync's: never deleted.
    if let Some(sync) = sync_of(scan) {
        let filter = sync.filter();
        live.retain(|key, _| {
            key.strip_prefix(sync.prefix.as_str())
                .is_none_or(|relative| filter.selects(relative))
        });
    }
    if !delete {
        live.retain(|key, _| wanted.contains_key(key));
    }
}

/// What a sync reads from disk, as a value the plan holds: the source (absolute), the key
/// prefix, whether remote-only keys go, the excluded globs and the Cache-Control rules.
/// A plan file carries it, so that `apply PLANFILE` can read the folder again.
pub fn scan_value(sync: &Sync) -> Value {
    Value::map([
        ("source", Value::str(sync.source.to_string_lossy())),
        ("prefix", Value::str(&sync.prefix)),
        ("delete", Value::Bool(sync.delete)),
        (
            "include",
            Value::List(sync.include.iter().map(Value::str).collect()),
        ),
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
        // Plans saved before `include` existed have none: every file.
        include: map.get("include").map_or(Some(Vec::new()), texts)?,
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
pub fn scanned_files(scan_settings: &Value) -> Option<Vec<LocalFile>> {
    let scanned = scan(&sync_of(scan_settings)?);
    scanned.error.is_none().then(|| scanned.files.clone())
}

/// Why a sync's folder (`scan`, as [`scan_value`] holds it) is no longer what its plan was
/// made from (`files`), if it is not.
pub fn changed_since_plan(scan: &Value, files: &BTreeMap<String, String>) -> Option<String> {
    let local = scanned_files(scan)?;
    unchanged_since_plan(&local, files)
        .err()
        .map(|what| format!("{what} in the folder since the plan was made: make a new plan"))
}

/// Whether the files are still the ones the plan was made with (a saved plan applied
/// later): the same keys, and each the planned size, or the planned hash where the plan
/// compared one with a live object.
pub fn unchanged_since_plan(
    local: &[LocalFile],
    planned: &BTreeMap<String, String>,
) -> Result<(), String> {
    let keys: std::collections::BTreeSet<&str> =
        local.iter().map(|file| file.key.as_str()).collect();
    if let Some(key) = planned.keys().find(|key| !keys.contains(key.as_str())) {
        return Err(format!("`{key}` is gone"));
    }
    for file in local {
        let Some(want) = planned.get(&file.key).map(String::as_str) else {
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
pub async fn remote_files(
    cx: &Cx,
    bucket: &str,
    prefix: &str,
    kms: bool,
) -> Result<Listing, AwsError> {
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

/// A live listing as the kinds hold it: files by their hashes, and (for [`settle`] only,
/// whose kinds then drop them) their sizes, which say what local files need hashing.
pub fn live_files(listed: Listing) -> (BTreeMap<String, String>, BTreeMap<String, i64>) {
    let mut files = BTreeMap::new();
    let mut sizes = BTreeMap::new();
    for (key, (etag, size)) in listed {
        sizes.insert(key.clone(), size);
        files.insert(key, etag);
    }
    (files, sizes)
}

/// Counts for the plan: (to upload, to delete, unchanged), and the keys of each change.
pub fn summary(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
    headers_changed: bool,
) -> SyncSummary {
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
        let filter = |include: &[&str], exclude: &[&str]| {
            Sync {
                source: root.to_path_buf(),
                prefix: String::new(),
                delete: false,
                cache_control: Vec::new(),
                include: include.iter().map(|glob| glob.to_string()).collect(),
                exclude: exclude.iter().map(|glob| glob.to_string()).collect(),
            }
            .filter()
        };
        let mut walked = Walked::default();
        walk(root, root, &filter(&[], &["**/*.map"]), &mut walked);
        let mut files: Vec<&str> = walked
            .files
            .iter()
            .map(|(key, _, _)| key.as_str())
            .collect();
        files.sort();
        assert_eq!(files, ["assets/app.js", "index.html"]);
        // `include` keeps only what it names, and `exclude` still takes from that.
        let mut included = Walked::default();
        walk(
            root,
            root,
            &filter(&["assets/**"], &["**/*.map"]),
            &mut included,
        );
        let files: Vec<&str> = included
            .files
            .iter()
            .map(|(key, _, _)| key.as_str())
            .collect();
        assert_eq!(files, ["assets/app.js"]);
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
    fn only_names_a_key_says_faithfully_are_synced() {
        use std::os::unix::ffi::OsStrExt as _;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for name in [
            "index.html",
            "a\\b.html",
            "what?.html",
            "tab#1.html",
            "100%.html",
            "line\nbreak.html",
            "Logo.png",
            "logo.png",
            "notes%.txt",
        ] {
            std::fs::write(root.join(name), "x").unwrap();
        }
        std::fs::create_dir(root.join("q?dir")).unwrap();
        std::fs::write(root.join("q?dir/in.html"), "x").unwrap();
        std::fs::create_dir(root.join("docs")).unwrap();
        std::fs::write(root.join("docs/a.html"), "x").unwrap();
        std::fs::create_dir(root.join("Docs")).unwrap();
        std::fs::write(root.join("Docs/b.html"), "x").unwrap();
        // Not selected: whatever their names, they are no concern.
        std::fs::create_dir(root.join("C#")).unwrap();
        std::fs::write(root.join("C#/notes.txt"), "x").unwrap();
        std::fs::write(root.join(std::ffi::OsStr::from_bytes(b"old-\xe9.txt")), "x").unwrap();
        std::fs::write(
            root.join(std::ffi::OsStr::from_bytes(b"latin1-\xe9.html")),
            "x",
        )
        .unwrap();
        let selected = Sync {
            source: root.to_path_buf(),
            prefix: String::new(),
            delete: false,
            cache_control: Vec::new(),
            include: Vec::new(),
            exclude: vec!["**/*.txt".to_string()],
        }
        .filter();
        let mut walked = Walked::default();
        walk(root, root, &selected, &mut walked);
        walked.refused.extend(case_collisions(&walked.files));
        walked.refused.sort();
        assert_eq!(
            walked.refused,
            [
                "`100%.html`: its name holds `%`, which a URL reads as the start of an escape",
                "`Docs` and `docs`: their names differ only in case, so a disk that ignores case holds one of them",
                "`Logo.png` and `logo.png`: their names differ only in case, so a disk that ignores case holds one of them",
                "`a\\b.html`: its name holds `\\`, which browsers and Windows tools read as `/`",
                "`latin1-\u{fffd}.html`: its path is not UTF-8, so no S3 key names it faithfully",
                "`line\nbreak.html`: its name holds a control character",
                "`q?dir/in.html`: its name holds `?` or `#`, where a URL's path ends (a query, a fragment), so a browser never asks for it",
                "`tab#1.html`: its name holds `?` or `#`, where a URL's path ends (a query, a fragment), so a browser never asks for it",
                "`what?.html`: its name holds `?` or `#`, where a URL's path ends (a query, a fragment), so a browser never asks for it",
            ]
        );
        let mut synced: Vec<&str> = walked
            .files
            .iter()
            .map(|(name, _, _)| name.as_str())
            .collect();
        synced.sort();
        assert_eq!(
            synced,
            [
                "Docs/b.html",
                "Logo.png",
                "docs/a.html",
                "index.html",
                "logo.png"
            ]
        );
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
        walk(
            root,
            root,
            &Filter {
                include: None,
                exclude: globs(&[]),
            },
            &mut walked,
        );
        assert_eq!(walked.unreadable.len(), 1, "{:?}", walked.unreadable);
        assert!(walked.unreadable[0].starts_with("`locked.html`"));
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
        let files = |pairs: [(&str, &str); 2]| -> BTreeMap<String, String> {
            pairs
                .into_iter()
                .map(|(key, hash)| (key.to_string(), hash.to_string()))
                .collect()
        };
        let old = files([("a", "1"), ("b", "2")]);
        let new = files([("a", "1"), ("c", "3")]);
        let summary = summary(&old, &new, false);
        assert_eq!(summary.added, vec!["c"]);
        assert_eq!(summary.deleted, vec!["b"]);
        assert_eq!(summary.unchanged, 1);
    }
}
