//! The `firewalls` section: WAFv2 web ACLs in front of the stack's load balancers or
//! distributions.
//!
//! ```yaml
//! firewalls:
//!   web:
//!     default: allow
//!     rules:
//!       - { name: rate-limit, rate_limit: 1000, window: 5m }
//!       - { name: common, managed: AWSManagedRulesCommonRuleSet }
//!       - { name: office, allow_ips: [203.0.113.0/24] }
//!     protects: [load_balancers.alb]
//! ```

use ipnet::IpNet;

use crate::manifest::decode::{Decoder, Entry, Fields, Spanned, plain_name, plain_name_field};
use crate::manifest::diag::suggest;
use crate::manifest::yaml::Node;

const FIREWALL: &[&str] = &[
    "name",
    "description",
    "default",
    "metrics",
    "rules",
    "protects",
];
const RULE: &[&str] = &[
    "name",
    "rate_limit",
    "window",
    "managed",
    "vendor",
    "count",
    "allow_ips",
    "block_ips",
];
/// The statements a rule may have, as its field names.
const KINDS: &[&str] = &["rate_limit", "managed", "allow_ips", "block_ips"];
/// The windows a rate-based rule counts over (EvaluationWindowSec).
const WINDOWS: &[i64] = &[60, 120, 300, 600];

#[derive(Clone, Debug, PartialEq)]
pub struct Firewall {
    pub key: String,
    /// Its WAF name: `<stack>-<key>` unless written.
    pub name: String,
    pub description: Option<String>,
    /// What passes when no rule matches.
    pub allow_by_default: bool,
    /// CloudWatch metrics and sampled requests, for the ACL and each rule.
    pub metrics: bool,
    pub rules: Vec<Rule>,
    /// CloudFront's (in us-east-1) rather than regional: it protects distributions.
    pub cloudfront: bool,
    /// Load balancer keys it is associated with (distributions name it themselves).
    pub load_balancers: Vec<String>,
    pub distributions: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub name: String,
    pub statement: Statement,
    /// Count matching requests rather than act on them (managed rule groups: override).
    pub count: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    /// Block an IP sending more than `limit` requests in `window` seconds.
    RateLimit {
        limit: i64,
        window: i64,
    },
    Managed {
        vendor: String,
        name: String,
    },
    /// Allow (or block) requests from these addresses (an IP set the stack makes).
    Addresses {
        allow: bool,
        addresses: Vec<IpNet>,
    },
}

pub struct Context {
    pub stack: String,
    pub load_balancers: Vec<String>,
    pub distributions: Vec<String>,
    /// Distributions that name a web ACL made elsewhere (`web_acl: <arn>`).
    pub with_web_acl: Vec<String>,
}

pub fn decode(decoder: &mut Decoder, node: &Node, cx: &Context) -> Vec<Firewall> {
    let mut out: Vec<Firewall> = Vec::new();
    for Entry {
        key,
        fields,
        section,
        ..
    } in decoder.entries(node, "firewalls", FIREWALL)
    {
        // WAF: 1-128 letters, digits, `-` and `_`.
        let default = format!("{}-{}", cx.stack, key.value);
        let Some(name) = plain_name_field(decoder, &fields, default, 128, "web ACL", "") else {
            continue;
        };
        let allow_by_default = match fields.get("default") {
            Some(node) => match decoder.choice(node, "default", &["allow", "block"]) {
                Some(choice) => choice.value == "allow",
                None => continue,
            },
            None => true,
        };
        let metrics = fields
            .get("metrics")
            .and_then(|node| decoder.bool(node, "metrics"))
            .unwrap_or(true);
        let mut rules: Vec<Rule> = Vec::new();
        if let Some(list) = fields.get("rules") {
            for item in decoder.list(list) {
                let Some(rule) = decode_rule(decoder, item, &section) else {
                    continue;
                };
                if rules.iter().any(|other| other.name == rule.name) {
                    decoder.error(
                        item.pos,
                        format!("two rules are named `{}`", rule.name),
                        "give each rule its own name: WAF tells them apart by it",
                    );
                    continue;
                }
                rules.push(rule);
            }
        }
        if rules.len() > 100 {
            decoder.error(
                fields.key_pos("rules").unwrap_or(key.pos),
                "a web ACL has at most 100 rules",
                "merge rules, or split the ACL",
            );
        }
        let mut load_balancers = Vec::new();
        let mut distributions = Vec::new();
        if let Some(list) = fields.get("protects") {
            for item in decoder.list(list) {
                let Some(target) = decoder.string(item, "protects") else {
                    continue;
                };
                match target.value.split_once('.') {
                    Some(("load_balancers", lb))
                        if known(decoder, &target, lb, "load balancer", &cx.load_balancers) =>
                    {
                        load_balancers.push(lb.to_string());
                    }
                    Some(("distributions", cdn))
                        if known(decoder, &target, cdn, "distribution", &cx.distributions) =>
                    {
                        if cx.with_web_acl.iter().any(|named| named == cdn) {
                            decoder.error(
                                target.pos,
                                format!("distribution `{cdn}` names a web ACL of its own (`web_acl`)"),
                                "a distribution has one web ACL: remove its `web_acl`, or this `protects` entry",
                            );
                        }
                        distributions.push(cdn.to_string());
                    }
                    Some(("load_balancers" | "distributions", _)) => {}
                    _ => decoder.error(
                        target.pos,
                        format!("a firewall cannot protect `{}`", target.value),
                        "name `load_balancers.<name>` or `distributions.<name>` of this stack",
                    ),
                }
            }
        }
        // A load balancer or distribution has one web ACL.
        let taken = out
            .iter()
            .flat_map(|other| other.load_balancers.iter().chain(&other.distributions))
            .find(|target| load_balancers.contains(target) || distributions.contains(target));
        if let Some(target) = taken {
            decoder.error(
                fields.key_pos("protects").unwrap_or(key.pos),
                format!("`{target}` is protected by two firewalls"),
                "a load balancer or distribution has one web ACL: merge their rules",
            );
        }
        if !load_balancers.is_empty() && !distributions.is_empty() {
            decoder.error(
                fields.key_pos("protects").unwrap_or(key.pos),
                format!("firewall `{}` protects load balancers and distributions", key.value),
                "a web ACL is regional (load balancers) or CloudFront's (distributions): declare one of each",
            );
        }
        out.push(Firewall {
            key: key.value.clone(),
            name,
            description: fields
                .get("description")
                .and_then(|node| decoder.string(node, "description"))
                .map(|text| text.value),
            allow_by_default,
            metrics,
            rules,
            cloudfront: !distributions.is_empty(),
            load_balancers,
            distributions,
        });
    }
    out
}

fn known(
    decoder: &mut Decoder,
    target: &Spanned<String>,
    key: &str,
    kind: &str,
    keys: &[String],
) -> bool {
    if keys.iter().any(|known| known == key) {
        return true;
    }
    let help = match suggest(key, keys.iter().map(String::as_str)) {
        Some(close) => format!("did you mean `{close}`?"),
        None if keys.is_empty() => format!("declare the {kind} first"),
        None => format!("declared: {}", keys.join(", ")),
    };
    decoder.error(target.pos, format!("unknown {kind} `{key}`"), help);
    false
}

fn decode_rule(decoder: &mut Decoder, item: &Node, section: &str) -> Option<Rule> {
    let fields = decoder.fields(item, &format!("{section}.rules"), RULE)?;
    let name = fields
        .required(
            decoder,
            "name",
            item.pos,
            "a rule has no `name`",
            "add `name: rate-limit`: WAF's metrics and logs name rules by it",
        )
        .and_then(|node| decoder.string(node, "name"))?;
    if !plain_name(&name.value, 128) {
        decoder.error(
            name.pos,
            format!("`{}` is not a valid rule name", name.value),
            "use 1-128 letters, digits, `-` and `_`",
        );
        return None;
    }
    let kinds: Vec<&str> = KINDS
        .iter()
        .copied()
        .filter(|kind| fields.get(kind).is_some())
        .collect();
    let [kind] = kinds.as_slice() else {
        decoder.error(
            item.pos,
            format!("rule `{}` needs exactly one of {}", name.value, crate::manifest::decode::list(KINDS)),
            "write `rate_limit: 1000`, `managed: AWSManagedRulesCommonRuleSet`, `allow_ips: [...]` or `block_ips: [...]`",
        );
        return None;
    };
    let node = fields.get(kind).expect("present");
    let statement = match *kind {
        "rate_limit" => {
            // WAF counts at least 10 requests per window.
            let limit = decoder.int(node, "rate_limit", 10, 2_000_000_000)?.value;
            let window = decode_window(decoder, &fields)?;
            Statement::RateLimit { limit, window }
        }
        "managed" => {
            let group = decoder.string(node, "managed")?;
            let vendor = fields
                .get("vendor")
                .and_then(|node| decoder.string(node, "vendor"))
                .map_or_else(|| "AWS".to_string(), |vendor| vendor.value);
            Statement::Managed {
                vendor,
                name: group.value,
            }
        }
        _ => {
            let addresses = decode_addresses(decoder, node, kind, &name.value)?;
            Statement::Addresses {
                allow: *kind == "allow_ips",
                addresses,
            }
        }
    };
    if fields.get("vendor").is_some() && !matches!(statement, Statement::Managed { .. }) {
        decoder.error(
            fields.key_pos("vendor").unwrap_or(item.pos),
            "`vendor` is for managed rule groups",
            "remove `vendor`",
        );
    }
    if fields.get("window").is_some() && !matches!(statement, Statement::RateLimit { .. }) {
        decoder.error(
            fields.key_pos("window").unwrap_or(item.pos),
            "`window` is for rate limits",
            "remove `window`",
        );
    }
    Some(Rule {
        name: name.value,
        statement,
        count: fields
            .get("count")
            .and_then(|node| decoder.bool(node, "count"))
            .unwrap_or(false),
    })
}

/// A rate limit's `window`, one of WAF's (1, 2, 5 or 10 minutes); 5 minutes unless given.
fn decode_window(decoder: &mut Decoder, fields: &Fields<'_>) -> Option<i64> {
    Some(match fields.get("window") {
        Some(node) => {
            let text = decoder.string(node, "window")?;
            let seconds = humantime::parse_duration(text.value.trim())
                .ok()
                .and_then(|d| i64::try_from(d.as_secs()).ok())
                .or_else(|| text.value.trim().parse::<i64>().ok());
            match seconds {
                Some(seconds) if WINDOWS.contains(&seconds) => seconds,
                _ => {
                    decoder.error(
                        text.pos,
                        format!("`window` cannot be `{}`", text.value),
                        "WAF counts over 1, 2, 5 or 10 minutes: write `1m`, `2m`, `5m` or `10m`",
                    );
                    return None;
                }
            }
        }
        None => 300,
    })
}

/// An IP set rule's CIDR blocks (`allow_ips`, `block_ips`): one family, at least one.
fn decode_addresses(
    decoder: &mut Decoder,
    node: &Node,
    kind: &str,
    rule: &str,
) -> Option<Vec<IpNet>> {
    let mut invalid = false;
    let mut addresses = Vec::new();
    for value in decoder.list(node) {
        let Some(text) = decoder.string(value, kind) else {
            continue;
        };
        match text.value.parse::<IpNet>() {
            Ok(net) => addresses.push(net.trunc()),
            Err(_) => {
                invalid = true;
                decoder.error(
                    text.pos,
                    format!("`{}` is not a CIDR block", text.value),
                    "write an address range such as `203.0.113.0/24` (a single address is `/32`)",
                );
            }
        }
    }
    let v4 = addresses
        .iter()
        .filter(|net| matches!(net, IpNet::V4(_)))
        .count();
    if v4 != 0 && v4 != addresses.len() {
        decoder.error(
            node.pos,
            "an IP set holds IPv4 or IPv6 ranges, not both",
            "split them into two rules",
        );
        return None;
    }
    if addresses.is_empty() {
        if invalid {
            return None;
        }
        decoder.error(
            node.pos,
            format!("rule `{}` lists no addresses", rule),
            "give at least one CIDR block",
        );
        return None;
    }
    addresses.sort();
    addresses.dedup();
    Some(addresses)
}
