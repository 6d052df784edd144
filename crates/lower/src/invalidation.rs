//! Lowering: the invalidation of a synced bucket that distributions serve: which
//! distributions, where they serve the bucket from, and the same files as its objects.

use crate::aws::ids::{bucket_id, invalidation_id, objects_id};
use crate::aws::s3::content::{headers_fingerprint, scan, scan_value};
use crate::aws::s3::invalidation::{InvalidationLocal, InvalidationProps};
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;

/// The synced buckets' invalidations; run once the distributions recorded which buckets
/// they serve (`uses.served`).
pub fn desired(manifest: &Manifest, uses: &super::uses::Uses) -> Vec<Desired> {
    let mut out = Vec::new();
    for bucket in &manifest.edge.buckets {
        let Some(sync) = &bucket.sync else {
            continue;
        };
        let targets = super::objects::targets(uses, &bucket.key);
        if targets.is_empty() {
            continue;
        }
        let sync = &super::objects::settings(sync);
        let scanned = scan(sync);
        let mut props = InvalidationProps {
            bucket: Value::Ref(bucket_id(&bucket.key)),
            files: super::objects::files(&scanned),
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
