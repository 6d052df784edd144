//! The plan as people read it: grouped by resource, old -> new per field, and a summary.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::Paint;
use crate::engine::diff::{Action, Change, Plan, Replacement, Step, Summary};
use crate::engine::model::Value;

/// `verbose` lists a sync's files one by one; otherwise it shows counts.
pub fn render(plan: &Plan, stack: &str, region: &str, paint: Paint, verbose: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        paint.bold(&format!("Stack `{stack}` in {region}"))
    );
    for note in &plan.notes {
        let _ = writeln!(out, "\n  {} {note}", paint.dim("note:"));
    }
    if plan.is_empty() {
        let verb = if plan.unchanged == 1 {
            "matches"
        } else {
            "match"
        };
        let _ = writeln!(
            out,
            "\nNo changes: {} {verb} the manifest.",
            crate::text::plural(plan.unchanged, "resource")
        );
        return out;
    }
    for step in &plan.steps {
        out.push('\n');
        render_step(&mut out, step, paint, verbose);
    }
    let _ = writeln!(out, "\n{}", summary(plan));
    out
}

/// Where a saved plan came from, above its rendering.
pub fn saved_header(document: &crate::planfile::Document, paint: Paint) -> String {
    let mut variables: Vec<String> = document
        .variables
        .iter()
        .map(|(name, variable)| match &variable.value {
            Some(value) => format!("{name}={value}"),
            None if variable.sensitive => format!("{name}={}", crate::redact::SHOWN),
            None => format!("{name} unset"),
        })
        .collect();
    if variables.is_empty() {
        variables.push("none".to_string());
    }
    let environment = document
        .manifest
        .environment
        .as_ref()
        .map(|environment| format!("environment `{environment}`, "))
        .unwrap_or_default();
    paint.dim(&format!(
        "Saved plan: made {} by edgectl {} for account {}, from `{}` ({environment}BLAKE3 {}); variables: {}",
        document.created_at,
        document.edgectl_version,
        document.account,
        document.manifest.path,
        document.manifest.blake3.get(..12).unwrap_or_default(),
        variables.join(", ")
    ))
}

pub fn summary(plan: &Plan) -> String {
    format!(
        "Plan: {} to create, {} to update, {} to replace, {} to delete.",
        plan.count(Action::Create),
        plan.count(Action::Update),
        plan.count(Action::Replace),
        plan.count(Action::Delete)
    )
}

/// One step as the plan for people shows it, without colour: its heading line, then its
/// fields (for the Markdown plan, which sets each in a block of its own).
pub(crate) fn step_text(step: &Step, verbose: bool) -> String {
    let mut out = String::new();
    render_step(&mut out, step, Paint { enabled: false }, verbose);
    out
}

fn render_step(out: &mut String, step: &Step, paint: Paint, verbose: bool) {
    let (symbol, colour): (&str, fn(Paint, &str) -> String) = match step.action {
        Action::Create => ("+", Paint::green),
        Action::Update => ("~", Paint::yellow),
        Action::Replace if step.replacement == Replacement::DeleteThenCreate => {
            ("-/+", Paint::magenta)
        }
        Action::Replace => ("+/-", Paint::magenta),
        Action::Delete => ("-", Paint::red),
    };
    let physical = step
        .observed
        .as_ref()
        .map(|observed| format!(" ({})", observed.physical_id))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  {} {}{}  {}",
        colour(paint, symbol),
        paint.bold(step.id.as_str()),
        physical,
        paint.dim(match (step.action, step.replacement) {
            (Action::Replace, Replacement::CreateThenDelete) =>
                "replace (create the new one first)",
            (Action::Replace, Replacement::CreateOnly) => "new revision",
            (action, _) => action.verb(),
        })
    );
    if let Some(reason) = &step.reason {
        let _ = writeln!(out, "      # {reason}");
    }
    if let Some(summary) = &step.summary {
        render_summary(out, summary, paint, verbose);
        return;
    }
    match step.action {
        Action::Create => {
            if let Some(desired) = &step.desired {
                for (name, field) in &desired.props {
                    write_value(out, name, &field.value, paint);
                }
            }
        }
        Action::Update | Action::Replace => step
            .changes
            .iter()
            .for_each(|change| write_change(out, change, paint)),
        Action::Delete => {}
    }
}

fn write_value(out: &mut String, name: &str, value: &Value, paint: Paint) {
    match value {
        // Lists of named entries (containers): one line per field, by path.
        Value::List(items) if same_names(items, items) && !items.is_empty() => {
            let mut fields = Vec::new();
            for item in items {
                leaf_changes(
                    format!("[{}]", entry_name(item)),
                    &Value::Null,
                    item,
                    &mut fields,
                );
            }
            // The entry's name is already its path.
            let key = items.first().and_then(entry_key).unwrap_or("name");
            fields.retain(|(path, _, _)| !path.ends_with(&format!("].{key}")));
            for (index, (path, _, value)) in fields.iter().enumerate() {
                let label = if index == 0 { name } else { "" };
                let _ = writeln!(
                    out,
                    "      {label:<20} {} {path} = {}",
                    paint.green("+"),
                    inline(value)
                );
            }
        }
        Value::Set(_) | Value::List(_) => {
            let items: Vec<&Value> = value.items().collect();
            if items.is_empty() {
                let _ = writeln!(out, "      {name:<20} = []");
            }
            for (index, item) in items.iter().enumerate() {
                let label = if index == 0 { name } else { "" };
                let _ = writeln!(
                    out,
                    "      {label:<20} {} {}",
                    paint.green("+"),
                    inline(item)
                );
            }
        }
        Value::Map(map) if !map.is_empty() => {
            for (index, (key, item)) in map.iter().enumerate() {
                let label = if index == 0 { name } else { "" };
                let _ = writeln!(
                    out,
                    "      {label:<20} {} {key} = {}",
                    paint.green("+"),
                    inline(item)
                );
            }
        }
        other => {
            let _ = writeln!(out, "      {name:<20} = {}", inline(other));
        }
    }
}

fn write_change(out: &mut String, change: &Change, paint: Paint) {
    let note = if change.forces_replacement {
        format!("  {}", paint.magenta("# forces replacement"))
    } else {
        String::new()
    };
    match (&change.old, &change.new) {
        // Lists of named entries (containers): the fields that differ, by path.
        (Value::List(old), Value::List(new)) if same_names(old, new) => {
            let mut leaves = Vec::new();
            for (before, after) in old.iter().zip(new) {
                leaf_changes(
                    format!("[{}]", entry_name(after)),
                    before,
                    after,
                    &mut leaves,
                );
            }
            for (index, (path, before, after)) in leaves.iter().enumerate() {
                let label = if index == 0 {
                    change.field.as_str()
                } else {
                    ""
                };
                let (before, after) = old_and_new(before, after);
                let _ = writeln!(
                    out,
                    "      {label:<20} {} {path} = {before} → {after}{}",
                    paint.yellow("~"),
                    if index == 0 { note.as_str() } else { "" }
                );
            }
        }
        (Value::Set(_) | Value::List(_), Value::Set(_) | Value::List(_)) => {
            let old: BTreeSet<&Value> = change.old.items().collect();
            let new: BTreeSet<&Value> = change.new.items().collect();
            let mut first = true;
            for item in old.difference(&new) {
                let label = if first { change.field.as_str() } else { "" };
                let _ = writeln!(
                    out,
                    "      {label:<20} {} {}{}",
                    paint.red("-"),
                    inline(item),
                    if first { note.as_str() } else { "" }
                );
                first = false;
            }
            for item in new.difference(&old) {
                let label = if first { change.field.as_str() } else { "" };
                let _ = writeln!(
                    out,
                    "      {label:<20} {} {}{}",
                    paint.green("+"),
                    inline(item),
                    if first { note.as_str() } else { "" }
                );
                first = false;
            }
        }
        (Value::Map(old), Value::Map(new)) => {
            let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
            let mut first = true;
            for key in keys {
                let label = if first { change.field.as_str() } else { "" };
                let line = match (old.get(key), new.get(key)) {
                    (Some(before), Some(after)) if before != after => {
                        let (before, after) = old_and_new(before, after);
                        format!("{} {key} = {before} → {after}", paint.yellow("~"))
                    }
                    (Some(before), None) => {
                        format!("{} {key} = {}", paint.red("-"), inline(before))
                    }
                    (None, Some(after)) => {
                        format!("{} {key} = {}", paint.green("+"), inline(after))
                    }
                    _ => continue,
                };
                let _ = writeln!(
                    out,
                    "      {label:<20} {line}{}",
                    if first { note.as_str() } else { "" }
                );
                first = false;
            }
        }
        (old, new) => {
            let (old, new) = old_and_new(old, new);
            let _ = writeln!(out, "      {:<20} {old} → {new}{note}", change.field);
        }
    }
}

/// A changed value, before and after. A sensitive value shows as `(sensitive)` (see
/// `redact`), and so does the live value it replaces: the previous secret is one too.
fn old_and_new(before: &Value, after: &Value) -> (String, String) {
    let after = inline(after);
    if crate::redact::redact(&after) != after {
        return (format!("\"{}\"", crate::redact::SHOWN), after);
    }
    (inline(before), after)
}

/// The fields that name an entry of a list, in order of preference: a container's
/// `name`, an origin's or lifecycle rule's `id`, a cache behavior's `path`, an error
/// response's `code`.
const ENTRY_KEYS: &[&str] = &["name", "id", "path", "code"];

fn entry_key(value: &Value) -> Option<&'static str> {
    let map = value.as_map()?;
    ENTRY_KEYS
        .iter()
        .copied()
        .find(|key| map.contains_key(*key))
}

fn entry_name(value: &Value) -> String {
    match entry_key(value).and_then(|key| value.as_map()?.get(key)) {
        Some(Value::Str(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => "?".to_string(),
    }
}

/// Both lists hold maps named by the same field, with the same names in the same order.
fn same_names(old: &[Value], new: &[Value]) -> bool {
    old.len() == new.len()
        && old.iter().zip(new).all(|(a, b)| {
            entry_key(a).is_some() && entry_key(a) == entry_key(b) && entry_name(a) == entry_name(b)
        })
}

/// The leaves where two values differ, as `path.to.field` with old and new.
fn leaf_changes<'a>(
    path: String,
    old: &'a Value,
    new: &'a Value,
    out: &mut Vec<(String, &'a Value, &'a Value)>,
) {
    static EMPTY: std::collections::BTreeMap<String, Value> = std::collections::BTreeMap::new();
    let as_map = |value: &'a Value| match value {
        Value::Map(map) => map,
        _ => &EMPTY,
    };
    match (old, new) {
        (Value::Map(_) | Value::Null, Value::Map(_)) | (Value::Map(_), Value::Null) => {
            let before = as_map(old);
            let after = as_map(new);
            let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
            for key in keys {
                leaf_changes(
                    format!("{path}.{key}"),
                    before.get(key).unwrap_or(&Value::Null),
                    after.get(key).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        _ if old != new => out.push((path, old, new)),
        _ => {}
    }
}

/// One value on one line; maps skip empty entries, so a rule reads
/// `{protocol: "tcp", from_port: 443, to_port: 443, peer: "0.0.0.0/0"}`.
fn inline(value: &Value) -> String {
    match value {
        Value::Map(map) => {
            let parts: Vec<String> = map
                .iter()
                .filter(|(_, item)| **item != Value::Null)
                .map(|(key, item)| format!("{key}: {}", inline(item)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Value::Set(_) | Value::List(_) => {
            let parts: Vec<String> = value.items().map(inline).collect();
            format!("[{}]", parts.join(", "))
        }
        other => other.to_string(),
    }
}

/// A step in its kind's own words, and with `--verbose` one line per entry.
fn render_summary(out: &mut String, summary: &Summary, paint: Paint, verbose: bool) {
    for line in &summary.lines {
        let _ = writeln!(out, "      {line}");
    }
    if verbose {
        for entry in &summary.entries {
            let (sign, colour): (&str, fn(Paint, &str) -> String) = match entry.action {
                Action::Create => ("+", Paint::green),
                Action::Delete => ("-", Paint::red),
                Action::Update | Action::Replace => ("~", Paint::yellow),
            };
            let _ = writeln!(out, "        {} {}", colour(paint, sign), entry.name);
        }
    }
}
