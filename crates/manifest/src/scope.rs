//! What the container sections (services, databases, file systems, ...) may refer to
//! outside themselves, and the references they share: a tier of the network's subnets,
//! security groups by name.

use super::decode::{Decoder, Fields, Spanned, reference, strings};
use super::diag::Pos;
use super::network::{Network, Tier};
use super::yaml::Node;

/// What the container sections may refer to outside themselves.
pub struct Context<'a> {
    /// What every section declares, as written.
    pub declared: &'a super::declared::Declared,
    /// The keys under `secrets:`, which services refer to as `secrets.<key>`.
    pub secrets: Vec<String>,
    /// Those of them made without a value (`generate: false`), which no container may read.
    pub valueless_secrets: Vec<String>,
    /// The keys under `keys:`, which repositories and logs refer to as `keys.<key>`.
    pub keys: Vec<String>,
    /// The keys under `databases:`, whose secret and endpoint services refer to.
    pub databases: Vec<String>,
    /// The keys under `certificates:`, which listeners refer to as `certificates.<key>`.
    pub certificates: Vec<String>,
    pub stack: &'a str,
    pub network: Option<&'a Network>,
    pub security_groups: Vec<String>,
}

pub fn tier(decoder: &mut Decoder, node: &Node, cx: &Context<'_>) -> Option<Tier> {
    let choice = decoder.choice(node, "subnets", &["public", "private", "isolated"])?;
    let tier = Tier::ALL
        .into_iter()
        .find(|tier| tier.as_str() == choice.value)?;
    if let Some(network) = cx.network
        && network.subnets(tier).is_empty()
    {
        decoder.error(
            choice.pos,
            format!("the network has no `{}` subnets", choice.value),
            "add them under `network.subnets`, or choose another tier",
        );
        return None;
    }
    Some(tier)
}

pub fn security_groups(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    cx: &Context<'_>,
) -> Vec<String> {
    let Some(node) = fields.get("security_groups") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for name in strings(decoder, node, "security_groups") {
        if reference(decoder, &name, "security group", &cx.security_groups)
            && !out.contains(&name.value)
        {
            out.push(name.value);
        }
    }
    out
}

/// `<stack>-<key>`, or the `name:` given.
pub fn aws_name(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    cx: &Context<'_>,
    key: &str,
    what: &str,
) -> Option<Spanned<String>> {
    match fields.get("name") {
        Some(node) => decoder.string(node, what),
        None => Some(Spanned {
            value: format!("{}-{key}", cx.stack),
            pos: Pos::default(),
        }),
    }
}

/// An integer field between `min` and `max`, `default` when absent (or, told, when
/// out of range).
pub fn number(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    key: &str,
    default: i64,
    min: i64,
    max: i64,
) -> i64 {
    fields
        .get(key)
        .and_then(|node| decoder.int(node, key, min, max))
        .map_or(default, |value| value.value)
}
