//! Lowering: the invalidation of a synced bucket that distributions serve: which
//! distributions, where they serve the bucket from, and the same files as its objects.

use super::content::{headers_fingerprint, scan, scan_value};
use super::lower::{InvalidationLocal, InvalidationProps};
use super::manifest::Bucket;
use crate::aws::ids::{bucket_id, invalidation_id, objects_id};
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::lower::uses::Uses;

/// The synced buckets' invalidations; run once the distributions recorded which buckets
/// they serve (`uses.served`).
pub fn desired(buckets: &[Bucket], uses: &Uses) -> Vec<Desired> {
    let mut out = Vec::new();
    for bucket in buckets {
        let Some(sync) = &bucket.sync else {
            continue;
        };
        let targets = super::sync::targets(uses, &bucket.key);
        if targets.is_empty() {
            continue;
        }
        let sync = &super::sync::settings(sync);
        let scanned = scan(sync);
        let mut props = InvalidationProps {
            bucket: Value::Ref(bucket_id(&bucket.key)),
            files: super::sync::files(&scanned),
            // Live only.
            sizes: None,
            headers: headers_fingerprint(sync),
            pending: false,
        }
        .into_props();
        props.extend(
            InvalidationLocal {
                targets,
                delete: sync.delete,
                scan: scan_value(sync),
            }
            .into_props(),
        );
        out.push(Desired {
            id: invalidation_id(&bucket.key),
            props,
            // After the objects it covers: what it invalidates has changed by then.
            after: vec![objects_id(&bucket.key)],
        });
    }
    out
}
