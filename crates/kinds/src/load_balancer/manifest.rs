//! The `load_balancers` section: application load balancers, their listeners (HTTP,
//! HTTPS with a certificate) and listener rules, each forwarding to a service, redirecting
//! or answering. Every limit ELB enforces late (or moto never) is checked here, before
//! any call: name lengths, listener ports and priorities; and every exposed service has a
//! listener forwarding to it.

use std::collections::{BTreeMap, BTreeSet};

use crate::manifest::Manifest;
use crate::manifest::decode::{
    Decoder, Entry, Fields, Spanned, flag, named_positions, reference, strings,
};
use crate::manifest::diag::Pos;
use crate::manifest::network::Tier;
use crate::manifest::scope::{Context, aws_name, number, security_groups, tier};
use crate::manifest::yaml::{Node, NodeKind};

const LOAD_BALANCER: &[&str] = &[
    "name",
    "internal",
    "subnets",
    "security_groups",
    "idle_timeout",
    "deletion_protection",
    "access_logs",
    "listeners",
    "alarms",
];
const ACCESS_LOGS: &[&str] = &["bucket", "prefix"];
const LISTENER: &[&str] = &[
    "port",
    "protocol",
    "certificate",
    "ssl_policy",
    "forward",
    "redirect",
    "fixed_response",
    "rules",
];
const RULE: &[&str] = &[
    "priority",
    "paths",
    "hosts",
    "forward",
    "redirect",
    "fixed_response",
];
const REDIRECT: &[&str] = &["protocol", "port", "status"];
const FIXED: &[&str] = &["status", "body", "content_type"];
pub const DEFAULT_SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

#[derive(Clone, Debug, PartialEq)]
pub struct LoadBalancer {
    pub key: String,
    pub name: String,
    pub internal: bool,
    pub subnets: Tier,
    pub security_groups: Vec<String>,
    pub idle_timeout: i64,
    pub deletion_protection: bool,
    pub access_logs: Option<(String, String)>,
    pub listeners: Vec<Listener>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Listener {
    pub port: u16,
    pub https: bool,
    pub certificate: Option<String>,
    pub ssl_policy: Option<String>,
    pub action: RouteAction,
    pub rules: Vec<ListenerRule>,
}

impl Listener {
    /// The services this listener forwards to, by its default action or a rule's.
    pub fn forwards(&self) -> impl Iterator<Item = &str> {
        std::iter::once(&self.action)
            .chain(self.rules.iter().map(|rule| &rule.action))
            .filter_map(|action| match action {
                RouteAction::Forward(service) => Some(service.as_str()),
                _ => None,
            })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ListenerRule {
    pub priority: i64,
    pub paths: Vec<String>,
    pub hosts: Vec<String>,
    pub action: RouteAction,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RouteAction {
    /// To the target group of this service.
    Forward(String),
    Redirect {
        protocol: String,
        port: String,
        status: String,
    },
    Fixed {
        status: i64,
        body: Option<String>,
        content_type: String,
    },
}

/// The section at `node` (its key written at `at`), and the check that a listener
/// forwards to each service that declares `expose`.
pub fn decode(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    node: &Node,
    at: Pos,
    manifest: &Manifest,
) -> Vec<LoadBalancer> {
    let cx = manifest.scope();
    // Services that declare `expose`, as written: a listener may forward to one even when
    // the service has errors of its own (reported there, once).
    let exposed: Vec<String> = manifest
        .declared
        .writing("services", "expose")
        .into_iter()
        .map(str::to_string)
        .collect();
    let load_balancers = decode_load_balancers(decoder, node, &cx, exposed);
    // The services' section tells the same of itself.
    if cx.network.is_none() && !load_balancers.is_empty() && manifest.names("services").is_empty() {
        decoder.error(
            fields.key_pos("services").unwrap_or(at),
            "services and load balancers run in a VPC, and there is no `network`",
            "add a `network:` section with the subnets they use",
        );
    }
    load_balancers
}

/// A service with a target group must be reachable from a listener: ECS refuses a service
/// whose target group has no load balancer (CreateService). Told at each exposed
/// service's name.
pub fn check_forwarded(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    load_balancers: &[LoadBalancer],
    manifest: &Manifest,
) {
    let Some(node) = fields.get("services") else {
        return;
    };
    let forwarded: BTreeSet<&str> = load_balancers
        .iter()
        .flat_map(|lb| &lb.listeners)
        .flat_map(Listener::forwards)
        .collect();
    for (name, _) in named_positions(node) {
        // A service the `services` section decoded exposed (a malformed `expose` is
        // refused there, once).
        let exposed = manifest
            .known("services", &name.value, "exposed_port")
            .is_some();
        if exposed && !forwarded.contains(name.value.as_str()) {
            decoder.error(
                name.pos,
                format!(
                    "service `{}` is exposed, but no listener forwards to it",
                    name.value
                ),
                format!(
                    "add `forward: {}` to a listener or a listener rule, or remove `expose`",
                    name.value
                ),
            );
        }
    }
}

/// Names ELBv2 limits to 32 characters of letters, digits and hyphens.
pub fn elb_name(decoder: &mut Decoder, name: &Spanned<String>) -> bool {
    let ok = (1..=32).contains(&name.value.len())
        && name
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.value.starts_with('-')
        && !name.value.ends_with('-')
        && !name.value.starts_with("internal-");
    if !ok {
        decoder.error(name.pos, format!("`{}` is not a valid load balancer name", name.value), "use 1-32 letters, digits and hyphens, not starting or ending with a hyphen (set `name:` when `<stack>-<key>` is too long)");
    }
    ok
}

fn decode_load_balancers(
    decoder: &mut Decoder,
    node: &Node,
    cx: &Context<'_>,
    exposed: Vec<String>,
) -> Vec<LoadBalancer> {
    let mut out = Vec::new();
    for Entry {
        key,
        fields,
        section,
        ..
    } in decoder.entries(node, "load_balancers", LOAD_BALANCER)
    {
        let Some(mut name) = aws_name(decoder, &fields, cx, &key.value, "name") else {
            continue;
        };
        if name.pos == Pos::default() {
            // A derived name is cut to ELBv2's 32 characters, with a hash to stay unique.
            name.pos = key.pos;
            name.value = crate::base::text::fit(&name.value, 32);
        }
        if !elb_name(decoder, &name) {
            continue;
        }
        let internal = flag(decoder, &fields, "internal", false);
        let subnets = match fields.get("subnets") {
            Some(node) => tier(decoder, node, cx),
            None => Some(if internal {
                Tier::Private
            } else {
                Tier::Public
            }),
        };
        // An ALB needs subnets in at least two availability zones (CreateLoadBalancer).
        if let (Some(tier), Some(network)) = (subnets, cx.network)
            && network.subnets(tier).len() < 2
        {
            decoder.error(
                fields.key_pos("subnets").unwrap_or(key.pos),
                format!(
                    "an application load balancer needs subnets in two zones; the `{}` tier has {}",
                    tier.as_str(),
                    network.subnets(tier).len()
                ),
                "add a second subnet to that tier",
            );
        }
        let access_logs = fields.get("access_logs").and_then(|node| {
            let logs = decoder.fields(node, &format!("{section}.access_logs"), ACCESS_LOGS)?;
            let Some(bucket) = logs
                .get("bucket")
                .and_then(|node| decoder.string(node, "bucket"))
            else {
                decoder.error(
                    node.pos,
                    "`access_logs` names no `bucket`",
                    "add `bucket: my-log-bucket`",
                );
                return None;
            };
            let prefix = logs
                .get("prefix")
                .and_then(|node| decoder.string(node, "prefix"))
                .map(|p| p.value)
                .unwrap_or_default();
            Some((bucket.value, prefix))
        });
        let mut listeners: Vec<Listener> = Vec::new();
        let mut ports = BTreeMap::new();
        if let Some(node) = fields.get("listeners") {
            for item in decoder.list(node) {
                // Checked on the written port, so a listener with other errors still counts.
                if let Some((port_node, port)) = raw_field(item, "port")
                    && let Some(line) = ports.insert(port.to_string(), item.pos.line)
                {
                    decoder.error(
                        port_node.pos,
                        format!("two listeners on port {port}"),
                        format!(
                            "the first is at line {line}; a load balancer has one listener per port"
                        ),
                    );
                    continue;
                }
                if let Some(listener) =
                    decode_listener(decoder, item, &section, &exposed, &cx.certificates)
                {
                    listeners.push(listener);
                }
            }
        }
        if listeners.is_empty() {
            decoder.error(
                key.pos,
                format!("load balancer `{}` has no listeners", key.value),
                "add `listeners: [{ port: 80, forward: my-service }]`",
            );
        }
        out.push(LoadBalancer {
            key: key.value.clone(),
            name: name.value,
            internal,
            subnets: subnets.unwrap_or(Tier::Public),
            security_groups: security_groups(decoder, &fields, cx),
            idle_timeout: number(decoder, &fields, "idle_timeout", 60, 1, 4000),
            deletion_protection: flag(decoder, &fields, "deletion_protection", false),
            access_logs,
            listeners,
        });
    }
    out
}

fn decode_listener(
    decoder: &mut Decoder,
    node: &Node,
    section: &str,
    exposed: &[String],
    certificates: &[String],
) -> Option<Listener> {
    let fields = decoder.fields(node, &format!("{section}.listeners"), LISTENER)?;
    let port = fields
        .required(
            decoder,
            "port",
            node.pos,
            "a listener has no `port`",
            "add `port: 80` or `port: 443`",
        )
        .and_then(|node| decoder.int(node, "port", 1, 65535))?;
    let certificate = fields
        .get("certificate")
        .and_then(|node| decoder.string(node, "certificate"))
        .filter(|c| !c.value.is_empty());
    let protocol = match fields.get("protocol") {
        Some(node) => decoder.choice(node, "protocol", &["HTTP", "HTTPS"])?.value,
        None if certificate.is_some() => "HTTPS".to_string(),
        None => "HTTP".to_string(),
    };
    let https = protocol == "HTTPS";
    if let Some(certificate) = &certificate {
        if !https {
            decoder.error(
                certificate.pos,
                "an HTTP listener takes no certificate",
                "remove `certificate`, or set `protocol: HTTPS`",
            );
        } else if let Some(key) = certificate.value.strip_prefix("certificates.") {
            let name = Spanned {
                value: key.to_string(),
                pos: certificate.pos,
            };
            reference(decoder, &name, "certificate", certificates);
        } else if !certificate.value.starts_with("arn:") {
            decoder.error(
                certificate.pos,
                format!("`{}` is not a certificate ARN", certificate.value),
                "use `certificates.<name>` (one the stack requests), or the ARN of an ACM certificate, `arn:aws:acm:REGION:ACCOUNT:certificate/ID`",
            );
        }
    } else if https {
        // AWS rejects an HTTPS listener without a certificate; moto accepts it.
        decoder.error(
            fields.key_pos("protocol").unwrap_or(node.pos),
            "an HTTPS listener needs a `certificate`",
            "add `certificate: arn:aws:acm:...` (an ACM certificate ARN), e.g. from a variable",
        );
    }
    let ssl_policy = fields
        .get("ssl_policy")
        .and_then(|node| decoder.string(node, "ssl_policy"))
        .map(|p| p.value);
    if ssl_policy.is_some() && !https {
        decoder.error(
            fields.key_pos("ssl_policy").unwrap_or(node.pos),
            "an HTTP listener takes no `ssl_policy`",
            "remove it, or set `protocol: HTTPS`",
        );
    }
    let action = decode_action(decoder, node, &fields, exposed, "listener");
    let mut rules = Vec::new();
    let mut priorities = BTreeMap::new();
    if let Some(list) = fields.get("rules") {
        for item in decoder.list(list) {
            if let Some(rule) = decode_rule(decoder, item, section, exposed, &mut priorities) {
                rules.push(rule);
            }
        }
    }
    Some(Listener {
        action: action?,
        port: port.value as u16,
        https,
        certificate: certificate.map(|c| c.value),
        ssl_policy: https.then(|| ssl_policy.unwrap_or_else(|| DEFAULT_SSL_POLICY.to_string())),
        rules,
    })
}

/// One of a listener's `rules`: a priority unique on the listener (`priorities`: those
/// taken, with their line), what it matches and its action.
fn decode_rule(
    decoder: &mut Decoder,
    item: &Node,
    section: &str,
    exposed: &[String],
    priorities: &mut BTreeMap<i64, usize>,
) -> Option<ListenerRule> {
    let rule_fields = decoder.fields(item, &format!("{section}.listeners.rules"), RULE)?;
    let priority = rule_fields
        .required(
            decoder,
            "priority",
            item.pos,
            "a listener rule has no `priority`",
            "add `priority: 10` (1-50000, lower is evaluated first)",
        )
        .and_then(|node| decoder.int(node, "priority", 1, 50000))?;
    if let Some(line) = priorities.insert(priority.value, item.pos.line) {
        decoder.error(
            priority.pos,
            format!("priority {} is used twice on this listener", priority.value),
            format!("the first is at line {line}; priorities are unique per listener"),
        );
        return None;
    }
    let paths: Vec<String> = rule_fields
        .get("paths")
        .map(|n| strings(decoder, n, "paths"))
        .unwrap_or_default()
        .into_iter()
        .map(|p| p.value)
        .collect();
    let hosts: Vec<String> = rule_fields
        .get("hosts")
        .map(|n| strings(decoder, n, "hosts"))
        .unwrap_or_default()
        .into_iter()
        .map(|p| p.value)
        .collect();
    if paths.is_empty() && hosts.is_empty() {
        decoder.error(
            item.pos,
            "a listener rule matches nothing",
            "add `paths: [/api/*]` and/or `hosts: [api.example.com]`",
        );
        return None;
    }
    // ELBv2 allows up to 5 values per condition.
    for (what, values) in [("paths", &paths), ("hosts", &hosts)] {
        if values.len() > 5 {
            decoder.error(
                rule_fields.key_pos(what).unwrap_or(item.pos),
                format!("a rule has at most 5 `{what}`, found {}", values.len()),
                "split it into two rules",
            );
        }
    }
    let action = decode_action(decoder, item, &rule_fields, exposed, "rule")?;
    Some(ListenerRule {
        priority: priority.value,
        paths,
        hosts,
        action,
    })
}

fn decode_action(
    decoder: &mut Decoder,
    node: &Node,
    fields: &Fields<'_>,
    exposed: &[String],
    what: &str,
) -> Option<RouteAction> {
    let given: Vec<&str> = ["forward", "redirect", "fixed_response"]
        .into_iter()
        .filter(|key| fields.get(key).is_some())
        .collect();
    if given.len() != 1 {
        decoder.error(node.pos, format!("a {what} needs exactly one of `forward`, `redirect`, `fixed_response`, found {}", given.len()), "e.g. `forward: web` (a service with `expose`), `redirect: https`, or `fixed_response: { status: 404 }`");
        return None;
    }
    match given[0] {
        "forward" => {
            let service = decoder.string(fields.get("forward")?, "forward")?;
            let known = reference(decoder, &service, "exposed service", exposed);
            known.then_some(RouteAction::Forward(service.value))
        }
        "redirect" => {
            let node = fields.get("redirect")?;
            if let NodeKind::Scalar { text, .. } = &node.kind {
                if text == "https" {
                    return Some(RouteAction::Redirect {
                        protocol: "HTTPS".into(),
                        port: "443".into(),
                        status: "HTTP_301".into(),
                    });
                }
                decoder.error(node.pos, format!("`redirect: {text}` is not a redirect"), "write `redirect: https`, or `redirect: { protocol: HTTPS, port: 443, status: 301 }`");
                return None;
            }
            let redirect = decoder.fields(node, "redirect", REDIRECT)?;
            let protocol = redirect
                .get("protocol")
                .and_then(|n| decoder.choice(n, "protocol", &["HTTP", "HTTPS"]))
                .map_or_else(|| "HTTPS".to_string(), |c| c.value);
            let port = number(
                decoder,
                &redirect,
                "port",
                if protocol == "HTTPS" { 443 } else { 80 },
                1,
                65535,
            );
            let status = redirect
                .get("status")
                .and_then(|n| decoder.choice(n, "status", &["301", "302"]))
                .map_or_else(|| "301".to_string(), |c| c.value);
            Some(RouteAction::Redirect {
                protocol,
                port: port.to_string(),
                status: format!("HTTP_{status}"),
            })
        }
        _ => {
            let node = fields.get("fixed_response")?;
            let fixed = decoder.fields(node, "fixed_response", FIXED)?;
            let status = number(decoder, &fixed, "status", 200, 200, 599);
            let body = fixed
                .get("body")
                .and_then(|n| decoder.string(n, "body"))
                .map(|b| b.value);
            if body.as_ref().is_some_and(|body| body.len() > 1024) {
                decoder.error(
                    node.pos,
                    "a fixed response body has at most 1024 characters",
                    "shorten it",
                );
            }
            let content_type = fixed
                .get("content_type")
                .and_then(|n| {
                    decoder.choice(
                        n,
                        "content_type",
                        &[
                            "text/plain",
                            "text/css",
                            "text/html",
                            "application/javascript",
                            "application/json",
                        ],
                    )
                })
                .map_or_else(|| "text/plain".to_string(), |c| c.value);
            Some(RouteAction::Fixed {
                status,
                body,
                content_type,
            })
        }
    }
}

/// A mapping's scalar field as written, before decoding.
fn raw_field<'n>(node: &'n Node, key: &str) -> Option<(&'n Node, &'n str)> {
    let NodeKind::Map(entries) = &node.kind else {
        return None;
    };
    entries
        .iter()
        .find_map(|(name, value)| match (&name.kind, &value.kind) {
            (NodeKind::Scalar { text: name, .. }, NodeKind::Scalar { text, .. }) if name == key => {
                Some((value, text.as_str()))
            }
            _ => None,
        })
}
