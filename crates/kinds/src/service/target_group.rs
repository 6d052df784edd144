//! Target groups, one per exposed service: `ip` targets for Fargate, health check,
//! stickiness, deregistration delay. Port, protocol and VPC cannot change in place, so
//! a change makes a new group under a new name (the name hashes them) that listeners and
//! the service move to before the old one is deleted.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    Matcher, ProtocolEnum, TargetGroup, TargetGroupAttribute, TargetTypeEnum,
};
use futures::future::try_join_all;

use super::target_group_lower::{HealthCheck, TargetGroupProps};
use crate::aws::elbv2::{elb_tags, owned};
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::{Change, Replacement};
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::Properties as _;

pub struct TargetGroupAdapter;

impl TargetGroupProps {
    /// The name a create sends: the manifest's (the plan settles a name kept from a live
    /// group before a create sees it).
    fn name(&self) -> Result<&str, String> {
        match &self.name {
            Value::KeepLive(name, _) => name.as_str(),
            name => name.as_str(),
        }
        .ok_or_else(|| format!("a target group's name is {}, not text", self.name))
    }
}

/// A health check's interval, timeout and thresholds as ELBv2 takes them: an error naming
/// one that does not fit an `i32`.
fn check_numbers(operation: &str, check: &HealthCheck) -> Result<[i32; 4], AwsError> {
    Ok([
        crate::aws::errors::int32(operation, "health check interval", check.interval)?,
        crate::aws::errors::int32(operation, "health check timeout", check.timeout)?,
        crate::aws::errors::int32(operation, "healthy threshold", check.healthy)?,
        crate::aws::errors::int32(operation, "unhealthy threshold", check.unhealthy)?,
    ])
}

/// The stack's among `groups`, their tags read 20 at a time, each one's attributes read
/// (stickiness and deregistration delay: one call per owned group).
async fn owned_groups(cx: &Cx, groups: Vec<TargetGroup>) -> Result<Vec<Observed>, AwsError> {
    let arns: Vec<String> = groups
        .iter()
        .filter_map(|group| group.target_group_arn().map(str::to_string))
        .collect();
    let owned_arns = owned(cx, &arns).await?;
    let owned = groups.iter().filter_map(|group| {
        let (id, tag_value) = owned_arns.get(group.target_group_arn()?)?.clone();
        Some((id, group, tag_value))
    });
    let observed = owned.map(|(id, group, tag_value)| read(cx, group, id, tag_value));
    try_join_all(observed).await
}

#[async_trait]
impl crate::engine::kind::Kind for TargetGroupAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &["target_group"]
    }

    fn replacement(&self) -> Replacement {
        Replacement::CreateThenDelete
    }

    /// The group of the manifest's name, or the one pinned (by ARN): found for a service
    /// adopted, a pin comes from what its listener forwards to or its service registers
    /// with. Its name is kept; a port, protocol or VPC other than the manifest's would
    /// replace it, which `adopt` refuses.
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = TargetGroupProps::from_props(&desired.props)?;
        let request = op.cx.clients.elbv2.describe_target_groups();
        let request = match pin {
            Some(arn) => request.target_group_arns(arn),
            None => request.names(props.name().map_err(|message| {
                AwsError::new(ErrorKind::Other, "DescribeTargetGroups", message)
            })?),
        };
        let answer = request.send().await.aws("DescribeTargetGroups");
        let Some(answer) = crate::aws::elbv2::none_found(answer, pin.is_some())? else {
            return Ok(Found::Nothing);
        };
        let Some(group) = answer.target_groups().first() else {
            return Ok(Found::Nothing);
        };
        let arn = group
            .target_group_arn()
            .ok_or_else(|| AwsError::missing("DescribeTargetGroups", "TargetGroupArn"))?;
        let what = format!(
            "target group `{}`",
            group.target_group_name().unwrap_or(arn)
        );
        crate::aws::elbv2::found(op, what, arn, |tags| {
            read(op.cx, group, op.id.clone(), tags)
        })
        .await
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        crate::aws::elbv2::adopt(op, desired, &found.physical_id).await
    }

    /// `CreateTargetGroup` answers with an existing group of the name when its settings
    /// are identical: ask by name first.
    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        let props = TargetGroupProps::from_props(&desired.props).map_err(|e| e.to_string())?;
        let name = props.name()?;
        let found = match cx
            .clients
            .elbv2
            .describe_target_groups()
            .names(name)
            .send()
            .await
            .aws("DescribeTargetGroups")
        {
            Ok(found) => found,
            Err(error) if error.kind == ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(format!("cannot check whether the name is taken: {error}")),
        };
        for group in found.target_groups() {
            let arn = group.target_group_arn().ok_or_else(|| {
                let missing = AwsError::missing("DescribeTargetGroups", "TargetGroupArn");
                format!("cannot check whether the name is taken: {missing}")
            })?;
            crate::aws::elbv2::refuse_foreign(
                cx,
                &desired.id,
                &format!("target group `{name}` ({arn})"),
                arn,
            )
            .await?;
        }
        Ok(())
    }

    /// The groups the tagging API lists as the stack's, described by ARN; when it does not
    /// hold them all yet (or one is gone since), every group of the region
    /// (`tags::discover`). Their tags read afresh, 20 at a time.
    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let elbv2 = &cx.clients.elbv2;
        tags::discover(
            cx,
            crate::aws::ids::TARGET_GROUP,
            ":targetgroup/",
            false,
            |found: &Observed| Some(found.id.clone()),
            async |arns| {
                let describe = |arns: Vec<String>| {
                    elbv2
                        .describe_target_groups()
                        .set_target_group_arns(Some(arns))
                        .send()
                };
                // ELB answers a batch naming one gone since it was listed with not found:
                // then each of that batch on its own, the gone left out.
                let batches = arns.chunks(20).map(|batch| async move {
                    match describe(batch.to_vec()).await.aws("DescribeTargetGroups") {
                        Ok(page) => Ok(page.target_groups().to_vec()),
                        Err(error) if error.kind == ErrorKind::NotFound => {
                            let each = batch.iter().map(|arn| async move {
                                crate::aws::errors::present(
                                    describe(vec![arn.clone()])
                                        .await
                                        .aws("DescribeTargetGroups"),
                                )
                            });
                            Ok(try_join_all(each)
                                .await?
                                .into_iter()
                                .flatten()
                                .flat_map(|page| page.target_groups().to_vec())
                                .collect::<Vec<_>>())
                        }
                        Err(error) => Err(error),
                    }
                });
                let groups = try_join_all(batches).await?.into_iter().flatten().collect();
                owned_groups(cx, groups).await
            },
            async || {
                let groups = elbv2
                    .describe_target_groups()
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect()
                    .await
                    .aws("DescribeTargetGroups")?;
                owned_groups(cx, groups).await
            },
        )
        .await
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let elbv2 = &op.cx.clients.elbv2;
        let props = TargetGroupProps::from_props(&desired.props)?;
        let vpc = op.resolve(&props.vpc)?;
        let check = &props.health_check;
        let [interval, timeout, healthy, unhealthy] = check_numbers("CreateTargetGroup", check)?;
        let protocol = ProtocolEnum::from(props.protocol.as_str());
        let created =
            elbv2
                .create_target_group()
                .name(props.name().map_err(|message| {
                    AwsError::new(ErrorKind::Other, "CreateTargetGroup", message)
                })?)
                .protocol(protocol.clone())
                .port(crate::aws::errors::int32(
                    "CreateTargetGroup",
                    "port",
                    props.port,
                )?)
                .vpc_id(vpc)
                .target_type(TargetTypeEnum::Ip)
                .health_check_protocol(protocol)
                .health_check_path(&check.path)
                .health_check_interval_seconds(interval)
                .health_check_timeout_seconds(timeout)
                .healthy_threshold_count(healthy)
                .unhealthy_threshold_count(unhealthy)
                .matcher(Matcher::builder().http_code(&check.matcher).build())
                .set_tags(Some(elb_tags(crate::aws::tags::for_create(
                    op,
                    &props.tags,
                ))))
                .send()
                .await
                .aws("CreateTargetGroup")?;
        let arn = created
            .target_groups()
            .first()
            .and_then(|group| group.target_group_arn())
            .ok_or_else(|| AwsError::missing("CreateTargetGroup", "target_group_arn"))?
            .to_string();
        op.made(&arn);
        op.publish("arn_suffix", crate::aws::elbv2::arn_suffix(&arn));
        set_attributes(op, &arn, &props).await?;
        Ok(arn)
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        let elbv2 = &op.cx.clients.elbv2;
        let arn = &observed.physical_id;
        let props = TargetGroupProps::from_props(&desired.props)?;
        let live = TargetGroupProps::from_props(&observed.props)?;
        let changed = TargetGroupProps::changed(changes);
        if changed.health_check {
            let check = &props.health_check;
            let [interval, timeout, healthy, unhealthy] =
                check_numbers("ModifyTargetGroup", check)?;
            elbv2
                .modify_target_group()
                .target_group_arn(arn)
                .health_check_path(&check.path)
                .health_check_interval_seconds(interval)
                .health_check_timeout_seconds(timeout)
                .healthy_threshold_count(healthy)
                .unhealthy_threshold_count(unhealthy)
                .matcher(Matcher::builder().http_code(&check.matcher).build())
                .send()
                .await
                .aws("ModifyTargetGroup")?;
        }
        if changed.stickiness || changed.deregistration_delay {
            set_attributes(op, arn, &props).await?;
        }
        tags::sync(elbv2, arn, &live.tags, &props.tags).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        // A group a listener or rule still forwards to is ResourceInUse until they move.
        op.cx
            .clients
            .elbv2
            .delete_target_group()
            .target_group_arn(&observed.physical_id)
            .send()
            .await
            .aws("DeleteTargetGroup")?;
        Ok(())
    }
}

/// A target group as the stack sees it, under `id`, with its managed tags: its attributes
/// (stickiness, deregistration delay) read with one call.
async fn read(
    cx: &Cx,
    group: &TargetGroup,
    id: ResourceId,
    tag_value: BTreeMap<String, String>,
) -> Result<Observed, AwsError> {
    let elbv2 = &cx.clients.elbv2;
    let arn = group
        .target_group_arn()
        .ok_or_else(|| AwsError::missing("DescribeTargetGroups", "TargetGroupArn"))?;
    let attributes = elbv2
        .describe_target_group_attributes()
        .target_group_arn(arn)
        .send()
        .await
        .aws("DescribeTargetGroupAttributes")?;
    let attributes: BTreeMap<&str, &str> = attributes
        .attributes()
        .iter()
        .filter_map(|attribute| Some((attribute.key()?, attribute.value()?)))
        .collect();
    let sticky = attributes.get("stickiness.enabled") == Some(&"true");
    let stickiness = sticky.then(|| {
        attributes
            .get("stickiness.lb_cookie.duration_seconds")
            .and_then(|seconds| seconds.parse::<i64>().ok())
            // ELBv2's default cookie duration: one day.
            .unwrap_or(86400)
    });
    // ELBv2's defaults for a health check setting its answer leaves out.
    let int = |value: Option<i32>, default: i64| value.map_or(default, i64::from);
    let missing = |field: &str| AwsError::missing("DescribeTargetGroups", field);
    let props = TargetGroupProps {
        name: Value::str(
            group
                .target_group_name()
                .ok_or_else(|| missing("TargetGroupName"))?,
        ),
        port: group.port().ok_or_else(|| missing("Port"))?.into(),
        protocol: group
            .protocol()
            .ok_or_else(|| missing("Protocol"))?
            .as_str()
            .to_string(),
        target_type: group
            .target_type()
            .ok_or_else(|| missing("TargetType"))?
            .as_str()
            .to_string(),
        vpc: Value::Phys(group.vpc_id().ok_or_else(|| missing("VpcId"))?.to_string()),
        health_check: HealthCheck {
            path: group.health_check_path().unwrap_or("/").to_string(),
            interval: int(group.health_check_interval_seconds(), 30),
            timeout: int(group.health_check_timeout_seconds(), 5),
            healthy: int(group.healthy_threshold_count(), 5),
            unhealthy: int(group.unhealthy_threshold_count(), 2),
            matcher: group
                .matcher()
                .and_then(|m| m.http_code())
                .unwrap_or("200")
                .to_string(),
        },
        stickiness,
        // ELBv2's default is 300 seconds; moto lists no attribute until one is set.
        deregistration_delay: attributes
            .get("deregistration_delay.timeout_seconds")
            .and_then(|seconds| seconds.parse::<i64>().ok())
            .unwrap_or(300),
        tags: tag_value,
    };
    let mut resource = Observed::new(id, arn, props.into_props());
    resource.attributes.insert(
        "arn_suffix".into(),
        crate::aws::elbv2::arn_suffix(arn).to_string(),
    );
    Ok(resource)
}

async fn set_attributes(
    op: &OpCx<'_>,
    arn: &str,
    props: &TargetGroupProps,
) -> Result<(), AwsError> {
    let attribute = |key: &str, value: String| {
        TargetGroupAttribute::builder()
            .key(key)
            .value(value)
            .build()
    };
    let mut attributes = vec![attribute(
        "deregistration_delay.timeout_seconds",
        props.deregistration_delay.to_string(),
    )];
    match props.stickiness {
        Some(seconds) => {
            attributes.push(attribute("stickiness.enabled", "true".into()));
            attributes.push(attribute("stickiness.type", "lb_cookie".into()));
            attributes.push(attribute(
                "stickiness.lb_cookie.duration_seconds",
                seconds.to_string(),
            ));
        }
        None => attributes.push(attribute("stickiness.enabled", "false".into())),
    }
    op.cx
        .clients
        .elbv2
        .modify_target_group_attributes()
        .target_group_arn(arn)
        .set_attributes(Some(attributes))
        .send()
        .await
        .aws("ModifyTargetGroupAttributes")?;
    Ok(())
}
