//! Lowering: bucket policies: the statements the stack needs (a distribution's Origin
//! Access Control, a load balancer's access logs, TLS only).

use std::collections::BTreeSet;

use super::Env;
use crate::aws::cloudfront::distribution_id;
use crate::aws::s3::bucket_id;
use crate::aws::s3::policy::{canonical, policy_id};
use crate::engine::model::{Desired, Mode, Value, props};
use crate::manifest::Manifest;
use crate::manifest::edge::OriginTarget;

pub fn desired(manifest: &Manifest, _env: &Env) -> Vec<Desired> {
    let mut out = Vec::new();
    for bucket in &manifest.edge.buckets {
        let readers: BTreeSet<Value> = manifest
            .edge
            .distributions
            .iter()
            .filter(|distribution| {
                distribution
                    .origins
                    .iter()
                    .any(|origin| origin.target == OriginTarget::Bucket(bucket.key.clone()))
            })
            .map(|distribution| Value::Ref(distribution_id(&distribution.key)))
            .collect();
        let log_prefixes: BTreeSet<Value> = manifest
            .containers
            .load_balancers
            .iter()
            .filter_map(|lb| lb.access_logs.as_ref())
            .filter(|(name, _)| *name == bucket.name)
            .map(|(_, prefix)| Value::str(prefix.trim_matches('/')))
            .collect();
        if bucket.policy.is_empty() && readers.is_empty() && log_prefixes.is_empty() {
            continue;
        }
        out.push(Desired {
            id: policy_id(&bucket.key),
            props: props([
                ("bucket", Value::Ref(bucket_id(&bucket.key)), Mode::Replace),
                (
                    "statements",
                    canonical(bucket.policy.clone()),
                    Mode::InPlace,
                ),
                ("cloudfront_readers", Value::Set(readers), Mode::InPlace),
                ("elb_log_prefixes", Value::Set(log_prefixes), Mode::InPlace),
            ]),
            after: Vec::new(),
        });
    }
    out
}
