//! What every section declares, read from the tree once before any section is decoded:
//! the names a reference may name (`keys.<name>`, `${load_balancers.<key>.dns_name}`, a
//! topic an alarm notifies). A section checks its references against this, not against
//! another section's decoding, so sections decode in any order and alone (a kind's own
//! section in `kinds/` as much as the manifest's own), and a name whose own entry has
//! mistakes is still declared: its mistakes are reported once, where they are, and the
//! references to it add nothing.

use std::collections::BTreeMap;

use super::yaml::{Node, NodeKind};

/// Section -> the names it declares, as written and in order; and what each entry says
/// of itself as written (`generate: false`, the keys of its `access_points`), for the few
/// checks one section makes of another's entries before either is decoded. Each fact is
/// read the way the section's decoder reads it (a boolean by `Node::as_bool`, a list by
/// `Decoder::list`, a null field as absent), so that it agrees with the decoding on every
/// manifest the decoding accepts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Declared {
    names: BTreeMap<String, Vec<String>>,
    /// (section, name) -> what the entry writes.
    entries: BTreeMap<(String, String), Written>,
}

/// What one entry writes, field by field (null fields left out).
#[derive(Clone, Debug, Default, PartialEq)]
struct Written {
    /// Every field it writes.
    fields: Vec<String>,
    /// Its fields that read as booleans.
    flags: BTreeMap<String, bool>,
    /// Its scalar fields' text, plain or quoted.
    text: BTreeMap<String, String>,
    /// Its map fields' keys: the names it declares inside itself (a file system's access
    /// points).
    nested: BTreeMap<String, Vec<String>>,
    /// How many items each list field holds (a single value is a list of one).
    listed: BTreeMap<String, usize>,
}

impl Written {
    fn of(fields: &[(Node, Node)]) -> Self {
        let mut written = Self::default();
        for (field, value) in fields {
            let Some(field) = scalar(field) else {
                continue;
            };
            if value.is_null() {
                continue;
            }
            let field = field.to_string();
            written.fields.push(field.clone());
            if let Some(flag) = value.as_bool() {
                written.flags.insert(field.clone(), flag);
            }
            let count = match &value.kind {
                NodeKind::Scalar { text, .. } => {
                    written.text.insert(field.clone(), text.clone());
                    1
                }
                NodeKind::Map(_) => {
                    written.nested.insert(field.clone(), keys(value));
                    1
                }
                NodeKind::Seq(items) => items.len(),
            };
            written.listed.insert(field, count);
        }
        written
    }
}

impl Declared {
    /// Every top-level section's declared names: the keys of its map (`network`: `vpc`
    /// and its tiers of subnets, which `${network.<tier>.ids}` names).
    pub fn scan(root: &Node) -> Self {
        let NodeKind::Map(sections) = &root.kind else {
            return Self::default();
        };
        let mut declared = Self::default();
        for (key, body) in sections {
            let Some(section) = scalar(key) else {
                continue;
            };
            let names = match section {
                "network" => std::iter::once("vpc".to_string())
                    .chain(entry(body, "subnets").map(keys).unwrap_or_default())
                    .collect(),
                _ => keys(body),
            };
            if let NodeKind::Map(entries) = &body.kind {
                for (name, fields) in entries {
                    if let (Some(name), NodeKind::Map(fields)) = (scalar(name), &fields.kind) {
                        declared
                            .entries
                            .insert((section.to_string(), name.to_string()), Written::of(fields));
                    }
                }
            }
            declared.names.insert(section.to_string(), names);
        }
        declared
    }

    /// The same, with a section written under a misspelt key (`security_group:`, refused
    /// with its suggestion) declaring its names under the key it was meant as (`suggest`
    /// among `known`, when that key is not written too): the misspelling is the one error
    /// told, not every reference to what the section declares.
    pub fn as_meant(mut self, known: &[&str]) -> Self {
        let misspelt: Vec<(String, &str)> = self
            .names
            .keys()
            .filter(|section| !known.contains(&section.as_str()))
            .filter_map(|section| {
                let meant = super::diag::suggest(section, known.iter().copied())?;
                Some((section.clone(), meant))
            })
            .filter(|(_, meant)| !self.names.contains_key(*meant))
            .collect();
        for (written, meant) in misspelt {
            let names = self.names.get(&written).cloned().unwrap_or_default();
            self.names.insert(meant.to_string(), names);
            let entries: Vec<((String, String), Written)> = self
                .entries
                .iter()
                .filter(|((section, _), _)| *section == written)
                .map(|((_, name), fields)| ((meant.to_string(), name.clone()), fields.clone()))
                .collect();
            self.entries.extend(entries);
        }
        self
    }

    /// The names `section` declares (none when the manifest has no such section).
    pub fn names(&self, section: &str) -> &[String] {
        self.names.get(section).map_or(&[], Vec::as_slice)
    }

    fn written(&self, section: &str, name: &str) -> Option<&Written> {
        self.entries.get(&(section.to_string(), name.to_string()))
    }

    /// The names of `section` whose entry's `field` reads as the boolean `value` (as
    /// `Decoder::bool` reads it): the secrets made without a value (`generate: false`),
    /// the distributions without IPv6.
    pub fn flagged(&self, section: &str, field: &str, value: bool) -> Vec<&str> {
        self.names(section)
            .iter()
            .filter(|name| {
                self.written(section, name)
                    .and_then(|written| written.flags.get(field))
                    == Some(&value)
            })
            .map(String::as_str)
            .collect()
    }

    /// The names of `section` whose entry writes `field: value`, plain or quoted (a
    /// choice of words: the buckets whose `object_ownership` is `preferred`).
    pub fn saying_text(&self, section: &str, field: &str, value: &str) -> Vec<&str> {
        self.names(section)
            .iter()
            .filter(|name| {
                self.written(section, name)
                    .and_then(|written| written.text.get(field))
                    .is_some_and(|written| written == value)
            })
            .map(String::as_str)
            .collect()
    }

    /// The names of `section` whose entry writes `field` (not null), whatever its value
    /// (the distributions that name a web ACL of their own).
    pub fn writing(&self, section: &str, field: &str) -> Vec<&str> {
        self.names(section)
            .iter()
            .filter(|name| {
                self.written(section, name)
                    .is_some_and(|written| written.fields.iter().any(|known| known == field))
            })
            .map(String::as_str)
            .collect()
    }

    /// How many items entry `name` of `section` lists under its `field` (a cluster's
    /// `default_strategy`; a single value is a list of one, as `Decoder::list` reads it);
    /// 0 when it writes no such field.
    pub fn listed(&self, section: &str, name: &str, field: &str) -> usize {
        self.written(section, name)
            .and_then(|written| written.listed.get(field))
            .copied()
            .unwrap_or(0)
    }

    /// The names entry `name` of `section` declares under its `field` map, as written
    /// (`file_systems.data.access_points`); none when it writes no such map.
    pub fn nested(&self, section: &str, name: &str, field: &str) -> &[String] {
        self.written(section, name)
            .and_then(|written| written.nested.get(field))
            .map_or(&[], Vec::as_slice)
    }

    /// Whether `section` declares `name`.
    pub fn has(&self, section: &str, name: &str) -> bool {
        self.names(section).iter().any(|known| known == name)
    }
}

fn scalar(node: &Node) -> Option<&str> {
    match &node.kind {
        NodeKind::Scalar { text, .. } => Some(text),
        _ => None,
    }
}

fn entry<'n>(node: &'n Node, name: &str) -> Option<&'n Node> {
    match &node.kind {
        NodeKind::Map(entries) => entries
            .iter()
            .find(|(key, _)| scalar(key) == Some(name))
            .map(|(_, value)| value),
        _ => None,
    }
}

/// The keys of a map, as written; nothing for any other node.
fn keys(node: &Node) -> Vec<String> {
    match &node.kind {
        NodeKind::Map(entries) => entries
            .iter()
            .filter_map(|(key, _)| scalar(key).map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> Declared {
        let root = crate::yaml::parse(text).expect("parses");
        Declared::scan(&root)
    }

    #[test]
    fn every_section_declares_its_keys_as_written() {
        let declared = scan(
            "stack: s\nnetwork:\n  cidr: 10.0.0.0/16\n  subnets:\n    public: {}\n    private: {}\n\
             topics:\n  alerts: {}\n  BAD NAME: {}\nkeys:\n  main: {}\n",
        );
        assert_eq!(declared.names("network"), ["vpc", "public", "private"]);
        assert_eq!(declared.names("topics"), ["alerts", "BAD NAME"]);
        assert!(declared.has("keys", "main"));
        assert!(!declared.has("keys", "other"));
        assert!(declared.names("secrets").is_empty());
    }

    /// A misspelt section declares what it was meant as, unless that one is written too;
    /// a key like no known one declares nothing more.
    #[test]
    fn a_misspelt_section_declares_what_it_was_meant_as() {
        let known = ["security_groups", "topics", "clusters"];
        let declared = scan(
            "security_group:
  web: {ingress: []}
clusterz:
  main: {}
foo:
  bar: {}
",
        )
        .as_meant(&known);
        assert_eq!(declared.names("security_groups"), ["web"]);
        assert!(declared.has("security_groups", "web"));
        assert_eq!(declared.names("clusters"), ["main"]);
        assert!(declared.names("topics").is_empty());
        let both = scan(
            "security_group:
  web: {}
security_groups:
  db: {}
",
        )
        .as_meant(&known);
        assert_eq!(both.names("security_groups"), ["db"]);
    }

    #[test]
    fn an_entry_s_booleans_read_as_the_decoder_reads_them() {
        let declared = scan(
            "secrets:\n  a: {generate: false}\n  b: {generate: \"false\"}\n  c: {}\n  d:\n    generate: false\n  e: {generate: False}\n  f: {generate: TRUE}\n  g: {generate: nope}\n  h: {generate: ~}\n",
        );
        // Plain in YAML's spellings, or quoted exactly (a variable's value).
        assert_eq!(
            declared.flagged("secrets", "generate", false),
            ["a", "b", "d", "e"]
        );
        assert_eq!(declared.flagged("secrets", "generate", true), ["f"]);
        assert!(declared.flagged("keys", "generate", false).is_empty());
        assert_eq!(
            declared.writing("secrets", "generate"),
            ["a", "b", "d", "e", "f", "g"]
        );
        assert_eq!(
            declared.saying_text("secrets", "generate", "false"),
            ["a", "b", "d"]
        );
        assert!(declared.writing("secrets", "value").is_empty());
    }

    #[test]
    fn an_entry_declares_the_keys_of_its_maps() {
        let declared = scan(
            "file_systems:\n  data:\n    access_points:\n      influx: {}\n      grafana: {}\n    subnets: private\n  bare: {}\n",
        );
        assert_eq!(
            declared.nested("file_systems", "data", "access_points"),
            ["influx", "grafana"]
        );
        assert!(
            declared
                .nested("file_systems", "data", "subnets")
                .is_empty()
        );
        assert!(
            declared
                .nested("file_systems", "bare", "access_points")
                .is_empty()
        );
        assert!(
            declared
                .nested("file_systems", "other", "access_points")
                .is_empty()
        );
    }

    #[test]
    fn an_entry_says_how_many_items_its_lists_hold_as_the_decoder_reads_them() {
        let declared = scan(
            "clusters:\n  main:\n    default_strategy:\n      - { provider: FARGATE }\n      - { provider: FARGATE_SPOT }\n    capacity_providers: FARGATE\n  bare: { default_strategy: [] }\n  one: { default_strategy: { provider: FARGATE } }\n  none: { default_strategy: ~ }\ndistributions:\n  cdn: { web_acl: ~ }\n  own: { web_acl: arn }\n",
        );
        assert_eq!(declared.listed("clusters", "main", "default_strategy"), 2);
        // A single value is a list of one, as the decoder reads it; null is none.
        assert_eq!(declared.listed("clusters", "main", "capacity_providers"), 1);
        assert_eq!(declared.listed("clusters", "one", "default_strategy"), 1);
        assert_eq!(declared.listed("clusters", "bare", "default_strategy"), 0);
        assert_eq!(declared.listed("clusters", "none", "default_strategy"), 0);
        assert_eq!(declared.listed("clusters", "other", "default_strategy"), 0);
        // A null field is not written.
        assert_eq!(declared.writing("distributions", "web_acl"), ["own"]);
    }
}
