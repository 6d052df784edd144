//! The marks variable substitution leaves around each reference to a resource's live
//! attribute (`${<section>.<key>.<attribute>}`), two private-use characters, so that a
//! literal `${` written `$${` is never read as one; and how a marked text is shown.

use std::borrow::Cow;

pub const OPEN: char = '\u{E000}';
pub const CLOSE: char = '\u{E001}';

/// Whether `text` holds a reference.
pub fn has_references(text: &str) -> bool {
    text.contains(OPEN)
}

/// `text` as written, references shown as `${...}`.
pub fn display(text: &str) -> Cow<'_, str> {
    if !has_references(text) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.replace(OPEN, "${").replace(CLOSE, "}"))
}
