//! Application load balancers with their listeners and listener rules. Listeners and rules
//! can only be listed through their load balancer, so one adapter reads all three.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, FixedResponseActionConfig, HostHeaderConditionConfig,
    Listener, LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerTypeEnum,
    PathPatternConditionConfig, ProtocolEnum, RedirectActionConfig, RedirectActionStatusCodeEnum,
    Rule, RuleCondition,
};
use futures::future::try_join_all;

use super::{elb_tags, owned};
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::Change;
use crate::engine::model::{Desired, Mode, Observed, Value, props};

const LOAD_BALANCER: &str = "load_balancer";
const LISTENER: &str = "listener";
const RULE: &str = "listener_rule";

pub struct LoadBalancerAdapter;

fn observed_action(actions: &[Action]) -> Value {
    let Some(action) = actions.first() else {
        return Value::Null;
    };
    match action.r#type() {
        Some(ActionTypeEnum::Forward) => Value::map([
            ("type", Value::str("forward")),
            (
                "target_group",
                action
                    .target_group_arn()
                    .or_else(|| {
                        action
                            .forward_config()
                            .and_then(|config| config.target_groups().first())
                            .and_then(|group| group.target_group_arn())
                    })
                    .map_or(Value::Null, |arn| Value::Phys(arn.to_string())),
            ),
        ]),
        Some(ActionTypeEnum::Redirect) => {
            let config = action.redirect_config();
            Value::map([
                ("type", Value::str("redirect")),
                (
                    "protocol",
                    config
                        .and_then(|c| c.protocol())
                        .map_or(Value::Null, Value::str),
                ),
                (
                    "port",
                    config
                        .and_then(|c| c.port())
                        .map_or(Value::Null, Value::str),
                ),
                (
                    "status",
                    config
                        .and_then(|c| c.status_code())
                        .map_or(Value::Null, |s| Value::str(s.as_str())),
                ),
            ])
        }
        Some(ActionTypeEnum::FixedResponse) => {
            let config = action.fixed_response_config();
            Value::map([
                ("type", Value::str("fixed-response")),
                (
                    "status",
                    config
                        .and_then(|c| c.status_code())
                        .map_or(Value::Null, Value::str),
                ),
                (
                    "body",
                    config
                        .and_then(|c| c.message_body())
                        .map_or(Value::Null, Value::str),
                ),
                (
                    "content_type",
                    config
                        .and_then(|c| c.content_type())
                        .map_or(Value::Null, Value::str),
                ),
            ])
        }
        other => Value::str(format!("{other:?}")),
    }
}

fn sdk_action(op: &OpCx<'_>, value: &Value) -> Result<Action, AwsError> {
    let map = value.as_map().cloned().unwrap_or_default();
    let text = |key: &str| {
        map.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Ok(match text("type").as_str() {
        "forward" => Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .target_group_arn(op.resolve(map.get("target_group").unwrap_or(&Value::Null))?)
            .build(),
        "redirect" => Action::builder()
            .r#type(ActionTypeEnum::Redirect)
            .redirect_config(
                RedirectActionConfig::builder()
                    .protocol(text("protocol"))
                    .port(text("port"))
                    .status_code(RedirectActionStatusCodeEnum::from(text("status").as_str()))
                    .build(),
            )
            .build(),
        _ => Action::builder()
            .r#type(ActionTypeEnum::FixedResponse)
            .fixed_response_config(
                FixedResponseActionConfig::builder()
                    .status_code(text("status"))
                    .set_message_body(map.get("body").and_then(Value::as_str).map(str::to_string))
                    .content_type(text("content_type"))
                    .build(),
            )
            .build(),
    })
}

#[async_trait]
impl crate::engine::kind::Kind for LoadBalancerAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[LOAD_BALANCER, LISTENER, RULE]
    }

    /// `CreateLoadBalancer` answers with an existing load balancer of the name when its
    /// settings are identical (moto makes a second one): ask by name first.
    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        if desired.id.kind() != "load_balancer" {
            return Ok(());
        }
        let name = desired.value("name").as_str().unwrap_or_default();
        let found = match cx
            .clients
            .elbv2
            .describe_load_balancers()
            .names(name)
            .send()
            .await
            .aws("DescribeLoadBalancers")
        {
            Ok(found) => found,
            Err(error) if error.kind == ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(format!("cannot check whether the name is taken: {error}")),
        };
        for balancer in found.load_balancers() {
            let arn = balancer.load_balancer_arn().unwrap_or_default();
            super::refuse_foreign(
                cx,
                &desired.id,
                &format!("load balancer `{name}` ({arn})"),
                arn,
            )
            .await?;
        }
        Ok(())
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let elbv2 = &cx.clients.elbv2;
        let balancers: Vec<_> = elbv2
            .describe_load_balancers()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .aws("DescribeLoadBalancers")?;
        let balancers: Vec<_> = balancers
            .into_iter()
            .filter(|lb| lb.r#type() == Some(&LoadBalancerTypeEnum::Application))
            .collect();
        let arns: Vec<String> = balancers
            .iter()
            .filter_map(|lb| lb.load_balancer_arn().map(str::to_string))
            .collect();
        let owned_arns = owned(cx, &arns).await?;
        let owned_balancers: Vec<_> = balancers
            .iter()
            .filter_map(|lb| {
                let (id, tag_value) = owned_arns.get(lb.load_balancer_arn()?)?.clone();
                Some((id, lb, tag_value))
            })
            .collect();
        // Per owned load balancer: its attributes and its listeners, at once.
        let per_balancer = owned_balancers
            .into_iter()
            .map(|(id, lb, tag_value)| async move {
                let arn = lb.load_balancer_arn().unwrap_or_default();
                let (attributes, listeners) = futures::join!(
                    elbv2
                        .describe_load_balancer_attributes()
                        .load_balancer_arn(arn)
                        .send(),
                    async {
                        elbv2
                            .describe_listeners()
                            .load_balancer_arn(arn)
                            .into_paginator()
                            .items()
                            .send()
                            .try_collect()
                            .await
                    }
                );
                let attributes = attributes.aws("DescribeLoadBalancerAttributes")?;
                let listeners = listeners.aws("DescribeListeners")?;
                let attributes: BTreeMap<&str, &str> = attributes
                    .attributes()
                    .iter()
                    .filter_map(|attribute| Some((attribute.key()?, attribute.value()?)))
                    .collect();
                let access_logs = if attributes.get("access_logs.s3.enabled") == Some(&"true") {
                    Value::map([
                        (
                            "bucket",
                            Value::str(
                                attributes
                                    .get("access_logs.s3.bucket")
                                    .copied()
                                    .unwrap_or_default(),
                            ),
                        ),
                        (
                            "prefix",
                            Value::str(
                                attributes
                                    .get("access_logs.s3.prefix")
                                    .copied()
                                    .unwrap_or_default(),
                            ),
                        ),
                    ])
                } else {
                    Value::Null
                };
                let mut out = vec![Observed::new(
                    id,
                    arn,
                    props([
                        (
                            "name",
                            Value::str(lb.load_balancer_name().unwrap_or_default()),
                            Mode::Replace,
                        ),
                        (
                            "scheme",
                            lb.scheme().map_or(Value::Null, |s| Value::str(s.as_str())),
                            Mode::Replace,
                        ),
                        (
                            "subnets",
                            Value::Set(
                                lb.availability_zones()
                                    .iter()
                                    .filter_map(|zone| {
                                        zone.subnet_id().map(|s| Value::Phys(s.to_string()))
                                    })
                                    .collect(),
                            ),
                            Mode::InPlace,
                        ),
                        (
                            "security_groups",
                            Value::Set(
                                lb.security_groups()
                                    .iter()
                                    .map(|g| Value::Phys(g.clone()))
                                    .collect(),
                            ),
                            Mode::InPlace,
                        ),
                        (
                            // ELBv2's default is 60 seconds; moto lists the attribute only once set.
                            "idle_timeout",
                            Value::Int(
                                attributes
                                    .get("idle_timeout.timeout_seconds")
                                    .and_then(|s| s.parse().ok())
                                    .unwrap_or(60),
                            ),
                            Mode::InPlace,
                        ),
                        (
                            "deletion_protection",
                            Value::Bool(
                                attributes.get("deletion_protection.enabled") == Some(&"true"),
                            ),
                            Mode::InPlace,
                        ),
                        ("access_logs", access_logs, Mode::InPlace),
                        ("tags", tag_value, Mode::InPlace),
                    ]),
                )];
                out.extend(observe_listeners(cx, &listeners).await?);
                Ok::<_, AwsError>(out)
            });
        Ok(try_join_all(per_balancer)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        match op.id.kind() {
            LISTENER => create_listener(op, desired).await,
            RULE => create_rule(op, desired).await,
            _ => create_load_balancer(op, desired).await,
        }
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
        let changed = |field: &str| changes.iter().any(|change| change.field == field);
        match op.id.kind() {
            LISTENER => {
                if ["protocol", "certificate", "ssl_policy", "action"]
                    .iter()
                    .any(|field| changed(field))
                {
                    elbv2
                        .modify_listener()
                        .listener_arn(arn)
                        .protocol(ProtocolEnum::from(
                            desired.value("protocol").as_str().unwrap_or("HTTP"),
                        ))
                        .set_certificates(certificates(desired))
                        .set_ssl_policy(desired.value("ssl_policy").as_str().map(str::to_string))
                        .default_actions(sdk_action(op, desired.value("action"))?)
                        .send()
                        .await
                        .aws("ModifyListener")?;
                }
            }
            RULE => {
                if ["paths", "hosts", "action"]
                    .iter()
                    .any(|field| changed(field))
                {
                    elbv2
                        .modify_rule()
                        .rule_arn(arn)
                        .set_conditions(Some(conditions(desired)))
                        .actions(sdk_action(op, desired.value("action"))?)
                        .send()
                        .await
                        .aws("ModifyRule")?;
                }
            }
            _ => {
                if changed("subnets") {
                    let subnets = resolve_all(op, desired.value("subnets"))?;
                    elbv2
                        .set_subnets()
                        .load_balancer_arn(arn)
                        .set_subnets(Some(subnets))
                        .send()
                        .await
                        .aws("SetSubnets")?;
                }
                if changed("security_groups") {
                    let groups = resolve_all(op, desired.value("security_groups"))?;
                    elbv2
                        .set_security_groups()
                        .load_balancer_arn(arn)
                        .set_security_groups(Some(groups))
                        .send()
                        .await
                        .aws("SetSecurityGroups")?;
                }
                if changed("idle_timeout")
                    || changed("deletion_protection")
                    || changed("access_logs")
                {
                    set_attributes(op, arn, desired).await?;
                }
            }
        }
        tags::sync(elbv2, arn, observed.value("tags"), desired.value("tags")).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let elbv2 = &op.cx.clients.elbv2;
        let arn = &observed.physical_id;
        match op.id.kind() {
            LISTENER => {
                elbv2
                    .delete_listener()
                    .listener_arn(arn)
                    .send()
                    .await
                    .aws("DeleteListener")?;
            }
            RULE => {
                elbv2
                    .delete_rule()
                    .rule_arn(arn)
                    .send()
                    .await
                    .aws("DeleteRule")?;
            }
            _ => {
                if observed.value("deletion_protection") == &Value::Bool(true) {
                    return Err(AwsError::new(
                        ErrorKind::Other,
                        "DeleteLoadBalancer",
                        "deletion protection is on; set `deletion_protection: false`, apply, then delete",
                    ));
                }
                elbv2
                    .delete_load_balancer()
                    .load_balancer_arn(arn)
                    .send()
                    .await
                    .aws("DeleteLoadBalancer")?;
                if op.wait {
                    // Its network interfaces hold its subnets and security groups until it is gone.
                    crate::engine::retry::poll(
                        op.cx.timeout,
                        "the load balancer to be deleted",
                        || async {
                            match elbv2
                                .describe_load_balancers()
                                .load_balancer_arns(arn)
                                .send()
                                .await
                                .aws("DescribeLoadBalancers")
                            {
                                Ok(found) => Ok(found.load_balancers().is_empty().then_some(())),
                                Err(error) if error.kind == ErrorKind::NotFound => Ok(Some(())),
                                Err(error) => Err(error),
                            }
                        },
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }
}

fn resolve_all(op: &OpCx<'_>, values: &Value) -> Result<Vec<String>, AwsError> {
    values.items().map(|value| op.resolve(value)).collect()
}

fn certificates(desired: &Desired) -> Option<Vec<Certificate>> {
    desired
        .value("certificate")
        .as_str()
        .map(|arn| vec![Certificate::builder().certificate_arn(arn).build()])
}

fn conditions(desired: &Desired) -> Vec<RuleCondition> {
    let strings = |field: &str| -> Vec<String> {
        desired
            .value(field)
            .items()
            .filter_map(|item| item.as_str().map(str::to_string))
            .collect()
    };
    let mut out = Vec::new();
    let paths = strings("paths");
    if !paths.is_empty() {
        out.push(
            RuleCondition::builder()
                .field("path-pattern")
                .path_pattern_config(
                    PathPatternConditionConfig::builder()
                        .set_values(Some(paths))
                        .build(),
                )
                .build(),
        );
    }
    let hosts = strings("hosts");
    if !hosts.is_empty() {
        out.push(
            RuleCondition::builder()
                .field("host-header")
                .host_header_config(
                    HostHeaderConditionConfig::builder()
                        .set_values(Some(hosts))
                        .build(),
                )
                .build(),
        );
    }
    out
}

async fn set_attributes(op: &OpCx<'_>, arn: &str, desired: &Desired) -> Result<(), AwsError> {
    let attribute = |key: &str, value: String| {
        LoadBalancerAttribute::builder()
            .key(key)
            .value(value)
            .build()
    };
    let mut attributes = vec![
        attribute(
            "idle_timeout.timeout_seconds",
            match desired.value("idle_timeout") {
                Value::Int(seconds) => seconds.to_string(),
                _ => "60".into(),
            },
        ),
        attribute(
            "deletion_protection.enabled",
            (desired.value("deletion_protection") == &Value::Bool(true)).to_string(),
        ),
    ];
    match desired.value("access_logs").as_map() {
        Some(logs) => {
            attributes.push(attribute("access_logs.s3.enabled", "true".into()));
            attributes.push(attribute(
                "access_logs.s3.bucket",
                logs.get("bucket")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .into(),
            ));
            attributes.push(attribute(
                "access_logs.s3.prefix",
                logs.get("prefix")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .into(),
            ));
        }
        None => attributes.push(attribute("access_logs.s3.enabled", "false".into())),
    }
    op.cx
        .clients
        .elbv2
        .modify_load_balancer_attributes()
        .load_balancer_arn(arn)
        .set_attributes(Some(attributes))
        .send()
        .await
        .aws("ModifyLoadBalancerAttributes")?;
    Ok(())
}

async fn create_load_balancer(op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
    let elbv2 = &op.cx.clients.elbv2;
    let created = elbv2
        .create_load_balancer()
        .name(desired.value("name").as_str().unwrap_or_default())
        .r#type(LoadBalancerTypeEnum::Application)
        .scheme(LoadBalancerSchemeEnum::from(
            desired
                .value("scheme")
                .as_str()
                .unwrap_or("internet-facing"),
        ))
        .set_subnets(Some(resolve_all(op, desired.value("subnets"))?))
        .set_security_groups(Some(resolve_all(op, desired.value("security_groups"))?))
        .set_tags(Some(elb_tags(op.create_tags(desired))))
        .send()
        .await
        .aws("CreateLoadBalancer")?;
    let arn = created
        .load_balancers()
        .first()
        .and_then(|lb| lb.load_balancer_arn())
        .ok_or_else(|| AwsError::missing("CreateLoadBalancer", "load_balancer_arn"))?
        .to_string();
    let defaults = desired.value("idle_timeout") == &Value::Int(60)
        && desired.value("deletion_protection") == &Value::Bool(false)
        && desired.value("access_logs") == &Value::Null;
    if !defaults {
        set_attributes(op, &arn, desired).await?;
    }
    Ok(arn)
}

async fn create_listener(op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
    let created = op
        .cx
        .clients
        .elbv2
        .create_listener()
        .load_balancer_arn(op.resolve(desired.value("load_balancer"))?)
        .port(match desired.value("port") {
            Value::Int(port) => i32::try_from(*port).unwrap_or(80),
            _ => 80,
        })
        .protocol(ProtocolEnum::from(
            desired.value("protocol").as_str().unwrap_or("HTTP"),
        ))
        .set_certificates(certificates(desired))
        .set_ssl_policy(desired.value("ssl_policy").as_str().map(str::to_string))
        .default_actions(sdk_action(op, desired.value("action"))?)
        .set_tags(Some(elb_tags(op.create_tags(desired))))
        .send()
        .await
        .aws("CreateListener")?;
    Ok(created
        .listeners()
        .first()
        .and_then(|listener| listener.listener_arn())
        .ok_or_else(|| AwsError::missing("CreateListener", "listener_arn"))?
        .to_string())
}

async fn create_rule(op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
    let created = op
        .cx
        .clients
        .elbv2
        .create_rule()
        .listener_arn(op.resolve(desired.value("listener"))?)
        .priority(match desired.value("priority") {
            Value::Int(priority) => i32::try_from(*priority).unwrap_or(1),
            _ => 1,
        })
        .set_conditions(Some(conditions(desired)))
        .actions(sdk_action(op, desired.value("action"))?)
        .set_tags(Some(elb_tags(op.create_tags(desired))))
        .send()
        .await
        .aws("CreateRule")?;
    Ok(created
        .rules()
        .first()
        .and_then(|rule| rule.rule_arn())
        .ok_or_else(|| AwsError::missing("CreateRule", "rule_arn"))?
        .to_string())
}

/// The stack's listeners of one load balancer, and their rules (all but the default).
async fn observe_listeners(cx: &Cx, listeners: &[Listener]) -> Result<Vec<Observed>, AwsError> {
    let elbv2 = &cx.clients.elbv2;
    let arns: Vec<String> = listeners
        .iter()
        .filter_map(|l| l.listener_arn().map(str::to_string))
        .collect();
    let (tagged, rules) = futures::join!(
        owned(cx, &arns),
        try_join_all(arns.iter().map(|arn| async move {
            elbv2
                .describe_rules()
                .listener_arn(arn)
                .send()
                .await
                .aws("DescribeRules")
                .map(|found| (arn.clone(), found.rules().to_vec()))
        }))
    );
    let tagged = tagged?;
    let rules: Vec<(String, Vec<Rule>)> = rules?;
    let rule_arns: Vec<String> = rules
        .iter()
        .flat_map(|(_, rules)| rules.iter())
        .filter(|rule| !rule.is_default().unwrap_or(false))
        .filter_map(|rule| rule.rule_arn().map(str::to_string))
        .collect();
    let rule_tags = owned(cx, &rule_arns).await?;
    let mut out = Vec::new();
    for listener in listeners {
        let arn = listener.listener_arn().unwrap_or_default();
        let Some((id, tag_value)) = tagged.get(arn).cloned() else {
            continue;
        };
        let https = listener.protocol() == Some(&ProtocolEnum::Https);
        out.push(Observed::new(
            id,
            arn,
            props([
                (
                    "load_balancer",
                    listener
                        .load_balancer_arn()
                        .map_or(Value::Null, |lb| Value::Phys(lb.to_string())),
                    Mode::Replace,
                ),
                (
                    "port",
                    listener
                        .port()
                        .map_or(Value::Null, |port| Value::Int(port.into())),
                    Mode::Replace,
                ),
                (
                    "protocol",
                    listener
                        .protocol()
                        .map_or(Value::Null, |p| Value::str(p.as_str())),
                    Mode::InPlace,
                ),
                (
                    "certificate",
                    listener
                        .certificates()
                        .first()
                        .and_then(|certificate| certificate.certificate_arn())
                        .map_or(Value::Null, Value::str),
                    Mode::InPlace,
                ),
                (
                    // moto reports an SSL policy on HTTP listeners too; it means nothing there.
                    "ssl_policy",
                    listener
                        .ssl_policy()
                        .filter(|_| https)
                        .map_or(Value::Null, Value::str),
                    Mode::InPlace,
                ),
                (
                    "action",
                    observed_action(listener.default_actions()),
                    Mode::InPlace,
                ),
                ("tags", tag_value, Mode::InPlace),
            ]),
        ));
    }
    for (listener_arn, rules) in &rules {
        for rule in rules
            .iter()
            .filter(|rule| !rule.is_default().unwrap_or(false))
        {
            let arn = rule.rule_arn().unwrap_or_default();
            let Some((id, tag_value)) = rule_tags.get(arn).cloned() else {
                continue;
            };
            let values = |field: &str| -> Value {
                Value::Set(
                    rule.conditions()
                        .iter()
                        .filter(|condition| condition.field() == Some(field))
                        .flat_map(|condition| {
                            let configured: Vec<String> = match field {
                                "path-pattern" => condition
                                    .path_pattern_config()
                                    .map(|c| c.values().to_vec())
                                    .unwrap_or_default(),
                                _ => condition
                                    .host_header_config()
                                    .map(|c| c.values().to_vec())
                                    .unwrap_or_default(),
                            };
                            if configured.is_empty() {
                                condition.values().to_vec()
                            } else {
                                configured
                            }
                        })
                        .map(Value::Str)
                        .collect(),
                )
            };
            out.push(Observed::new(
                id,
                arn,
                props([
                    ("listener", Value::Phys(listener_arn.clone()), Mode::Replace),
                    (
                        "priority",
                        rule.priority()
                            .and_then(|p| p.parse().ok())
                            .map_or(Value::Null, Value::Int),
                        Mode::Replace,
                    ),
                    ("paths", values("path-pattern"), Mode::InPlace),
                    ("hosts", values("host-header"), Mode::InPlace),
                    ("action", observed_action(rule.actions()), Mode::InPlace),
                    ("tags", tag_value, Mode::InPlace),
                ]),
            ));
        }
    }
    Ok(out)
}
