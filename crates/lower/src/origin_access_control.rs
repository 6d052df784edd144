//! Lowering: Origin Access Controls, one per distribution that serves a bucket.

use crate::aws::cloudfront::origin_access_control::oac_id;
use crate::aws::naming;
use crate::engine::model::{Desired, Mode, Value, props};
use crate::manifest::Manifest;
use crate::manifest::edge::OriginTarget;

pub fn desired(manifest: &Manifest) -> Vec<Desired> {
    let mut keys: Vec<&str> = manifest
        .edge
        .distributions
        .iter()
        .flat_map(|distribution| &distribution.origins)
        .filter_map(|origin| match &origin.target {
            OriginTarget::Bucket(key) => Some(key.as_str()),
            _ => None,
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|key| Desired {
            id: oac_id(key),
            props: props([
                (
                    "name",
                    Value::str(naming::fit(&format!("{}-{key}", manifest.stack), 64)),
                    Mode::InPlace,
                ),
                ("origin_type", Value::str("s3"), Mode::InPlace),
                ("signing", Value::str("always sigv4"), Mode::InPlace),
            ]),
            after: Vec::new(),
        })
        .collect()
}
