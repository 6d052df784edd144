//! The `zones` section: Route 53 hosted zones, found by name (someone else's: the stack
//! owns only the records it writes there) or made by the stack, and their records.
//!
//! ```yaml
//! zones:
//!   main:
//!     name: concept-reply-sandbox.com
//!     records:
//!       - { name: edge-mind, alias: distributions.cdn }
//!       - { name: api, alias: load_balancers.alb }
//!       - { name: www, cname: edge-mind.concept-reply-sandbox.com, ttl: 300 }
//!       - { name: "@", txt: ["v=spf1 -all"] }
//! ```

use crate::manifest::decode::{Decoder, Entry, Spanned};
use crate::manifest::diag::suggest;
use crate::manifest::dns::domain;
use crate::manifest::yaml::Node;

const ZONE: &[&str] = &["name", "create", "comment", "records"];
const RECORD: &[&str] = &["name", "ttl", "alias", "a", "aaaa", "cname", "txt", "mx"];
/// The record types a record may have, as its field names.
const TYPES: &[&str] = &["alias", "a", "aaaa", "cname", "txt", "mx"];

#[derive(Clone, Debug, PartialEq)]
pub struct Zone {
    pub key: String,
    /// The domain, lowercase, without the final dot.
    pub name: String,
    /// The stack makes (and on destroy deletes) the zone; otherwise it is found by name.
    pub create: bool,
    pub comment: Option<String>,
    pub records: Vec<Record>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The full name, lowercase, without the final dot.
    pub name: String,
    /// `A`, `AAAA`, `CNAME`, `TXT`, `MX`.
    pub kind: String,
    pub ttl: i64,
    pub target: Target,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Values(Vec<String>),
    /// An alias to one of the stack's distributions or load balancers.
    Distribution(String),
    LoadBalancer(String),
}

/// What records may point at.
pub struct Context {
    pub distributions: Vec<(String, bool)>,
    pub load_balancers: Vec<String>,
    /// Those of them without an HTTPS listener.
    pub plain_http: Vec<String>,
}

/// The section at `node`.
pub fn decode(decoder: &mut Decoder, node: &Node, cx: &Context) -> Vec<Zone> {
    let mut out: Vec<Zone> = Vec::new();
    for Entry {
        key,
        fields,
        section,
        ..
    } in decoder.entries(node, "zones", ZONE)
    {
        let Some(name) = fields
            .required(
                decoder,
                "name",
                key.pos,
                format!("zone `{}` has no `name`", key.value),
                "add `name: example.com`, the zone's domain",
            )
            .and_then(|node| decoder.string(node, "name"))
        else {
            continue;
        };
        let Some(domain) = domain(decoder, &name, "zone name") else {
            continue;
        };
        if out.iter().any(|zone| zone.name == domain) {
            decoder.error(
                name.pos,
                format!("zone `{domain}` is declared twice"),
                "keep one entry per zone and put every record under it",
            );
            continue;
        }
        let create = fields
            .get("create")
            .and_then(|node| decoder.bool(node, "create"))
            .unwrap_or(false);
        let comment = fields
            .get("comment")
            .and_then(|node| decoder.string(node, "comment"))
            .map(|text| text.value);
        let mut records: Vec<Record> = Vec::new();
        if let Some(list) = fields.get("records") {
            for item in decoder.list(list) {
                for record in decode_record(decoder, item, &section, &domain, cx) {
                    if records
                        .iter()
                        .any(|other| other.name == record.name && other.kind == record.kind)
                    {
                        decoder.error(
                            item.pos,
                            format!("`{}` has two {} records", record.name, record.kind),
                            "a name has one record set per type: put every value in one record",
                        );
                        continue;
                    }
                    let cname_clash = records.iter().any(|other| {
                        other.name == record.name
                            && (other.kind == "CNAME") != (record.kind == "CNAME")
                    });
                    if cname_clash {
                        decoder.error(
                            item.pos,
                            format!("`{}` has a CNAME beside other records", record.name),
                            "DNS allows no other record where a CNAME is: use an alias, or another name",
                        );
                        continue;
                    }
                    records.push(record);
                }
            }
        }
        out.push(Zone {
            key: key.value.clone(),
            name: domain,
            create,
            comment,
            records,
        });
    }
    out
}

fn decode_record(
    decoder: &mut Decoder,
    item: &Node,
    section: &str,
    zone: &str,
    cx: &Context,
) -> Vec<Record> {
    let Some(fields) = decoder.fields(item, &format!("{section}.records"), RECORD) else {
        return Vec::new();
    };
    let Some(label) = fields
        .required(
            decoder,
            "name",
            item.pos,
            "a record has no `name`",
            "add `name: www` (relative to the zone) or `name: \"@\"` for the zone itself",
        )
        .and_then(|node| decoder.string(node, "name"))
    else {
        return Vec::new();
    };
    let Some(name) = record_name(decoder, &label, zone) else {
        return Vec::new();
    };
    let kinds: Vec<&str> = TYPES
        .iter()
        .copied()
        .filter(|kind| fields.get(kind).is_some())
        .collect();
    let [kind] = kinds.as_slice() else {
        decoder.error(
            item.pos,
            format!("record `{}` needs exactly one of {}", label.value, crate::manifest::decode::list(TYPES)),
            "write `alias: distributions.cdn`, `cname: target.example.com`, `a: [192.0.2.1]`, `txt: [...]` or `mx: [\"10 mail.example.com\"]`",
        );
        return Vec::new();
    };
    let ttl = match fields.get("ttl") {
        Some(node) if *kind == "alias" => {
            decoder.error(
                node.pos,
                "an alias record takes no `ttl`",
                "remove `ttl`: Route 53 answers with the target's",
            );
            return Vec::new();
        }
        Some(node) => match decoder.int(node, "ttl", 0, 2_147_483_647) {
            Some(ttl) => ttl.value,
            None => return Vec::new(),
        },
        None => 300,
    };
    let node = fields.get(kind).expect("present");
    let record = |kind: &str, target: Target| Record {
        name: name.clone(),
        kind: kind.to_string(),
        ttl,
        target,
    };
    if *kind == "alias" {
        return alias_records(decoder, node, cx, record);
    }
    let Some(values) = record_values(decoder, node, kind, &label) else {
        return Vec::new();
    };
    vec![record(&kind.to_uppercase(), Target::Values(values))]
}

/// A record's full name from its `name` (relative to the zone, `@` for the zone itself,
/// or already full), checked as a DNS name.
fn record_name(decoder: &mut Decoder, label: &Spanned<String>, zone: &str) -> Option<String> {
    let name = match label.value.trim_end_matches('.').to_ascii_lowercase() {
        apex if apex == "@" || apex == zone => zone.to_string(),
        full if full.ends_with(&format!(".{zone}")) => full,
        relative => format!("{relative}.{zone}"),
    };
    let valid = name.len() <= 253
        && name.split('.').enumerate().all(|(index, part)| {
            (1..=63).contains(&part.len())
                && (part == "*" && index == 0
                    || part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        });
    if !valid {
        decoder.error(
            label.pos,
            format!("`{}` is not a DNS name", label.value),
            "use labels of letters, digits, `-` and `_` (a `*` only first), 63 characters each",
        );
        return None;
    }
    Some(name)
}

/// The alias records to one of the stack's distributions (A, and AAAA with IPv6) or load
/// balancers (A).
fn alias_records(
    decoder: &mut Decoder,
    node: &Node,
    cx: &Context,
    record: impl Fn(&str, Target) -> Record,
) -> Vec<Record> {
    let Some(target) = decoder.string(node, "alias") else {
        return Vec::new();
    };
    match target.value.split_once('.') {
        Some(("distributions", key)) => {
            let Some((_, ipv6)) = cx.distributions.iter().find(|(name, _)| name == key) else {
                unknown(
                    decoder,
                    &target,
                    key,
                    "distribution",
                    cx.distributions.iter().map(|(name, _)| name.as_str()),
                );
                return Vec::new();
            };
            let mut out = vec![record("A", Target::Distribution(key.to_string()))];
            if *ipv6 {
                out.push(record("AAAA", Target::Distribution(key.to_string())));
            }
            out
        }
        Some(("load_balancers", key)) => {
            if !cx.load_balancers.iter().any(|name| name == key) {
                unknown(
                    decoder,
                    &target,
                    key,
                    "load balancer",
                    cx.load_balancers.iter().map(String::as_str),
                );
                return Vec::new();
            }
            if cx.plain_http.iter().any(|name| name == key) {
                decoder.warn(
                    target.pos,
                    format!("this record puts a domain in front of load balancer `{key}`, which has no HTTPS listener: its visitors' requests and answers travel in clear"),
                    format!("give `load_balancers.{key}` an HTTPS listener (`protocol: HTTPS`, a `certificate:` for the domain) and make port 80 redirect to it"),
                );
            }
            vec![record("A", Target::LoadBalancer(key.to_string()))]
        }
        _ => {
            decoder.error(
                target.pos,
                format!("`{}` is not an alias target", target.value),
                "alias one of the stack's `distributions.<name>` or `load_balancers.<name>`",
            );
            Vec::new()
        }
    }
}

/// A record's values, each checked against its type, sorted and without repeats.
fn record_values(
    decoder: &mut Decoder,
    node: &Node,
    kind: &str,
    label: &Spanned<String>,
) -> Option<Vec<String>> {
    let mut values = Vec::new();
    let mut invalid = false;
    for value in decoder.list(node) {
        let Some(text) = decoder.string(value, kind) else {
            continue;
        };
        let fits = match kind {
            "a" => text.value.parse::<std::net::Ipv4Addr>().is_ok(),
            "aaaa" => text.value.parse::<std::net::Ipv6Addr>().is_ok(),
            "mx" => text.value.split_once(' ').is_some_and(|(priority, host)| {
                priority.parse::<u16>().is_ok() && !host.trim().is_empty()
            }),
            "cname" => !text.value.trim().is_empty() && !text.value.contains(' '),
            _ => true,
        };
        if !fits {
            let shape = match kind {
                "a" => "an IPv4 address (`192.0.2.10`)",
                "aaaa" => "an IPv6 address (`2001:db8::10`)",
                "mx" => "a priority and a host (`10 mail.example.com`)",
                _ => "one host name (`target.example.com`)",
            };
            decoder.error(
                text.pos,
                format!(
                    "`{}` is not a value for {} records",
                    text.value,
                    kind.to_uppercase()
                ),
                format!("write {shape}"),
            );
            invalid = true;
            continue;
        }
        let value = match kind {
            // Route 53 keeps TXT values quoted; longer than 255 characters, in pieces.
            "txt" if !text.value.starts_with('"') => quote_txt(&text.value),
            "cname" | "mx" => text.value.trim_end_matches('.').to_ascii_lowercase(),
            _ => text.value,
        };
        values.push(value);
    }
    if values.is_empty() {
        if invalid {
            return None;
        }
        decoder.error(
            node.pos,
            format!("record `{}` has no value", label.value),
            format!("give `{kind}` at least one value"),
        );
        return None;
    }
    if kind == "cname" && values.len() > 1 {
        decoder.error(
            node.pos,
            "a CNAME record has one value",
            "keep one target name",
        );
        return None;
    }
    values.sort();
    values.dedup();
    values.sort();
    values.dedup();
    Some(values)
}

/// A TXT value as Route 53 keeps it: quoted, in strings of at most 255 characters.
pub fn quote_txt(text: &str) -> String {
    let escaped: Vec<String> = text
        .as_bytes()
        .chunks(255)
        .map(|chunk| {
            let piece = String::from_utf8_lossy(chunk);
            format!("\"{}\"", piece.replace('\\', "\\\\").replace('"', "\\\""))
        })
        .collect();
    escaped.join(" ")
}

fn unknown<'a>(
    decoder: &mut Decoder,
    target: &Spanned<String>,
    key: &str,
    kind: &str,
    known: impl Iterator<Item = &'a str> + Clone,
) {
    let names: Vec<&str> = known.clone().collect();
    let help = match suggest(key, known) {
        Some(close) => format!("did you mean `{close}`?"),
        None if names.is_empty() => format!("no {kind} is declared: declare it first"),
        None => format!("declare it, or alias one of: {}", names.join(", ")),
    };
    decoder.error(target.pos, format!("unknown {kind} `{key}`"), help);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txt_values_are_quoted_and_split() {
        assert_eq!(quote_txt("v=spf1 -all"), "\"v=spf1 -all\"");
        assert_eq!(quote_txt("a\"b"), "\"a\\\"b\"");
        let long = "x".repeat(300);
        let quoted = quote_txt(&long);
        assert_eq!(
            quoted,
            format!("\"{}\" \"{}\"", "x".repeat(255), "x".repeat(45))
        );
    }
}
