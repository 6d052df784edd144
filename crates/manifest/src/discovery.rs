//! Service discovery: a service's `discovery` (its name in one of the stack's Cloud Map
//! namespaces, so `influxdb.edgemind.local` resolves to the service's tasks). The
//! `namespaces` section is the `discovery` kind's (`kinds/discovery/`).

use super::decode::Decoder;
use super::diag::{Pos, suggest};
use super::yaml::{Node, NodeKind};

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
pub fn decode_service(
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
