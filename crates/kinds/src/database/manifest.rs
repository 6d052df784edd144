//! The `databases` section: RDS PostgreSQL instances with their subnet group and
//! parameter group, the master password kept by RDS in Secrets Manager.

use std::collections::BTreeMap;

use crate::manifest::decode::{Decoder, Fields, Spanned};
use crate::manifest::decode::{Entry, flag};
use crate::manifest::diag::Pos;
use crate::manifest::keys::{KeyRef, encryption_key};
use crate::manifest::network::Tier;
use crate::manifest::scope::{Context, security_groups, tier};
use crate::manifest::yaml::{Node, NodeKind};

const DATABASE: &[&str] = &[
    "identifier",
    "engine",
    "version",
    "class",
    "storage",
    "storage_type",
    "subnets",
    "security_groups",
    "database",
    "username",
    "parameters",
    "encrypted",
    "kms_key",
    "backup_retention_days",
    "multi_az",
    "performance_insights",
    "monitoring_interval",
    "deletion_protection",
    "skip_final_snapshot",
    "apply_immediately",
    "allow_replacement",
    "alarms",
];
/// Seconds between enhanced monitoring samples RDS accepts (0: off).
const MONITORING: &[i64] = &[0, 1, 5, 10, 15, 30, 60];

#[derive(Clone, Debug, PartialEq)]
pub struct Database {
    pub key: String,
    /// The DB instance identifier: `<stack>-<key>` unless written.
    pub identifier: String,
    /// `15`, or a full version (`15.4`).
    pub version: String,
    pub class: String,
    /// Allocated storage, GiB.
    pub storage: i64,
    pub storage_type: String,
    pub subnets: Tier,
    pub security_groups: Vec<String>,
    /// The database made with the instance.
    pub database: Option<String>,
    pub username: String,
    /// The parameter group's parameters, as RDS takes them (strings).
    pub parameters: BTreeMap<String, String>,
    pub encrypted: bool,
    pub kms_key: Option<KeyRef>,
    pub backup_retention_days: i64,
    pub multi_az: bool,
    pub performance_insights: bool,
    pub monitoring_interval: i64,
    pub deletion_protection: bool,
    pub skip_final_snapshot: bool,
    /// Changes go out now rather than in the next maintenance window.
    pub apply_immediately: bool,
    /// A change that makes a new instance (losing its data) is allowed.
    pub allow_replacement: bool,
}

/// The section at `node` (its key written at `at`).
pub fn decode(decoder: &mut Decoder, node: &Node, at: Pos, cx: &Context<'_>) -> Vec<Database> {
    if cx.network.is_none() {
        decoder.error(
            at,
            "a database lives in the stack's VPC",
            "add a `network` section, or remove `databases`",
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    for entry in decoder.entries(node, "databases", DATABASE) {
        if let Some(database) = decode_database(decoder, &entry, cx) {
            out.push(database);
        }
    }
    out
}

fn decode_database(decoder: &mut Decoder, entry: &Entry<'_>, cx: &Context<'_>) -> Option<Database> {
    let Entry {
        key,
        fields,
        section,
        ..
    } = entry;
    let string = |decoder: &mut Decoder, field: &str| {
        fields
            .get(field)
            .and_then(|node| decoder.string(node, field))
    };
    let identifier = decode_identifier(decoder, fields, key, cx)?;
    if let Some(node) = fields.get("engine") {
        decoder.choice(node, "engine", &["postgres"]);
    }
    let version = decode_version(decoder, fields, key)?;
    let class =
        string(decoder, "class").map_or_else(|| "db.t3.micro".to_string(), |class| class.value);
    if !class.starts_with("db.") {
        let pos = fields.get("class").map_or(key.pos, |node| node.pos);
        decoder.error(
            pos,
            format!("`{class}` is not a DB instance class"),
            "write it as RDS does, e.g. `db.t3.micro`",
        );
        return None;
    }
    let storage = match fields.get("storage") {
        Some(node) => match decoder.int(node, "storage", 20, 65536) {
            Some(size) => size.value,
            None => return None,
        },
        None => 20,
    };
    let storage_type = match fields.get("storage_type") {
        Some(node) => match decoder.choice(node, "storage_type", &["gp3", "gp2", "io1", "io2"]) {
            Some(choice) => choice.value,
            None => return None,
        },
        None => "gp3".to_string(),
    };
    let subnets = match fields.get("subnets") {
        Some(node) => tier(decoder, node, cx)?,
        None => match cx.network {
            Some(network) if !network.isolated.is_empty() => Tier::Isolated,
            _ => Tier::Private,
        },
    };
    if let Some(network) = cx.network
        && network.subnets(subnets).len() < 2
    {
        decoder.error(
            fields.key_pos("subnets").unwrap_or(key.pos),
            format!(
                "a DB subnet group needs subnets in two zones; the `{}` tier has {}",
                subnets.as_str(),
                network.subnets(subnets).len()
            ),
            "add a second subnet to the tier, or choose another tier",
        );
        return None;
    }
    let parameters = decode_parameters(decoder, fields, section);
    let encrypted = flag(decoder, fields, "encrypted", true);
    let Ok(kms_key) = encryption_key(decoder, fields, encrypted, &cx.keys) else {
        return None;
    };
    let backup_retention_days = match fields.get("backup_retention_days") {
        Some(node) => match decoder.int(node, "backup_retention_days", 0, 35) {
            Some(days) => days.value,
            None => return None,
        },
        None => 7,
    };
    let monitoring_interval = decode_monitoring(decoder, fields)?;
    let username =
        string(decoder, "username").map_or_else(|| "postgres".to_string(), |name| name.value);
    Some(Database {
        key: key.value.clone(),
        identifier: identifier.value,
        version: version.value,
        class,
        storage,
        storage_type,
        subnets,
        security_groups: security_groups(decoder, fields, cx),
        database: string(decoder, "database").map(|name| name.value),
        username,
        parameters,
        encrypted,
        kms_key,
        backup_retention_days,
        multi_az: flag(decoder, fields, "multi_az", false),
        performance_insights: flag(decoder, fields, "performance_insights", false),
        monitoring_interval,
        deletion_protection: flag(decoder, fields, "deletion_protection", false),
        skip_final_snapshot: flag(decoder, fields, "skip_final_snapshot", false),
        apply_immediately: flag(decoder, fields, "apply_immediately", false),
        allow_replacement: flag(decoder, fields, "allow_replacement", false),
    })
}

/// The DB instance `identifier`, `<stack>-<key>` unless given: RDS's rules.
fn decode_identifier(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    key: &Spanned<String>,
    cx: &Context<'_>,
) -> Option<Spanned<String>> {
    let string = |decoder: &mut Decoder, field: &str| {
        fields
            .get(field)
            .and_then(|node| decoder.string(node, field))
    };
    let identifier = match string(decoder, "identifier") {
        Some(name) => name,
        None => Spanned {
            value: format!("{}-{}", cx.stack, key.value),
            pos: key.pos,
        },
    };
    // RDS: 1-63 letters, digits and hyphens, a letter first, no `--`, no hyphen last.
    let valid = (1..=63).contains(&identifier.value.len())
        && identifier
            .value
            .starts_with(|c: char| c.is_ascii_alphabetic())
        && identifier
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !identifier.value.contains("--")
        && !identifier.value.ends_with('-');
    if !valid {
        decoder.error(
        identifier.pos,
        format!("`{}` is not a DB instance identifier", identifier.value),
        "use 1-63 letters, digits and hyphens, starting with a letter, without `--` or a hyphen at the end (set `identifier:`)",
    );
        return None;
    }
    Some(identifier)
}

/// The engine `version` (required): a PostgreSQL major or minor version as RDS writes it.
fn decode_version(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    key: &Spanned<String>,
) -> Option<Spanned<String>> {
    let version = fields
        .required(
            decoder,
            "version",
            key.pos,
            format!("database `{}` names no engine `version`", key.value),
            "write the PostgreSQL major version, e.g. `version: \"15\"` (or a minor, `\"15.4\"`)",
        )
        .and_then(|node| decoder.string(node, "version"))?;
    if !version
        .value
        .split('.')
        .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()))
    {
        decoder.error(
            version.pos,
            format!("`{}` is not a PostgreSQL version", version.value),
            "write it as RDS does, e.g. `\"15\"` or `\"15.4\"` (quoted)",
        );
        return None;
    }
    Some(version)
}

/// The database's `parameters` (its parameter group's), each a single value.
fn decode_parameters(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    section: &str,
) -> BTreeMap<String, String> {
    match fields.get("parameters") {
        Some(node) => {
            let mut parameters = BTreeMap::new();
            for (name, value) in decoder.named(node, &format!("{section}.parameters")) {
                let text = match &value.kind {
                    NodeKind::Scalar { text, .. } => text.clone(),
                    _ => {
                        decoder.error(
                            value.pos,
                            format!("parameter `{}` is not a single value", name.value),
                            "write it as RDS takes it: a number or a string",
                        );
                        continue;
                    }
                };
                parameters.insert(name.value, text);
            }
            parameters
        }
        None => BTreeMap::new(),
    }
}

/// Enhanced monitoring's `monitoring_interval`, one of RDS's (0: off).
fn decode_monitoring(decoder: &mut Decoder, fields: &Fields<'_>) -> Option<i64> {
    let monitoring_interval = match fields.get("monitoring_interval") {
        Some(node) => match decoder.int(node, "monitoring_interval", 0, 60) {
            Some(seconds) if MONITORING.contains(&seconds.value) => seconds.value,
            Some(seconds) => {
                decoder.error(
                    seconds.pos,
                    format!("RDS cannot sample every {} seconds", seconds.value),
                    "use 0 (off), 1, 5, 10, 15, 30 or 60",
                );
                return None;
            }
            None => return None,
        },
        None => 0,
    };
    Some(monitoring_interval)
}
