//! One run per stack at a time, with nothing made beforehand: the lock is an SSM
//! parameter (`/edgectl/lock/<stack>`, in the stack's region) created only if absent
//! (`PutParameter` without `Overwrite` fails with `ParameterAlreadyExists`), holding who
//! took it, where, for which command and since when. `apply`, `destroy` and `sync` take
//! it before reading the live state and delete it at the end: two calls a run. A run
//! killed before the end leaves it; the next run names the holder, and only
//! `edgectl unlock` removes it.

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
        let gone = if self.host == host_name()
            && self.pid != 0
            && !std::path::Path::new(&format!("/proc/{}", self.pid)).exists()
        {
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

/// The stack's lock, held until [`Lock::release`].
pub struct Lock {
    name: String,
}

/// Takes the stack's lock for `command`; when another run holds it, tries again with
/// growing intervals for at most `wait` (zero: fail at once), then names the holder.
pub async fn acquire(cx: &Cx, command: &str, wait: Duration) -> Result<Lock, LockError> {
    let name = parameter_name(&cx.stack);
    let ours = Holder::here(command);
    let aws = |source| LockError::Aws {
        stack: cx.stack.clone(),
        source,
    };
    let started = Instant::now();
    let mut delay = Duration::from_millis(500);
    loop {
        let tag = built(
            "PutParameter",
            Tag::builder().key(STACK_TAG).value(&cx.stack).build(),
        )
        .map_err(aws)?;
        let put = cx
            .clients
            .ssm
            .put_parameter()
            .name(&name)
            .value(ours.to_json())
            .r#type(ParameterType::String)
            .description(format!(
                "edgectl: a run of stack {} is in progress",
                cx.stack
            ))
            .overwrite(false)
            .tags(tag)
            .send()
            .await
            .aws("PutParameter");
        match put {
            Ok(_) => return Ok(Lock { name }),
            Err(error) if error.code.as_deref() == Some("ParameterAlreadyExists") => {
                let Some(holder) = read(cx).await.map_err(aws)? else {
                    // Released in between: take it now.
                    continue;
                };
                if holder.token == ours.token {
                    return Ok(Lock { name });
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
            Err(error) => return Err(aws(error)),
        }
    }
}

/// Who holds the stack's lock, if anyone.
pub async fn read(cx: &Cx) -> Result<Option<Holder>, AwsError> {
    match cx
        .clients
        .ssm
        .get_parameter()
        .name(parameter_name(&cx.stack))
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
    /// Releases the lock; the caller reports a failure, which is not fatal (the next run
    /// names the lock).
    pub async fn release(self, cx: &Cx) -> Result<(), AwsError> {
        delete(cx, &self.name).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_round_trips_and_says_when_its_process_is_gone() {
        let mut holder = Holder::here("edgectl apply");
        assert_eq!(Holder::from_json(&holder.to_json()), holder);
        assert!(
            !holder.describe().contains("stale"),
            "{}",
            holder.describe()
        );
        // No process has pid u32::MAX on Linux.
        holder.pid = u32::MAX;
        assert!(holder.describe().contains("the lock is stale"));
        holder.host = "elsewhere".into();
        assert!(!holder.describe().contains("stale"));
        assert!(holder.describe().starts_with(&format!(
            "{}@elsewhere (pid {}, `edgectl apply`) since ",
            holder.user,
            u32::MAX
        )));
    }
}
