//! `edgectl output`: the manifest's outputs, read live (one value bare on stdout, for
//! `$(edgectl output -f m.yaml url)`); and the outputs `apply` prints when it is done.

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;
use std::sync::Arc;

use crate::cli::{GlobalArgs, OutputArgs};
use crate::engine::model::{ResourceId, Value};
use crate::lower::Env;
use crate::manifest::Manifest;
use crate::pipeline;

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("the manifest declares no outputs")]
    NoOutputs,
    #[error("the manifest declares no output `{name}`{hint}")]
    Unknown { name: String, hint: String },
    #[error("{0}; run `edgectl apply` first")]
    NotLive(String),
}

/// One output as it reads now: its text, or the resources it needs that are not live.
pub struct Reading {
    pub name: String,
    pub description: Option<String>,
    pub sensitive: bool,
    pub value: Result<String, BTreeSet<ResourceId>>,
}

impl Reading {
    /// `value` rendered with the live ids and attributes `known`.
    fn new(
        name: &str,
        description: Option<&str>,
        sensitive: bool,
        value: &Value,
        known: &BTreeMap<ResourceId, String>,
    ) -> Self {
        let value = match value.render(&|id| known.get(id).cloned()) {
            Value::Str(text) => Ok(text),
            other => {
                let mut refs = Vec::new();
                other.refs(&mut refs);
                Err(refs
                    .into_iter()
                    .filter(|id| !known.contains_key(id))
                    .collect())
            }
        };
        Reading {
            name: name.to_string(),
            description: description.map(str::to_string),
            sensitive,
            value,
        }
    }
}

/// Every output of `manifest`, with the live ids and attributes `known`.
pub fn read(manifest: &Manifest, env: &Env, known: &BTreeMap<ResourceId, String>) -> Vec<Reading> {
    crate::lower::outputs(manifest, env, &crate::kinds::lowerings())
        .iter()
        .map(|(output, value)| {
            Reading::new(
                &output.name,
                output.description.as_deref(),
                output.sensitive,
                value,
                known,
            )
        })
        .collect()
}

/// Outputs as a saved plan holds them, with the ids and attributes `known`.
pub fn read_saved(
    saved: &[crate::planfile::SavedOutput],
    known: &BTreeMap<ResourceId, String>,
) -> Vec<Reading> {
    saved
        .iter()
        .map(|output| Reading::new(&output.name, None, output.sensitive, &output.value, known))
        .collect()
}

/// The outputs for people, after apply (stdout): `name = "value"`, sensitive ones hidden;
/// on GitHub Actions, the job's summary gets them too.
pub fn print(readings: &[Reading]) {
    show(readings);
    if !readings.is_empty() {
        crate::render::github::summarize(&summary_table(readings));
    }
}

/// [`print`], on stdout only.
pub fn show(readings: &[Reading]) {
    if readings.is_empty() {
        return;
    }
    crate::dataln!("\nOutputs:");
    let width = readings
        .iter()
        .map(|reading| reading.name.len())
        .max()
        .unwrap_or(0);
    for reading in readings {
        let shown = match (&reading.value, reading.sensitive) {
            (Ok(_), true) => "(sensitive)".to_string(),
            (Ok(text), false) => format!("{text:?}"),
            (Err(missing), _) => format!("(not live: {})", names(missing)),
        };
        crate::dataln!("  {:<width$} = {shown}", reading.name);
    }
}

/// The outputs as a Markdown table for a GitHub Actions job's summary: a URL is a link,
/// a sensitive value hidden.
fn summary_table(readings: &[Reading]) -> String {
    let mut out = String::from("\n| output | value |\n|---|---|\n");
    for reading in readings {
        // Redacted before it is escaped: an escaped secret would no longer be found.
        let cell = |text: &str| {
            crate::redact::redact(text)
                .replace('|', "\\|")
                .replace('\n', " ")
        };
        let shown = match (&reading.value, reading.sensitive) {
            (Ok(_), true) => "(sensitive)".to_string(),
            (Ok(text), false) if text.starts_with("https://") || text.starts_with("http://") => {
                format!("<{}>", cell(text))
            }
            (Ok(text), false) => format!("`{}`", cell(text)),
            (Err(missing), _) => format!("(not live: {})", cell(&names(missing))),
        };
        out.push_str(&format!("| {} | {shown} |\n", cell(&reading.name)));
    }
    out
}

fn names(ids: &BTreeSet<ResourceId>) -> String {
    ids.iter()
        .map(|id| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn run(global: &GlobalArgs, args: &OutputArgs) -> anyhow::Result<ExitCode> {
    let (manifest, _) = super::load_without_content(&args.manifest)?;
    if manifest.outputs.is_empty() {
        return Err(OutputError::NoOutputs.into());
    }
    if let Some(name) = &args.name
        && !manifest.outputs.iter().any(|output| output.name == *name)
    {
        let hint =
            crate::manifest::diag::suggest(name, manifest.outputs.iter().map(|o| o.name.as_str()))
                .map(|close| format!(": did you mean `{close}`?"))
                .unwrap_or_else(|| {
                    format!(
                        "; it declares {}",
                        manifest
                            .outputs
                            .iter()
                            .map(|output| format!("`{}`", output.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                });
        return Err(OutputError::Unknown {
            name: name.clone(),
            hint,
        }
        .into());
    }
    let session = pipeline::connect(
        &super::connection(global),
        (&manifest).into(),
        std::time::Duration::from_secs(60),
        true,
        false,
    )
    .await?;
    // Only the kinds the outputs name are read.
    let env = Env {
        region: session.cx.region.clone(),
        zones: Vec::new(),
    };
    let mut kinds = BTreeSet::new();
    for (_, value) in crate::lower::outputs(&manifest, &env, &crate::kinds::lowerings()) {
        let mut refs = Vec::new();
        value.refs(&mut refs);
        kinds.extend(refs.iter().map(|id| id.kind().to_string()));
    }
    let adapters: Vec<Arc<dyn crate::aws::Adapter>> = crate::kinds::adapters()
        .into_iter()
        .filter(|adapter| adapter.kinds().iter().any(|kind| kinds.contains(*kind)))
        .collect();
    let live = pipeline::observe_raw(&session.cx, &adapters)
        .await
        .inspect_err(|_| crate::sayln!("gave up after {}", session.calls.summary()))?;
    let known: BTreeMap<ResourceId, String> = pipeline::live_ids(&live).into_iter().collect();
    super::print_calls(global, &session);
    let readings: Vec<Reading> = read(&manifest, &env, &known)
        .into_iter()
        .filter(|reading| args.name.as_ref().is_none_or(|name| reading.name == *name))
        .collect();
    let missing: Vec<String> = readings
        .iter()
        .filter_map(|reading| {
            let missing = reading.value.as_ref().err()?;
            Some(format!(
                "output `{}` needs {}, which {} not live",
                reading.name,
                names(missing),
                if missing.len() == 1 { "is" } else { "are" }
            ))
        })
        .collect();
    if !missing.is_empty() {
        return Err(OutputError::NotLive(missing.join("; ")).into());
    }
    let value = |reading: &Reading| reading.value.clone().unwrap_or_default();
    match (&args.name, args.json) {
        // One value, bare (or as a JSON string): what a script asked for by name, sensitive
        // or not.
        (Some(_), false) => {
            for reading in &readings {
                crate::dataln!("{}", value(reading));
            }
        }
        (Some(_), true) => {
            for reading in &readings {
                crate::dataln!("{}", serde_json::Value::String(value(reading)));
            }
        }
        (None, true) => {
            let all: serde_json::Map<String, serde_json::Value> = readings
                .iter()
                .map(|reading| {
                    (
                        reading.name.clone(),
                        serde_json::json!({
                            "value": value(reading),
                            "sensitive": reading.sensitive,
                            "description": reading.description,
                        }),
                    )
                })
                .collect();
            crate::dataln!("{}", serde_json::to_string_pretty(&all)?);
        }
        (None, false) => {
            for reading in &readings {
                let shown = if reading.sensitive {
                    "(sensitive)".to_string()
                } else {
                    format!("{:?}", value(reading))
                };
                crate::dataln!("{} = {shown}", reading.name);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
