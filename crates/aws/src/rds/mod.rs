//! RDS: a PostgreSQL instance (`instance.rs`) with its DB subnet group
//! (`subnet_group.rs`) and parameter group (`parameter_group.rs`). RDS lists neither
//! group with its tags: a group is the stack's when ListTagsForResource says so, read only
//! for the groups that can be (subnet groups in the stack's VPC, parameter groups that
//! are not AWS's `default.`).

pub mod instance;
pub mod parameter_group;
pub mod subnet_group;

use async_trait::async_trait;
use aws_sdk_rds::types::Tag;

use super::errors::{AwsError, AwsResultExt};
use super::{Cx, tags};

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

#[async_trait]
impl tags::Tagging for aws_sdk_rds::Client {
    async fn tag(&self, arn: &str, tags: Vec<(String, String)>) -> Result<(), AwsError> {
        self.add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(rds_tags(tags)))
            .send()
            .await
            .aws("AddTagsToResource")
            .map(drop)
    }

    async fn untag(&self, arn: &str, keys: Vec<String>) -> Result<(), AwsError> {
        self.remove_tags_from_resource()
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
