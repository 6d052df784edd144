//! One manifest for several environments. `environments:` names them, each with the values
//! it gives variables (beneath `--var` and `EDGECTL_VAR_`, above a variable's default);
//! `--env NAME` (or `EDGECTL_ENV`) chooses one, and `${env}` is its name:
//!
//! ```yaml
//! stack: happyrobot-${env}
//! environments:
//!   dev:  { log_days: 7,  backup_days: 1 }
//!   prod: { log_days: 30, backup_days: 7 }
//! ```
//!
//! `production: true` in an environment's body marks it as production (it sets no
//! variable): what people regret there, a `latest` image, is warned of.
//!
//! Any entry of a section, or item of a list, may say where it exists: `only: prod` (or a
//! list of environments), and `when: ${var.certificate_arn}` (kept when the text is not
//! empty, `false`, `no`, `off` or `0`). Both keys are removed before decoding, so every
//! kind has them.

use std::collections::BTreeMap;

use super::decode::Decoder;
use super::diag::{Pos, suggest};
use super::yaml::{Node, NodeKind};

/// The environments a manifest declares, with the variable values of each.
#[derive(Clone, Debug, Default)]
pub struct Environments {
    /// Where `environments:` is (the anchor of errors about choosing one).
    pub pos: Option<Pos>,
    pub declared: BTreeMap<String, BTreeMap<String, (Pos, String)>>,
    /// Those marked `production: true`.
    pub production: std::collections::BTreeSet<String>,
}

/// The key of an environment's body that marks it as production (not a variable's value):
/// settings regretted there are warned of.
pub const PRODUCTION: &str = "production";

/// Removes `environments:` from the tree (it is never substituted) and reads it.
pub fn take(decoder: &mut Decoder, root: &mut Node) -> Environments {
    let mut environments = Environments::default();
    let NodeKind::Map(entries) = &mut root.kind else {
        return environments;
    };
    let Some(index) = entries.iter().position(
        |(key, _)| matches!(&key.kind, NodeKind::Scalar { text, .. } if text == "environments"),
    ) else {
        return environments;
    };
    let (key, section) = entries.remove(index);
    environments.pos = Some(key.pos);
    for (name, body) in decoder.named(&section, "environments") {
        if !super::vars::valid_name(&name.value.replace('-', "_")) {
            decoder.error(
                name.pos,
                format!("environment name `{}` is not valid", name.value),
                "use letters, digits, `-` and `_`, starting with a letter (`dev`, `prod`)",
            );
            continue;
        }
        let mut values = BTreeMap::new();
        if !body.is_null() {
            for (variable, value) in decoder.named(body, &format!("environments.{}", name.value)) {
                if variable.value == PRODUCTION {
                    if decoder.bool(value, PRODUCTION) == Some(true) {
                        environments.production.insert(name.value.clone());
                    }
                    continue;
                }
                if let Some(text) = decoder.string(value, &variable.value) {
                    values.insert(variable.value, (variable.pos, text.value));
                }
            }
        }
        environments.declared.insert(name.value, values);
    }
    environments
}

impl Environments {
    /// The chosen environment's name and variable values, checked: one is chosen exactly
    /// when the manifest declares some, it is declared, and its values set declared
    /// variables.
    pub fn choose(
        &self,
        chosen: Option<&str>,
        variables: &BTreeMap<String, super::vars::Declaration>,
        decoder: &mut Decoder,
    ) -> (Option<String>, BTreeMap<String, String>) {
        let names = || {
            self.declared
                .keys()
                .map(|name| format!("`--env {name}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        };
        for values in self.declared.values() {
            for (variable, (pos, _)) in values {
                if !variables.contains_key(variable) {
                    let help = match suggest(variable, variables.keys().map(String::as_str)) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => format!(
                            "declare it under `variables:` as `{variable}: {{ default: ... }}`"
                        ),
                    };
                    decoder.error(
                        *pos,
                        format!(
                            "an environment sets `{variable}`, which is not a declared variable"
                        ),
                        help,
                    );
                }
            }
        }
        if let Some(pos) = self.pos
            && variables.contains_key(PRODUCTION)
        {
            decoder.error(
                pos,
                format!("a variable is named `{PRODUCTION}`, which environments cannot set: in an environment's body, `{PRODUCTION}: true` marks it as production"),
                format!("rename the variable `{PRODUCTION}` (`is_production`, `prod_scale`)"),
            );
        }
        let Some(pos) = self.pos else {
            if let Some(chosen) = chosen {
                decoder.error(
                    Pos { line: 1, column: 1, len: 1 },
                    format!("`--env {chosen}` chosen, but the manifest declares no environments"),
                    "declare them under `environments:` (`dev: {}`, `prod: {}`), or leave out `--env`",
                );
            }
            return (None, BTreeMap::new());
        };
        match chosen {
            None => {
                decoder.error(
                    pos,
                    "the manifest declares environments, and none is chosen",
                    format!("choose one: {}, or set EDGECTL_ENV", names()),
                );
                (None, BTreeMap::new())
            }
            Some(chosen) => match self.declared.get(chosen) {
                Some(values) => (
                    Some(chosen.to_string()),
                    values
                        .iter()
                        .map(|(name, (_, value))| (name.clone(), value.clone()))
                        .collect(),
                ),
                None => {
                    let help = match suggest(chosen, self.declared.keys().map(String::as_str)) {
                        Some(close) => format!("did you mean `--env {close}`?"),
                        None => format!("choose one of: {}", names()),
                    };
                    decoder.error(
                        pos,
                        format!(
                            "`--env {chosen}`: the manifest declares no environment `{chosen}`"
                        ),
                        help,
                    );
                    (None, BTreeMap::new())
                }
            },
        }
    }
}

/// Keeps only what exists in `environment`: entries of sections and list items whose
/// `only:` or `when:` says otherwise are removed, and both keys go from the rest.
pub fn prune(
    root: &mut Node,
    environments: &Environments,
    environment: Option<&str>,
    decoder: &mut Decoder,
) {
    let NodeKind::Map(sections) = &mut root.kind else {
        return;
    };
    for (_, section) in sections.iter_mut() {
        prune_children(section, environments, environment, decoder);
    }
}

/// Prunes the entries or items of `node`, and below them.
fn prune_children(
    node: &mut Node,
    environments: &Environments,
    environment: Option<&str>,
    decoder: &mut Decoder,
) {
    match &mut node.kind {
        NodeKind::Scalar { .. } => {}
        NodeKind::Seq(items) => {
            items.retain_mut(|item| keep(item, environments, environment, decoder));
            for item in items.iter_mut() {
                prune_children(item, environments, environment, decoder);
            }
        }
        NodeKind::Map(entries) => {
            entries.retain_mut(|(key, value)| {
                free_form(key) || keep(value, environments, environment, decoder)
            });
            for (key, value) in entries.iter_mut() {
                if !free_form(key) {
                    prune_children(value, environments, environment, decoder);
                }
            }
        }
    }
}

/// Maps whose keys are the user's own names (a tag, an environment variable, a database
/// parameter), where `only` and `when` are names like any other.
fn free_form(key: &Node) -> bool {
    matches!(&key.kind, NodeKind::Scalar { text, .. }
        if FREE_FORM.contains(&text.as_str()))
}

const FREE_FORM: &[&str] = &[
    "tags",
    "environment",
    "secrets",
    "parameters",
    "headers",
    "dimensions",
    "variables",
];

/// Whether a mapping exists here (its `only:` and `when:` taken out); anything else does.
fn keep(
    node: &mut Node,
    environments: &Environments,
    environment: Option<&str>,
    decoder: &mut Decoder,
) -> bool {
    let NodeKind::Map(entries) = &mut node.kind else {
        return true;
    };
    let mut keep = true;
    let mut index = 0;
    while index < entries.len() {
        let key = match &entries[index].0.kind {
            NodeKind::Scalar { text, .. } => text.clone(),
            _ => String::new(),
        };
        if key != "only" && key != "when" {
            index += 1;
            continue;
        }
        let (key_node, value) = entries.remove(index);
        if key == "only" {
            keep &= only(&key_node, &value, environments, environment, decoder);
        } else {
            keep &= when(&value, decoder);
        }
    }
    keep
}

fn only(
    key: &Node,
    value: &Node,
    environments: &Environments,
    environment: Option<&str>,
    decoder: &mut Decoder,
) -> bool {
    let names: Vec<&Node> = match &value.kind {
        NodeKind::Seq(items) => items.iter().collect(),
        _ => vec![value],
    };
    if environments.pos.is_none() {
        decoder.error(
            key.pos,
            "`only:` names environments, and the manifest declares none",
            "declare them under `environments:` (`dev: {}`, `prod: {}`)",
        );
        return true;
    }
    let mut found = false;
    for name in names {
        let Some(text) = decoder.string(name, "only") else {
            continue;
        };
        if !environments.declared.contains_key(&text.value) {
            let help = match suggest(
                &text.value,
                environments.declared.keys().map(String::as_str),
            ) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!(
                    "declared: {}",
                    environments
                        .declared
                        .keys()
                        .map(|name| format!("`{name}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            decoder.error(
                text.pos,
                format!("`only: {}` names no declared environment", text.value),
                help,
            );
            continue;
        }
        found |= Some(text.value.as_str()) == environment;
    }
    found
}

fn when(value: &Node, decoder: &mut Decoder) -> bool {
    if value.unresolved {
        return true;
    }
    match &value.kind {
        NodeKind::Scalar { text, .. } => truthy(text),
        _ if value.is_null() => false,
        _ => {
            decoder.error(
                value.pos,
                format!("`when:` takes one value, found {}", value.describe()),
                "write `when: ${var.NAME}`: the entry exists when the value is neither empty nor `false`",
            );
            true
        }
    }
}

/// Whether a `when:` value keeps its entry.
pub fn truthy(text: &str) -> bool {
    let text = text.trim();
    !(text.is_empty()
        || ["false", "no", "off", "0"]
            .iter()
            .any(|no| text.eq_ignore_ascii_case(no)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_and_when_keep_what_exists_here() {
        let text = "stack: s\nenvironments:\n  dev: {}\n  prod: { days: \"30\" }\nbuckets:\n  logs: { only: prod, name: a }\n  site: { only: [dev, prod], name: b, tags: { only: me } }\nload_balancers:\n  alb:\n    listeners:\n      - { port: 80 }\n      - { port: 443, when: \"\" }\n";
        let mut root = super::super::yaml::parse(text).unwrap();
        let mut decoder = Decoder::default();
        let environments = take(&mut decoder, &mut root);
        assert_eq!(environments.declared["prod"]["days"].1, "30");
        prune(&mut root, &environments, Some("dev"), &mut decoder);
        assert!(decoder.diagnostics.is_empty(), "{:?}", decoder.diagnostics);
        let NodeKind::Map(sections) = &root.kind else {
            panic!()
        };
        let keys = |node: &Node| match &node.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .map(|(key, _)| match &key.kind {
                    NodeKind::Scalar { text, .. } => text.clone(),
                    _ => String::new(),
                })
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        assert_eq!(keys(&sections[1].1), vec!["site"]);
        let site = &match &sections[1].1.kind {
            NodeKind::Map(entries) => entries,
            _ => panic!(),
        }[0]
        .1;
        // A tag named `only` is a tag.
        assert_eq!(keys(site), vec!["name", "tags"]);
        let NodeKind::Map(alb) = &sections[2].1.kind else {
            panic!()
        };
        let NodeKind::Map(fields) = &alb[0].1.kind else {
            panic!()
        };
        let NodeKind::Seq(listeners) = &fields[0].1.kind else {
            panic!()
        };
        assert_eq!(listeners.len(), 1);
        assert!(truthy("arn:aws:acm:...") && !truthy("False") && !truthy(" "));
    }

    #[test]
    fn an_environment_is_chosen_exactly_when_declared() {
        let mut root = super::super::yaml::parse(
            "stack: s\nenvironments:\n  dev: { dayz: \"7\" }\n  prod: {}\n",
        )
        .unwrap();
        let mut decoder = Decoder::default();
        let environments = take(&mut decoder, &mut root);
        let variables = BTreeMap::from([(
            "days".to_string(),
            super::super::vars::Declaration {
                pos: Pos::default(),
                default: None,
                description: None,
                sensitive: false,
            },
        )]);
        environments.choose(None, &variables, &mut decoder);
        environments.choose(Some("prd"), &variables, &mut decoder);
        let (chosen, _) = environments.choose(Some("prod"), &variables, &mut decoder);
        assert_eq!(chosen.as_deref(), Some("prod"));
        let messages: Vec<String> = decoder
            .diagnostics
            .iter()
            .map(|d| format!("{} ({})", d.message, d.help.clone().unwrap_or_default()))
            .collect();
        assert_eq!(
            messages,
            vec![
                "an environment sets `dayz`, which is not a declared variable (did you mean `days`?)",
                "the manifest declares environments, and none is chosen (choose one: `--env dev` or `--env prod`, or set EDGECTL_ENV)",
                "an environment sets `dayz`, which is not a declared variable (did you mean `days`?)",
                "`--env prd`: the manifest declares no environment `prd` (did you mean `--env prod`?)",
                "an environment sets `dayz`, which is not a declared variable (did you mean `days`?)",
            ]
        );
    }
}
