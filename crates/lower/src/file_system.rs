//! Lowering: EFS file systems, a mount target in each subnet of their tier, and their
//! access points.

use super::Env;
use super::key::key_value;
use super::subnet::subnet_id;
use crate::aws::ec2::security_group::group_id;
use crate::aws::efs::access_point::access_point_id;
use crate::aws::efs::file_system::file_system_id;
use crate::aws::efs::mount_target::mount_target_id;
use crate::aws::tags;
use crate::engine::model::{Desired, Mode, ResourceId, Value, props};
use crate::manifest::Manifest;

/// The mount targets of file system `key`, one per subnet of its tier: what a task
/// mounting it needs answering in its subnet (else it stops with `failed to resolve
/// fs-....efs...`).
pub fn mount_targets(manifest: &Manifest, env: &Env, key: &str) -> Vec<ResourceId> {
    let Some(network) = manifest.network.as_ref() else {
        return Vec::new();
    };
    manifest
        .containers
        .file_systems
        .iter()
        .filter(|fs| fs.key == key)
        .flat_map(|fs| {
            (0..network.subnets(fs.subnets).len()).map(move |index| {
                let zone = env.zones.get(index).cloned().unwrap_or_default();
                mount_target_id(&fs.key, &zone)
            })
        })
        .collect()
}

pub fn desired(manifest: &Manifest, env: &Env) -> Vec<Desired> {
    let mut out = Vec::new();
    let Some(network) = manifest.network.as_ref() else {
        return out;
    };
    for fs in &manifest.containers.file_systems {
        let name = format!("{}-{}", manifest.stack, fs.key);
        out.push(Desired {
            id: file_system_id(&fs.key),
            props: props([
                ("encrypted", Value::Bool(fs.encrypted), Mode::Replace),
                (
                    "kms_key",
                    match (&fs.kms_key, fs.encrypted) {
                        (Some(key), _) => key_value(key),
                        // EFS's own key, `aws/elasticfilesystem`.
                        (None, true) => Value::AwsDefault,
                        (None, false) => Value::Null,
                    },
                    Mode::Replace,
                ),
                (
                    "performance_mode",
                    Value::str(&fs.performance_mode),
                    Mode::Replace,
                ),
                (
                    "throughput_mode",
                    Value::str(&fs.throughput_mode),
                    Mode::InPlace,
                ),
                (
                    "provisioned_mibps",
                    fs.provisioned_mibps.map_or(Value::Null, Value::Int),
                    Mode::InPlace,
                ),
                (
                    "ia_after_days",
                    fs.ia_after_days.map_or(Value::Null, Value::Int),
                    Mode::InPlace,
                ),
                ("backups", Value::Bool(fs.backups), Mode::InPlace),
                (
                    "tags",
                    tags::managed_tags(&manifest.tags, &Default::default(), &name, fs.retain),
                    Mode::InPlace,
                ),
            ]),
            after: Vec::new(),
        });
        let groups = Value::Set(
            fs.security_groups
                .iter()
                .map(|group| Value::Ref(group_id(group)))
                .collect(),
        );
        for (index, _) in network.subnets(fs.subnets).iter().enumerate() {
            let zone = env.zones.get(index).cloned().unwrap_or_default();
            out.push(Desired {
                id: mount_target_id(&fs.key, &zone),
                props: props([
                    (
                        "file_system",
                        Value::Ref(file_system_id(&fs.key)),
                        Mode::Replace,
                    ),
                    (
                        "subnet",
                        Value::Ref(subnet_id(fs.subnets, index)),
                        Mode::Replace,
                    ),
                    ("security_groups", groups.clone(), Mode::InPlace),
                ]),
                after: Vec::new(),
            });
        }
        for point in &fs.access_points {
            out.push(Desired {
                id: access_point_id(&fs.key, &point.name),
                props: props([
                    (
                        "file_system",
                        Value::Ref(file_system_id(&fs.key)),
                        Mode::Replace,
                    ),
                    ("path", Value::str(&point.path), Mode::Replace),
                    ("uid", Value::Int(point.uid), Mode::Replace),
                    ("gid", Value::Int(point.gid), Mode::Replace),
                    ("permissions", Value::str(&point.permissions), Mode::Replace),
                    (
                        "tags",
                        tags::desired_tags(&manifest.tags, &format!("{name}-{}", point.name)),
                        Mode::InPlace,
                    ),
                ]),
                after: Vec::new(),
            });
        }
    }
    out
}
