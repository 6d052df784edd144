//! The manifest's JSON Schema (`schema/edgectl.schema.json`, printed by `edgectl schema`)
//! says what the decoders accept: every mapping a shipped manifest's decoding reads allows
//! exactly the fields the schema lists there, every shipped manifest validates against it,
//! and a misspelt field does not.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};

use edgectl_manifest::yaml::{Node, NodeKind};
use serde_json::Value;

use crate::harness::{moto_server, root, run_edgectl};

const SCHEMA: &str = "schema/edgectl.schema.json";
/// The line that points an editor (yaml-language-server) at the schema.
const SCHEMA_LINE: &str = "# yaml-language-server: $schema=../schema/edgectl.schema.json";

/// The manifests that ship, the test's own of every warning, and one of every mapping
/// the others have none of.
fn manifests() -> Vec<String> {
    let mut out = crate::harness::shipped_manifests();
    out.push("tests/it/warn/regrets.yaml".into());
    // Every mapping the others leave out.
    out.push("tests/it/warn/every-mapping.yaml".into());
    out
}

fn schema() -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join(SCHEMA)).unwrap()).unwrap()
}

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Item,
}

/// Where each mapping of the tree is, by path.
fn mappings(
    node: &Node,
    path: &mut Vec<Step>,
    out: &mut Vec<(edgectl_manifest::diag::Pos, Vec<Step>)>,
) {
    match &node.kind {
        NodeKind::Map(entries) => {
            out.push((node.pos, path.clone()));
            for (key, value) in entries {
                if let NodeKind::Scalar { text, .. } = &key.kind {
                    path.push(Step::Key(text.clone()));
                    mappings(value, path, out);
                    path.pop();
                }
            }
        }
        NodeKind::Seq(items) => {
            for item in items {
                path.push(Step::Item);
                mappings(item, path, out);
                path.pop();
            }
        }
        NodeKind::Scalar { .. } => {}
    }
}

/// Every schema `value` may be, through `$ref`, `anyOf`, `oneOf` and `allOf`.
fn branches<'a>(root: &'a Value, value: &'a Value) -> Vec<&'a Value> {
    if let Some(reference) = value.get("$ref").and_then(Value::as_str) {
        let name = reference.strip_prefix("#/definitions/").expect(reference);
        let target = &root["definitions"][name];
        assert!(!target.is_null(), "no definition {name}");
        return branches(root, target);
    }
    let mut out = vec![value];
    for combinator in ["anyOf", "oneOf", "allOf"] {
        if let Some(list) = value.get(combinator).and_then(Value::as_array) {
            out.extend(list.iter().flat_map(|branch| branches(root, branch)));
        }
    }
    out
}

/// The schemas of what is at `path`.
fn at<'a>(root: &'a Value, path: &[Step]) -> Vec<&'a Value> {
    let mut current = vec![root];
    for step in path {
        current = current
            .into_iter()
            .flat_map(|value| branches(root, value))
            .filter_map(|value| match step {
                Step::Key(key) => value
                    .get("properties")
                    .and_then(|properties| properties.get(key))
                    .or_else(|| {
                        value
                            .get("additionalProperties")
                            .filter(|next| next.is_object())
                    }),
                Step::Item => value.get("items"),
            })
            .collect();
    }
    current
}

#[test]
fn every_mapping_allows_the_fields_the_schema_lists() {
    let schema = schema();
    let sections = edgectl_kinds::sections();
    let mut checked = 0;
    let mut kinds = BTreeSet::new();
    for manifest in manifests() {
        let bytes = std::fs::read(root().join(&manifest)).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let tree = edgectl_manifest::yaml::parse(&text).unwrap();
        let mut places = Vec::new();
        mappings(&tree, &mut Vec::new(), &mut places);
        // Each environment's decoding reads what the others prune.
        let environments: Vec<Option<String>> = match &at_key(&tree, "environments") {
            Some(NodeKind::Map(entries)) => entries
                .iter()
                .filter_map(|(key, _)| match &key.kind {
                    NodeKind::Scalar { text, .. } => Some(Some(text.clone())),
                    _ => None,
                })
                .collect(),
            _ => vec![None],
        };
        for environment in environments {
            let overrides = edgectl_manifest::vars::Overrides {
                types_only: true,
                environment: environment.clone(),
                ..Default::default()
            };
            let (result, read) =
                edgectl_manifest::fields_read(&manifest, &bytes, &overrides, &sections);
            assert!(result.is_ok(), "{manifest}: {:?}", result.err());
            for (pos, allowed) in read {
                let paths: Vec<&Vec<Step>> = places
                    .iter()
                    .filter(|(place, _)| *place == pos)
                    .map(|(_, path)| path)
                    .collect();
                assert_eq!(
                    paths.len(),
                    1,
                    "{manifest}:{}:{}: one mapping there",
                    pos.line,
                    pos.column
                );
                let mut listed: BTreeSet<String> = at(&schema, paths[0])
                    .into_iter()
                    .flat_map(|value| branches(&schema, value))
                    .filter_map(|value| value.get("properties").and_then(Value::as_object))
                    .flat_map(|properties| properties.keys().cloned())
                    .collect();
                // Environments prune `only` and `when` from every mapping inside a
                // section (not from a section itself, nor from variables, read before).
                let prunable = paths[0].len() >= 2
                    && !matches!(&paths[0][0], Step::Key(section) if section == "variables");
                for key in ["only", "when"] {
                    assert_eq!(
                        listed.remove(key),
                        prunable,
                        "{manifest}:{}:{} ({:?}): `{key}` is allowed there exactly when environments prune it",
                        pos.line,
                        pos.column,
                        paths[0]
                    );
                }
                let allowed: BTreeSet<String> = allowed
                    .into_iter()
                    .filter(|field| !refused_later(paths[0], field))
                    .collect();
                assert_eq!(
                    listed, allowed,
                    "{manifest}:{}:{} ({:?}): the schema's fields (left) are not the decoder's (right)",
                    pos.line, pos.column, paths[0]
                );
                checked += 1;
                kinds.insert(allowed);
            }
        }
    }
    eprintln!(
        "{checked} mappings checked, {} kinds of mapping",
        kinds.len()
    );
    if let Some(path) = std::env::var_os("EDGECTL_SCHEMA_KINDS") {
        std::fs::write(path, serde_json::to_string(&kinds).unwrap()).unwrap();
    }
    assert!(checked > 100, "{checked} mappings checked");
    // Every list of fields the decoders hold (a new one needs a manifest that has it).
    assert!(kinds.len() >= 64, "{} kinds of mapping", kinds.len());
}

/// A field a decoder reads with the others only to refuse it with a message of its own,
/// which the schema leaves out: a distribution's default behavior has no `path`.
fn refused_later(path: &[Step], field: &str) -> bool {
    matches!(
        (path, field),
        ([Step::Key(section), _, Step::Key(default)], "path")
            if section == "distributions" && default == "default"
    )
}

fn at_key<'a>(tree: &'a Node, key: &str) -> Option<&'a NodeKind> {
    let NodeKind::Map(entries) = &tree.kind else {
        return None;
    };
    entries
        .iter()
        .find(|(name, _)| matches!(&name.kind, NodeKind::Scalar { text, .. } if text == key))
        .map(|(_, value)| &value.kind)
}

/// The tree as JSON, scalars typed as YAML 1.2's core schema types them (what an editor's
/// YAML language server validates).
fn json(node: &Node) -> Value {
    match &node.kind {
        NodeKind::Map(entries) => Value::Object(
            entries
                .iter()
                .filter_map(|(key, value)| match &key.kind {
                    NodeKind::Scalar { text, .. } => Some((text.clone(), json(value))),
                    _ => None,
                })
                .collect(),
        ),
        NodeKind::Seq(items) => Value::Array(items.iter().map(json).collect()),
        NodeKind::Scalar { text, plain: false } => Value::String(text.clone()),
        NodeKind::Scalar { text, plain: true } => match text.as_str() {
            "" | "~" | "null" | "Null" | "NULL" => Value::Null,
            "true" | "True" | "TRUE" => Value::Bool(true),
            "false" | "False" | "FALSE" => Value::Bool(false),
            _ => text
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| text.parse::<f64>().map(Value::from))
                .unwrap_or_else(|_| Value::String(text.clone())),
        },
    }
}

/// The errors the venv's `jsonschema` (Draft 7, as yaml-language-server reads it) finds
/// in `document`.
fn schema_errors(document: &Value) -> Vec<String> {
    let python = moto_server().with_file_name("python");
    let script = "import json, sys, jsonschema\n\
        schema = json.load(open(sys.argv[1]))\n\
        jsonschema.Draft7Validator.check_schema(schema)\n\
        errors = jsonschema.Draft7Validator(schema).iter_errors(json.load(sys.stdin))\n\
        for error in sorted(errors, key=lambda e: e.json_path):\n\
        \x20   print(error.json_path, error.message[:200])\n";
    let mut child = Command::new(python)
        .args(["-c", script, root().join(SCHEMA).to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(document.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn shipped_manifests_validate_and_point_editors_at_the_schema() {
    for manifest in manifests() {
        let text = std::fs::read_to_string(root().join(&manifest)).unwrap();
        let errors = schema_errors(&json(&edgectl_manifest::yaml::parse(&text).unwrap()));
        assert!(errors.is_empty(), "{manifest}:\n{}", errors.join("\n"));
        if !manifest.starts_with("tests/") {
            assert!(
                text.lines().take(3).any(|line| line == SCHEMA_LINE),
                "{manifest} lacks `{SCHEMA_LINE}` in its first lines"
            );
        }
    }
}

/// What the decoder refuses, the schema refuses: a misspelt field at any depth, a
/// misspelt section, a wrong type.
#[test]
fn the_schema_refuses_misspelt_fields_and_wrong_types() {
    let text = std::fs::read_to_string(root().join("examples/service.yaml")).unwrap();
    let mut document = json(&edgectl_manifest::yaml::parse(&text).unwrap());
    document["service"] = Value::Object(Default::default());
    document["network"]["cidr_block"] = Value::from("10.0.0.0/16");
    document["services"]["web"]["imge"] = Value::from("nginx");
    document["services"]["web"]["cpu"] = Value::from(true);
    let errors = schema_errors(&document);
    for (at, field) in [
        ("$", "service"),
        ("$.network", "cidr_block"),
        ("$.services.web", "imge"),
    ] {
        assert!(
            errors
                .iter()
                .any(|error| error.starts_with(&format!("{at} "))
                    && error.contains(&format!("'{field}' was unexpected"))),
            "{at}.{field} not refused: {errors:?}"
        );
    }
    assert!(
        errors
            .iter()
            .any(|error| error.starts_with("$.services.web.cpu ")),
        "{errors:?}"
    );
}

/// `edgectl schema` prints the checked-in file, for editors outside this repository.
#[test]
fn edgectl_schema_prints_the_checked_in_schema() {
    let run = run_edgectl(&["schema"], None, None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        std::fs::read_to_string(root().join(SCHEMA)).unwrap()
    );
}
