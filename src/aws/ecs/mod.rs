//! ECS: clusters, task definitions and Fargate services.

pub mod cluster;
pub mod service;
pub mod task_definition;

use std::sync::Arc;

use aws_sdk_ecs::types::Tag;

use super::Adapter;

pub fn adapters() -> Vec<Arc<dyn Adapter>> {
    vec![
        Arc::new(cluster::ClusterAdapter),
        Arc::new(task_definition::TaskDefinitionAdapter),
        Arc::new(service::ServiceAdapter),
    ]
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
            // DescribeClusters takes up to 100 clusters per call.
            let pages = arns.chunks(100).map(|chunk| {
                ecs.describe_clusters()
                    .set_clusters(Some(chunk.to_vec()))
                    .include(aws_sdk_ecs::types::ClusterField::Tags)
                    .include(aws_sdk_ecs::types::ClusterField::Settings)
                    .send()
            });
            let described = futures::future::try_join_all(pages)
                .await
                .aws("DescribeClusters")?;
            Ok::<_, super::errors::AwsError>(
                described
                    .iter()
                    .flat_map(|page| page.clusters())
                    .filter(|cluster| cluster.status() == Some("ACTIVE"))
                    .cloned()
                    .collect(),
            )
        })
        .await?;
    Ok(clusters.as_slice())
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
