//! The `keys` section: customer managed KMS keys the stack creates, and how other sections
//! name a key (`kms_key: keys.archive`, or the ARN or alias of a key made elsewhere).

use super::decode::flag;
use super::decode::{Decoder, Entry, Fields};
use super::diag::{Pos, suggest};
use super::yaml::Node;

pub(super) const KEY: &[&str] = &["alias", "description", "rotation", "retain"];

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

pub fn decode(decoder: &mut Decoder, fields: &Fields<'_>, stack: &str) -> Vec<Key> {
    let Some(node) = fields.get("keys") else {
        return Vec::new();
    };
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
/// (unreadable once the key is gone) is an error at the key.
pub fn check_retained(decoder: &mut Decoder, manifest: &super::Manifest) {
    for key in manifest.keys.iter().filter(|key| !key.retain) {
        let ours =
            |found: Option<&KeyRef>| matches!(found, Some(KeyRef::Stack(name)) if *name == key.key);
        let mut keepers: Vec<String> = Vec::new();
        for bucket in &manifest.edge.buckets {
            if bucket.retain && ours(bucket.kms.as_ref().and_then(Option::as_ref)) {
                keepers.push(format!("bucket `{}`", bucket.key));
            }
        }
        for secret in &manifest.secrets {
            if secret.retain && ours(secret.kms_key.as_ref()) {
                keepers.push(format!("secret `{}`", secret.key));
            }
        }
        for repository in &manifest.containers.repositories {
            if repository.retain && ours(repository.kms_key.as_ref().and_then(Option::as_ref)) {
                keepers.push(format!("repository `{}`", repository.key));
            }
        }
        for fs in &manifest.containers.file_systems {
            if fs.retain && ours(fs.kms_key.as_ref()) {
                keepers.push(format!("file system `{}`", fs.key));
            }
        }
        for service in &manifest.containers.services {
            if service.retain_logs && ours(service.log_key.as_ref()) {
                keepers.push(format!("the logs of service `{}`", service.key));
            }
        }
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
