//! `edgectl adopt`: take over live resources the manifest describes that the stack does
//! not own yet. Shows what it found and the plan once they are the stack's, asks, then
//! writes the stack's ownership tags on them, and nothing else: the next apply makes the
//! changes. `plan --adopt` shows the same and writes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use super::apply::ApplyError;
use crate::aws::Adapter;
use crate::cli::{AdoptArgs, GlobalArgs};
use crate::engine::diff::Plan;
use crate::engine::kind::Found;
use crate::engine::model::ResourceId;
use crate::manifest::Manifest;
use crate::pipeline::{self, Adoption, Observation, Session};
use crate::render::Paint;

pub async fn run(global: &GlobalArgs, args: &AdoptArgs) -> anyhow::Result<ExitCode> {
    let pins = pins(&args.ids)?;
    let (manifest, adapters) = super::load(&args.manifest)?;
    if !args.auto_approve {
        if args.manifest.file.as_os_str() == "-" {
            return Err(ApplyError::StdinManifest("adopt").into());
        }
        if !std::io::stdin().is_terminal() {
            return Err(ApplyError::NoTerminal("adopt").into());
        }
    }
    pipeline::warm(&manifest);
    let session = pipeline::connect(
        &super::connection(global),
        (&manifest).into(),
        Duration::from_secs(60),
        false,
        false,
    )
    .await?;
    let lock = super::lock(&session.cx, "edgectl adopt", args.lock_timeout).await?;
    super::holding(
        lock,
        &session.cx,
        locked(global, args, &manifest, &adapters, &session, &pins),
    )
    .await
}

/// `ID` or `ID=PHYSICAL`, checked before any AWS call.
fn pins(args: &[String]) -> anyhow::Result<BTreeMap<ResourceId, Option<String>>> {
    let mut pins = BTreeMap::new();
    for arg in args {
        let (id, physical) = match arg.split_once('=') {
            Some((id, physical)) => (id, Some(physical.to_string())),
            None => (arg.as_str(), None),
        };
        // `kind.name`, or a kind of one (`vpc`); whether the manifest has it is told later.
        let well_formed = !id.is_empty()
            && id.split('.').all(|part| !part.is_empty())
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'));
        if !well_formed || physical.as_deref() == Some("") {
            anyhow::bail!(
                "`{arg}` is not a resource id: write it as plans show it (`cluster.main`, `vpc`), or `cluster.main=PHYSICAL` to name the live resource"
            );
        }
        if pins.insert(ResourceId::parse(id), physical).is_some() {
            anyhow::bail!("`{id}` is named twice");
        }
    }
    Ok(pins)
}

async fn locked(
    global: &GlobalArgs,
    args: &AdoptArgs,
    manifest: &Manifest,
    adapters: &[Arc<dyn Adapter>],
    session: &Session,
    pins: &BTreeMap<ResourceId, Option<String>>,
) -> anyhow::Result<ExitCode> {
    let observation = super::observe(session, adapters, manifest).await?;
    let (adoptions, _) = preview(global, session, adapters, manifest, &observation, pins).await?;
    let refused = adoptions
        .iter()
        .filter(|adoption| matches!(adoption.found, Found::Refused(_)))
        .count();
    if refused > 0 {
        crate::sayln!(
            "error: {} cannot be adopted (see above); adopt the others by naming their ids",
            crate::manifest::plural(refused, "resource")
        );
        return Err(ApplyError::Refused("adopt").into());
    }
    let live: Vec<&Adoption> = adoptions
        .iter()
        .filter(|adoption| matches!(adoption.found, Found::Live { .. }))
        .collect();
    if live.is_empty() {
        crate::sayln!("nothing to adopt: the stack owns what is live, or nothing is");
        return Ok(ExitCode::SUCCESS);
    }
    if !args.auto_approve
        && !super::apply::ask(&format!(
            "Do you want stack `{}` to take over these {}?",
            manifest.stack,
            crate::manifest::plural(live.len(), "resource")
        ))
        .await?
    {
        return Err(ApplyError::Declined("adopt").into());
    }
    // Along the graph, what holds others first: a run that stops part way never leaves a
    // subnet the stack's while its VPC is not (the stack reads what sits in its VPCs).
    let graph = pipeline::desired(manifest, &observation.env)?;
    let physical = pipeline::physical_ids(&observation.observed);
    let mut waiting: Vec<&Adoption> = live.clone();
    let mut done = 0;
    while !waiting.is_empty() {
        let ids: BTreeSet<ResourceId> =
            waiting.iter().map(|adoption| adoption.id.clone()).collect();
        let (wave, later): (Vec<&Adoption>, Vec<&Adoption>) =
            waiting.into_iter().partition(|adoption| {
                // After what it depends on, and what comes with another (a service's auto
                // scaling, which the manifest may not even have) after that one.
                let parent_waits = adoption
                    .with
                    .as_ref()
                    .is_some_and(|with| ids.contains(with));
                !parent_waits
                    && graph.nodes.get(&adoption.id).is_none_or(|node| {
                        node.deps().iter().all(|dep| {
                            let dep = dep.id.owner();
                            dep == adoption.id || !ids.contains(&dep)
                        })
                    })
            });
        waiting = later;
        let tagged = wave
            .iter()
            .map(|adoption| tag(session, adapters, &physical, &graph, adoption));
        let results = futures::future::join_all(tagged).await;
        done += results.iter().filter(|ok| **ok).count();
        if results.iter().any(|ok| !ok) || wave.is_empty() {
            break;
        }
    }
    super::print_calls(global, session);
    if done < live.len() {
        anyhow::bail!(
            "adopted {done} of {}: run `edgectl adopt` again to take over the rest before any apply (what is adopted already is the stack's)",
            crate::manifest::plural(live.len(), "resource")
        );
    }
    crate::sayln!(
        "adopted {} into stack `{}`: `edgectl apply` makes the changes shown above",
        crate::manifest::plural(done, "resource"),
        manifest.stack
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes the stack's ownership tags on what one adoption found; says how it went.
async fn tag(
    session: &Session,
    adapters: &[Arc<dyn Adapter>],
    physical: &crate::aws::PhysicalIds,
    graph: &crate::engine::graph::Graph,
    adoption: &Adoption,
) -> bool {
    let Found::Live { observed, what, .. } = &adoption.found else {
        return true;
    };
    // The stack's with what brought it, whose tags say so.
    if adoption.with.is_some() {
        crate::sayln!("adopted {} ({what})", adoption.id);
        return true;
    }
    let (Some(adapter), Some(desired)) = (
        crate::aws::adapter_for(adapters, &adoption.id),
        graph.nodes.get(&adoption.id),
    ) else {
        crate::sayln!(
            "error: could not adopt {}: not a resource of the manifest's kinds",
            adoption.id
        );
        return false;
    };
    let made = std::sync::OnceLock::new();
    let op = crate::aws::OpCx {
        cx: &session.cx,
        id: &adoption.id,
        physical,
        wait: false,
        report: &|_| {},
        made: &made,
    };
    match adapter.adopt(&op, desired, observed).await {
        Ok(()) => {
            crate::sayln!("adopted {} ({what})", adoption.id);
            true
        }
        Err(error) => {
            crate::sayln!("error: could not adopt {}: {error}", adoption.id);
            false
        }
    }
}

/// What adopt would take over and the plan once it has, on stdout (`adopt` and `plan
/// --adopt`). An adoption the next apply would undo by replacing the resource is refused.
pub async fn preview(
    global: &GlobalArgs,
    session: &Session,
    adapters: &[Arc<dyn Adapter>],
    manifest: &Manifest,
    observation: &Observation,
    pins: &BTreeMap<ResourceId, Option<String>>,
) -> anyhow::Result<(Vec<Adoption>, Plan)> {
    let graph = pipeline::desired(manifest, &observation.env)?;
    let plan = pipeline::plan(adapters, Some(manifest), observation, &[])?;
    let mut adoptions = pipeline::find_adoptions(
        &session.cx,
        adapters,
        &graph,
        &plan,
        &observation.observed,
        pins,
    )
    .await?;
    // Refusing one may make another replaced (a group's rules go with the group): until
    // none is.
    let after = loop {
        let after = after(adapters, manifest, observation, &adoptions)?;
        let replaced = pipeline::replaced_after_adoption(&after, &adoptions, &graph);
        if replaced.is_empty() {
            break after;
        }
        for (id, why) in &replaced {
            if let Some(adoption) = adoptions.iter_mut().find(|adoption| &adoption.id == id)
                && let Found::Live { what, .. } = &adoption.found
            {
                adoption.found = Found::Refused(format!("{what}: {why}"));
            }
        }
    };
    let found: Vec<(&ResourceId, &Found)> = adoptions
        .iter()
        .map(|adoption| (&adoption.id, &adoption.found))
        .collect();
    crate::data!(
        "{}",
        crate::render::adopt::render(&found, Paint::for_stdout())
    );
    crate::dataln!("\nOnce adopted, `edgectl apply` would make this plan:\n");
    let place = super::place(&session.cx.region, manifest.environment.as_deref());
    super::print_plan(global, &after, &manifest.stack, &place);
    Ok((adoptions, after))
}

/// The plan once `adoptions` are the stack's. What apply would refuse of it is said by
/// apply, when it comes to it.
fn after(
    adapters: &[Arc<dyn Adapter>],
    manifest: &Manifest,
    observation: &Observation,
    adoptions: &[Adoption],
) -> anyhow::Result<Plan> {
    let adopted = pipeline::with_adopted(observation, adoptions);
    Ok(pipeline::plan_with_refusals(adapters, Some(manifest), &adopted, &[])?.0)
}

#[cfg(test)]
mod tests {
    use super::pins;

    #[test]
    fn ids_to_adopt_are_checked_before_any_call() {
        let given = pins(&["cluster.main".into(), "vpc.main=vpc-0abc".into()]).unwrap();
        assert_eq!(given.len(), 2);
        assert_eq!(
            given[&crate::engine::model::ResourceId::parse("vpc.main")].as_deref(),
            Some("vpc-0abc")
        );
        assert!(pins(&["vpc".into()]).is_ok());
        for bad in ["vpc.main=", ".main", "cluster.", "a b", ""] {
            let error = pins(&[bad.into()]).unwrap_err().to_string();
            assert!(error.contains("is not a resource id"), "{bad}: {error}");
        }
        let twice = pins(&["cluster.a".into(), "cluster.a=x".into()]).unwrap_err();
        assert!(twice.to_string().contains("named twice"));
    }
}
