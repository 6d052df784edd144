//! Lowering: the invalidation of a synced bucket that distributions serve: which
//! distributions, where they serve the bucket from, and the same files as its objects.

use crate::aws::cloudfront::invalidation::invalidation_id;
use crate::aws::s3::content::{headers_fingerprint, scan, scan_value};
use crate::aws::s3::{bucket_id, objects_id};
use crate::engine::model::{Desired, Mode, Value, props};
use crate::manifest::Manifest;

pub fn desired(manifest: &Manifest) -> Vec<Desired> {
    let mut out = Vec::new();
    for bucket in &manifest.edge.buckets {
        let Some(sync) = &bucket.sync else {
            continue;
        };
        let targets = super::objects::targets(manifest, &bucket.key);
        if targets.is_empty() {
            continue;
        }
        let sync = &super::objects::settings(sync);
        let scanned = scan(sync);
        out.push(Desired {
            id: invalidation_id(&bucket.key),
            props: props([
                ("bucket", Value::Ref(bucket_id(&bucket.key)), Mode::InPlace),
                ("targets", Value::Set(targets), Mode::InPlace),
                ("files", super::objects::files(&scanned), Mode::InPlace),
                (
                    "headers",
                    Value::str(headers_fingerprint(sync)),
                    Mode::InPlace,
                ),
                ("delete", Value::Bool(sync.delete), Mode::InPlace),
                ("scan", scan_value(sync), Mode::InPlace),
                ("pending", Value::Bool(false), Mode::InPlace),
            ]),
            // After the objects it covers: what it invalidates has changed by then.
            after: vec![objects_id(&bucket.key)],
        });
    }
    out
}
