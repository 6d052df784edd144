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
    let observation = engine::observe(&session.cx, &adapters, &manifest).await?;
    let plan = engine::plan(&adapters, Some(&manifest), &observation)?;
    print!(
        "{}",
        render::plan::render(
            &plan,
            &manifest.stack,
            &session.cx.region,
            Paint::for_stdout(),
            global.verbose,
        )
    );
    eprintln!(
        "read {} live resources with {} AWS calls in {}",
        observation.observed.len(),
        session.calls.total(),
        render::duration(observation.elapsed)
    );
    super::print_calls(global, &session);
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
