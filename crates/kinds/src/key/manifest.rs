//! The `keys` section: customer managed KMS keys the stack creates, which other sections
//! name by `kms_key: keys.<name>` (`manifest::keys::key_ref`).
//!
//! ```yaml
//! keys:
//!   archive:
//!     alias: manufacturing/archive
//!     retain: true
//! ```

use crate::manifest::Manifest;
use crate::manifest::decode::{Decoder, Entry, flag};
use crate::manifest::diag::Pos;
use crate::manifest::yaml::Node;

const KEY: &[&str] = &["alias", "description", "rotation", "retain"];

#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub key: String,
    /// Where the manifest declares it, for errors found once every section is read.
    pub pos: Pos,
    /// Its alias without `alias/` (`manufacturing/archive`); `<stack>/<key>` unless written.
    pub alias: String,
    pub description: String,
    /// Yearly rotation of the key material (on unless `rotation: false`).
    pub rotation: bool,
    /// Destroy leaves the key in place (data encrypted under it stays readable).
    pub retain: bool,
}

pub fn decode(decoder: &mut Decoder, node: &Node, manifest: &Manifest) -> Vec<Key> {
    let stack = &manifest.stack;
    let mut out: Vec<Key> = Vec::new();
    for Entry { key, fields, .. } in decoder.entries(node, "keys", KEY) {
        let alias = match fields.get("alias") {
            Some(node) => {
                let Some(alias) = decoder.string(node, "alias") else {
                    continue;
                };
                let name = alias.value.strip_prefix("alias/").unwrap_or(&alias.value);
                // KMS: 1-256 of letters, digits and `/_-`; `aws/` is AWS's own.
                let valid = (1..=250).contains(&name.len())
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "/_-".contains(c));
                if !valid || name.starts_with("aws/") {
                    decoder.error(
                        alias.pos,
                        format!("`{}` is not an alias edgectl can make", alias.value),
                        "use 1-250 letters, digits and `/_-`, not starting with `aws/` (which AWS keeps for its own keys)",
                    );
                    continue;
                }
                if let Some(first) = out.iter().find(|other| other.alias == name) {
                    decoder.error(
                        alias.pos,
                        format!("alias `{name}` is used twice"),
                        format!("key `{}` has it already; an alias names one key", first.key),
                    );
                    continue;
                }
                name.to_string()
            }
            None => format!("{stack}/{}", key.value),
        };
        let description = fields
            .get("description")
            .and_then(|node| decoder.string(node, "description"))
            .map(|text| text.value)
            .unwrap_or_default();
        out.push(Key {
            key: key.value.clone(),
            pos: key.pos,
            alias,
            description,
            rotation: flag(decoder, &fields, "rotation", true),
            retain: flag(decoder, &fields, "retain", false),
        });
    }
    out
}

/// A key destroy would delete while a retained resource keeps data encrypted under it
/// (unreadable once the key is gone) is an error at the key; what is retained under which
/// key each section says (`Manifest::kept_encrypted`).
pub fn check_retained(decoder: &mut Decoder, keys: &[Key], manifest: &Manifest) {
    for key in keys.iter().filter(|key| !key.retain) {
        // In words' order (`bucket ...`, `file system ...`, `repository ...`, ...), not
        // in the order the sections are decoded, so the message is the same whichever
        // kind says it.
        let mut keepers: Vec<&str> = manifest
            .kept_encrypted
            .iter()
            .filter(|kept| kept.key == key.key)
            .map(|kept| kept.what.as_str())
            .collect();
        keepers.sort_unstable();
        if let Some(first) = keepers.first() {
            decoder.error(
                key.pos,
                format!(
                    "key `{}` would be deleted by destroy while {} (retained) stays encrypted under it",
                    key.key,
                    keepers.join(", ")
                ),
                format!(
                    "add `retain: true` to key `{}` (what it encrypted stays readable), or stop retaining {first}",
                    key.key
                ),
            );
        }
    }
}
