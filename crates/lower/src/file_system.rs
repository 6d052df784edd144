//! Lowering: EFS file systems, a mount target in each subnet of their tier, and their
//! access points.

use super::Env;
use super::uses::{KeyUser, Uses};
use std::collections::BTreeSet;

use crate::aws::efs::access_point::AccessPointProps;
use crate::aws::efs::file_system::FileSystemProps;
use crate::aws::efs::mount_target::MountTargetProps;
use crate::aws::ids::{access_point_id, file_system_id, group_id, mount_target_id, subnet_id};
use crate::aws::tags;
use crate::engine::model::{Desired, ResourceId, Value};
use crate::engine::typed::Properties as _;
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

pub fn desired(manifest: &Manifest, env: &Env, uses: &mut Uses) -> Vec<Desired> {
    let mut out = Vec::new();
    let Some(network) = manifest.network.as_ref() else {
        return out;
    };
    for fs in &manifest.containers.file_systems {
        let name = format!("{}-{}", manifest.stack, fs.key);
        let props = FileSystemProps {
            encrypted: fs.encrypted,
            kms_key: match (&fs.kms_key, fs.encrypted) {
                (Some(key), _) => uses.key(
                    &file_system_id(&fs.key),
                    key,
                    KeyUser::Via("elasticfilesystem"),
                ),
                // EFS's own key, `aws/elasticfilesystem`.
                (None, true) => Value::AwsDefault,
                (None, false) => Value::Null,
            },
            performance_mode: fs.performance_mode.clone(),
            throughput_mode: fs.throughput_mode.clone(),
            provisioned_mibps: fs.provisioned_mibps,
            ia_after_days: fs.ia_after_days,
            backups: fs.backups,
            tags: tags::managed_tag_map(&manifest.tags, &Default::default(), &name, fs.retain),
        };
        out.push(Desired {
            id: file_system_id(&fs.key),
            props: props.into_props(),
            after: Vec::new(),
        });
        let groups: BTreeSet<Value> = fs
            .security_groups
            .iter()
            .map(|group| Value::Ref(group_id(group)))
            .collect();
        for (index, _) in network.subnets(fs.subnets).iter().enumerate() {
            let zone = env.zones.get(index).cloned().unwrap_or_default();
            let target = MountTargetProps {
                file_system: Value::Ref(file_system_id(&fs.key)),
                subnet: Value::Ref(subnet_id(fs.subnets.as_str(), index)),
                security_groups: groups.clone(),
            };
            out.push(Desired {
                id: mount_target_id(&fs.key, &zone),
                props: target.into_props(),
                after: Vec::new(),
            });
        }
        for point in &fs.access_points {
            let access_point = AccessPointProps {
                file_system: Value::Ref(file_system_id(&fs.key)),
                path: point.path.clone(),
                uid: point.uid,
                gid: point.gid,
                permissions: point.permissions.clone(),
                tags: tags::desired_tag_map(&manifest.tags, &format!("{name}-{}", point.name)),
            };
            out.push(Desired {
                id: access_point_id(&fs.key, &point.name),
                props: access_point.into_props(),
                after: Vec::new(),
            });
        }
    }
    out
}
