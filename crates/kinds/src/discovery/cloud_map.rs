//! Cloud Map: private DNS namespaces (`namespace.rs`) and their discovery services
//! (`service.rs`), which ECS registers a service's tasks with. Both share one read of the
//! stack's namespaces, and the wait for Cloud Map's asynchronous operations.

use aws_sdk_servicediscovery::types::{
    NamespaceFilter, NamespaceFilterName, NamespaceType, OperationStatus, Tag,
};

use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::{Cx, OpCx, tags};

/// The VPC a namespace was made in, which Cloud Map does not read back (its hosted zone
/// knows it); written in the create call, and the VPC of a namespace never changes.
pub const VPC_TAG: &str = "edgectl:vpc";

/// One of the stack's namespaces as listed, with its tags.
#[derive(Clone, Debug)]
pub struct OwnedNamespace {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub description: String,
    pub tags: Vec<(String, String)>,
}

pub fn sd_tags(pairs: Vec<(String, String)>) -> Result<Vec<Tag>, AwsError> {
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

crate::aws::tagging_by_arn!(struct CloudMap(aws_sdk_servicediscovery::Client), sd_tags, resource_arn);

/// What the namespace and discovery adapters share, read once per command.
#[derive(Default)]
pub struct Reads {
    /// The account's private DNS namespaces with their tags.
    namespaces: tokio::sync::OnceCell<Vec<OwnedNamespace>>,
    /// The namespaces that may be the stack's (`stack_namespaces`).
    stack: tokio::sync::OnceCell<Vec<OwnedNamespace>>,
}

/// A resource's tags (Cloud Map lists none with its resources).
pub async fn tags_of(cx: &Cx, arn: &str) -> Result<Vec<(String, String)>, AwsError> {
    let listed = cx
        .clients
        .discovery
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .aws("ListTagsForResource")?;
    Ok(listed
        .tags()
        .iter()
        .map(|tag| (tag.key().to_string(), tag.value().to_string()))
        .collect())
}

/// The account's private DNS namespaces, each with its tags: one ListNamespaces, one
/// ListTagsForResource per namespace.
pub async fn private_namespaces(cx: &Cx) -> Result<&[OwnedNamespace], AwsError> {
    cx.reads
        .kinds
        .get::<Reads>()
        .namespaces
        .get_or_try_init(|| async {
            let filter = NamespaceFilter::builder()
                .name(NamespaceFilterName::Type)
                .values(NamespaceType::DnsPrivate.as_str())
                .build()
                .map_err(|error| {
                    AwsError::new(ErrorKind::Other, "ListNamespaces", error.to_string())
                })?;
            let pages: Vec<_> = cx
                .clients
                .discovery
                .list_namespaces()
                .filters(filter)
                .into_paginator()
                .send()
                .try_collect()
                .await
                .aws("ListNamespaces")?;
            let listed: Vec<_> = pages
                .iter()
                .flat_map(|page| page.namespaces())
                .filter(|namespace| namespace.r#type() == Some(&NamespaceType::DnsPrivate))
                .cloned()
                .collect();
            let reads = listed.iter().map(|namespace| async move {
                let arn = namespace
                    .arn()
                    .ok_or_else(|| AwsError::missing("ListNamespaces", "Arn"))?;
                Ok::<_, AwsError>(OwnedNamespace {
                    id: namespace
                        .id()
                        .ok_or_else(|| AwsError::missing("ListNamespaces", "Id"))?
                        .to_string(),
                    arn: arn.to_string(),
                    name: namespace
                        .name()
                        .ok_or_else(|| AwsError::missing("ListNamespaces", "Name"))?
                        .to_string(),
                    // Cloud Map lists no description for a namespace made without one.
                    description: namespace.description().unwrap_or_default().to_string(),
                    tags: tags_of(cx, arn).await?,
                })
            });
            futures::future::try_join_all(reads).await
        })
        .await
        .map(Vec::as_slice)
}

/// The private DNS namespaces of these ids, each with its tags (one gone since it was
/// listed is left out).
async fn by_ids(cx: &Cx, ids: Vec<String>) -> Result<Vec<OwnedNamespace>, AwsError> {
    let reads = ids.into_iter().map(|id| async move {
        let found = crate::aws::errors::present(
            cx.clients
                .discovery
                .get_namespace()
                .id(&id)
                .send()
                .await
                .aws("GetNamespace"),
        )?;
        let Some(namespace) = found.as_ref().and_then(|found| found.namespace()) else {
            return Ok(None);
        };
        if namespace.r#type() != Some(&NamespaceType::DnsPrivate) {
            return Ok(None);
        }
        let arn = namespace
            .arn()
            .ok_or_else(|| AwsError::missing("GetNamespace", "Arn"))?;
        Ok::<_, AwsError>(Some(OwnedNamespace {
            id,
            arn: arn.to_string(),
            name: namespace
                .name()
                .ok_or_else(|| AwsError::missing("GetNamespace", "Name"))?
                .to_string(),
            description: namespace.description().unwrap_or_default().to_string(),
            tags: tags_of(cx, arn).await?,
        }))
    });
    Ok(futures::future::try_join_all(reads)
        .await?
        .into_iter()
        .flatten()
        .collect())
}

/// The stack's own namespaces: those the tagging API lists as the stack's, each read by
/// its id, or (when it does not hold them all yet) from the account's listing.
pub async fn stack_namespaces(cx: &Cx) -> Result<Vec<&OwnedNamespace>, AwsError> {
    let candidates = cx
        .reads
        .kinds
        .get::<Reads>()
        .stack
        .get_or_try_init(|| {
            tags::discover(
                cx,
                crate::aws::ids::NAMESPACE,
                ":namespace/",
                false,
                |namespace: &OwnedNamespace| {
                    tags::owned_id(
                        &cx.stack,
                        namespace.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    )
                },
                async |arns| by_ids(cx, tags::arn_names(&arns, ":namespace/")).await,
                async || Ok(private_namespaces(cx).await?.to_vec()),
            )
        })
        .await?;
    Ok(candidates
        .iter()
        .filter(|namespace| {
            tags::owned_id(
                &cx.stack,
                namespace.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            )
            .is_some()
        })
        .collect())
}

/// Waits for one of Cloud Map's asynchronous operations; returns its target of `kind`
/// (`NAMESPACE`, `SERVICE`).
pub async fn finished(op: &OpCx<'_>, operation: &str, kind: &str) -> Result<String, AwsError> {
    let discovery = &op.cx.clients.discovery;
    crate::engine::retry::poll(op.cx.timeout, "Cloud Map's operation", || async {
        let got = discovery
            .get_operation()
            .operation_id(operation)
            .send()
            .await
            .aws("GetOperation")?;
        let Some(found) = got.operation() else {
            return Err(AwsError::missing("GetOperation", "Operation"));
        };
        match found.status() {
            Some(OperationStatus::Success) => Ok(Some(
                found
                    .targets()
                    .and_then(|targets| {
                        targets
                            .iter()
                            .find(|(target, _)| target.as_str() == kind)
                            .map(|(_, id)| id.clone())
                    })
                    .unwrap_or_default(),
            )),
            Some(OperationStatus::Fail) => Err(AwsError::new(
                ErrorKind::Other,
                "GetOperation",
                format!(
                    "Cloud Map's operation failed: {} {}",
                    found.error_code().unwrap_or_default(),
                    found.error_message().unwrap_or_default()
                ),
            )),
            _ => {
                op.status("waiting for Cloud Map");
                Ok(None)
            }
        }
    })
    .await
}
