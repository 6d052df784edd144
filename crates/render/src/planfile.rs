//! The plan as a document: what `plan --out` writes, `plan --json` prints, `show` renders
//! and `apply PLANFILE` executes. One JSON shape for all four (documented in the README):
//! a readable part for people and policy checks (`actions`, `order`, `variables`, ...) and
//! `execution`, the plan exactly as the walk runs it.
//!
//! Values of variables marked `sensitive: true` are never written: every occurrence in a
//! string becomes `((sensitive:NAME))`, and the variable keeps only a salted BLAKE3 hash, so
//! that `apply PLANFILE` can check that the value it is given again is the one planned.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::engine::diff::{Action, Plan, Replacement};
use crate::engine::model::{Observed, ResourceId, Value};
use crate::source::Source;

/// The shape of the document; a reader refuses any other.
pub const FORMAT_VERSION: &str = "1";

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub format_version: String,
    pub edgectl_version: String,
    /// RFC 3339, UTC, to the second.
    pub created_at: String,
    pub stack: String,
    pub region: String,
    pub account: String,
    pub manifest: ManifestInfo,
    pub variables: BTreeMap<String, VariableInfo>,
    pub summary: Summary,
    pub actions: Vec<ActionInfo>,
    /// The operations in an order the walk may run them (`delete subnet.a`, ...):
    /// for a replacement, whether the old one goes before or after its successor.
    pub order: Vec<String>,
    pub notes: Vec<String>,
    pub execution: Execution,
    /// BLAKE3 of the file with this field's value as 64 zeros: a plan edited by hand or
    /// damaged is refused (integrity, not authenticity: anyone can recompute it).
    pub checksum: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestInfo {
    pub path: String,
    pub blake3: String,
    /// The environment it was planned for (`--env`), when the manifest has several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The Route 53 zones the manifest writes records in (read by `apply PLANFILE`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_zones: Vec<String>,
    /// The manifest's buckets' names (read by `apply PLANFILE`: a bucket made a moment
    /// ago is found by its name before the tagging API lists it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buckets: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableInfo {
    pub sensitive: bool,
    /// The value; absent for a sensitive variable (and for one with no value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// For a sensitive variable: hex salt and BLAKE3 of salt and value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blake3: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub unchanged: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionInfo {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub action: Action,
    /// For a replacement: `delete_then_create`, `create_then_delete` or `create_only`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<Replacement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The live resource acted on; absent for a create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_id: Option<String>,
    /// BLAKE3 of the live resource as read; absent for a create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    pub changes: Vec<ChangeInfo>,
    /// The kind's own account of the action, as `plan` prints it (a sync's counts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub summary: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeInfo {
    pub field: String,
    pub before: Json,
    pub after: Json,
    pub forces_replacement: bool,
}

/// What `apply PLANFILE` runs, and what it checks first.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Execution {
    pub plan: Plan,
    /// Every live resource's physical id at plan time (what references resolve to).
    pub physical_ids: BTreeMap<ResourceId, String>,
    /// The touched resources exactly as read, to name what changed since.
    pub observed: Vec<Observed>,
    /// The manifest's outputs, for apply to print when it is done.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<SavedOutput>,
}

/// An output as a saved plan holds it: text, or a template of live attributes.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedOutput {
    pub name: String,
    pub value: crate::engine::model::Value,
    pub sensitive: bool,
}

/// What the plan was made for, besides the plan itself.
pub struct Origin<'a> {
    pub stack: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub manifest_path: &'a str,
    pub source: &'a Source,
    pub environment: Option<&'a str>,
    pub outputs: Vec<SavedOutput>,
    pub dns_zones: Vec<String>,
    pub buckets: Vec<String>,
}

/// BLAKE3 of a live resource as read (physical id, fields, details).
pub fn fingerprint(observed: &Observed) -> String {
    let observed = observed.without_note();
    let bytes =
        serde_json::to_vec(&observed).unwrap_or_else(|_| format!("{observed:?}").into_bytes());
    blake3::hash(&bytes).to_hex().to_string()
}

/// The document for `plan`, made from `live`, the observation the plan was made on
/// (before any normalising), and the physical ids the walk would start from.
pub fn build(
    plan: &Plan,
    origin: &Origin<'_>,
    live: &[Observed],
    physical_ids: BTreeMap<ResourceId, String>,
    order: Vec<String>,
) -> Document {
    let touched: Vec<Observed> = plan
        .steps
        .iter()
        .filter_map(|step| step.observed.as_ref())
        .filter_map(|have| {
            live.iter()
                .find(|raw| raw.id == have.id && raw.physical_id == have.physical_id)
                .cloned()
        })
        .collect();
    let actions = plan
        .steps
        .iter()
        .map(|step| {
            let raw = step.observed.as_ref().and_then(|have| {
                touched
                    .iter()
                    .find(|raw| raw.id == have.id && raw.physical_id == have.physical_id)
            });
            ActionInfo {
                id: step.id.to_string(),
                kind: step.id.kind().to_string(),
                name: step.id.name().to_string(),
                action: step.action,
                replacement: (step.action == Action::Replace).then_some(step.replacement),
                reason: step.reason.clone(),
                physical_id: step.observed.as_ref().map(|have| have.physical_id.clone()),
                fingerprint: raw.map(fingerprint),
                changes: changes(step),
                summary: step
                    .summary
                    .as_ref()
                    .map(|summary| summary.lines.clone())
                    .unwrap_or_default(),
            }
        })
        .collect();
    let variables = origin
        .source
        .variables
        .iter()
        .map(|(name, variable)| {
            let info = match (&variable.value, variable.sensitive) {
                (Some(value), true) => {
                    let salt = salt();
                    VariableInfo {
                        sensitive: true,
                        value: None,
                        blake3: Some(salted(&salt, value)),
                        salt: Some(hex::encode(salt)),
                    }
                }
                (value, sensitive) => VariableInfo {
                    sensitive,
                    value: if sensitive { None } else { value.clone() },
                    salt: None,
                    blake3: None,
                },
            };
            (name.clone(), info)
        })
        .collect();
    Document {
        format_version: FORMAT_VERSION.to_string(),
        edgectl_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        stack: origin.stack.to_string(),
        region: origin.region.to_string(),
        account: origin.account.to_string(),
        manifest: ManifestInfo {
            path: origin.manifest_path.to_string(),
            blake3: origin.source.digest.clone(),
            environment: origin.environment.map(str::to_string),
            dns_zones: origin.dns_zones.clone(),
            buckets: origin.buckets.clone(),
        },
        variables,
        summary: Summary {
            create: plan.count(Action::Create),
            update: plan.count(Action::Update),
            replace: plan.count(Action::Replace),
            delete: plan.count(Action::Delete),
            unchanged: plan.unchanged,
        },
        actions,
        order,
        notes: plan.notes.clone(),
        execution: Execution {
            plan: plan.clone(),
            physical_ids,
            observed: touched,
            outputs: origin.outputs.clone(),
        },
        checksum: String::new(),
    }
}

/// Field changes as scripts read them: every field for a create (before `null`) and a
/// delete (after `null`), the changed ones otherwise.
fn changes(step: &crate::engine::diff::Step) -> Vec<ChangeInfo> {
    match step.action {
        Action::Create => step
            .desired
            .iter()
            .flat_map(|want| want.props.iter())
            .map(|(field, value)| ChangeInfo {
                field: field.clone(),
                before: Json::Null,
                after: to_json(&value.value),
                forces_replacement: false,
            })
            .collect(),
        Action::Delete => step
            .observed
            .iter()
            .flat_map(|have| have.props.iter())
            .map(|(field, value)| ChangeInfo {
                field: field.clone(),
                before: to_json(&value.value),
                after: Json::Null,
                forces_replacement: false,
            })
            .collect(),
        Action::Update | Action::Replace => step
            .changes
            .iter()
            .map(|change| ChangeInfo {
                field: change.field.clone(),
                before: to_json(&change.old),
                after: to_json(&change.new),
                forces_replacement: change.forces_replacement,
            })
            .collect(),
    }
}

/// A value as plain JSON: references as `{"ref": id}`, values only known after apply as
/// `{"known_after_apply": true}`, ids outside the stack as `{"external": id}`, text made
/// of live values as `{"template": [parts]}`.
pub fn to_json(value: &Value) -> Json {
    match value {
        Value::Null | Value::AwsDefault => Json::Null,
        Value::Bool(flag) => Json::Bool(*flag),
        Value::Int(number) => Json::from(*number),
        Value::Str(text) => Json::String(text.clone()),
        Value::Ref(id) => serde_json::json!({ "ref": id.as_str() }),
        Value::Phys(physical) => serde_json::json!({ "external": physical }),
        Value::Unknown => serde_json::json!({ "known_after_apply": true }),
        Value::KeepLive(fallback, _) => to_json(fallback),
        Value::Template(parts) => {
            serde_json::json!({ "template": parts.iter().map(to_json).collect::<Vec<_>>() })
        }
        Value::List(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Set(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(map) => Json::Object(
            map.iter()
                .map(|(key, item)| (key.clone(), to_json(item)))
                .collect(),
        ),
    }
}

fn salt() -> [u8; 16] {
    use std::io::Read as _;
    let mut salt = [0u8; 16];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut salt))
        .is_err()
    {
        // No random source: the time still makes equal values hash differently per plan.
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        salt = nanos.to_le_bytes();
    }
    salt
}

fn salted(salt: &[u8], value: &str) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(salt);
    hasher.update(value.as_bytes());
    hasher.finalize().to_hex().to_string()
}

/// The top-level key (pretty-printed, two spaces in): a field of that name deeper in the
/// document (a synced file called `checksum`) is indented further.
const CHECKSUM_KEY: &str = "\n  \"checksum\": \"";
const ZEROS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The document as written to a file or stdout: sensitive values replaced in every
/// string, then the checksum over the result.
pub fn to_text(
    document: &Document,
    sensitive: &BTreeMap<String, String>,
) -> Result<String, serde_json::Error> {
    let mut document = document.clone();
    document.checksum = ZEROS.to_string();
    let mut json = serde_json::to_value(&document)?;
    let mut by_length: Vec<(&String, &String)> = sensitive
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .collect();
    by_length.sort_by_key(|entry| std::cmp::Reverse(entry.1.len()));
    map_strings(&mut json, &|text| {
        let mut text = text.to_string();
        for (name, value) in &by_length {
            text = text.replace(value.as_str(), &marker(name));
        }
        text
    });
    let mut text = serde_json::to_string_pretty(&json)?;
    text.push('\n');
    let sum = blake3::hash(text.as_bytes()).to_hex().to_string();
    Ok(text.replacen(
        &format!("{CHECKSUM_KEY}{ZEROS}\""),
        &format!("{CHECKSUM_KEY}{sum}\""),
        1,
    ))
}

fn marker(name: &str) -> String {
    format!("((sensitive:{name}))")
}

fn map_strings(json: &mut Json, change: &dyn Fn(&str) -> String) {
    match json {
        Json::String(text) => *text = change(text),
        Json::Array(items) => items.iter_mut().for_each(|item| map_strings(item, change)),
        Json::Object(map) => {
            let entries = std::mem::take(map);
            for (key, mut item) in entries {
                map_strings(&mut item, change);
                map.insert(change(&key), item);
            }
        }
        _ => {}
    }
}

/// Why a plan file cannot be applied (exit code 1, before any AWS call for most).
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("cannot read plan file `{path}`: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "`{path}` is not an edgectl plan file, or it was changed after it was written ({why}); make a new one with `edgectl plan -f FILE --out {path}`"
    )]
    Damaged { path: String, why: String },
    #[error(
        "`{path}` is a manifest, not a plan file: apply it with `edgectl apply -f {path}`, or save a plan to review with `edgectl plan -f {path} --out PLANFILE` and apply that"
    )]
    Manifest { path: String },
    #[error(
        "`{path}` was made by edgectl {made_by}, this is edgectl {this}: a plan is applied by the version that made it; make a new one with this version"
    )]
    Version {
        path: String,
        made_by: String,
        this: String,
    },
    #[error(
        "`{path}` was made {age} ago, at {created_at}; plans older than {limit} are refused (`--max-plan-age`): make a new one"
    )]
    TooOld {
        path: String,
        age: String,
        created_at: String,
        limit: String,
    },
    #[error("`{path}` needs the value of sensitive variable `{name}`: {why}")]
    Sensitive {
        path: String,
        name: String,
        why: String,
    },
    #[error("`{path}` was made for {what} `{planned}`, but this run is for `{actual}`: {help}")]
    Elsewhere {
        path: String,
        what: &'static str,
        planned: String,
        actual: String,
        help: &'static str,
    },
}

/// Reads a plan file: refuses a damaged or edited one, one of another format or edgectl
/// version. The result still holds sensitive values as markers (see [`Document::reveal`]).
pub fn read(path: &str) -> Result<(Document, String), PlanFileError> {
    let bytes = std::fs::read(path).map_err(|source| PlanFileError::Read {
        path: path.to_string(),
        source,
    })?;
    let damaged = |why: String| PlanFileError::Damaged {
        path: path.to_string(),
        why,
    };
    let text = String::from_utf8(bytes).map_err(|_| damaged("it is not UTF-8".into()))?;
    // A manifest given where a plan file goes (`apply stack.yaml`): a plan file is JSON,
    // a manifest YAML with its `stack:` at the top level.
    let manifest = text.lines().any(|line| line.starts_with("stack:"));
    if !text.contains(CHECKSUM_KEY) && !text.trim_start().starts_with('{') && manifest {
        return Err(PlanFileError::Manifest {
            path: path.to_string(),
        });
    }
    let start = text
        .find(CHECKSUM_KEY)
        .ok_or_else(|| damaged("it has no checksum".into()))?
        + CHECKSUM_KEY.len();
    let written = text
        .get(start..start + ZEROS.len())
        .ok_or_else(|| damaged("its checksum is cut short".into()))?
        .to_string();
    let mut blank = text.clone();
    blank.replace_range(start..start + ZEROS.len(), ZEROS);
    if blake3::hash(blank.as_bytes()).to_hex().as_str() != written {
        return Err(damaged("its checksum does not match its content".into()));
    }
    let header: Json =
        serde_json::from_str(&text).map_err(|error| damaged(format!("not JSON: {error}")))?;
    let format = header.get("format_version").and_then(Json::as_str);
    if format != Some(FORMAT_VERSION) {
        return Err(damaged(format!(
            "its format_version is {}, this edgectl reads {FORMAT_VERSION}",
            format.map_or_else(|| "missing".to_string(), |found| format!("`{found}`"))
        )));
    }
    let made_by = header
        .get("edgectl_version")
        .and_then(Json::as_str)
        .unwrap_or("(unknown)");
    if made_by != env!("CARGO_PKG_VERSION") {
        return Err(PlanFileError::Version {
            path: path.to_string(),
            made_by: made_by.to_string(),
            this: env!("CARGO_PKG_VERSION").to_string(),
        });
    }
    let document: Document = serde_json::from_value(header.clone())
        .map_err(|error| damaged(format!("its content does not parse: {error}")))?;
    Ok((document, text))
}

impl Document {
    /// Refuses a plan older than `limit` (or dated in the future by more than a minute).
    pub fn check_age(&self, path: &str, limit: Duration) -> Result<(), PlanFileError> {
        let created =
            humantime::parse_rfc3339(&self.created_at).map_err(|_| PlanFileError::Damaged {
                path: path.to_string(),
                why: format!("its created_at `{}` is not a time", self.created_at),
            })?;
        let now = SystemTime::now();
        let age = now.duration_since(created).unwrap_or_default();
        if age > limit || created > now + Duration::from_secs(60) {
            return Err(PlanFileError::TooOld {
                path: path.to_string(),
                age: humantime::format_duration(Duration::from_secs(age.as_secs())).to_string(),
                created_at: self.created_at.clone(),
                limit: humantime::format_duration(limit).to_string(),
            });
        }
        Ok(())
    }

    /// The sensitive variables' values, given again (`given`: a variable's value from
    /// `--var` or `EDGECTL_VAR_*`) and checked against the plan's hashes.
    pub fn sensitive_values(
        &self,
        path: &str,
        given: impl Fn(&str) -> Option<String>,
    ) -> Result<BTreeMap<String, String>, PlanFileError> {
        let mut values = BTreeMap::new();
        for (name, variable) in &self.variables {
            let (Some(salt), Some(expected)) = (&variable.salt, &variable.blake3) else {
                continue;
            };
            let value = given(name).ok_or_else(|| PlanFileError::Sensitive {
                    path: path.to_string(),
                    name: name.clone(),
                    why: format!(
                        "plan files never hold it; pass it again with `--var {name}=...` or `EDGECTL_VAR_{name}`"
                    ),
                })?;
            let salt = hex::decode(salt).unwrap_or_default();
            if &salted(&salt, &value) != expected {
                return Err(PlanFileError::Sensitive {
                    path: path.to_string(),
                    name: name.clone(),
                    why: "the value given is not the one the plan was made with; make a new plan"
                        .to_string(),
                });
            }
            values.insert(name.clone(), value);
        }
        Ok(values)
    }

    /// The document with the sensitive values put back where the markers are.
    pub fn reveal(text: &str, values: &BTreeMap<String, String>) -> Result<Document, String> {
        let mut json: Json = serde_json::from_str(text).map_err(|error| error.to_string())?;
        map_strings(&mut json, &|text| {
            let mut text = text.to_string();
            for (name, value) in values {
                text = text.replace(&marker(name), value);
            }
            text
        });
        serde_json::from_value(json).map_err(|error| error.to_string())
    }

    /// The kinds of the resources the plan touches: what apply reads again.
    pub fn touched_kinds(&self) -> std::collections::BTreeSet<String> {
        self.execution
            .plan
            .steps
            .iter()
            .map(|step| step.id.kind().to_string())
            .collect()
    }

    /// What changed in AWS, since the plan was made, among the resources it touches:
    /// each changed, vanished or appeared resource named with what changed.
    pub fn stale(&self, live: &[Observed]) -> Vec<String> {
        let mut found = Vec::new();
        for step in &self.execution.plan.steps {
            match &step.observed {
                None if step.action == Action::Create => {
                    if let Some(now) = live.iter().find(|now| now.id == step.id) {
                        found.push(format!(
                            "`{}` appeared since the plan was made (`{}`); the plan would create it",
                            step.id, now.physical_id
                        ));
                    }
                }
                None => {}
                Some(have) => {
                    let Some(now) = live
                        .iter()
                        .find(|now| now.id == have.id && now.physical_id == have.physical_id)
                    else {
                        found.push(format!(
                            "`{}` (`{}`) is gone since the plan was made",
                            have.id, have.physical_id
                        ));
                        continue;
                    };
                    let then =
                        self.execution.observed.iter().find(|then| {
                            then.id == have.id && then.physical_id == have.physical_id
                        });
                    let Some(then) = then else {
                        found.push(format!("`{}`: the plan has no record of it", have.id));
                        continue;
                    };
                    if then.without_note() == now.without_note() {
                        continue;
                    }
                    found.push(describe_change(then, now));
                }
            }
        }
        found
    }
}

fn describe_change(then: &Observed, now: &Observed) -> String {
    let mut fields: Vec<String> = then
        .props
        .keys()
        .chain(now.props.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|field| {
            then.props.get(*field).map(|f| &f.value) != now.props.get(*field).map(|f| &f.value)
        })
        .map(|field| {
            format!(
                "`{field}` was {}, now {}",
                then.value(field),
                now.value(field)
            )
        })
        .collect();
    if fields.is_empty() {
        fields.push("its live details changed".to_string());
    }
    format!(
        "`{}` changed since the plan was made: {}",
        then.id,
        fields.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::diff::Step;
    use crate::engine::model::{Desired, Mode, props};
    use crate::source::Variable;

    /// `--max-plan-age`'s default.
    const DEFAULT_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

    fn document(secret: &str) -> Document {
        let id = ResourceId::parse("log_group.web");
        let have = Observed::new(
            id.clone(),
            "/ecs/web",
            props([
                ("retention", Value::Int(7), Mode::InPlace),
                ("note", Value::str(format!("token {secret}")), Mode::InPlace),
            ]),
        );
        let want = Desired {
            id: id.clone(),
            props: props([
                ("retention", Value::Int(30), Mode::InPlace),
                ("note", Value::str(format!("token {secret}")), Mode::InPlace),
            ]),
            after: Vec::new(),
        };
        let plan = Plan {
            steps: vec![Step {
                id: id.clone(),
                action: Action::Update,
                changes: vec![crate::engine::diff::Change {
                    field: "retention".into(),
                    old: Value::Int(7),
                    new: Value::Int(30),
                    forces_replacement: false,
                }],
                reason: None,
                desired: Some(want),
                observed: Some(have.clone()),
                replacement: Replacement::default(),
                summary: None,
            }],
            unchanged: 3,
            notes: Vec::new(),
        };
        let source = Source {
            digest: "abc".into(),
            variables: [
                (
                    "token".to_string(),
                    Variable {
                        value: Some(secret.to_string()),
                        sensitive: true,
                    },
                ),
                (
                    "tag".to_string(),
                    Variable {
                        value: Some("v1".to_string()),
                        sensitive: false,
                    },
                ),
            ]
            .into(),
        };
        let origin = Origin {
            stack: "demo",
            region: "eu-west-1",
            account: "123456789012",
            manifest_path: "m.yaml",
            source: &source,
            environment: None,
            outputs: Vec::new(),
            dns_zones: Vec::new(),
            buckets: Vec::new(),
        };
        build(
            &plan,
            &origin,
            &[have],
            [(id, "/ecs/web".to_string())].into(),
            vec!["update log_group.web".into()],
        )
    }

    fn written(secret: &str) -> (tempfile::TempDir, String, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        let text = to_text(
            &document(secret),
            &[("token".to_string(), secret.to_string())].into(),
        )
        .unwrap();
        std::fs::write(&path, &text).unwrap();
        (dir, path.to_string_lossy().into_owned(), text)
    }

    #[test]
    fn a_written_plan_reads_back_whole_without_its_secret() {
        let (_dir, path, text) = written("s3cr3t-value");
        assert!(!text.contains("s3cr3t-value"), "{text}");
        assert!(text.contains("((sensitive:token))"));
        let (document, text) = read(&path).unwrap();
        assert_eq!(document.variables["tag"].value.as_deref(), Some("v1"));
        assert_eq!(document.variables["token"].value, None);
        let given = |name: &str| (name == "token").then(|| "s3cr3t-value".to_string());
        let values = document.sensitive_values(&path, given).unwrap();
        let revealed = Document::reveal(&text, &values).unwrap();
        assert_eq!(revealed.execution.plan, document_plan("s3cr3t-value"));
        let wrong = |name: &str| (name == "token").then(|| "other".to_string());
        let error = document.sensitive_values(&path, wrong).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("not the one the plan was made with")
        );
        let error = document.sensitive_values(&path, |_| None).unwrap_err();
        assert!(error.to_string().contains("--var token="), "{error}");
    }

    fn document_plan(secret: &str) -> Plan {
        document(secret).execution.plan
    }

    #[test]
    fn a_field_named_checksum_is_not_the_checksum() {
        let mut document = document("x-secret");
        document.notes.push("checksum".into());
        document.actions[0].changes.push(ChangeInfo {
            field: "files".into(),
            before: serde_json::json!({ "checksum": "0123" }),
            after: serde_json::json!({ "checksum": "4567" }),
            forces_replacement: false,
        });
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        std::fs::write(&path, to_text(&document, &BTreeMap::new()).unwrap()).unwrap();
        read(&path.to_string_lossy()).unwrap();
    }

    #[test]
    fn an_edited_plan_is_refused() {
        let (_dir, path, text) = written("x-secret");
        std::fs::write(&path, text.replace("\"retention\"", "\"retentioN\"")).unwrap();
        let error = read(&path).unwrap_err();
        assert!(
            error.to_string().contains("checksum does not match"),
            "{error}"
        );
        std::fs::write(&path, "{}").unwrap();
        assert!(read(&path).unwrap_err().to_string().contains("no checksum"));
    }

    #[test]
    fn a_plan_from_another_version_or_too_old_is_refused() {
        let (_dir, path, text) = written("x-secret");
        let other = text.replace(
            &format!("\"edgectl_version\": \"{}\"", env!("CARGO_PKG_VERSION")),
            "\"edgectl_version\": \"0.0.1\"",
        );
        let sum_start = other.find(CHECKSUM_KEY).unwrap() + CHECKSUM_KEY.len();
        let mut blank = other.clone();
        blank.replace_range(sum_start..sum_start + 64, ZEROS);
        let sum = blake3::hash(blank.as_bytes()).to_hex().to_string();
        blank.replace_range(sum_start..sum_start + 64, &sum);
        std::fs::write(&path, blank).unwrap();
        let error = read(&path).unwrap_err();
        assert!(
            error.to_string().contains("made by edgectl 0.0.1"),
            "{error}"
        );

        let mut document = document("x");
        document.created_at = "2020-01-01T00:00:00Z".into();
        let error = document.check_age(&path, DEFAULT_MAX_AGE).unwrap_err();
        assert!(
            error.to_string().contains("plans older than 1day"),
            "{error}"
        );
        document.created_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
        document.check_age(&path, DEFAULT_MAX_AGE).unwrap();
    }

    #[test]
    fn staleness_names_changed_vanished_and_appeared_resources() {
        let document = document("x");
        let then = document.execution.observed[0].clone();
        assert!(document.stale(std::slice::from_ref(&then)).is_empty());
        let mut now = then.clone();
        now.props.get_mut("retention").unwrap().value = Value::Int(14);
        let found = document.stale(&[now]);
        assert_eq!(
            found,
            ["`log_group.web` changed since the plan was made: `retention` was 7, now 14"]
        );
        assert_eq!(
            document.stale(&[]),
            ["`log_group.web` (`/ecs/web`) is gone since the plan was made"]
        );
    }
}
