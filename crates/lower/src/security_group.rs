//! Lowering: security groups and their rules (rules are their own resource, so groups may
//! refer to one another).

use std::collections::BTreeSet;

use super::Env;
use super::vpc::{name, network, vpc_ref};
use crate::aws::ec2::security_group::{Rule, SecurityGroupProps, SecurityGroupRulesProps, rule};
use crate::aws::ids::{SECURITY_GROUP as GROUP, SECURITY_GROUP_RULES as RULES};
use crate::aws::tags;
use crate::engine::model::{Desired, ResourceId, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::{Manifest, Peer, Rule as RuleSpec};

pub fn desired(manifest: &Manifest, _env: &Env) -> Vec<Desired> {
    let Some(network) = network(manifest) else {
        return Vec::new();
    };
    let vpc_cidr = network.cidr.to_string();
    let mut out = Vec::new();
    for group in &manifest.security_groups {
        let group_id = ResourceId::new(GROUP, &group.name);
        let description = group.description.clone().unwrap_or_else(|| {
            format!("{} security group of stack {}", group.name, manifest.stack)
        });
        let props = SecurityGroupProps {
            vpc: vpc_ref(),
            name: name(manifest, &group.name),
            description,
            tags: tags::desired_tag_map(&manifest.tags, &name(manifest, &group.name)),
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
