//! `edgectl apply` and `edgectl destroy`: show the plan, confirm, walk it.

use std::io::{BufRead as _, IsTerminal, Write as _};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cli::{GlobalArgs, ManifestArgs};
use crate::engine::diff::Action;
use crate::engine::walk::{self, Walk};
use crate::pipeline;
use crate::render::progress::Progress;
use crate::render::{self, Paint};

pub struct Options {
    pub manifest: ManifestArgs,
    pub auto_approve: bool,
    pub parallelism: usize,
    pub timeout: Duration,
    pub no_wait: bool,
    pub wait: bool,
    pub destroy: bool,
    /// How long to wait for another run's lock on the stack.
    pub lock_timeout: Duration,
    /// Services to deploy again with their current task definition (`--redeploy`).
    pub redeploy: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("refusing to {0} without confirmation: stdin is not a terminal")]
    NoTerminal(&'static str),
    #[error("refusing to {0} without confirmation: the manifest was read from stdin")]
    StdinManifest(&'static str),
    #[error("{0} refused: nothing was changed")]
    Refused(&'static str),
    #[error("{0} cancelled: nothing was changed")]
    Declined(&'static str),
    #[error(
        "the plan is out of date: {0} it touches changed in AWS since it was made; nothing was changed; make a new plan"
    )]
    Stale(String),
    #[error(
        "{verb} failed: {failed} of {total} operations failed, {skipped} skipped, {not_started} not started"
    )]
    Failed {
        verb: &'static str,
        failed: usize,
        total: usize,
        skipped: usize,
        not_started: usize,
    },
}

pub async fn run(global: &GlobalArgs, options: Options) -> anyhow::Result<ExitCode> {
    let verb = if options.destroy { "destroy" } else { "apply" };
    let (manifest, adapters) = if options.destroy {
        super::load_without_content(&options.manifest)?
    } else {
        super::load(&options.manifest)?
    };
    pipeline::check_redeploy(&manifest, &options.redeploy)?;
    // Decide about confirmation before touching AWS: never hang waiting for input in CI.
    if !options.auto_approve {
        if options.manifest.file.as_os_str() == "-" {
            return Err(ApplyError::StdinManifest(verb).into());
        }
        if !std::io::stdin().is_terminal() {
            return Err(ApplyError::NoTerminal(verb).into());
        }
    }
    let started = Instant::now();
    if !options.destroy {
        pipeline::warm(&manifest);
    }
    let session = pipeline::connect(
        &super::connection(global),
        (&manifest).into(),
        options.timeout,
        options.no_wait,
        options.wait,
    )
    .await?;
    // One run per stack: the lock is taken before the live state is read, so the plan is
    // not made on what another run is changing, and released however the run ends.
    let lock = super::lock(
        &session.cx,
        &format!("edgectl {verb}"),
        options.lock_timeout,
    )
    .await?;
    super::holding(
        lock,
        &session.cx,
        locked(
            global, &options, verb, &manifest, &adapters, &session, started,
        ),
    )
    .await
}

/// `edgectl apply PLANFILE`: the plan file checked (integrity, version, age, sensitive
/// values), then AWS (region, account), then, holding the lock, the resources the plan
/// touches read again and compared with what the plan saw; only then is it walked.
pub async fn run_saved(
    global: &GlobalArgs,
    options: Options,
    path: &std::path::Path,
    max_age: Duration,
) -> anyhow::Result<ExitCode> {
    use crate::planfile::{self, Document, PlanFileError};
    let path = path.to_string_lossy();
    let (document, text) = planfile::read(&path)?;
    document.check_age(&path, max_age)?;
    let given = super::overrides(&options.manifest, None)?;
    let values = document.sensitive_values(&path, |name| given.given(name))?;
    crate::redact::register(values.values().cloned());
    let document = Document::reveal(&text, &values).map_err(|why| PlanFileError::Damaged {
        path: path.to_string(),
        why,
    })?;
    let started = Instant::now();
    let session = pipeline::connect(
        &super::connection(global),
        pipeline::Target {
            stack: &document.stack,
            region: Some(&document.region),
            zones: document.manifest.dns_zones.clone(),
            buckets: document.manifest.buckets.clone(),
        },
        options.timeout,
        options.no_wait,
        options.wait,
    )
    .await?;
    let elsewhere = |what, planned: &str, actual: &str, help| PlanFileError::Elsewhere {
        path: path.to_string(),
        what,
        planned: planned.to_string(),
        actual: actual.to_string(),
        help,
    };
    if session.cx.region != document.region {
        return Err(elsewhere(
            "region",
            &document.region,
            &session.cx.region,
            "drop `--region` (or AWS_REGION's override) or make the plan for this region",
        )
        .into());
    }
    let account = crate::aws::account(&session.cx).await?;
    if account != document.account {
        return Err(elsewhere(
            "account",
            &document.account,
            &account,
            "use the credentials the plan was made with, or make a new plan with these",
        )
        .into());
    }
    let lock = super::lock(&session.cx, "edgectl apply PLANFILE", options.lock_timeout).await?;
    super::holding(
        lock,
        &session.cx,
        saved_locked(global, &options, &document, &session, started),
    )
    .await
}

async fn saved_locked(
    global: &GlobalArgs,
    options: &Options,
    document: &crate::planfile::Document,
    session: &pipeline::Session,
    started: Instant,
) -> anyhow::Result<ExitCode> {
    // Only the kinds the plan touches are read again: a change anywhere else does not
    // make the plan stale.
    let kinds = document.touched_kinds();
    let adapters: Vec<Arc<dyn crate::aws::Adapter>> = crate::kinds::adapters()
        .into_iter()
        .filter(|adapter| adapter.kinds().iter().any(|kind| kinds.contains(*kind)))
        .collect();
    // What was live when the plan was made and what it makes: what the tagging API's
    // listing must hold for a kind to trust it (`aws::tags::tagged_complete`).
    let _ = session.cx.reads.expected.set(
        document
            .execution
            .physical_ids
            .keys()
            .cloned()
            .chain(
                document
                    .execution
                    .plan
                    .steps
                    .iter()
                    .map(|step| step.id.clone()),
            )
            .collect(),
    );
    let mut live = pipeline::observe_raw(&session.cx, &adapters)
        .await
        .inspect_err(|_| crate::sayln!("gave up after {}", session.calls.summary()))?;
    let ids = pipeline::live_ids(&live);
    let index = pipeline::logical_index(
        document
            .execution
            .physical_ids
            .iter()
            .chain(ids.iter().map(|(id, physical)| (id, physical))),
    );
    pipeline::read_as_logical(&mut live, &index);
    let plan = &document.execution.plan;
    crate::dataln!(
        "{}",
        render::plan::saved_header(document, Paint::for_stdout())
    );
    let place = super::place(&session.cx.region, document.manifest.environment.as_deref());
    super::print_plan(global, plan, &document.stack, &place);
    super::summarize_plan(plan, &document.stack, &place);
    let stale = document.stale(&live);
    if !stale.is_empty() {
        for change in &stale {
            crate::sayln!("error: {change}");
        }
        return Err(ApplyError::Stale(crate::manifest::plural(stale.len(), "resource")).into());
    }
    if plan.is_empty() {
        super::output::print(&super::output::read_saved(
            &document.execution.outputs,
            &document.execution.physical_ids,
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let refusals = pipeline::preflight(&session.cx, &adapters, plan).await;
    if !refusals.is_empty() {
        for refusal in &refusals {
            crate::sayln!("error: {refusal}");
        }
        return Err(ApplyError::Refused("apply").into());
    }
    let physical = crate::aws::PhysicalIds::from_map(document.execution.physical_ids.clone());
    let code = walk(
        global,
        session,
        &adapters,
        plan,
        physical.clone(),
        options.parallelism,
        "apply",
        started,
    )
    .await?;
    super::output::print(&super::output::read_saved(
        &document.execution.outputs,
        &physical.snapshot(),
    ));
    Ok(code)
}

/// The part of a run that holds the stack's lock.
async fn locked(
    global: &GlobalArgs,
    options: &Options,
    verb: &'static str,
    manifest: &crate::manifest::Manifest,
    adapters: &[Arc<dyn crate::aws::Adapter>],
    session: &pipeline::Session,
    started: Instant,
) -> anyhow::Result<ExitCode> {
    let observation = super::observe(session, adapters, manifest).await?;
    let plan = pipeline::plan(
        adapters,
        (!options.destroy).then_some(manifest),
        &observation,
        &options.redeploy,
    )?;
    let place = super::place(&session.cx.region, manifest.environment.as_deref());
    super::print_plan(global, &plan, &manifest.stack, &place);
    super::summarize_plan(&plan, &manifest.stack, &place);
    let outputs = |known: &std::collections::BTreeMap<_, _>| {
        if !options.destroy {
            super::output::print(&super::output::read(manifest, &observation.env, known));
        }
    };
    if plan.is_empty() {
        outputs(
            &pipeline::live_ids(&observation.observed)
                .into_iter()
                .collect(),
        );
        return Ok(ExitCode::SUCCESS);
    }
    // Deletions AWS would half-do, or that would destroy what edgectl does not own, are
    // refused here, before anything changes.
    let refusals = pipeline::preflight(&session.cx, adapters, &plan).await;
    if !refusals.is_empty() {
        for refusal in &refusals {
            crate::sayln!("error: {refusal}");
        }
        return Err(ApplyError::Refused(verb).into());
    }
    if !options.auto_approve && !confirm(verb, &manifest.stack).await? {
        return Err(ApplyError::Declined(verb).into());
    }
    let physical = pipeline::physical_ids(&observation.observed);
    let code = walk(
        global,
        session,
        adapters,
        &plan,
        physical.clone(),
        options.parallelism,
        verb,
        started,
    )
    .await?;
    outputs(&physical.snapshot());
    Ok(code)
}

/// Walks an approved plan with progress, then reports: counts and calls on success; on a
/// failure, what was done, every error, and what did not start (exit 1).
#[allow(clippy::too_many_arguments)]
pub async fn walk(
    global: &GlobalArgs,
    session: &pipeline::Session,
    adapters: &[Arc<dyn crate::aws::Adapter>],
    plan: &crate::engine::diff::Plan,
    physical: crate::aws::PhysicalIds,
    parallelism: usize,
    verb: &'static str,
    started: Instant,
) -> anyhow::Result<ExitCode> {
    let ops = walk::schedule(plan)?;
    let progress = Arc::new(Progress::new(super::live_progress(global)));
    let walk = Walk {
        plan,
        ops: &ops,
        kinds: adapters,
        cx: session.cx.clone(),
        physical,
        parallelism,
        hooks: progress.clone(),
        stop: Some(super::signals::watcher()),
    };
    let walking = super::signals::walking();
    let outcome = walk.run().await;
    drop(walking);
    super::print_calls(global, session);
    let calls = session.calls.summary();
    let elapsed = render::duration(started.elapsed());
    // What AWS made the run wait for (a role propagating, a load balancer provisioning).
    for (index, what, time) in &outcome.waited {
        progress.line(&format!(
            "waited {} for {what} ({})",
            render::duration(*time),
            walk::label(plan, &ops[*index])
        ));
    }
    if outcome.failed.is_empty() && outcome.not_started.is_empty() && outcome.stopped.is_empty() {
        let count = |action: Action| plan.count(action);
        let done = format!(
            "{} complete: {} created, {} updated, {} replaced, {} deleted in {elapsed} ({calls})",
            capitalise(verb),
            count(Action::Create),
            count(Action::Update),
            count(Action::Replace),
            count(Action::Delete),
        );
        progress.line(&done);
        render::github::summarize(&format!("\n**{done}**"));
        return Ok(ExitCode::SUCCESS);
    }
    // Report what was done, then every error, sorted, so a rerun can be reasoned about.
    let done: Vec<String> = outcome
        .done
        .iter()
        .map(|index| walk::label(plan, &ops[*index]))
        .collect();
    crate::sayln!(
        "\ndone before stopping ({}): {}",
        done.len(),
        if done.is_empty() {
            "nothing".to_string()
        } else {
            done.join(", ")
        }
    );
    // The walk reports its failures sorted by operation.
    let failures: Vec<(String, String)> = outcome
        .failed
        .iter()
        .map(|(index, error)| {
            (
                ops.get(*index)
                    .map_or_else(|| "internal".to_string(), |op| walk::label(plan, op)),
                error.to_string(),
            )
        })
        .collect();
    for (label, error) in &failures {
        crate::sayln!("error: {label}: {error}");
        render::github::annotate(
            render::github::Level::Error,
            None,
            &format!("edgectl {verb}: {label}"),
            error,
        );
    }
    if !failures.is_empty() {
        render::github::summarize(&failure_summary(verb, &failures));
    }
    let not_started: Vec<String> = outcome
        .not_started
        .iter()
        .map(|index| walk::label(plan, &ops[*index]))
        .collect();
    if !not_started.is_empty() {
        crate::sayln!("interrupted; not started: {}", not_started.join(", "));
    }
    let stopped: Vec<String> = outcome
        .stopped
        .iter()
        .map(|index| walk::label(plan, &ops[*index]))
        .collect();
    if !stopped.is_empty() {
        crate::sayln!(
            "stopped in flight (asked of AWS, not waited for): {}",
            stopped.join(", ")
        );
    }
    crate::sayln!("made {calls} in {elapsed}");
    if let Some(signal) = super::signals::received() {
        return Err(super::signals::Interrupted(signal).into());
    }
    crate::sayln!("help: run `edgectl {verb}` again to continue from what is live now");
    Err(ApplyError::Failed {
        verb,
        failed: outcome.failed.len(),
        total: ops.len(),
        skipped: outcome.skipped.len(),
        not_started: outcome.not_started.len(),
    }
    .into())
}

/// What failed, for a GitHub Actions job's summary: each operation and its error.
fn failure_summary(verb: &str, failures: &[(String, String)]) -> String {
    let mut out = format!(
        "\n**{} failed**: {}\n",
        capitalise(verb),
        crate::manifest::plural(failures.len(), "operation")
    );
    for (label, error) in failures {
        let fence = "`".repeat(
            error
                .split(|c| c != '`')
                .map(str::len)
                .max()
                .unwrap_or(0)
                .max(2)
                + 1,
        );
        out.push_str(&format!("\n`{label}`\n{fence}\n{error}\n{fence}\n"));
    }
    out
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Asks for `yes`; the read runs off the runtime's threads, so a signal at the prompt
/// stops the run (and releases the lock) without waiting for an answer.
async fn confirm(verb: &str, stack: &str) -> anyhow::Result<bool> {
    ask(&format!(
        "Do you want to {verb} these changes to stack `{stack}`?"
    ))
    .await
}

/// Asks `question` on stderr; true when the answer read from stdin is `yes`.
pub async fn ask(question: &str) -> anyhow::Result<bool> {
    crate::say!("\n{question} Only `yes` is accepted: ");
    std::io::stderr().flush()?;
    let answer = tokio::task::spawn_blocking(|| {
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map(|_| answer)
    })
    .await??;
    Ok(answer.trim() == "yes")
}
