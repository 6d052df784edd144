//! The `security_groups` section: the stack's security groups in its VPC, with ingress
//! and egress rules whose peers are CIDRs, the VPC, the group itself or another group of
//! the section.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::manifest::Network;
use crate::manifest::decode::{Decoder, Fields, Spanned, list};
use crate::manifest::diag::{Pos, suggest};
use crate::manifest::yaml::{Node, NodeKind};

const SECURITY_GROUP: &[&str] = &["name", "description", "ingress", "egress"];
const INGRESS_RULE: &[&str] = &["protocol", "port", "ports", "from", "description"];
const EGRESS_RULE: &[&str] = &["protocol", "port", "ports", "to", "description"];
/// Words a rule's peer may use besides CIDRs and group names.
const RESERVED_PEERS: &[&str] = &["self", "vpc"];

#[derive(Clone, Debug, PartialEq)]
pub struct SecurityGroup {
    pub name: String,
    /// EC2's group name, when the manifest gives one (a group made elsewhere, adopted);
    /// `<stack>-<name>` otherwise.
    pub group_name: Option<String>,
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

/// The section at `node` (its key written at `key_pos`).
pub fn decode(
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
                group_name: None,
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
        let group_name = fields.get("name").and_then(|node| decoder.string(node, "name")).and_then(|text| {
            // EC2's group names: the characters of its descriptions, not `sg-` first.
            let allowed = |c: char| c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c);
            if text.value.is_empty() || text.value.len() > 255 || !text.value.chars().all(allowed) || text.value.to_ascii_lowercase().starts_with("sg-") {
                decoder.error(text.pos, format!("`{}` is not a valid security group name", text.value), "use 1-255 ASCII letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*, not starting with `sg-`");
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
            group_name,
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
        if peer_key == "from"
            && let Peer::Cidr(net) = &peer
            && net.prefix_len() == 0
        {
            open_to_internet(decoder, section, protocol, &ports, net, text.pos);
        }
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

/// UDP ports that are never meant for the whole internet: RDP's, NFS's, and Memcached's
/// (an amplifier of denial-of-service attacks).
const PRIVATE_UDP_PORTS: &[(u16, &str)] = &[(3389, "RDP"), (2049, "NFS"), (11211, "Memcached")];

/// TCP ports that are never meant for the whole internet: remote shells and desktops,
/// and databases and caches (reached from the VPC, a VPN or a bastion).
const PRIVATE_PORTS: &[(u16, &str)] = &[
    (22, "SSH"),
    (23, "Telnet"),
    (3389, "RDP"),
    (5900, "VNC"),
    (1433, "SQL Server"),
    (1521, "Oracle"),
    (2049, "NFS"),
    (3306, "MySQL"),
    (5432, "PostgreSQL"),
    (5439, "Redshift"),
    (6379, "Redis"),
    (9042, "Cassandra"),
    (9200, "OpenSearch"),
    (11211, "Memcached"),
    (27017, "MongoDB"),
];

/// The ports of `protocol` no rule should open to the whole internet.
fn private_ports(protocol: Protocol) -> &'static [(u16, &'static str)] {
    match protocol {
        Protocol::Tcp => PRIVATE_PORTS,
        Protocol::Udp => PRIVATE_UDP_PORTS,
        Protocol::Icmp | Protocol::All => &[],
    }
}

/// Warns of an ingress rule that opens a remote shell, a database's port or every port to
/// the whole internet (`0.0.0.0/0` or `::/0`).
fn open_to_internet(
    decoder: &mut Decoder,
    section: &str,
    protocol: Protocol,
    ports: &[(u16, u16)],
    net: &IpNet,
    pos: Pos,
) {
    let what = match (protocol, private_ports(protocol)) {
        (Protocol::All, _) => "every port".to_string(),
        (_, private) => {
            let open: Vec<String> = private
                .iter()
                .filter(|(port, _)| ports.iter().any(|(from, to)| (from..=to).contains(&port)))
                .map(|(port, name)| format!("{port} ({name})"))
                .collect();
            if open.is_empty() {
                return;
            }
            let every = ports.iter().any(|(from, to)| *from <= 1 && *to == u16::MAX);
            match (every, open.as_slice()) {
                (true, _) => format!("every {} port", protocol.as_str()),
                (false, [one]) => format!("{} port {one}", protocol.as_str()),
                (false, _) => format!("{} ports {}", protocol.as_str(), open.join(", ")),
            }
        }
    };
    decoder.warn(
        pos,
        format!("`{section}` opens {what} to the whole internet (`{net}`)"),
        "allow only who needs it: a security group, `vpc`, or your office's or VPN's CIDR; reach a shell through SSM Session Manager",
    );
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
