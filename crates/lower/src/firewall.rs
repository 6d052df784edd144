//! Lowering: WAFv2 web ACLs (`firewall.<key>`), the IP sets their address rules read
//! (`ip_set.<key>.<rule>`), and their associations with the stack's load balancers
//! (`firewall_association.<key>.<load balancer>`; a distribution names its web ACL itself).

use crate::aws::tags;
use crate::aws::wafv2::{AssociationProps, FirewallProps, IpSetProps, WafRule};
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;
use crate::manifest::firewalls::Statement;

use crate::aws::ids::{association_id, firewall_id, ip_set_id, load_balancer_id};

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
            let mut waf_rule = WafRule {
                name: rule.name.clone(),
                priority: priority as i64,
                count: rule.count,
                rate_limit: None,
                window: None,
                vendor: None,
                managed: None,
                ip_set: None,
                allow: None,
            };
            match &rule.statement {
                Statement::RateLimit { limit, window } => {
                    waf_rule.rate_limit = Some(*limit);
                    waf_rule.window = Some(*window);
                }
                Statement::Managed { vendor, name } => {
                    waf_rule.vendor = Some(vendor.clone());
                    waf_rule.managed = Some(name.clone());
                }
                Statement::Addresses { allow, addresses } => {
                    let id = ip_set_id(&firewall.key, &rule.name);
                    let name = format!("{}-{}", firewall.name, rule.name);
                    let v6 = addresses
                        .iter()
                        .any(|net| matches!(net, ipnet::IpNet::V6(_)));
                    let set = IpSetProps {
                        name: name.clone(),
                        scope: scope.to_string(),
                        version: if v6 { "IPV6" } else { "IPV4" }.to_string(),
                        addresses: addresses.iter().map(ToString::to_string).collect(),
                        tags: tags::desired_tag_map(&manifest.tags, &name),
                    };
                    out.push(Desired {
                        id: id.clone(),
                        props: set.into_props(),
                        after: Vec::new(),
                    });
                    waf_rule.ip_set = Some(Value::Template(vec![Value::Ref(id)]));
                    waf_rule.allow = Some(*allow);
                }
            }
            rules.push(waf_rule);
        }
        let acl = FirewallProps {
            name: firewall.name.clone(),
            scope: scope.to_string(),
            description: firewall.description.clone(),
            default: if firewall.allow_by_default {
                "allow"
            } else {
                "block"
            }
            .to_string(),
            metrics: firewall.metrics,
            rules,
            tags: tags::desired_tag_map(&manifest.tags, &firewall.name),
        };
        out.push(Desired {
            id: firewall_id(&firewall.key),
            props: acl.into_props(),
            after: Vec::new(),
        });
        for balancer in &firewall.load_balancers {
            let association = AssociationProps {
                load_balancer: Value::Ref(load_balancer_id(balancer)),
                firewall: Value::Ref(firewall_id(&firewall.key)),
            };
            out.push(Desired {
                id: association_id(&firewall.key, balancer),
                props: association.into_props(),
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
