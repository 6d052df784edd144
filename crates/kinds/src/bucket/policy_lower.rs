//! Lowering: bucket policies: the statements the stack needs (a distribution's Origin
//! Access Control, a load balancer's access logs, TLS only).

use super::lower::BucketPolicyProps;
use super::manifest::Bucket;
use super::policy::canonical;
use crate::aws::ids::{bucket_id, policy_id};
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::lower::uses::Uses;

/// The stack's buckets' policies. It runs after the distributions' and load balancers'
/// lowerings: `uses` says who reads each bucket and who logs to it.
pub fn desired(buckets: &[Bucket], uses: &Uses) -> Vec<Desired> {
    let mut out = Vec::new();
    for bucket in buckets {
        let readers = uses.bucket_readers(&bucket.key);
        let log_prefixes = uses.log_deliveries(&bucket.name);
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
