//! `edgectl show PLANFILE`: a saved plan, for people or as its JSON. Never calls AWS.

use std::process::ExitCode;

use crate::cli::{GlobalArgs, ShowArgs};
use crate::planfile;
use crate::render::{self, Paint};

pub fn run(global: &GlobalArgs, args: &ShowArgs) -> anyhow::Result<ExitCode> {
    let path = args.plan_file.to_string_lossy();
    let (document, text) = planfile::read(&path)?;
    if args.json {
        crate::data!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    crate::dataln!(
        "{}",
        render::plan::saved_header(&document, Paint::for_stdout())
    );
    super::print_plan(
        global,
        &document.execution.plan,
        &document.stack,
        &super::place(&document.region, document.manifest.environment.as_deref()),
    );
    Ok(ExitCode::SUCCESS)
}
