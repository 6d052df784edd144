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

/// A line of data, on stdout, redacted.
#[macro_export]
macro_rules! dataln {
    ($($arg:tt)*) => { println!("{}", $crate::redact::redact(&format!($($arg)*))) };
}

/// Data, on stdout, redacted.
#[macro_export]
macro_rules! data {
    ($($arg:tt)*) => { print!("{}", $crate::redact::redact(&format!($($arg)*))) };
}

/// A line for the person running edgectl, on stderr, redacted.
#[macro_export]
macro_rules! sayln {
    ($($arg:tt)*) => { eprintln!("{}", $crate::visible(&$crate::redact::redact(&format!($($arg)*)))) };
}

/// Text for the person running edgectl (a prompt), on stderr, redacted.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => { eprint!("{}", $crate::visible(&$crate::redact::redact(&format!($($arg)*)))) };
}
