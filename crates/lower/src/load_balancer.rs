//! Lowering: application load balancers, their listeners and listener rules.

use super::Env;
use super::subnet::subnet_id;
use super::target_group::target_group_id;
use crate::aws::ec2::security_group::group_id;
use crate::aws::elbv2::load_balancer::{AccessLogs, LoadBalancerProps};
use crate::aws::elbv2::{listener_id, rule_id};
use crate::aws::tags;
use crate::engine::model::{Desired, Mode, ResourceId, Value, props};
use crate::engine::typed::Properties as _;
use crate::manifest::{Manifest, RouteAction};

pub fn desired(manifest: &Manifest, _env: &Env) -> Vec<Desired> {
    let mut out = Vec::new();
    let Some(network) = &manifest.network else {
        return out;
    };
    for load_balancer in &manifest.containers.load_balancers {
        let lb_id = load_balancer_id(&load_balancer.key);
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
                    .map(|index| Value::Ref(subnet_id(load_balancer.subnets, index)))
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
                        .edge
                        .buckets
                        .iter()
                        .find(|candidate| candidate.name == *bucket)
                })
                .map(|bucket| crate::aws::s3::policy::policy_id(&bucket.key))
                .into_iter()
                .collect(),
        });
        for listener in &load_balancer.listeners {
            let id = listener_id(&load_balancer.key, listener.port);
            let name = format!("{}-{}", load_balancer.name, listener.port);
            let certificate = listener
                .certificate
                .as_deref()
                .map_or((Value::Null, None), super::certificate::reference);
            out.push(Desired {
                id: id.clone(),
                props: props([
                    ("load_balancer", Value::Ref(lb_id.clone()), Mode::Replace),
                    ("port", Value::Int(listener.port.into()), Mode::Replace),
                    (
                        "protocol",
                        Value::str(if listener.https { "HTTPS" } else { "HTTP" }),
                        Mode::InPlace,
                    ),
                    ("certificate", certificate.0, Mode::InPlace),
                    (
                        "ssl_policy",
                        listener.ssl_policy.clone().map_or(Value::Null, Value::Str),
                        Mode::InPlace,
                    ),
                    ("action", action_value(&listener.action), Mode::InPlace),
                    (
                        "tags",
                        tags::desired_tags(&manifest.tags, &name),
                        Mode::InPlace,
                    ),
                ]),
                after: certificate.1.into_iter().collect(),
            });
            for rule in &listener.rules {
                let name = format!("{name}-{}", rule.priority);
                out.push(Desired {
                    id: rule_id(&load_balancer.key, listener.port, rule.priority),
                    props: props([
                        ("listener", Value::Ref(id.clone()), Mode::Replace),
                        ("priority", Value::Int(rule.priority), Mode::Replace),
                        (
                            "paths",
                            Value::Set(rule.paths.iter().map(Value::str).collect()),
                            Mode::InPlace,
                        ),
                        (
                            "hosts",
                            Value::Set(rule.hosts.iter().map(Value::str).collect()),
                            Mode::InPlace,
                        ),
                        ("action", action_value(&rule.action), Mode::InPlace),
                        (
                            "tags",
                            tags::desired_tags(&manifest.tags, &name),
                            Mode::InPlace,
                        ),
                    ]),
                    after: Vec::new(),
                });
            }
        }
    }
    out
}

pub fn action_value(action: &RouteAction) -> Value {
    match action {
        RouteAction::Forward(service) => Value::map([
            ("type", Value::str("forward")),
            ("target_group", Value::Ref(target_group_id(service))),
        ]),
        RouteAction::Redirect {
            protocol,
            port,
            status,
        } => Value::map([
            ("type", Value::str("redirect")),
            ("protocol", Value::str(protocol)),
            ("port", Value::str(port)),
            ("status", Value::str(status)),
        ]),
        RouteAction::Fixed {
            status,
            body,
            content_type,
        } => Value::map([
            ("type", Value::str("fixed-response")),
            ("status", Value::str(status.to_string())),
            ("body", body.clone().map_or(Value::Null, Value::Str)),
            ("content_type", Value::str(content_type)),
        ]),
    }
}

pub use super::ids::load_balancer_id;

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
