//! The manifest's types, and their decoding from the located tree with every check that
//! can be made before calling AWS.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net};

use super::containers::{self, Containers};
use super::decode::{Decoder, Fields, Spanned, list};
use super::diag::{Pos, suggest};
use super::edge::{self, Edge};
use super::yaml::{Node, NodeKind};

pub const TOP_LEVEL: &[&str] = &[
    "stack",
    "region",
    "tags",
    "variables",
    "network",
    "security_groups",
    "keys",
    "namespaces",
    "secrets",
    "topics",
    "file_systems",
    "databases",
    "repositories",
    "clusters",
    "load_balancers",
    "services",
    "buckets",
    "distributions",
    "zones",
    "certificates",
    "firewalls",
    "alarms",
    "outputs",
    "environments",
];
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

/// Where the manifest came from: what a saved plan records about it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Source {
    /// BLAKE3 of the manifest's bytes, hex.
    pub digest: String,
    /// Every declared variable as resolved (overrides, environment, default).
    pub variables: BTreeMap<String, Variable>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Variable {
    pub value: Option<String>,
    pub sensitive: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    pub source: Source,
    pub stack: String,
    pub region: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub network: Option<Network>,
    pub security_groups: Vec<SecurityGroup>,
    pub keys: Vec<super::keys::Key>,
    pub namespaces: Vec<super::discovery::Namespace>,
    pub secrets: Vec<super::secrets::Secret>,
    pub topics: Vec<super::topics::Topic>,
    pub containers: Containers,
    pub edge: Edge,
    /// The environment chosen (`--env`), when the manifest declares several.
    pub environment: Option<String>,
    /// Route 53 zones and the records the stack writes in them.
    pub zones: Vec<super::dns::Zone>,
    /// ACM certificates the stack requests, validated through DNS.
    pub certificates: Vec<super::dns::Certificate>,
    /// WAFv2 web ACLs in front of the stack's load balancers or distributions.
    pub firewalls: Vec<super::firewalls::Firewall>,
    /// CloudWatch alarms: the shorthand of services, load balancers and databases, and
    /// the full form.
    pub alarms: Vec<super::alarms::Alarm>,
    /// What `apply` prints at the end and `edgectl output` reads live.
    pub outputs: Vec<Output>,
    /// What the registered kinds' sections decoded (`kinds/`).
    pub sections: super::sections::Sections,
}

/// A value the stack tells its users and pipelines (`outputs:`), built from variables and
/// the live attributes of its resources (see `refs`).
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    pub name: String,
    /// The text, its references marked (see `refs`).
    pub value: String,
    pub description: Option<String>,
    pub sensitive: bool,
}

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

/// Decodes the whole manifest (variables already substituted, `variables` already read).
/// `base` is the manifest's folder: relative paths in it (a bucket's `sync.source`) start there.
pub fn decode(
    root: &Node,
    decoder: &mut Decoder,
    base: &std::path::Path,
    sections: &[&dyn super::sections::Section],
) -> Option<Manifest> {
    let top_level: Vec<&str> = TOP_LEVEL
        .iter()
        .copied()
        .chain(sections.iter().map(|section| section.key()))
        .collect();
    let fields = decoder.fields(root, "manifest", &top_level)?;
    let stack = match fields.get("stack") {
        Some(node) => decoder
            .string(node, "stack")
            .and_then(|stack| check_stack(decoder, stack)),
        None => {
            decoder.error(
                root.pos,
                "the manifest has no `stack` name",
                "add `stack: my-app` at the top: it names and tags everything edgectl creates",
            );
            None
        }
    };
    let region = fields
        .get("region")
        .and_then(|node| decoder.string(node, "region"))
        .and_then(|region| {
            if valid_region(&region.value) {
                Some(region.value)
            } else {
                decoder.error(
                    region.pos,
                    format!("`{}` is not an AWS region name", region.value),
                    "write a region such as `us-east-1` or `eu-west-1`",
                );
                None
            }
        });
    let tags = fields
        .get("tags")
        .map(|node| decode_tags(decoder, node))
        .unwrap_or_default();
    let network = fields
        .get("network")
        .and_then(|node| decode_network(decoder, node, region.as_deref()));
    let security_groups = match fields.get("security_groups") {
        Some(node) => decode_security_groups(
            decoder,
            node,
            network.as_ref(),
            fields.key_pos("security_groups"),
        ),
        None => Vec::new(),
    };
    let namespaces = super::discovery::decode(decoder, &fields, network.is_some());
    let keys = super::keys::decode(decoder, &fields, stack.as_deref().unwrap_or("stack"));
    let declared_keys = super::keys::declared(&fields);
    let secrets = super::secrets::decode(
        decoder,
        &fields,
        stack.as_deref().unwrap_or("stack"),
        &declared_keys,
    );
    let topics = super::topics::decode(
        decoder,
        &fields,
        stack.as_deref().unwrap_or("stack"),
        &declared_keys,
    );
    let containers = {
        let cx = containers::Context {
            secrets: super::secrets::declared(&fields),
            valueless_secrets: super::secrets::valueless(&fields),
            keys: declared_keys.clone(),
            namespaces: super::discovery::declared(&fields),
            databases: super::databases::declared(&fields),
            certificates: super::dns::declared_certificates(&fields),
            stack: stack.as_deref().unwrap_or("stack"),
            network: network.as_ref(),
            security_groups: security_groups
                .iter()
                .map(|group| group.name.clone())
                .collect(),
        };
        containers::decode(decoder, &fields, &cx)
    };
    let edge = {
        let cx = edge::Context {
            base,
            load_balancers: containers
                .load_balancers
                .iter()
                .map(|lb| lb.key.clone())
                .collect(),
            tags: decode_tags,
            keys: declared_keys.clone(),
            certificates: super::dns::declared_certificates(&fields),
        };
        edge::decode(decoder, &fields, &cx)
    };
    let zones = {
        let cx = super::dns::Context {
            distributions: edge
                .distributions
                .iter()
                .map(|distribution| (distribution.key.clone(), distribution.ipv6))
                .collect(),
            load_balancers: containers
                .load_balancers
                .iter()
                .map(|lb| lb.key.clone())
                .collect(),
        };
        super::dns::decode(decoder, &fields, &cx)
    };
    let certificates = super::dns::decode_certificates(
        decoder,
        &fields,
        region.as_deref(),
        &zones,
        &containers,
        &edge,
    );
    let firewalls = {
        let cx = super::firewalls::Context {
            stack: stack.clone().unwrap_or_else(|| "stack".to_string()),
            load_balancers: containers
                .load_balancers
                .iter()
                .map(|lb| lb.key.clone())
                .collect(),
            distributions: edge
                .distributions
                .iter()
                .map(|distribution| distribution.key.clone())
                .collect(),
            with_web_acl: edge
                .distributions
                .iter()
                .filter(|distribution| distribution.web_acl.is_some())
                .map(|distribution| distribution.key.clone())
                .collect(),
        };
        super::firewalls::decode(decoder, &fields, &cx)
    };
    let alarms = {
        let cx = super::alarms::Context {
            stack: stack.as_deref().unwrap_or("stack"),
            topics: topics.iter().map(|topic| topic.key.clone()).collect(),
            containers: &containers,
        };
        super::alarms::decode(decoder, &fields, &cx)
    };
    let mut manifest = Manifest {
        source: Source::default(),
        stack: stack?,
        region,
        tags,
        network,
        security_groups,
        keys,
        namespaces,
        secrets,
        topics,
        containers,
        edge,
        environment: None,
        zones,
        certificates,
        firewalls,
        alarms,
        outputs: fields
            .get("outputs")
            .map(|node| decode_outputs(decoder, node))
            .unwrap_or_default(),
        sections: super::sections::Sections::default(),
    };
    super::keys::check_retained(decoder, &manifest);
    // The registered kinds' sections, once what they may refer to is decoded.
    for section in sections {
        if let Some(node) = fields.get(section.key()) {
            let decoded = section.decode(decoder, node, &manifest);
            manifest.sections.insert(section.key(), decoded);
        }
    }
    Some(manifest)
}

/// `outputs: { url: "https://${distributions.cdn.domain_name}" }`, or with a description
/// and `sensitive: true` (`{ value: ..., description: ..., sensitive: true }`).
fn decode_outputs(decoder: &mut Decoder, node: &Node) -> Vec<Output> {
    let mut outputs = Vec::new();
    for (name, body) in decoder.named(node, "outputs") {
        if !super::vars::valid_name(&name.value.replace('-', "_")) {
            decoder.error(
                name.pos,
                format!("output name `{}` is not valid", name.value),
                "use letters, digits, `-` and `_`, starting with a letter: scripts ask for it by name",
            );
            continue;
        }
        let output = if matches!(body.kind, NodeKind::Map(_)) {
            let Some(fields) = decoder.fields(
                body,
                &format!("outputs.{}", name.value),
                &["value", "description", "sensitive"],
            ) else {
                continue;
            };
            let Some(value) = fields.get("value") else {
                decoder.error(
                    body.pos,
                    format!("output `{}` has no `value`", name.value),
                    "add `value: \"https://${distributions.cdn.domain_name}\"`",
                );
                continue;
            };
            let Some(value) = decoder.string(value, "value") else {
                continue;
            };
            Output {
                name: name.value,
                value: value.value,
                description: fields
                    .get("description")
                    .and_then(|node| decoder.string(node, "description"))
                    .map(|text| text.value),
                sensitive: fields
                    .get("sensitive")
                    .and_then(|node| decoder.bool(node, "sensitive"))
                    .unwrap_or(false),
            }
        } else {
            let Some(value) = decoder.string(body, &name.value) else {
                continue;
            };
            Output {
                name: name.value,
                value: value.value,
                description: None,
                sensitive: false,
            }
        };
        outputs.push(output);
    }
    outputs
}

fn check_stack(decoder: &mut Decoder, stack: Spanned<String>) -> Option<String> {
    let name = &stack.value;
    let valid = name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-');
    if valid {
        return Some(stack.value);
    }
    decoder.error(
        stack.pos,
        format!("stack name `{name}` is not valid"),
        "use 1 to 40 lowercase letters, digits and hyphens, starting with a letter: it prefixes AWS names",
    );
    None
}

fn valid_region(region: &str) -> bool {
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

fn decode_tags(decoder: &mut Decoder, node: &Node) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    for (key, value) in decoder.named(node, "tags") {
        let lower = key.value.to_ascii_lowercase();
        if lower.starts_with("edgectl:") || lower.starts_with("aws:") {
            decoder.error(
                key.pos,
                format!("tag key `{}` uses a reserved prefix", key.value),
                "`edgectl:` tags mark ownership and `aws:` tags belong to AWS; choose another key",
            );
            continue;
        }
        if key.value.chars().count() > 128 {
            decoder.error(
                key.pos,
                "tag keys are at most 128 characters",
                "shorten the key",
            );
            continue;
        }
        // The characters every service that edgectl tags accepts (S3 and ECS refuse others
        // with InvalidTag; EC2 alone is more lenient).
        let allowed = |text: &str| {
            text.chars()
                .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
        };
        if !allowed(&key.value) {
            decoder.error(
                key.pos,
                format!("tag key `{}` has characters AWS refuses in tags", key.value),
                "use letters, digits, spaces and `_ . : / = + - @`",
            );
            continue;
        }
        if let Some(value) = decoder.string(value, "tags") {
            if !allowed(&value.value) {
                decoder.error(
                    value.pos,
                    format!(
                        "tag value `{}` has characters AWS refuses in tags",
                        value.value
                    ),
                    "use letters, digits, spaces and `_ . : / = + - @`",
                );
                continue;
            }
            if value.value.chars().count() > 256 {
                decoder.error(
                    value.pos,
                    "tag values are at most 256 characters",
                    "shorten the value",
                );
                continue;
            }
            tags.insert(key.value, value.value);
        }
    }
    // AWS allows 50 tags per resource; edgectl adds `Name`, `edgectl:stack` and `edgectl:id`.
    if tags.len() > 47 {
        decoder.error(
            node.pos,
            format!("{} tags is too many", tags.len()),
            "AWS allows 50 tags per resource and edgectl adds 3: keep at most 47",
        );
    }
    tags
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

fn decode_network(decoder: &mut Decoder, node: &Node, region: Option<&str>) -> Option<Network> {
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

fn decode_security_groups(
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
        let word = text.value.trim();
        let peer = if word.contains('/') {
            match word.parse::<IpNet>() {
                Ok(net) if net.trunc() == net => Peer::Cidr(net),
                Ok(net) => {
                    decoder.error(
                        text.pos,
                        format!("`{word}` has host bits set"),
                        format!("did you mean `{}`?", net.trunc()),
                    );
                    continue;
                }
                Err(_) => {
                    decoder.error(
                        text.pos,
                        format!("`{word}` is not a CIDR block"),
                        "write a block such as `10.0.0.0/8` or `::/0`",
                    );
                    continue;
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
            continue;
        } else if word == "self" {
            Peer::Itself
        } else if word == "vpc" {
            Peer::Vpc
        } else if groups.iter().any(|group| group == word) {
            Peer::Group(word.to_string())
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
