//! `edgectl sync`: only the content of the manifest's synced buckets. It uploads what
//! changed, deletes what went (with `delete: true`) and invalidates the distributions in
//! front: the step a pipeline runs after each build, as `aws s3 sync` plus
//! `aws cloudfront create-invalidation`. `apply` does the same as part of the whole stack;
//! `sync` reads only each bucket's tags and listing, so it needs the bucket to exist
//! (`apply` creates it) and leaves everything else as it is.

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use futures::future::try_join_all;

use crate::aws::cloudfront;
use crate::aws::s3::{self, sync};
use crate::cli::{GlobalArgs, ManifestArgs};
use crate::engine::model::{Observed, ResourceId, Value};
use crate::lower::Env;
use crate::manifest::Manifest;
use crate::manifest::edge::Bucket;
use crate::pipeline::{self, Observation};
use crate::render::{self, Paint};

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
    sync::warm_buckets(buckets.iter().copied());
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
    adapters: &[std::sync::Arc<dyn crate::aws::Adapter>],
    buckets: &[&Bucket],
    session: &pipeline::Session,
    started: Instant,
) -> anyhow::Result<ExitCode> {
    let cx = &session.cx;
    let observed = try_join_all(buckets.iter().map(|bucket| async move {
        let sync = bucket.sync.as_ref().map(|sync| sync.prefix.as_str());
        sync::observe_for_sync(
            cx,
            &bucket.key,
            &bucket.name,
            sync.unwrap_or_default(),
            bucket.kms.is_some(),
        )
        .await
    }))
    .await?;
    // Live references read as logical ones, as `pipeline::observe` makes them.
    let index: BTreeMap<String, ResourceId> = buckets
        .iter()
        .map(|bucket| (bucket.name.clone(), s3::bucket_id(&bucket.key)))
        .collect();
    let mut observed: Vec<Observed> = observed.into_iter().flatten().collect();
    pipeline::read_as_logical(&mut observed, &index);
    let observation = Observation {
        env: Env::placeholder(manifest),
        observed,
        elapsed: started.elapsed(),
    };
    let scope: BTreeSet<ResourceId> = buckets
        .iter()
        .map(|bucket| sync::objects_id(&bucket.key))
        .collect();
    let mut plan = pipeline::plan(adapters, Some(manifest), &observation)?;
    plan.steps.retain(|step| scope.contains(&step.id));
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
            let files = bucket
                .sync
                .as_ref()
                .map_or(0, |wanted| sync::scan(wanted).files.len());
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
    let lock = crate::aws::lock::acquire(&session.cx, "edgectl sync", options.lock_timeout).await?;
    let result = upload(
        global,
        options,
        adapters,
        buckets,
        session,
        started,
        observation,
        plan,
    )
    .await;
    super::release(lock, &session.cx).await;
    result
}

/// Uploads, deletes and invalidates what the plan says, holding the stack's lock.
#[expect(
    clippy::too_many_arguments,
    reason = "the steps of one command, split at the lock"
)]
async fn upload(
    global: &GlobalArgs,
    options: &Options,
    adapters: &[std::sync::Arc<dyn crate::aws::Adapter>],
    buckets: &[&Bucket],
    session: &pipeline::Session,
    started: Instant,
    observation: Observation,
    mut plan: crate::engine::diff::Plan,
) -> anyhow::Result<ExitCode> {
    let cx = &session.cx;
    let physical = pipeline::physical_ids(&observation.observed);
    for bucket in buckets {
        physical.set(&s3::bucket_id(&bucket.key), bucket.name.clone());
    }
    // The distributions to invalidate are read only when objects change behind one; one
    // that does not exist yet has nothing cached.
    let fronted = plan.steps.iter().any(|step| {
        step.desired
            .as_ref()
            .is_some_and(|want| want.value("invalidate").items().next().is_some())
    });
    if fronted {
        let live = cloudfront::distribution::owned(cx).await?;
        for distribution in &live {
            physical.set(&distribution.logical, distribution.arn.clone());
        }
        let live: BTreeSet<&ResourceId> = live
            .iter()
            .map(|distribution| &distribution.logical)
            .collect();
        for step in &mut plan.steps {
            let targets = step
                .desired
                .as_mut()
                .and_then(|want| want.props.get_mut("invalidate"));
            if let Some(Value::Set(targets)) = targets.map(|field| &mut field.value) {
                targets.retain(|target| {
                    let distribution = target.as_map().and_then(|map| map.get("distribution"));
                    matches!(distribution, Some(Value::Ref(id)) if live.contains(id))
                });
            }
        }
    }
    super::apply::walk(
        global,
        session,
        adapters,
        &plan,
        physical,
        options.parallelism,
        "sync",
        started,
    )
    .await
}

/// The buckets named on the command line (by their key under `buckets:`), or every
/// bucket with a `sync`.
fn chosen<'a>(manifest: &'a Manifest, names: &[String]) -> Result<Vec<&'a Bucket>, SyncError> {
    let buckets = &manifest.edge.buckets;
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
