//! Target groups, one per exposed service: `ip` targets for Fargate, health check,
//! stickiness, deregistration delay. Port, protocol and VPC cannot change in place, so
//! a change makes a new group under a new name (the name hashes them) that listeners and
//! the service move to before the old one is deleted.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    Matcher, ProtocolEnum, TargetGroupAttribute, TargetTypeEnum,
};
use futures::future::try_join_all;

use super::{elb_tags, owned};
use crate::engine::diff::{Change, Replacement, touches};
use crate::engine::model::{Desired, Mode, Observed, Value, props};
use crate::engine::typed::Prop as _;
use crate::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::{Cx, OpCx, tags};

pub struct TargetGroupAdapter;

pub fn health(
    path: &str,
    interval: i64,
    timeout: i64,
    healthy: i64,
    unhealthy: i64,
    matcher: &str,
) -> Value {
    Value::map([
        ("path", Value::str(path)),
        ("interval", Value::Int(interval)),
        ("timeout", Value::Int(timeout)),
        ("healthy", Value::Int(healthy)),
        ("unhealthy", Value::Int(unhealthy)),
        ("matcher", Value::str(matcher)),
    ])
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

    /// `CreateTargetGroup` answers with an existing group of the name when its settings
    /// are identical: ask by name first.
    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        let name = desired.value("name").as_str().unwrap_or_default();
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
            let arn = group.target_group_arn().unwrap_or_default();
            super::refuse_foreign(
                cx,
                &desired.id,
                &format!("target group `{name}` ({arn})"),
                arn,
            )
            .await?;
        }
        Ok(())
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let elbv2 = &cx.clients.elbv2;
        let groups: Vec<_> = elbv2
            .describe_target_groups()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .aws("DescribeTargetGroups")?;
        let arns: Vec<String> = groups
            .iter()
            .filter_map(|group| group.target_group_arn().map(str::to_string))
            .collect();
        let owned_arns = owned(cx, &arns).await?;
        let owned = groups.iter().filter_map(|group| {
            let (id, tag_value) = owned_arns.get(group.target_group_arn()?)?.clone();
            Some((id, group, tag_value))
        });
        // Stickiness and deregistration delay are attributes: one call per owned group.
        let observed = owned.map(|(id, group, tag_value)| async move {
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
            let stickiness = if sticky {
                attributes
                    .get("stickiness.lb_cookie.duration_seconds")
                    .and_then(|seconds| seconds.parse().ok())
                    .map_or(Value::Int(86400), Value::Int)
            } else {
                Value::Null
            };
            let int = |value: Option<i32>, default: i64| value.map_or(default, i64::from);
            let mut resource = Observed::new(
                id,
                arn,
                props([
                    (
                        "name",
                        Value::str(group.target_group_name().ok_or_else(|| {
                            AwsError::missing("DescribeTargetGroups", "TargetGroupName")
                        })?),
                        Mode::Replace,
                    ),
                    (
                        "port",
                        group
                            .port()
                            .map_or(Value::Null, |port| Value::Int(port.into())),
                        Mode::Replace,
                    ),
                    (
                        "protocol",
                        group
                            .protocol()
                            .map_or(Value::Null, |p| Value::str(p.as_str())),
                        Mode::Replace,
                    ),
                    (
                        "target_type",
                        group
                            .target_type()
                            .map_or(Value::Null, |t| Value::str(t.as_str())),
                        Mode::Replace,
                    ),
                    (
                        "vpc",
                        group
                            .vpc_id()
                            .map_or(Value::Null, |vpc| Value::Phys(vpc.to_string())),
                        Mode::Replace,
                    ),
                    (
                        "health_check",
                        health(
                            group.health_check_path().unwrap_or("/"),
                            int(group.health_check_interval_seconds(), 30),
                            int(group.health_check_timeout_seconds(), 5),
                            int(group.healthy_threshold_count(), 5),
                            int(group.unhealthy_threshold_count(), 2),
                            group.matcher().and_then(|m| m.http_code()).unwrap_or("200"),
                        ),
                        Mode::InPlace,
                    ),
                    ("stickiness", stickiness, Mode::InPlace),
                    (
                        "deregistration_delay",
                        // ELBv2's default is 300 seconds; moto lists no attribute until one is set.
                        Value::Int(
                            attributes
                                .get("deregistration_delay.timeout_seconds")
                                .and_then(|seconds| seconds.parse().ok())
                                .unwrap_or(300),
                        ),
                        Mode::InPlace,
                    ),
                    ("tags", tag_value.into_value(), Mode::InPlace),
                ]),
            );
            resource
                .attributes
                .insert("arn_suffix".into(), super::arn_suffix(arn).to_string());
            Ok::<_, AwsError>(resource)
        });
        try_join_all(observed).await
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let elbv2 = &op.cx.clients.elbv2;
        let vpc = op.resolve(desired.value("vpc"))?;
        let check = desired
            .value("health_check")
            .as_map()
            .cloned()
            .unwrap_or_default();
        let int = |key: &str| match check.get(key) {
            Some(Value::Int(number)) => i32::try_from(*number).ok(),
            _ => None,
        };
        let protocol = ProtocolEnum::from(desired.value("protocol").as_str().unwrap_or("HTTP"));
        let created = elbv2
            .create_target_group()
            .name(desired.value("name").as_str().unwrap_or_default())
            .protocol(protocol.clone())
            .port(match desired.value("port") {
                Value::Int(port) => i32::try_from(*port).unwrap_or(80),
                _ => 80,
            })
            .vpc_id(vpc)
            .target_type(TargetTypeEnum::Ip)
            .health_check_protocol(protocol)
            .health_check_path(check.get("path").and_then(Value::as_str).unwrap_or("/"))
            .set_health_check_interval_seconds(int("interval"))
            .set_health_check_timeout_seconds(int("timeout"))
            .set_healthy_threshold_count(int("healthy"))
            .set_unhealthy_threshold_count(int("unhealthy"))
            .matcher(
                Matcher::builder()
                    .http_code(
                        check
                            .get("matcher")
                            .and_then(Value::as_str)
                            .unwrap_or("200"),
                    )
                    .build(),
            )
            .set_tags(Some(elb_tags(crate::tags::for_create(op, desired))))
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
        op.publish("arn_suffix", super::arn_suffix(&arn));
        set_attributes(op, &arn, desired).await?;
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
        let changed = |field: &str| touches(changes, &[field]);
        if changed("health_check") {
            let check = desired
                .value("health_check")
                .as_map()
                .cloned()
                .unwrap_or_default();
            let int = |key: &str| match check.get(key) {
                Some(Value::Int(number)) => i32::try_from(*number).ok(),
                _ => None,
            };
            elbv2
                .modify_target_group()
                .target_group_arn(arn)
                .health_check_path(check.get("path").and_then(Value::as_str).unwrap_or("/"))
                .set_health_check_interval_seconds(int("interval"))
                .set_health_check_timeout_seconds(int("timeout"))
                .set_healthy_threshold_count(int("healthy"))
                .set_unhealthy_threshold_count(int("unhealthy"))
                .matcher(
                    Matcher::builder()
                        .http_code(
                            check
                                .get("matcher")
                                .and_then(Value::as_str)
                                .unwrap_or("200"),
                        )
                        .build(),
                )
                .send()
                .await
                .aws("ModifyTargetGroup")?;
        }
        if changed("stickiness") || changed("deregistration_delay") {
            set_attributes(op, arn, desired).await?;
        }
        tags::sync(elbv2, arn, observed.value("tags"), desired.value("tags")).await
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

async fn set_attributes(op: &OpCx<'_>, arn: &str, desired: &Desired) -> Result<(), AwsError> {
    let attribute = |key: &str, value: String| {
        TargetGroupAttribute::builder()
            .key(key)
            .value(value)
            .build()
    };
    let mut attributes = vec![attribute(
        "deregistration_delay.timeout_seconds",
        match desired.value("deregistration_delay") {
            Value::Int(seconds) => seconds.to_string(),
            _ => "300".to_string(),
        },
    )];
    match desired.value("stickiness") {
        Value::Int(seconds) => {
            attributes.push(attribute("stickiness.enabled", "true".into()));
            attributes.push(attribute("stickiness.type", "lb_cookie".into()));
            attributes.push(attribute(
                "stickiness.lb_cookie.duration_seconds",
                seconds.to_string(),
            ));
        }
        _ => attributes.push(attribute("stickiness.enabled", "false".into())),
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
