//! Small text helpers every layer may use. Imports nothing of the crate.

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
