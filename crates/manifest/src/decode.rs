//! Typed reads from the located tree that collect every error instead of stopping at one.

use std::collections::BTreeMap;

use super::diag::{Diagnostic, Pos, suggest};
use super::yaml::{Node, NodeKind};

/// A value with the position it was written at, for checks that span several fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub pos: Pos,
}

#[derive(Default)]
pub struct Decoder {
    pub diagnostics: Vec<Diagnostic>,
    /// What is valid but people regret (an SSH port open to the internet): shown before
    /// a plan, an error under `--strict`.
    pub warnings: Vec<Diagnostic>,
    /// What the manifest says is checked, not what a run that uploads needs of the disk
    /// (a sync source not built yet): `validate`, and the commands that upload nothing
    /// (`Overrides::types_only`, `Overrides::without_content`).
    pub skip_content: bool,
    /// The environment chosen is marked `production: true` (`environments`): what is
    /// regretted there (a `latest` image) is warned of.
    pub production: bool,
    /// Every mapping read with [`Decoder::fields`], where it is, with the fields it
    /// allows: what the manifest's JSON Schema is checked against (`tests/it/schema.rs`).
    pub fields_read: Vec<FieldsRead>,
}

/// A mapping decoding read, where it is, with the fields it allows.
pub type FieldsRead = (Pos, Vec<String>);

/// The fields of one mapping, checked against the names its section allows.
/// One entry of a section of named entries ([`Decoder::entries`]).
pub struct Entry<'n> {
    /// Its name, where it is written.
    pub key: Spanned<String>,
    /// Its body.
    pub node: &'n Node,
    pub fields: Fields<'n>,
    /// Where it is, for messages: `<section>.<name>`.
    pub section: String,
}

pub struct Fields<'n> {
    entries: BTreeMap<&'n str, (&'n Node, &'n Node)>,
}

impl<'n> Fields<'n> {
    pub fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .get(key)
            .map(|(_, value)| *value)
            .filter(|value| !value.is_null())
    }

    /// The node of a field its entry must have; when it is absent, `message` and `help`
    /// are told at `at` (a present one that is malformed is the reader's to tell).
    pub fn required(
        &self,
        decoder: &mut Decoder,
        key: &str,
        at: Pos,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Option<&'n Node> {
        let node = self.get(key);
        if node.is_none() {
            decoder.error(at, message, help);
        }
        node
    }

    pub fn key_pos(&self, key: &str) -> Option<Pos> {
        self.entries.get(key).map(|(key, _)| key.pos)
    }

    /// The value of field `key` with where its key is written: what a mistake of the
    /// whole section is told at (a section that needs the network, written without one).
    /// Null, like an absent field, is none.
    pub fn with_key(&self, key: &str) -> Option<(&'n Node, Pos)> {
        self.entries
            .get(key)
            .filter(|(_, value)| !value.is_null())
            .map(|(key, value)| (*value, key.pos))
    }
}

impl Decoder {
    pub fn error(&mut self, pos: Pos, message: impl Into<String>, help: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::new(pos, message.into()).with_help(help));
    }

    /// A setting people regret, at its place, with what to write instead.
    pub fn warn(&mut self, pos: Pos, message: impl Into<String>, help: impl Into<String>) {
        self.warnings
            .push(Diagnostic::new(pos, message.into()).with_help(help));
    }

    /// Reads a mapping whose keys must be among `allowed`; unknown and repeated keys are
    /// reported with a suggestion. `section` names it in messages (`network.subnets`).
    pub fn fields<'n>(
        &mut self,
        node: &'n Node,
        section: &str,
        allowed: &[&str],
    ) -> Option<Fields<'n>> {
        self.fields_read.push((
            node.pos,
            allowed.iter().map(|field| field.to_string()).collect(),
        ));
        let NodeKind::Map(entries) = &node.kind else {
            if !node.is_null() {
                self.error(
                    node.pos,
                    format!("`{section}` must be a mapping, found {}", node.describe()),
                    format!("expected one of the fields: {}", list(allowed)),
                );
            }
            return None;
        };
        let mut fields = Fields {
            entries: BTreeMap::new(),
        };
        for (key, value) in entries {
            let Some(name) = self.key(key, section) else {
                continue;
            };
            if !allowed.contains(&name) {
                let help = match suggest(name, allowed.iter().copied()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("`{section}` accepts: {}", list(allowed)),
                };
                self.error(
                    key.pos,
                    format!("unknown field `{name}` in `{section}`"),
                    help,
                );
                continue;
            }
            if fields.entries.insert(name, (key, value)).is_some() {
                self.error(
                    key.pos,
                    format!("`{section}.{name}` is set twice"),
                    "remove one of the two",
                );
            }
        }
        Some(fields)
    }

    /// The entries of a mapping of named entries (`services: { web: {...} }`): each
    /// name a valid logical name, each body a mapping of `allowed` fields. The opening
    /// every named section shares; an entry with a mistake there is told and left out.
    pub fn entries<'n>(
        &mut self,
        node: &'n Node,
        section: &str,
        allowed: &[&str],
    ) -> Vec<Entry<'n>> {
        let mut out = Vec::new();
        for (key, body) in self.named(node, section) {
            if !valid_logical_name(self, &key) {
                continue;
            }
            let here = format!("{section}.{}", key.value);
            if let Some(fields) = self.fields(body, &here, allowed) {
                out.push(Entry {
                    key,
                    node: body,
                    fields,
                    section: here,
                });
            }
        }
        out
    }

    /// Reads a mapping of user-chosen names (`security_groups`), rejecting repeats.
    pub fn named<'n>(&mut self, node: &'n Node, section: &str) -> Vec<(Spanned<String>, &'n Node)> {
        let NodeKind::Map(entries) = &node.kind else {
            if !node.is_null() {
                self.error(
                    node.pos,
                    format!(
                        "`{section}` must be a mapping of names, found {}",
                        node.describe()
                    ),
                    "write `name: { ... }` entries",
                );
            }
            return Vec::new();
        };
        let mut seen = BTreeMap::new();
        let mut out = Vec::new();
        for (key, value) in entries {
            let Some(name) = self.key(key, section) else {
                continue;
            };
            if let Some(first) = seen.insert(name, key.pos) {
                self.error(
                    key.pos,
                    format!("duplicate name `{name}` in `{section}`"),
                    format!(
                        "`{name}` is first defined at line {}; names must be unique",
                        first.line
                    ),
                );
                continue;
            }
            out.push((
                Spanned {
                    value: name.to_string(),
                    pos: key.pos,
                },
                value,
            ));
        }
        out
    }

    fn key<'n>(&mut self, key: &'n Node, section: &str) -> Option<&'n str> {
        match &key.kind {
            NodeKind::Scalar { text, .. } => Some(text.as_str()),
            _ => {
                self.error(
                    key.pos,
                    format!("keys in `{section}` must be plain names"),
                    "write `name: value`",
                );
                None
            }
        }
    }

    pub fn string(&mut self, node: &Node, what: &str) -> Option<Spanned<String>> {
        if node.unresolved {
            return None;
        }
        match &node.kind {
            NodeKind::Scalar { text, .. } => Some(Spanned {
                value: text.clone(),
                pos: node.pos,
            }),
            _ => {
                self.error(
                    node.pos,
                    format!("`{what}` must be a string, found {}", node.describe()),
                    "write a single value",
                );
                None
            }
        }
    }

    pub fn bool(&mut self, node: &Node, what: &str) -> Option<bool> {
        if node.unresolved {
            return None;
        }
        let read = node.as_bool();
        if read.is_none() {
            self.error(
                node.pos,
                format!("`{what}` must be `true` or `false`"),
                "write `true` or `false` without quotes",
            );
        }
        read
    }

    /// An integer within `range`; quoted numbers are accepted only when they came from a variable.
    pub fn int(&mut self, node: &Node, what: &str, min: i64, max: i64) -> Option<Spanned<i64>> {
        if node.unresolved {
            return None;
        }
        if node.is_quoted_number() {
            let NodeKind::Scalar { text, .. } = &node.kind else {
                return None;
            };
            self.error(
                node.pos,
                format!("`{what}` must be a number, found the text \"{text}\" (in quotes)"),
                format!("write it without quotes: `{what}: {}`", text.trim()),
            );
            return None;
        }
        let parsed = match &node.kind {
            NodeKind::Scalar { text, .. } => text.trim().parse::<i64>().ok(),
            _ => None,
        };
        match parsed {
            Some(value) if (min..=max).contains(&value) => Some(Spanned {
                value,
                pos: node.pos,
            }),
            Some(value) => {
                self.error(
                    node.pos,
                    format!("`{what}` is {value}, outside {min}..={max}"),
                    format!("use a number from {min} to {max}"),
                );
                None
            }
            None => {
                self.error(
                    node.pos,
                    format!("`{what}` must be a whole number, found {}", node.describe()),
                    format!("use a number from {min} to {max}"),
                );
                None
            }
        }
    }

    /// A list, or a single item standing for a list of one.
    pub fn list<'n>(&mut self, node: &'n Node) -> Vec<&'n Node> {
        match &node.kind {
            NodeKind::Seq(items) => items.iter().collect(),
            _ if node.is_null() => Vec::new(),
            _ => vec![node],
        }
    }

    /// One of a fixed set of words.
    pub fn choice(&mut self, node: &Node, what: &str, choices: &[&str]) -> Option<Spanned<String>> {
        let value = self.string(node, what)?;
        if choices.contains(&value.value.as_str()) {
            return Some(value);
        }
        let help = match suggest(&value.value, choices.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("use one of: {}", list(choices)),
        };
        self.error(
            node.pos,
            format!("`{what}` cannot be `{}`", value.value),
            help,
        );
        None
    }
}

/// Whether AWS takes `name` where it allows 1-`max` letters, digits, `-` and `_` (SNS
/// topics, WAF web ACLs and rules).
pub fn plain_name(name: &str, max: usize) -> bool {
    (1..=max).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A resource's AWS name of that kind ([`plain_name`]): its `name` field, or
/// `<stack>-<key>`; `None` once an error is reported. `note` ends the help.
pub fn plain_name_field(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    default: String,
    max: usize,
    what: &str,
    note: &str,
) -> Option<String> {
    let Some(node) = fields.get("name") else {
        return Some(default);
    };
    let name = decoder.string(node, "name")?;
    if plain_name(&name.value, max) {
        return Some(name.value);
    }
    decoder.error(
        name.pos,
        format!("`{}` is not a valid {what} name", name.value),
        format!("use 1-{max} letters, digits, `-` and `_`{note}"),
    );
    None
}

pub fn list(words: &[&str]) -> String {
    words
        .iter()
        .map(|word| format!("`{word}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A mapping's field as written, when it is present and not null (as [`Fields::get`]
/// reads it): what a section reads of another's entries (a service's `alarms`).
pub fn field<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    let NodeKind::Map(entries) = &node.kind else {
        return None;
    };
    // The last copy of a field written twice, as `Decoder::fields` keeps it.
    let value = entries
        .iter()
        .rev()
        .find_map(|(name, value)| match &name.kind {
            NodeKind::Scalar { text, .. } if text == key => Some(value),
            _ => None,
        })?;
    (!value.is_null()).then_some(value)
}

pub fn named_positions(node: &Node) -> Vec<(Spanned<String>, &Node)> {
    let NodeKind::Map(entries) = &node.kind else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|(key, value)| match &key.kind {
            NodeKind::Scalar { text, .. } => Some((
                Spanned {
                    value: text.clone(),
                    pos: key.pos,
                },
                value,
            )),
            _ => None,
        })
        .collect()
}

pub fn valid_logical_name(decoder: &mut Decoder, name: &Spanned<String>) -> bool {
    let ok = name.value.len() <= 48
        && name.value.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !ok {
        decoder.error(
            name.pos,
            format!("name `{}` is not valid here", name.value),
            "use up to 48 lowercase letters, digits, `-` and `_`, starting with a letter",
        );
    }
    ok
}

pub fn flag(decoder: &mut Decoder, fields: &Fields<'_>, key: &str, default: bool) -> bool {
    fields
        .get(key)
        .and_then(|node| decoder.bool(node, key))
        .unwrap_or(default)
}

/// A reference to something defined elsewhere in the manifest, with a suggestion.
pub fn reference(
    decoder: &mut Decoder,
    name: &Spanned<String>,
    kind: &str,
    known: &[String],
) -> bool {
    if known.contains(&name.value) {
        return true;
    }
    let help = match suggest(&name.value, known.iter().map(String::as_str)) {
        Some(close) => format!("did you mean `{close}`?"),
        None if known.is_empty() => format!("no {kind}s are defined"),
        None => format!(
            "defined {kind}s: {}",
            list(&known.iter().map(String::as_str).collect::<Vec<_>>())
        ),
    };
    decoder.error(name.pos, format!("unknown {kind} `{}`", name.value), help);
    false
}

/// An optional list field's strings, as text (none when the field is absent).
pub fn texts(decoder: &mut Decoder, node: Option<&Node>, what: &str) -> Vec<String> {
    node.map(|node| strings(decoder, node, what))
        .unwrap_or_default()
        .into_iter()
        .map(|item| item.value)
        .collect()
}

/// A list of strings, each with its place.
pub fn strings(decoder: &mut Decoder, node: &Node, what: &str) -> Vec<Spanned<String>> {
    let items = decoder.list(node);
    items
        .into_iter()
        .filter_map(|item| decoder.string(item, what))
        .collect()
}
