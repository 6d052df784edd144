//! Elastic Load Balancing v2: what ELB's kinds share (the target groups of
//! `kinds/service`; the load balancers, listeners and rules of `kinds/load_balancer`): listeners are found
//! through their load balancers and rules through their listeners, reads made once per
//! command (`balancers`, `listeners`, `rules`); the actions, the tagging.

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, FixedResponseActionConfig, Listener, LoadBalancer,
    LoadBalancerTypeEnum, RedirectActionConfig, RedirectActionStatusCodeEnum, Rule, Tag,
};
use futures::future::try_join_all;

use std::collections::BTreeMap;

use super::errors::{AwsError, AwsResultExt, ErrorKind};
use super::{Cx, OpCx, tags};
use crate::engine::model::{ResourceId, Value};

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
) -> Result<BTreeMap<String, (ResourceId, BTreeMap<String, String>)>, AwsError> {
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
                description.resource_arn()?.to_string(),
                (id, tags::observed_tag_map(pairs)),
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

/// One resource's tags (a load balancer's, a target group's, a listener's or a rule's).
pub async fn tags_of(cx: &Cx, arn: &str) -> Result<Vec<(String, String)>, AwsError> {
    let described = cx
        .clients
        .elbv2
        .describe_tags()
        .resource_arns(arn)
        .send()
        .await
        .aws("DescribeTags")?;
    Ok(described
        .tag_descriptions()
        .iter()
        .flat_map(|description| description.tags())
        .filter_map(|tag| Some((tag.key()?.to_string(), tag.value()?.to_string())))
        .collect())
}

/// Refuses a name taken by a resource (`arn`) the stack does not own, reading its tags.
pub async fn refuse_foreign(cx: &Cx, id: &ResourceId, what: &str, arn: &str) -> Result<(), String> {
    let pairs = tags_of(cx, arn)
        .await
        .map_err(|error| format!("cannot check whether the name is taken: {error}"))?;
    let pairs = pairs
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()));
    match tags::name_taken_adoptable(&cx.stack, id, what, pairs) {
        Some(why) => Err(why),
        None => Ok(()),
    }
}

/// `edgectl adopt`: the live resource `arn` found for `op.id`, read (`read`, given its
/// managed tags) and checked (`adopt::found`).
pub async fn found<F, Fut>(
    op: &OpCx<'_>,
    what: String,
    arn: &str,
    read: F,
) -> Result<crate::engine::kind::Found, AwsError>
where
    F: FnOnce(BTreeMap<String, String>) -> Fut,
    Fut: std::future::Future<Output = Result<crate::engine::model::Observed, AwsError>>,
{
    let pairs = tags_of(op.cx, arn).await?;
    let pairs = || {
        pairs
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
    };
    let observed = read(tags::observed_tag_map(pairs())).await?;
    super::adopt::found(op.cx, op.id, what, pairs(), observed).await
}

/// `edgectl adopt`'s one write on an ELB resource: the stack's ownership tags.
pub async fn adopt(
    op: &OpCx<'_>,
    desired: &crate::engine::model::Desired,
    arn: &str,
) -> Result<(), AwsError> {
    tags::adopt(&op.cx.clients.elbv2, arn, op, desired).await
}

/// What a describe by name or by ARN answers when there is none: nothing to adopt (an ARN
/// `pinned` that is malformed or of another kind is none either; a name the manifest
/// gives that ELB finds invalid is an error).
pub fn none_found<T>(answer: Result<T, AwsError>, pinned: bool) -> Result<Option<T>, AwsError> {
    match answer {
        Ok(found) => Ok(Some(found)),
        Err(error) if error.kind == ErrorKind::NotFound => Ok(None),
        Err(error) if pinned && error.code.as_deref() == Some("ValidationError") => Ok(None),
        Err(error) => Err(error),
    }
}

crate::engine::record! {
    /// A listener's default action or a rule's: `forward` to a target group (by
    /// reference), `redirect` (`protocol`, `port`, `status`) or `fixed-response`
    /// (`status`, `body`, `content_type`).
    pub struct ElbAction {
        pub kind as "type": String,
        pub target_group: Option<Value> => optional,
        pub protocol: Option<String> => optional,
        pub port: Option<String> => optional,
        pub status: Option<String> => optional,
        pub body: Option<String> => optional,
        pub content_type: Option<String> => optional,
    }
}

impl ElbAction {
    /// An action of `kind` with none of its fields set yet.
    pub fn of_kind(kind: &str) -> Self {
        Self {
            kind: kind.to_string(),
            target_group: None,
            protocol: None,
            port: None,
            status: None,
            body: None,
            content_type: None,
        }
    }
}

/// A listener's default action or a rule's action, as read.
pub fn observed_action(actions: &[Action]) -> Option<ElbAction> {
    let action = actions.first()?;
    Some(match action.r#type() {
        Some(ActionTypeEnum::Forward) => ElbAction {
            target_group: action
                .target_group_arn()
                .or_else(|| {
                    action
                        .forward_config()
                        .and_then(|config| config.target_groups().first())
                        .and_then(|group| group.target_group_arn())
                })
                .map(|arn| Value::Phys(arn.to_string())),
            ..ElbAction::of_kind("forward")
        },
        Some(ActionTypeEnum::Redirect) => {
            let config = action.redirect_config();
            ElbAction {
                protocol: config.and_then(|c| c.protocol()).map(str::to_string),
                port: config.and_then(|c| c.port()).map(str::to_string),
                status: config
                    .and_then(|c| c.status_code())
                    .map(|s| s.as_str().to_string()),
                ..ElbAction::of_kind("redirect")
            }
        }
        Some(ActionTypeEnum::FixedResponse) => {
            let config = action.fixed_response_config();
            ElbAction {
                status: config.and_then(|c| c.status_code()).map(str::to_string),
                body: config.and_then(|c| c.message_body()).map(str::to_string),
                content_type: config.and_then(|c| c.content_type()).map(str::to_string),
                ..ElbAction::of_kind("fixed-response")
            }
        }
        other => ElbAction::of_kind(&format!("{other:?}")),
    })
}

/// An action as ELBv2 takes it, references resolved.
pub fn sdk_action(op: &OpCx<'_>, action: Option<&ElbAction>) -> Result<Action, AwsError> {
    let action = action.ok_or_else(|| {
        AwsError::new(
            ErrorKind::Other,
            "CreateListener",
            "the listener names no action",
        )
    })?;
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    Ok(match action.kind.as_str() {
        "forward" => Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .target_group_arn(op.resolve(action.target_group.as_ref().unwrap_or(&Value::Null))?)
            .build(),
        "redirect" => Action::builder()
            .r#type(ActionTypeEnum::Redirect)
            .redirect_config(
                RedirectActionConfig::builder()
                    .set_protocol(action.protocol.clone())
                    .set_port(action.port.clone())
                    .status_code(RedirectActionStatusCodeEnum::from(
                        text(&action.status).as_str(),
                    ))
                    .build(),
            )
            .build(),
        _ => Action::builder()
            .r#type(ActionTypeEnum::FixedResponse)
            .fixed_response_config(
                FixedResponseActionConfig::builder()
                    .status_code(text(&action.status))
                    .set_message_body(action.body.clone())
                    .set_content_type(action.content_type.clone())
                    .build(),
            )
            .build(),
    })
}

/// The reads the load balancer, listener and rule adapters share, made once per command.
#[derive(Default)]
pub struct Reads {
    listing: tokio::sync::OnceCell<Vec<LoadBalancer>>,
    balancers: tokio::sync::OnceCell<Vec<OwnedBalancer>>,
    listeners: tokio::sync::OnceCell<Vec<Listener>>,
    rules: tokio::sync::OnceCell<Vec<(String, Vec<Rule>)>>,
}

/// An application load balancer of the stack, with its logical id and managed tags.
pub struct OwnedBalancer {
    pub id: ResourceId,
    pub arn: String,
    pub balancer: LoadBalancer,
    pub tags: BTreeMap<String, String>,
}

/// Every load balancer of the account in the region: one listing per command, shared by
/// the stack's own ([`balancers`]) and CloudFront's origins (DNS name to ARN).
pub async fn listing(cx: &Cx) -> Result<&[LoadBalancer], AwsError> {
    cx.reads
        .elbv2
        .listing
        .get_or_try_init(|| async {
            cx.clients
                .elbv2
                .describe_load_balancers()
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .aws("DescribeLoadBalancers")
        })
        .await
        .map(Vec::as_slice)
}

/// The load balancers of these ARNs, 20 to a DescribeLoadBalancers; when one is gone
/// since it was listed (ELB then answers the whole call with not found), each of that
/// batch on its own, the gone left out.
async fn balancers_by_arn(cx: &Cx, arns: &[String]) -> Result<Vec<LoadBalancer>, AwsError> {
    let describe = |arns: Vec<String>| {
        cx.clients
            .elbv2
            .describe_load_balancers()
            .set_load_balancer_arns(Some(arns))
            .send()
    };
    let batches = arns.chunks(20).map(|batch| async move {
        match describe(batch.to_vec()).await.aws("DescribeLoadBalancers") {
            Ok(page) => Ok(page.load_balancers().to_vec()),
            Err(error) if error.kind == ErrorKind::NotFound => {
                let each = batch.iter().map(|arn| async move {
                    super::errors::present(
                        describe(vec![arn.clone()])
                            .await
                            .aws("DescribeLoadBalancers"),
                    )
                });
                Ok(try_join_all(each)
                    .await?
                    .into_iter()
                    .flatten()
                    .flat_map(|page| page.load_balancers().to_vec())
                    .collect())
            }
            Err(error) => Err(error),
        }
    });
    Ok(try_join_all(batches).await?.into_iter().flatten().collect())
}

/// The stack's application load balancers: those the tagging API lists as the stack's,
/// described by ARN, or (when it does not hold them all yet, or one is gone) from the
/// region's listing; their tags read afresh, 20 at a time.
pub async fn balancers(cx: &Cx) -> Result<&[OwnedBalancer], AwsError> {
    cx.reads
        .elbv2
        .balancers
        .get_or_try_init(|| {
            tags::discover(
                cx,
                crate::ids::LOAD_BALANCER,
                ":loadbalancer/",
                false,
                |found: &OwnedBalancer| Some(found.id.clone()),
                async |arns| owned_balancers(cx, balancers_by_arn(cx, &arns).await?).await,
                async || owned_balancers(cx, listing(cx).await?.to_vec()).await,
            )
        })
        .await
        .map(Vec::as_slice)
}

/// The stack's application load balancers among `listed`, their tags read 20 at a time.
async fn owned_balancers(
    cx: &Cx,
    listed: Vec<LoadBalancer>,
) -> Result<Vec<OwnedBalancer>, AwsError> {
    let balancers: Vec<LoadBalancer> = listed
        .into_iter()
        .filter(|lb| lb.r#type() == Some(&LoadBalancerTypeEnum::Application))
        .collect();
    let arns: Vec<String> = balancers
        .iter()
        .filter_map(|lb| lb.load_balancer_arn().map(str::to_string))
        .collect();
    let tagged = owned(cx, &arns).await?;
    Ok(balancers
        .into_iter()
        .filter_map(|balancer| {
            let arn = balancer.load_balancer_arn()?.to_string();
            let (id, tags) = tagged.get(&arn)?.clone();
            Some(OwnedBalancer {
                id,
                arn,
                balancer,
                tags,
            })
        })
        .collect())
}

/// Every listener of the stack's load balancers (theirs or not: ownership is by tags).
pub async fn listeners(cx: &Cx) -> Result<&[Listener], AwsError> {
    cx.reads
        .elbv2
        .listeners
        .get_or_try_init(|| async {
            let balancers = balancers(cx).await?;
            let per_balancer = balancers.iter().map(|owned| async move {
                cx.clients
                    .elbv2
                    .describe_listeners()
                    .load_balancer_arn(&owned.arn)
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect()
                    .await
                    .aws("DescribeListeners")
            });
            let listeners: Vec<Vec<Listener>> = try_join_all(per_balancer).await?;
            Ok(listeners.into_iter().flatten().collect())
        })
        .await
        .map(Vec::as_slice)
}

/// Every rule of those listeners, by listener ARN (default rules included).
pub async fn rules(cx: &Cx) -> Result<&[(String, Vec<Rule>)], AwsError> {
    cx.reads
        .elbv2
        .rules
        .get_or_try_init(|| async {
            let listeners = listeners(cx).await?;
            let per_listener = listeners
                .iter()
                .filter_map(|listener| listener.listener_arn())
                .map(|arn| async move {
                    cx.clients
                        .elbv2
                        .describe_rules()
                        .listener_arn(arn)
                        .send()
                        .await
                        .aws("DescribeRules")
                        .map(|found| (arn.to_string(), found.rules().to_vec()))
                });
            try_join_all(per_listener).await
        })
        .await
        .map(Vec::as_slice)
}

/// What CloudWatch names a load balancer or target group by in its metrics' dimensions:
/// the ARN's resource part without `loadbalancer/` (`app/<name>/<id>`,
/// `targetgroup/<name>/<id>`).
pub fn arn_suffix(arn: &str) -> &str {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
    resource.strip_prefix("loadbalancer/").unwrap_or(resource)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_suffixes_are_what_cloudwatch_names() {
        assert_eq!(
            arn_suffix(
                "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
            ),
            "app/web/50dc6c495c0c9188"
        );
        assert_eq!(
            arn_suffix(
                "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-tg/73e2d6bc24d8a067"
            ),
            "targetgroup/web-tg/73e2d6bc24d8a067"
        );
    }
}
