//! One module per subcommand; shared steps here.

/// The manifest's JSON Schema (`edgectl schema`), kept true by `tests/it/schema.rs`.
const SCHEMA: &str = include_str!("../../schema/edgectl.schema.json");

pub mod adopt;
pub mod apply;
pub mod output;
pub mod plan;
pub mod policy;
pub mod show;
pub mod signals;
pub mod status;
pub mod sync;
pub mod unlock;
pub mod validate;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use crate::aws::Adapter;
use crate::aws::config::Connection;
use crate::cli::{Cli, Command, GlobalArgs, ManifestArgs};
use crate::lower::Env;
use crate::manifest::{self, Manifest, vars::Overrides};
use crate::pipeline;
use crate::render::github;

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    signals::install();
    match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Plan(args) => plan::run(&cli.global, &args).await,
        Command::Show(args) => show::run(&cli.global, &args),
        Command::Apply(args) => {
            let options = apply::Options {
                manifest: ManifestArgs {
                    file: args.file.unwrap_or_default(),
                    vars: args.vars,
                    var_files: args.var_files,
                    environment: args.environment,
                    strict: args.strict,
                },
                auto_approve: args.auto_approve,
                parallelism: args.parallelism.into(),
                timeout: args.timeout,
                no_wait: args.no_wait,
                wait: args.wait,
                destroy: false,
                lock_timeout: args.lock_timeout,
                redeploy: args.redeploy,
            };
            match &args.plan_file {
                Some(path) => apply::run_saved(&cli.global, options, path, args.max_plan_age).await,
                None => apply::run(&cli.global, options).await,
            }
        }
        Command::Sync(args) => {
            let options = sync::Options {
                manifest: args.manifest,
                buckets: args.buckets,
                dry_run: args.dry_run,
                detailed_exitcode: args.detailed_exitcode,
                parallelism: args.parallelism.into(),
                timeout: args.timeout,
                wait: args.wait,
                lock_timeout: args.lock_timeout,
            };
            sync::run(&cli.global, options).await
        }
        Command::Unlock(args) => unlock::run(&cli.global, &args).await,
        Command::Adopt(args) => adopt::run(&cli.global, &args).await,
        Command::Completions(args) => {
            let mut command = <crate::cli::Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut command, "edgectl", &mut script);
            crate::render::print::out(&String::from_utf8_lossy(&script));
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema => {
            crate::render::print::out(SCHEMA);
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let command = <crate::cli::Cli as clap::CommandFactory>::command();
            let mut page = Vec::new();
            clap_mangen::Man::new(command).render(&mut page)?;
            crate::data!("{}", String::from_utf8_lossy(&page));
            Ok(ExitCode::SUCCESS)
        }
        Command::Policy(args) => policy::run(&cli.global, &args),
        Command::Output(args) => output::run(&cli.global, &args).await,
        Command::Status(args) => status::run(&cli.global, &args).await,
        Command::Destroy(args) => {
            let options = apply::Options {
                manifest: args.manifest,
                auto_approve: args.auto_approve,
                parallelism: args.parallelism.into(),
                timeout: args.timeout,
                no_wait: false,
                wait: false,
                destroy: true,
                lock_timeout: args.lock_timeout,
                redeploy: Vec::new(),
            };
            apply::run(&cli.global, options).await
        }
    }
}

/// Reads and validates the manifest, including its resource graph. No AWS call is made
/// before this succeeds.
pub fn load(args: &ManifestArgs) -> anyhow::Result<(Manifest, Vec<Arc<dyn Adapter>>)> {
    load_with(args, false)
}

/// [`load`], for a command that uploads nothing (`destroy`, `unlock`, `output`): a
/// bucket's sync source not built yet is no error.
pub fn load_without_content(
    args: &ManifestArgs,
) -> anyhow::Result<(Manifest, Vec<Arc<dyn Adapter>>)> {
    load_with(args, true)
}

fn load_with(
    args: &ManifestArgs,
    without_content: bool,
) -> anyhow::Result<(Manifest, Vec<Arc<dyn Adapter>>)> {
    let path = args.file.to_string_lossy();
    let manifest = manifest::load(
        &path,
        &Overrides {
            without_content,
            ..overrides(args, args.environment.clone())?
        },
        &crate::kinds::sections(),
    )?;
    warn(&path, &manifest.warnings);
    let adapters = crate::kinds::adapters();
    pipeline::desired(&manifest, &Env::placeholder(&manifest))?;
    // What makes nothing (destroy, unlock, output) is never stopped by what it would make.
    if args.strict && !without_content {
        strict(&manifest.warnings)?;
    }
    Ok((manifest, adapters))
}

/// The variables the command line gives, for `environment`: `--var-file`s (read first,
/// each error at its own line) and `--var`s, with `EDGECTL_VAR_*`.
pub fn overrides(args: &ManifestArgs, environment: Option<String>) -> anyhow::Result<Overrides> {
    let mut files = Vec::new();
    for path in &args.var_files {
        files.extend(manifest::vars::read_file(&path.to_string_lossy())?);
    }
    Ok(Overrides {
        files,
        ..Overrides::from_process(args.vars.clone(), environment)
    })
}

pub fn connection(global: &GlobalArgs) -> Connection {
    Connection {
        region: global.region.clone(),
        profile: global.profile.clone(),
        endpoint_url: global.endpoint_url.clone(),
    }
}

/// Reads the live state; when that fails, says how many calls were made and retried
/// before giving up (a throttled or failing AWS shows as retries, not as a hang).
pub async fn observe(
    session: &pipeline::Session,
    adapters: &[Arc<dyn Adapter>],
    manifest: &Manifest,
) -> anyhow::Result<pipeline::Observation> {
    let observation = pipeline::observe(&session.cx, adapters, manifest).await;
    if observation.is_err() {
        crate::sayln!("gave up after {}", session.calls.summary());
    }
    observation
}

/// With `--verbose`, the AWS calls a command made, by operation, on stderr.
pub fn print_calls(global: &GlobalArgs, session: &pipeline::Session) {
    if !global.verbose {
        return;
    }
    let calls = session.calls.by_operation();
    crate::sayln!("AWS calls by operation ({}):", session.calls.total());
    let width = calls.keys().map(String::len).max().unwrap_or(0);
    for (operation, count) in calls {
        crate::sayln!("  {operation:<width$}  {count:>5}");
    }
}

/// Live bars only on a terminal, and not with `--no-progress`.
pub fn live_progress(global: &GlobalArgs) -> bool {
    !global.no_progress && std::io::stderr().is_terminal()
}

/// Where a plan applies: its region, and the environment chosen (when the manifest has
/// several).
pub fn place(region: &str, environment: Option<&str>) -> String {
    match environment {
        Some(environment) => format!("{region}, environment `{environment}`"),
        None => region.to_string(),
    }
}

/// A manifest's warnings, on stderr and as GitHub Actions annotations on its file (at
/// their lines when they have one).
pub fn warn(path: &str, warnings: &[manifest::diag::Warning]) {
    warn_in(path, warnings, None);
}

/// [`warn`], for what only some environments have (`environments` names them).
pub fn warn_in(path: &str, warnings: &[manifest::diag::Warning], environments: Option<&str>) {
    let title = match environments {
        Some(names) => format!("edgectl: {names}"),
        None => "edgectl".to_string(),
    };
    for warning in warnings {
        crate::say!("{}", warning.shown);
        let text = match &warning.help {
            Some(help) => format!("{}\nhelp: {help}", warning.message),
            None => warning.message.clone(),
        };
        github::annotate(
            github::Level::Warning,
            Some(github::At {
                file: path,
                position: warning
                    .pos
                    .map(|pos| (pos.line, pos.column, pos.column + pos.len)),
            }),
            &title,
            &manifest::marks::display(&text),
        );
    }
}

/// `--strict`: the manifest's warnings are the run's error.
pub fn strict(warnings: &[manifest::diag::Warning]) -> anyhow::Result<()> {
    if warnings.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "the manifest has {} and --strict makes them errors: change what they point at, or run without --strict",
        manifest::plural(warnings.len(), "warning")
    )
}

/// A manifest's errors as GitHub Actions annotations, each at its line and column (the
/// runner shows them on the file in a pull request's diff); `environment` names the one
/// they were found in, when the manifest declares several.
/// An error that is not a located one (the resource graph's: a cycle) is one annotation
/// on `file`.
pub fn annotate_manifest(error: &anyhow::Error, file: &str, environment: Option<&str>) {
    let title = match environment {
        Some(name) => format!("edgectl: invalid manifest (environment `{name}`)"),
        None => "edgectl: invalid manifest".to_string(),
    };
    let Some(manifest::ManifestError::Invalid {
        path, diagnostics, ..
    }) = error.downcast_ref::<manifest::ManifestError>()
    else {
        let causes: Vec<String> = error.chain().map(|cause| cause.to_string()).collect();
        github::annotate(
            github::Level::Error,
            Some(github::At {
                file,
                position: None,
            }),
            &title,
            &causes.join("\ncaused by: "),
        );
        return;
    };
    // In the order of the file, as the report shows them.
    let mut diagnostics: Vec<&manifest::diag::Diagnostic> = diagnostics.iter().collect();
    diagnostics.sort_by(|a, b| (a.pos, &a.message).cmp(&(b.pos, &b.message)));
    for diagnostic in diagnostics {
        let pos = diagnostic.pos;
        let message = match &diagnostic.help {
            Some(help) => format!(
                "{}\nhelp: {}",
                manifest::marks::display(&diagnostic.message),
                manifest::marks::display(help)
            ),
            None => manifest::marks::display(&diagnostic.message).to_string(),
        };
        github::annotate(
            github::Level::Error,
            Some(github::At {
                file: path,
                position: Some((pos.line, pos.column, pos.column + pos.len)),
            }),
            &title,
            &message,
        );
    }
}

/// A plan for people, on stdout.
pub fn print_plan(
    global: &GlobalArgs,
    plan: &crate::engine::diff::Plan,
    stack: &str,
    region: &str,
) {
    crate::data!(
        "{}",
        crate::render::plan::render(
            plan,
            stack,
            region,
            crate::render::Paint::for_stdout(),
            global.verbose,
        )
    );
}

/// The plan, for a GitHub Actions job's summary (`plan`, `apply`, `destroy`).
pub fn summarize_plan(plan: &crate::engine::diff::Plan, stack: &str, region: &str) {
    if github::active() {
        github::summarize(&crate::render::markdown::render(
            plan,
            stack,
            region,
            crate::render::markdown::SUMMARY,
        ));
    }
}

/// Runs `work` holding `lock`, and releases it however the run ends: done, failed, or
/// stopped by SIGINT/SIGTERM before the walk (the walk stops by itself and reports).
pub async fn holding<F>(
    lock: crate::aws::lock::Lock,
    cx: &crate::aws::Cx,
    work: F,
) -> anyhow::Result<ExitCode>
where
    F: std::future::Future<Output = anyhow::Result<ExitCode>>,
{
    let result = tokio::select! {
        result = work => result,
        interrupted = signals::outside_walk() => Err(interrupted.into()),
    };
    release(lock, cx).await;
    result
}

/// Takes the stack's lock (see `aws::lock`), saying whose stale lock it took over.
/// From here until the release, SIGINT and SIGTERM stop the run cleanly (`signals`),
/// also while the lock is being taken or waited for.
pub async fn lock(
    cx: &crate::aws::Cx,
    command: &str,
    wait: std::time::Duration,
) -> anyhow::Result<crate::aws::lock::Lock> {
    signals::enter();
    let mut attempt = crate::aws::lock::Attempt::new(command);
    let acquired = tokio::select! {
        acquired = attempt.acquire(cx, wait) => acquired.map_err(Into::into),
        interrupted = signals::outside_walk() => Err(interrupted.into()),
    };
    match acquired {
        Ok((lock, notice)) => {
            if let Some(notice) = notice {
                crate::sayln!("{notice}");
            }
            Ok(lock)
        }
        Err(error) => {
            // Stopped (or failed) part way: the lock, or a takeover claim, may be this
            // run's already.
            if let Err(left) = attempt.abandon(cx).await {
                crate::sayln!(
                    "warning: could not remove the lock this run was taking of stack `{}` ({left}); `edgectl unlock` removes it",
                    cx.stack
                );
            }
            signals::leave();
            Err(error)
        }
    }
}

/// Releases the stack's lock; a failure is a warning, not an error (the lease runs out,
/// and `unlock` removes it).
pub async fn release(lock: crate::aws::lock::Lock, cx: &crate::aws::Cx) {
    if lock.lapsed() {
        crate::sayln!(
            "warning: the lease on the lock of stack `{}` ran out during the run (the process was stopped longer than the lease): another run may have taken it over",
            cx.stack
        );
    }
    if let Err(error) = lock.release(cx).await {
        crate::sayln!(
            "warning: could not release the lock of stack `{}` ({error}); `edgectl unlock` removes it",
            cx.stack
        );
    }
    signals::leave();
}
