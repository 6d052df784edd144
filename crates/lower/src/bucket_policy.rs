//! Lowering: bucket policies: the statements the stack needs (a distribution's Origin
//! Access Control, a load balancer's access logs, TLS only).

use std::collections::BTreeSet;

use super::Env;
use crate::aws::cloudfront::distribution_id;
use crate::aws::s3::bucket_id;
use crate::aws::s3::policy::{BucketPolicyProps, canonical, policy_id};
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
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
        let log_prefixes: BTreeSet<String> = manifest
            .containers
            .load_balancers
            .iter()
            .filter_map(|lb| lb.access_logs.as_ref())
            .filter(|(name, _)| *name == bucket.name)
            .map(|(_, prefix)| prefix.trim_matches('/').to_string())
            .collect();
        if bucket.policy.is_empty() && readers.is_empty() && log_prefixes.is_empty() {
            continue;
        }
        let props = BucketPolicyProps {
            bucket: Value::Ref(bucket_id(&bucket.key)),
            statements: canonical(bucket.policy.clone()),
            cloudfront_readers: readers,
            elb_log_prefixes: log_prefixes,
        };
        out.push(Desired {
            id: policy_id(&bucket.key),
            props: props.into_props(),
            after: Vec::new(),
        });
    }
    out
}
