//! The network: the VPC, its subnets by tier across zones, NAT, endpoints; their types
//! and decoding (the security groups in it are a kind of their own,
//! `kinds/security_group`).

use ipnet::Ipv4Net;

use super::decode::{Decoder, Fields, Spanned};

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
