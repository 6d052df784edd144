//! Lowering: application load balancers, their listeners and listener rules.

use super::Env;
use super::uses::Uses;
use crate::aws::elbv2::ElbAction;
use crate::aws::elbv2::listener::ListenerProps;
use crate::aws::elbv2::listener_rule::ListenerRuleProps;
use crate::aws::elbv2::load_balancer::{AccessLogs, LoadBalancerProps};
use crate::aws::ids::{
    group_id, listener_id, load_balancer_id, rule_id, subnet_id, target_group_id,
};
use crate::aws::tags;
use crate::engine::model::{Desired, ResourceId, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::{Manifest, RouteAction};

/// The load balancers, their listeners and rules; the buckets they log to recorded in
/// `uses`, for the bucket's policy.
pub fn desired(manifest: &Manifest, _env: &Env, uses: &mut Uses) -> Vec<Desired> {
    let mut out = Vec::new();
    let Some(network) = &manifest.network else {
        return out;
    };
    for load_balancer in &manifest.containers.load_balancers {
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
                .map_or((Value::Null, None), super::certificate_reference);
            let props = ListenerProps {
                load_balancer: Value::Ref(lb_id.clone()),
                port: listener.port.into(),
                protocol: if listener.https { "HTTPS" } else { "HTTP" }.to_string(),
                certificate: certificate.0,
                ssl_policy: listener.ssl_policy.clone(),
                action: Some(action_value(&listener.action)),
                tags: tags::desired_tag_map(&manifest.tags, &name),
            };
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
                out.push(Desired {
                    id: rule_id(&load_balancer.key, listener.port, rule.priority),
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

/// The listeners and rules that send traffic to `service`'s target group.
pub fn forwarders(manifest: &Manifest, service: &str) -> Vec<ResourceId> {
    let mut out = Vec::new();
    for load_balancer in &manifest.containers.load_balancers {
        for listener in &load_balancer.listeners {
            if listener.action == RouteAction::Forward(service.to_string()) {
                out.push(listener_id(&load_balancer.key, listener.port));
            }
            for rule in &listener.rules {
                if rule.action == RouteAction::Forward(service.to_string()) {
                    out.push(rule_id(&load_balancer.key, listener.port, rule.priority));
                }
            }
        }
    }
    out
}
