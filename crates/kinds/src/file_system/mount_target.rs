//! EFS mount targets (`mount_target.<file system>.<zone>`): one in each subnet of the
//! file system's tier, with its security groups (changed in place). EFS takes no tags on a
//! mount target: it is the stack's because its file system is, and it is found by listing
//! the stack's file systems' mount targets, so one a killed apply made is found again.
//! A second in the zone is refused by EFS (MountTargetConflict), which the walk reads as
//! "made already". The physical id is the mount target id (`fsmt-...`).

use async_trait::async_trait;
use aws_sdk_efs::types::LifeCycleState;

use super::efs::stack_file_systems;
use super::lower::MountTargetProps;
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::ids::{MOUNT_TARGET as KIND, mount_target_id};
use crate::aws::{Cx, OpCx};
use crate::engine::diff::Change;
use crate::engine::model::{Desired, Observed, Value};
use crate::engine::typed::Properties as _;

/// The mount targets of `file_system`, under the ids of the manifest's file system `key`
/// (a mount target has no tags: it is the stack's with its file system).
pub(super) async fn read_targets(
    cx: &Cx,
    file_system: &str,
    key: &str,
) -> Result<Vec<Observed>, AwsError> {
    let efs = &cx.clients.efs;
    let listed = efs
        .describe_mount_targets()
        .file_system_id(file_system)
        .send()
        .await
        .aws("DescribeMountTargets")?;
    let reads = listed
        .mount_targets()
        .iter()
        .filter(|target| {
            !matches!(
                target.life_cycle_state(),
                LifeCycleState::Deleting | LifeCycleState::Deleted
            )
        })
        .map(|target| async move {
            let groups = efs
                .describe_mount_target_security_groups()
                .mount_target_id(target.mount_target_id())
                .send()
                .await
                .aws("DescribeMountTargetSecurityGroups")?;
            // Part of its logical id: without it, the target is not known.
            let zone = target
                .availability_zone_name()
                .ok_or_else(|| AwsError::missing("DescribeMountTargets", "AvailabilityZoneName"))?;
            let props = MountTargetProps {
                file_system: Value::Phys(target.file_system_id().to_string()),
                subnet: Value::Phys(target.subnet_id().to_string()),
                security_groups: groups
                    .security_groups()
                    .iter()
                    .map(|group| Value::Phys(group.clone()))
                    .collect(),
            };
            Ok::<_, AwsError>(Observed::new(
                mount_target_id(key, zone),
                target.mount_target_id(),
                props.into_props(),
            ))
        });
    futures::future::try_join_all(reads).await
}

pub struct MountTargetAdapter;

fn groups(op: &OpCx<'_>, props: &MountTargetProps) -> Result<Vec<String>, AwsError> {
    let mut groups: Vec<String> = props
        .security_groups
        .iter()
        .map(|group| op.resolve(group))
        .collect::<Result<_, _>>()?;
    groups.sort();
    Ok(groups)
}

#[async_trait]
impl crate::engine::kind::Kind for MountTargetAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    /// One DescribeMountTargets per file system, one DescribeMountTargetSecurityGroups per
    /// mount target (EFS lists none with them).
    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let listings = stack_file_systems(cx)
            .await?
            .iter()
            .map(|owned| read_targets(cx, owned.description.file_system_id(), owned.id.name()));
        Ok(futures::future::try_join_all(listings)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let efs = &op.cx.clients.efs;
        let props = MountTargetProps::from_props(&desired.props)?;
        let created = efs
            .create_mount_target()
            .file_system_id(op.resolve(&props.file_system)?)
            .subnet_id(op.resolve(&props.subnet)?)
            .set_security_groups(Some(groups(op, &props)?))
            .send()
            .await
            .aws("CreateMountTarget")?;
        let id = created.mount_target_id().to_string();
        op.made(&id);
        // Tasks mounting the file system need the target answering.
        super::efs::wait_available(op, "the mount target", || async {
            let found = efs
                .describe_mount_targets()
                .mount_target_id(&id)
                .send()
                .await
                .aws("DescribeMountTargets")?;
            Ok(found
                .mount_targets()
                .first()
                .map(|target| target.life_cycle_state().clone()))
        })
        .await?;
        Ok(id)
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        if MountTargetProps::changed(changes).security_groups {
            let props = MountTargetProps::from_props(&desired.props)?;
            op.cx
                .clients
                .efs
                .modify_mount_target_security_groups()
                .mount_target_id(&observed.physical_id)
                .set_security_groups(Some(groups(op, &props)?))
                .send()
                .await
                .aws("ModifyMountTargetSecurityGroups")?;
        }
        Ok(())
    }

    /// Deletes, and when something waits on it (the file system, its subnet and groups),
    /// waits until it is gone: EFS refuses to delete a file system while a mount target
    /// is still `deleting` (the Terraform provider's `waitMountTargetDeleted`).
    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let efs = &op.cx.clients.efs;
        let id = &observed.physical_id;
        efs.delete_mount_target()
            .mount_target_id(id)
            .send()
            .await
            .aws("DeleteMountTarget")?;
        if !op.wait {
            return Ok(());
        }
        op.status("waiting for the mount target to be deleted");
        crate::engine::retry::poll(op.cx.timeout, "the mount target to be deleted", || async {
            let found = efs
                .describe_mount_targets()
                .mount_target_id(id)
                .send()
                .await
                .aws("DescribeMountTargets");
            match found {
                Err(error) if error.kind == ErrorKind::NotFound => Ok(Some(())),
                Err(error) => Err(error),
                Ok(found) => Ok(found
                    .mount_targets()
                    .first()
                    .is_none_or(|target| target.life_cycle_state() == &LifeCycleState::Deleted)
                    .then_some(())),
            }
        })
        .await
    }
}
