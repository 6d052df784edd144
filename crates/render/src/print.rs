//! The one printer: what a line is decides where it goes, for every command.
//!
//! - `data!` / `dataln!`: what a script reads — a plan, a plan file's JSON, `show` — on
//!   stdout, so that `edgectl plan --json > plan.json` holds only the data;
//! - `say!` / `sayln!`: everything for the person running it — progress lines, logs,
//!   summaries, warnings, errors and hints — on stderr.
//!
//! Both redact every line (`crate::redact`): a sensitive value is never written. What is
//! for people also writes what would reorder or control the terminal as its code
//! (`base::text::visible`); data is left as it is (JSON escapes what it must, and a
//! script reads a value as it is).
//! Live progress bars (`render::progress`) draw on stderr through indicatif, redacted too.
//!
//! A reader that goes away (`edgectl plan | head -1`) never stops a run: what it would
//! have read is dropped and the command finishes as it would have (an apply is never
//! cut short by its output). Data that could not be written for another reason (a full
//! disk) is the run's error at its end (`failure`), so a script never reads a short file
//! as whole.

use std::io::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once stdout can no longer be written: later data is dropped.
static OUT_CLOSED: AtomicBool = AtomicBool::new(false);
/// Why data could not be written, unless its reader merely went away.
static OUT_FAILURE: Mutex<Option<String>> = Mutex::new(None);
/// Set once stderr can no longer be written.
static ERR_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes data to stdout; see the module's note on a reader that goes away.
pub fn out(text: &str) {
    if OUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        OUT_CLOSED.store(true, Ordering::Relaxed);
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            let mut failure = OUT_FAILURE
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            failure.get_or_insert_with(|| error.to_string());
        }
    }
}

/// Writes text for a person to stderr; a stderr that is gone drops it.
pub fn err(text: &str) {
    if ERR_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stderr = std::io::stderr().lock();
    if stderr.write_all(text.as_bytes()).is_err() {
        ERR_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Why data could not be written to stdout (not a reader that went away), if it could not.
pub fn failure() -> Option<String> {
    OUT_FAILURE
        .lock()
        .unwrap_or_else(|poison| poison.into_inner())
        .clone()
}

/// A line of data, on stdout, redacted.
#[macro_export]
macro_rules! dataln {
    ($($arg:tt)*) => { $crate::print::out(&format!("{}\n", $crate::redact::redact(&format!($($arg)*)))) };
}

/// Data, on stdout, redacted.
#[macro_export]
macro_rules! data {
    ($($arg:tt)*) => { $crate::print::out(&$crate::redact::redact(&format!($($arg)*))) };
}

/// A line for the person running edgectl, on stderr, redacted.
#[macro_export]
macro_rules! sayln {
    ($($arg:tt)*) => { $crate::print::err(&format!("{}\n", $crate::visible(&$crate::redact::redact(&format!($($arg)*))))) };
}

/// Text for the person running edgectl (a prompt), on stderr, redacted.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => { $crate::print::err(&$crate::visible(&$crate::redact::redact(&format!($($arg)*)))) };
}
