//! `edgectl policy`: the IAM policy a CI role needs to plan, apply and destroy exactly
//! this stack, from what its manifest declares (no AWS call): each kind's permissions
//! (`aws::permissions`, declared beside its calls), scoped to the stack's names, its
//! tag, its regions.

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;

use crate::aws::permissions::{self, Scope};
use crate::cli::{GlobalArgs, PolicyArgs};
use crate::engine::model::Value;
use crate::lower::Env;

/// What IAM holds of a policy, counted without whitespace as IAM counts: a managed
/// policy, and all of a role's inline policies together.
const MANAGED_LIMIT: usize = 6_144;
const INLINE_LIMIT: usize = 10_240;

pub fn run(global: &GlobalArgs, args: &PolicyArgs) -> anyhow::Result<ExitCode> {
    let (manifest, _) = super::load_without_content(&args.manifest)?;
    let graph = crate::pipeline::desired(&manifest, &Env::placeholder(&manifest))?;
    let mut kinds: BTreeSet<String> = graph.nodes.keys().map(|id| id.kind().to_string()).collect();
    // Records in zones the stack does not own are read while it names any (`pipeline`).
    if !manifest.names("zones").is_empty() {
        kinds.insert(crate::aws::ids::RECORD.to_string());
    }
    let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, desired) in &graph.nodes {
        if let Some(Value::Str(name)) = desired.props.get("name").map(|field| &field.value) {
            names
                .entry(id.kind().to_string())
                .or_default()
                .push(name.clone());
        }
    }
    // As a deploy chooses it: `--region`, the manifest's, then the environment's.
    let region = global
        .region
        .clone()
        .or_else(|| manifest.region.clone())
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok());
    let partition = crate::aws::iam::partition(region.as_deref().unwrap_or_default());
    let mut regions: Vec<String> = region.iter().cloned().collect();
    // Every command lists the stack's global resources in us-east-1 (CloudFront's
    // distributions and certificates, Route 53's zones, the dashboards), where there is one.
    if partition == "aws" && !regions.iter().any(|r| r == "us-east-1") {
        regions.push("us-east-1".to_string());
    }
    let scope = Scope {
        stack: &manifest.stack,
        partition,
        regions,
        names,
    };
    let mut needed = crate::kinds::permissions(&kinds);
    if args.adopt {
        needed.extend(permissions::ADOPT);
    }
    let document = permissions::policy(&needed, &scope);
    crate::data!("{}", serde_json::to_string_pretty(&document)?);
    let size = serde_json::to_string(&document)?.len();
    let statements = document["Statement"].as_array().map_or(0, Vec::len);
    crate::sayln!(
        "{statements} statements, {size} characters: {}",
        if size <= MANAGED_LIMIT {
            "fits a managed policy (6,144)".to_string()
        } else if size <= INLINE_LIMIT {
            "too long for a managed policy (6,144): attach it as a role's inline policy (10,240)"
                .to_string()
        } else {
            "longer than IAM holds in one policy (10,240): split its statements over two managed policies".to_string()
        }
    );
    if region.is_none() {
        crate::sayln!(
            "note: no region is given (`--region`, the manifest's `region:`, AWS_REGION): `aws:RequestedRegion` is left empty; give one"
        );
    }
    Ok(ExitCode::SUCCESS)
}
