//! The `file_systems` section: EFS file systems, a mount target in each subnet of their
//! tier, and their access points (which services' `volumes` name, checked against what
//! the section declares as written).

use crate::manifest::decode::flag;
use crate::manifest::decode::{Decoder, Entry};
use crate::manifest::diag::Pos;
use crate::manifest::keys::{KeptEncrypted, KeyRef, encryption_key};
use crate::manifest::network::Tier;
use crate::manifest::scope::{Context, security_groups, tier};
use crate::manifest::yaml::Node;

const FILE_SYSTEM: &[&str] = &[
    "encrypted",
    "kms_key",
    "performance_mode",
    "throughput_mode",
    "provisioned_mibps",
    "infrequent_access_after_days",
    "backups",
    "subnets",
    "security_groups",
    "access_points",
    "retain",
];
const ACCESS_POINT: &[&str] = &["path", "uid", "gid", "permissions"];
/// The days EFS accepts for moving files to Infrequent Access (`TransitionToIA`).
const IA_DAYS: &[i64] = &[1, 7, 14, 30, 60, 90, 180, 270, 365];

#[derive(Clone, Debug, PartialEq)]
pub struct FileSystem {
    pub key: String,
    pub encrypted: bool,
    /// A customer managed key; EFS's `aws/elasticfilesystem` when `None`.
    pub kms_key: Option<KeyRef>,
    /// `generalPurpose` or `maxIO`.
    pub performance_mode: String,
    /// `bursting`, `elastic` or `provisioned`.
    pub throughput_mode: String,
    pub provisioned_mibps: Option<i64>,
    /// Files not read for this many days move to Infrequent Access.
    pub ia_after_days: Option<i64>,
    /// AWS Backup's daily automatic backups.
    pub backups: bool,
    /// One mount target in each subnet of the tier.
    pub subnets: Tier,
    pub security_groups: Vec<String>,
    pub access_points: Vec<AccessPoint>,
    /// Destroy leaves the file system (the default: it holds data).
    pub retain: bool,
}

/// An entry point with its own root directory and POSIX identity.
#[derive(Clone, Debug, PartialEq)]
pub struct AccessPoint {
    pub name: String,
    /// The directory clients see as `/`; EFS makes it with the owner and permissions.
    pub path: String,
    pub uid: i64,
    pub gid: i64,
    /// Octal, as `chmod` takes it (`755`).
    pub permissions: String,
}

/// The section at `node` (its key written at `at`).
pub fn decode(decoder: &mut Decoder, node: &Node, at: Pos, cx: &Context<'_>) -> Vec<FileSystem> {
    if cx.network.is_none() {
        decoder.error(
            at,
            "a file system is reached through mount targets in the stack's VPC",
            "add a `network` section, or remove `file_systems`",
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    for Entry {
        key,
        fields,
        section,
        ..
    } in decoder.entries(node, "file_systems", FILE_SYSTEM)
    {
        let encrypted = flag(decoder, &fields, "encrypted", true);
        let Ok(kms_key) = encryption_key(decoder, &fields, encrypted, &cx.keys) else {
            continue;
        };
        let performance_mode = match fields.get("performance_mode") {
            Some(node) => {
                match decoder.choice(node, "performance_mode", &["general_purpose", "max_io"]) {
                    Some(choice) if choice.value == "max_io" => "maxIO",
                    Some(_) => "generalPurpose",
                    None => continue,
                }
            }
            None => "generalPurpose",
        };
        let throughput_mode = match fields.get("throughput_mode") {
            Some(node) => match decoder.choice(
                node,
                "throughput_mode",
                &["bursting", "elastic", "provisioned"],
            ) {
                Some(choice) => choice.value,
                None => continue,
            },
            None => "bursting".to_string(),
        };
        let provisioned_mibps = match (throughput_mode.as_str(), fields.get("provisioned_mibps")) {
            ("provisioned", Some(node)) => match decoder.int(node, "provisioned_mibps", 1, 3414) {
                Some(mibps) => Some(mibps.value),
                None => continue,
            },
            ("provisioned", None) => {
                decoder.error(
                    fields.key_pos("throughput_mode").unwrap_or(key.pos),
                    "provisioned throughput needs `provisioned_mibps`",
                    "add `provisioned_mibps: <1-3414>`, or choose `elastic`",
                );
                continue;
            }
            (_, Some(node)) => {
                decoder.error(
                    node.pos,
                    "`provisioned_mibps` needs `throughput_mode: provisioned`",
                    "add `throughput_mode: provisioned`, or remove `provisioned_mibps`",
                );
                continue;
            }
            (_, None) => None,
        };
        let ia_after_days = match fields.get("infrequent_access_after_days") {
            Some(node) => match decoder.int(node, "infrequent_access_after_days", 1, 365) {
                Some(days) if IA_DAYS.contains(&days.value) => Some(days.value),
                Some(days) => {
                    decoder.error(
                        days.pos,
                        format!(
                            "EFS cannot move files to Infrequent Access after {} days",
                            days.value
                        ),
                        "use 1, 7, 14, 30, 60, 90, 180, 270 or 365",
                    );
                    continue;
                }
                None => continue,
            },
            None => None,
        };
        let subnets = match fields.get("subnets") {
            Some(node) => match tier(decoder, node, cx) {
                Some(tier) => tier,
                None => continue,
            },
            None => match cx.network {
                Some(network) if network.private.is_empty() => Tier::Public,
                _ => Tier::Private,
            },
        };
        let access_points = fields
            .get("access_points")
            .map(|node| decode_access_points(decoder, node, &section))
            .unwrap_or_default();
        out.push(FileSystem {
            key: key.value.clone(),
            encrypted,
            kms_key,
            performance_mode: performance_mode.to_string(),
            throughput_mode,
            provisioned_mibps,
            ia_after_days,
            backups: flag(decoder, &fields, "backups", true),
            subnets,
            security_groups: security_groups(decoder, &fields, cx),
            access_points,
            retain: flag(decoder, &fields, "retain", true),
        });
    }
    out
}

fn decode_access_points(decoder: &mut Decoder, node: &Node, section: &str) -> Vec<AccessPoint> {
    let mut out = Vec::new();
    for Entry {
        key: name, fields, ..
    } in decoder.entries(node, &format!("{section}.access_points"), ACCESS_POINT)
    {
        let path = match fields
            .get("path")
            .and_then(|node| decoder.string(node, "path"))
        {
            Some(path) if path.value.starts_with('/') && path.value.len() <= 100 => path.value,
            Some(path) => {
                decoder.error(
                    path.pos,
                    format!("`{}` is not an absolute path", path.value),
                    "write the directory clients see as `/`, e.g. `/influxdb` (at most 100 characters)",
                );
                continue;
            }
            None => format!("/{}", name.value),
        };
        let id = |decoder: &mut Decoder, field: &str| match fields.get(field) {
            Some(node) => decoder
                .int(node, field, 0, 4_294_967_295)
                .map(|id| id.value),
            None => Some(1000),
        };
        let (Some(uid), Some(gid)) = (id(decoder, "uid"), id(decoder, "gid")) else {
            continue;
        };
        let permissions = match fields
            .get("permissions")
            .and_then(|node| decoder.string(node, "permissions"))
        {
            Some(mode)
                if (3..=4).contains(&mode.value.len())
                    && mode.value.chars().all(|c| ('0'..='7').contains(&c)) =>
            {
                mode.value
            }
            Some(mode) => {
                decoder.error(
                    mode.pos,
                    format!("`{}` is not an octal mode", mode.value),
                    "write it as `chmod` takes it, e.g. `\"755\"` (quoted, so YAML keeps it a string)",
                );
                continue;
            }
            None => "755".to_string(),
        };
        out.push(AccessPoint {
            name: name.value,
            path,
            uid,
            gid,
            permissions,
        });
    }
    out
}

/// The file systems destroy leaves (`retain`, the default) under one of the stack's keys.
pub fn kept_encrypted(file_systems: &[FileSystem]) -> Vec<KeptEncrypted> {
    file_systems
        .iter()
        .filter(|fs| fs.retain)
        .filter_map(|fs| match &fs.kms_key {
            Some(KeyRef::Stack(key)) => Some(KeptEncrypted {
                what: format!("file system `{}`", fs.key),
                key: key.clone(),
            }),
            _ => None,
        })
        .collect()
}
