//! `edgectl sync`: only the content of the manifest's synced buckets. It uploads what
//! changed, deletes what went (with `delete: true`) and invalidates the distributions in
//! front: the step a pipeline runs after each build, as `aws s3 sync` plus
//! `aws cloudfront create-invalidation`. It is `apply`'s plan restricted to the content
//! kinds (objects, invalidation) of the chosen buckets, walked by the same engine: it
//! reads only each bucket's tags and listing (and the distributions, only when one must
//! be told of a change), so it needs the bucket to exist (`apply` creates it) and leaves
//! everything else as it is.

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::aws::Adapter;
use crate::aws::ids::INVALIDATION;
use crate::cli::{GlobalArgs, ManifestArgs};
use crate::engine::model::ResourceId;
use crate::kinds::bucket::{self, Bucket, content};
use crate::lower::Env;
use crate::manifest::Manifest;
use crate::pipeline::{self, Observation};
use crate::render::{self, Paint};

/// The kinds a sync plans: the buckets' content and what the distributions in front cache.
const CONTENT: &[&str] = &[crate::aws::ids::OBJECTS, INVALIDATION];

pub struct Options {
    pub manifest: ManifestArgs,
    pub buckets: Vec<String>,
    pub dry_run: bool,
    pub detailed_exitcode: bool,
    pub parallelism: usize,
    pub timeout: Duration,
    pub wait: bool,
    /// How long to wait for another run's lock on the stack.
    pub lock_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the manifest has no bucket with `sync`: nothing to sync")]
    NothingToSync,
    #[error("bucket `{name}` is not in the manifest{hint}")]
    UnknownBucket { name: String, hint: String },
    #[error("bucket `{0}` has no `sync` in the manifest: nothing to sync into it")]
    NotSynced(String),
}

pub async fn run(global: &GlobalArgs, options: Options) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let (manifest, adapters) = super::load(&options.manifest)?;
    // Which buckets, decided before any AWS call.
    let buckets = chosen(&manifest, &options.buckets)?;
    bucket::warm_buckets(buckets.iter().copied());
    let session = pipeline::connect(
        &super::connection(global),
        (&manifest).into(),
        options.timeout,
        false,
        options.wait,
    )
    .await?;
    sync_buckets(
        global, &options, &manifest, &adapters, &buckets, &session, started,
    )
    .await
}

async fn sync_buckets(
    global: &GlobalArgs,
    options: &Options,
    manifest: &Manifest,
    adapters: &[Arc<dyn Adapter>],
    buckets: &[&Bucket],
    session: &pipeline::Session,
    started: Instant,
) -> anyhow::Result<ExitCode> {
    let cx = &session.cx;
    // The content kinds only, on the chosen buckets only, each read by its name.
    let scope: Vec<(ResourceId, String)> = buckets
        .iter()
        .map(|bucket| (crate::aws::ids::bucket_id(&bucket.key), bucket.name.clone()))
        .collect();
    let _ = cx.reads.scope.set(scope.clone());
    let content: Vec<Arc<dyn Adapter>> = adapters
        .iter()
        .filter(|adapter| adapter.kinds().iter().any(|kind| CONTENT.contains(kind)))
        .cloned()
        .collect();
    let mut observed = pipeline::observe_raw(cx, &content).await?;
    let physical = pipeline::physical_ids(&observed);
    for (id, name) in &scope {
        physical.set(id, name.clone());
    }
    pipeline::read_as_logical(&mut observed, &physical.index());
    let observation = Observation {
        env: Env::placeholder(manifest),
        observed,
        elapsed: started.elapsed(),
    };
    let chosen: BTreeSet<&str> = buckets.iter().map(|bucket| bucket.key.as_str()).collect();
    let mut plan = pipeline::plan(adapters, Some(manifest), &observation, &[])?;
    plan.steps
        .retain(|step| CONTENT.contains(&step.id.kind()) && chosen.contains(step.id.name()));
    crate::data!(
        "{}",
        render::plan::render(
            &plan,
            &manifest.stack,
            &cx.region,
            Paint::for_stdout(),
            global.verbose,
        )
    );
    if plan.is_empty() {
        for bucket in buckets {
            let files = bucket.sync.as_ref().map_or(0, |wanted| {
                content::scan(&bucket::sync_settings(wanted)).files.len()
            });
            crate::dataln!(
                "  bucket {}: {} in sync",
                bucket.key,
                crate::manifest::plural(files, "file")
            );
        }
    }
    // A source with entries that cannot be read syncs nothing: it would read as files
    // gone, and `delete: true` would delete them remotely.
    let refusals = pipeline::invalid(adapters, &plan);
    if !refusals.is_empty() {
        for refusal in &refusals {
            crate::sayln!("error: {refusal}");
        }
        return Err(super::apply::ApplyError::Refused("sync").into());
    }
    if plan.is_empty() || options.dry_run {
        super::print_calls(global, session);
        let pending = !plan.is_empty() && options.detailed_exitcode;
        return Ok(if pending {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        });
    }
    // Content changes: one run per stack from here. A sync with nothing to change, or a
    // dry run, takes no lock, like `plan`: it costs a no-change sync nothing.
    let lock = super::lock(cx, "edgectl sync", options.lock_timeout).await?;
    super::holding(
        lock,
        cx,
        super::apply::walk(
            global,
            session,
            adapters,
            &plan,
            physical,
            options.parallelism,
            "sync",
            started,
        ),
    )
    .await
}

/// The buckets named on the command line (by their key under `buckets:`), or every
/// bucket with a `sync`.
fn chosen<'a>(manifest: &'a Manifest, names: &[String]) -> Result<Vec<&'a Bucket>, SyncError> {
    let buckets = bucket::synced(manifest);
    if names.is_empty() {
        let synced: Vec<&Bucket> = buckets
            .iter()
            .filter(|bucket| bucket.sync.is_some())
            .collect();
        if synced.is_empty() {
            return Err(SyncError::NothingToSync);
        }
        return Ok(synced);
    }
    names
        .iter()
        .map(|name| {
            let Some(bucket) = buckets.iter().find(|bucket| bucket.key == *name) else {
                let keys = buckets.iter().map(|bucket| bucket.key.as_str());
                let hint = crate::manifest::diag::suggest(name, keys)
                    .map(|close| format!("; did you mean `{close}`?"))
                    .unwrap_or_default();
                return Err(SyncError::UnknownBucket {
                    name: name.clone(),
                    hint,
                });
            };
            if bucket.sync.is_none() {
                return Err(SyncError::NotSynced(name.clone()));
            }
            Ok(bucket)
        })
        .collect()
}
