//! References to live values of the stack's own resources, written
//! `${<section>.<key>.<attribute>}` inside any string (`${load_balancers.alb.dns_name}`,
//! `"https://${distributions.cdn.domain_name}"`). Such a value exists only once the
//! resource does, so it is resolved at apply time, in dependency order; here, before any
//! call, every reference is checked against what the manifest declares.
//!
//! Variable substitution leaves each reference in its string between two private-use
//! characters ([`OPEN`], [`CLOSE`]), so that a literal `${` written `$${` is never read as
//! one; [`display`] shows them as written.

use super::diag::{Diagnostic, Pos, suggest};
use super::yaml::{Node, NodeKind};

pub use super::marks::{CLOSE, OPEN, display, has_references};

/// Every section whose resources have attributes: those of the registered kinds
/// (`schema::Section::attributes`).
#[derive(Clone)]
pub struct Attributes<'a> {
    registered: Vec<(&'a str, &'a [&'a str])>,
}

impl<'a> Attributes<'a> {
    /// `registered`'s: each section's key with its attributes.
    pub fn new(registered: Vec<(&'a str, &'a [&'a str])>) -> Self {
        Self { registered }
    }

    /// None.
    #[cfg(test)]
    pub fn built_in() -> Attributes<'static> {
        Attributes {
            registered: Vec::new(),
        }
    }

    /// The load balancers' (as their kind registers them):
    /// what the tests of references name.
    #[cfg(test)]
    pub fn with_load_balancers() -> Attributes<'static> {
        Attributes::new(vec![(
            "load_balancers",
            &["dns_name", "zone_id", "arn", "name", "arn_suffix"],
        )])
    }

    /// Each section's name with what its resources may be asked for.
    pub fn all(&self) -> impl Iterator<Item = (&'a str, &'a [&'a str])> + '_ {
        self.registered.iter().copied()
    }

    /// The attributes of `section`, when it is one with attributes.
    pub fn of(&self, section: &str) -> Option<&'a [&'a str]> {
        self.all()
            .find(|(name, _)| *name == section)
            .map(|(_, attributes)| attributes)
    }

    /// Whether `reference` (the text between `${` and `}`) is one to a resource's
    /// attribute: it starts with a section that has attributes.
    pub fn is_resource_reference(&self, reference: &str) -> bool {
        reference
            .split_once('.')
            .is_some_and(|(section, _)| self.of(section).is_some())
    }
}

/// A reference as written: `section.key.attribute`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reference {
    pub section: String,
    pub key: String,
    pub attribute: String,
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "${{{}.{}.{}}}", self.section, self.key, self.attribute)
    }
}

/// A piece of a string: literal text, or a reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Ref(Reference),
    /// A reference that does not have three parts (reported by [`check`]).
    Malformed(String),
}

/// `text` as literal pieces and references.
pub fn parts(text: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        if start > 0 {
            parts.push(Part::Text(rest[..start].to_string()));
        }
        let body = &rest[start + OPEN.len_utf8()..];
        let end = body.find(CLOSE).unwrap_or(body.len());
        let inner = &body[..end];
        let pieces: Vec<&str> = inner.split('.').collect();
        parts.push(match pieces.as_slice() {
            [section, key, attribute] if !key.is_empty() && !attribute.is_empty() => {
                Part::Ref(Reference {
                    section: section.to_string(),
                    key: key.to_string(),
                    attribute: attribute.to_string(),
                })
            }
            _ => Part::Malformed(inner.to_string()),
        });
        rest = body.get(end + CLOSE.len_utf8()..).unwrap_or("");
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest.to_string()));
    }
    parts
}

/// Checks every reference left in the tree (after variables and environments) against
/// the resources it declares: a declared key of a section, an attribute that section has.
pub fn check(root: &Node, attributes: &Attributes<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let declared = super::declared::Declared::scan(root);
    visit(root, &mut |node, text| {
        for part in parts(text) {
            let pos = at(node, text);
            match part {
                Part::Text(_) => {}
                Part::Malformed(inner) => diagnostics.push(
                    Diagnostic::new(
                        pos,
                        format!("`${{{inner}}}` is not a reference to a resource's attribute"),
                    )
                    .with_help(format!(
                        "write `${{<section>.<name>.<attribute>}}`, e.g. `${{{}}}`",
                        example(&inner, attributes)
                    )),
                ),
                Part::Ref(reference) => {
                    if let Some(diagnostic) = check_one(&declared, attributes, &reference, pos) {
                        diagnostics.push(diagnostic);
                    }
                }
            }
        }
    });
}

fn check_one(
    declared: &super::declared::Declared,
    attributes: &Attributes<'_>,
    reference: &Reference,
    pos: Pos,
) -> Option<Diagnostic> {
    let Reference {
        section,
        key,
        attribute,
    } = reference;
    // Only a section with attributes declares what a reference may name.
    let keys = match attributes.of(section) {
        Some(_) => declared.names(section),
        None => &[],
    };
    if !keys.contains(key) {
        let help = match suggest(key, keys.iter().map(String::as_str)) {
            Some(close) => format!("did you mean `${{{section}.{close}.{attribute}}}`?"),
            None if keys.is_empty() => format!("declare it under `{section}:`"),
            None => format!(
                "declare it under `{section}:`; declared: {}",
                keys.iter()
                    .map(|key| format!("`{key}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        return Some(
            Diagnostic::new(
                pos,
                format!(
                    "{reference} refers to `{section}.{key}`, which the manifest does not declare"
                ),
            )
            .with_help(help),
        );
    }
    let known: &[&str] = match (section.as_str(), key.as_str()) {
        ("network", "vpc") => &["id"],
        ("network", _) => &["ids"],
        _ => attributes.of(section).unwrap_or_default(),
    };
    if !known.contains(&attribute.as_str()) {
        let listed = known
            .iter()
            .map(|name| format!("`{name}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let help = match suggest(attribute, known.iter().copied()) {
            Some(close) => format!("did you mean `{close}`? `{section}` have {listed}"),
            None => format!("`{section}` have {listed}"),
        };
        return Some(
            Diagnostic::new(
                pos,
                format!("{reference}: `{section}` have no attribute `{attribute}`"),
            )
            .with_help(help),
        );
    }
    None
}

/// A well-formed example for a malformed reference, from its section when it has one.
fn example(inner: &str, attributes: &Attributes<'_>) -> String {
    let section = inner.split('.').next().unwrap_or_default();
    match attributes.of(section) {
        Some(attributes) => format!(
            "{section}.{}.{}",
            inner
                .split('.')
                .nth(1)
                .filter(|key| !key.is_empty())
                .unwrap_or("main"),
            attributes[0]
        ),
        None => "load_balancers.alb.dns_name".to_string(),
    }
}

/// Every scalar with a reference, with its node.
fn visit(node: &Node, each: &mut dyn FnMut(&Node, &str)) {
    match &node.kind {
        NodeKind::Scalar { text, .. } => {
            if has_references(text) {
                each(node, text);
            }
        }
        NodeKind::Seq(items) => items.iter().for_each(|item| visit(item, each)),
        NodeKind::Map(entries) => entries.iter().for_each(|(_, value)| visit(value, each)),
    }
}

/// Where a reference is: its scalar, underlined from the first reference on (exact when no
/// variable before it in the same string changed its length).
fn at(node: &Node, text: &str) -> Pos {
    // A quoted scalar starts at its quote.
    let quote = usize::from(matches!(node.kind, NodeKind::Scalar { plain: false, .. }));
    let offset = quote
        + text
            .find(OPEN)
            .map_or(0, |start| text[..start].chars().count());
    Pos {
        column: node.pos.column + offset,
        len: display(text).chars().count().saturating_sub(offset).max(1),
        ..node.pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(text: &str) -> String {
        text.replace("${", &OPEN.to_string())
            .replace('}', &CLOSE.to_string())
    }

    #[test]
    fn a_string_splits_into_text_and_references() {
        let text = marked("https://${distributions.cdn.domain_name}/api");
        assert_eq!(
            parts(&text),
            vec![
                Part::Text("https://".into()),
                Part::Ref(Reference {
                    section: "distributions".into(),
                    key: "cdn".into(),
                    attribute: "domain_name".into()
                }),
                Part::Text("/api".into()),
            ]
        );
        assert_eq!(
            display(&text),
            "https://${distributions.cdn.domain_name}/api"
        );
        assert_eq!(
            parts(&marked("${buckets.site}"))[0],
            Part::Malformed("buckets.site".into())
        );
        let attributes = Attributes::with_load_balancers();
        assert!(attributes.is_resource_reference("load_balancers.alb.dns_name"));
        assert!(!Attributes::built_in().is_resource_reference("load_balancers.alb.dns_name"));
        assert!(
            !attributes.is_resource_reference("var.x")
                && !attributes.is_resource_reference("vpc.id")
        );
    }

    #[test]
    fn undeclared_keys_and_unknown_attributes_are_located_errors() {
        let text = "stack: s\nload_balancers:\n  alb: {}\noutputs:\n  url: \"http://${load_balancers.abl.dns_name}\"\n  arn: ${load_balancers.alb.dns}\n  bad: ${buckets.site}\n";
        let mut root = super::super::yaml::parse(text).unwrap();
        fn mark(node: &mut Node) {
            match &mut node.kind {
                NodeKind::Scalar { text, .. } => *text = marked(text),
                NodeKind::Seq(items) => items.iter_mut().for_each(mark),
                NodeKind::Map(entries) => entries.iter_mut().for_each(|(_, value)| mark(value)),
            }
        }
        mark(&mut root);
        let mut diagnostics = Vec::new();
        check(&root, &Attributes::with_load_balancers(), &mut diagnostics);
        let found: Vec<String> = diagnostics
            .iter()
            .map(|d| {
                format!(
                    "{}:{} {} ({})",
                    d.pos.line,
                    d.pos.column,
                    d.message,
                    d.help.clone().unwrap_or_default()
                )
            })
            .collect();
        assert_eq!(
            found,
            vec![
                "5:16 ${load_balancers.abl.dns_name} refers to `load_balancers.abl`, which the manifest does not declare (declare it under `load_balancers:`; declared: `alb`)",
                "6:8 ${load_balancers.alb.dns}: `load_balancers` have no attribute `dns` (did you mean `dns_name`? `load_balancers` have `dns_name`, `zone_id`, `arn`, `name`, `arn_suffix`)",
                // Without a registered `buckets` section (which would give
                // `${buckets.site.name}`).
                "7:8 `${buckets.site}` is not a reference to a resource's attribute (write `${<section>.<name>.<attribute>}`, e.g. `${load_balancers.alb.dns_name}`)",
            ]
        );
    }
}
