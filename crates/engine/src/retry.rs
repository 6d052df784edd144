//! Bounded retries for AWS's eventual consistency, and readiness polling with short,
//! growing intervals.

use std::future::Future;
use std::time::{Duration, Instant};

use super::error::{Error, ErrorKind};
use super::kind::Context;
use super::model::Phase;

/// Intervals start short (moto and fast APIs answer at once) and grow toward `MAX_DELAY`
/// (a NAT gateway takes a minute or two on AWS).
const FIRST_DELAY: Duration = Duration::from_millis(100);
const MAX_DELAY: Duration = Duration::from_secs(5);

pub struct Backoff {
    next: Duration,
    deadline: Instant,
}

impl Backoff {
    pub fn new(bound: Duration) -> Self {
        Self {
            next: FIRST_DELAY,
            deadline: Instant::now() + bound,
        }
    }

    /// Sleeps before the next attempt; `false` once the bound is spent.
    pub async fn wait(&mut self) -> bool {
        let now = Instant::now();
        if now >= self.deadline {
            return false;
        }
        tokio::time::sleep(self.next.min(self.deadline - now)).await;
        self.next = (self.next.mul_f32(1.6)).min(MAX_DELAY);
        true
    }
}

/// How long the walk keeps taking an operation up again after an error of `kind`: the one
/// place retries are decided (throttling and server errors are retried per request, by
/// the service's client). A create or update that refers to what was just made (`fresh`:
/// by this walk, or by the operation itself) may not see it yet (EC2 is eventually
/// consistent): "not found", for the visibility bound; otherwise "not found" is final (a
/// certificate or subnet the manifest names that does not exist). A
/// delete refused because something that is going away still holds the resource (an
/// address, a listener, a draining service): for the command's patience; a create whose
/// input is still held that way, for the visibility bound. AWS settling something the
/// request needs (`Settling`: a kind's condition, read from the code and, where AWS reuses
/// a code, its message): for the window of that condition. Nothing else.
pub fn bound(phase: Phase, error: &Error, fresh: bool, cx: &impl Context) -> Option<Duration> {
    match (phase, error.kind) {
        // AWS settling what the request needs: for the window the kind that makes the
        // call knows (its conditions, each with its source).
        (_, ErrorKind::Settling) => error
            .awaiting
            .as_ref()
            .map(|awaiting| awaiting.window.min(cx.patience())),
        (Phase::Create | Phase::Update, ErrorKind::NotFound) if fresh => {
            Some(cx.visibility_bound())
        }
        // What a create needs is still held by something going away (the CIDR of a
        // subnet being replaced).
        (Phase::Create, ErrorKind::Dependency) => Some(cx.visibility_bound()),
        (Phase::Delete, ErrorKind::Dependency) => Some(cx.patience()),
        _ => None,
    }
}

/// Runs `attempt` until it succeeds, fails with a kind not in `retry_on`, or `bound` passes.
pub async fn retry<T, F, Fut>(
    bound: Duration,
    retry_on: &[ErrorKind],
    mut attempt: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut backoff = Backoff::new(bound);
    loop {
        match attempt().await {
            Err(error) if retry_on.contains(&error.kind) && backoff.wait().await => continue,
            result => return result,
        }
    }
}

/// Runs a read until AWS has settled what it needs: while it fails `Settling` (a kind's
/// condition), for that condition's window; any other answer at once.
pub async fn settled<T, F, Fut>(mut attempt: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut backoff: Option<Backoff> = None;
    loop {
        match attempt().await {
            Err(error) if error.kind == ErrorKind::Settling => {
                let window = error
                    .awaiting
                    .as_ref()
                    .map_or(Duration::ZERO, |awaiting| awaiting.window);
                if !backoff
                    .get_or_insert_with(|| Backoff::new(window))
                    .wait()
                    .await
                {
                    return Err(error);
                }
            }
            result => return result,
        }
    }
}

/// Polls `check` until it returns `Some`, with growing intervals, for at most `bound`.
pub async fn poll<T, F, Fut>(bound: Duration, what: &str, mut check: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, Error>>,
{
    let started = Instant::now();
    let mut backoff = Backoff::new(bound);
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        if !backoff.wait().await {
            return Err(Error::new(
                ErrorKind::Timeout,
                "wait",
                format!(
                    "gave up after {}s waiting for {what}; run the command again to keep waiting, or raise `--timeout`",
                    started.elapsed().as_secs()
                ),
            ));
        }
    }
}
