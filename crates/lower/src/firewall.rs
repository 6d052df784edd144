//! Lowering: WAFv2 web ACLs (`firewall.<key>`), the IP sets their address rules read
//! (`ip_set.<key>.<rule>`), and their associations with the stack's load balancers
//! (`firewall_association.<key>.<load balancer>`; a distribution names its web ACL itself).

use crate::aws::tags;
use crate::aws::wafv2::{association_id, firewall_id, ip_set_id};
use crate::engine::model::{Desired, Mode, Value, props};
use crate::manifest::Manifest;
use crate::manifest::firewalls::Statement;

use super::load_balancer::load_balancer_id;

pub fn desired(manifest: &Manifest) -> Vec<Desired> {
    let mut out = Vec::new();
    for firewall in &manifest.firewalls {
        let scope = if firewall.cloudfront {
            "CLOUDFRONT"
        } else {
            "REGIONAL"
        };
        let mut rules = Vec::new();
        for (priority, rule) in firewall.rules.iter().enumerate() {
            let mut map = vec![
                ("name", Value::str(&rule.name)),
                ("priority", Value::Int(priority as i64)),
                ("count", Value::Bool(rule.count)),
            ];
            match &rule.statement {
                Statement::RateLimit { limit, window } => map.extend([
                    ("rate_limit", Value::Int(*limit)),
                    ("window", Value::Int(*window)),
                ]),
                Statement::Managed { vendor, name } => map.extend([
                    ("vendor", Value::str(vendor)),
                    ("managed", Value::str(name)),
                ]),
                Statement::Addresses { allow, addresses } => {
                    let id = ip_set_id(&firewall.key, &rule.name);
                    let name = format!("{}-{}", firewall.name, rule.name);
                    let v6 = addresses
                        .iter()
                        .any(|net| matches!(net, ipnet::IpNet::V6(_)));
                    out.push(Desired {
                        id: id.clone(),
                        props: props([
                            ("name", Value::str(&name), Mode::Replace),
                            ("scope", Value::str(scope), Mode::Replace),
                            (
                                "version",
                                Value::str(if v6 { "IPV6" } else { "IPV4" }),
                                Mode::Replace,
                            ),
                            (
                                "addresses",
                                Value::Set(
                                    addresses
                                        .iter()
                                        .map(|net| Value::str(net.to_string()))
                                        .collect(),
                                ),
                                Mode::InPlace,
                            ),
                            (
                                "tags",
                                tags::desired_tags(&manifest.tags, &name),
                                Mode::InPlace,
                            ),
                        ]),
                        after: Vec::new(),
                    });
                    map.extend([
                        ("ip_set", Value::Template(vec![Value::Ref(id)])),
                        ("allow", Value::Bool(*allow)),
                    ]);
                }
            }
            rules.push(Value::Map(
                map.into_iter()
                    .map(|(key, value)| (key.to_string(), value))
                    .collect(),
            ));
        }
        out.push(Desired {
            id: firewall_id(&firewall.key),
            props: props([
                ("name", Value::str(&firewall.name), Mode::Replace),
                ("scope", Value::str(scope), Mode::Replace),
                (
                    "description",
                    firewall
                        .description
                        .as_ref()
                        .map_or(Value::Null, Value::str),
                    Mode::InPlace,
                ),
                (
                    "default",
                    Value::str(if firewall.allow_by_default {
                        "allow"
                    } else {
                        "block"
                    }),
                    Mode::InPlace,
                ),
                ("metrics", Value::Bool(firewall.metrics), Mode::InPlace),
                ("rules", Value::List(rules), Mode::InPlace),
                (
                    "tags",
                    tags::desired_tags(&manifest.tags, &firewall.name),
                    Mode::InPlace,
                ),
            ]),
            after: Vec::new(),
        });
        for balancer in &firewall.load_balancers {
            out.push(Desired {
                id: association_id(&firewall.key, balancer),
                props: props([
                    (
                        "load_balancer",
                        Value::Ref(load_balancer_id(balancer)),
                        Mode::Replace,
                    ),
                    (
                        "firewall",
                        Value::Ref(firewall_id(&firewall.key)),
                        Mode::InPlace,
                    ),
                ]),
                after: Vec::new(),
            });
        }
    }
    out
}

/// The web ACL a distribution names (its ARN once made), or none.
pub fn distribution_firewall(manifest: &Manifest, distribution: &str) -> Value {
    manifest
        .firewalls
        .iter()
        .find(|firewall| firewall.distributions.iter().any(|key| key == distribution))
        .map_or(Value::Null, |firewall| {
            Value::Template(vec![Value::Ref(firewall_id(&firewall.key))])
        })
}
