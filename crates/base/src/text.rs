//! Small text helpers every layer may use: plurals, canonical JSON, names fitted to a
//! length, byte counts and durations for people. Imports nothing of the crate.

use sha2::{Digest, Sha256};

/// "1 file", "3 files".
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// JSON with keys sorted and no insignificant whitespace, so equal policies compare equal.
pub fn canonical_json(text: &str) -> Result<String, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    serde_json::to_string(&value)
}

/// `base` if it fits in `max`, else `base` cut short plus a hash of the whole of it.
pub fn fit(base: &str, max: usize) -> String {
    if base.len() <= max {
        return base.to_string();
    }
    with_hash(base, max, "")
}

/// `base` cut to fit `max` with a 6-hex-digit hash of `base` and `salt` appended: equal
/// inputs give equal names, and any change to `salt` gives a new one.
pub fn with_hash(base: &str, max: usize, salt: &str) -> String {
    let digest = Sha256::digest(format!("{base}\n{salt}"));
    let hash = &hex::encode(digest)[..6];
    let keep = max.saturating_sub(hash.len() + 1);
    let mut cut: String = base.chars().take(keep).collect();
    while cut.ends_with('-') {
        cut.pop();
    }
    format!("{cut}-{hash}")
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
