//! The walk: a plan becomes operations ordered along the dependency graph (creates after
//! what they need, deletes before what they block), run concurrently up to a bound. A
//! failed operation skips its dependents; independent branches finish; every outcome is
//! reported. Apply executes the plan and nothing outside it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt as _;
use tokio::task::JoinSet;

use super::diff::{Action, Plan, Replacement, Step};
use super::error::{Error, ErrorKind};
use super::graph::{GraphError, topological};
use super::kind::{Context, Kind, OpCx, PhysicalIds, kind_for};
use super::model::ResourceId;

pub use super::model::Phase;

#[derive(Clone, Debug, PartialEq)]
pub struct Op {
    /// Index into `plan.steps`.
    pub step: usize,
    pub phase: Phase,
    /// Indexes of the operations that must finish first.
    pub after: Vec<usize>,
}

/// Orders a plan's operations. Creates and updates wait for what they refer to; a delete
/// waits until nothing refers to the resource any more: dependents deleted, or (when the
/// resource goes for good) updated to stop referring to it. A replacement deletes before
/// it creates.
pub fn schedule(plan: &Plan) -> Result<Vec<Op>, GraphError> {
    let mut ops: Vec<Op> = Vec::new();
    let mut by_id: BTreeMap<&ResourceId, BTreeMap<Phase, usize>> = BTreeMap::new();
    for (index, step) in plan.steps.iter().enumerate() {
        let phases: &[Phase] = match step.action {
            Action::Create => &[Phase::Create],
            Action::Update => &[Phase::Update],
            Action::Delete => &[Phase::Delete],
            Action::Replace => match step.replacement {
                Replacement::DeleteThenCreate => &[Phase::Delete, Phase::Create],
                Replacement::CreateThenDelete => &[Phase::Create, Phase::Delete],
                Replacement::CreateOnly => &[Phase::Create],
            },
        };
        for phase in phases {
            // A duplicate's delete shares its id with the kept resource's step; it orders as a delete only.
            if step.desired.is_some() || *phase == Phase::Delete {
                by_id
                    .entry(&step.id)
                    .or_default()
                    .entry(*phase)
                    .or_insert(ops.len());
            }
            ops.push(Op {
                step: index,
                phase: *phase,
                after: Vec::new(),
            });
        }
    }
    let op_of = |id: &ResourceId, phase: Phase| {
        by_id.get(id).and_then(|phases| phases.get(&phase)).copied()
    };
    for (index, op) in ops.iter_mut().enumerate() {
        let step = &plan.steps[op.step];
        let mut after = BTreeSet::new();
        match op.phase {
            Phase::Create | Phase::Update => {
                for dep in step.desired.iter().flat_map(|desired| desired.deps()) {
                    after.extend(op_of(&dep.id, Phase::Create));
                    after.extend(op_of(&dep.id, Phase::Update));
                }
                if op.phase == Phase::Create
                    && step.action == Action::Replace
                    && step.replacement == Replacement::DeleteThenCreate
                {
                    after.extend(op_of(&step.id, Phase::Delete));
                }
            }
            Phase::Delete => {
                let create_first = step.action == Action::Replace
                    && step.replacement == Replacement::CreateThenDelete;
                if create_first {
                    after.extend(op_of(&step.id, Phase::Create));
                }
                let gone_for_good = step.action == Action::Delete || create_first;
                for other in &plan.steps {
                    let Some(observed) = &other.observed else {
                        continue;
                    };
                    if other.id == step.id || !observed.deps().iter().any(|dep| dep.id == step.id) {
                        continue;
                    }
                    after.extend(op_of(&other.id, Phase::Delete));
                    if gone_for_good {
                        after.extend(op_of(&other.id, Phase::Update));
                    }
                }
            }
        }
        after.remove(&index);
        op.after = after.into_iter().collect();
    }
    // Never start a walk that cannot finish.
    let names: Vec<ResourceId> = (0..ops.len())
        .map(|index| ResourceId::parse(&format!("{}#{index}", label(plan, &ops[index]))))
        .collect();
    let edges: BTreeMap<&ResourceId, Vec<ResourceId>> = ops
        .iter()
        .enumerate()
        .map(|(index, op)| {
            (
                &names[index],
                op.after.iter().map(|other| names[*other].clone()).collect(),
            )
        })
        .collect();
    topological(&edges)?;
    Ok(ops)
}

/// The operations as labels (`delete subnet.a`), in an order the walk may run them: each
/// after everything it waits for, ties in plan order.
pub fn order(plan: &Plan, ops: &[Op]) -> Vec<String> {
    let mut waiting: Vec<usize> = ops.iter().map(|op| op.after.len()).collect();
    let mut ready: BTreeSet<usize> = (0..ops.len())
        .filter(|index| waiting[*index] == 0)
        .collect();
    let mut labels = Vec::with_capacity(ops.len());
    while let Some(index) = ready.pop_first() {
        labels.push(label(plan, &ops[index]));
        for (other, op) in ops.iter().enumerate() {
            if op.after.contains(&index) {
                waiting[other] -= 1;
                if waiting[other] == 0 {
                    ready.insert(other);
                }
            }
        }
    }
    labels
}

pub fn label(plan: &Plan, op: &Op) -> String {
    let step = &plan.steps[op.step];
    format!("{} {}", op_verb(op.phase), step.id)
}

fn op_verb(phase: Phase) -> &'static str {
    match phase {
        Phase::Create => "create",
        Phase::Update => "update",
        Phase::Delete => "delete",
    }
}

/// What the walk tells the interface, as it happens.
pub trait Hooks: Send + Sync {
    fn started(&self, op: usize, step: &Step, phase: Phase);
    fn finished(
        &self,
        op: usize,
        step: &Step,
        phase: Phase,
        physical_id: Option<&str>,
        elapsed: Duration,
    );
    fn failed(&self, op: usize, step: &Step, phase: Phase, error: &Error, elapsed: Duration);
    fn skipped(&self, step: &Step, phase: Phase);
    /// How far an operation in flight has come (files uploaded, tasks running).
    fn progressed(&self, _op: usize, _step: &Step, _phase: Phase, _status: &str) {}
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub done: Vec<usize>,
    pub failed: Vec<(usize, Error)>,
    pub skipped: Vec<usize>,
    /// Operations never started because the walk was interrupted.
    pub not_started: Vec<usize>,
    /// Operations in flight when the walk was interrupted: what they asked of AWS stays
    /// asked; they were not waited for.
    pub stopped: Vec<usize>,
    /// What operations waited for AWS to settle, and how long: (operation, what, time).
    pub waited: Vec<(usize, String, Duration)>,
}

pub struct Walk<'a, K: ?Sized + Kind> {
    pub plan: &'a Plan,
    pub ops: &'a [Op],
    pub kinds: &'a [Arc<K>],
    pub cx: Arc<K::Cx>,
    pub physical: PhysicalIds,
    pub parallelism: usize,
    pub hooks: Arc<dyn Hooks>,
    /// Changes (to a nonzero value) when the walk must stop: nothing new starts, and
    /// operations in flight are dropped. `None`: the walk runs to its end.
    pub stop: Option<tokio::sync::watch::Receiver<i32>>,
}

impl<K: ?Sized + Kind + 'static> Walk<'_, K> {
    /// The scheduler: one loop over the graph's ready operations, their completions and
    /// the stop signal. It is long (about 190 lines) because the counters it keeps (what
    /// waits on what, what is in flight, what failed or was skipped) are shared by every
    /// branch of one `select!`; split, they would travel as a struct through each piece.
    pub async fn run(self) -> Outcome {
        let ops = self.ops;
        let mut waiting: Vec<usize> = ops.iter().map(|op| op.after.len()).collect();
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); ops.len()];
        for (index, op) in ops.iter().enumerate() {
            for before in &op.after {
                dependents[*before].push(index);
            }
        }
        let mut ready: VecDeque<usize> = (0..ops.len())
            .filter(|index| waiting[*index] == 0)
            .collect();
        let mut outcome = Outcome::default();
        let mut settled = vec![false; ops.len()];
        let mut running = JoinSet::new();
        let mut interrupted = false;
        let waited = Arc::new(std::sync::Mutex::new(Vec::new()));
        let plan = Arc::new(self.plan.clone());
        let mut stop = self.stop.clone();
        let mut in_flight: BTreeMap<tokio::task::Id, usize> = BTreeMap::new();
        loop {
            while !interrupted && running.len() < self.parallelism.max(1) {
                let Some(index) = ready.pop_front() else {
                    break;
                };
                let op = ops[index].clone();
                let wait = !dependents[index].is_empty();
                // What this operation refers to was made or changed by this walk: "not
                // found" may mean "not visible yet".
                let fresh = op
                    .after
                    .iter()
                    .any(|before| ops[*before].phase != Phase::Delete);
                let step = plan.steps[op.step].clone();
                let Some(kind) = kind_for(self.kinds, &step.id).cloned() else {
                    let error = Error::new(
                        ErrorKind::Other,
                        "plan",
                        format!("no adapter handles `{}`", step.id),
                    );
                    self.hooks
                        .failed(index, &step, op.phase, &error, Duration::ZERO);
                    settled[index] = true;
                    outcome.failed.push((index, error));
                    continue;
                };
                let cx = self.cx.clone();
                let physical = self.physical.clone();
                let hooks = self.hooks.clone();
                let waited = waited.clone();
                let task = running.spawn(async move {
                    hooks.started(index, &step, op.phase);
                    let started = Instant::now();
                    let report = |status: &str| hooks.progressed(index, &step, op.phase, status);
                    let awaited = |what: &str, time: Duration| {
                        if let Ok(mut waited) = waited.lock() {
                            waited.push((index, what.to_string(), time));
                        }
                    };
                    // A panicking kind is a bug: its operation fails (its dependents are
                    // skipped) and the walk goes on.
                    let result = std::panic::AssertUnwindSafe(execute(
                        &*kind,
                        &*cx,
                        &physical,
                        &step,
                        op.phase,
                        Situation { wait, fresh },
                        Tell {
                            report: &report,
                            awaited: &awaited,
                        },
                    ))
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|panic| {
                        let message = panic
                            .downcast_ref::<&str>()
                            .map(|text| text.to_string())
                            .or_else(|| panic.downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "no message".to_string());
                        Err(Error::new(
                            ErrorKind::Other,
                            "internal",
                            format!("edgectl panicked (a bug; please report it): {message}"),
                        ))
                    });
                    match &result {
                        Ok(physical_id) => hooks.finished(
                            index,
                            &step,
                            op.phase,
                            physical_id.as_deref(),
                            started.elapsed(),
                        ),
                        Err(error) => {
                            hooks.failed(index, &step, op.phase, error, started.elapsed())
                        }
                    }
                    (index, result)
                });
                in_flight.insert(task.id(), index);
            }
            if running.is_empty() {
                break;
            }
            let stopping = async {
                match stop.as_mut() {
                    Some(stop) => {
                        while stop.changed().await.is_ok() {
                            if *stop.borrow() != 0 {
                                return;
                            }
                        }
                        std::future::pending::<()>().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let joined = tokio::select! {
                joined = running.join_next_with_id() => joined,
                () = stopping, if !interrupted => {
                    // Nothing new starts; what is in flight is dropped (what it asked of
                    // AWS stays asked; the next run continues from what is live).
                    interrupted = true;
                    running.abort_all();
                    continue;
                }
            };
            let Some(joined) = joined else { break };
            let (index, result) = match joined {
                Ok((id, pair)) => {
                    in_flight.remove(&id);
                    pair
                }
                Err(join) => {
                    match in_flight.remove(&join.id()) {
                        Some(index) if join.is_cancelled() => {
                            settled[index] = true;
                            outcome.stopped.push(index);
                        }
                        // Only a cancelled task ends here (panics are caught in the task).
                        _ => {
                            let error = Error::new(ErrorKind::Other, "internal", join.to_string());
                            outcome.failed.push((usize::MAX, error));
                        }
                    }
                    continue;
                }
            };
            settled[index] = true;
            match result {
                Ok(_) => {
                    outcome.done.push(index);
                    for dependent in &dependents[index] {
                        waiting[*dependent] -= 1;
                        if waiting[*dependent] == 0 {
                            ready.push_back(*dependent);
                        }
                    }
                }
                Err(error) => {
                    outcome.failed.push((index, error));
                    // Upstream failed: skip everything downstream.
                    let mut stack = dependents[index].clone();
                    while let Some(dependent) = stack.pop() {
                        if !settled[dependent] {
                            settled[dependent] = true;
                            outcome.skipped.push(dependent);
                            self.hooks
                                .skipped(&plan.steps[ops[dependent].step], ops[dependent].phase);
                            stack.extend(dependents[dependent].iter().copied());
                        }
                    }
                }
            }
        }
        outcome.not_started = (0..ops.len()).filter(|index| !settled[*index]).collect();
        // Every error, sorted by operation, so that a report reads the same from run to run.
        outcome.failed.sort_by_key(|(index, _)| {
            ops.get(*index)
                .map(|op| label(&plan, op))
                .unwrap_or_default()
        });
        outcome.skipped.sort();
        outcome.stopped.sort();
        outcome.waited = waited
            .lock()
            .map(|mut waited| std::mem::take(&mut *waited))
            .unwrap_or_default();
        outcome.waited.sort_by_key(|(index, _, _)| *index);
        outcome
    }
}

/// Where an operation stands in the walk.
#[derive(Clone, Copy)]
struct Situation {
    /// Something waits on it: it must be ready (or, deleted, gone) when it returns.
    wait: bool,
    /// What it refers to was made or changed by this walk (see `retry::bound`).
    fresh: bool,
}

/// What an operation tells the interface as it runs: its status, and what it waited for
/// AWS to settle (and how long), for the run's summary.
#[derive(Clone, Copy)]
struct Tell<'a> {
    report: &'a (dyn Fn(&str) + Send + Sync),
    awaited: &'a (dyn Fn(&str, Duration) + Send + Sync),
}

async fn execute<K: ?Sized + Kind>(
    adapter: &K,
    cx: &K::Cx,
    physical: &PhysicalIds,
    step: &Step,
    phase: Phase,
    situation: Situation,
    tell: Tell<'_>,
) -> Result<Option<String>, Error> {
    let Situation { wait, fresh } = situation;
    let Tell { report, awaited } = tell;
    let step = &*materialize(step, physical)?;
    let made = std::sync::OnceLock::new();
    let op = OpCx {
        cx,
        id: &step.id,
        physical,
        wait,
        report,
        made: &made,
    };
    let mut result = first(adapter, &op, step, phase).await;
    // Each reason to wait has its own window (a role propagating, then the load balancer
    // it fronts becoming active), and when it was first met.
    let mut waits: BTreeMap<(ErrorKind, String), (super::retry::Backoff, Instant)> =
        BTreeMap::new();
    let mut converged = 0;
    loop {
        let error = match result {
            Err(error) => error,
            done => {
                for ((_, what), (_, since)) in waits {
                    if !what.is_empty() {
                        awaited(&what, since.elapsed());
                    }
                }
                return done;
            }
        };
        if may_hide_success(&error) && converged < CONVERGE_ROUNDS {
            converged += 1;
            result = converge(adapter, &op, step, phase, error).await;
            continue;
        }
        // The one place an operation is retried: on the kinds `retry::bound` names.
        let fresh = fresh || made.get().is_some();
        let Some(bound) = super::retry::bound(phase, &error, fresh, cx) else {
            return Err(adapter.explain(cx, step, error).await);
        };
        let what = error
            .awaiting
            .as_ref()
            .map(|awaiting| awaiting.what.clone())
            .unwrap_or_default();
        let (backoff, since) = waits
            .entry((error.kind, what.clone()))
            .or_insert_with(|| (super::retry::Backoff::new(bound), Instant::now()));
        if !what.is_empty() {
            report(&format!(
                "waiting for {what}, {} s",
                since.elapsed().as_secs()
            ));
        }
        if !backoff.wait().await {
            let error = match error.awaiting.clone() {
                Some(awaiting) => Error {
                    message: format!(
                        "{} (waited {} s for {}, the most AWS takes)",
                        error.message,
                        since.elapsed().as_secs(),
                        awaiting.what
                    ),
                    ..error
                },
                None => error,
            };
            return Err(adapter.explain(cx, step, error).await);
        }
        result = resume(adapter, &op, step, phase).await;
    }
}

/// The step with its templates rendered from the ids known now (what they refer to is
/// done, the walk's order saw to it): an operation sees text, never a template.
fn materialize<'a>(
    step: &'a Step,
    physical: &PhysicalIds,
) -> Result<std::borrow::Cow<'a, Step>, Error> {
    let templated = step
        .desired
        .iter()
        .flat_map(|desired| desired.props.values())
        .any(|field| field.value.has_template());
    if !templated {
        return Ok(std::borrow::Cow::Borrowed(step));
    }
    let ids = physical.snapshot();
    let known = |id: &ResourceId| ids.get(id).cloned();
    let mut step = step.clone();
    let Some(mut desired) = step.desired.take() else {
        return Ok(std::borrow::Cow::Owned(step));
    };
    for (name, field) in desired.props.iter_mut() {
        field.value = field.value.render(&known);
        if field.value.has_template() {
            return Err(Error::new(
                ErrorKind::Other,
                "resolve",
                format!(
                    "`{}`'s `{name}` refers to what has no id yet: {}",
                    step.id, field.value
                ),
            ));
        }
    }
    // A change whose new value was a template (unknown at plan time) is the text now.
    for change in &mut step.changes {
        if change.new.has_template()
            && let Some(field) = desired.props.get(&change.field)
        {
            change.new = field.value.clone();
        }
    }
    step.desired = Some(desired);
    Ok(std::borrow::Cow::Owned(step))
}

fn missing(step: &Step) -> Error {
    Error::new(
        ErrorKind::Other,
        "plan",
        format!("`{}` has no state for this step", step.id),
    )
}

/// The operation as planned.
async fn first<K: ?Sized + Kind>(
    adapter: &K,
    op: &OpCx<'_, K::Cx>,
    step: &Step,
    phase: Phase,
) -> Result<Option<String>, Error> {
    match phase {
        Phase::Create => {
            create(
                adapter,
                op,
                step.desired.as_ref().ok_or_else(|| missing(step))?,
            )
            .await
        }
        Phase::Update => {
            let (desired, observed) = step
                .desired
                .as_ref()
                .zip(step.observed.as_ref())
                .ok_or_else(|| missing(step))?;
            adapter
                .update(op, desired, observed, &step.changes)
                .await
                .map(|()| Some(observed.physical_id.clone()))
        }
        Phase::Delete => {
            delete(
                adapter,
                op,
                step.observed.as_ref().ok_or_else(|| missing(step))?,
            )
            .await
        }
    }
}

/// The operation taken up again after a retried error: a create whose resource was made
/// is finished from what is live (never made twice); anything else runs again (updates
/// and deletes are written to be run again: what is done already is no error).
async fn resume<K: ?Sized + Kind>(
    adapter: &K,
    op: &OpCx<'_, K::Cx>,
    step: &Step,
    phase: Phase,
) -> Result<Option<String>, Error> {
    match (phase, op.made.get()) {
        (Phase::Create, Some(physical)) => {
            let desired = step.desired.as_ref().ok_or_else(|| missing(step))?;
            match find_live(adapter, op, step, Find::Physical(physical)).await? {
                Some(have) => finish(adapter, op, step, desired, have).await,
                None => Err(Error::new(
                    ErrorKind::NotFound,
                    "read",
                    format!("`{}` ({physical}) was made but is not visible yet", step.id),
                )),
            }
        }
        _ => first(adapter, op, step, phase).await,
    }
}

/// Brings a live resource to its desired state: nothing when it is there already, the
/// remaining fields as an update. `None` when only a replacement would (the next plan
/// shows it). What `step` asks that no field holds (a forced new deployment,
/// `--redeploy`) cannot be read back from what is live, so it is asked again.
async fn finish<K: ?Sized + Kind>(
    adapter: &K,
    op: &OpCx<'_, K::Cx>,
    step: &Step,
    desired: &super::model::Desired,
    mut have: super::model::Observed,
) -> Result<Option<String>, Error> {
    op.physical.set(op.id, have.physical_id.clone());
    for (name, value) in &have.attributes {
        op.publish(name, value);
    }
    let mut want = desired.clone();
    adapter.normalize(&mut want, &mut have);
    let (want, mut changes, _) =
        super::diff::compare(&want, &have, &Default::default(), &op.physical.snapshot());
    changes.extend(
        step.changes
            .iter()
            .filter(|change| !want.props.contains_key(&change.field))
            .cloned(),
    );
    if changes.is_empty() {
        return Ok(Some(have.physical_id));
    }
    if changes.iter().any(|change| change.forces_replacement) {
        return Ok(None);
    }
    adapter
        .update(op, &want, &have, &changes)
        .await
        .map(|()| Some(have.physical_id.clone()))
}

async fn create<K: ?Sized + Kind>(
    adapter: &K,
    op: &OpCx<'_, K::Cx>,
    desired: &super::model::Desired,
) -> Result<Option<String>, Error> {
    let physical_id = adapter.create(op, desired).await?;
    op.physical.set(op.id, physical_id.clone());
    Ok(Some(physical_id))
}

async fn delete<K: ?Sized + Kind>(
    adapter: &K,
    op: &OpCx<'_, K::Cx>,
    have: &super::model::Observed,
) -> Result<Option<String>, Error> {
    match adapter.delete(op, have).await {
        // Already gone is what a delete wants.
        Err(error) if error.kind == ErrorKind::NotFound => {}
        other => other?,
    }
    Ok(Some(gone(op, have)))
}

/// A deleted resource's physical id, no longer what its logical id stands for (unless
/// that is a duplicate's id: the kept resource keeps it).
fn gone<C>(op: &OpCx<'_, C>, have: &super::model::Observed) -> String {
    if op.physical.get(op.id).as_deref() == Some(have.physical_id.as_str()) {
        op.physical.remove(op.id);
    }
    have.physical_id.clone()
}

/// An error that may hide the operation's own success: a lost response (the SDK does not
/// resend those, see `aws::resend`), or "already exists / already associated", which a
/// request of ours that AWS carried out earlier in this operation would also give.
fn may_hide_success(error: &Error) -> bool {
    matches!(error.kind, ErrorKind::Ambiguous | ErrorKind::Conflict)
}

/// How many times an operation is taken up again from what is live before it fails.
const CONVERGE_ATTEMPTS: usize = 4;
/// How many times an operation's outcome is settled from what is live, at most.
const CONVERGE_ROUNDS: usize = 2;

/// Finishes an operation from what is live, after `error` left its outcome unknown: reads
/// the resource back by its ownership tags, then does what is left — nothing when it is as
/// desired, the remaining fields as an update, the create again when it is not there
/// (only after a lost response: "already exists" with nothing of the stack's is someone
/// else's resource, and stays an error), the delete again when it is still there.
async fn converge<K: ?Sized + Kind>(
    adapter: &K,
    op: &OpCx<'_, K::Cx>,
    step: &Step,
    phase: Phase,
    error: Error,
) -> Result<Option<String>, Error> {
    let mut last = error;
    for attempt in 0..CONVERGE_ATTEMPTS {
        let find = match (phase, op.made.get()) {
            (Phase::Create, Some(physical)) => Find::Physical(physical),
            (Phase::Delete, _) => match &step.observed {
                Some(have) => Find::Physical(&have.physical_id),
                None => return Err(last),
            },
            _ => Find::Logical,
        };
        let found = match find_live(adapter, op, step, find).await? {
            // Just made resources can take a moment to show in reads (EC2 is eventually
            // consistent): look once more before sending a create again.
            None if phase == Phase::Create && attempt == 0 => {
                tokio::time::sleep(Duration::from_secs(1)).await;
                find_live(adapter, op, step, find).await?
            }
            found => found,
        };
        let outcome = match (phase, found) {
            (Phase::Delete, None) => {
                return Ok(step.observed.as_ref().map(|have| gone(op, have)));
            }
            (Phase::Delete, Some(have)) => delete(adapter, op, &have).await,
            (Phase::Create | Phase::Update, Some(have)) => {
                let Some(desired) = step.desired.as_ref() else {
                    return Err(last);
                };
                match finish(adapter, op, step, desired, have).await {
                    // Not something to finish here: the next plan shows it.
                    Ok(None) => return Err(last),
                    other => other,
                }
            }
            (Phase::Update, None) => return Err(last),
            // Made by this operation, not visible yet: never made twice (the walk looks
            // again, by its id, within the visibility bound).
            (Phase::Create, None) if op.made.get().is_some() => {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    "read",
                    format!("`{}` was made but is not visible yet", step.id),
                ));
            }
            (Phase::Create, None) if last.kind == ErrorKind::Ambiguous => {
                let Some(desired) = step.desired.as_ref() else {
                    return Err(last);
                };
                create(adapter, op, desired).await
            }
            (Phase::Create, None) => return Err(last),
        };
        match outcome {
            Ok(physical_id) => return Ok(physical_id),
            Err(error) if may_hide_success(&error) => last = error,
            Err(error) => return Err(error),
        }
    }
    Err(last)
}

/// How an operation's live resource is found again.
#[derive(Clone, Copy)]
enum Find<'a> {
    /// By its logical id (the one the diff would keep, of duplicates): a create or update.
    Logical,
    /// By its physical id: a delete, or a create whose resource was made.
    Physical(&'a str),
}

/// The live resource an operation is about, read now by the adapter's observe.
/// References read as logical ids, as in a plan.
async fn find_live<K: ?Sized + Kind>(
    adapter: &K,
    op: &OpCx<'_, K::Cx>,
    step: &Step,
    find: Find<'_>,
) -> Result<Option<super::model::Observed>, Error> {
    // Other operations run meanwhile: a resource listed and then deleted before its
    // details are read fails the read with "not found"; read again.
    let mut observed =
        super::retry::retry(op.cx.visibility_bound(), &[ErrorKind::NotFound], || async {
            let fresh = op.cx.fresh();
            adapter.observe(&fresh).await
        })
        .await?;
    let known = op.physical.snapshot();
    let index = super::kind::logical_index(
        known.iter().chain(
            observed
                .iter()
                .map(|resource| (&resource.id, &resource.physical_id)),
        ),
    );
    super::kind::read_as_logical(&mut observed, &index);
    observed.sort_by(|a, b| (&a.id, &a.physical_id).cmp(&(&b.id, &b.physical_id)));
    Ok(match find {
        Find::Physical(physical) => observed.into_iter().find(|resource| {
            resource.physical_id == physical && resource.id.kind() == step.id.kind()
        }),
        Find::Logical => observed.into_iter().find(|resource| resource.id == step.id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::diff;
    use crate::graph::Graph;
    use crate::model::{Desired, Mode, Observed, Props, Value, props};

    fn reference(id: &str) -> Value {
        Value::Ref(ResourceId::parse(id))
    }

    fn node(id: &str, fields: Props) -> (Desired, Observed) {
        let id = ResourceId::parse(id);
        (
            Desired {
                id: id.clone(),
                props: fields.clone(),
                after: Vec::new(),
            },
            Observed::new(id.clone(), format!("phys-{id}"), fields),
        )
    }

    /// The network's core: vpc <- subnet <- nat <- route table, and a security group chain.
    fn network() -> Vec<(Desired, Observed)> {
        vec![
            node(
                "vpc",
                props([("cidr", Value::str("10.0.0.0/16"), Mode::Replace)]),
            ),
            node(
                "internet_gateway",
                props([("vpc", reference("vpc"), Mode::Blocking)]),
            ),
            node(
                "subnet.public-1",
                props([
                    ("vpc", reference("vpc"), Mode::Replace),
                    ("cidr", Value::str("10.0.0.0/24"), Mode::Replace),
                ]),
            ),
            node("elastic_ip.nat-1", Props::new()),
            node(
                "nat_gateway.1",
                props([
                    ("subnet", reference("subnet.public-1"), Mode::Replace),
                    ("elastic_ip", reference("elastic_ip.nat-1"), Mode::Replace),
                ]),
            ),
            node(
                "route_table.private-1",
                props([
                    ("vpc", reference("vpc"), Mode::Replace),
                    (
                        "routes",
                        Value::Set([reference("nat_gateway.1")].into()),
                        Mode::InPlace,
                    ),
                ]),
            ),
            node(
                "security_group.alb",
                props([("vpc", reference("vpc"), Mode::Replace)]),
            ),
            node(
                "security_group.backend",
                props([("vpc", reference("vpc"), Mode::Replace)]),
            ),
            node(
                "security_group_rules.backend",
                props([
                    ("group", reference("security_group.backend"), Mode::Replace),
                    (
                        "ingress",
                        Value::Set([reference("security_group.alb")].into()),
                        Mode::Blocking,
                    ),
                ]),
            ),
        ]
    }

    fn position(order: &[String], label: &str) -> usize {
        order
            .iter()
            .position(|item| item == label)
            .unwrap_or_else(|| panic!("{label} not in {order:?}"))
    }

    #[test]
    fn creates_follow_dependencies() {
        let graph =
            Graph::new(network().into_iter().map(|(desired, _)| desired).collect()).unwrap();
        let plan = diff(&graph, Vec::new()).unwrap();
        let ops = schedule(&plan).unwrap();
        let order = order(&plan, &ops);
        assert!(position(&order, "create vpc") < position(&order, "create subnet.public-1"));
        assert!(
            position(&order, "create subnet.public-1") < position(&order, "create nat_gateway.1")
        );
        assert!(
            position(&order, "create elastic_ip.nat-1") < position(&order, "create nat_gateway.1")
        );
        assert!(
            position(&order, "create nat_gateway.1")
                < position(&order, "create route_table.private-1")
        );
        assert!(
            position(&order, "create security_group.alb")
                < position(&order, "create security_group_rules.backend")
        );
        // Independent branches do not wait for each other.
        let vpc = ops
            .iter()
            .position(|op| label(&plan, op) == "create vpc")
            .unwrap();
        let eip = ops
            .iter()
            .find(|op| label(&plan, op) == "create elastic_ip.nat-1")
            .unwrap();
        assert!(eip.after.is_empty());
        let alb = ops
            .iter()
            .find(|op| label(&plan, op) == "create security_group.alb")
            .unwrap();
        assert_eq!(alb.after, vec![vpc]);
    }

    #[test]
    fn destroy_inverts_the_edges() {
        let graph = Graph::default();
        let plan = diff(
            &graph,
            network()
                .into_iter()
                .map(|(_, observed)| observed)
                .collect(),
        )
        .unwrap();
        let ops = schedule(&plan).unwrap();
        let order = order(&plan, &ops);
        for (first, then) in [
            ("delete route_table.private-1", "delete nat_gateway.1"),
            ("delete nat_gateway.1", "delete subnet.public-1"),
            ("delete nat_gateway.1", "delete elastic_ip.nat-1"),
            ("delete subnet.public-1", "delete vpc"),
            ("delete internet_gateway", "delete vpc"),
            (
                "delete security_group_rules.backend",
                "delete security_group.alb",
            ),
            (
                "delete security_group_rules.backend",
                "delete security_group.backend",
            ),
            ("delete security_group.alb", "delete vpc"),
        ] {
            assert!(
                position(&order, first) < position(&order, then),
                "{first} must come before {then}: {order:?}"
            );
        }
    }

    #[test]
    fn replacement_deletes_blockers_first_then_creates() {
        let live: Vec<Observed> = network()
            .into_iter()
            .map(|(_, observed)| observed)
            .collect();
        let mut wanted: Vec<Desired> = network().into_iter().map(|(desired, _)| desired).collect();
        for desired in &mut wanted {
            if desired.id.as_str() == "security_group.alb" {
                desired.props.insert(
                    "name".into(),
                    crate::model::Field {
                        value: Value::str("new"),
                        mode: Mode::Replace,
                    },
                );
            }
            if desired.id.as_str() == "subnet.public-1" {
                desired.props.insert(
                    "cidr".into(),
                    crate::model::Field {
                        value: Value::str("10.0.5.0/24"),
                        mode: Mode::Replace,
                    },
                );
            }
        }
        let plan = diff(&Graph::new(wanted).unwrap(), live).unwrap();
        let ops = schedule(&plan).unwrap();
        let order = order(&plan, &ops);
        for (first, then) in [
            (
                "delete security_group_rules.backend",
                "delete security_group.alb",
            ),
            ("delete security_group.alb", "create security_group.alb"),
            (
                "create security_group.alb",
                "create security_group_rules.backend",
            ),
            ("delete nat_gateway.1", "delete subnet.public-1"),
            ("create subnet.public-1", "create nat_gateway.1"),
            ("create nat_gateway.1", "update route_table.private-1"),
        ] {
            assert!(
                position(&order, first) < position(&order, then),
                "{first} must come before {then}: {order:?}"
            );
        }
    }

    #[test]
    fn a_resource_going_for_good_waits_for_its_referrers_to_move() {
        // per-zone -> single NAT: route table 2 moves to NAT 1 before NAT 2 is deleted.
        let table =
            |nat: &str| props([("routes", Value::Set([reference(nat)].into()), Mode::InPlace)]);
        let graph = Graph::new(vec![
            node("nat_gateway.1", Props::new()).0,
            node("route_table.private-2", table("nat_gateway.1")).0,
        ])
        .unwrap();
        let live = vec![
            node("nat_gateway.1", Props::new()).1,
            node("nat_gateway.2", Props::new()).1,
            node("route_table.private-2", table("nat_gateway.2")).1,
        ];
        let plan = diff(&graph, live).unwrap();
        let ops = schedule(&plan).unwrap();
        let order = order(&plan, &ops);
        assert_eq!(
            order,
            ["update route_table.private-2", "delete nat_gateway.2"]
        );
    }
}
