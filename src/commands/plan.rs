//! `edgectl plan`: what apply would do, on stdout.

use std::process::ExitCode;
use std::time::Duration;

use crate::cli::{GlobalArgs, PlanArgs};
use crate::engine;
use crate::render::{self, Paint};

pub async fn run(global: &GlobalArgs, args: &PlanArgs) -> anyhow::Result<ExitCode> {
    let (manifest, adapters) = super::load(&args.manifest)?;
    engine::warm(&adapters, &manifest);
    let session = engine::connect(
        &super::connection(global),
        &manifest,
        Duration::from_secs(60),
        false,
        false,
    )
    .await?;
    let observation = super::observe(&session, &adapters, &manifest).await?;
    let plan = engine::plan(&adapters, Some(&manifest), &observation)?;
    crate::out!(
        "{}",
        render::plan::render(
            &plan,
            &manifest.stack,
            &session.cx.region,
            Paint::for_stdout(),
            global.verbose,
        )
    );
    // What apply would refuse (a name taken by a resource the stack does not own) fails
    // the plan too, so that a reviewed plan is one that can be applied.
    let refusals = engine::preflight(&session.cx, &adapters, &plan).await;
    for refusal in &refusals {
        crate::errln!("error: {refusal}");
    }
    crate::errln!(
        "read {} live resources with {} in {}",
        observation.observed.len(),
        session.calls.summary(),
        render::duration(observation.elapsed)
    );
    super::print_calls(global, &session);
    if !refusals.is_empty() {
        anyhow::bail!(
            "apply would refuse this plan ({}); nothing was changed",
            crate::manifest::plural(refusals.len(), "error")
        );
    }
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
