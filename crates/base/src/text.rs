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

/// `text` as it may reach a terminal: a control character (but a newline, a tab, and the
/// escape opening a colour, `ESC [ digits m`) or a character that reorders text
/// (bidirectional controls: U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069) is
/// written as its code, `\u{202E}`, so that a value echoed from a manifest or from AWS
/// can neither move the cursor nor make a line read as another.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    let hidden = |c: char| {
        matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
            || (c.is_control() && c != '\n' && c != '\t')
    };
    if !text.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\u{1b}'
            && let Some(colour) = sgr(rest)
        {
            out.push_str(colour);
            rest = &rest[colour.len()..];
            continue;
        }
        if hidden(c) {
            out.push_str(&format!("\\u{{{:04X}}}", u32::from(c)));
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    std::borrow::Cow::Owned(out)
}

/// The colour sequence `text` opens with, if it opens with one edgectl writes itself
/// (`ESC [ 32 m`: reset, bold, dim, red, green, yellow, magenta); one that hides text or
/// paints it unreadable (`ESC [ 8 m`, black on black) is not one.
fn sgr(text: &str) -> Option<&str> {
    let body = text.strip_prefix("\u{1b}[")?;
    let end = body.find('m')?;
    let ours = body[..end]
        .split(';')
        .all(|code| matches!(code, "0" | "1" | "2" | "31" | "32" | "33" | "35"));
    ours.then(|| &text[..2 + end + 1])
}

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

/// `1.2s`, `350ms`, `2m05s`.
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
    use super::{bytes, visible};

    #[test]
    fn what_reorders_or_controls_a_terminal_is_written_as_its_code() {
        assert_eq!(visible("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(visible("a\u{202E}b"), "a\\u{202E}b");
        assert_eq!(visible("x\u{1b}[2Jy\u{7}"), "x\\u{001B}[2Jy\\u{0007}");
        // The colours edgectl writes pass; one that hides text does not.
        assert_eq!(visible("\u{1b}[8mx"), "\\u{001B}[8mx");
        assert_eq!(
            visible("\u{1b}[1;31merror\u{1b}[0m"),
            "\u{1b}[1;31merror\u{1b}[0m"
        );
        assert_eq!(visible("\u{2067}\u{200F}"), "\\u{2067}\\u{200F}");
    }

    #[test]
    fn byte_counts_read_in_binary_units() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(4608), "4.5 KiB");
        assert_eq!(bytes(200 * 1024 * 1024), "200.0 MiB");
        assert_eq!(bytes(3 << 40), "3.0 TiB");
    }
}
