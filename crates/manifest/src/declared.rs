//! What every section declares, read from the tree once before any section is decoded:
//! the names a reference may name (`keys.<name>`, `${load_balancers.<key>.dns_name}`, a
//! topic an alarm notifies). A section checks its references against this, not against
//! another section's decoding, so sections decode in any order and alone (a kind's own
//! section in `kinds/` as much as the built-in ones), and a name whose own entry has
//! mistakes is still declared: its mistakes are reported once, where they are, and the
//! references to it add nothing.

use std::collections::BTreeMap;

use super::yaml::{Node, NodeKind};

/// Section -> the names it declares, as written and in order; and what each entry says
/// of itself in plain words (`generate: false`), for the few checks one section makes of
/// another's entries before either is decoded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Declared {
    names: BTreeMap<String, Vec<String>>,
    /// (section, name) -> the entry's fields written as plain scalars.
    plain: BTreeMap<(String, String), BTreeMap<String, String>>,
    /// (section, name) -> the entry's fields written as scalars, plain or quoted.
    text: BTreeMap<(String, String), BTreeMap<String, String>>,
    /// (section, name) -> the entry's fields written as maps, with their keys: the names
    /// an entry declares inside itself (a file system's access points).
    nested: BTreeMap<(String, String), BTreeMap<String, Vec<String>>>,
    /// (section, name) -> the entry's fields written as lists, with their lengths.
    listed: BTreeMap<(String, String), BTreeMap<String, usize>>,
    /// (section, name) -> every field the entry writes.
    written: BTreeMap<(String, String), Vec<String>>,
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
                        let plain = fields
                            .iter()
                            .filter_map(|(field, value)| match &value.kind {
                                NodeKind::Scalar { text, plain: true } => {
                                    Some((scalar(field)?.to_string(), text.clone()))
                                }
                                _ => None,
                            })
                            .collect();
                        let nested = fields
                            .iter()
                            .filter(|(_, value)| matches!(value.kind, NodeKind::Map(_)))
                            .filter_map(|(field, value)| {
                                Some((scalar(field)?.to_string(), keys(value)))
                            })
                            .collect();
                        let listed = fields
                            .iter()
                            .filter_map(|(field, value)| match &value.kind {
                                NodeKind::Seq(items) => {
                                    Some((scalar(field)?.to_string(), items.len()))
                                }
                                _ => None,
                            })
                            .collect();
                        let text = fields
                            .iter()
                            .filter_map(|(field, value)| match &value.kind {
                                NodeKind::Scalar { text, .. } => {
                                    Some((scalar(field)?.to_string(), text.clone()))
                                }
                                _ => None,
                            })
                            .collect();
                        let at = (section.to_string(), name.to_string());
                        declared.text.insert(at.clone(), text);
                        let written = fields
                            .iter()
                            .filter_map(|(field, _)| scalar(field).map(str::to_string))
                            .collect();
                        declared.written.insert(at.clone(), written);
                        declared.plain.insert(at.clone(), plain);
                        declared.nested.insert(at.clone(), nested);
                        declared.listed.insert(at, listed);
                    }
                }
            }
            declared.names.insert(section.to_string(), names);
        }
        declared
    }

    /// The names `section` declares (none when the manifest has no such section).
    pub fn names(&self, section: &str) -> &[String] {
        self.names.get(section).map_or(&[], Vec::as_slice)
    }

    /// The names of `section` whose entry writes `field: value` (a plain scalar, as
    /// written): the secrets made without a value (`generate: false`), which no container
    /// may read.
    pub fn saying(&self, section: &str, field: &str, value: &str) -> Vec<&str> {
        self.names(section)
            .iter()
            .filter(|name| {
                self.plain
                    .get(&(section.to_string(), name.to_string()))
                    .and_then(|fields| fields.get(field))
                    .is_some_and(|written| written == value)
            })
            .map(String::as_str)
            .collect()
    }

    /// The names entry `name` of `section` declares under its `field` map, as written
    /// (`file_systems.data.access_points`); none when it writes no such map.
    pub fn nested(&self, section: &str, name: &str, field: &str) -> &[String] {
        self.nested
            .get(&(section.to_string(), name.to_string()))
            .and_then(|fields| fields.get(field))
            .map_or(&[], Vec::as_slice)
    }

    /// The names of `section` whose entry writes `field: value`, plain or quoted (a
    /// choice of words: the buckets whose `object_ownership` is `preferred`).
    pub fn saying_text(&self, section: &str, field: &str, value: &str) -> Vec<&str> {
        self.names(section)
            .iter()
            .filter(|name| {
                self.text
                    .get(&(section.to_string(), name.to_string()))
                    .and_then(|fields| fields.get(field))
                    .is_some_and(|written| written == value)
            })
            .map(String::as_str)
            .collect()
    }

    /// The names of `section` whose entry writes `field`, whatever its value (the
    /// distributions that name a web ACL of their own).
    pub fn writing(&self, section: &str, field: &str) -> Vec<&str> {
        self.names(section)
            .iter()
            .filter(|name| {
                self.written
                    .get(&(section.to_string(), name.to_string()))
                    .is_some_and(|fields| fields.iter().any(|written| written == field))
            })
            .map(String::as_str)
            .collect()
    }

    /// How many items entry `name` of `section` lists under its `field` (a cluster's
    /// `default_strategy`); 0 when it writes no such list.
    pub fn listed(&self, section: &str, name: &str, field: &str) -> usize {
        self.listed
            .get(&(section.to_string(), name.to_string()))
            .and_then(|fields| fields.get(field))
            .copied()
            .unwrap_or(0)
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

    #[test]
    fn an_entry_says_what_it_writes_in_plain_words_only() {
        let declared = scan(
            "secrets:\n  a: {generate: false}\n  b: {generate: \"false\"}\n  c: {}\n  d:\n    generate: false\n",
        );
        assert_eq!(declared.saying("secrets", "generate", "false"), ["a", "d"]);
        assert!(declared.saying("keys", "generate", "false").is_empty());
        assert_eq!(declared.writing("secrets", "generate"), ["a", "b", "d"]);
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
}
