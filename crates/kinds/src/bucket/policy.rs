//! A bucket's policy: the manifest's statements merged with the ones edgectl needs itself,
//! each under a reserved `Sid` so that a read splits them apart again:
//! `EdgectlCloudFrontRead` (distributions reading through their Origin Access Control)
//! and `EdgectlElbLogDelivery` (load balancers writing access logs).
//!
//! A kind of its own (`bucket_policy.<key>`): it needs the distributions' ARNs, and the
//! distributions need the bucket, so it comes after both. Observed from the shared
//! listing of the stack's buckets (`s3::owned_buckets`).

use std::collections::BTreeSet;

use async_trait::async_trait;
use futures::stream::{self, StreamExt, TryStreamExt};
use serde_json::{Value as Json, json};

use super::lower::BucketPolicyProps;
use super::s3::OwnedBucket;
use crate::aws::conditions::{Condition, Given as _, IAM_PROPAGATION, Means};
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::ids::BUCKET_POLICY as POLICY;
use crate::aws::ids::policy_id;
use crate::aws::{Cx, OpCx};
use crate::engine::diff::Change;
use crate::engine::model::{Desired, Observed, Value};
use crate::engine::typed::Properties as _;

const CLOUDFRONT_SID: &str = "EdgectlCloudFrontRead";
const ELB_SID: &str = "EdgectlElbLogDelivery";

/// Elastic Load Balancing's log-delivery accounts in the regions that predate its service
/// principal (August 2022); newer regions take `logdelivery.elasticloadbalancing.amazonaws.com`.
const ELB_ACCOUNTS: &[(&str, &str)] = &[
    ("us-east-1", "127311923021"),
    ("us-east-2", "033677994240"),
    ("us-west-1", "027434742980"),
    ("us-west-2", "797873946194"),
    ("af-south-1", "098369216593"),
    ("ap-east-1", "754344448648"),
    ("ap-southeast-3", "589379963580"),
    ("ap-south-1", "718504428378"),
    ("ap-northeast-3", "383597477331"),
    ("ap-northeast-2", "600734575887"),
    ("ap-southeast-1", "114774131450"),
    ("ap-southeast-2", "783225319266"),
    ("ap-northeast-1", "582318560864"),
    ("ca-central-1", "985666609251"),
    ("eu-central-1", "054676820928"),
    ("eu-west-1", "156460612806"),
    ("eu-west-2", "652711504416"),
    ("eu-south-1", "635631232127"),
    ("eu-west-3", "009996457667"),
    ("eu-north-1", "897822967062"),
    ("me-south-1", "076674570225"),
    ("sa-east-1", "507241528517"),
];

/// Statements compared as IAM reads them: one-element lists are their element, and the
/// order inside a list of names does not matter.
fn normalise(value: Json) -> Json {
    match value {
        Json::Array(items) => {
            let mut items: Vec<Json> = items.into_iter().map(normalise).collect();
            if items.len() == 1 {
                return items.remove(0);
            }
            if items.iter().all(Json::is_string) {
                items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            }
            Json::Array(items)
        }
        Json::Object(map) => {
            Json::Object(map.into_iter().map(|(k, v)| (k, normalise(v))).collect())
        }
        other => other,
    }
}

/// The statements as a set of normalised JSON texts: IAM reads a policy's statements in
/// no particular order, and the plan shows each one.
pub fn canonical(statements: Vec<Json>) -> BTreeSet<String> {
    statements
        .into_iter()
        .map(|statement| normalise(statement).to_string())
        .collect()
}

pub(super) async fn observe(cx: &Cx, owned: &OwnedBucket) -> Result<Option<Observed>, AwsError> {
    let found = match cx
        .clients
        .s3
        .get_bucket_policy()
        .bucket(&owned.name)
        .send()
        .await
        .aws("GetBucketPolicy")
    {
        Ok(found) => found,
        Err(error) if error.kind == ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let text = found
        .policy()
        .ok_or_else(|| AwsError::missing("GetBucketPolicy", "Policy"))?;
    let document: Json = serde_json::from_str(text).unwrap_or(Json::Null);
    let statements = match document.get("Statement") {
        Some(Json::Array(items)) => items.clone(),
        Some(single) => vec![single.clone()],
        None => Vec::new(),
    };
    let mut own = Vec::new();
    let mut readers = BTreeSet::new();
    let mut prefixes = BTreeSet::new();
    let object_prefix = format!("arn:aws:s3:::{}/", owned.name);
    for statement in statements {
        let strings = |value: Option<&Json>| -> Vec<String> {
            match value {
                Some(Json::String(text)) => vec![text.clone()],
                Some(Json::Array(items)) => items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            }
        };
        match statement.get("Sid").and_then(Json::as_str) {
            Some(CLOUDFRONT_SID) => {
                let arns = strings(
                    statement
                        .pointer("/Condition/StringEquals")
                        .and_then(|condition| condition.get("AWS:SourceArn")),
                );
                readers.extend(arns.into_iter().map(Value::Phys));
            }
            Some(ELB_SID) => {
                for resource in strings(statement.get("Resource")) {
                    let path = resource.strip_prefix(&object_prefix).unwrap_or(&resource);
                    let prefix = path.strip_suffix("AWSLogs/*").unwrap_or(path);
                    prefixes.insert(prefix.trim_matches('/').to_string());
                }
            }
            _ => own.push(statement),
        }
    }
    let props = BucketPolicyProps {
        bucket: Value::Phys(owned.name.clone()),
        statements: canonical(own),
        cloudfront_readers: readers,
        elb_log_prefixes: prefixes,
    };
    let mut resource = Observed::new(policy_id(owned.id.name()), &owned.name, props.into_props());
    resource.extra.insert("name".into(), owned.name.clone());
    Ok(Some(resource))
}

/// Writes the whole policy; returns the bucket's name (the policy's physical id).
async fn put(op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
    let props = BucketPolicyProps::from_props(&desired.props)?;
    let name = op.resolve(&props.bucket)?;
    let mut statements: Vec<Json> = props
        .statements
        .iter()
        .filter_map(|text| serde_json::from_str(text).ok())
        .collect();
    let readers: Vec<String> = props
        .cloudfront_readers
        .iter()
        .map(|reader| op.resolve(reader))
        .collect::<Result<_, _>>()?;
    if !readers.is_empty() {
        statements.push(json!({
            "Sid": CLOUDFRONT_SID,
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{name}/*"),
            "Condition": {"StringEquals": {"AWS:SourceArn": readers}},
        }));
    }
    let prefixes: Vec<String> = props
        .elb_log_prefixes
        .iter()
        .map(|prefix| {
            if prefix.is_empty() {
                format!("arn:aws:s3:::{name}/AWSLogs/*")
            } else {
                format!("arn:aws:s3:::{name}/{prefix}/AWSLogs/*")
            }
        })
        .collect();
    if !prefixes.is_empty() {
        let principal = match ELB_ACCOUNTS
            .iter()
            .find(|(region, _)| *region == op.cx.region)
        {
            Some((_, account)) => json!({"AWS": format!("arn:aws:iam::{account}:root")}),
            None => json!({"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}),
        };
        statements.push(json!({
            "Sid": ELB_SID,
            "Effect": "Allow",
            "Principal": principal,
            "Action": "s3:PutObject",
            "Resource": prefixes,
        }));
    }
    let document = json!({"Version": "2012-10-17", "Statement": statements});
    op.cx
        .clients
        .s3
        .put_bucket_policy()
        .bucket(&name)
        .policy(document.to_string())
        .send()
        .await
        .aws("PutBucketPolicy")
        .given(CONDITIONS)?;
    Ok(name)
}

async fn delete(op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
    match op
        .cx
        .clients
        .s3
        .delete_bucket_policy()
        .bucket(&observed.physical_id)
        .send()
        .await
        .aws("DeleteBucketPolicy")
    {
        Err(error) if error.kind == ErrorKind::NotFound => Ok(()),
        other => other.map(drop),
    }
}

pub struct BucketPolicyAdapter;

/// S3 refuses a bucket policy naming a principal it does not know yet (a role made
/// seconds ago): the Terraform provider's `internal/service/s3/bucket_policy.go`,
/// `resourceBucketPolicyPut`, 2 minutes.
pub const CONDITIONS: &[Condition] = &[Condition {
    operation: "PutBucketPolicy",
    code: "MalformedPolicy",
    message: Some("Invalid principal in policy"),
    means: Means::Settling {
        awaiting: "the principals the bucket policy names to reach S3",
        window: IAM_PROPAGATION,
    },
    source: "terraform-provider-aws internal/service/s3/bucket_policy.go resourceBucketPolicyPut",
}];

#[async_trait]
impl crate::engine::kind::Kind for BucketPolicyAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[POLICY]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let buckets = super::s3::owned_buckets(cx).await?;
        let found: Vec<Option<Observed>> = stream::iter(buckets.to_vec())
            .map(|owned| async move { observe(cx, &owned).await })
            .buffer_unordered(8)
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        put(op, desired).await
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        _observed: &Observed,
        _changes: &[Change],
    ) -> Result<(), AwsError> {
        put(op, desired).await.map(drop)
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        delete(op, observed).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_compare_as_iam_reads_them() {
        let written = vec![json!({
            "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::111122223333:root"]},
            "Action": ["s3:PutObject", "s3:GetObject"],
            "Resource": "arn:aws:s3:::b/*",
        })];
        let read_back = vec![json!({
            "Resource": ["arn:aws:s3:::b/*"],
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Effect": "Allow",
        })];
        assert_eq!(canonical(written), canonical(read_back));
        let other = vec![json!({"Effect": "Deny", "Action": "s3:*", "Resource": "*"})];
        assert_ne!(canonical(other), canonical(Vec::new()));
    }
}
