//! The manifest's types, and their decoding from the located tree with every check that
//! can be made before calling AWS.

use super::declared::Declared;
use super::decode::{Decoder, Fields, Spanned};
use super::network::{Network, decode_network, valid_region};
use super::sections::Decoded;
use super::yaml::{Node, NodeKind};
use std::collections::BTreeMap;

pub const TOP_LEVEL: &[&str] = &[
    "stack",
    "region",
    "tags",
    "variables",
    "network",
    "outputs",
    "environments",
];

/// Where the manifest came from (what a saved plan records): the base layer's, so that
/// the plan documents need not import the manifest.
pub use crate::source::{Source, Variable};

#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    pub source: Source,
    pub stack: String,
    pub region: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub network: Option<Network>,
    /// The manifest's folder: relative paths in it (a bucket's `sync.source`) start there.
    pub base: std::path::PathBuf,
    /// The environment chosen (`--env`), when the manifest declares several.
    pub environment: Option<String>,
    /// What `apply` prints at the end and `edgectl output` reads live.
    pub outputs: Vec<Output>,
    /// What the registered kinds' sections decoded (`kinds/`).
    pub sections: super::sections::Sections,
    /// What every section declares, as written (what references may name).
    pub declared: Declared,
    /// The keys other sections name a registered section's resources by, where they are
    /// not the keys it declares as written (`Section::ids`: an alarm of a service's
    /// shorthand is `services.api.cpu`); see [`Manifest::ids`].
    pub ids: BTreeMap<&'static str, Vec<String>>,
    /// What a registered section's resources attach to in other sections (a firewall to
    /// the distributions it protects), as it says (`Section::attachments`); see
    /// [`Manifest::attached`].
    pub attachments: Vec<Attachment>,
    /// What destroy leaves in place encrypted under the stack's keys, as each section
    /// says it (the `keys` section checks its keys against it).
    pub kept_encrypted: Vec<super::keys::KeptEncrypted>,
    /// What validates but would fail on AWS, as each registered section says it
    /// (`Section::warnings`), and what people regret, at its place (`Decoder::warn`):
    /// printed before a plan, an error only under `--strict`.
    pub warnings: Vec<super::diag::Warning>,
    /// A registered section's resources by key, with the names they have in AWS
    /// (`Section::names`: a database's identifier), which other sections' decoding
    /// needs (an alarm's dimension); see [`Manifest::names`].
    pub names: BTreeMap<&'static str, Vec<(String, String)>>,
    /// Text the manifest knows of a registered section's resources besides their names
    /// (`Section::known`: a service's log group), by key and attribute; see
    /// [`Manifest::known`].
    pub known: BTreeMap<&'static str, Vec<(String, &'static str, String)>>,
}

/// One of a section's resources attached to a resource of another section: `firewalls.edge`
/// protects `distributions.cdn`.
#[derive(Clone, Debug, PartialEq)]
pub struct Attachment {
    pub section: &'static str,
    pub key: String,
    pub to_section: &'static str,
    pub to_key: String,
}

impl Manifest {
    /// Whether a resource of `section` is attached to `to_section.to_key` (a distribution
    /// uses certificate `to_key`).
    pub fn is_attached(&self, section: &str, to_section: &str, to_key: &str) -> bool {
        self.attached(section, to_section, to_key).is_some()
    }

    /// The keys of `to_section` that `section`'s resource `key` is attached to (the
    /// services a load balancer forwards to), in order, without repeats.
    pub fn attached_to(&self, section: &str, key: &str, to_section: &str) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for attachment in &self.attachments {
            if attachment.section == section
                && attachment.key == key
                && attachment.to_section == to_section
                && !out.contains(&attachment.to_key.as_str())
            {
                out.push(&attachment.to_key);
            }
        }
        out
    }

    /// The key of the resource of `section` attached to `to_section.to_key`, if one is.
    pub fn attached(&self, section: &str, to_section: &str, to_key: &str) -> Option<&str> {
        self.attachments
            .iter()
            .find(|attachment| {
                attachment.section == section
                    && attachment.to_section == to_section
                    && attachment.to_key == to_key
            })
            .map(|attachment| attachment.key.as_str())
    }

    /// `section`'s decoded resources, each key with the name it has in AWS, as its
    /// section says ([`Section::names`]); none for a section that says none.
    pub fn names(&self, section: &str) -> &[(String, String)] {
        self.names.get(section).map_or(&[], Vec::as_slice)
    }

    /// The name `section`'s resource `key` has in AWS, when its section says it.
    pub fn name_of(&self, section: &str, key: &str) -> Option<&str> {
        self.names(section)
            .iter()
            .find(|(known, _)| known == key)
            .map(|(_, name)| name.as_str())
    }

    /// What `section`'s resource `key` is known to have as `attribute` before any AWS
    /// call, as its section says ([`Section::known`]: a service's `log_group`).
    pub fn known(&self, section: &str, key: &str, attribute: &str) -> Option<&str> {
        self.known
            .get(section)?
            .iter()
            .find(|(known, what, _)| known == key && *what == attribute)
            .map(|(_, _, text)| text.as_str())
    }

    /// What a section in the containers' scope (file systems, databases, ...) may refer
    /// to outside itself: the network's tiers, the security groups, declared names.
    pub fn scope(&self) -> super::scope::Context<'_> {
        scope(&self.stack, self.network.as_ref(), &self.declared)
    }

    /// The keys other sections may name `section`'s resources by: what its decoding
    /// says ([`Section::ids`]), else the names it declares as written.
    pub fn ids(&self, section: &str) -> Vec<String> {
        self.ids
            .get(section)
            .cloned()
            .unwrap_or_else(|| self.declared.names(section).to_vec())
    }
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

/// A top-level section of the manifest that a kind owns.
pub trait Section: Sync {
    /// Its key at the top of the manifest (`dashboards`).
    fn key(&self) -> &'static str;

    /// What `${<key>.<name>.<attribute>}` may ask of its resources.
    fn attributes(&self) -> &'static [&'static str] {
        &[]
    }

    /// Decodes the section from the manifest's top level (`fields`), telling `decoder`
    /// every mistake with its place and fix: its own key's node when the manifest has it
    /// (`fields.get(key)`, written at `fields.key_pos(key)`), and what its kind declares
    /// inside other sections' entries (an alarm under `services.<name>.alarms`); `None`
    /// when the manifest declares none. It runs once the manifest's own sections (the
    /// stack, region, tags, network, outputs) and the sections before it in the kinds'
    /// list are decoded: `manifest` is what it may refer to.
    fn decode(
        &self,
        decoder: &mut Decoder,
        fields: &Fields<'_>,
        manifest: &Manifest,
    ) -> Option<Decoded>;

    /// The keys other sections may name its resources by, when they are not the keys
    /// it declares as written (`services.api.cpu` for a service's CPU alarm).
    fn ids(&self, _decoded: &Decoded) -> Option<Vec<String>> {
        None
    }

    /// What its resources attach to in other sections, which those sections' lowering
    /// needs (a distribution names the web ACL that protects it).
    fn attachments(&self, _decoded: &Decoded) -> Vec<Attachment> {
        Vec::new()
    }

    /// What of the decoded section validates but would fail on AWS (a distribution that
    /// reaches a load balancer over HTTPS without the Host its certificate covers).
    fn warnings(&self, _decoded: &Decoded) -> Vec<String> {
        Vec::new()
    }

    /// Its decoded resources, each key with the name it has in AWS (a database's
    /// identifier), which other sections may need as they decode (an alarm's
    /// dimension); a section decoded after it sees them in `Manifest::names`.
    fn names(&self, _decoded: &Decoded) -> Vec<(String, String)> {
        Vec::new()
    }

    /// Text known of its decoded resources besides their names, each by key and
    /// attribute (a service's `log_group`), which other sections may need as they decode
    /// (a dashboard's log query); a section decoded after it sees them in
    /// `Manifest::known`.
    fn known(&self, _decoded: &Decoded) -> Vec<(String, &'static str, String)> {
        Vec::new()
    }

    /// What of the decoded section destroy leaves in place encrypted under the stack's
    /// keys (sections decoded after it see it in `Manifest::kept_encrypted`).
    fn kept_encrypted(&self, _decoded: &Decoded) -> Vec<super::keys::KeptEncrypted> {
        Vec::new()
    }
}

/// Decodes the whole manifest (variables already substituted, `variables` already read).
/// `base` is the manifest's folder: relative paths in it (a bucket's `sync.source`) start there.
pub fn decode(
    root: &Node,
    decoder: &mut Decoder,
    base: &std::path::Path,
    sections: &[&dyn Section],
) -> Option<Manifest> {
    // The network's kind registers the key the manifest decodes itself (`network`).
    let top_level: Vec<&str> = TOP_LEVEL
        .iter()
        .copied()
        .chain(
            sections
                .iter()
                .map(|section| section.key())
                .filter(|key| !TOP_LEVEL.contains(key)),
        )
        .collect();
    let fields = decoder.fields(root, "manifest", &top_level)?;
    let declared = Declared::scan(root).as_meant(&top_level);
    let stack = decode_stack(decoder, &fields, root);
    let region = decode_region(decoder, &fields);
    let tags = fields
        .get("tags")
        .map(|node| decode_tags(decoder, node))
        .unwrap_or_default();
    let network = fields
        .get("network")
        .and_then(|node| decode_network(decoder, node, region.as_deref()));
    // Without a valid stack name the registered sections are still decoded (on a
    // placeholder, as the manifest's own ones were), so that their mistakes are told
    // with it.
    let named = stack.is_some();
    let mut manifest = Manifest {
        source: Source::default(),
        stack: stack.unwrap_or_else(|| "stack".to_string()),
        region,
        tags,
        network,
        base: base.to_path_buf(),
        environment: None,
        outputs: fields
            .get("outputs")
            .map(|node| decode_outputs(decoder, node))
            .unwrap_or_default(),
        sections: super::sections::Sections::default(),
        declared,
        ids: BTreeMap::new(),
        attachments: Vec::new(),
        kept_encrypted: Vec::new(),
        names: BTreeMap::new(),
        known: BTreeMap::new(),
        warnings: Vec::new(),
    };
    // The registered kinds' sections, once what they may refer to is decoded.
    for section in sections {
        if let Some(decoded) = section.decode(decoder, &fields, &manifest) {
            let kept = section.kept_encrypted(&decoded);
            manifest.kept_encrypted.extend(kept);
            let attachments = section.attachments(&decoded);
            manifest.attachments.extend(attachments);
            if let Some(ids) = section.ids(&decoded) {
                manifest.ids.insert(section.key(), ids);
            }
            manifest
                .names
                .insert(section.key(), section.names(&decoded));
            manifest
                .known
                .insert(section.key(), section.known(&decoded));
            let warnings = section.warnings(&decoded);
            manifest
                .warnings
                .extend(warnings.into_iter().map(super::diag::Warning::general));
            manifest.sections.insert(section.key(), decoded);
        }
    }
    named.then_some(manifest)
}

/// The `stack` name (required): it names and tags everything edgectl creates.
fn decode_stack(decoder: &mut Decoder, fields: &Fields<'_>, root: &Node) -> Option<String> {
    match fields.get("stack") {
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
    }
}

/// The `region`, when the manifest names one.
fn decode_region(decoder: &mut Decoder, fields: &Fields<'_>) -> Option<String> {
    fields
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
        })
}

/// What a container section may refer to outside itself (`scope::Context`).
fn scope<'a>(
    stack: &'a str,
    network: Option<&'a Network>,
    declared: &'a Declared,
) -> super::scope::Context<'a> {
    super::scope::Context {
        declared,
        secrets: declared.names("secrets").to_vec(),
        valueless_secrets: declared
            .flagged("secrets", "generate", false)
            .into_iter()
            .map(str::to_string)
            .collect(),
        keys: declared.names("keys").to_vec(),
        databases: declared.names("databases").to_vec(),
        certificates: declared.names("certificates").to_vec(),
        stack,
        network,
        security_groups: declared.names("security_groups").to_vec(),
    }
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

pub fn decode_tags(decoder: &mut Decoder, node: &Node) -> BTreeMap<String, String> {
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
