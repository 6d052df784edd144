//! Security groups and their rules, as two resources from one describe call:
//! `security_group.<name>` (name, description: immutable) and `security_group_rules.<name>`
//! (ingress and egress). Keeping rules apart lets groups refer to each other in any
//! direction (ALB -> backend -> database, or both ways) without a dependency cycle, and lets
//! a replaced group's references be revoked before it is deleted.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, SecurityGroup as AwsGroup,
    UserIdGroupPair,
};

use super::{explain_dependency, observed_tags, owned_filter, owned_id, sync_tags, tag_spec};
use std::time::Duration;

use crate::conditions::{Condition, Given as _, Means};
use crate::engine::diff::{Change, Step};
use crate::engine::model::{Desired, Mode, Observed, ResourceId, Value, props};
use crate::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::{Cx, OpCx};

pub struct SecurityGroupAdapter;

pub const GROUP: &str = "security_group";

/// `security_group.<name>`.
pub fn group_id(name: &str) -> ResourceId {
    ResourceId::new(GROUP, name)
}
pub const RULES: &str = "security_group_rules";

/// One normalised rule: a protocol, a port range (none for `all`), one peer, a description.
pub fn rule(
    protocol: &str,
    ports: Option<(i64, i64)>,
    peer: Value,
    description: Option<&str>,
) -> Value {
    let (from, to) = ports.map_or((Value::Null, Value::Null), |(from, to)| {
        (Value::Int(from), Value::Int(to))
    });
    Value::map([
        ("protocol", Value::str(protocol)),
        ("from_port", from),
        ("to_port", to),
        ("peer", peer),
        (
            "description",
            description
                .filter(|text| !text.is_empty())
                .map_or(Value::Null, Value::str),
        ),
    ])
}

/// EC2 refuses to delete a group still named by network interfaces or other groups' rules
/// going away (a deleted load balancer's or task's interfaces linger for minutes):
/// `InvalidGroup.InUse` beside `DependencyViolation` (the Terraform provider's
/// `internal/service/ec2/vpc_security_group.go`, `resourceSecurityGroupDelete`: 15 minutes).
pub const CONDITIONS: &[Condition] = &[Condition {
    operation: "DeleteSecurityGroup",
    code: "InvalidGroup.InUse",
    message: None,
    means: Means::Settling {
        awaiting: "the network interfaces and rules that use the group to go",
        window: Duration::from_secs(15 * 60),
    },
    source: "terraform-provider-aws internal/service/ec2/vpc_security_group.go resourceSecurityGroupDelete",
}];

#[async_trait]
impl crate::engine::kind::Kind for SecurityGroupAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[GROUP, RULES]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        if !super::stack_has_vpc(cx).await? {
            return Ok(Vec::new());
        }
        let groups = cx
            .clients
            .ec2
            .describe_security_groups()
            .filters(owned_filter(cx))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .aws("DescribeSecurityGroups")?;
        let mut out = Vec::new();
        for group in &groups {
            let Some(id) = owned_id(cx, group.tags()) else {
                continue;
            };
            let Some(group_id) = group.group_id() else {
                continue;
            };
            if id.kind() != GROUP {
                continue;
            }
            out.push(Observed::new(
                id.clone(),
                group_id,
                props([
                    (
                        "vpc",
                        group
                            .vpc_id()
                            .map_or(Value::Null, |vpc| Value::Phys(vpc.to_string())),
                        Mode::Replace,
                    ),
                    (
                        "name",
                        Value::str(group.group_name().unwrap_or_default()),
                        Mode::Replace,
                    ),
                    (
                        "description",
                        Value::str(group.description().unwrap_or_default()),
                        Mode::Replace,
                    ),
                    ("tags", observed_tags(group.tags()), Mode::InPlace),
                ]),
            ));
            out.push(observed_rules(&id, group_id, group));
        }
        Ok(out)
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        if op.id.kind() == RULES {
            let group_id = op.resolve(desired.value("group"))?;
            // Read what the new group holds (AWS's default egress) and converge from there.
            let current = op
                .cx
                .clients
                .ec2
                .describe_security_groups()
                .group_ids(&group_id)
                .send()
                .await
                .aws("DescribeSecurityGroups")?;
            let Some(group) = current.security_groups().first() else {
                return Err(AwsError::new(
                    ErrorKind::NotFound,
                    "DescribeSecurityGroups",
                    format!("security group {group_id} not found"),
                ));
            };
            let mut current = observed_rules(op.id, &group_id, group);
            let index = op.physical.index();
            for field in current.props.values_mut() {
                field.value.resolve(&index);
            }
            apply_rules(op, &group_id, &current, desired).await?;
            return Ok(group_id);
        }
        let vpc_id = op.resolve(desired.value("vpc"))?;
        let request = op
            .cx
            .clients
            .ec2
            .create_security_group()
            .vpc_id(vpc_id)
            .group_name(desired.value("name").as_str().unwrap_or_default())
            .description(desired.value("description").as_str().unwrap_or_default())
            .tag_specifications(tag_spec(
                ResourceType::SecurityGroup,
                crate::tags::for_create(op, desired),
            ));
        let created = request.send().await.aws("CreateSecurityGroup")?;
        Ok(created
            .group_id()
            .ok_or_else(|| AwsError::missing("CreateSecurityGroup", "GroupId"))?
            .to_string())
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        _changes: &[Change],
    ) -> Result<(), AwsError> {
        if op.id.kind() == RULES {
            return apply_rules(op, &observed.physical_id, observed, desired).await;
        }
        sync_tags(op, desired, observed).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let group_id = &observed.physical_id;
        if op.id.kind() == RULES {
            // Only rules naming other groups stop those groups' deletion; the rest go with this group.
            let references = |direction: &str| -> BTreeSet<Value> {
                observed
                    .value(direction)
                    .items()
                    .filter(|rule| names_group(rule))
                    .cloned()
                    .collect()
            };
            for (direction, rules) in [
                ("ingress", references("ingress")),
                ("egress", references("egress")),
            ] {
                match revoke(op, group_id, direction, &rules).await {
                    Err(error) if error.kind != ErrorKind::NotFound => return Err(error),
                    _ => {}
                }
            }
            return Ok(());
        }
        let ec2 = &op.cx.clients.ec2;
        ec2.delete_security_group()
            .group_id(group_id)
            .send()
            .await
            .aws("DeleteSecurityGroup")
            .given(CONDITIONS)
            .map(drop)
    }

    async fn explain(&self, cx: &Cx, step: &Step, error: AwsError) -> AwsError {
        match &step.observed {
            Some(have) if step.id.kind() != RULES => {
                explain_dependency(cx, "group-id", &have.physical_id, error).await
            }
            _ => error,
        }
    }
}

fn names_group(rule: &Value) -> bool {
    matches!(
        rule.as_map().and_then(|map| map.get("peer")),
        Some(Value::Ref(_)) | Some(Value::Phys(_))
    )
}

fn observed_rules(group_logical: &ResourceId, group_id: &str, group: &AwsGroup) -> Observed {
    let rules_id = ResourceId::new(RULES, group_logical.name());
    Observed::new(
        rules_id,
        group_id,
        props([
            ("group", Value::Phys(group_id.to_string()), Mode::Replace),
            ("ingress", normalise(group.ip_permissions()), Mode::Blocking),
            (
                "egress",
                normalise(group.ip_permissions_egress()),
                Mode::Blocking,
            ),
        ]),
    )
}

/// AWS's permissions, one rule per peer, with protocol numbers named.
fn normalise(permissions: &[IpPermission]) -> Value {
    let mut out = BTreeSet::new();
    for permission in permissions {
        let protocol = match permission.ip_protocol().unwrap_or("-1") {
            "-1" | "all" => "all",
            "6" | "tcp" => "tcp",
            "17" | "udp" => "udp",
            "1" | "icmp" => "icmp",
            other => other,
        };
        let ports = match (protocol, permission.from_port(), permission.to_port()) {
            ("all", _, _) | ("icmp", Some(-1), _) | (_, None, _) => None,
            (_, Some(from), to) => Some((i64::from(from), i64::from(to.unwrap_or(from)))),
        };
        for range in permission.ip_ranges() {
            out.insert(rule(
                protocol,
                ports,
                Value::str(range.cidr_ip().unwrap_or_default()),
                range.description(),
            ));
        }
        for range in permission.ipv6_ranges() {
            out.insert(rule(
                protocol,
                ports,
                Value::str(range.cidr_ipv6().unwrap_or_default()),
                range.description(),
            ));
        }
        for pair in permission.user_id_group_pairs() {
            out.insert(rule(
                protocol,
                ports,
                Value::Phys(pair.group_id().unwrap_or_default().to_string()),
                pair.description(),
            ));
        }
        for list in permission.prefix_list_ids() {
            out.insert(rule(
                protocol,
                ports,
                Value::str(list.prefix_list_id().unwrap_or_default()),
                list.description(),
            ));
        }
    }
    Value::Set(out)
}

/// Revokes what is no longer wanted (first, so a rule whose description changed can be
/// added back), then authorizes what is missing.
async fn apply_rules(
    op: &OpCx<'_>,
    group_id: &str,
    observed: &Observed,
    desired: &Desired,
) -> Result<(), AwsError> {
    for direction in ["ingress", "egress"] {
        let have: BTreeSet<Value> = observed.value(direction).items().cloned().collect();
        let want: BTreeSet<Value> = desired.value(direction).items().cloned().collect();
        let stale: BTreeSet<Value> = have.difference(&want).cloned().collect();
        let missing: BTreeSet<Value> = want.difference(&have).cloned().collect();
        revoke(op, group_id, direction, &stale).await?;
        authorize(op, group_id, direction, &missing).await?;
    }
    Ok(())
}

fn permission(
    op: &OpCx<'_>,
    rule: &Value,
    with_description: bool,
) -> Result<IpPermission, AwsError> {
    let empty = BTreeMap::new();
    let map = rule.as_map().unwrap_or(&empty);
    let field = |name: &str| map.get(name).unwrap_or(&Value::Null);
    let protocol = field("protocol").as_str().unwrap_or("all");
    let description = if with_description {
        field("description").as_str().map(str::to_string)
    } else {
        None
    };
    let mut builder = IpPermission::builder().ip_protocol(match protocol {
        "all" => "-1",
        other => other,
    });
    match (field("from_port"), field("to_port")) {
        (Value::Int(from), Value::Int(to)) => {
            builder = builder.from_port(*from as i32).to_port(*to as i32)
        }
        _ if protocol == "icmp" => builder = builder.from_port(-1).to_port(-1),
        _ => {}
    }
    builder = match field("peer") {
        Value::Str(text) if text.starts_with("pl-") => builder.prefix_list_ids(
            PrefixListId::builder()
                .prefix_list_id(text)
                .set_description(description)
                .build(),
        ),
        Value::Str(text) if text.contains(':') => builder.ipv6_ranges(
            Ipv6Range::builder()
                .cidr_ipv6(text)
                .set_description(description)
                .build(),
        ),
        Value::Str(text) => builder.ip_ranges(
            IpRange::builder()
                .cidr_ip(text)
                .set_description(description)
                .build(),
        ),
        other => builder.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(op.resolve(other)?)
                .set_description(description)
                .build(),
        ),
    };
    Ok(builder.build())
}

async fn authorize(
    op: &OpCx<'_>,
    group_id: &str,
    direction: &str,
    rules: &BTreeSet<Value>,
) -> Result<(), AwsError> {
    if rules.is_empty() {
        return Ok(());
    }
    let permissions = rules
        .iter()
        .map(|rule| permission(op, rule, true))
        .collect::<Result<Vec<_>, _>>()?;
    let ec2 = &op.cx.clients.ec2;
    // Referenced groups created in this apply may not be visible yet.
    if direction == "ingress" {
        ec2.authorize_security_group_ingress()
            .group_id(group_id)
            .set_ip_permissions(Some(permissions.clone()))
            .send()
            .await
            .aws("AuthorizeSecurityGroupIngress")
            .map(|_| ())
    } else {
        ec2.authorize_security_group_egress()
            .group_id(group_id)
            .set_ip_permissions(Some(permissions.clone()))
            .send()
            .await
            .aws("AuthorizeSecurityGroupEgress")
            .map(|_| ())
    }
}

async fn revoke(
    op: &OpCx<'_>,
    group_id: &str,
    direction: &str,
    rules: &BTreeSet<Value>,
) -> Result<(), AwsError> {
    if rules.is_empty() {
        return Ok(());
    }
    // Revoking matches protocol, ports and peer; descriptions are not part of the match.
    let permissions = rules
        .iter()
        .map(|rule| permission(op, rule, false))
        .collect::<Result<Vec<_>, _>>()?;
    let ec2 = &op.cx.clients.ec2;
    if direction == "ingress" {
        ec2.revoke_security_group_ingress()
            .group_id(group_id)
            .set_ip_permissions(Some(permissions))
            .send()
            .await
            .aws("RevokeSecurityGroupIngress")?;
    } else {
        ec2.revoke_security_group_egress()
            .group_id(group_id)
            .set_ip_permissions(Some(permissions))
            .send()
            .await
            .aws("RevokeSecurityGroupEgress")?;
    }
    Ok(())
}
