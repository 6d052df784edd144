//! One run per stack at a time, with nothing made beforehand: the lock is an SSM
//! parameter (`/edgectl/lock/<stack>`, in the stack's region) created only if absent
//! (`PutParameter` without `Overwrite` fails with `ParameterAlreadyExists`), holding who
//! took it, where, for which command, since when, and until when: a lease, which a live
//! holder renews while it works (a heartbeat in the background, through long waits). A
//! lock whose lease ran out (its holder died without releasing it: SIGKILL, an OOM kill,
//! a lost VM) is taken over by the next run, anywhere, with a line saying whose; on the
//! same host, a holder whose process is gone is taken over at once. Two runs taking over
//! the same stale lock race on a claim, `/edgectl/lock/<stack>/takeover/<stale token>`,
//! created only if absent: SSM has no conditional overwrite, and the claim's create is the
//! one atomic step, so exactly one of them overwrites the lock. `apply`, `destroy` and
//! `sync` take it before reading the live state and delete it at the end. `edgectl
//! unlock` stays for the rare case.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_ssm::types::{ParameterType, Tag};

use super::Cx;
use super::errors::{AwsError, AwsResultExt, ErrorKind, built};
use super::tags::STACK_TAG;

/// Who holds a stack's lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    /// Unique to the run: a run that finds its own token took the lock itself (a
    /// `PutParameter` answered after its response was lost and it was sent again).
    pub token: String,
    pub user: String,
    pub host: String,
    pub pid: u32,
    pub command: String,
    /// RFC 3339, UTC.
    pub since: String,
    /// When the lease runs out unless renewed (Unix seconds); 0 for a lock an earlier
    /// edgectl wrote, whose lease is taken to run from `since`.
    pub expires: u64,
    /// When the process started, in clock ticks since boot (`/proc/<pid>/stat`), so a
    /// pid reused by another process is not taken for the holder; 0 when unknown.
    pub started: u64,
}

impl Holder {
    fn here(command: &str) -> Self {
        let pid = std::process::id();
        let now = SystemTime::now();
        let nanos = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        Self {
            token: format!("{pid:x}-{nanos:x}"),
            user: std::env::var("USER")
                .or_else(|_| std::env::var("USERNAME"))
                .unwrap_or_else(|_| "unknown".into()),
            host: host_name(),
            pid,
            command: command.to_string(),
            since: humantime::format_rfc3339_seconds(now).to_string(),
            expires: unix(now) + lease().as_secs(),
            started: process_start(pid).unwrap_or(0),
        }
    }

    /// Why the lock is stale and may be taken over, if it is: its lease ran out (past a
    /// margin for clocks that disagree), or its process is gone from this host.
    pub fn stale(&self) -> Option<String> {
        if self.process_gone() {
            return Some("its process is no longer running on this host".into());
        }
        let expires = match self.expires {
            0 => humantime::parse_rfc3339(&self.since)
                .map(|since| unix(since) + lease().as_secs())
                .unwrap_or(0),
            expires => expires,
        };
        let now = unix(SystemTime::now());
        (now > expires + clock_skew().as_secs()).then(|| {
            format!(
                "its lease ran out {} ago",
                humantime::format_duration(Duration::from_secs(now - expires))
            )
        })
    }

    fn process_gone(&self) -> bool {
        self.host == host_name()
            && self.pid != 0
            && self.pid != std::process::id()
            && match process_start(self.pid) {
                None => !std::path::Path::new(&format!("/proc/{}", self.pid)).exists(),
                Some(started) => self.started != 0 && started != self.started,
            }
    }

    fn to_json(&self) -> String {
        serde_json::json!({
            "token": self.token,
            "user": self.user,
            "host": self.host,
            "pid": self.pid,
            "command": self.command,
            "since": self.since,
            "expires": self.expires,
            "started": self.started,
        })
        .to_string()
    }

    fn from_json(text: &str) -> Self {
        let value: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let text = |key: &str| value[key].as_str().unwrap_or("unknown").to_string();
        Self {
            token: text("token"),
            user: text("user"),
            host: text("host"),
            pid: value["pid"]
                .as_u64()
                .and_then(|pid| u32::try_from(pid).ok())
                .unwrap_or(0),
            command: text("command"),
            since: text("since"),
            expires: value["expires"].as_u64().unwrap_or(0),
            started: value["started"].as_u64().unwrap_or(0),
        }
    }

    /// `alice@ci-7 (pid 4242, `edgectl apply`) since 2026-11-29T09:00:00Z, 3m ago`, and
    /// whether its process is known to be gone (same host, no such process).
    pub fn describe(&self) -> String {
        let ago = humantime::parse_rfc3339(&self.since)
            .ok()
            .and_then(|since| SystemTime::now().duration_since(since).ok())
            .map(|elapsed| {
                format!(
                    ", {} ago",
                    humantime::format_duration(Duration::from_secs(elapsed.as_secs()))
                )
            })
            .unwrap_or_default();
        let gone = if self.process_gone() {
            "; that process is no longer running on this host, so the lock is stale"
        } else {
            ""
        };
        format!(
            "{}@{} (pid {}, `{}`) since {}{ago}{gone}",
            self.user, self.host, self.pid, self.command, self.since
        )
    }
}

/// A process's start time in clock ticks since boot (field 22 of `/proc/<pid>/stat`,
/// after the command name in parentheses).
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(19)?.parse().ok()
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|name| name.trim().to_string())
        .ok()
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("stack `{stack}` is locked by another run: {}", holder.describe())]
    Held { stack: String, holder: Holder },
    #[error("cannot take the lock of stack `{stack}`")]
    Aws {
        stack: String,
        #[source]
        source: AwsError,
    },
}

pub fn parameter_name(stack: &str) -> String {
    format!("/edgectl/lock/{stack}")
}

/// The claim a run makes to take over the stale lock of `token`.
fn claim_name(stack: &str, token: &str) -> String {
    format!("/edgectl/lock/{stack}/takeover/{token}")
}

/// How long a lease runs without a renewal (`EDGECTL_LOCK_LEASE_SECONDS` shortens it for
/// tests): long enough that a renewal missed to a slow AWS call is no loss, short enough
/// that a dead holder blocks the next CI job for minutes, not for ever.
fn lease() -> Duration {
    std::env::var("EDGECTL_LOCK_LEASE_SECONDS")
        .ok()
        .and_then(|seconds| seconds.parse().ok())
        .filter(|seconds| *seconds > 0)
        .map_or(Duration::from_secs(120), Duration::from_secs)
}

/// Hosts' clocks disagree: a lease is stale only this long after it ran out (10 s, or a
/// quarter of a shorter lease).
fn clock_skew() -> Duration {
    (lease() / 4).min(Duration::from_secs(10))
}

fn unix(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// The stack's lock, held until [`Lock::release`], its lease renewed in the background.
pub struct Lock {
    name: String,
    /// The takeover claim this run made, if it took over a stale lock.
    claim: Option<String>,
    heartbeat: tokio::task::JoinHandle<()>,
    /// The lease ran out before a renewal (the process was stopped that long).
    lapsed: Arc<AtomicBool>,
    token: String,
}

/// A line for the user about a lock taken over.
pub type Notice = Option<String>;

/// A run's attempt to take the stack's lock. Its holder (and so its token) exists before
/// anything is written, so that an attempt stopped part way (a signal while the lock is
/// taken or waited for) removes what it wrote ([`Attempt::abandon`]).
pub struct Attempt {
    ours: Holder,
    /// The takeover claim this attempt is writing or wrote, if any.
    claim: Option<String>,
}

impl Attempt {
    pub fn new(command: &str) -> Self {
        Self {
            ours: Holder::here(command),
            claim: None,
        }
    }

    /// Takes the stack's lock; when another run holds it, tries again with growing
    /// intervals for at most `wait` (zero: fail at once), then names the holder. A stale
    /// lock (lease run out, or its process gone from this host) is taken over, and the
    /// notice says whose it was.
    pub async fn acquire(&mut self, cx: &Cx, wait: Duration) -> Result<(Lock, Notice), LockError> {
        let name = parameter_name(&cx.stack);
        let aws = |source| LockError::Aws {
            stack: cx.stack.clone(),
            source,
        };
        let started = Instant::now();
        let mut delay = Duration::from_millis(500);
        loop {
            self.ours.expires = unix(SystemTime::now()) + lease().as_secs();
            match put(cx, &name, &self.ours, false).await {
                Ok(()) => return Ok((Lock::held(cx, name, None, self.ours.clone()), None)),
                Err(error) if error.code.as_deref() == Some("ParameterAlreadyExists") => {}
                Err(error) => return Err(aws(error)),
            }
            let Some(holder) = read(cx).await.map_err(aws)? else {
                // Released in between: take it now.
                continue;
            };
            if holder.token == self.ours.token {
                return Ok((Lock::held(cx, name, None, self.ours.clone()), None));
            }
            if let Some(why) = holder.stale() {
                self.claim = Some(claim_name(&cx.stack, &holder.token));
                if let Some(claim) = take_over(cx, &name, &holder, &mut self.ours)
                    .await
                    .map_err(aws)?
                {
                    let notice = format!(
                        "took over the stale lock of stack `{}` held by {} ({why})",
                        cx.stack,
                        holder.describe()
                    );
                    let lock = Lock::held(cx, name, Some(claim), self.ours.clone());
                    return Ok((lock, Some(notice)));
                }
                // Another run took it over first: it holds the lock now (or its claim
                // outlived it): wait for it like for any holder.
                self.claim = None;
            }
            let left = wait.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(LockError::Held {
                    stack: cx.stack.clone(),
                    holder,
                });
            }
            tokio::time::sleep(delay.min(left)).await;
            delay = (delay * 2).min(Duration::from_secs(10));
        }
    }

    /// Removes what a stopped attempt wrote: the lock, and the takeover claim, where they
    /// still hold this attempt's token (never another run's).
    pub async fn abandon(&self, cx: &Cx) -> Result<(), AwsError> {
        if read(cx)
            .await?
            .is_some_and(|holder| holder.token == self.ours.token)
        {
            delete(cx, &parameter_name(&cx.stack)).await?;
        }
        if let Some(claim) = &self.claim
            && read_at(cx, claim)
                .await?
                .is_some_and(|holder| holder.token == self.ours.token)
        {
            delete(cx, claim).await?;
        }
        Ok(())
    }
}

/// Takes over `stale`: first the claim for its token (created only if absent: of two runs
/// taking over together, one makes it), then, if the lock is still the stale one, the
/// lock itself. The claim's name, or `None` when another run won.
async fn take_over(
    cx: &Cx,
    name: &str,
    stale: &Holder,
    ours: &mut Holder,
) -> Result<Option<String>, AwsError> {
    let claim = claim_name(&cx.stack, &stale.token);
    match put(cx, &claim, ours, false).await {
        Ok(()) => {}
        Err(error) if error.code.as_deref() == Some("ParameterAlreadyExists") => {
            // Ours already, from an attempt whose answer was lost?
            return Ok(read_at(cx, &claim)
                .await?
                .filter(|holder| holder.token == ours.token)
                .map(|_| claim));
        }
        Err(error) => return Err(error),
    }
    // Still the stale holder's (not released and taken since the holder was read)?
    match read(cx).await? {
        Some(holder) if holder.token == stale.token => {}
        Some(holder) if holder.token == ours.token => return Ok(Some(claim)),
        _ => {
            delete(cx, &claim).await?;
            return Ok(None);
        }
    }
    ours.expires = unix(SystemTime::now()) + lease().as_secs();
    put(cx, name, ours, true).await?;
    Ok(Some(claim))
}

/// Writes `holder` as the parameter `name`: only if absent, or over what is there.
async fn put(cx: &Cx, name: &str, holder: &Holder, overwrite: bool) -> Result<(), AwsError> {
    let mut request = cx
        .clients
        .ssm
        .put_parameter()
        .name(name)
        .value(holder.to_json())
        .r#type(ParameterType::String)
        .overwrite(overwrite);
    // Tags and an overwrite cannot go in one PutParameter.
    if !overwrite {
        let tag = built(
            "PutParameter",
            Tag::builder().key(STACK_TAG).value(&cx.stack).build(),
        )?;
        request = request
            .description(format!(
                "edgectl: a run of stack {} is in progress",
                cx.stack
            ))
            .tags(tag);
    }
    request.send().await.aws("PutParameter").map(drop)
}

/// Renews `holder`'s lease every quarter of it, for as long as the lock is held: through
/// rollouts and waits of any length. A renewal finds the lock still the run's and its
/// lease not run out (else another run may have taken it over: never overwritten).
fn heartbeat(
    cx: &Cx,
    name: String,
    mut holder: Holder,
    lapsed: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    let cx = cx.uncached();
    tokio::spawn(async move {
        let every = lease() / 4;
        loop {
            tokio::time::sleep(every).await;
            let now = unix(SystemTime::now());
            if now >= holder.expires {
                // The process was stopped longer than its lease: another run may hold
                // the lock now; never overwrite it.
                lapsed.store(true, Ordering::Relaxed);
                return;
            }
            match read_at(&cx, &name).await {
                Ok(Some(found)) if found.token == holder.token => {}
                // Released, taken over or unreadable: try at the next beat.
                _ => continue,
            }
            holder.expires = now + lease().as_secs();
            let _ = put(&cx, &name, &holder, true).await;
        }
    })
}

impl Lock {
    fn held(cx: &Cx, name: String, claim: Option<String>, holder: Holder) -> Self {
        let lapsed = Arc::new(AtomicBool::new(false));
        Self {
            token: holder.token.clone(),
            heartbeat: heartbeat(cx, name.clone(), holder, lapsed.clone()),
            name,
            claim,
            lapsed,
        }
    }

    /// Whether the lease ran out while the run held it (another run may have taken the
    /// lock over).
    pub fn lapsed(&self) -> bool {
        self.lapsed.load(Ordering::Relaxed)
    }
}

/// Who holds the stack's lock, if anyone.
pub async fn read(cx: &Cx) -> Result<Option<Holder>, AwsError> {
    read_at(cx, &parameter_name(&cx.stack)).await
}

async fn read_at(cx: &Cx, name: &str) -> Result<Option<Holder>, AwsError> {
    match cx
        .clients
        .ssm
        .get_parameter()
        .name(name)
        .send()
        .await
        .aws("GetParameter")
    {
        Ok(found) => Ok(found
            .parameter()
            .and_then(|parameter| parameter.value())
            .map(Holder::from_json)),
        Err(error) if error.kind == ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// Deletes the stack's lock, whoever holds it (`edgectl unlock`).
pub async fn remove(cx: &Cx) -> Result<(), AwsError> {
    delete(cx, &parameter_name(&cx.stack)).await
}

async fn delete(cx: &Cx, name: &str) -> Result<(), AwsError> {
    // A delete whose response was lost is sent again (the SDK does not resend deletes);
    // gone is what it wants.
    const ATTEMPTS: usize = 4;
    for attempt in 0..ATTEMPTS {
        match cx
            .clients
            .ssm
            .delete_parameter()
            .name(name)
            .send()
            .await
            .aws("DeleteParameter")
        {
            Ok(_) => return Ok(()),
            Err(error) if error.kind == ErrorKind::NotFound => return Ok(()),
            Err(error) if error.kind == ErrorKind::Ambiguous && attempt + 1 < ATTEMPTS => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

impl Lock {
    /// Stops renewing and releases the lock (then the claim it took it over with); the
    /// caller reports a failure, which is not fatal (the lease runs out).
    pub async fn release(self, cx: &Cx) -> Result<(), AwsError> {
        self.heartbeat.abort();
        if self.lapsed()
            && read_at(cx, &self.name)
                .await?
                .is_some_and(|holder| holder.token != self.token)
        {
            // Another run's now: left to its holder.
            return Ok(());
        }
        delete(cx, &self.name).await?;
        if let Some(claim) = &self.claim {
            delete(cx, claim).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_round_trips_and_says_when_its_process_is_gone() {
        let mut holder = Holder::here("edgectl apply");
        assert_eq!(Holder::from_json(&holder.to_json()), holder);
        assert_ne!(holder.started, 0, "this process's start time is read");
        assert!(
            !holder.describe().contains("stale"),
            "{}",
            holder.describe()
        );
        // No process has pid u32::MAX on Linux.
        holder.pid = u32::MAX;
        assert!(holder.describe().contains("the lock is stale"));
        assert!(
            holder
                .stale()
                .is_some_and(|why| why.contains("no longer running"))
        );
        holder.host = "elsewhere".into();
        assert!(!holder.describe().contains("stale"));
        // Elsewhere, only the lease decides: live, then run out (past the clock margin).
        assert_eq!(holder.stale(), None);
        holder.expires = unix(SystemTime::now()) - clock_skew().as_secs() - 5;
        assert!(
            holder
                .stale()
                .is_some_and(|why| why.starts_with("its lease ran out"))
        );
        // An earlier edgectl's lock has no lease: it runs from `since`.
        holder.expires = 0;
        holder.since = "2026-11-29T08:00:00Z".into();
        assert!(holder.stale().is_some());
        assert!(holder.describe().starts_with(&format!(
            "{}@elsewhere (pid {}, `edgectl apply`) since ",
            holder.user,
            u32::MAX
        )));
    }
}
