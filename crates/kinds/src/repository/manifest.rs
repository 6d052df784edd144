//! The `repositories` section: ECR repositories, their scanning, tag mutability,
//! encryption and lifecycle (a shorthand, or the policy as ECR takes it).

use crate::base::text::canonical_json;
use crate::manifest::decode::{Decoder, Entry, flag};
use crate::manifest::keys::{KeptEncrypted, KeyRef, key_ref};
use crate::manifest::scope::{Context, aws_name};
use crate::manifest::yaml::Node;

const REPOSITORY: &[&str] = &[
    "name",
    "scan_on_push",
    "tag_mutability",
    "encryption",
    "kms_key",
    "lifecycle",
    "lifecycle_policy",
    "force_destroy",
    "retain",
];
const LIFECYCLE: &[&str] = &["keep_last", "expire_untagged_after_days"];
#[derive(Clone, Debug, PartialEq)]
pub struct Repository {
    pub key: String,
    pub name: String,
    pub scan_on_push: bool,
    pub immutable_tags: bool,
    /// `None` is AES256; `Some(key)` is KMS, with AWS's managed key when `key` is `None`.
    pub kms_key: Option<Option<KeyRef>>,
    /// The lifecycle policy as canonical JSON (keys sorted, no whitespace).
    pub lifecycle_policy: Option<String>,
    pub force_destroy: bool,
    /// Destroy leaves the repository (and its images) in place.
    pub retain: bool,
}

/// The section at `node`.
pub fn decode(decoder: &mut Decoder, node: &Node, cx: &Context<'_>) -> Vec<Repository> {
    let mut out = Vec::new();
    for Entry {
        key,
        fields,
        section,
        ..
    } in decoder.entries(node, "repositories", REPOSITORY)
    {
        let Some(name) = aws_name(decoder, &fields, cx, &key.value, "name") else {
            continue;
        };
        // ECR: 2-256 characters, lowercase, segments separated by `/`, `.`, `_` or `-`.
        let valid = (2..=256).contains(&name.value.len())
            && name.value.split('/').all(|segment| {
                !segment.is_empty()
                    && segment.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                    && segment.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                    && segment
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
            });
        if !valid {
            decoder.error(
                fields.key_pos("name").unwrap_or(key.pos),
                format!("`{}` is not a valid ECR repository name", name.value),
                "use 2-256 lowercase letters, digits and `._-/`, starting and ending with a letter or digit",
            );
        }
        let mutability = fields
            .get("tag_mutability")
            .and_then(|node| decoder.choice(node, "tag_mutability", &["mutable", "immutable"]))
            .is_some_and(|choice| choice.value == "immutable");
        let encryption = fields
            .get("encryption")
            .and_then(|node| decoder.choice(node, "encryption", &["aes256", "kms"]))
            .map_or_else(|| "aes256".to_string(), |choice| choice.value);
        let kms_key = match (encryption.as_str(), fields.get("kms_key")) {
            ("kms", Some(node)) => match key_ref(decoder, node, &cx.keys) {
                Some(key) => Some(Some(key)),
                None => continue,
            },
            ("kms", None) => Some(None),
            (_, Some(node)) => {
                decoder.error(
                    node.pos,
                    "`kms_key` needs `encryption: kms`",
                    "add `encryption: kms`, or remove `kms_key`",
                );
                None
            }
            _ => None,
        };
        let lifecycle_policy = match (fields.get("lifecycle"), fields.get("lifecycle_policy")) {
            (Some(_), Some(raw)) => {
                decoder.error(raw.pos, "a repository has `lifecycle` or `lifecycle_policy`, not both", "keep the shorthand `lifecycle`, or the raw JSON `lifecycle_policy`");
                None
            }
            (Some(short), None) => lifecycle_shorthand(decoder, short, &section),
            (None, Some(raw)) => decoder.string(raw, "lifecycle_policy").and_then(|text| match canonical_json(&text.value) {
                Ok(json) => Some(json),
                Err(error) => {
                    decoder.error(text.pos, format!("`lifecycle_policy` is not valid JSON: {error}"), "write the policy document ECR expects, or use the `lifecycle` shorthand");
                    None
                }
            }),
            (None, None) => None,
        };
        out.push(Repository {
            key: key.value.clone(),
            name: name.value,
            scan_on_push: flag(decoder, &fields, "scan_on_push", true),
            immutable_tags: mutability,
            kms_key,
            lifecycle_policy,
            force_destroy: flag(decoder, &fields, "force_destroy", false),
            retain: flag(decoder, &fields, "retain", false),
        });
    }
    out
}

fn lifecycle_shorthand(decoder: &mut Decoder, node: &Node, section: &str) -> Option<String> {
    let fields = decoder.fields(node, &format!("{section}.lifecycle"), LIFECYCLE)?;
    let mut rules = Vec::new();
    if let Some(days) = fields
        .get("expire_untagged_after_days")
        .and_then(|node| decoder.int(node, "expire_untagged_after_days", 1, 3650))
    {
        rules.push(serde_json::json!({
            "rulePriority": rules.len() + 1,
            "description": format!("expire untagged images after {} days", days.value),
            "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": days.value},
            "action": {"type": "expire"},
        }));
    }
    if let Some(count) = fields
        .get("keep_last")
        .and_then(|node| decoder.int(node, "keep_last", 1, 10000))
    {
        rules.push(serde_json::json!({
            "rulePriority": rules.len() + 1,
            "description": format!("keep the last {} images", count.value),
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": count.value},
            "action": {"type": "expire"},
        }));
    }
    if rules.is_empty() {
        decoder.error(
            node.pos,
            "`lifecycle` has no rule",
            "add `keep_last: 10` and/or `expire_untagged_after_days: 7`",
        );
        return None;
    }
    serde_json::to_string(&serde_json::json!({ "rules": rules })).ok()
}

/// The repositories destroy leaves (`retain`) under one of the stack's keys.
pub fn kept_encrypted(repositories: &[Repository]) -> Vec<KeptEncrypted> {
    repositories
        .iter()
        .filter(|repository| repository.retain)
        .filter_map(|repository| match &repository.kms_key {
            Some(Some(KeyRef::Stack(key))) => Some(KeptEncrypted {
                what: format!("repository `{}`", repository.key),
                key: key.clone(),
            }),
            _ => None,
        })
        .collect()
}
