//! The `buckets` section: S3 buckets with their content `sync`. Everything S3 checks
//! late (or moto never) is checked here, before any call: bucket names, lifecycle day
//! rules, a sync source that leads out of the manifest's folder.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::manifest::decode::{Decoder, Entry, Fields, Spanned, list};
use crate::manifest::decode::{flag, texts};
use crate::manifest::diag::{Pos, suggest};
use crate::manifest::keys::{KeptEncrypted, KeyRef, key_ref};
use crate::manifest::yaml::{Node, NodeKind};

const BUCKET: &[&str] = &[
    "name",
    "versioning",
    "encryption",
    "kms_key",
    "block_public_access",
    "object_ownership",
    "lifecycle",
    "cors",
    "website",
    "policy",
    "tags",
    "force_destroy",
    "retain",
    "sync",
];
const LIFECYCLE_RULE: &[&str] = &[
    "id",
    "prefix",
    "enabled",
    "transitions",
    "expire_after_days",
    "noncurrent_expire_after_days",
    "abort_multipart_after_days",
];
const TRANSITION: &[&str] = &["days", "storage_class"];
const CORS: &[&str] = &["origins", "methods", "headers", "expose", "max_age"];
const WEBSITE: &[&str] = &["index", "error"];
const SYNC: &[&str] = &[
    "source",
    "prefix",
    "delete",
    "cache_control",
    "include",
    "exclude",
];
const CACHE_RULE: &[&str] = &["match", "value"];
/// Storage classes a lifecycle transition may name, as written and as S3 spells them.
const STORAGE_CLASSES: &[(&str, &str)] = &[
    ("standard_ia", "STANDARD_IA"),
    ("onezone_ia", "ONEZONE_IA"),
    ("intelligent_tiering", "INTELLIGENT_TIERING"),
    ("glacier_ir", "GLACIER_IR"),
    ("glacier", "GLACIER"),
    ("deep_archive", "DEEP_ARCHIVE"),
];

#[derive(Clone, Debug, PartialEq)]
pub struct Bucket {
    pub key: String,
    pub name: String,
    pub versioning: bool,
    /// `None`: SSE-S3. `Some(None)`: SSE-KMS with the AWS managed key. `Some(Some(arn))`.
    pub kms: Option<Option<KeyRef>>,
    pub block_public_access: bool,
    /// `BucketOwnerEnforced` (ACLs off), `BucketOwnerPreferred` or `ObjectWriter`.
    pub object_ownership: &'static str,
    pub lifecycle: Vec<LifecycleRule>,
    pub cors: Vec<CorsRule>,
    pub website: Option<Website>,
    /// The manifest's own policy statements, as JSON (edgectl adds its own beside them).
    pub policy: Vec<serde_json::Value>,
    pub tags: BTreeMap<String, String>,
    pub force_destroy: bool,
    pub retain: bool,
    pub sync: Option<Sync>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LifecycleRule {
    pub id: String,
    pub prefix: String,
    pub enabled: bool,
    /// (days, storage class), in day order.
    pub transitions: Vec<(i64, String)>,
    pub expire_after_days: Option<i64>,
    pub noncurrent_expire_after_days: Option<i64>,
    pub abort_multipart_after_days: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorsRule {
    pub origins: Vec<String>,
    pub methods: Vec<String>,
    pub headers: Vec<String>,
    pub expose: Vec<String>,
    pub max_age: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Website {
    pub index: String,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sync {
    /// The folder, resolved against the manifest's own folder.
    pub source: PathBuf,
    /// Key prefix in the bucket: empty, or ending in `/`.
    pub prefix: String,
    pub delete: bool,
    /// (glob, Cache-Control), first match wins.
    pub cache_control: Vec<(String, String)>,
    /// Globs of the files synced; none: every file. Keys outside them are never deleted.
    pub include: Vec<String>,
    /// Globs of files never synced, nor deleted from the bucket.
    pub exclude: Vec<String>,
}

/// What the buckets may refer to outside themselves.
pub struct Context<'a> {
    pub base: &'a Path,
    pub tags: fn(&mut Decoder, &Node) -> BTreeMap<String, String>,
    /// The keys under `keys:`, which buckets refer to as `keys.<key>`.
    pub keys: Vec<String>,
}

/// The section at `node`.
pub fn decode(decoder: &mut Decoder, node: &Node, cx: &Context<'_>) -> Vec<Bucket> {
    decode_buckets(decoder, node, cx)
}

/// The buckets destroy leaves (`retain`) encrypted under one of the stack's keys.
pub fn kept_encrypted(buckets: &[Bucket]) -> Vec<KeptEncrypted> {
    buckets
        .iter()
        .filter(|bucket| bucket.retain)
        .filter_map(
            |bucket| match bucket.kms.as_ref().and_then(Option::as_ref) {
                Some(KeyRef::Stack(key)) => Some(KeptEncrypted {
                    what: format!("bucket `{}`", bucket.key),
                    key: key.clone(),
                }),
                _ => None,
            },
        )
        .collect()
}

/// S3's rules for general purpose bucket names.
pub fn bucket_name_problem(name: &str) -> Option<&'static str> {
    let ip_like =
        name.split('.').count() == 4 && name.split('.').all(|part| part.parse::<u8>().is_ok());
    if !(3..=63).contains(&name.len()) {
        Some("bucket names are 3 to 63 characters long")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    {
        Some("bucket names use only lowercase letters, digits, `.` and `-`")
    } else if !name.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !name.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        Some("bucket names start and end with a letter or digit")
    } else if name.contains("..") || name.contains(".-") || name.contains("-.") {
        Some("bucket names cannot have `..`, `.-` or `-.`")
    } else if ip_like {
        Some("bucket names cannot look like an IP address")
    } else if ["xn--", "sthree-", "amzn-s3-demo-"]
        .iter()
        .any(|prefix| name.starts_with(prefix))
    {
        Some("bucket names cannot start with `xn--`, `sthree-` or `amzn-s3-demo-`")
    } else if ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]
        .iter()
        .any(|suffix| name.ends_with(suffix))
    {
        Some(
            "bucket names cannot end with `-s3alias`, `--ol-s3`, `.mrap`, `--x-s3` or `--table-s3`",
        )
    } else {
        None
    }
}

fn decode_buckets(decoder: &mut Decoder, node: &Node, cx: &Context<'_>) -> Vec<Bucket> {
    let mut out = Vec::new();
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for Entry {
        key,
        fields,
        section,
        ..
    } in decoder.entries(node, "buckets", BUCKET)
    {
        // Bucket names are global: edgectl never derives one, the manifest says it.
        let Some(name) = fields
            .required(
                decoder,
                "name",
                key.pos,
                format!("bucket `{}` has no `name`", key.value),
                "bucket names are global across AWS: write the full name, e.g. `name: my-app-prod-frontend`",
            )
            .and_then(|node| decoder.string(node, "name"))
        else {
            continue;
        };
        if let Some(problem) = bucket_name_problem(&name.value) {
            decoder.error(
                name.pos,
                format!("`{}` is not a valid S3 bucket name", name.value),
                problem,
            );
        }
        if let Some(first) = names.insert(name.value.clone(), name.pos.line) {
            decoder.error(
                name.pos,
                format!("bucket name `{}` is used twice", name.value),
                format!("it is first used at line {first}; bucket names are unique"),
            );
        }
        let encryption = fields
            .get("encryption")
            .and_then(|node| decoder.choice(node, "encryption", &["sse-s3", "sse-kms"]));
        let kms = match (
            encryption.as_ref().map(|e| e.value.as_str()),
            fields.get("kms_key"),
        ) {
            (Some("sse-kms"), Some(node)) => match key_ref(decoder, node, &cx.keys) {
                Some(key) => Some(Some(key)),
                None => continue,
            },
            (Some("sse-kms"), None) => Some(None),
            (_, Some(node)) => {
                decoder.error(
                    node.pos,
                    "`kms_key` needs `encryption: sse-kms`",
                    "add `encryption: sse-kms`, or remove `kms_key`",
                );
                None
            }
            _ => None,
        };
        let object_ownership = decode_object_ownership(decoder, &fields);
        let lifecycle = fields
            .get("lifecycle")
            .map(|node| decode_lifecycle(decoder, node, &section))
            .unwrap_or_default();
        let cors = fields
            .get("cors")
            .map(|node| decode_cors(decoder, node, &section))
            .unwrap_or_default();
        let website = fields
            .get("website")
            .and_then(|node| decode_website(decoder, node, &section));
        let block_public_access = flag(decoder, &fields, "block_public_access", true);
        let policy = fields
            .get("policy")
            .map(|node| decode_policy(decoder, node, &section, block_public_access))
            .unwrap_or_default();
        let tags = fields
            .get("tags")
            .map(|node| (cx.tags)(decoder, node))
            .unwrap_or_default();
        let sync = fields
            .get("sync")
            .and_then(|node| decode_sync(decoder, node, &section, cx.base));
        out.push(Bucket {
            key: key.value.clone(),
            name: name.value,
            versioning: flag(decoder, &fields, "versioning", false),
            kms,
            block_public_access,
            object_ownership,
            lifecycle,
            cors,
            website,
            policy,
            tags,
            force_destroy: flag(decoder, &fields, "force_destroy", false),
            retain: flag(decoder, &fields, "retain", false),
            sync,
        });
    }
    out
}

/// A bucket's `object_ownership` as S3 names it; ACLs disabled (`enforced`) unless given.
fn decode_object_ownership(decoder: &mut Decoder, fields: &Fields<'_>) -> &'static str {
    match fields
        .get("object_ownership")
        .and_then(|node| {
            decoder.choice(
                node,
                "object_ownership",
                &["enforced", "preferred", "writer"],
            )
        })
        .map(|choice| choice.value)
        .as_deref()
    {
        Some("preferred") => "BucketOwnerPreferred",
        Some("writer") => "ObjectWriter",
        _ => "BucketOwnerEnforced",
    }
}

/// A bucket's static `website`: its index document (a file name) and error document.
fn decode_website(decoder: &mut Decoder, node: &Node, section: &str) -> Option<Website> {
    let website = decoder.fields(node, &format!("{section}.website"), WEBSITE)?;
    let index = website
        .get("index")
        .and_then(|node| decoder.string(node, "index"))
        .map_or_else(|| "index.html".to_string(), |index| index.value);
    if index.is_empty() || index.contains('/') {
        decoder.error(
            node.pos,
            format!("`website.index` is `{index}`"),
            "the index document is a file name without `/`, e.g. `index.html`",
        );
    }
    let error = website
        .get("error")
        .and_then(|node| decoder.string(node, "error"))
        .map(|error| error.value);
    Some(Website { index, error })
}

/// `lifecycle:` one rule for the whole bucket (a mapping) or a list of rules.
fn decode_lifecycle(decoder: &mut Decoder, node: &Node, section: &str) -> Vec<LifecycleRule> {
    let items: Vec<&Node> = match &node.kind {
        NodeKind::Map(_) => vec![node],
        _ => decoder.list(node),
    };
    let mut out = Vec::new();
    let mut ids = BTreeSet::new();
    for (index, item) in items.into_iter().enumerate() {
        let where_ = format!("{section}.lifecycle[{index}]");
        let Some(fields) = decoder.fields(item, &where_, LIFECYCLE_RULE) else {
            continue;
        };
        let prefix = fields
            .get("prefix")
            .and_then(|node| decoder.string(node, "prefix"))
            .map(|prefix| prefix.value)
            .unwrap_or_default();
        let id = fields
            .get("id")
            .and_then(|node| decoder.string(node, "id"))
            .map_or_else(
                || {
                    if prefix.is_empty() {
                        format!("rule-{}", index + 1)
                    } else {
                        format!("rule-{}", prefix.trim_end_matches('/'))
                    }
                },
                |id| id.value,
            );
        if !ids.insert(id.clone()) {
            decoder.error(
                item.pos,
                format!("lifecycle rule id `{id}` is used twice"),
                "give each rule its own `id`",
            );
        }
        let mut transitions = decode_transitions(decoder, &fields, &where_);
        transitions.sort();
        check_transitions(decoder, &transitions);
        let expire_after_days = fields
            .get("expire_after_days")
            .and_then(|node| decoder.int(node, "expire_after_days", 1, 36500));
        if let (Some(expire), Some((last, class, _))) = (&expire_after_days, transitions.last())
            && expire.value <= *last
        {
            decoder.error(
                expire.pos,
                format!(
                    "objects expire after {} days but move to {class} only after {last}",
                    expire.value
                ),
                "S3 requires expiration later than the last transition",
            );
        }
        let noncurrent_expire_after_days = fields
            .get("noncurrent_expire_after_days")
            .and_then(|node| decoder.int(node, "noncurrent_expire_after_days", 1, 36500))
            .map(|days| days.value);
        let abort_multipart_after_days = fields
            .get("abort_multipart_after_days")
            .and_then(|node| decoder.int(node, "abort_multipart_after_days", 1, 36500))
            .map(|days| days.value);
        if transitions.is_empty()
            && expire_after_days.is_none()
            && noncurrent_expire_after_days.is_none()
            && abort_multipart_after_days.is_none()
        {
            decoder.error(
                item.pos,
                "this lifecycle rule does nothing",
                "add `transitions`, `expire_after_days`, `noncurrent_expire_after_days` or `abort_multipart_after_days`",
            );
        }
        out.push(LifecycleRule {
            id,
            prefix,
            enabled: flag(decoder, &fields, "enabled", true),
            transitions: transitions
                .into_iter()
                .map(|(days, class, _)| (days, class))
                .collect(),
            expire_after_days: expire_after_days.map(|days| days.value),
            noncurrent_expire_after_days,
            abort_multipart_after_days,
        });
    }
    out
}

/// A lifecycle rule's `transitions`: (days, storage class, where), as a map
/// (`{ standard_ia: 30, glacier: 90 }`) or a list of `{ days, storage_class }`.
fn decode_transitions(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    where_: &str,
) -> Vec<(i64, String, Pos)> {
    let mut transitions = Vec::new();
    if let Some(node) = fields.get("transitions") {
        match &node.kind {
            // Shorthand: `{ standard_ia: 30, glacier: 90, deep_archive: 180 }`.
            NodeKind::Map(_) => {
                for (class, days) in decoder.named(node, &format!("{where_}.transitions")) {
                    let Some(class) = storage_class(decoder, &class) else {
                        continue;
                    };
                    if let Some(days) = decoder.int(days, "transitions", 0, 36500) {
                        transitions.push((days.value, class, days.pos));
                    }
                }
            }
            _ => {
                for item in decoder.list(node) {
                    let Some(transition) =
                        decoder.fields(item, &format!("{where_}.transitions"), TRANSITION)
                    else {
                        continue;
                    };
                    let days = transition
                        .get("days")
                        .and_then(|node| decoder.int(node, "days", 0, 36500));
                    let class = transition
                        .get("storage_class")
                        .and_then(|node| decoder.string(node, "storage_class"))
                        .and_then(|class| {
                            let lower = Spanned {
                                value: class.value.to_ascii_lowercase(),
                                pos: class.pos,
                            };
                            storage_class(decoder, &lower)
                        });
                    match (days, class) {
                        (Some(days), Some(class)) => {
                            transitions.push((days.value, class, days.pos));
                        }
                        (None, _) if transition.get("days").is_none() => decoder.error(
                            item.pos,
                            "a transition needs `days`",
                            "write `{ days: 30, storage_class: standard_ia }`",
                        ),
                        (_, None) if transition.get("storage_class").is_none() => decoder.error(
                            item.pos,
                            "a transition needs `storage_class`",
                            "write `{ days: 30, storage_class: standard_ia }`",
                        ),
                        _ => {}
                    }
                }
            }
        }
    }
    transitions
}

fn storage_class(decoder: &mut Decoder, class: &Spanned<String>) -> Option<String> {
    if let Some((_, aws)) = STORAGE_CLASSES
        .iter()
        .find(|(name, _)| *name == class.value)
    {
        return Some(aws.to_string());
    }
    let names: Vec<&str> = STORAGE_CLASSES.iter().map(|(name, _)| *name).collect();
    let help = match suggest(&class.value, names.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!("use one of: {}", list(&names)),
    };
    decoder.error(
        class.pos,
        format!(
            "`{}` is not a storage class a lifecycle rule can move to",
            class.value
        ),
        help,
    );
    None
}

/// S3's minimum stays: 30 days in STANDARD before STANDARD_IA or ONEZONE_IA, 30 days in an
/// IA class before GLACIER or DEEP_ARCHIVE, 90 days in GLACIER before DEEP_ARCHIVE.
fn check_transitions(decoder: &mut Decoder, transitions: &[(i64, String, Pos)]) {
    let mut seen: BTreeMap<&str, i64> = BTreeMap::new();
    for (days, class, pos) in transitions {
        if let Some(first) = seen.insert(class.as_str(), *days) {
            decoder.error(
                *pos,
                format!("two transitions to {class} ({first} and {days} days)"),
                "keep one transition per storage class",
            );
        }
        let ia = matches!(class.as_str(), "STANDARD_IA" | "ONEZONE_IA");
        if ia && *days < 30 {
            decoder.error(
                *pos,
                format!("{class} after {days} days is too early"),
                "S3 moves objects to an IA class only after at least 30 days",
            );
        }
        if matches!(class.as_str(), "GLACIER" | "DEEP_ARCHIVE") {
            for from in ["STANDARD_IA", "ONEZONE_IA"] {
                if let Some(from_days) = seen.get(from)
                    && days - from_days < 30
                {
                    decoder.error(
                        *pos,
                        format!(
                            "{class} after {days} days leaves objects only {} days in {from}",
                            days - from_days
                        ),
                        format!(
                            "S3 needs at least 30 days in {from}: use {} days or more",
                            from_days + 30
                        ),
                    );
                }
            }
        }
        if class == "DEEP_ARCHIVE"
            && let Some(glacier) = seen.get("GLACIER")
            && days - glacier < 90
        {
            decoder.error(
                *pos,
                format!(
                    "DEEP_ARCHIVE after {days} days leaves objects only {} days in GLACIER",
                    days - glacier
                ),
                format!(
                    "S3 needs at least 90 days in GLACIER: use {} days or more",
                    glacier + 90
                ),
            );
        }
    }
}

fn decode_cors(decoder: &mut Decoder, node: &Node, section: &str) -> Vec<CorsRule> {
    let mut out = Vec::new();
    for (index, item) in decoder.list(node).into_iter().enumerate() {
        let Some(fields) = decoder.fields(item, &format!("{section}.cors[{index}]"), CORS) else {
            continue;
        };
        let origins = texts(decoder, fields.get("origins"), "origins");
        if origins.is_empty() {
            decoder.error(
                item.pos,
                "a CORS rule needs `origins`",
                "write `origins: [\"https://example.com\"]` (or `[\"*\"]`)",
            );
        }
        let mut methods = texts(decoder, fields.get("methods"), "methods");
        if methods.is_empty() {
            methods = vec!["GET".into(), "HEAD".into()];
        }
        for method in &mut methods {
            *method = method.to_ascii_uppercase();
            if !["GET", "PUT", "HEAD", "POST", "DELETE"].contains(&method.as_str()) {
                decoder.error(
                    fields.get("methods").map_or(item.pos, |node| node.pos),
                    format!("`{method}` is not a CORS method S3 allows"),
                    "use GET, PUT, HEAD, POST or DELETE",
                );
            }
        }
        out.push(CorsRule {
            origins,
            methods,
            headers: texts(decoder, fields.get("headers"), "headers"),
            expose: texts(decoder, fields.get("expose"), "expose"),
            max_age: fields
                .get("max_age")
                .and_then(|node| decoder.int(node, "max_age", 0, 86_400 * 365))
                .map(|age| age.value),
        });
    }
    out
}

/// `policy:` a list of IAM statements written as YAML, or one JSON document as a string.
/// A statement that allows anyone is refused while `block_public_access` is on (S3 would
/// refuse the policy), and warned of when it is off (the bucket is public).
fn decode_policy(
    decoder: &mut Decoder,
    node: &Node,
    section: &str,
    block_public_access: bool,
) -> Vec<serde_json::Value> {
    // Where each statement is written: its item, or the document's string.
    let places: Vec<Pos> = match &node.kind {
        NodeKind::Seq(items) => items.iter().map(|item| item.pos).collect(),
        _ => Vec::new(),
    };
    let statements = match &node.kind {
        NodeKind::Scalar { text, .. } => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(document) => match document.get("Statement") {
                Some(serde_json::Value::Array(items)) => items.clone(),
                Some(single @ serde_json::Value::Object(_)) => vec![single.clone()],
                _ => {
                    decoder.error(
                        node.pos,
                        "the policy document has no `Statement`",
                        "write `{\"Version\": \"2012-10-17\", \"Statement\": [...]}`, or a YAML list of statements",
                    );
                    return Vec::new();
                }
            },
            Err(error) => {
                decoder.error(
                    node.pos,
                    format!("`{section}.policy` is not valid JSON: {error}"),
                    "write a YAML list of statements, or a JSON policy document",
                );
                return Vec::new();
            }
        },
        _ => decoder.list(node).into_iter().map(to_json).collect(),
    };
    for (index, statement) in statements.iter().enumerate() {
        let has = |key: &str| statement.get(key).is_some();
        if !statement.is_object() || !has("Effect") || !(has("Action") || has("NotAction")) {
            decoder.error(
                node.pos,
                "every policy statement needs `Effect` and `Action`",
                "write statements as IAM spells them: `{ Effect: Allow, Principal: ..., Action: s3:GetObject, Resource: ... }`",
            );
            break;
        }
        if statement
            .get("Sid")
            .and_then(|sid| sid.as_str())
            .is_some_and(|sid| sid.starts_with("edgectl"))
        {
            decoder.error(
                node.pos,
                "statement ids starting with `edgectl` are reserved",
                "edgectl writes those statements itself (CloudFront and log delivery access); choose another `Sid`",
            );
        }
        if public(statement) {
            let pos = places.get(index).copied().unwrap_or(node.pos);
            let fix = "serve a site's files through a distribution (`distributions:` reads the bucket with origin access control), or limit the statement with a `Condition` (`aws:SourceVpce`, `aws:PrincipalOrgID`)";
            if block_public_access {
                decoder.error(
                    pos,
                    format!("`{section}.policy` allows anyone (`Principal: \"*\"`, no `Condition`), which the bucket's public access block (on unless `block_public_access: false`) makes S3 refuse"),
                    fix,
                );
            } else {
                decoder.warn(
                    pos,
                    format!("`{section}.policy` allows anyone (`Principal: \"*\"`, no `Condition`) to act on the bucket: it is public"),
                    fix,
                );
            }
        }
    }
    statements
}

/// Whether a policy statement allows anyone, without a condition: a public bucket.
fn public(statement: &serde_json::Value) -> bool {
    let anyone = |value: &serde_json::Value| match value {
        serde_json::Value::String(text) => text == "*",
        serde_json::Value::Array(items) => items.iter().any(|item| item == "*"),
        _ => false,
    };
    statement.get("Effect").and_then(|effect| effect.as_str()) == Some("Allow")
        && statement.get("Condition").is_none()
        && statement
            .get("Principal")
            .is_some_and(|principal| anyone(principal) || principal.get("AWS").is_some_and(anyone))
}

/// A YAML subtree as JSON: plain scalars that read as numbers or booleans become those.
pub fn to_json(node: &Node) -> serde_json::Value {
    match &node.kind {
        NodeKind::Scalar { text, plain } => {
            if *plain {
                if let Ok(number) = text.parse::<i64>() {
                    return serde_json::Value::from(number);
                }
                match text.as_str() {
                    "true" => return serde_json::Value::Bool(true),
                    "false" => return serde_json::Value::Bool(false),
                    _ => {}
                }
            }
            serde_json::Value::String(text.clone())
        }
        NodeKind::Seq(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        NodeKind::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|(key, value)| {
                    let key = match &key.kind {
                        NodeKind::Scalar { text, .. } => text.clone(),
                        _ => String::new(),
                    };
                    (key, to_json(value))
                })
                .collect(),
        ),
    }
}

/// Why a sync source is out of bounds: a relative one that leads out of the manifest's
/// folder (by `..` or through a symlink), or any that is the filesystem's root.
fn outside(base: &Path, written: &Path, path: &Path) -> Option<&'static str> {
    use std::path::Component;
    let canonical = path.canonicalize().ok();
    if canonical
        .as_deref()
        .is_some_and(|path| path.parent().is_none())
    {
        return Some("is the root of the filesystem");
    }
    if written.is_absolute() {
        return None;
    }
    let mut depth = 0_i32;
    for component in written.components() {
        match component {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return Some("leads out of the manifest's folder");
        }
    }
    match (canonical, base.canonicalize()) {
        (Some(path), Ok(base)) if !path.starts_with(&base) => {
            Some("leads out of the manifest's folder through a symlink")
        }
        _ => None,
    }
}

fn decode_sync(decoder: &mut Decoder, node: &Node, section: &str, base: &Path) -> Option<Sync> {
    let where_ = format!("{section}.sync");
    let fields = decoder.fields(node, &where_, SYNC)?;
    let source = fields
        .required(
            decoder,
            "source",
            node.pos,
            "`sync` names no `source` folder",
            "add `source: ./dist` (relative to the manifest's folder)",
        )
        .and_then(|node| decoder.string(node, "source"))?;
    let written = Path::new(&source.value);
    let path = base.join(written);
    if let Some(why) = outside(base, written, &path) {
        let help = if written.is_absolute() {
            "point `source` at the folder to upload, such as the site's build output"
        } else {
            "a relative `source` stays inside the manifest's folder; to sync a folder elsewhere, write its absolute path"
        };
        decoder.error(
            source.pos,
            format!("sync source `{}` {why}", source.value),
            help,
        );
    } else if !path.is_dir() && !decoder.skip_content {
        decoder.error(
            source.pos,
            format!("sync source `{}` is not a folder", path.display()),
            "build the site first, or point `source` at the folder to upload (relative to the manifest's folder)",
        );
    }
    let mut prefix = fields
        .get("prefix")
        .and_then(|node| decoder.string(node, "prefix"))
        .map(|prefix| {
            // The bucket's `edgectl:sync` tag records it in hex, in at most 256 characters.
            if prefix.value.len() > 100 {
                decoder.error(
                    prefix.pos,
                    format!("`prefix` is {} bytes long, above 100", prefix.value.len()),
                    "use a prefix of at most 100 bytes (edgectl records it in a bucket tag)",
                );
            }
            // Held to the rules of the files' names: it is the start of every key.
            let problem = prefix
                .value
                .split('/')
                .find_map(super::content::key_problem);
            if let Some(why) = problem {
                decoder.error(
                    prefix.pos,
                    format!(
                        "`prefix` `{}` cannot start an S3 key: {}",
                        prefix.value,
                        why.replacen("its name", "it", 1)
                    ),
                    "write the prefix with letters, digits, `-`, `_`, `.` and `/`",
                );
            }
            prefix.value.trim_start_matches('/').to_string()
        })
        .unwrap_or_default();
    if !prefix.is_empty() && !prefix.ends_with('/') {
        prefix.push('/');
    }
    let mut cache_control = Vec::new();
    if let Some(rules) = fields.get("cache_control") {
        for item in decoder.list(rules) {
            let Some(rule) = decoder.fields(item, &format!("{where_}.cache_control"), CACHE_RULE)
            else {
                continue;
            };
            let pattern = rule
                .get("match")
                .and_then(|node| decoder.string(node, "match"));
            let value = rule
                .get("value")
                .and_then(|node| decoder.string(node, "value"));
            match (pattern, value) {
                (Some(pattern), Some(value)) => {
                    if let Err(error) = globset::Glob::new(&pattern.value) {
                        decoder.error(
                            pattern.pos,
                            format!("`{}` is not a valid glob: {error}", pattern.value),
                            "write a pattern such as `assets/**` or `*.html`",
                        );
                    }
                    cache_control.push((pattern.value, value.value));
                }
                _ => decoder.error(
                    item.pos,
                    "a cache rule needs `match` and `value`",
                    "write `{ match: \"assets/**\", value: \"public, max-age=31536000, immutable\" }`",
                ),
            }
        }
    }
    let [include, exclude] = ["include", "exclude"].map(|field| {
        let patterns = texts(decoder, fields.get(field), field);
        for pattern in &patterns {
            if let Err(error) = globset::Glob::new(pattern) {
                decoder.error(
                    fields.get(field).map_or(node.pos, |node| node.pos),
                    format!("`{pattern}` is not a valid glob: {error}"),
                    "write a pattern such as `index.html`, `css/**` or `**/*.map`",
                );
            }
        }
        patterns
    });
    Some(Sync {
        source: path,
        prefix,
        delete: flag(decoder, &fields, "delete", false),
        cache_control,
        include,
        exclude,
    })
}

#[cfg(test)]
mod tests {
    use crate::base::known::policy_name;

    #[test]
    fn a_statement_is_public_when_anyone_may_act_without_a_condition() {
        let public = |text: &str| super::public(&serde_json::from_str(text).unwrap());
        assert!(public(
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}"#
        ));
        assert!(public(
            r#"{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"s3:*"}"#
        ));
        assert!(public(
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*"}"#
        ));
        // A condition limits it; a deny takes away; a named principal is not anyone.
        assert!(!public(
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}}"#
        ));
        assert!(!public(
            r#"{"Effect":"Deny","Principal":"*","Action":"s3:*"}"#
        ));
        assert!(!public(
            r#"{"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject"}"#
        ));
        assert!(!public(
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:*"}"#
        ));
    }

    #[test]
    fn a_sync_source_stays_in_the_manifests_folder_unless_absolute() {
        let outside_dir = tempfile::tempdir().unwrap();
        let base_dir = tempfile::tempdir().unwrap();
        let base = base_dir.path();
        std::fs::create_dir(base.join("dist")).unwrap();
        std::os::unix::fs::symlink(outside_dir.path(), base.join("link")).unwrap();
        let check = |written: &str| outside(base, Path::new(written), &base.join(written));
        assert_eq!(check("./dist"), None);
        assert_eq!(check("dist/../dist"), None);
        assert_eq!(check("../"), Some("leads out of the manifest's folder"));
        assert_eq!(
            check("dist/../../x"),
            Some("leads out of the manifest's folder")
        );
        assert_eq!(
            check("link"),
            Some("leads out of the manifest's folder through a symlink")
        );
        let absolute = outside_dir.path().to_string_lossy().into_owned();
        assert_eq!(check(&absolute), None);
        assert_eq!(check("/"), Some("is the root of the filesystem"));
    }

    use super::*;

    #[test]
    fn bucket_names_follow_s3s_rules() {
        for good in ["edgemind-prod-frontend", "a.b.c", "abc", "logs-2026"] {
            assert_eq!(bucket_name_problem(good), None, "{good}");
        }
        for bad in [
            "ab",
            "Upper",
            "under_score",
            "-start",
            "end-",
            "two..dots",
            "192.168.1.1",
            "xn--punycode",
            "name-s3alias",
            &"x".repeat(64),
        ] {
            assert!(bucket_name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn managed_policies_have_names_for_plans() {
        assert_eq!(
            policy_name("658327ea-f89d-4fab-a63d-7e88639e58f6"),
            Some("Managed-CachingOptimized")
        );
        assert_eq!(policy_name("not-a-policy"), None);
    }
}
