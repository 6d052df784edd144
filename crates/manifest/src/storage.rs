//! The `file_systems` section (EFS file systems, their mount targets and access points)
//! and a service's `volumes` that mount them.

use super::decode::flag;
use super::decode::{Decoder, Entry, Fields};
use super::diag::suggest;
use super::keys::{KeyRef, encryption_key};
use super::network::Tier;
use super::scope::{Context, security_groups, tier};
use super::yaml::Node;

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
const VOLUME: &[&str] = &[
    "file_system",
    "access_point",
    "path",
    "read_only",
    "container",
];
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

/// A file system mounted into a service's containers.
#[derive(Clone, Debug, PartialEq)]
pub struct Volume {
    pub name: String,
    pub file_system: String,
    pub access_point: Option<String>,
    /// Where the containers see it.
    pub path: String,
    pub read_only: bool,
    /// The container it is mounted in; every container when `None`.
    pub container: Option<String>,
}

pub fn decode(decoder: &mut Decoder, fields: &Fields<'_>, cx: &Context<'_>) -> Vec<FileSystem> {
    let Some(node) = fields.get("file_systems") else {
        return Vec::new();
    };
    if cx.network.is_none() {
        decoder.error(
            fields.key_pos("file_systems").unwrap_or(node.pos),
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

/// A service's `volumes`: name → `{ file_system, access_point, path, read_only, container }`.
pub fn decode_volumes(
    decoder: &mut Decoder,
    node: &Node,
    section: &str,
    file_systems: &[FileSystem],
    containers: &[String],
) -> Vec<Volume> {
    let mut out = Vec::new();
    for Entry {
        key: name, fields, ..
    } in decoder.entries(node, &format!("{section}.volumes"), VOLUME)
    {
        let Some(named) = fields
            .required(
                decoder,
                "file_system",
                name.pos,
                format!("volume `{}` names no `file_system`", name.value),
                "name one of the file systems under `file_systems:`",
            )
            .and_then(|node| decoder.string(node, "file_system"))
        else {
            continue;
        };
        let Some(file_system) = file_systems.iter().find(|fs| fs.key == named.value) else {
            let hint = suggest(&named.value, file_systems.iter().map(|fs| fs.key.as_str()))
                .map(|close| format!("did you mean `{close}`? "))
                .unwrap_or_default();
            decoder.error(
                named.pos,
                format!("file system `{}` is not declared", named.value),
                format!("{hint}declare it under `file_systems:`"),
            );
            continue;
        };
        let access_point = match fields
            .get("access_point")
            .and_then(|node| decoder.string(node, "access_point"))
        {
            Some(point)
                if file_system
                    .access_points
                    .iter()
                    .any(|ap| ap.name == point.value) =>
            {
                Some(point.value)
            }
            Some(point) => {
                let hint = suggest(
                    &point.value,
                    file_system.access_points.iter().map(|ap| ap.name.as_str()),
                )
                .map(|close| format!("did you mean `{close}`? "))
                .unwrap_or_default();
                decoder.error(
                    point.pos,
                    format!(
                        "file system `{}` has no access point `{}`",
                        file_system.key, point.value
                    ),
                    format!(
                        "{hint}declare it under `file_systems.{}.access_points`",
                        file_system.key
                    ),
                );
                continue;
            }
            None => None,
        };
        let path = match fields
            .get("path")
            .and_then(|node| decoder.string(node, "path"))
        {
            Some(path) if path.value.starts_with('/') => path.value,
            Some(path) => {
                decoder.error(
                    path.pos,
                    format!("`{}` is not an absolute path", path.value),
                    "write where the containers see the volume, e.g. `/var/lib/influxdb2`",
                );
                continue;
            }
            None => {
                decoder.error(
                    name.pos,
                    format!("volume `{}` has no `path`", name.value),
                    "write where the containers see it, e.g. `path: /var/lib/influxdb2`",
                );
                continue;
            }
        };
        let container = match fields
            .get("container")
            .and_then(|node| decoder.string(node, "container"))
        {
            Some(container) if containers.contains(&container.value) => Some(container.value),
            Some(container) => {
                decoder.error(
                    container.pos,
                    format!("the service has no container `{}`", container.value),
                    format!("name one of {}", containers.join(", ")),
                );
                continue;
            }
            None => None,
        };
        out.push(Volume {
            name: name.value,
            file_system: file_system.key.clone(),
            access_point,
            path,
            read_only: flag(decoder, &fields, "read_only", false),
            container,
        });
    }
    out
}
