//! EFS file systems (`file_system.<key>`): encryption and its key, performance mode (a
//! change makes a new file system), throughput mode, the move to Infrequent Access,
//! automatic backups, tags. The physical id is the file system id (`fs-...`).
//!
//! CreateFileSystem takes a creation token, EFS's idempotency token: edgectl's is made of
//! the stack, the logical id and what makes the file system (encryption, key, performance
//! mode), so a create retried after a lost answer is refused with FileSystemAlreadyExists
//! (and the walk finds the file system by its tags), while a replacement gets a new one.
//! A file system holds data: `retain` is the default.

use async_trait::async_trait;
use aws_sdk_efs::types::{
    BackupPolicy, FileSystemDescription, LifeCycleState, LifecyclePolicy, PerformanceMode, Status,
    ThroughputMode, TransitionToIaRules,
};
use sha2::{Digest, Sha256};

use super::efs::{Efs, efs_tags, pairs, stack_file_systems};
use super::lower::FileSystemProps;
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::ids::FILE_SYSTEM as KIND;
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::Change;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::Properties as _;

pub struct FileSystemAdapter;

fn transition(days: i64) -> Option<TransitionToIaRules> {
    Some(match days {
        1 => TransitionToIaRules::After1Day,
        7 => TransitionToIaRules::After7Days,
        14 => TransitionToIaRules::After14Days,
        30 => TransitionToIaRules::After30Days,
        60 => TransitionToIaRules::After60Days,
        90 => TransitionToIaRules::After90Days,
        180 => TransitionToIaRules::After180Days,
        270 => TransitionToIaRules::After270Days,
        365 => TransitionToIaRules::After365Days,
        _ => return None,
    })
}

/// `AFTER_14_DAYS` → 14.
fn days(rule: &TransitionToIaRules) -> Option<i64> {
    rule.as_str()
        .trim_start_matches("AFTER_")
        .split('_')
        .next()?
        .parse()
        .ok()
}

/// The creation token: what makes this file system, so that a retried create is refused
/// and a replacement is not.
fn creation_token(op: &OpCx<'_>, props: &FileSystemProps, kms_key: Option<&str>) -> String {
    let made_of = format!(
        "{}\n{}\n{}\n{}\n{}",
        op.cx.stack,
        op.id,
        Value::Bool(props.encrypted),
        kms_key.unwrap_or_default(),
        Value::str(&props.performance_mode),
    );
    format!("edgectl-{}", hex::encode(&Sha256::digest(made_of)[..16]))
}

async fn put_lifecycle(op: &OpCx<'_>, id: &str, days: Option<i64>) -> Result<(), AwsError> {
    let policies = days
        .and_then(transition)
        .map(|rule| LifecyclePolicy::builder().transition_to_ia(rule).build())
        .into_iter()
        .collect();
    op.cx
        .clients
        .efs
        .put_lifecycle_configuration()
        .file_system_id(id)
        .set_lifecycle_policies(Some(policies))
        .send()
        .await
        .aws("PutLifecycleConfiguration")
        .map(drop)
}

/// A file system as the stack sees it, under `logical`: its lifecycle and backup policy
/// read with one call each.
async fn read(
    cx: &Cx,
    found: &FileSystemDescription,
    logical: ResourceId,
) -> Result<Observed, AwsError> {
    let efs = &cx.clients.efs;
    let id = found.file_system_id();
    let (lifecycle, backup) = tokio::join!(
        efs.describe_lifecycle_configuration()
            .file_system_id(id)
            .send(),
        efs.describe_backup_policy().file_system_id(id).send(),
    );
    let lifecycle = lifecycle.aws("DescribeLifecycleConfiguration")?;
    let ia_days = lifecycle
        .lifecycle_policies()
        .iter()
        .find_map(|policy| policy.transition_to_ia().and_then(days));
    let backups = match backup.aws("DescribeBackupPolicy") {
        Ok(found) => found
            .backup_policy()
            .is_some_and(|policy| matches!(policy.status(), Status::Enabled | Status::Enabling)),
        // No policy: never turned on.
        Err(error) if error.kind == ErrorKind::NotFound => false,
        Err(error) => return Err(error),
    };
    let throughput = found
        .throughput_mode()
        .map_or("bursting", |mode| mode.as_str());
    let props = FileSystemProps {
        encrypted: found.encrypted().unwrap_or(false),
        kms_key: found
            .kms_key_id()
            .map_or(Value::Null, |key| Value::Phys(key.to_string())),
        performance_mode: found.performance_mode().as_str().to_string(),
        throughput_mode: throughput.to_string(),
        provisioned_mibps: found
            .provisioned_throughput_in_mibps()
            .filter(|_| throughput == "provisioned")
            .map(|mibps| mibps as i64),
        ia_after_days: ia_days,
        backups,
        tags: tags::observed_tag_map(pairs(found.tags())),
    };
    let mut resource = Observed::new(logical, id, props.into_props());
    if let Some(arn) = found.file_system_arn() {
        resource.extra.insert("arn".into(), arn.to_string());
    }
    Ok(resource)
}

#[async_trait]
impl crate::engine::kind::Kind for FileSystemAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let reads = stack_file_systems(cx)
            .await?
            .iter()
            .map(|owned| read(cx, &owned.description, owned.id.clone()));
        futures::future::try_join_all(reads).await
    }

    /// The file system pinned (by id: one CDK made is tagged with its construct's path),
    /// or the one whose `Name` tag is the manifest's, with its mount targets (the stack's
    /// with it).
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = FileSystemProps::from_props(&desired.props)?;
        let request = op.cx.clients.efs.describe_file_systems();
        let pages: Vec<_> = match pin {
            Some(id) => match request
                .file_system_id(id)
                .send()
                .await
                .aws("DescribeFileSystems")
            {
                Ok(page) => vec![page],
                Err(error) if error.kind == ErrorKind::NotFound => return Ok(Found::Nothing),
                Err(error) => return Err(error),
            },
            None => request
                .into_paginator()
                .send()
                .try_collect()
                .await
                .aws("DescribeFileSystems")?,
        };
        let name = props.tags.get("Name");
        let live: Vec<&FileSystemDescription> = pages
            .iter()
            .flat_map(|page| page.file_systems())
            .filter(|found| {
                !matches!(
                    found.life_cycle_state(),
                    LifeCycleState::Deleted | LifeCycleState::Deleting
                )
            })
            .filter(|found| {
                pin.is_some()
                    || found
                        .name()
                        .is_some_and(|tag| Some(&tag.to_string()) == name)
            })
            .collect();
        let mut matches = Vec::new();
        for found in live {
            matches.push((
                super::efs::owned_pairs(found.tags()),
                read(op.cx, found, op.id.clone()).await?,
            ));
        }
        let mut found = crate::aws::adopt::pick(op, "file system", matches).await?;
        if let Found::Live { observed, also, .. } = &mut found {
            also.extend(
                super::mount_target::read_targets(op.cx, &observed.physical_id, op.id.name())
                    .await?,
            );
        }
        Ok(found)
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        tags::adopt(&Efs(&op.cx.clients.efs), &found.physical_id, op, desired).await
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let efs = &op.cx.clients.efs;
        let props = FileSystemProps::from_props(&desired.props)?;
        let kms_key = op.resolve_optional(&props.kms_key)?;
        let created = efs
            .create_file_system()
            .creation_token(creation_token(op, &props, kms_key.as_deref()))
            .encrypted(props.encrypted)
            .set_kms_key_id(kms_key)
            .performance_mode(PerformanceMode::from(props.performance_mode.as_str()))
            .throughput_mode(ThroughputMode::from(props.throughput_mode.as_str()))
            .set_provisioned_throughput_in_mibps(props.provisioned_mibps.map(|mibps| mibps as f64))
            .backup(props.backups)
            .set_tags(Some(efs_tags(tags::for_create(op, &props.tags))?))
            .send()
            .await
            .aws("CreateFileSystem")?;
        let id = created.file_system_id().to_string();
        op.made(&id);
        super::efs::wait_available(op, "the file system", || async {
            let found = efs
                .describe_file_systems()
                .file_system_id(&id)
                .send()
                .await
                .aws("DescribeFileSystems")?;
            Ok(found
                .file_systems()
                .first()
                .map(|fs| fs.life_cycle_state().clone()))
        })
        .await?;
        if let Some(days) = props.ia_after_days {
            put_lifecycle(op, &id, Some(days)).await?;
        }
        Ok(id)
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        let efs = &op.cx.clients.efs;
        let id = &observed.physical_id;
        let props = FileSystemProps::from_props(&desired.props)?;
        let live = FileSystemProps::from_props(&observed.props)?;
        let changed = FileSystemProps::changed(changes);
        if changed.throughput_mode || changed.provisioned_mibps {
            efs.update_file_system()
                .file_system_id(id)
                .throughput_mode(ThroughputMode::from(props.throughput_mode.as_str()))
                .set_provisioned_throughput_in_mibps(
                    props.provisioned_mibps.map(|mibps| mibps as f64),
                )
                .send()
                .await
                .aws("UpdateFileSystem")?;
        }
        if changed.ia_after_days {
            put_lifecycle(op, id, props.ia_after_days).await?;
        }
        if changed.backups {
            let status = if props.backups {
                Status::Enabled
            } else {
                Status::Disabled
            };
            let policy = BackupPolicy::builder()
                .status(status)
                .build()
                .map_err(|error| {
                    AwsError::new(ErrorKind::Other, "PutBackupPolicy", error.to_string())
                })?;
            efs.put_backup_policy()
                .file_system_id(id)
                .backup_policy(policy)
                .send()
                .await
                .aws("PutBackupPolicy")?;
        }
        tags::sync(&Efs(efs), id, &live.tags, &props.tags).await
    }

    /// Its mount targets go first (by the graph); EFS refuses the file system while they
    /// are being deleted (FileSystemInUse), which the walk waits out.
    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        op.cx
            .clients
            .efs
            .delete_file_system()
            .file_system_id(&observed.physical_id)
            .send()
            .await
            .aws("DeleteFileSystem")
            .map(drop)
    }
}

use crate::aws::permissions::{On, Permission};

/// The IAM permissions this kind's calls need (`edgectl policy`); the suite's
/// `policy` test runs each shipped manifest with no more than these.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        actions: &[
            "elasticfilesystem:DescribeFileSystems",
            "elasticfilesystem:DescribeMountTargets",
            "elasticfilesystem:DescribeMountTargetSecurityGroups",
            "elasticfilesystem:DescribeAccessPoints",
            "elasticfilesystem:DescribeBackupPolicy",
            "elasticfilesystem:DescribeLifecycleConfiguration",
            "elasticfilesystem:CreateFileSystem",
            "elasticfilesystem:UpdateFileSystem",
            "elasticfilesystem:CreateMountTarget",
            "elasticfilesystem:ModifyMountTargetSecurityGroups",
            "elasticfilesystem:CreateAccessPoint",
            "elasticfilesystem:PutBackupPolicy",
            "elasticfilesystem:PutLifecycleConfiguration",
            "elasticfilesystem:TagResource",
            "elasticfilesystem:UntagResource",
            "elasticfilesystem:ListTagsForResource",
        ],
        on: On::Any,
    },
    Permission {
        actions: &[
            "elasticfilesystem:DeleteFileSystem",
            "elasticfilesystem:DeleteMountTarget",
            "elasticfilesystem:DeleteAccessPoint",
        ],
        on: On::Owned,
    },
    Permission {
        actions: &[
            "ec2:DescribeSubnets",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeNetworkInterfaceAttribute",
            "ec2:CreateNetworkInterface",
            "ec2:DeleteNetworkInterface",
            "ec2:ModifyNetworkInterfaceAttribute",
        ],
        on: On::Any,
    },
    Permission {
        actions: &["iam:CreateServiceLinkedRole"],
        on: On::ServiceLinked("elasticfilesystem.amazonaws.com"),
    },
    // A file system encrypted with the stack's key: EFS holds a grant on it.
    Permission {
        actions: &["kms:CreateGrant", "kms:DescribeKey"],
        on: On::Owned,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ia_rules_read_as_days() {
        for day in [1, 7, 14, 30, 60, 90, 180, 270, 365] {
            assert_eq!(days(&transition(day).unwrap()), Some(day));
        }
        assert_eq!(transition(15), None);
    }
}
