//! The typed properties of a file system, a mount target and an access point, and the
//! lowering that builds them.

use std::collections::{BTreeMap, BTreeSet};

use super::manifest::FileSystem;
use crate::lower::Env;
use crate::lower::uses::{KeyUser, Uses};

use crate::aws::ids::{access_point_id, file_system_id, group_id, mount_target_id, subnet_id};
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;

crate::engine::properties! {
    /// An EFS file system: what its lowering builds and its observe reads.
    pub struct FileSystemProps (changes: FileSystemChanges) {
        pub encrypted: bool => Replace,
        /// The key by reference, `AwsDefault` (EFS's `aws/elasticfilesystem`), or nothing.
        pub kms_key: Value => Replace,
        /// `generalPurpose` or `maxIO`.
        pub performance_mode: String => Replace,
        /// `bursting`, `elastic` or `provisioned`.
        pub throughput_mode: String => InPlace,
        pub provisioned_mibps: Option<i64> => InPlace,
        pub ia_after_days: Option<i64> => InPlace,
        pub backups: bool => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

crate::engine::properties! {
    /// A mount target: its file system and subnet make it, its security groups change.
    pub struct MountTargetProps (changes: MountTargetChanges) {
        /// By reference.
        pub file_system: Value => Replace,
        /// By reference.
        pub subnet: Value => Replace,
        /// By reference.
        pub security_groups: BTreeSet<Value> => InPlace,
    }
}

crate::engine::properties! {
    /// An access point: everything but its tags makes a new one.
    pub struct AccessPointProps (changes: AccessPointChanges) {
        /// Its file system, by reference.
        pub file_system: Value => Replace,
        /// Its root directory.
        pub path: String => Replace,
        pub uid: i64 => Replace,
        pub gid: i64 => Replace,
        /// The root directory's, made with it (`755`).
        pub permissions: String => Replace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

/// The file systems (`file_systems`), each with a mount target in each subnet of its
/// tier and its access points.
pub fn desired(
    file_systems: &[FileSystem],
    manifest: &Manifest,
    env: &Env,
    uses: &mut Uses,
) -> Vec<Desired> {
    let mut out = Vec::new();
    let Some(network) = manifest.network.as_ref() else {
        return out;
    };
    for fs in file_systems {
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
