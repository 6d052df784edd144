//! How sections name a KMS key (`kms_key: keys.archive`, or the ARN or alias of a key made
//! elsewhere). The `keys` section itself is the `key` kind's (`kinds/key/`).

use super::decode::{Decoder, Fields};
use super::diag::suggest;
use super::yaml::Node;

/// A KMS key as another section names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyRef {
    /// One of the stack's keys (`keys.archive`).
    Stack(String),
    /// A key made elsewhere: its ARN or `alias/NAME`, as written.
    Other(String),
}

/// Reads a `kms_key` value: `keys.<name>` of a declared key, a KMS key ARN, or an alias.
pub fn key_ref(decoder: &mut Decoder, node: &Node, declared: &[String]) -> Option<KeyRef> {
    let text = decoder.string(node, "kms_key")?;
    if let Some(name) = text.value.strip_prefix("keys.") {
        if declared.iter().any(|known| known == name) {
            return Some(KeyRef::Stack(name.to_string()));
        }
        let hint = suggest(name, declared.iter().map(String::as_str))
            .map(|close| format!("did you mean `keys.{close}`? "))
            .unwrap_or_default();
        decoder.error(
            text.pos,
            format!("`keys.{name}` is not a key the manifest declares"),
            format!("{hint}declare it under `keys:`, or write the ARN of a key made elsewhere"),
        );
        return None;
    }
    let arn = text.value.starts_with("arn:aws") && text.value.contains(":kms:");
    if arn || text.value.starts_with("alias/") {
        return Some(KeyRef::Other(text.value));
    }
    decoder.error(
        text.pos,
        format!("`{}` is not a KMS key of the stack, a key ARN or an alias", text.value),
        "write `keys.<name>` for a key under `keys:`, the key's ARN (`arn:aws:kms:REGION:ACCOUNT:key/ID`) or `alias/NAME`",
    );
    None
}

/// The `kms_key` of something with `encrypted` (a file system, a database): `Err` once
/// an error is reported.
#[allow(
    clippy::result_unit_err,
    reason = "the error is reported to the decoder; `Err` says only that it was"
)]
pub fn encryption_key(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    encrypted: bool,
    declared: &[String],
) -> Result<Option<KeyRef>, ()> {
    match fields.get("kms_key") {
        Some(node) if !encrypted => {
            decoder.error(
                node.pos,
                "`kms_key` needs `encrypted: true`",
                "remove `encrypted: false`, or remove `kms_key`",
            );
            Err(())
        }
        Some(node) => key_ref(decoder, node, declared).map(Some).ok_or(()),
        None => Ok(None),
    }
}

/// A resource destroy leaves in place (`retain: true`) that stays encrypted under one of
/// the stack's keys: the `keys` section refuses a key destroy would delete under it. Each
/// section says its own (`schema::Section::kept_encrypted`), so the check reads no other
/// section.
#[derive(Clone, Debug, PartialEq)]
pub struct KeptEncrypted {
    /// In words: "bucket `archive`", "the logs of service `api`".
    pub what: String,
    /// The stack's key (`keys.<name>`) it is encrypted with.
    pub key: String,
}
