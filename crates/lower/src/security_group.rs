//! Lowering: security groups and their rules (rules are their own resource, so groups may
//! refer to one another).

use std::collections::BTreeSet;

use super::Env;
use super::vpc::{name, network, vpc_ref};
use crate::aws::ec2::security_group::{GROUP, RULES, rule};
use crate::aws::tags;
use crate::engine::model::{Desired, Mode, ResourceId, Value, props};
use crate::manifest::{Manifest, Peer, Rule};

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
        out.push(Desired {
            id: group_id.clone(),
            props: props([
                ("vpc", vpc_ref(), Mode::Replace),
                (
                    "name",
                    Value::str(name(manifest, &group.name)),
                    Mode::Replace,
                ),
                ("description", Value::str(description), Mode::Replace),
                (
                    "tags",
                    tags::desired_tags(&manifest.tags, &name(manifest, &group.name)),
                    Mode::InPlace,
                ),
            ]),
            after: Vec::new(),
        });
        let egress = match &group.egress {
            Some(rules) => expand(rules, &group.name, &vpc_cidr),
            None => Value::Set([allow_all_out()].into()),
        };
        out.push(Desired {
            id: ResourceId::new(RULES, &group.name),
            props: props([
                ("group", Value::Ref(group_id), Mode::Replace),
                (
                    "ingress",
                    expand(&group.ingress, &group.name, &vpc_cidr),
                    Mode::Blocking,
                ),
                ("egress", egress, Mode::Blocking),
            ]),
            after: Vec::new(),
        });
    }
    out
}

/// AWS's default egress on a new group: everything out, anywhere.
pub fn allow_all_out() -> Value {
    rule("all", None, Value::str("0.0.0.0/0"), None)
}

pub fn expand(rules: &[Rule], group: &str, vpc_cidr: &str) -> Value {
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
    Value::Set(out)
}
