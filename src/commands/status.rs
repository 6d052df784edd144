//! `edgectl status`: what the stack owns now, read live, each resource with its id in AWS
//! and how it stands against the manifest, the notes a plan would give, and the outputs.
//! It is a plan told per resource: the same reads, the same diff, nothing changed and no
//! lock taken.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use crate::cli::{GlobalArgs, StatusArgs};
use crate::engine::diff::{Action, Plan};
use crate::engine::model::{Observed, ResourceId};
use crate::pipeline;

/// How one resource stands against the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    InSync,
    /// Live and declared, with fields that differ: apply updates it, or replaces it
    /// (`reason` when no field says why: a resource that failed).
    Differs {
        fields: Vec<String>,
        replaced: bool,
        reason: Option<String>,
    },
    /// Declared, not live: apply creates it.
    Missing,
    /// Live, not declared: apply deletes it.
    Undeclared,
    /// Live, and deleted by apply for a reason of its own: a second copy of a declared
    /// resource.
    Extra {
        why: String,
    },
    /// Live, not declared, and marked `retain`: apply and destroy leave it.
    Retained,
}

impl State {
    fn word(&self) -> &'static str {
        match self {
            State::InSync => "in-sync",
            State::Differs {
                replaced: false, ..
            } => "differs",
            State::Differs { replaced: true, .. } => "replaced",
            State::Missing => "missing",
            State::Undeclared => "undeclared",
            State::Extra { .. } => "extra",
            State::Retained => "retained",
        }
    }

    /// For people: the state and what apply would do about it.
    fn told(&self) -> String {
        match self {
            State::InSync => "in sync".to_string(),
            State::Differs {
                fields,
                replaced,
                reason,
            } => {
                let mut what = fields.clone();
                what.extend(reason.clone());
                format!(
                    "differs: {} (apply {} it)",
                    if what.is_empty() {
                        "a change no field holds".to_string()
                    } else {
                        what.join(", ")
                    },
                    if *replaced { "replaces" } else { "updates" }
                )
            }
            State::Missing => "missing (apply creates it)".to_string(),
            State::Undeclared => "not in the manifest (apply deletes it)".to_string(),
            State::Extra { why } => format!("{why} (apply deletes it)"),
            State::Retained => "not in the manifest, retained (apply leaves it)".to_string(),
        }
    }
}

/// One resource: its logical id, its id in AWS when it is live, how it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub id: ResourceId,
    pub live: Option<String>,
    pub state: State,
}

/// Each live resource and each one the plan would create, in id order, with its state;
/// `declared` says whether the manifest has a resource.
pub fn rows(
    plan: &Plan,
    observed: &[Observed],
    declared: impl Fn(&ResourceId) -> bool,
) -> Vec<Row> {
    let mut rows: BTreeMap<(ResourceId, String), Row> = BTreeMap::new();
    for resource in observed {
        rows.insert(
            (resource.id.clone(), resource.physical_id.clone()),
            Row {
                id: resource.id.clone(),
                live: Some(resource.physical_id.clone()),
                state: if resource.retained && !declared(&resource.id) {
                    State::Retained
                } else {
                    State::InSync
                },
            },
        );
    }
    for step in &plan.steps {
        let fields = || -> Vec<String> {
            let mut fields: Vec<String> = step.changes.iter().map(|c| c.field.clone()).collect();
            fields.dedup();
            fields
        };
        let state = match step.action {
            Action::Create => State::Missing,
            Action::Update | Action::Replace => State::Differs {
                fields: fields(),
                replaced: step.action == Action::Replace,
                reason: step.reason.clone(),
            },
            Action::Delete => match &step.reason {
                None => State::Undeclared,
                Some(why) => State::Extra { why: why.clone() },
            },
        };
        let live = step.observed.as_ref().map(|live| live.physical_id.clone());
        let key = (step.id.clone(), live.clone().unwrap_or_default());
        rows.insert(
            key,
            Row {
                id: step.id.clone(),
                live,
                state,
            },
        );
    }
    rows.into_values().collect()
}

/// The rows as a table for people, headed by the counts.
pub fn render(rows: &[Row], stack: &str, place: &str) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for row in rows {
        *counts.entry(row.state.word()).or_default() += 1;
    }
    let counted: Vec<String> = [
        ("in-sync", "in sync"),
        ("differs", "to update"),
        ("replaced", "to replace"),
        ("missing", "missing"),
        ("undeclared", "not in the manifest"),
        ("extra", "extra copies"),
        ("retained", "retained"),
    ]
    .iter()
    .filter_map(|(word, told)| counts.get(word).map(|count| format!("{count} {told}")))
    .collect();
    let live = rows.iter().filter(|row| row.live.is_some()).count();
    let mut out = format!(
        "Stack `{stack}` in {place}: {} live{}\n",
        crate::manifest::plural(live, "resource"),
        if counted.is_empty() {
            String::new()
        } else {
            format!(" ({})", counted.join(", "))
        }
    );
    if rows.is_empty() {
        return out;
    }
    let id_width = rows
        .iter()
        .map(|row| row.id.to_string().len())
        .max()
        .unwrap_or(0);
    let live_width = rows
        .iter()
        .map(|row| row.live.as_deref().unwrap_or("-").len())
        .max()
        .unwrap_or(0);
    out.push('\n');
    for row in rows {
        out.push_str(&format!(
            "  {:<id_width$}  {:<live_width$}  {}\n",
            row.id.to_string(),
            row.live.as_deref().unwrap_or("-"),
            row.state.told()
        ));
    }
    out
}

pub async fn run(global: &GlobalArgs, args: &StatusArgs) -> anyhow::Result<ExitCode> {
    // It makes nothing: `--strict` is no concern of it.
    let (manifest, adapters) = super::load(&crate::cli::ManifestArgs {
        strict: false,
        ..args.manifest.clone()
    })?;
    pipeline::warm(&manifest);
    let session = pipeline::connect(
        &super::connection(global),
        (&manifest).into(),
        Duration::from_secs(60),
        true,
        false,
    )
    .await?;
    let observation = super::observe(&session, &adapters, &manifest).await?;
    let (plan, refusals) =
        pipeline::plan_with_refusals(&adapters, Some(&manifest), &observation, &[])?;
    let desired = pipeline::desired(&manifest, &observation.env)?;
    let rows = rows(&plan, &observation.observed, |id| {
        desired.nodes.contains_key(id)
    });
    let known = pipeline::physical_ids(&observation.observed).snapshot();
    let readings = super::output::read(&manifest, &observation.env, &known);
    let place = super::place(&session.cx.region, manifest.environment.as_deref());
    if args.json {
        let resources: Vec<serde_json::Value> = rows
            .iter()
            .map(|row| {
                let (fields, reason) = match &row.state {
                    State::Differs { fields, reason, .. } => (fields.clone(), reason.clone()),
                    State::Extra { why } => (Vec::new(), Some(why.clone())),
                    _ => (Vec::new(), None),
                };
                serde_json::json!({
                    "id": row.id.to_string(),
                    "live": row.live,
                    "state": row.state.word(),
                    "fields": fields,
                    "reason": reason,
                })
            })
            .collect();
        let outputs: serde_json::Map<String, serde_json::Value> = readings
            .iter()
            .map(|reading| {
                let value = match (&reading.value, reading.sensitive) {
                    (Ok(text), false) => serde_json::Value::String(text.clone()),
                    _ => serde_json::Value::Null,
                };
                // What it needs that is not live (its value is then null too).
                let missing: Vec<String> = match &reading.value {
                    Err(ids) => ids.iter().map(ToString::to_string).collect(),
                    Ok(_) => Vec::new(),
                };
                (
                    reading.name.clone(),
                    serde_json::json!({
                        "value": value,
                        "sensitive": reading.sensitive,
                        "missing": missing,
                    }),
                )
            })
            .collect();
        let document = serde_json::json!({
            "stack": manifest.stack,
            "region": session.cx.region,
            "environment": manifest.environment,
            "resources": resources,
            "notes": plan.notes,
            "refusals": refusals,
            "outputs": outputs,
        });
        crate::dataln!("{}", serde_json::to_string_pretty(&document)?);
    } else {
        crate::data!("{}", render(&rows, &manifest.stack, &place));
        if !plan.notes.is_empty() || !refusals.is_empty() {
            crate::dataln!("");
            for note in &plan.notes {
                crate::dataln!("Note: {note}");
            }
            for refusal in &refusals {
                crate::dataln!("Apply would refuse: {refusal}");
            }
        }
        super::output::show(&readings);
    }
    crate::sayln!(
        "read {} live resources with {} in {}",
        observation.observed.len(),
        session.calls.summary(),
        crate::render::duration(observation.elapsed)
    );
    super::print_calls(global, &session);
    // Notes (an image kept, a rollout that failed) are told, not counted.
    let settled = rows
        .iter()
        .all(|row| matches!(row.state, State::InSync | State::Retained));
    Ok(if args.detailed_exitcode && !settled {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::diff::Step;

    fn live(id: &str, retained: bool) -> Observed {
        Observed {
            id: ResourceId::parse(id),
            physical_id: format!("{id}-live"),
            props: Default::default(),
            after: Vec::new(),
            broken: None,
            extra: Default::default(),
            spare: false,
            attributes: Default::default(),
            retained,
        }
    }

    #[test]
    fn each_resource_is_told_by_its_step_or_as_in_sync() {
        let observed = vec![
            live("bucket.kept", true),
            live("bucket.data", true),
            live("vpc", false),
            live("subnet.public-1", false),
        ];
        let step = |id: &str, action: Action, observed: Option<Observed>| Step {
            id: ResourceId::parse(id),
            action,
            changes: Vec::new(),
            reason: None,
            desired: None,
            observed,
            replacement: Default::default(),
            summary: None,
        };
        let plan = Plan {
            steps: vec![
                Step {
                    reason: Some("it failed".into()),
                    ..step("vpc", Action::Replace, Some(live("vpc", false)))
                },
                step("subnet.public-2", Action::Create, None),
                Step {
                    reason: Some("a duplicate".into()),
                    ..step("vpc.copy", Action::Delete, Some(live("vpc.copy", false)))
                },
            ],
            unchanged: 2,
            notes: Vec::new(),
        };
        let rows = rows(&plan, &observed, |id| id.to_string() != "bucket.kept");
        let told: Vec<(String, String)> = rows
            .iter()
            .map(|row| (row.id.to_string(), row.state.told()))
            .collect();
        assert_eq!(
            told,
            [
                ("bucket.data", "in sync"),
                (
                    "bucket.kept",
                    "not in the manifest, retained (apply leaves it)"
                ),
                ("subnet.public-1", "in sync"),
                ("subnet.public-2", "missing (apply creates it)"),
                ("vpc", "differs: it failed (apply replaces it)"),
                ("vpc.copy", "a duplicate (apply deletes it)"),
            ]
            .map(|(id, told)| (id.to_string(), told.to_string()))
        );
        let table = render(&rows, "demo", "us-east-1");
        assert!(
            table.starts_with(
                "Stack `demo` in us-east-1: 5 resources live (2 in sync, 1 to replace, 1 missing, 1 extra copies, 1 retained)\n"
            ),
            "{table}"
        );
    }
}
