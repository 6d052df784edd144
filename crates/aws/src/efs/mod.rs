//! EFS: file systems (`file_system.rs`), their mount targets (`mount_target.rs`) and
//! access points (`access_point.rs`), over one shared read of the stack's file systems.
//! Mount targets take no tags: they are the stack's because their file system is.

pub mod access_point;
pub mod file_system;
pub mod mount_target;

use aws_sdk_efs::types::{FileSystemDescription, Tag};

use super::errors::{AwsError, AwsResultExt, ErrorKind};
use super::{Cx, tags};
use crate::engine::model::ResourceId;

pub fn efs_tags(pairs: Vec<(String, String)>) -> Result<Vec<Tag>, AwsError> {
    pairs
        .into_iter()
        .map(|(key, value)| {
            Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|error| AwsError::new(ErrorKind::Other, "TagResource", error.to_string()))
        })
        .collect()
}

tags::tagging_by_arn!(aws_sdk_efs::Client, efs_tags, resource_id);

pub fn pairs(tags: &[Tag]) -> impl Iterator<Item = (&str, &str)> {
    tags.iter().map(|tag| (tag.key(), tag.value()))
}

/// Polls `state` (a describe of what was just made) until it is `available`, saying so.
pub async fn wait_available<F, Fut>(
    op: &super::OpCx<'_>,
    what: &str,
    mut state: F,
) -> Result<(), AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<aws_sdk_efs::types::LifeCycleState>, AwsError>>,
{
    op.status(&format!("waiting for {what} to be available"));
    crate::engine::retry::poll(op.cx.timeout, what, || {
        let found = state();
        async move {
            Ok((found.await? == Some(aws_sdk_efs::types::LifeCycleState::Available)).then_some(()))
        }
    })
    .await
}

/// One of the stack's file systems, with its logical id.
pub struct OwnedFileSystem {
    pub id: ResourceId,
    pub description: FileSystemDescription,
}

/// The stack's file systems: one DescribeFileSystems (tags come with it).
pub async fn stack_file_systems(cx: &Cx) -> Result<&[OwnedFileSystem], AwsError> {
    cx.reads
        .file_systems
        .get_or_try_init(|| async {
            let pages: Vec<_> = cx
                .clients
                .efs
                .describe_file_systems()
                .into_paginator()
                .send()
                .try_collect()
                .await
                .aws("DescribeFileSystems")?;
            Ok(pages
                .iter()
                .flat_map(|page| page.file_systems())
                .filter(|found| {
                    !matches!(
                        found.life_cycle_state(),
                        aws_sdk_efs::types::LifeCycleState::Deleted
                            | aws_sdk_efs::types::LifeCycleState::Deleting
                    )
                })
                .filter_map(|found| {
                    let id = tags::owned_id(&cx.stack, pairs(found.tags()))?;
                    (id.kind() == crate::ids::FILE_SYSTEM).then(|| OwnedFileSystem {
                        id,
                        description: found.clone(),
                    })
                })
                .collect())
        })
        .await
        .map(Vec::as_slice)
}
