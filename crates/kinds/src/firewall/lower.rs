//! Lowering: WAFv2 web ACLs (`firewall.<key>`), the IP sets their address rules read
//! (`ip_set.<key>.<rule>`), and their associations with the stack's load balancers
//! (`firewall_association.<key>.<load balancer>`; a distribution names its web ACL itself).

use std::collections::{BTreeMap, BTreeSet};

use super::manifest::{Firewall, Statement};
use crate::aws::ids::{association_id, firewall_id, ip_set_id, load_balancer_id};
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;

crate::engine::properties! {
    /// A web ACL: what its lowering builds and its observe reads.
    pub struct FirewallProps (changes: FirewallChanges) {
        pub name: String => Replace,
        /// `REGIONAL` or `CLOUDFRONT`.
        pub scope: String => Replace,
        pub description: Option<String> => InPlace,
        /// `allow` or `block`: what a request no rule matches gets.
        pub default: String => InPlace,
        pub metrics: bool => InPlace,
        /// In priority order.
        pub rules: Vec<WafRule> => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

crate::engine::record! {
    /// One rule of a web ACL: a rate limit (`rate_limit`, `window`), a managed rule group
    /// (`vendor`, `managed`) or an IP set (`ip_set`, `allow`); `count` only counts.
    pub struct WafRule {
        pub name: String,
        pub priority: i64,
        pub count: bool,
        pub rate_limit: Option<i64> => optional,
        /// Seconds.
        pub window: Option<i64> => optional,
        pub vendor: Option<String> => optional,
        pub managed: Option<String> => optional,
        /// The IP set's ARN (a reference to it until it is made).
        pub ip_set: Option<Value> => optional,
        pub allow: Option<bool> => optional,
    }
}

crate::engine::properties! {
    /// An IP set an address rule reads.
    pub struct IpSetProps (changes: IpSetChanges) {
        pub name: String => Replace,
        pub scope: String => Replace,
        /// `IPV4` or `IPV6`.
        pub version: String => Replace,
        pub addresses: BTreeSet<String> => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

crate::engine::properties! {
    /// A regional web ACL's association with a load balancer.
    pub struct AssociationProps (changes: AssociationChanges) {
        /// By reference.
        pub load_balancer: Value => Replace,
        /// By reference: another one replaces it in place.
        pub firewall: Value => InPlace,
    }
}

pub fn desired(firewalls: &[Firewall], manifest: &Manifest) -> Vec<Desired> {
    let mut out = Vec::new();
    for firewall in firewalls {
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
