//! Elastic Load Balancing v2: application load balancers with their listeners and rules
//! (one adapter: listeners are found through their load balancer), and target groups.

pub mod load_balancer;
pub mod target_group;

use std::sync::Arc;

use aws_sdk_elasticloadbalancingv2::types::Tag;
use futures::future::try_join_all;

use std::collections::BTreeMap;

use super::errors::{AwsError, AwsResultExt};
use super::{Adapter, Cx, tags};
use crate::engine::model::{ResourceId, Value};

pub fn adapters() -> Vec<Arc<dyn Adapter>> {
    vec![
        Arc::new(load_balancer::LoadBalancerAdapter),
        Arc::new(target_group::TargetGroupAdapter),
    ]
}

pub fn listener_id(load_balancer: &str, port: u16) -> ResourceId {
    ResourceId::new("listener", &format!("{load_balancer}-{port}"))
}

pub fn rule_id(load_balancer: &str, port: u16, priority: i64) -> ResourceId {
    ResourceId::new(
        "listener_rule",
        &format!("{load_balancer}-{port}-{priority}"),
    )
}

pub fn elb_tags(pairs: Vec<(String, String)>) -> Vec<Tag> {
    pairs
        .into_iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect()
}

/// Which of `arns` the stack owns, with their logical ids and managed tags: DescribeTags
/// takes 20 ARNs per call, all sent at once.
pub async fn owned(
    cx: &Cx,
    arns: &[String],
) -> Result<BTreeMap<String, (ResourceId, Value)>, AwsError> {
    let pages = arns.chunks(20).map(|chunk| {
        cx.clients
            .elbv2
            .describe_tags()
            .set_resource_arns(Some(chunk.to_vec()))
            .send()
    });
    let pages = try_join_all(pages).await.aws("DescribeTags")?;
    Ok(pages
        .iter()
        .flat_map(|page| page.tag_descriptions())
        .filter_map(|description| {
            let pairs: Vec<(&str, &str)> = description
                .tags()
                .iter()
                .map(|tag| {
                    (
                        tag.key().unwrap_or_default(),
                        tag.value().unwrap_or_default(),
                    )
                })
                .collect();
            let id = tags::owned_id(&cx.stack, pairs.iter().copied())?;
            Some((
                description.resource_arn().unwrap_or_default().to_string(),
                (id, tags::observed_tags(pairs)),
            ))
        })
        .collect())
}

#[async_trait::async_trait]
impl tags::Tagging for aws_sdk_elasticloadbalancingv2::Client {
    async fn tag(&self, arn: &str, tags: Vec<(String, String)>) -> Result<(), AwsError> {
        self.add_tags()
            .resource_arns(arn)
            .set_tags(Some(elb_tags(tags)))
            .send()
            .await
            .aws("AddTags")
            .map(drop)
    }

    async fn untag(&self, arn: &str, keys: Vec<String>) -> Result<(), AwsError> {
        self.remove_tags()
            .resource_arns(arn)
            .set_tag_keys(Some(keys))
            .send()
            .await
            .aws("RemoveTags")
            .map(drop)
    }
}

/// Refuses a name taken by a resource (`arn`) the stack does not own, reading its tags.
pub async fn refuse_foreign(cx: &Cx, id: &ResourceId, what: &str, arn: &str) -> Result<(), String> {
    let described = cx
        .clients
        .elbv2
        .describe_tags()
        .resource_arns(arn)
        .send()
        .await
        .aws("DescribeTags")
        .map_err(|error| format!("cannot check whether the name is taken: {error}"))?;
    let pairs: Vec<(&str, &str)> = described
        .tag_descriptions()
        .iter()
        .flat_map(|description| description.tags())
        .filter_map(|tag| Some((tag.key()?, tag.value()?)))
        .collect();
    match tags::name_taken(&cx.stack, id, what, pairs) {
        Some(why) => Err(why),
        None => Ok(()),
    }
}
