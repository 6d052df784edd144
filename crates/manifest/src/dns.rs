//! What the DNS sections (zones, certificates) share: a domain as Route 53 and ACM take
//! it.

use super::decode::{Decoder, Spanned};

/// A domain as Route 53 takes it: lowercase, no final dot, labels of letters, digits and
/// hyphens.
pub fn domain(decoder: &mut Decoder, text: &Spanned<String>, what: &str) -> Option<String> {
    let name = text.value.trim_end_matches('.').to_ascii_lowercase();
    let valid = name.contains('.')
        && name.len() <= 253
        && name.split('.').enumerate().all(|(index, part)| {
            (1..=63).contains(&part.len())
                && (part == "*" && index == 0
                    || part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
                && !part.starts_with('-')
                && !part.ends_with('-')
        });
    if valid {
        return Some(name);
    }
    decoder.error(
        text.pos,
        format!("`{}` is not a valid {what}", text.value),
        "write a domain such as `example.com`: labels of letters, digits and hyphens, separated by dots",
    );
    None
}
