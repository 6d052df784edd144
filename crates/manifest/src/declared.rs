//! What every section declares, read from the tree once before any section is decoded:
//! the names a reference may name (`keys.<name>`, `${load_balancers.<key>.dns_name}`, a
//! topic an alarm notifies). A section checks its references against this, not against
//! another section's decoding, so sections decode in any order and alone (a kind's own
//! section in `kinds/` as much as the built-in ones), and a name whose own entry has
//! mistakes is still declared: its mistakes are reported once, where they are, and the
//! references to it add nothing.

use std::collections::BTreeMap;

use super::yaml::{Node, NodeKind};

/// Section -> the names it declares, as written and in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Declared(BTreeMap<String, Vec<String>>);

impl Declared {
    /// Every top-level section's declared names: the keys of its map (`network`: `vpc`
    /// and its tiers of subnets, which `${network.<tier>.ids}` names).
    pub fn scan(root: &Node) -> Self {
        let NodeKind::Map(sections) = &root.kind else {
            return Self::default();
        };
        let declared = sections
            .iter()
            .filter_map(|(key, body)| {
                let section = scalar(key)?;
                let names = match section {
                    "network" => std::iter::once("vpc".to_string())
                        .chain(entry(body, "subnets").map(keys).unwrap_or_default())
                        .collect(),
                    _ => keys(body),
                };
                Some((section.to_string(), names))
            })
            .collect();
        Self(declared)
    }

    /// The names `section` declares (none when the manifest has no such section).
    pub fn names(&self, section: &str) -> &[String] {
        self.0.get(section).map_or(&[], Vec::as_slice)
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
}
