//! Lowering: Origin Access Controls, one per distribution that serves a bucket.

use crate::aws::cloudfront::origin_access_control::OriginAccessControlProps;
use crate::aws::ids::oac_id;
use crate::aws::naming;
use crate::engine::model::Desired;
use crate::engine::typed::Properties as _;
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
            props: OriginAccessControlProps {
                name: naming::fit(&format!("{}-{key}", manifest.stack), 64),
                origin_type: "s3".to_string(),
                signing: "always sigv4".to_string(),
            }
            .into_props(),
            after: Vec::new(),
        })
        .collect()
}
