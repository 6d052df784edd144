//! What people read: the plan (stdout, so it can be piped) and progress (stderr).
//! Colour only on a terminal and never under `NO_COLOR`.

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

/// `1.2s`, `350ms`, `2m05s`.
/// A byte count in binary units: `512 B`, `4.5 KiB`, `200.0 MiB`.
pub fn bytes(count: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if count < 1024 {
        return format!("{count} B");
    }
    let mut value = count as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

pub fn duration(elapsed: std::time::Duration) -> String {
    let millis = elapsed.as_millis();
    if millis < 1000 {
        format!("{millis}ms")
    } else if millis < 60_000 {
        format!("{:.1}s", elapsed.as_secs_f64())
    } else {
        format!("{}m{:02}s", millis / 60_000, (millis / 1000) % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::bytes;

    #[test]
    fn byte_counts_read_in_binary_units() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(4608), "4.5 KiB");
        assert_eq!(bytes(200 * 1024 * 1024), "200.0 MiB");
        assert_eq!(bytes(3 << 40), "3.0 TiB");
    }
}
