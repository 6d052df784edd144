//! edgectl: plan, apply and destroy AWS stacks described by one YAML manifest.

mod cli;
mod commands;
#[cfg(test)]
mod fuzz;
mod pipeline;

// The layers, one crate each (ARCHITECTURE.md), under the names the code uses for them.
use edgectl_aws as aws;
use edgectl_base::redact;
use edgectl_engine as engine;
use edgectl_kinds as kinds;
use edgectl_lower as lower;
use edgectl_manifest as manifest;
use edgectl_render as render;
use edgectl_render::planfile;
use edgectl_render::{data, dataln, say, sayln};

use std::process::ExitCode;

use clap::Parser as _;

/// Exit codes are a contract with CI: 0 success (no changes, with `--detailed-exitcode`),
/// 1 any error (usage included), 2 changes pending (`plan --detailed-exitcode` only),
/// 130 and 143 a run stopped by SIGINT or SIGTERM (the lock released).
const EXIT_ERROR: u8 = 1;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            if let Some(hint) = cli::manifest_hint(&error) {
                crate::sayln!("{hint}");
            }
            // clap exits 2 on usage errors, which CI would read as "changes pending".
            return if error.use_stderr() {
                ExitCode::from(EXIT_ERROR)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            crate::sayln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let result = runtime.block_on(commands::run(cli));
    // A prompt's read may still block a thread after a signal: do not wait for it.
    runtime.shutdown_background();
    // Data a script was to read and could not (a full disk): the run did not do its job.
    let result = match (result, render::print::failure()) {
        (Ok(_), Some(failure)) => Err(anyhow::anyhow!("cannot write to stdout: {failure}")),
        (result, _) => result,
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            report(&error);
            match error.downcast_ref::<commands::signals::Interrupted>() {
                Some(interrupted) => ExitCode::from(interrupted.exit_code()),
                None => ExitCode::from(EXIT_ERROR),
            }
        }
    }
}

fn report(error: &anyhow::Error) {
    if let Some(report) = error
        .downcast_ref::<manifest::ManifestError>()
        .and_then(manifest::ManifestError::report)
    {
        crate::say!("{report}");
    }
    crate::sayln!("error: {error}");
    for cause in error.chain().skip(1) {
        crate::sayln!("  caused by: {cause}");
    }
    // On GitHub Actions: a manifest's errors at their lines, anything else as the run's.
    if let Some(manifest::ManifestError::Invalid { path, .. }) =
        error.downcast_ref::<manifest::ManifestError>()
    {
        commands::annotate_manifest(error, path, None);
    } else {
        let causes: Vec<String> = error.chain().map(|cause| cause.to_string()).collect();
        render::github::annotate(
            render::github::Level::Error,
            None,
            "edgectl",
            &causes.join("\ncaused by: "),
        );
    }
    // The job's summary ends with the outcome: a plan it shows was not applied.
    render::github::summarize(&format!(
        "\n**edgectl failed**: {}\n",
        error.to_string().replace('\n', " ")
    ));
    if error
        .downcast_ref::<commands::apply::ApplyError>()
        .is_some_and(|error| {
            matches!(
                error,
                commands::apply::ApplyError::NoTerminal(_)
                    | commands::apply::ApplyError::StdinManifest(_)
            )
        })
    {
        crate::sayln!("help: pass `--auto-approve` to proceed without a prompt (as in CI)");
    }
    if let Some(aws::lock::LockError::Held { .. }) = error.downcast_ref::<aws::lock::LockError>() {
        crate::sayln!(
            "help: wait for that run to finish (`--lock-timeout 10m` waits for it); a run that died without releasing it stops holding it once its lease runs out (2 minutes), and `edgectl unlock -f FILE` removes it at once"
        );
    }
    if let Some(access) = error
        .chain()
        .find_map(|cause| cause.downcast_ref::<aws::access::AccessError>())
    {
        crate::sayln!("help: {}", access.help());
    }
    if error.downcast_ref::<aws::config::NoRegion>().is_some()
        || error
            .chain()
            .any(|cause| cause.is::<aws::config::NoRegion>())
    {
        crate::sayln!("help: set `region:` in the manifest, pass `--region`, or set AWS_REGION");
    }
}
