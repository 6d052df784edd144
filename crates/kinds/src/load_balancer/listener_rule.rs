//! Listener rules of the stack's listeners (all but each listener's default rule), found
//! through the listeners, owned by their tags.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    HostHeaderConditionConfig, PathPatternConditionConfig, Rule, RuleCondition,
};

use super::lower::ListenerRuleProps;
use crate::aws::elbv2::{elb_tags, observed_action, owned, sdk_action};
use crate::aws::errors::{AwsError, AwsResultExt};
use crate::aws::ids::LISTENER_RULE as KIND;
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::Change;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::Properties as _;

pub struct ListenerRuleAdapter;

#[async_trait]
impl crate::engine::kind::Kind for ListenerRuleAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let rules = crate::aws::elbv2::rules(cx).await?;
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
                out.push(read(listener_arn, rule, id, tag_value)?);
            }
        }
        Ok(out)
    }

    /// The rule of the manifest's priority on the listener found (or the one pinned, by
    /// ARN, which must be that listener's).
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = ListenerRuleProps::from_props(&desired.props)?;
        let listener = op.resolve(&props.listener)?;
        let rules: Vec<Rule> = op
            .cx
            .clients
            .elbv2
            .describe_rules()
            .listener_arn(&listener)
            .send()
            .await
            .aws("DescribeRules")?
            .rules()
            .to_vec();
        let Some(rule) = rules.iter().find(|rule| {
            !rule.is_default().unwrap_or(false)
                && match pin {
                    Some(arn) => rule.rule_arn() == Some(arn),
                    None => rule.priority() == Some(props.priority.to_string().as_str()),
                }
        }) else {
            return Ok(Found::Nothing);
        };
        let arn = rule
            .rule_arn()
            .ok_or_else(|| AwsError::missing("DescribeRules", "RuleArn"))?;
        let what = format!(
            "listener rule of priority {}",
            rule.priority().unwrap_or_default()
        );
        crate::aws::elbv2::found(op, what, arn, |tags| async move {
            read(&listener, rule, op.id.clone(), tags)
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
        let props = ListenerRuleProps::from_props(&desired.props)?;
        let live = ListenerRuleProps::from_props(&observed.props)?;
        let changed = ListenerRuleProps::changed(changes);
        if changed.paths || changed.hosts || changed.action {
            elbv2
                .modify_rule()
                .rule_arn(arn)
                .set_conditions(Some(conditions(&props)))
                .actions(sdk_action(op, props.action.as_ref())?)
                .send()
                .await
                .aws("ModifyRule")?;
        }
        tags::sync(elbv2, arn, &live.tags, &props.tags).await
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

/// A rule of `listener` as the stack sees it, under `id`, with its managed tags.
fn read(
    listener: &str,
    rule: &Rule,
    id: ResourceId,
    tag_value: BTreeMap<String, String>,
) -> Result<Observed, AwsError> {
    let arn = rule
        .rule_arn()
        .ok_or_else(|| AwsError::missing("DescribeRules", "RuleArn"))?;
    let values = |field: &str| -> BTreeSet<String> {
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
            .collect()
    };
    let missing = |field: &str| AwsError::missing("DescribeRules", field);
    let props = ListenerRuleProps {
        listener: Value::Phys(listener.to_string()),
        priority: rule
            .priority()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| missing("Priority"))?,
        paths: values("path-pattern"),
        hosts: values("host-header"),
        action: observed_action(rule.actions()),
        tags: tag_value,
    };
    Ok(Observed::new(id, arn, props.into_props()))
}

fn conditions(props: &ListenerRuleProps) -> Vec<RuleCondition> {
    let mut out = Vec::new();
    let paths: Vec<String> = props.paths.iter().cloned().collect();
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
    let hosts: Vec<String> = props.hosts.iter().cloned().collect();
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
    let props = ListenerRuleProps::from_props(&desired.props)?;
    let priority = crate::aws::errors::int32("CreateRule", "priority", props.priority)?;
    let created = op
        .cx
        .clients
        .elbv2
        .create_rule()
        .listener_arn(op.resolve(&props.listener)?)
        .priority(priority)
        .set_conditions(Some(conditions(&props)))
        .actions(sdk_action(op, props.action.as_ref())?)
        .set_tags(Some(elb_tags(tags::for_create(op, &props.tags))))
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
