//! What people read: the plan (stdout, so it can be piped) and progress (stderr).
//! Colour only on a terminal and never under `NO_COLOR`.

// The layers this crate may import (its Cargo dependencies), under the names the code
// uses for them: `crate::engine::model` is the engine crate's `model`.
use edgectl_base::{source, text};
use edgectl_engine as engine;
// `print`'s macros expand to `$crate::redact` wherever they are used.
#[doc(hidden)]
pub use edgectl_base::redact;
// ... and to `$crate::visible`: nothing written reorders or controls the terminal.
pub use edgectl_base::text::visible;

pub mod planfile;

pub mod adopt;
pub mod github;
pub mod markdown;
pub mod plan;
pub mod print;
pub mod progress;

use std::io::IsTerminal;

#[derive(Clone, Copy, Debug)]
pub struct Paint {
    pub enabled: bool,
}

impl Paint {
    pub fn for_stdout() -> Self {
        Self {
            enabled: std::io::stdout().is_terminal() && colour_allowed(),
        }
    }

    pub fn for_stderr() -> Self {
        Self {
            enabled: std::io::stderr().is_terminal() && colour_allowed(),
        }
    }

    fn wrap(self, code: &str, text: &str) -> String {
        if self.enabled {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn green(self, text: &str) -> String {
        self.wrap("32", text)
    }

    pub fn yellow(self, text: &str) -> String {
        self.wrap("33", text)
    }

    pub fn red(self, text: &str) -> String {
        self.wrap("31", text)
    }

    pub fn magenta(self, text: &str) -> String {
        self.wrap("35", text)
    }

    pub fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }

    pub fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }
}

fn colour_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
        && std::env::var("TERM").map_or(true, |term| term != "dumb")
}

pub use crate::text::duration;
