//! SNS topics (`topic.<key>`) and their subscriptions (`subscription.<key>.<protocol>-<hash>`).
//!
//! A topic: name (a new name is a new topic), display name, KMS key, tags, all in
//! CreateTopic, which is idempotent by name (a repeated call returns the topic). The
//! physical id is the ARN. Topics are found by the Resource Groups Tagging API (SNS lists
//! topics without tags; `tags::tagged`, one query shared with KMS keys); a topic of the name someone else made is refused before anything
//! changes, since CreateTopic would hand it back.
//!
//! Subscriptions carry no tags: they are the stack's because their topic is, and are read
//! from it (ListSubscriptionsByTopic). Subscribe is idempotent per endpoint. An email
//! subscription waits for its recipient to confirm: it lists as `PendingConfirmation`,
//! without an ARN; a plan shows it as pending, not as drift, and one that goes from the
//! manifest cannot be removed (AWS drops it after three days unconfirmed).

use async_trait::async_trait;
use aws_sdk_sns::types::Tag;
use futures::future::try_join_all;

use super::lower::{SubscriptionProps, TopicProps};
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::ids::{SUBSCRIPTION, TOPIC, subscription_id};
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::{Change, Step, Summary};
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::Properties as _;

/// What SNS lists in place of a subscription's ARN until it is confirmed.
const PENDING: &str = "PendingConfirmation";

fn sns_tags(pairs: Vec<(String, String)>) -> Result<Vec<Tag>, AwsError> {
    pairs
        .into_iter()
        .map(|(key, value)| {
            Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|error| AwsError::new(ErrorKind::Other, "TagResource", error.to_string()))
        })
        .collect()
}

crate::aws::tagging_by_arn!(struct Sns(aws_sdk_sns::Client), sns_tags);

pub struct TopicAdapter;

#[async_trait]
impl crate::engine::kind::Kind for TopicAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[TOPIC]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let topics = tags::tagged(cx, TOPIC).await?;
        let reads = topics
            .into_iter()
            .map(|(id, arn, pairs)| async move { read_topic(cx, id, &arn, &pairs).await });
        Ok(try_join_all(reads).await?.into_iter().flatten().collect())
    }

    /// The topic of the manifest's name (or the one pinned, by ARN), with its
    /// subscriptions (untagged: the stack's with their topic).
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = TopicProps::from_props(&desired.props)?;
        let sns = &op.cx.clients.sns;
        let listed: Vec<_> = sns
            .list_topics()
            .into_paginator()
            .send()
            .try_collect()
            .await
            .aws("ListTopics")?;
        let Some(arn) = listed
            .iter()
            .flat_map(|page| page.topics())
            .filter_map(|topic| topic.topic_arn())
            .find(|arn| match pin {
                Some(pin) => *arn == pin,
                None => arn.rsplit(':').next() == Some(props.name.as_str()),
            })
        else {
            return Ok(Found::Nothing);
        };
        let pairs: Vec<(String, String)> = sns
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .aws("ListTagsForResource")?
            .tags()
            .iter()
            .map(|tag| (tag.key().to_string(), tag.value().to_string()))
            .collect();
        let Some(observed) = read_topic(op.cx, op.id.clone(), arn, &pairs).await? else {
            return Ok(Found::Nothing);
        };
        let what = format!("SNS topic `{}`", arn.rsplit(':').next().unwrap_or(arn));
        let borrowed = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let mut found = crate::aws::adopt::found(op.cx, op.id, what, borrowed, observed).await?;
        if let Found::Live { also, .. } = &mut found {
            also.extend(read_subscriptions(op.cx, op.id.name(), arn).await?);
        }
        Ok(found)
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        tags::adopt(&Sns(&op.cx.clients.sns), &found.physical_id, op, desired).await
    }

    /// CreateTopic answers with an existing topic of the name: one someone else made is
    /// named here, before anything changes.
    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        let props = TopicProps::from_props(&desired.props).map_err(|e| e.to_string())?;
        let name = props.name.as_str();
        let check = |error: AwsError| format!("cannot check whether the name is taken: {error}");
        let sns = &cx.clients.sns;
        let listed: Vec<_> = sns
            .list_topics()
            .into_paginator()
            .send()
            .try_collect()
            .await
            .aws("ListTopics")
            .map_err(check)?;
        let Some(arn) = listed
            .iter()
            .flat_map(|page| page.topics())
            .filter_map(|topic| topic.topic_arn())
            .find(|arn| arn.rsplit(':').next() == Some(name))
        else {
            return Ok(());
        };
        let found = sns
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .aws("ListTagsForResource")
            .map_err(check)?;
        let pairs = found.tags().iter().map(|tag| (tag.key(), tag.value()));
        match tags::name_taken_adoptable(
            &cx.stack,
            &desired.id,
            &format!("SNS topic `{name}`"),
            pairs,
        ) {
            Some(why) => Err(why),
            None => Ok(()),
        }
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let props = TopicProps::from_props(&desired.props)?;
        let mut attributes = std::collections::HashMap::new();
        if let Some(display) = &props.display_name {
            attributes.insert("DisplayName".to_string(), display.clone());
        }
        if let Some(key) = op.resolve_optional(&props.kms_key)? {
            attributes.insert("KmsMasterKeyId".to_string(), key);
        }
        let created = op
            .cx
            .clients
            .sns
            .create_topic()
            .name(&props.name)
            .set_attributes((!attributes.is_empty()).then_some(attributes))
            .set_tags(Some(sns_tags(tags::for_create(op, &props.tags))?))
            .send()
            .await
            .aws("CreateTopic")?;
        created
            .topic_arn()
            .map(str::to_string)
            .ok_or_else(|| AwsError::missing("CreateTopic", "TopicArn"))
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        let sns = &op.cx.clients.sns;
        let arn = &observed.physical_id;
        let props = TopicProps::from_props(&desired.props)?;
        let live = TopicProps::from_props(&observed.props)?;
        let changed = TopicProps::changed(changes);
        let mut set = Vec::new();
        if changed.display_name {
            // An empty one removes it.
            set.push((
                "DisplayName",
                props.display_name.clone().unwrap_or_default(),
            ));
        }
        if changed.kms_key {
            // An empty key turns encryption off.
            set.push((
                "KmsMasterKeyId",
                op.resolve_optional(&props.kms_key)?.unwrap_or_default(),
            ));
        }
        for (name, value) in set {
            sns.set_topic_attributes()
                .topic_arn(arn)
                .attribute_name(name)
                .attribute_value(value)
                .send()
                .await
                .aws("SetTopicAttributes")?;
        }
        tags::sync(&Sns(sns), arn, &live.tags, &props.tags).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        // Deleting a topic that is gone is no error: safe to send again.
        op.cx
            .clients
            .sns
            .delete_topic()
            .topic_arn(&observed.physical_id)
            .send()
            .await
            .aws("DeleteTopic")?;
        Ok(())
    }
}

/// A topic as the stack sees it, under `id`, with its tags; `None` when it is gone.
async fn read_topic(
    cx: &Cx,
    id: ResourceId,
    arn: &str,
    pairs: &[(String, String)],
) -> Result<Option<Observed>, AwsError> {
    let attributes = match cx
        .clients
        .sns
        .get_topic_attributes()
        .topic_arn(arn)
        .send()
        .await
        .aws("GetTopicAttributes")
    {
        Ok(found) => found.attributes().cloned().unwrap_or_default(),
        // Listed by the tagging API a moment after its deletion: gone.
        Err(error) if error.kind == ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let attribute = |name: &str| attributes.get(name).filter(|value| !value.is_empty());
    let borrowed = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let props = TopicProps {
        name: arn.rsplit(':').next().unwrap_or_default().to_string(),
        display_name: attribute("DisplayName").cloned(),
        kms_key: attribute("KmsMasterKeyId").map_or(Value::Null, |key| Value::Phys(key.clone())),
        tags: tags::observed_tag_map(borrowed),
    };
    Ok(Some(Observed::new(id, arn, props.into_props())))
}

/// The subscriptions of topic `arn`, under the ids of the manifest's topic `key`.
async fn read_subscriptions(cx: &Cx, key: &str, arn: &str) -> Result<Vec<Observed>, AwsError> {
    let listed: Vec<_> = match cx
        .clients
        .sns
        .list_subscriptions_by_topic()
        .topic_arn(arn)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .aws("ListSubscriptionsByTopic")
    {
        Ok(listed) => listed,
        Err(error) if error.kind == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    Ok(listed
        .iter()
        .flat_map(|page| page.subscriptions())
        .filter_map(|found| {
            let protocol = found.protocol()?;
            let endpoint = found.endpoint()?;
            let subscription = found.subscription_arn()?;
            let pending = subscription == PENDING;
            let physical = if pending {
                format!("{PENDING}:{arn}:{protocol}:{endpoint}")
            } else {
                subscription.to_string()
            };
            let props = SubscriptionProps {
                topic: Value::Phys(arn.to_string()),
                protocol: protocol.to_string(),
                endpoint: endpoint.to_string(),
            };
            let mut resource = Observed::new(
                subscription_id(key, protocol, endpoint),
                &physical,
                props.into_props(),
            );
            if pending {
                resource.extra.insert("pending".into(), "true".into());
                resource.extra.insert(
                    crate::engine::model::NOTE.into(),
                    format!("waits for `{endpoint}` to confirm it ({protocol}); not a change"),
                );
            }
            Some(resource)
        })
        .collect::<Vec<_>>())
}

pub struct SubscriptionAdapter;

#[async_trait]
impl crate::engine::kind::Kind for SubscriptionAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[SUBSCRIPTION]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let topics = tags::tagged(cx, TOPIC).await?;
        let reads = topics
            .into_iter()
            .map(|(id, arn, _)| async move { read_subscriptions(cx, id.name(), &arn).await });
        Ok(try_join_all(reads).await?.into_iter().flatten().collect())
    }

    fn summarize(&self, step: &Step) -> Option<Summary> {
        let pending = step
            .observed
            .as_ref()
            .is_some_and(|have| have.extra.contains_key("pending"));
        if !pending || step.desired.is_some() {
            return None;
        }
        Some(Summary {
            lines: vec![
                "waits for its recipient's confirmation: SNS cannot remove it, and drops it after three days unconfirmed".to_string(),
            ],
            ..Default::default()
        })
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let props = SubscriptionProps::from_props(&desired.props)?;
        let topic = op.resolve(&props.topic)?;
        let (protocol, endpoint) = (props.protocol.as_str(), props.endpoint.as_str());
        let subscribed = op
            .cx
            .clients
            .sns
            .subscribe()
            .topic_arn(&topic)
            .protocol(protocol)
            .endpoint(endpoint)
            .return_subscription_arn(true)
            .send()
            .await
            .aws("Subscribe")?;
        Ok(match subscribed.subscription_arn() {
            Some(arn) if arn != PENDING => arn.to_string(),
            _ => format!("{PENDING}:{topic}:{protocol}:{endpoint}"),
        })
    }

    async fn update(
        &self,
        _op: &OpCx<'_>,
        _desired: &Desired,
        _observed: &Observed,
        _changes: &[Change],
    ) -> Result<(), AwsError> {
        // Every field replaces.
        Ok(())
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        if observed.physical_id.starts_with(PENDING) {
            return Ok(());
        }
        match op
            .cx
            .clients
            .sns
            .unsubscribe()
            .subscription_arn(&observed.physical_id)
            .send()
            .await
            .aws("Unsubscribe")
        {
            Ok(_) => Ok(()),
            Err(error) if error.kind == ErrorKind::NotFound => Ok(()),
            Err(error) => Err(error),
        }
    }
}

use crate::aws::permissions::{On, Permission};

/// The IAM permissions this kind's calls need (`edgectl policy`); the suite's
/// `policy` test runs each shipped manifest with no more than these.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        actions: &["sns:ListTopics", "sns:CreateTopic"],
        on: On::Any,
    },
    Permission {
        actions: &[
            "sns:GetTopicAttributes",
            "sns:SetTopicAttributes",
            "sns:DeleteTopic",
            "sns:Subscribe",
            "sns:ListSubscriptionsByTopic",
            "sns:TagResource",
            "sns:UntagResource",
            "sns:ListTagsForResource",
        ],
        on: On::Named {
            kind: "topic",
            arn: "arn:{partition}:sns:{region}:*:{name}",
        },
    },
    Permission {
        actions: &["sns:Unsubscribe", "sns:GetSubscriptionAttributes"],
        // IAM names no resource for these: any, in the stack's regions.
        on: On::Any,
    },
];
