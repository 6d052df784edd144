//! Listener rules of the stack's listeners (all but each listener's default rule), found
//! through the listeners, owned by their tags.

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    HostHeaderConditionConfig, PathPatternConditionConfig, RuleCondition,
};

use super::{elb_tags, observed_action, owned, sdk_action};
use crate::engine::diff::{Change, touches};
use crate::engine::model::{Desired, Mode, Observed, Value, props};
use crate::errors::{AwsError, AwsResultExt};
use crate::{Cx, OpCx, tags};

pub const KIND: &str = "listener_rule";

pub struct ListenerRuleAdapter;

#[async_trait]
impl crate::engine::kind::Kind for ListenerRuleAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let rules = super::rules(cx).await?;
        let rule_arns: Vec<String> = rules
            .iter()
            .flat_map(|(_, rules)| rules.iter())
            .filter(|rule| !rule.is_default().unwrap_or(false))
            .filter_map(|rule| rule.rule_arn().map(str::to_string))
            .collect();
        let rule_tags = owned(cx, &rule_arns).await?;
        let mut out = Vec::new();
        for (listener_arn, rules) in rules {
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

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        create_rule(op, desired).await
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
        if touches(changes, &["paths", "hosts", "action"]) {
            elbv2
                .modify_rule()
                .rule_arn(arn)
                .set_conditions(Some(conditions(desired)))
                .actions(sdk_action(op, desired.value("action"))?)
                .send()
                .await
                .aws("ModifyRule")?;
        }
        tags::sync(elbv2, arn, observed.value("tags"), desired.value("tags")).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        op.cx
            .clients
            .elbv2
            .delete_rule()
            .rule_arn(&observed.physical_id)
            .send()
            .await
            .aws("DeleteRule")?;
        Ok(())
    }
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
        .set_tags(Some(elb_tags(crate::tags::for_create(op, desired))))
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
