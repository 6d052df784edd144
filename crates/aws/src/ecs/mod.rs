//! What ECS's kinds (`kinds/cluster`, `kinds/service`) share: the account's clusters, read
//! once; the services of the stack's clusters, which the services' and their scaling's
//! adapters both read; the tagging.

use aws_sdk_ecs::types::Tag;

/// A service of one of the stack's clusters, as described (active ones only).
#[derive(Clone, Debug)]
pub struct ClusterService {
    pub cluster: String,
    pub service: aws_sdk_ecs::types::Service,
}

impl ClusterService {
    /// Its logical id, when the stack owns it.
    pub fn owned_id(&self, stack: &str) -> Option<crate::engine::model::ResourceId> {
        super::tags::owned_id(stack, tag_pairs(self.service.tags()))
    }
}

/// The services of the stack's clusters, read once per command: the service and auto
/// scaling adapters both need them. Listed per cluster; DescribeServices takes up to 10.
pub async fn services(cx: &super::Cx) -> Result<&[ClusterService], super::errors::AwsError> {
    use super::errors::AwsResultExt as _;
    let services = cx
        .reads
        .ecs_services
        .get_or_try_init(|| async {
            let ecs = &cx.clients.ecs;
            let owned_clusters: Vec<String> = stack_clusters(cx)
                .await?
                .iter()
                .filter_map(|cluster| cluster.cluster_arn().map(str::to_string))
                .collect();
            let per_cluster = owned_clusters.iter().map(|cluster| async move {
                let arns: Vec<String> = ecs
                    .list_services()
                    .cluster(cluster)
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect()
                    .await
                    .aws("ListServices")?;
                let pages = arns.chunks(10).map(|chunk| {
                    ecs.describe_services()
                        .cluster(cluster)
                        .set_services(Some(chunk.to_vec()))
                        .include(aws_sdk_ecs::types::ServiceField::Tags)
                        .send()
                });
                let described = futures::future::try_join_all(pages)
                    .await
                    .aws("DescribeServices")?;
                Ok::<_, super::errors::AwsError>(
                    described
                        .iter()
                        .flat_map(|page| page.services())
                        .filter(|service| service.status() == Some("ACTIVE"))
                        .map(|service| ClusterService {
                            cluster: cluster.clone(),
                            service: service.clone(),
                        })
                        .collect::<Vec<_>>(),
                )
            });
            Ok::<_, super::errors::AwsError>(
                futures::future::try_join_all(per_cluster)
                    .await?
                    .into_iter()
                    .flatten()
                    .collect(),
            )
        })
        .await?;
    Ok(services.as_slice())
}

/// Every cluster of the account with its tags and settings, read once per command: the
/// cluster and service adapters both need them.
pub async fn clusters(
    cx: &super::Cx,
) -> Result<&[aws_sdk_ecs::types::Cluster], super::errors::AwsError> {
    use super::errors::AwsResultExt as _;
    let clusters = cx
        .reads
        .ecs_clusters
        .get_or_try_init(|| async {
            let ecs = &cx.clients.ecs;
            let arns: Vec<String> = ecs
                .list_clusters()
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .aws("ListClusters")?;
            described(cx, &arns).await
        })
        .await?;
    Ok(clusters.as_slice())
}

/// The active clusters of these names or ARNs with their tags and settings, 100 to a
/// DescribeClusters (which answers a missing one as a failure beside the others).
pub async fn described(
    cx: &super::Cx,
    clusters: &[String],
) -> Result<Vec<aws_sdk_ecs::types::Cluster>, super::errors::AwsError> {
    use super::errors::AwsResultExt as _;
    let pages = clusters.chunks(100).map(|chunk| {
        cx.clients
            .ecs
            .describe_clusters()
            .set_clusters(Some(chunk.to_vec()))
            .include(aws_sdk_ecs::types::ClusterField::Tags)
            .include(aws_sdk_ecs::types::ClusterField::Settings)
            .send()
    });
    let described = futures::future::try_join_all(pages)
        .await
        .aws("DescribeClusters")?;
    Ok(described
        .iter()
        .flat_map(|page| page.clusters())
        .filter(|cluster| cluster.status() == Some("ACTIVE"))
        .cloned()
        .collect())
}

/// The stack's clusters, read once per command: those the tagging API lists as the
/// stack's, described by name; when it does not hold them all yet, from every cluster of
/// the account ([`clusters`]; `tags::discover`).
pub async fn stack_clusters(
    cx: &super::Cx,
) -> Result<&[aws_sdk_ecs::types::Cluster], super::errors::AwsError> {
    let owned = cx
        .reads
        .ecs_stack_clusters
        .get_or_try_init(|| {
            let owned = |cluster: &aws_sdk_ecs::types::Cluster| {
                super::tags::owned_id(&cx.stack, tag_pairs(cluster.tags()))
            };
            super::tags::discover(
                cx,
                super::ids::CLUSTER,
                ":cluster/",
                false,
                owned,
                async move |arns| {
                    let found = described(cx, &arns).await?;
                    Ok(found.into_iter().filter(|c| owned(c).is_some()).collect())
                },
                async move || {
                    let found = clusters(cx).await?;
                    Ok(found
                        .iter()
                        .filter(|c| owned(c).is_some())
                        .cloned()
                        .collect())
                },
            )
        })
        .await?;
    Ok(owned.as_slice())
}

pub fn ecs_tags(pairs: Vec<(String, String)>) -> Vec<Tag> {
    pairs
        .into_iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect()
}

super::tags::tagging_by_arn!(
    aws_sdk_ecs::Client,
    |tags| Ok::<_, super::errors::AwsError>(ecs_tags(tags))
);

pub fn tag_pairs(tags: &[Tag]) -> Vec<(&str, &str)> {
    tags.iter()
        .filter_map(|tag| Some((tag.key()?, tag.value()?)))
        .collect()
}
