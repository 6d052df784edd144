//! The typed properties of a security group and of its rules (a resource of their own, so
//! groups may refer to one another), and their lowering.

use std::collections::{BTreeMap, BTreeSet};

use super::manifest::{Peer, Rule as RuleSpec, SecurityGroup};
use crate::aws::ids::{SECURITY_GROUP as GROUP, SECURITY_GROUP_RULES as RULES};
use crate::aws::tags;
use crate::engine::model::{Desired, ResourceId, Value};
use crate::engine::typed::Properties as _;
use crate::lower::vpc::{name, network, vpc_ref};
use crate::manifest::Manifest;

crate::engine::properties! {
    /// A security group (`security_group.<name>`): EC2 changes none of its VPC, name and
    /// description, so a change of any makes a new group.
    pub struct SecurityGroupProps (changes: SecurityGroupChanges) {
        /// By reference.
        pub vpc: Value => Replace,
        pub name: String => Replace,
        pub description: String => Replace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

crate::engine::properties! {
    /// A group's rules (`security_group_rules.<name>`), a resource of their own.
    pub struct SecurityGroupRulesProps (changes: SecurityGroupRulesChanges) {
        /// The group, by reference.
        pub group: Value => Replace,
        pub ingress: BTreeSet<Rule> => Blocking,
        pub egress: BTreeSet<Rule> => Blocking,
    }
}

crate::engine::record! {
    /// One normalised rule: a protocol, a port range (none for `all`), one peer (a CIDR, a
    /// prefix list, or a group by reference), a description; `null` where there is none.
    pub struct Rule {
        pub protocol: String,
        pub from_port: Option<i64>,
        pub to_port: Option<i64>,
        pub peer: Value,
        pub description: Option<String>,
    }
}

/// One normalised rule (an empty description is none).
pub fn rule(
    protocol: &str,
    ports: Option<(i64, i64)>,
    peer: Value,
    description: Option<&str>,
) -> Rule {
    Rule {
        protocol: protocol.to_string(),
        from_port: ports.map(|(from, _)| from),
        to_port: ports.map(|(_, to)| to),
        peer,
        description: description
            .filter(|text| !text.is_empty())
            .map(str::to_string),
    }
}

/// The security groups (`security_groups`) and their rules.
pub fn desired(groups: &[SecurityGroup], manifest: &Manifest) -> Vec<Desired> {
    let Some(network) = network(manifest) else {
        return Vec::new();
    };
    let vpc_cidr = network.cidr.to_string();
    let mut out = Vec::new();
    for group in groups {
        let group_id = ResourceId::new(GROUP, &group.name);
        let description = group.description.clone().unwrap_or_else(|| {
            format!("{} security group of stack {}", group.name, manifest.stack)
        });
        let group_name = group
            .group_name
            .clone()
            .unwrap_or_else(|| name(manifest, &group.name));
        let props = SecurityGroupProps {
            vpc: vpc_ref(),
            tags: tags::desired_tag_map(&manifest.tags, &group_name),
            name: group_name,
            description,
        };
        out.push(Desired {
            id: group_id.clone(),
            props: props.into_props(),
            after: Vec::new(),
        });
        let rules = SecurityGroupRulesProps {
            group: Value::Ref(group_id),
            ingress: expand(&group.ingress, &group.name, &vpc_cidr),
            egress: match &group.egress {
                Some(rules) => expand(rules, &group.name, &vpc_cidr),
                None => [allow_all_out()].into(),
            },
        };
        out.push(Desired {
            id: ResourceId::new(RULES, &group.name),
            props: rules.into_props(),
            after: Vec::new(),
        });
    }
    out
}

/// AWS's default egress on a new group: everything out, anywhere.
pub fn allow_all_out() -> Rule {
    rule("all", None, Value::str("0.0.0.0/0"), None)
}

pub fn expand(rules: &[RuleSpec], group: &str, vpc_cidr: &str) -> BTreeSet<Rule> {
    let mut out = BTreeSet::new();
    for rule_spec in rules {
        let ranges: Vec<Option<(i64, i64)>> = if rule_spec.ports.is_empty() {
            vec![None]
        } else {
            rule_spec
                .ports
                .iter()
                .map(|(from, to)| Some((i64::from(*from), i64::from(*to))))
                .collect()
        };
        for peer in &rule_spec.peers {
            let peer = match peer {
                Peer::Cidr(net) => Value::str(net.to_string()),
                Peer::Vpc => Value::str(vpc_cidr),
                Peer::Itself => Value::Ref(ResourceId::new(GROUP, group)),
                Peer::Group(other) => Value::Ref(ResourceId::new(GROUP, other)),
            };
            for ports in &ranges {
                out.insert(rule(
                    rule_spec.protocol.as_str(),
                    *ports,
                    peer.clone(),
                    rule_spec.description.as_deref(),
                ));
            }
        }
    }
    out
}
