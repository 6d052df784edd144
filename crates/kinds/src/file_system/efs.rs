//! What the EFS adapters share: the tagging, the wait for what was just made, and one
//! read of the stack's file systems. Mount targets take no tags: they are the stack's
//! because their file system is.

use aws_sdk_efs::types::{FileSystemDescription, Tag};

use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::{Cx, tags};
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

crate::aws::tagging_by_arn!(struct Efs(aws_sdk_efs::Client), efs_tags, resource_id);

/// What the EFS adapters share, read once per command.
#[derive(Default)]
pub struct Reads {
    /// The stack's file systems.
    file_systems: tokio::sync::OnceCell<Vec<OwnedFileSystem>>,
}

pub fn pairs(tags: &[Tag]) -> impl Iterator<Item = (&str, &str)> {
    tags.iter().map(|tag| (tag.key(), tag.value()))
}

/// Tags as owned pairs (what `edgectl adopt`'s checks read).
pub fn owned_pairs(tags: &[Tag]) -> Vec<(String, String)> {
    pairs(tags)
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

/// Polls `state` (a describe of what was just made) until it is `available`, saying so.
pub async fn wait_available<F, Fut>(
    op: &crate::aws::OpCx<'_>,
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

/// The stack's file systems (tags come with them): those the tagging API lists as the
/// stack's, each described by its id; when it does not hold them all yet, every file
/// system of the region.
pub async fn stack_file_systems(cx: &Cx) -> Result<&[OwnedFileSystem], AwsError> {
    cx.reads
        .kinds
        .get::<Reads>()
        .file_systems
        .get_or_try_init(|| async {
            let efs = &cx.clients.efs;
            tags::discover(
                cx,
                crate::aws::ids::FILE_SYSTEM,
                ":file-system/",
                false,
                |found: &OwnedFileSystem| Some(found.id.clone()),
                async |arns| {
                    let ids = tags::arn_names(&arns, ":file-system/");
                    let reads = ids.iter().map(|id| async move {
                        crate::aws::errors::present(
                            efs.describe_file_systems()
                                .file_system_id(id)
                                .send()
                                .await
                                .aws("DescribeFileSystems"),
                        )
                    });
                    let pages: Vec<_> = futures::future::try_join_all(reads)
                        .await?
                        .into_iter()
                        .flatten()
                        .collect();
                    Ok(owned(cx, pages.iter().flat_map(|page| page.file_systems())))
                },
                async || {
                    let pages: Vec<_> = efs
                        .describe_file_systems()
                        .into_paginator()
                        .send()
                        .try_collect()
                        .await
                        .aws("DescribeFileSystems")?;
                    Ok(owned(cx, pages.iter().flat_map(|page| page.file_systems())))
                },
            )
            .await
        })
        .await
        .map(Vec::as_slice)
}

/// The stack's file systems among `found` (those deleted or being deleted left out).
fn owned<'a>(
    cx: &Cx,
    found: impl Iterator<Item = &'a FileSystemDescription>,
) -> Vec<OwnedFileSystem> {
    found
        .filter(|found| {
            !matches!(
                found.life_cycle_state(),
                aws_sdk_efs::types::LifeCycleState::Deleted
                    | aws_sdk_efs::types::LifeCycleState::Deleting
            )
        })
        .filter_map(|found| {
            let id = tags::owned_id(&cx.stack, pairs(found.tags()))?;
            (id.kind() == crate::aws::ids::FILE_SYSTEM).then(|| OwnedFileSystem {
                id,
                description: found.clone(),
            })
        })
        .collect()
}
