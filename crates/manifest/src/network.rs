//! The network: the VPC, its subnets by tier across zones, NAT, endpoints, and the
//! security groups in it; their types and decoding.

use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net};

use super::decode::{Decoder, Fields, Spanned, list};
use super::diag::{Pos, suggest};
use super::yaml::{Node, NodeKind};

const NETWORK: &[&str] = &[
    "cidr",
    "zones",
    "subnets",
    "nat",
    "endpoints",
    "dns_hostnames",
    "dns_support",
    "public_ip_on_launch",
];
const SUBNETS: &[&str] = &["public", "private", "isolated"];
const SECURITY_GROUP: &[&str] = &["description", "ingress", "egress"];
const INGRESS_RULE: &[&str] = &["protocol", "port", "ports", "from", "description"];
const EGRESS_RULE: &[&str] = &["protocol", "port", "ports", "to", "description"];
/// Words a rule's peer may use besides CIDRs and group names.
const RESERVED_PEERS: &[&str] = &["self", "vpc"];

#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    pub cidr: Ipv4Net,
    pub zones: Zones,
    pub public: Vec<Ipv4Net>,
    pub private: Vec<Ipv4Net>,
    pub isolated: Vec<Ipv4Net>,
    pub nat: Nat,
    pub endpoints: Vec<String>,
    pub dns_hostnames: bool,
    pub dns_support: bool,
    pub public_ip_on_launch: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Zones {
    /// The first N available zones of the region, in name order.
    Count(usize),
    Names(Vec<String>),
}

impl Zones {
    pub fn len(&self) -> usize {
        match self {
            Zones::Count(count) => *count,
            Zones::Names(names) => names.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nat {
    None,
    Single,
    PerZone,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    Public,
    Private,
    Isolated,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Public, Tier::Private, Tier::Isolated];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Public => "public",
            Tier::Private => "private",
            Tier::Isolated => "isolated",
        }
    }
}

impl Network {
    pub fn subnets(&self, tier: Tier) -> &[Ipv4Net] {
        match tier {
            Tier::Public => &self.public,
            Tier::Private => &self.private,
            Tier::Isolated => &self.isolated,
        }
    }

    /// Zone indexes (0-based) that get a NAT gateway.
    pub fn nat_zones(&self) -> Vec<usize> {
        match self.nat {
            Nat::None => Vec::new(),
            Nat::Single => vec![0],
            Nat::PerZone => (0..self.private.len()).collect(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SecurityGroup {
    pub name: String,
    pub description: Option<String>,
    pub ingress: Vec<Rule>,
    /// `None` keeps AWS's default: all traffic out to anywhere.
    pub egress: Option<Vec<Rule>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Protocol {
    Tcp,
    Udp,
    Icmp,
    All,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
            Protocol::All => "all",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Peer {
    Cidr(IpNet),
    Group(String),
    /// The group the rule belongs to.
    Itself,
    /// The VPC's own CIDR.
    Vpc,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub protocol: Protocol,
    /// Inclusive port ranges; empty for `all` and `icmp`.
    pub ports: Vec<(u16, u16)>,
    pub peers: Vec<Peer>,
    pub description: Option<String>,
}

pub(super) fn valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts.iter().all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|last| last.chars().all(|c| c.is_ascii_digit()))
}

fn cidr4(
    decoder: &mut Decoder,
    node: &Node,
    what: &str,
    prefixes: (u8, u8),
) -> Option<Spanned<Ipv4Net>> {
    let text = decoder.string(node, what)?;
    let parsed: Ipv4Net = match text.value.trim().parse() {
        Ok(net) => net,
        Err(_) => {
            decoder.error(
                text.pos,
                format!("`{}` is not an IPv4 CIDR block", text.value),
                "write an address and prefix length, such as `10.0.0.0/16`",
            );
            return None;
        }
    };
    let (min, max) = prefixes;
    if !(min..=max).contains(&parsed.prefix_len()) {
        decoder.error(
            text.pos,
            format!("`{what}` prefix /{} is out of range", parsed.prefix_len()),
            format!("AWS accepts /{min} to /{max} here"),
        );
        return None;
    }
    if parsed.trunc() != parsed {
        decoder.error(
            text.pos,
            format!("`{}` has host bits set", text.value),
            format!("did you mean `{}`?", parsed.trunc()),
        );
        return None;
    }
    Some(Spanned {
        value: parsed,
        pos: text.pos,
    })
}

pub(super) fn decode_network(
    decoder: &mut Decoder,
    node: &Node,
    region: Option<&str>,
) -> Option<Network> {
    let fields = decoder.fields(node, "network", NETWORK)?;
    let cidr = match fields.get("cidr") {
        Some(node) => cidr4(decoder, node, "network.cidr", (16, 28)),
        None => {
            decoder.error(
                node.pos,
                "`network` has no `cidr`",
                "add `cidr: 10.0.0.0/16` (the VPC's address range)",
            );
            None
        }
    };
    let zones = decode_zones(decoder, fields.get("zones"), region);
    let (mut public, mut private, mut isolated) = (Vec::new(), Vec::new(), Vec::new());
    if let Some(subnets_node) = fields.get("subnets")
        && let Some(subnets) = decoder.fields(subnets_node, "network.subnets", SUBNETS)
    {
        for (tier, out) in [
            ("public", &mut public),
            ("private", &mut private),
            ("isolated", &mut isolated),
        ] {
            let Some(list) = subnets.get(tier) else {
                continue;
            };
            for item in decoder.list(list) {
                if let Some(net) =
                    cidr4(decoder, item, &format!("network.subnets.{tier}"), (16, 28))
                {
                    out.push(net);
                }
            }
            if let Some(zones) = &zones
                && out.len() > zones.len()
            {
                decoder.error(
                    list.pos,
                    format!("{} {tier} subnets for {} zones", out.len(), zones.len()),
                    "each tier has at most one subnet per zone (the n-th subnet goes to the n-th zone): add zones or remove subnets",
                );
            }
        }
    }
    if let Some(cidr) = &cidr {
        check_subnet_layout(decoder, cidr, [&public, &private, &isolated]);
    }
    let nat = decode_nat(decoder, &fields, node, &public, &private);
    let endpoints = decode_endpoints(decoder, &fields);
    let mut flag = |name: &str, default: bool| {
        fields
            .get(name)
            .and_then(|node| decoder.bool(node, &format!("network.{name}")))
            .unwrap_or(default)
    };
    let dns_hostnames = flag("dns_hostnames", true);
    let dns_support = flag("dns_support", true);
    let public_ip_on_launch = flag("public_ip_on_launch", false);
    if dns_hostnames && !dns_support {
        let pos = fields.key_pos("dns_support").unwrap_or(node.pos);
        decoder.error(
            pos,
            "`dns_hostnames` needs `dns_support`",
            "set `dns_support: true`, or `dns_hostnames: false`",
        );
    }
    Some(Network {
        cidr: cidr?.value,
        zones: zones?,
        public: public.into_iter().map(|net| net.value).collect(),
        private: private.into_iter().map(|net| net.value).collect(),
        isolated: isolated.into_iter().map(|net| net.value).collect(),
        nat: nat?,
        endpoints,
        dns_hostnames,
        dns_support,
        public_ip_on_launch,
    })
}

/// The network's `nat`: `single` where there are private subnets unless given, checked
/// against the subnets it serves (private) and lives in (public).
fn decode_nat<T>(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    node: &Node,
    public: &[T],
    private: &[T],
) -> Option<Nat> {
    let nat_default = if private.is_empty() { "none" } else { "single" };
    let nat_node = fields.get("nat");
    let nat = match nat_node {
        Some(node) => decoder
            .choice(node, "network.nat", &["none", "single", "per-zone"])
            .map(|choice| choice.value),
        None => Some(nat_default.to_string()),
    }
    .map(|word| match word.as_str() {
        "single" => Nat::Single,
        "per-zone" => Nat::PerZone,
        _ => Nat::None,
    });
    let nat_pos = nat_node.map(|node| node.pos).unwrap_or(node.pos);
    match nat {
    Some(Nat::None) if !private.is_empty() => decoder.error(
        nat_pos,
        "private subnets need a NAT gateway, but `nat` is `none`",
        "set `nat: single` or `nat: per-zone`, or list these subnets under `isolated` (no internet access)",
    ),
    Some(Nat::Single | Nat::PerZone) if public.is_empty() => decoder.error(
        nat_pos,
        "NAT gateways live in public subnets, and there are none",
        "add `public` subnets, or set `nat: none`",
    ),
    Some(Nat::Single | Nat::PerZone) if private.is_empty() => decoder.error(
        nat_pos,
        "a NAT gateway serves private subnets, and there are none",
        "add `private` subnets, or set `nat: none`",
    ),
    Some(Nat::PerZone) if public.len() < private.len() => decoder.error(
        nat_pos,
        format!("`per-zone` NAT needs a public subnet in each of the {} zones with a private subnet", private.len()),
        "add public subnets, or use `nat: single`",
    ),
    _ => {}
}
    nat
}

/// The network's gateway `endpoints` (`s3`, `dynamodb`), each once.
fn decode_endpoints(decoder: &mut Decoder, fields: &Fields<'_>) -> Vec<String> {
    let mut endpoints: Vec<String> = Vec::new();
    if let Some(list) = fields.get("endpoints") {
        for item in decoder.list(list) {
            if let Some(choice) = decoder.choice(item, "network.endpoints", &["s3", "dynamodb"]) {
                if endpoints.contains(&choice.value) {
                    decoder.error(
                        choice.pos,
                        format!("endpoint `{}` is listed twice", choice.value),
                        "remove the repeat",
                    );
                } else {
                    endpoints.push(choice.value);
                }
            }
        }
    }
    endpoints
}

fn decode_zones(decoder: &mut Decoder, node: Option<&Node>, region: Option<&str>) -> Option<Zones> {
    let Some(node) = node else {
        return Some(Zones::Count(2));
    };
    if let NodeKind::Seq(items) = &node.kind {
        let mut names: Vec<String> = Vec::new();
        for item in items {
            let Some(name) = decoder.string(item, "network.zones") else {
                continue;
            };
            let letter_ok = name
                .value
                .chars()
                .last()
                .is_some_and(|c| c.is_ascii_lowercase());
            let region_ok = match region {
                Some(region) => name
                    .value
                    .strip_prefix(region)
                    .is_some_and(|rest| rest.len() == 1),
                None => valid_region(&name.value[..name.value.len().saturating_sub(1)]),
            };
            if !letter_ok || !region_ok {
                let help = match region {
                    Some(region) => format!("zones of `{region}` are written like `{region}a`"),
                    None => "write zone names such as `us-east-1a`".to_string(),
                };
                decoder.error(
                    name.pos,
                    format!(
                        "`{}` is not an availability zone of the stack's region",
                        name.value
                    ),
                    help,
                );
            } else if names.contains(&name.value) {
                decoder.error(
                    name.pos,
                    format!("zone `{}` is listed twice", name.value),
                    "list each zone once",
                );
            } else {
                names.push(name.value);
            }
        }
        if items.is_empty() {
            decoder.error(
                node.pos,
                "`network.zones` is empty",
                "list at least one zone, or give a count such as `zones: 2`",
            );
        }
        return Some(Zones::Names(names));
    }
    decoder
        .int(node, "network.zones", 1, 6)
        .map(|count| Zones::Count(count.value as usize))
}

fn check_subnet_layout(
    decoder: &mut Decoder,
    vpc: &Spanned<Ipv4Net>,
    tiers: [&Vec<Spanned<Ipv4Net>>; 3],
) {
    let all: Vec<&Spanned<Ipv4Net>> = tiers.into_iter().flatten().collect();
    for (index, subnet) in all.iter().enumerate() {
        if !vpc.value.contains(&subnet.value) {
            decoder.error(
                subnet.pos,
                format!(
                    "subnet `{}` is outside the VPC's `{}`",
                    subnet.value, vpc.value
                ),
                format!("choose a block inside `{}`", vpc.value),
            );
            continue;
        }
        if let Some(other) = all[..index].iter().find(|other| {
            other.value.contains(&subnet.value.network())
                || subnet.value.contains(&other.value.network())
        }) {
            decoder.error(
                subnet.pos,
                format!(
                    "subnet `{}` overlaps `{}` (line {})",
                    subnet.value, other.value, other.pos.line
                ),
                "subnets of one VPC must not share addresses",
            );
        }
    }
}

pub(super) fn decode_security_groups(
    decoder: &mut Decoder,
    node: &Node,
    network: Option<&Network>,
    key_pos: Option<Pos>,
) -> Vec<SecurityGroup> {
    let entries = decoder.named(node, "security_groups");
    if network.is_none() && !entries.is_empty() {
        decoder.error(
            key_pos.unwrap_or(node.pos),
            "security groups need a `network`",
            "add a `network:` section: groups belong to the stack's VPC",
        );
    }
    let names: Vec<String> = entries.iter().map(|(name, _)| name.value.clone()).collect();
    let mut groups = Vec::new();
    for (name, body) in &entries {
        let valid = name.value.len() <= 60
            && name.value.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !valid {
            decoder.error(
                name.pos,
                format!("security group name `{}` is not valid", name.value),
                "use lowercase letters, digits, `-` and `_`, starting with a letter",
            );
        }
        if RESERVED_PEERS.contains(&name.value.as_str()) {
            decoder.error(
                name.pos,
                format!("`{}` is a reserved word in rules", name.value),
                "choose another name",
            );
        }
        let section = format!("security_groups.{}", name.value);
        let Some(fields) = decoder.fields(body, &section, SECURITY_GROUP) else {
            groups.push(SecurityGroup {
                name: name.value.clone(),
                description: None,
                ingress: Vec::new(),
                egress: None,
            });
            continue;
        };
        let description = fields.get("description").and_then(|node| decoder.string(node, "description")).and_then(|text| {
            // EC2 allows a-z A-Z 0-9 spaces and ._-:/()#,@[]+=&;{}!$* in group descriptions.
            let allowed = |c: char| c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c);
            if text.value.len() > 255 || !text.value.chars().all(allowed) {
                decoder.error(text.pos, "security group descriptions allow up to 255 ASCII letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*", "remove other characters");
                None
            } else {
                Some(text.value)
            }
        });
        let rules = |decoder: &mut Decoder, direction: &str| -> Option<Vec<Rule>> {
            let list = fields.get(direction)?;
            let allowed = if direction == "ingress" {
                INGRESS_RULE
            } else {
                EGRESS_RULE
            };
            let items = decoder.list(list);
            Some(
                items
                    .into_iter()
                    .filter_map(|item| {
                        decode_rule(
                            decoder,
                            item,
                            &format!("{section}.{direction}"),
                            allowed,
                            &names,
                        )
                    })
                    .collect(),
            )
        };
        let ingress = rules(decoder, "ingress").unwrap_or_default();
        let egress = rules(decoder, "egress");
        groups.push(SecurityGroup {
            name: name.value.clone(),
            description,
            ingress,
            egress,
        });
    }
    groups
}

fn decode_rule(
    decoder: &mut Decoder,
    node: &Node,
    section: &str,
    allowed: &[&str],
    groups: &[String],
) -> Option<Rule> {
    let fields: Fields = decoder.fields(node, section, allowed)?;
    let protocol = match fields.get("protocol") {
        Some(node) => match decoder
            .choice(node, "protocol", &["tcp", "udp", "icmp", "all"])?
            .value
            .as_str()
        {
            "udp" => Protocol::Udp,
            "icmp" => Protocol::Icmp,
            "all" => Protocol::All,
            _ => Protocol::Tcp,
        },
        None => Protocol::Tcp,
    };
    let mut ports = Vec::new();
    let port_nodes: Vec<&Node> = match (fields.get("port"), fields.get("ports")) {
        (Some(_), Some(_)) => {
            let pos = fields.key_pos("ports").unwrap_or(node.pos);
            decoder.error(
                pos,
                "a rule has `port` or `ports`, not both",
                "merge them into `ports: [...]`",
            );
            return None;
        }
        (Some(port), None) => vec![port],
        (None, Some(list)) => decoder.list(list),
        (None, None) => Vec::new(),
    };
    for port in &port_nodes {
        ports.push(decode_port_range(decoder, port)?);
    }
    match protocol {
        Protocol::All | Protocol::Icmp if !ports.is_empty() => {
            decoder.error(
                port_nodes[0].pos,
                format!("`protocol: {}` takes no ports", protocol.as_str()),
                "remove `port`/`ports`, or use `tcp` or `udp`",
            );
            return None;
        }
        Protocol::Tcp | Protocol::Udp if ports.is_empty() => {
            decoder.error(node.pos, format!("this {} rule names no ports", protocol.as_str()), "add `port: 443`, `ports: [80, 443]` or `ports: 8000-8100`; or `protocol: all` for every port");
            return None;
        }
        _ => {}
    }
    let peer_key = if allowed.contains(&"from") {
        "from"
    } else {
        "to"
    };
    let Some(peer_node) = fields.get(peer_key) else {
        decoder.error(node.pos, format!("this rule has no `{peer_key}`"), format!("add `{peer_key}:` with a CIDR (`0.0.0.0/0`), a security group name, `self` or `vpc`"));
        return None;
    };
    let mut peers = Vec::new();
    for item in decoder.list(peer_node) {
        let text = decoder.string(item, peer_key)?;
        let Some(peer) = decode_peer(decoder, &text, peer_key, groups) else {
            continue;
        };
        if !peers.contains(&peer) {
            peers.push(peer);
        }
    }
    if peers.is_empty() {
        return None;
    }
    let description = fields
        .get("description")
        .and_then(|node| decoder.string(node, "description"))
        .map(|text| text.value);
    Some(Rule {
        protocol,
        ports,
        peers,
        description,
    })
}

/// One peer of a rule (`from` or `to`): a CIDR block, `self`, `vpc` or one of the
/// manifest's security groups.
fn decode_peer(
    decoder: &mut Decoder,
    text: &Spanned<String>,
    peer_key: &str,
    groups: &[String],
) -> Option<Peer> {
    let word = text.value.trim();
    if word.contains('/') {
        match word.parse::<IpNet>() {
            Ok(net) if net.trunc() == net => Some(Peer::Cidr(net)),
            Ok(net) => {
                decoder.error(
                    text.pos,
                    format!("`{word}` has host bits set"),
                    format!("did you mean `{}`?", net.trunc()),
                );
                None
            }
            Err(_) => {
                decoder.error(
                    text.pos,
                    format!("`{word}` is not a CIDR block"),
                    "write a block such as `10.0.0.0/8` or `::/0`",
                );
                None
            }
        }
    } else if word.parse::<IpAddr>().is_ok() {
        decoder.error(
            text.pos,
            format!("`{word}` is an address, not a block"),
            format!(
                "did you mean `{word}/{}`?",
                if word.contains(':') { 128 } else { 32 }
            ),
        );
        None
    } else if word == "self" {
        Some(Peer::Itself)
    } else if word == "vpc" {
        Some(Peer::Vpc)
    } else if groups.iter().any(|group| group == word) {
        Some(Peer::Group(word.to_string()))
    } else {
        let help = match suggest(word, groups.iter().map(String::as_str)) {
            Some(close) => format!("did you mean `{close}`?"),
            None if groups.is_empty() => {
                "no security groups are defined; use a CIDR block".to_string()
            }
            None => format!(
                "defined groups: {}",
                list(&groups.iter().map(String::as_str).collect::<Vec<_>>())
            ),
        };
        decoder.error(
            text.pos,
            format!("`{peer_key}` refers to an unknown security group `{word}`"),
            help,
        );
        None
    }
}

fn decode_port_range(decoder: &mut Decoder, node: &Node) -> Option<(u16, u16)> {
    let NodeKind::Scalar { text, .. } = &node.kind else {
        decoder.error(
            node.pos,
            "a port must be a number or a range such as `8000-8100`",
            "write `443` or `8000-8100`",
        );
        return None;
    };
    let parse = |part: &str| {
        part.trim()
            .parse::<u32>()
            .ok()
            .filter(|port| *port <= 65535)
            .map(|port| port as u16)
    };
    let range = match text.split_once('-') {
        Some((low, high)) => parse(low).zip(parse(high)),
        None => parse(text).map(|port| (port, port)),
    };
    match range {
        Some((low, high)) if low <= high => Some((low, high)),
        Some((low, high)) => {
            decoder.error(
                node.pos,
                format!("port range `{text}` runs backwards"),
                format!("did you mean `{high}-{low}`?"),
            );
            None
        }
        None => {
            decoder.error(
                node.pos,
                format!("`{text}` is not a port or port range"),
                "ports are 0 to 65535; a range is written `8000-8100`",
            );
            None
        }
    }
}
