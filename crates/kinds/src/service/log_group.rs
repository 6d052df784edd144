//! CloudWatch log groups, one per service (`/ecs/<service name>` unless named), with
//! their retention. Only groups under `/ecs/` and `/aws/ecs/` are read: that is where
//! edgectl makes them, and an account's other groups (Lambda makes one per function)
//! stay out of every plan.

use std::collections::HashMap;

use async_trait::async_trait;
use futures::stream::{self, StreamExt, TryStreamExt};

use std::time::Duration;

use super::log_group_lower::LogGroupProps;
use crate::aws::conditions::{Condition, Given as _, IAM_PROPAGATION, Means};
use crate::aws::errors::{AwsError, AwsResultExt};
use crate::aws::ids::LOG_GROUP as KIND;
use crate::aws::{Cx, OpCx, tags};
use crate::base::known::LOG_GROUP_PREFIXES;
use crate::engine::diff::Change;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, Value};
use crate::engine::typed::Properties as _;

pub struct LogGroupAdapter;

/// A group's ARN without the `:*` that `arn` (the older field) ends with: what its tags
/// are read by, so an error when DescribeLogGroups gives neither.
fn group_arn(group: &aws_sdk_cloudwatchlogs::types::LogGroup) -> Result<String, AwsError> {
    group
        .log_group_arn()
        .map(str::to_string)
        .or_else(|| {
            group
                .arn()
                .map(|arn| arn.trim_end_matches(":*").to_string())
        })
        .ok_or_else(|| AwsError::missing("DescribeLogGroups", "logGroupArn"))
}

/// A group's tags as ListTagsForResource answers them, as pairs.
fn pairs(
    listed: &aws_sdk_cloudwatchlogs::operation::list_tags_for_resource::ListTagsForResourceOutput,
) -> Vec<(&str, &str)> {
    listed
        .tags()
        .map(|tags| {
            tags.iter()
                .map(|(key, value)| (key.as_str(), value.as_str()))
                .collect()
        })
        .unwrap_or_default()
}

async fn list_tags(
    cx: &Cx,
    arn: &str,
) -> Result<
    aws_sdk_cloudwatchlogs::operation::list_tags_for_resource::ListTagsForResourceOutput,
    AwsError,
> {
    cx.clients
        .logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .aws("ListTagsForResource")
}

fn tag_map(pairs: Vec<(String, String)>) -> HashMap<String, String> {
    pairs.into_iter().collect()
}

crate::aws::tagging_by_arn!(struct Logs(aws_sdk_cloudwatchlogs::Client), |tags| Ok::<
    _,
    AwsError,
>(tag_map(tags)));

/// CloudWatch Logs aborts a delete that meets another operation on the group ("try
/// again": the Terraform provider's `internal/service/logs/group.go`,
/// `resourceGroupDelete`, 1 minute).
pub const CONDITIONS: &[Condition] = &[
    Condition {
        operation: "DeleteLogGroup",
        code: "OperationAbortedException",
        message: Some("try again"),
        means: Means::Settling {
            awaiting: "another operation on the log group to finish",
            window: Duration::from_secs(60),
        },
        source: "terraform-provider-aws internal/service/logs/group.go resourceGroupDelete",
    },
    // The caller's own permission, granted moments before (a CI role just updated).
    Condition {
        operation: "PutRetentionPolicy",
        code: "AccessDeniedException",
        message: Some("no identity-based policy allows the logs:PutRetentionPolicy action"),
        means: Means::Settling {
            awaiting: "the caller's new permissions to reach CloudWatch Logs",
            window: IAM_PROPAGATION,
        },
        source: "terraform-provider-aws internal/service/logs/group.go resourceGroupCreate",
    },
];

/// A live group (its tags `pairs`) as the stack's `id`.
fn read(
    group: &aws_sdk_cloudwatchlogs::types::LogGroup,
    name: String,
    arn: String,
    pairs: &[(&str, &str)],
    id: crate::engine::model::ResourceId,
) -> Observed {
    let props = LogGroupProps {
        name: name.clone(),
        retention_days: group.retention_in_days().map(i64::from),
        kms_key: group
            .kms_key_id()
            .map_or(Value::Null, |key| Value::Phys(key.to_string())),
        tags: tags::observed_tag_map(pairs.iter().copied()),
    };
    let mut resource = Observed::new(id, &name, props.into_props());
    resource.extra.insert("arn".into(), arn);
    resource
}

/// The groups of these names (`exact`) or under these prefixes, one listing each.
async fn listed(
    cx: &Cx,
    prefixes: &[String],
    exact: bool,
) -> Result<Vec<aws_sdk_cloudwatchlogs::types::LogGroup>, AwsError> {
    let logs = &cx.clients.logs;
    let listings = prefixes.iter().map(|prefix| async move {
        let found: Vec<_> = logs
            .describe_log_groups()
            .log_group_name_prefix(prefix)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .aws("DescribeLogGroups")?;
        // A name is also the prefix of longer ones (`/ecs/web` of `/ecs/web-2`).
        Ok::<_, AwsError>(
            found
                .into_iter()
                .filter(|group| !exact || group.log_group_name() == Some(prefix.as_str()))
                .collect::<Vec<_>>(),
        )
    });
    Ok(futures::future::try_join_all(listings)
        .await?
        .into_iter()
        .flatten()
        .collect())
}

/// The stack's among `groups`, each with its tags (DescribeLogGroups returns none: one
/// ListTagsForResource each).
async fn owned(
    cx: &Cx,
    groups: Vec<aws_sdk_cloudwatchlogs::types::LogGroup>,
) -> Result<Vec<Observed>, AwsError> {
    let observed: Vec<Option<Observed>> = stream::iter(groups)
        .map(|group| async move {
            let name = group
                .log_group_name()
                .ok_or_else(|| AwsError::missing("DescribeLogGroups", "logGroupName"))?
                .to_string();
            let arn = group_arn(&group)?;
            let listed = list_tags(cx, &arn).await?;
            let pairs = pairs(&listed);
            let Some(id) = tags::owned_id(&cx.stack, pairs.iter().copied()) else {
                return Ok(None);
            };
            Ok::<_, AwsError>(Some(read(&group, name, arn, &pairs, id)))
        })
        .buffer_unordered(16)
        .try_collect()
        .await?;
    Ok(observed.into_iter().flatten().collect())
}

#[async_trait]
impl crate::engine::kind::Kind for LogGroupAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    /// The groups the tagging API lists as the stack's, each read by its name; when it
    /// does not hold them all yet, every group under edgectl's prefixes
    /// (`tags::discover`). Then each one's tags, read afresh.
    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        tags::discover(
            cx,
            KIND,
            ":log-group:",
            false,
            |found: &Observed| Some(found.id.clone()),
            async |arns| {
                // Only under edgectl's prefixes, as the listing reads them.
                let names: Vec<String> = tags::arn_names(&arns, ":log-group:")
                    .iter()
                    .map(|name| name.trim_end_matches(":*").to_string())
                    .filter(|name| LOG_GROUP_PREFIXES.iter().any(|p| name.starts_with(p)))
                    .collect();
                owned(cx, listed(cx, &names, true).await?).await
            },
            async || {
                let prefixes: Vec<String> = LOG_GROUP_PREFIXES
                    .iter()
                    .map(|prefix| prefix.to_string())
                    .collect();
                owned(cx, listed(cx, &prefixes, false).await?).await
            },
        )
        .await
    }

    /// The group of the manifest's name (or of `pin`'s).
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = LogGroupProps::from_props(&desired.props)?;
        let name = pin.unwrap_or(&props.name);
        let listed = op
            .cx
            .clients
            .logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .send()
            .await
            .aws("DescribeLogGroups")?;
        let Some(group) = listed
            .log_groups()
            .iter()
            .find(|group| group.log_group_name() == Some(name))
        else {
            return Ok(Found::Nothing);
        };
        let arn = group_arn(group)?;
        let listed = list_tags(op.cx, &arn).await?;
        let pairs = pairs(&listed);
        let observed = read(group, name.to_string(), arn, &pairs, op.id.clone());
        let what = format!("log group `{name}`");
        crate::aws::adopt::found(op.cx, op.id, what, pairs, observed).await
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        tags::adopt(
            &Logs(&op.cx.clients.logs),
            found.detail("arn")?,
            op,
            desired,
        )
        .await
    }

    /// `CreateLogGroup` refuses a taken name; a group of the name made by someone else is
    /// named here, before anything changes, not adopted.
    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        let props = LogGroupProps::from_props(&desired.props).map_err(|e| e.to_string())?;
        let name = props.name.as_str();
        let check = |error: AwsError| format!("cannot check whether the name is taken: {error}");
        let logs = &cx.clients.logs;
        let found = logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .send()
            .await
            .aws("DescribeLogGroups")
            .map_err(check)?;
        let Some(group) = found
            .log_groups()
            .iter()
            .find(|group| group.log_group_name() == Some(name))
        else {
            return Ok(());
        };
        let arn = group_arn(group).map_err(check)?;
        let listed = list_tags(cx, &arn).await.map_err(check)?;
        match tags::name_taken_adoptable(
            &cx.stack,
            &desired.id,
            &format!("log group `{name}`"),
            pairs(&listed),
        ) {
            Some(why) => Err(why),
            None => Ok(()),
        }
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let logs = &op.cx.clients.logs;
        let props = LogGroupProps::from_props(&desired.props)?;
        let name = props.name.clone();
        let tags = tags::create_tags(&op.cx.stack, op.id, &props.tags);
        let created = logs
            .create_log_group()
            .log_group_name(&name)
            .set_tags(Some(tag_map(tags)))
            .set_kms_key_id(op.resolve_optional(&props.kms_key)?)
            .send()
            .await
            .aws("CreateLogGroup");
        // A group of the name that exists is never configured as if it were the stack's:
        // after a lost response, the walk finds the stack's own group by its tags.
        created?;
        op.made(&name);
        set_retention(op, &name, props.retention_days).await?;
        Ok(name)
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        let logs = &op.cx.clients.logs;
        let props = LogGroupProps::from_props(&desired.props)?;
        let live = LogGroupProps::from_props(&observed.props)?;
        let changed = LogGroupProps::changed(changes);
        if changed.retention_days {
            set_retention(op, &observed.physical_id, props.retention_days).await?;
        }
        if changed.kms_key {
            // Logs written before keep the key they were written with.
            match op.resolve_optional(&props.kms_key)? {
                Some(key) => logs
                    .associate_kms_key()
                    .log_group_name(&observed.physical_id)
                    .kms_key_id(key)
                    .send()
                    .await
                    .aws("AssociateKmsKey")
                    .map(drop)?,
                None => logs
                    .disassociate_kms_key()
                    .log_group_name(&observed.physical_id)
                    .send()
                    .await
                    .aws("DisassociateKmsKey")
                    .map(drop)?,
            }
        }
        let arn = observed.detail("arn")?.to_string();
        let arn = arn.as_str();
        tags::sync(&Logs(logs), arn, &live.tags, &props.tags).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        op.cx
            .clients
            .logs
            .delete_log_group()
            .log_group_name(&observed.physical_id)
            .send()
            .await
            .aws("DeleteLogGroup")
            .given(CONDITIONS)?;
        Ok(())
    }
}

async fn set_retention(op: &OpCx<'_>, name: &str, days: Option<i64>) -> Result<(), AwsError> {
    let logs = &op.cx.clients.logs;
    match days {
        Some(days) => {
            let days = crate::aws::errors::int32("PutRetentionPolicy", "retention days", days)?;
            logs.put_retention_policy()
                .log_group_name(name)
                .retention_in_days(days)
                .send()
                .await
                .aws("PutRetentionPolicy")
                .given(CONDITIONS)?;
        }
        None => {
            logs.delete_retention_policy()
                .log_group_name(name)
                .send()
                .await
                .aws("DeleteRetentionPolicy")?;
        }
    }
    Ok(())
}
