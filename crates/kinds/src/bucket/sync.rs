//! Lowering: a bucket's synced content: the files of `sync.source`, hashed in the
//! background (the one lowering that reads the disk).

use super::content::{self, Scan, headers_fingerprint, scan, scan_value, unhashed};
use super::lower::{ObjectsLocal, ObjectsProps, Target};
use super::manifest::{self, Bucket};
use crate::aws::ids::{bucket_id, objects_id};
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::lower::uses::Uses;
use std::collections::{BTreeMap, BTreeSet};

/// The synced buckets' objects; run once the distributions recorded which buckets they
/// serve (`uses.served`).
pub fn desired(buckets: &[Bucket], uses: &Uses) -> Vec<Desired> {
    let mut out = Vec::new();
    for bucket in buckets {
        let Some(sync) = &bucket.sync else {
            continue;
        };
        let sync = &settings(sync);
        let scanned = scan(sync);
        let fronted = !uses.servers(&bucket.key).is_empty();
        let mut props = ObjectsProps {
            bucket: Value::Ref(bucket_id(&bucket.key)),
            prefix: sync.prefix.clone(),
            files: files(&scanned),
            // Live only.
            sizes: None,
            headers: headers_fingerprint(sync),
            fronted,
        }
        .into_props();
        props.extend(
            ObjectsLocal {
                delete: sync.delete,
                scan: scan_value(sync),
                kms: bucket.kms.is_some(),
                scan_error: scanned.error.clone(),
                skipped: scanned.skipped.clone(),
            }
            .into_props(),
        );
        out.push(Desired {
            id: objects_id(&bucket.key),
            props,
            after: Vec::new(),
        });
    }
    out
}

/// Starts hashing the syncs' files in the background while AWS is read (see
/// [`content::warm`]). Plan and apply call it before reading AWS.
pub fn warm(buckets: &[Bucket]) {
    warm_buckets(buckets);
}

/// [`warm`] for some of the manifest's buckets (`edgectl sync BUCKET`).
pub fn warm_buckets<'a>(buckets: impl IntoIterator<Item = &'a Bucket>) {
    content::warm(
        buckets
            .into_iter()
            .filter_map(|bucket| Some((settings(bucket.sync.as_ref()?), bucket.kms.is_some()))),
    );
}

/// A bucket's `sync:` as the objects and invalidation kinds read it.
pub fn settings(sync: &manifest::Sync) -> content::Sync {
    content::Sync {
        source: sync.source.clone(),
        prefix: sync.prefix.clone(),
        delete: sync.delete,
        cache_control: sync.cache_control.clone(),
        include: sync.include.clone(),
        exclude: sync.exclude.clone(),
    }
}

/// A scan's files by key, sizes standing in for hashes until `normalize` meets the live
/// objects: a hash is computed only where an object of that key and size is live.
pub fn files(scanned: &Scan) -> BTreeMap<String, String> {
    scanned
        .files
        .iter()
        .map(|file| (file.key.clone(), unhashed(file.size)))
        .collect()
}

/// The distributions serving a bucket, as its invalidation targets them.
pub fn targets(uses: &Uses, bucket_key: &str) -> BTreeSet<Target> {
    uses.servers(bucket_key)
        .into_iter()
        .map(|served| Target {
            distribution: served.distribution,
            origin_path: served.origin_path,
            root_object: served.root_object,
        })
        .collect()
}
