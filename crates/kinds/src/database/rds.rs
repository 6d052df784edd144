//! What the RDS adapters share: the tagging, and the ownership of a resource RDS lists
//! without its tags. RDS lists neither
//! group with its tags: a group is the stack's when ListTagsForResource says so, read only
//! for the groups that can be (subnet groups in the stack's VPC, parameter groups that
//! are not AWS's `default.`).

use async_trait::async_trait;
use aws_sdk_rds::types::Tag;

use crate::aws::errors::{AwsError, AwsResultExt};
use crate::aws::{Cx, tags};

pub fn rds_tags(pairs: Vec<(String, String)>) -> Vec<Tag> {
    pairs
        .into_iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect()
}

pub fn pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter()
        .filter_map(|tag| Some((tag.key()?.to_string(), tag.value()?.to_string())))
        .collect()
}

pub fn borrowed(pairs: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    pairs
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
}

/// The RDS client as the stack's tagging sees it (AddTagsToResource and
/// RemoveTagsFromResource, by ARN): a type of this kind's own, as Rust's orphan rule asks.
pub struct Rds<'a>(pub &'a aws_sdk_rds::Client);

#[async_trait]
impl tags::Tagging for Rds<'_> {
    async fn tag(&self, arn: &str, tags: Vec<(String, String)>) -> Result<(), AwsError> {
        self.0
            .add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(rds_tags(tags)))
            .send()
            .await
            .aws("AddTagsToResource")
            .map(drop)
    }

    async fn untag(&self, arn: &str, keys: Vec<String>) -> Result<(), AwsError> {
        self.0
            .remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(keys))
            .send()
            .await
            .aws("RemoveTagsFromResource")
            .map(drop)
    }
}

/// A resource's tags (RDS lists groups without them).
pub async fn tags_of(cx: &Cx, arn: &str) -> Result<Vec<(String, String)>, AwsError> {
    let listed = cx
        .clients
        .rds
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .aws("ListTagsForResource")?;
    Ok(pairs(listed.tag_list()))
}

/// The logical id and tags of a resource the stack owns as `kind` (RDS lists groups
/// without tags: one ListTagsForResource); `None` for anyone else's.
pub async fn owned(
    cx: &Cx,
    arn: &str,
    kind: &str,
) -> Result<Option<(crate::engine::model::ResourceId, Vec<(String, String)>)>, AwsError> {
    let pairs = tags_of(cx, arn).await?;
    Ok(tags::owned_id(&cx.stack, borrowed(&pairs))
        .filter(|id| id.kind() == kind)
        .map(|id| (id, pairs)))
}

/// `edgectl adopt`'s one write on an RDS resource (an instance, a subnet or parameter
/// group): the ownership tags, by the ARN its read kept.
pub async fn adopt(
    op: &crate::aws::OpCx<'_>,
    desired: &crate::engine::model::Desired,
    found: &crate::engine::model::Observed,
) -> Result<(), AwsError> {
    let arn = found.detail("arn")?.to_string();
    tags::adopt(&Rds(&op.cx.clients.rds), &arn, op, desired).await
}
