//! The `namespaces` section: Cloud Map private DNS namespaces in the stack's VPC, and a
//! service's `discovery` (its name in one of them, so `influxdb.edgemind.local` resolves
//! to the service's tasks), which this kind decodes from the service's entry as written.
//!
//! ```yaml
//! namespaces:
//!   local:
//!     name: edgemind.local
//! ```

use crate::manifest::Manifest;
use crate::manifest::decode::{Decoder, Entry, Fields, field, named_positions};
use crate::manifest::diag::{Pos, suggest};
use crate::manifest::yaml::{Node, NodeKind};

const NAMESPACE: &[&str] = &["name", "description"];

#[derive(Clone, Debug, PartialEq)]
pub struct Namespace {
    pub key: String,
    /// The DNS domain (`edgemind.local`).
    pub name: String,
    pub description: String,
}

/// The section's namespaces; `at` is where the section is written (its key).
pub fn decode(decoder: &mut Decoder, node: &Node, at: Pos, manifest: &Manifest) -> Vec<Namespace> {
    if manifest.network.is_none() {
        decoder.error(
            at,
            "a private DNS namespace needs the stack's VPC",
            "add a `network` section, or remove `namespaces`",
        );
        return Vec::new();
    }
    let mut out: Vec<Namespace> = Vec::new();
    for Entry { key, fields, .. } in decoder.entries(node, "namespaces", NAMESPACE) {
        let Some(name) = fields
            .required(
                decoder,
                "name",
                key.pos,
                format!("namespace `{}` has no `name`", key.value),
                "write its DNS domain, e.g. `name: edgemind.local`",
            )
            .and_then(|node| decoder.string(node, "name"))
        else {
            continue;
        };
        let domain = name.value.trim_end_matches('.').to_ascii_lowercase();
        if !dns_name(&domain) || !domain.contains('.') {
            decoder.error(
                name.pos,
                format!("`{}` is not a DNS domain", name.value),
                "write a domain of dot-separated labels of letters, digits and `-`, e.g. `edgemind.local`",
            );
            continue;
        }
        if let Some(first) = out.iter().find(|other| other.name == domain) {
            decoder.error(
                name.pos,
                format!("namespace `{domain}` is declared twice"),
                format!("namespace `{}` has it already", first.key),
            );
            continue;
        }
        out.push(Namespace {
            key: key.value.clone(),
            name: domain,
            description: fields
                .get("description")
                .and_then(|node| decoder.string(node, "description"))
                .map(|text| text.value)
                .unwrap_or_default(),
        });
    }
    out
}

/// The `discovery` of each service the `services` section decoded (`Manifest::names`),
/// by the service's key.
pub fn decode_services(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    manifest: &Manifest,
) -> Vec<(String, Discovery)> {
    let Some(node) = fields.get("services") else {
        return Vec::new();
    };
    let namespaces = manifest.declared.names("namespaces");
    // Each decoded service once: a name written twice is refused by the services' section,
    // which decodes only its first entry.
    let mut seen = std::collections::BTreeSet::new();
    named_positions(node)
        .into_iter()
        .filter(|(service, _)| manifest.name_of("services", &service.value).is_some())
        .filter(|(service, _)| seen.insert(service.value.clone()))
        .filter_map(|(service, body)| {
            let node = field(body, "discovery")?;
            let discovery = decode_service(decoder, node, &service.value, service.pos, namespaces)?;
            Some((service.value, discovery))
        })
        .collect()
}

const DISCOVERY: &[&str] = &["namespace", "name", "ttl"];

/// A service's name in a namespace: A records of its tasks' addresses.
#[derive(Clone, Debug, PartialEq)]
pub struct Discovery {
    /// The namespace's logical name.
    pub namespace: String,
    /// The first label (`influxdb` of `influxdb.edgemind.local`).
    pub name: String,
    /// Seconds resolvers may keep an answer.
    pub ttl: i64,
}

/// A DNS name of letters, digits and hyphens in dot-separated labels of 1-63.
pub fn dns_name(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// A service's `discovery`: `true` (its key, in the only namespace) or
/// `{ namespace, name, ttl }`.
fn decode_service(
    decoder: &mut Decoder,
    node: &Node,
    service: &str,
    service_pos: Pos,
    namespaces: &[String],
) -> Option<Discovery> {
    let only = || (namespaces.len() == 1).then(|| namespaces[0].clone());
    let no_namespace = |decoder: &mut Decoder, pos: Pos| {
        decoder.error(
            pos,
            format!("service `{service}` asks for discovery, but names no namespace"),
            if namespaces.is_empty() {
                "declare one under `namespaces:` (e.g. `local: { name: edgemind.local }`)"
                    .to_string()
            } else {
                format!(
                    "write `discovery: {{ namespace: <{}> }}`",
                    namespaces.join("|")
                )
            },
        );
    };
    if matches!(node.kind, NodeKind::Scalar { .. }) {
        if !decoder.bool(node, "discovery")? {
            return None;
        }
        let Some(namespace) = only() else {
            no_namespace(decoder, node.pos);
            return None;
        };
        return Some(Discovery {
            namespace,
            name: service.to_string(),
            ttl: 60,
        });
    }
    let section = format!("services.{service}.discovery");
    let fields = decoder.fields(node, &section, DISCOVERY)?;
    let namespace = match fields
        .get("namespace")
        .and_then(|node| decoder.string(node, "namespace"))
    {
        Some(named) if namespaces.contains(&named.value) => named.value,
        Some(named) => {
            let hint = suggest(&named.value, namespaces.iter().map(String::as_str))
                .map(|close| format!("did you mean `{close}`? "))
                .unwrap_or_default();
            decoder.error(
                named.pos,
                format!("namespace `{}` is not declared", named.value),
                format!("{hint}declare it under `namespaces:`"),
            );
            return None;
        }
        None => match only() {
            Some(namespace) => namespace,
            None => {
                no_namespace(decoder, service_pos);
                return None;
            }
        },
    };
    let name = match fields
        .get("name")
        .and_then(|node| decoder.string(node, "name"))
    {
        Some(name) if dns_name(&name.value) && !name.value.contains('.') => {
            name.value.to_ascii_lowercase()
        }
        Some(name) => {
            decoder.error(
                name.pos,
                format!("`{}` is not a DNS label", name.value),
                "write 1-63 letters, digits and `-` (the namespace's domain follows it)",
            );
            return None;
        }
        None => service.to_string(),
    };
    let ttl = match fields.get("ttl") {
        Some(node) => decoder.int(node, "ttl", 0, 2_147_483_647)?.value,
        None => 60,
    };
    Some(Discovery {
        namespace,
        name,
        ttl,
    })
}
