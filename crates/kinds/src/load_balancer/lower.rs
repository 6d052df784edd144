//! The typed properties of a load balancer, a listener and a listener rule, and their
//! lowering.

use std::collections::{BTreeMap, BTreeSet};

use super::manifest::{LoadBalancer, RouteAction};
use crate::aws::elbv2::ElbAction;
use crate::aws::ids::{
    group_id, listener_id, load_balancer_id, rule_id, service_id, subnet_id, target_group_id,
};
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::lower::uses::Uses;
use crate::manifest::Manifest;

crate::engine::properties! {
    /// An application load balancer: what its lowering builds and its observe reads.
    pub struct LoadBalancerProps (changes: LoadBalancerChanges) {
        pub name: String => Replace,
        /// `internet-facing` or `internal`.
        pub scheme: String => Replace,
        /// By reference.
        pub subnets: BTreeSet<Value> => InPlace,
        /// By reference.
        pub security_groups: BTreeSet<Value> => InPlace,
        /// Seconds.
        pub idle_timeout: i64 => InPlace,
        pub deletion_protection: bool => InPlace,
        pub access_logs: Option<AccessLogs> => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

crate::engine::record! {
    /// Where its access logs go.
    pub struct AccessLogs {
        pub bucket: String,
        pub prefix: String,
    }
}

crate::engine::properties! {
    /// A listener of one of the stack's load balancers.
    pub struct ListenerProps (changes: ListenerChanges) {
        /// By reference.
        pub load_balancer: Value => Replace,
        pub port: i64 => Replace,
        /// `HTTP` or `HTTPS`.
        pub protocol: String => InPlace,
        /// The stack's certificate (its ARN once issued), an ARN, or nothing.
        pub certificate: Value => InPlace,
        pub ssl_policy: Option<String> => InPlace,
        pub action: Option<ElbAction> => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

crate::engine::properties! {
    /// A rule of one of the stack's listeners.
    pub struct ListenerRuleProps (changes: ListenerRuleChanges) {
        /// By reference.
        pub listener: Value => Replace,
        pub priority: i64 => Replace,
        pub paths: BTreeSet<String> => InPlace,
        pub hosts: BTreeSet<String> => InPlace,
        pub action: Option<ElbAction> => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

/// The load balancers (`load_balancers`), their listeners and rules; the buckets they log
/// to recorded in `uses`, for the bucket's policy; each service they forward to ordered
/// after the listeners and rules that do (ECS refuses a service whose target group no
/// listener uses yet).
pub fn desired(
    load_balancers: &[LoadBalancer],
    manifest: &Manifest,
    uses: &mut Uses,
) -> Vec<Desired> {
    let mut out = Vec::new();
    let Some(network) = &manifest.network else {
        return out;
    };
    for load_balancer in load_balancers {
        let lb_id = load_balancer_id(&load_balancer.key);
        if let Some((bucket, prefix)) = &load_balancer.access_logs {
            uses.log_delivery(bucket, prefix);
        }
        let subnets = network.subnets(load_balancer.subnets).len();
        out.push(Desired {
            id: lb_id.clone(),
            props: LoadBalancerProps {
                name: load_balancer.name.clone(),
                scheme: if load_balancer.internal {
                    "internal"
                } else {
                    "internet-facing"
                }
                .to_string(),
                subnets: (0..subnets)
                    .map(|index| Value::Ref(subnet_id(load_balancer.subnets.as_str(), index)))
                    .collect(),
                security_groups: load_balancer
                    .security_groups
                    .iter()
                    .map(|group| Value::Ref(group_id(group)))
                    .collect(),
                idle_timeout: load_balancer.idle_timeout,
                deletion_protection: load_balancer.deletion_protection,
                access_logs: load_balancer.access_logs.as_ref().map(|(bucket, prefix)| {
                    AccessLogs {
                        bucket: bucket.clone(),
                        prefix: prefix.clone(),
                    }
                }),
                tags: tags::desired_tag_map(&manifest.tags, &load_balancer.name),
            }
            .into_props(),
            // Access logs to a bucket of the stack: ELB checks that it may write there
            // when logging is switched on, so the bucket's policy comes first.
            after: load_balancer
                .access_logs
                .as_ref()
                .and_then(|(bucket, _)| {
                    manifest
                        .names("buckets")
                        .iter()
                        .find(|(_, name)| name == bucket)
                })
                .map(|(key, _)| crate::aws::ids::policy_id(key))
                .into_iter()
                .collect(),
        });
        for listener in &load_balancer.listeners {
            let id = listener_id(&load_balancer.key, listener.port);
            let name = format!("{}-{}", load_balancer.name, listener.port);
            let certificate = listener
                .certificate
                .as_deref()
                .map_or((Value::Null, None), crate::lower::certificate_reference);
            let props = ListenerProps {
                load_balancer: Value::Ref(lb_id.clone()),
                port: listener.port.into(),
                protocol: if listener.https { "HTTPS" } else { "HTTP" }.to_string(),
                certificate: certificate.0,
                ssl_policy: listener.ssl_policy.clone(),
                action: Some(action_value(&listener.action)),
                tags: tags::desired_tag_map(&manifest.tags, &name),
            };
            if let RouteAction::Forward(service) = &listener.action {
                uses.after(&service_id(service), id.clone());
            }
            out.push(Desired {
                id: id.clone(),
                props: props.into_props(),
                after: certificate.1.into_iter().collect(),
            });
            for rule in &listener.rules {
                let name = format!("{name}-{}", rule.priority);
                let props = ListenerRuleProps {
                    listener: Value::Ref(id.clone()),
                    priority: rule.priority,
                    paths: rule.paths.iter().cloned().collect(),
                    hosts: rule.hosts.iter().cloned().collect(),
                    action: Some(action_value(&rule.action)),
                    tags: tags::desired_tag_map(&manifest.tags, &name),
                };
                let rule_id = rule_id(&load_balancer.key, listener.port, rule.priority);
                if let RouteAction::Forward(service) = &rule.action {
                    uses.after(&service_id(service), rule_id.clone());
                }
                out.push(Desired {
                    id: rule_id,
                    props: props.into_props(),
                    after: Vec::new(),
                });
            }
        }
    }
    out
}

pub fn action_value(action: &RouteAction) -> ElbAction {
    let of = ElbAction::of_kind;
    match action {
        RouteAction::Forward(service) => ElbAction {
            target_group: Some(Value::Ref(target_group_id(service))),
            ..of("forward")
        },
        RouteAction::Redirect {
            protocol,
            port,
            status,
        } => ElbAction {
            protocol: Some(protocol.clone()),
            port: Some(port.clone()),
            status: Some(status.clone()),
            ..of("redirect")
        },
        RouteAction::Fixed {
            status,
            body,
            content_type,
        } => ElbAction {
            status: Some(status.to_string()),
            body: body.clone(),
            content_type: Some(content_type.clone()),
            ..of("fixed-response")
        },
    }
}
