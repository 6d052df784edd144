//! Security groups and their rules, as two resources from one describe call:
//! `security_group.<name>` (name, description: immutable) and `security_group_rules.<name>`
//! (ingress and egress). Keeping rules apart lets groups refer to each other in any
//! direction (ALB -> backend -> database, or both ways) without a dependency cycle, and lets
//! a replaced group's references be revoked before it is deleted.

use std::collections::BTreeSet;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, SecurityGroup as AwsGroup,
    UserIdGroupPair,
};

use super::lower::{Rule, SecurityGroupProps, SecurityGroupRulesProps, rule};
use crate::aws::ec2::{
    explain_dependency, filter, observed_tag_map, owned_filter, owned_id, pick_from, sync_tags,
    tag_spec,
};
use std::time::Duration;

use crate::aws::conditions::{Condition, Given as _, Means};
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::ids::{SECURITY_GROUP as GROUP, SECURITY_GROUP_RULES as RULES};
use crate::aws::{Cx, OpCx};
use crate::engine::diff::{Change, Step};
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::Properties as _;

pub struct SecurityGroupAdapter;

impl Rule {
    /// Whether the peer is a group: only such a rule stops that group's deletion.
    fn names_group(&self) -> bool {
        matches!(self.peer, Value::Ref(_) | Value::Phys(_))
    }
}

/// Which of a group's rule lists: each has its own authorize and revoke calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    Ingress,
    Egress,
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

/// A live group (not its rules) as the stack's `id`.
fn read(group: &AwsGroup, id: ResourceId) -> Result<Observed, AwsError> {
    let missing = |field: &str| AwsError::missing("DescribeSecurityGroups", field);
    let group_id = group.group_id().ok_or_else(|| missing("GroupId"))?;
    let props = SecurityGroupProps {
        vpc: Value::Phys(group.vpc_id().ok_or_else(|| missing("VpcId"))?.to_string()),
        name: group
            .group_name()
            .ok_or_else(|| missing("GroupName"))?
            .to_string(),
        description: group
            .description()
            .ok_or_else(|| missing("Description"))?
            .to_string(),
        tags: observed_tag_map(group.tags()),
    };
    Ok(Observed::new(id, group_id, props.into_props()))
}

#[async_trait]
impl crate::engine::kind::Kind for SecurityGroupAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[GROUP, RULES]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        if !crate::aws::ec2::stack_has_vpc(cx).await? {
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
        let missing = |field: &str| AwsError::missing("DescribeSecurityGroups", field);
        let mut out = Vec::new();
        for group in &groups {
            let Some(id) = owned_id(cx, group.tags()) else {
                continue;
            };
            if id.kind() != GROUP {
                continue;
            }
            let group_id = group.group_id().ok_or_else(|| missing("GroupId"))?;
            out.push(read(group, id.clone())?);
            out.push(observed_rules(&id, group_id, group)?);
        }
        Ok(out)
    }

    /// The group of the manifest's name in its VPC (found or pinned before it), or
    /// `pin`'s id; a group's rules, in the group found for it.
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let filters = match (op.id.kind() == RULES, pin) {
            // A group's rules are where its group is; named elsewhere, they are not found.
            (true, pin) => {
                let props = SecurityGroupRulesProps::from_props(&desired.props)?;
                let group = op.resolve(&props.group)?;
                if pin.is_some_and(|pin| pin != group) {
                    return Ok(Found::Nothing);
                }
                vec![filter("group-id", &[&group])]
            }
            // In its VPC whatever names it.
            (false, pin) => {
                let props = SecurityGroupProps::from_props(&desired.props)?;
                vec![
                    filter("vpc-id", &[&op.resolve(&props.vpc)?]),
                    match pin {
                        Some(group_id) => filter("group-id", &[group_id]),
                        None => filter("group-name", &[&props.name]),
                    },
                ]
            }
        };
        let groups: Vec<AwsGroup> = op
            .cx
            .clients
            .ec2
            .describe_security_groups()
            .set_filters(Some(filters))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .aws("DescribeSecurityGroups")?;
        if op.id.kind() == RULES {
            // The group's own adoption covers its rules: nothing of theirs is tagged.
            let Some(group) = groups.first() else {
                return Ok(Found::Nothing);
            };
            let group_id = group
                .group_id()
                .ok_or_else(|| AwsError::missing("DescribeSecurityGroups", "GroupId"))?;
            let group_logical = ResourceId::new(GROUP, op.id.name());
            return Ok(Found::Live {
                observed: observed_rules(&group_logical, group_id, group)?,
                what: format!("the rules of security group `{group_id}`"),
                note: None,
                also: Vec::new(),
            });
        }
        // Its rules come with it: once it is the stack's, they are read as its.
        let mut found =
            pick_from(op, "security group", &groups, |group| group.tags(), read).await?;
        if let Found::Live { observed, also, .. } = &mut found
            && let Some(group) = groups
                .iter()
                .find(|group| group.group_id() == Some(observed.physical_id.as_str()))
        {
            also.push(observed_rules(op.id, &observed.physical_id, group)?);
        }
        Ok(found)
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        match op.id.kind() == RULES {
            // Nothing of their own to tag: the rules are the stack's with their group.
            true => Ok(()),
            false => crate::aws::ec2::adopt(op, desired, found).await,
        }
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        if op.id.kind() == RULES {
            return create_rules(op, desired).await;
        }
        let props = SecurityGroupProps::from_props(&desired.props)?;
        let vpc_id = op.resolve(&props.vpc)?;
        let request = op
            .cx
            .clients
            .ec2
            .create_security_group()
            .vpc_id(vpc_id)
            .group_name(&props.name)
            .description(&props.description)
            .tag_specifications(tag_spec(
                ResourceType::SecurityGroup,
                crate::aws::tags::for_create(op, &props.tags),
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
        changes: &[Change],
    ) -> Result<(), AwsError> {
        if op.id.kind() == RULES {
            let props = SecurityGroupRulesProps::from_props(&desired.props)?;
            let live = SecurityGroupRulesProps::from_props(&observed.props)?;
            let changed = SecurityGroupRulesProps::changed(changes);
            if changed.ingress || changed.egress {
                apply_rules(op, &observed.physical_id, &live, &props).await?;
            }
            return Ok(());
        }
        let props = SecurityGroupProps::from_props(&desired.props)?;
        let live = SecurityGroupProps::from_props(&observed.props)?;
        sync_tags(op, &observed.physical_id, live.tags, props.tags).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let group_id = &observed.physical_id;
        if op.id.kind() == RULES {
            let live = SecurityGroupRulesProps::from_props(&observed.props)?;
            // Only rules naming other groups stop those groups' deletion; the rest go with this group.
            let references = |rules: BTreeSet<Rule>| -> BTreeSet<Rule> {
                rules.into_iter().filter(Rule::names_group).collect()
            };
            for (direction, rules) in [
                (Direction::Ingress, references(live.ingress)),
                (Direction::Egress, references(live.egress)),
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

/// A new group's rules: converged from what AWS gave it (its default egress).
async fn create_rules(op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
    let props = SecurityGroupRulesProps::from_props(&desired.props)?;
    let group_id = op.resolve(&props.group)?;
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
    let mut live = rules_of(&group_id, group)?;
    // Peers the stack owns read as references, as the manifest's do.
    let index = op.physical.index();
    for rules in [&mut live.ingress, &mut live.egress] {
        *rules = std::mem::take(rules)
            .into_iter()
            .map(|mut rule| {
                rule.peer.resolve(&index);
                rule
            })
            .collect();
    }
    apply_rules(op, &group_id, &live, &props).await?;
    Ok(group_id)
}

fn observed_rules(
    group_logical: &ResourceId,
    group_id: &str,
    group: &AwsGroup,
) -> Result<Observed, AwsError> {
    let rules_id = ResourceId::new(RULES, group_logical.name());
    let props = rules_of(group_id, group)?;
    Ok(Observed::new(rules_id, group_id, props.into_props()))
}

/// A live group's rules as their properties.
fn rules_of(group_id: &str, group: &AwsGroup) -> Result<SecurityGroupRulesProps, AwsError> {
    Ok(SecurityGroupRulesProps {
        group: Value::Phys(group_id.to_string()),
        ingress: normalise(group.ip_permissions())?,
        egress: normalise(group.ip_permissions_egress())?,
    })
}

/// AWS's permissions, one rule per peer, with protocol numbers named.
fn normalise(permissions: &[IpPermission]) -> Result<BTreeSet<Rule>, AwsError> {
    let missing = |field: &str| AwsError::missing("DescribeSecurityGroups", field);
    let mut out = BTreeSet::new();
    for permission in permissions {
        let protocol = match permission
            .ip_protocol()
            .ok_or_else(|| missing("IpProtocol"))?
        {
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
            let cidr = range.cidr_ip().ok_or_else(|| missing("CidrIp"))?;
            out.insert(rule(protocol, ports, Value::str(cidr), range.description()));
        }
        for range in permission.ipv6_ranges() {
            let cidr = range.cidr_ipv6().ok_or_else(|| missing("CidrIpv6"))?;
            out.insert(rule(protocol, ports, Value::str(cidr), range.description()));
        }
        for pair in permission.user_id_group_pairs() {
            let group = pair.group_id().ok_or_else(|| missing("GroupId"))?;
            out.insert(rule(
                protocol,
                ports,
                Value::Phys(group.to_string()),
                pair.description(),
            ));
        }
        for list in permission.prefix_list_ids() {
            let prefix_list = list
                .prefix_list_id()
                .ok_or_else(|| missing("PrefixListId"))?;
            out.insert(rule(
                protocol,
                ports,
                Value::str(prefix_list),
                list.description(),
            ));
        }
    }
    Ok(out)
}

/// Revokes what is no longer wanted (first, so a rule whose description changed can be
/// added back), then authorizes what is missing.
async fn apply_rules(
    op: &OpCx<'_>,
    group_id: &str,
    live: &SecurityGroupRulesProps,
    props: &SecurityGroupRulesProps,
) -> Result<(), AwsError> {
    for (direction, have, want) in [
        (Direction::Ingress, &live.ingress, &props.ingress),
        (Direction::Egress, &live.egress, &props.egress),
    ] {
        let stale: BTreeSet<Rule> = have.difference(want).cloned().collect();
        let missing: BTreeSet<Rule> = want.difference(have).cloned().collect();
        revoke(op, group_id, direction, &stale).await?;
        authorize(op, group_id, direction, &missing).await?;
    }
    Ok(())
}

fn permission(
    op: &OpCx<'_>,
    rule: &Rule,
    with_description: bool,
) -> Result<IpPermission, AwsError> {
    let protocol = rule.protocol.as_str();
    let description = if with_description {
        rule.description.clone()
    } else {
        None
    };
    let mut builder = IpPermission::builder().ip_protocol(match protocol {
        "all" => "-1",
        other => other,
    });
    match (rule.from_port, rule.to_port) {
        (Some(from), Some(to)) => builder = builder.from_port(from as i32).to_port(to as i32),
        _ if protocol == "icmp" => builder = builder.from_port(-1).to_port(-1),
        _ => {}
    }
    builder = match &rule.peer {
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
    direction: Direction,
    rules: &BTreeSet<Rule>,
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
    if direction == Direction::Ingress {
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
    direction: Direction,
    rules: &BTreeSet<Rule>,
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
    if direction == Direction::Ingress {
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

use crate::aws::permissions::{On, Permission};

/// What a group's rules are changed with.
const RULE_ACTIONS: &[&str] = &[
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupEgress",
];

/// The IAM permissions this kind's calls need (`edgectl policy`); the suite's
/// `policy` test runs each shipped manifest with no more than these.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        actions: &[
            "ec2:DescribeVpcs",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeSecurityGroupRules",
            "ec2:DescribeNetworkInterfaces",
            "ec2:CreateSecurityGroup",
        ],
        on: On::Any,
    },
    Permission {
        actions: RULE_ACTIONS,
        on: On::Owned,
    },
    Permission {
        actions: &["ec2:DeleteSecurityGroup"],
        on: On::Owned,
    },
    // A rule made or removed is a resource of its own to IAM, untagged: its group's tag
    // (above) is what holds these to the stack's groups.
    Permission {
        actions: RULE_ACTIONS,
        on: On::Stack("arn:{partition}:ec2:{region}:*:security-group-rule/*"),
    },
];
