//! SIGINT and SIGTERM. Outside a run that holds the stack's lock they end the process at
//! once, as by default. While a run holds it (`guard`), the first one stops new work and
//! says so at once (during the walk, with how many operations are in flight:
//! `render::progress::in_flight`): before the walk, the run stops where it is; during the
//! walk, nothing new starts and waits in flight stop (what was asked of AWS stays asked); either way the lock is
//! released, the run says what was done and what was left, and the process exits 130
//! (SIGINT) or 143 (SIGTERM). A second signal ends the process at once; the lock is then
//! taken over by the next run (its process is gone).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};

use tokio::sync::watch;

const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

/// Runs inside a guarded section (holding the lock).
static GUARDED: AtomicUsize = AtomicUsize::new(0);
/// The signal received during a guarded section, 0 for none.
static RECEIVED: AtomicI32 = AtomicI32::new(0);
/// Whether the walk is running: it reports and stops by itself.
static WALKING: AtomicBool = AtomicBool::new(false);
static CHANNEL: OnceLock<watch::Sender<i32>> = OnceLock::new();

fn channel() -> &'static watch::Sender<i32> {
    CHANNEL.get_or_init(|| watch::channel(0).0)
}

/// The run stopped on a signal: exit 128 + its number.
#[derive(Debug, thiserror::Error)]
#[error("interrupted by {}: the next run continues from what is live", name(*.0))]
pub struct Interrupted(pub i32);

impl Interrupted {
    pub fn exit_code(&self) -> u8 {
        u8::try_from(128 + self.0).unwrap_or(1)
    }
}

fn name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "SIGINT",
        SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}

/// Listens for SIGINT and SIGTERM for the rest of the process.
pub fn install() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    tokio::spawn(async move {
        loop {
            let received = tokio::select! {
                _ = interrupt.recv() => SIGINT,
                _ = terminate.recv() => SIGTERM,
            };
            if GUARDED.load(Ordering::SeqCst) == 0 || RECEIVED.load(Ordering::SeqCst) != 0 {
                if RECEIVED.load(Ordering::SeqCst) != 0 {
                    crate::sayln!(
                        "\nstopped now by {}; the lock is taken over by the next run",
                        name(received)
                    );
                }
                std::process::exit(128 + received);
            }
            RECEIVED.store(received, Ordering::SeqCst);
            // In the walk: what is in flight ends its current call and is not waited for.
            let in_flight = match crate::render::progress::in_flight() {
                0 => String::new(),
                count => format!(
                    "{} in flight end their current call, not waited for (what was asked of AWS stays asked); ",
                    crate::manifest::plural(count, "operation")
                ),
            };
            crate::sayln!(
                "\nstopping ({}): {in_flight}nothing new starts, the lock is released; {} to stop now — the next run continues from what is live",
                name(received),
                if received == SIGINT {
                    "Ctrl-C again"
                } else {
                    "a second signal"
                }
            );
            let _ = channel().send(received);
        }
    });
}

/// Enters a section in which signals stop the run cleanly (taking and holding the lock),
/// until [`leave`].
pub fn enter() {
    GUARDED.fetch_add(1, Ordering::SeqCst);
}

pub fn leave() {
    GUARDED.fetch_sub(1, Ordering::SeqCst);
}

/// The signal received in a guarded section, if any.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// The walk's view: changes to the signal number when one arrives.
pub fn watcher() -> watch::Receiver<i32> {
    channel().subscribe()
}

/// While the walk runs it handles the signal itself (and reports); `walking` marks it.
pub struct Walking;

pub fn walking() -> Walking {
    WALKING.store(true, Ordering::SeqCst);
    Walking
}

impl Drop for Walking {
    fn drop(&mut self) {
        WALKING.store(false, Ordering::SeqCst);
    }
}

/// Resolves when a signal arrives outside the walk (reading AWS, planning, at the
/// prompt): what the run was doing is dropped, the caller releases the lock.
pub async fn outside_walk() -> Interrupted {
    let mut watcher = watcher();
    loop {
        if let Some(signal) = received()
            && !WALKING.load(Ordering::SeqCst)
        {
            return Interrupted(signal);
        }
        if watcher.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
