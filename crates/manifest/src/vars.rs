//! Variables: declared under `variables:`, set by `--var K=V`, `EDGECTL_VAR_K`, the chosen
//! environment's value (`environments:`) or a default, and written `${var.K}` inside any
//! scalar; `${env}` is the chosen environment's name; `$${` is a literal `${`. A reference
//! to a resource's attribute (`${load_balancers.alb.dns_name}`) is left in place, marked
//! (see `refs`), for apply to resolve.

use std::collections::{BTreeMap, BTreeSet};

use super::diag::{Diagnostic, Pos, suggest};
use super::yaml::{Node, NodeKind};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declaration {
    pub pos: Pos,
    pub default: Option<String>,
    pub description: Option<String>,
    /// `sensitive: true`: the value never shows in output (see `redact`).
    pub sensitive: bool,
}

/// Where a variable's value came from, in order of precedence.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--var K=V`, in command-line order (a later one wins).
    pub cli: Vec<(String, String)>,
    /// What `--var-file FILE`s set, in command-line order (a later one wins; any `--var`
    /// wins over them): name, value, and where it is written (`prod.vars.yaml:3`).
    pub files: Vec<(String, String, String)>,
    /// `EDGECTL_VAR_K=V` from the environment.
    pub env: BTreeMap<String, String>,
    /// The environment chosen (`--env`, `EDGECTL_ENV`), when the manifest has several.
    pub environment: Option<String>,
    /// `edgectl validate`: a variable given no value is no error; where it stands is
    /// checked for what the manifest says of it, not for its value (the node is left
    /// unresolved, which decoders skip).
    pub types_only: bool,
    /// `destroy`, `unlock`, `output`: a bucket's sync source is not needed (they upload
    /// nothing), so a folder not built yet is no error.
    pub without_content: bool,
}

impl Overrides {
    /// The value given for `name`: the last `--var`, else the last `--var-file` that sets
    /// it, else `EDGECTL_VAR_<name>`.
    pub fn given(&self, name: &str) -> Option<String> {
        self.cli
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .or_else(|| {
                self.files
                    .iter()
                    .rev()
                    .find(|(key, _, _)| key == name)
                    .map(|(_, value, _)| value.clone())
            })
            .or_else(|| self.env.get(name).cloned())
    }
}

impl Overrides {
    /// `environment` is `--env`, which clap takes from `EDGECTL_ENV` when not given.
    pub fn from_process(cli: Vec<(String, String)>, environment: Option<String>) -> Self {
        let env = std::env::vars()
            .filter_map(|(key, value)| Some((key.strip_prefix("EDGECTL_VAR_")?.to_string(), value)))
            .collect();
        Self {
            cli,
            files: Vec::new(),
            env,
            environment,
            types_only: false,
            without_content: false,
        }
    }
}

/// A `--var-file`: a YAML mapping of declared variables to their values (text, numbers,
/// booleans), read as a manifest is (a regular file, bounded, UTF-8). Each value comes
/// with where it is written, for the errors that name it.
pub fn read_file(path: &str) -> Result<Vec<(String, String, String)>, crate::ManifestError> {
    if path == "-" {
        return Err(crate::ManifestError::Read {
            path: path.to_string(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "a variables file is a file: stdin is the manifest's (`-f -`); pass values with `--var` or `EDGECTL_VAR_<K>`",
            ),
        });
    }
    let (label, bytes) = crate::read(path)?;
    // An error shows its line: with every value masked, as a variables file holds secrets.
    let invalid = |text: String, diagnostics: Vec<Diagnostic>| crate::ManifestError::Invalid {
        path: label.to_string(),
        text: masked(&text),
        diagnostics,
    };
    let text = super::yaml::text_of(&bytes)
        .map_err(|(shown, diagnostic)| invalid(shown, vec![diagnostic]))?;
    let root =
        super::yaml::parse(&text).map_err(|diagnostic| invalid(text.clone(), vec![diagnostic]))?;
    let NodeKind::Map(entries) = &root.kind else {
        return Err(invalid(
            text.clone(),
            vec![
                Diagnostic::new(
                    root.pos,
                    format!("a variables file is a mapping, not {}", root.describe()),
                )
                .with_help("write one variable per line: `image_tag: 4f2c9a1`"),
            ],
        ));
    };
    let mut values: Vec<(String, String, String)> = Vec::new();
    let mut diagnostics = Vec::new();
    for (key, value) in entries {
        let name = match &key.kind {
            NodeKind::Scalar { text, .. } if values.iter().any(|(set, _, _)| set == text) => {
                diagnostics.push(
                    Diagnostic::new(key.pos, format!("`{text}` is set twice in this file"))
                        .with_help("keep one line for it"),
                );
                continue;
            }
            NodeKind::Scalar { text, .. } if valid_name(text) => text.clone(),
            _ => {
                diagnostics.push(
                    Diagnostic::new(
                        key.pos,
                        format!("{} is not a variable's name", key.describe()),
                    )
                    .with_help("a name is letters, digits and `_`, not starting with a digit"),
                );
                continue;
            }
        };
        match &value.kind {
            NodeKind::Scalar { text, plain } if !(*plain && super::yaml::is_null(text)) => {
                let at = format!("{label}:{}", key.pos.line);
                values.push((name, text.clone(), at));
            }
            _ => diagnostics.push(
                Diagnostic::new(
                    key.pos,
                    format!("`{name}` is set to {}, not a value", value.describe()),
                )
                .with_help("a variable's value is text, a number or a boolean; write `\"\"` for empty text"),
            ),
        }
    }
    if !diagnostics.is_empty() {
        return Err(invalid(text.clone(), diagnostics));
    }
    Ok(values)
}

/// A variables file's text with what follows each line's first `:` hidden (and whole
/// lines without one), so an error quoting a line shows no value.
fn masked(text: &str) -> String {
    text.lines()
        .map(|line| match line.split_once(':') {
            Some((name, rest)) if !rest.trim().is_empty() => format!("{name}: ***"),
            Some((name, _)) => format!("{name}:"),
            None if line.trim().is_empty() || line.trim_start().starts_with('#') => {
                line.to_string()
            }
            None => "***".to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Resolves every declared variable; an override of an undeclared variable is an error
/// (reported at `anchor`, the `variables:` key or the top of the file).
pub fn resolve(
    declarations: &BTreeMap<String, Declaration>,
    overrides: &Overrides,
    environment: &BTreeMap<String, String>,
    anchor: Pos,
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<String, Option<String>> {
    let set = overrides
        .cli
        .iter()
        .map(|(name, _)| (name, format!("`--var {name}=...`")))
        .chain(
            overrides
                .files
                .iter()
                .map(|(name, _, at)| (name, format!("`{name}` in `{at}`"))),
        );
    for (name, setter) in set {
        if !declarations.contains_key(name) {
            let mut diagnostic = Diagnostic::new(
                anchor,
                format!("{setter} sets a variable the manifest does not declare"),
            );
            diagnostic = match suggest(name, declarations.keys().map(String::as_str)) {
                Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")),
                None => diagnostic.with_help(format!(
                    "declare it under `variables:` as `{name}: {{ default: ... }}`"
                )),
            };
            diagnostics.push(diagnostic);
        }
    }
    declarations
        .iter()
        .map(|(name, declaration)| {
            let value = overrides
                .given(name)
                .or_else(|| environment.get(name).cloned())
                .or_else(|| declaration.default.clone());
            (name.clone(), value)
        })
        .collect()
}

/// The declared variables whose value is their `default` (neither `--var`, the process
/// environment nor the chosen environment set them).
pub fn defaulted(
    declarations: &BTreeMap<String, Declaration>,
    overrides: &Overrides,
    environment: &BTreeMap<String, String>,
) -> BTreeSet<String> {
    declarations
        .iter()
        .filter(|(name, declaration)| {
            declaration.default.is_some()
                && overrides.given(name).is_none()
                && !environment.contains_key(*name)
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// The variables `text` refers to (`${var.K}`, not the escaped `$${`).
fn referenced(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('$') {
        let after = &rest[start..];
        if let Some(stripped) = after.strip_prefix("$${") {
            rest = stripped;
        } else if let Some(body) = after.strip_prefix("${")
            && let Some(end) = body.find('}')
        {
            if let Some(name) = body[..end].trim().strip_prefix("var.") {
                names.push(name);
            }
            rest = &body[end + 1..];
        } else {
            rest = &after[1..];
        }
    }
    names
}

/// Replaces `${var.K}` in every scalar of `node`, marking scalars that took a default.
pub fn substitute(
    node: &mut Node,
    scope: &Scope<'_>,
    defaulted: &BTreeSet<String>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    match &mut node.kind {
        NodeKind::Scalar { text, .. } => {
            node.clear_variables = referenced(text)
                .into_iter()
                .filter(|name| !scope.sensitive.contains(*name))
                .map(str::to_string)
                .collect();
            let unset = |name: &&str| matches!(scope.values.get(*name), Some(None));
            if scope.types_only && referenced(text).iter().any(unset) {
                // Its value is to come: checked for where it stands only.
                node.unresolved = true;
                return;
            }
            if text.contains('$') {
                node.defaulted = referenced(text)
                    .iter()
                    .any(|name| defaulted.contains(*name));
                match interpolate(text, scope) {
                    Ok(result) => {
                        node.interpolated |= result != *text;
                        *text = result;
                    }
                    Err((offset, diagnostic)) => {
                        node.unresolved = true;
                        let mut diagnostic = diagnostic;
                        diagnostic.pos = Pos {
                            column: node.pos.column + offset,
                            ..diagnostic.pos
                        };
                        diagnostic.pos.line = node.pos.line;
                        diagnostics.push(diagnostic);
                    }
                }
            }
        }
        NodeKind::Seq(items) => items
            .iter_mut()
            .for_each(|item| substitute(item, scope, defaulted, diagnostics)),
        NodeKind::Map(entries) => entries
            .iter_mut()
            .for_each(|(_, value)| substitute(value, scope, defaulted, diagnostics)),
    }
}

/// What `${...}` may name: the variables' values, and the chosen environment.
pub struct Scope<'a> {
    pub values: &'a BTreeMap<String, Option<String>>,
    pub environment: Option<&'a str>,
    /// What `${<section>.<name>.<attribute>}` may name.
    pub attributes: &'a super::refs::Attributes<'a>,
    /// A variable given no value is no error (`Overrides::types_only`).
    pub types_only: bool,
    /// The variables declared `sensitive`.
    pub sensitive: &'a BTreeSet<String>,
}

/// Expands one string; on error returns the character offset of the bad reference.
fn interpolate(text: &str, scope: &Scope<'_>) -> Result<String, (usize, Diagnostic)> {
    let values = scope.values;
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut offset = 0;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let here = offset + rest[..start].chars().count();
        if let Some(stripped) = after.strip_prefix("$${") {
            out.push_str("${");
            offset = here + 3;
            rest = stripped;
            continue;
        }
        let Some(body) = after.strip_prefix("${") else {
            out.push('$');
            offset = here + 1;
            rest = &after[1..];
            continue;
        };
        let Some(end) = body.find('}') else {
            let diagnostic = Diagnostic::new(
                Pos {
                    len: after.chars().count(),
                    ..Pos::default()
                },
                "unclosed `${`".into(),
            )
            .with_help("close the reference with `}`, or write `$${` for a literal `${`");
            return Err((here, diagnostic));
        };
        let reference = body[..end].trim();
        let len = end + 3;
        let pos = Pos {
            len,
            ..Pos::default()
        };
        match reference.strip_prefix("var.") {
            Some(name) => match values.get(name) {
                Some(Some(value)) => out.push_str(value),
                Some(None) => {
                    let diagnostic = Diagnostic::new(pos, format!("variable `{name}` has no value"))
                        .with_help(format!("pass `--var {name}=VALUE`, set `EDGECTL_VAR_{name}`, or give it a `default:`"));
                    return Err((here, diagnostic));
                }
                None => {
                    let mut diagnostic =
                        Diagnostic::new(pos, format!("undeclared variable `{name}`"));
                    diagnostic = match suggest(name, values.keys().map(String::as_str)) {
                        Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")),
                        None => diagnostic.with_help(format!(
                            "declare it under `variables:` as `{name}: {{ default: ... }}`"
                        )),
                    };
                    return Err((here, diagnostic));
                }
            },
            None if reference == "env" => match scope.environment {
                Some(environment) => out.push_str(environment),
                None => {
                    let diagnostic = Diagnostic::new(pos, "`${env}` without an environment".into())
                        .with_help(
                            "declare them under `environments:` and choose one with `--env NAME`",
                        );
                    return Err((here, diagnostic));
                }
            },
            // A resource's live attribute, resolved at apply time (checked by `refs::check`
            // once the tree is final).
            None if scope.attributes.is_resource_reference(reference) => {
                out.push(super::refs::OPEN);
                out.push_str(reference);
                out.push(super::refs::CLOSE);
            }
            None => {
                let section = reference.split('.').next().unwrap_or_default();
                let hint = match section {
                    // The VPC and subnets are the network's.
                    "vpc" => "did you mean `${network.vpc.id}`? ".to_string(),
                    "subnet" | "subnets" => "did you mean `${network.<tier>.ids}`? ".to_string(),
                    _ => suggest(section, scope.attributes.all().map(|(name, _)| name))
                        .map(|close| format!("did you mean `{close}`? "))
                        .unwrap_or_default(),
                };
                let diagnostic =
                    Diagnostic::new(pos, format!("unknown reference `${{{reference}}}`"))
                        .with_help(format!(
                            "{hint}write `${{var.NAME}}` for a variable, `${{env}}` for the environment, `${{<section>.<name>.<attribute>}}` for a resource's live value (`${{load_balancers.alb.dns_name}}`), or `$${{` for a literal `${{`"
                        ));
                return Err((here, diagnostic));
            }
        }
        offset = here + body[..end].chars().count() + 3;
        rest = &body[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> BTreeMap<String, Option<String>> {
        BTreeMap::from([
            ("env".to_string(), Some("prod".to_string())),
            ("tag".to_string(), None),
        ])
    }

    fn interpolate(
        text: &str,
        values: &BTreeMap<String, Option<String>>,
    ) -> Result<String, (usize, Diagnostic)> {
        super::interpolate(
            text,
            &Scope {
                values,
                environment: Some("dev"),
                attributes: &crate::refs::Attributes::with_load_balancers(),
                types_only: false,
                sensitive: &BTreeSet::new(),
            },
        )
    }

    #[test]
    fn the_environment_and_resource_references() {
        assert_eq!(interpolate("app-${env}", &values()).unwrap(), "app-dev");
        let marked = interpolate("http://${load_balancers.alb.dns_name}/", &values()).unwrap();
        assert_eq!(
            super::super::refs::display(&marked),
            "http://${load_balancers.alb.dns_name}/"
        );
        assert_ne!(marked, "http://${load_balancers.alb.dns_name}/");
        // A literal `${` is never a reference.
        let literal = interpolate("$${load_balancers.alb.dns_name}", &values()).unwrap();
        assert!(!super::super::refs::has_references(&literal));
        let (_, unknown) = interpolate("${load_balancer.alb.dns_name}", &values()).unwrap_err();
        assert!(
            unknown
                .help
                .unwrap()
                .starts_with("did you mean `load_balancers`?")
        );
    }

    #[test]
    fn expands_variables_and_escapes() {
        assert_eq!(
            interpolate("app-${var.env}-x", &values()).unwrap(),
            "app-prod-x"
        );
        assert_eq!(
            interpolate("$${var.env} costs $5", &values()).unwrap(),
            "${var.env} costs $5"
        );
    }

    #[test]
    fn reports_unset_undeclared_and_unknown() {
        let (offset, unset) = interpolate("v:${var.tag}", &values()).unwrap_err();
        assert_eq!(
            (offset, unset.message.as_str()),
            (2, "variable `tag` has no value")
        );
        let (_, undeclared) = interpolate("${var.envv}", &values()).unwrap_err();
        assert_eq!(undeclared.help.as_deref(), Some("did you mean `env`?"));
        let (_, unknown) = interpolate("${vpc.id}", &values()).unwrap_err();
        assert_eq!(unknown.message, "unknown reference `${vpc.id}`");
        assert!(
            unknown
                .help
                .unwrap()
                .starts_with("did you mean `${network.vpc.id}`?")
        );
    }

    #[test]
    fn command_line_wins_over_environment_and_default() {
        let declarations = BTreeMap::from([(
            "env".to_string(),
            Declaration {
                pos: Pos::default(),
                default: Some("dev".into()),
                description: None,
                sensitive: false,
            },
        )]);
        let overrides = Overrides {
            cli: vec![("env".into(), "prod".into())],
            files: vec![("env".into(), "qa".into(), "vars.yaml:1".into())],
            env: BTreeMap::from([("env".into(), "staging".into())]),
            ..Overrides::default()
        };
        let mut diagnostics = Vec::new();
        let values = resolve(
            &declarations,
            &overrides,
            &BTreeMap::new(),
            Pos::default(),
            &mut diagnostics,
        );
        assert_eq!(values["env"].as_deref(), Some("prod"));
        assert!(diagnostics.is_empty());
        let from_file = Overrides {
            files: vec![("env".into(), "qa".into(), "vars.yaml:1".into())],
            env: BTreeMap::from([("env".into(), "staging".into())]),
            ..Overrides::default()
        };
        let values = resolve(
            &declarations,
            &from_file,
            &BTreeMap::new(),
            Pos::default(),
            &mut diagnostics,
        );
        assert_eq!(
            values["env"].as_deref(),
            Some("qa"),
            "a file wins over the environment"
        );
        let overrides = Overrides {
            cli: vec![("nope".into(), "1".into())],
            files: vec![("envv".into(), "1".into(), "vars.yaml:2".into())],
            ..Overrides::default()
        };
        resolve(
            &declarations,
            &overrides,
            &BTreeMap::new(),
            Pos::default(),
            &mut diagnostics,
        );
        let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`--var nope=...` sets a variable the manifest does not declare",
                "`envv` in `vars.yaml:2` sets a variable the manifest does not declare",
            ]
        );
        assert_eq!(diagnostics[1].help.as_deref(), Some("did you mean `env`?"));
    }

    #[test]
    fn a_variables_file_quoted_in_an_error_shows_no_value() {
        assert_eq!(
            masked(
                "# release\nimage_tag: v7\ndb_password: \"hunter2\ntoken:\n  nested: x\n- stray"
            ),
            "# release\nimage_tag: ***\ndb_password: ***\ntoken:\n  nested: ***\n***"
        );
    }
}
