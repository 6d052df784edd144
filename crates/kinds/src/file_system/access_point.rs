//! EFS access points (`access_point.<file system>.<name>`): a root directory made with
//! an owner and permissions, and the POSIX identity every client gets. All of it makes a
//! new access point; tags change in place. Created with the ownership tags and a client
//! token; found by listing the stack's file systems' access points (tags come with them).
//! The physical id is the access point id (`fsap-...`).

use async_trait::async_trait;
use aws_sdk_efs::types::{
    AccessPointDescription, CreationInfo, LifeCycleState, PosixUser, RootDirectory,
};

use super::efs::{Efs, efs_tags, owned_pairs, pairs, stack_file_systems};
use super::lower::AccessPointProps;
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::ids::ACCESS_POINT as KIND;
use crate::aws::naming::client_token;
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::Change;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::Properties as _;

/// An access point as the stack sees it, under `id`.
fn read(point: &AccessPointDescription, id: ResourceId) -> Result<Observed, AwsError> {
    let physical = point
        .access_point_id()
        .ok_or_else(|| AwsError::missing("DescribeAccessPoints", "AccessPointId"))?;
    let root = point.root_directory();
    let creation = root.and_then(|root| root.creation_info());
    let user = point.posix_user();
    let missing = |field: &str| AwsError::missing("DescribeAccessPoints", field);
    let props = AccessPointProps {
        file_system: Value::Phys(
            point
                .file_system_id()
                .ok_or_else(|| missing("FileSystemId"))?
                .to_string(),
        ),
        path: root.and_then(|root| root.path()).unwrap_or("/").to_string(),
        uid: user.ok_or_else(|| missing("PosixUser"))?.uid(),
        gid: user.ok_or_else(|| missing("PosixUser"))?.gid(),
        permissions: creation
            .ok_or_else(|| missing("RootDirectory.CreationInfo"))?
            .permissions()
            .to_string(),
        tags: tags::observed_tag_map(pairs(point.tags())),
    };
    Ok(Observed::new(id, physical, props.into_props()))
}

pub struct AccessPointAdapter;

fn built<T, E: std::fmt::Display>(result: Result<T, E>) -> Result<T, AwsError> {
    result.map_err(|error| AwsError::new(ErrorKind::Other, "CreateAccessPoint", error.to_string()))
}

#[async_trait]
impl crate::engine::kind::Kind for AccessPointAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    /// One DescribeAccessPoints per file system of the stack.
    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let efs = &cx.clients.efs;
        let listings = stack_file_systems(cx)
            .await?
            .iter()
            .map(|owned| async move {
                let pages: Vec<_> = efs
                    .describe_access_points()
                    .file_system_id(owned.description.file_system_id())
                    .into_paginator()
                    .send()
                    .try_collect()
                    .await
                    .aws("DescribeAccessPoints")?;
                let mut out = Vec::new();
                for point in pages.iter().flat_map(|page| page.access_points()) {
                    let Some(id) = tags::owned_id(&cx.stack, pairs(point.tags())) else {
                        continue;
                    };
                    if id.kind() != KIND
                        || matches!(
                            point.life_cycle_state(),
                            Some(LifeCycleState::Deleting | LifeCycleState::Deleted)
                        )
                    {
                        continue;
                    }
                    out.push(read(point, id)?);
                }
                Ok::<_, AwsError>(out)
            });
        Ok(futures::future::try_join_all(listings)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }

    /// The access point of the manifest's path on the file system found (or the one
    /// pinned, by id, which must be that file system's).
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = AccessPointProps::from_props(&desired.props)?;
        let file_system = op.resolve(&props.file_system)?;
        let pages: Vec<_> = op
            .cx
            .clients
            .efs
            .describe_access_points()
            .file_system_id(&file_system)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .aws("DescribeAccessPoints")?;
        let matches: Vec<&AccessPointDescription> = pages
            .iter()
            .flat_map(|page| page.access_points())
            .filter(|point| {
                !matches!(
                    point.life_cycle_state(),
                    Some(LifeCycleState::Deleting | LifeCycleState::Deleted)
                )
            })
            .filter(|point| match pin {
                Some(pin) => point.access_point_id() == Some(pin),
                None => {
                    point
                        .root_directory()
                        .and_then(|root| root.path())
                        .unwrap_or("/")
                        == props.path
                }
            })
            .collect();
        // One made without a POSIX user or root directory permissions is not the
        // manifest's, which has both.
        let (complete, partial): (Vec<_>, Vec<_>) = matches.into_iter().partition(|point| {
            point.posix_user().is_some()
                && point
                    .root_directory()
                    .and_then(|root| root.creation_info())
                    .is_some()
        });
        if complete.is_empty()
            && let Some(point) = partial.first()
        {
            return Ok(Found::Refused(format!(
                "access point `{}` has no POSIX user or no root directory permissions, which the manifest's has: make one that has both, or leave it out",
                point.access_point_id().unwrap_or_default()
            )));
        }
        let mut found = Vec::new();
        for point in complete {
            found.push((owned_pairs(point.tags()), read(point, op.id.clone())?));
        }
        crate::aws::adopt::pick(op, "access point", found).await
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
        let props = AccessPointProps::from_props(&desired.props)?;
        let file_system = op.resolve(&props.file_system)?;
        let path = props.path.as_str();
        let (uid, gid) = (props.uid, props.gid);
        let creation = built(
            CreationInfo::builder()
                .owner_uid(uid)
                .owner_gid(gid)
                .permissions(&props.permissions)
                .build(),
        )?;
        let created = op
            .cx
            .clients
            .efs
            .create_access_point()
            .client_token(client_token(op.cx, op.id, &format!("{file_system} {path}")))
            .file_system_id(&file_system)
            .posix_user(built(PosixUser::builder().uid(uid).gid(gid).build())?)
            .root_directory(
                RootDirectory::builder()
                    .path(path)
                    .creation_info(creation)
                    .build(),
            )
            .set_tags(Some(efs_tags(tags::for_create(op, &props.tags))?))
            .send()
            .await
            .aws("CreateAccessPoint")?;
        Ok(created
            .access_point_id()
            .ok_or_else(|| AwsError::missing("CreateAccessPoint", "AccessPointId"))?
            .to_string())
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        _changes: &[Change],
    ) -> Result<(), AwsError> {
        let props = AccessPointProps::from_props(&desired.props)?;
        let live = AccessPointProps::from_props(&observed.props)?;
        tags::sync(
            &Efs(&op.cx.clients.efs),
            &observed.physical_id,
            &live.tags,
            &props.tags,
        )
        .await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        op.cx
            .clients
            .efs
            .delete_access_point()
            .access_point_id(&observed.physical_id)
            .send()
            .await
            .aws("DeleteAccessPoint")
            .map(drop)
    }
}
