//! `edgectl validate`: the manifest and its graph, without AWS.

use std::process::ExitCode;

use crate::cli::ManifestArgs;

pub fn run(args: &ManifestArgs) -> anyhow::Result<ExitCode> {
    let (manifest, _) = super::load(args)?;
    crate::sayln!(
        "manifest `{}` is valid: stack `{}`",
        args.file.display(),
        manifest.stack
    );
    Ok(ExitCode::SUCCESS)
}
