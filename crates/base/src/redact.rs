//! Values of variables declared `sensitive: true` never reach the output: every line
//! edgectl writes (plans, progress, errors, reports) goes through [`redact`], which shows
//! each such value as `(sensitive)`. The values are registered as soon as the manifest's
//! variables are resolved, before anything that could print them.

use std::borrow::Cow;
use std::sync::RwLock;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// What a sensitive value shows as.
pub const SHOWN: &str = "(sensitive)";

pub fn register(values: impl IntoIterator<Item = String>) {
    if let Ok(mut secrets) = SECRETS.write() {
        secrets.extend(values.into_iter().filter(|value| !value.is_empty()));
        // Longest first, so that a value containing another is hidden whole.
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
    }
}

pub fn redact(text: &str) -> Cow<'_, str> {
    let Ok(secrets) = SECRETS.read() else {
        return Cow::Borrowed(text);
    };
    let mut out = Cow::Borrowed(text);
    for secret in secrets.iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), SHOWN));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_values_never_show() {
        register([
            "hunter2".to_string(),
            "hunter2-extra".to_string(),
            String::new(),
        ]);
        assert_eq!(
            redact("password=hunter2, url=x://hunter2-extra@db"),
            "password=(sensitive), url=x://(sensitive)@db"
        );
        assert_eq!(redact("nothing here"), "nothing here");
    }
}
