//! What CloudFront's kinds share (the distributions and their Origin Access Controls,
//! `kinds/distribution`; the invalidations a bucket's sync asks for, `s3::invalidation`):
//! one listing of the stack's distributions, the wait for a change to deploy, the
//! invalidation call, the tagging.

use std::time::Duration;

use aws_sdk_cloudfront::types::{
    DistributionSummary, InvalidationBatch, Paths, Tag, TagKeys, Tags,
};
use futures::stream::{self, StreamExt, TryStreamExt};
use sha2::{Digest as _, Sha256};

use super::errors::{AwsError, AwsResultExt, built};
use super::{Cx, OpCx, tags};
use crate::engine::model::ResourceId;
use crate::engine::retry;
use crate::ids::DISTRIBUTION;

/// A distribution of the stack, as listed: logical id, id, ARN and tags.
#[derive(Clone, Debug)]
pub struct OwnedDistribution {
    pub logical: ResourceId,
    pub id: String,
    pub arn: String,
    /// `d111111abcdef8.cloudfront.net`.
    pub domain_name: String,
    pub tags: Vec<(String, String)>,
}

/// The stack's distributions, read once per command (observe, and the invalidations of
/// `edgectl sync`, which reads nothing else of CloudFront).
pub async fn owned(cx: &Cx) -> Result<&[OwnedDistribution], AwsError> {
    cx.reads
        .distributions
        .get_or_try_init(|| listed(cx))
        .await
        .map(Vec::as_slice)
}

/// Every distribution of the account, as ListDistributions summarises them (page after
/// page).
pub async fn summaries(cx: &Cx) -> Result<Vec<DistributionSummary>, AwsError> {
    let cloudfront = &cx.clients.cloudfront;
    let mut summaries = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = cloudfront
            .list_distributions()
            .set_marker(marker.clone())
            .send()
            .await
            .aws("ListDistributions")?;
        let Some(list) = page.distribution_list() else {
            break;
        };
        summaries.extend(list.items().iter().cloned());
        marker = list
            .next_marker()
            .filter(|next| !next.is_empty())
            .map(str::to_string);
        if !list.is_truncated() || marker.is_none() {
            break;
        }
    }
    Ok(summaries)
}

/// A distribution's tags (CloudFront lists none with it).
pub async fn tags_of(cx: &Cx, arn: &str) -> Result<Vec<(String, String)>, AwsError> {
    let listed = cx
        .clients
        .cloudfront
        .list_tags_for_resource()
        .resource(arn)
        .send()
        .await
        .aws("ListTagsForResource")?;
    Ok(listed
        .tags()
        .map(|tags| tags.items())
        .unwrap_or_default()
        .iter()
        .map(|tag| {
            (
                tag.key().to_string(),
                tag.value().unwrap_or_default().to_string(),
            )
        })
        .collect())
}

/// A distribution as its listing or its read names it: id, ARN, domain name.
type Listed = (String, String, String);

/// The distributions the tagging API lists as the stack's (in us-east-1), each read by
/// its id; when it does not hold them all yet, every distribution of the account. Then
/// (CloudFront lists no tags) one ListTagsForResource per distribution, concurrently.
async fn listed(cx: &Cx) -> Result<Vec<OwnedDistribution>, AwsError> {
    tags::discover(
        cx,
        DISTRIBUTION,
        ":distribution/",
        true,
        |found: &OwnedDistribution| Some(found.logical.clone()),
        async |arns| {
            let reads = arns.iter().map(|arn| by_id(cx, id_from_arn(arn)));
            let found = futures::future::try_join_all(reads).await?;
            owned_among(cx, found.into_iter().flatten().collect()).await
        },
        async || {
            let every = summaries(cx).await?;
            let listed = every
                .iter()
                .map(|summary| {
                    (
                        summary.id().to_string(),
                        summary.arn().to_string(),
                        summary.domain_name().to_string(),
                    )
                })
                .collect();
            owned_among(cx, listed).await
        },
    )
    .await
}

/// The stack's among `candidates`, each one's tags read (CloudFront lists none).
async fn owned_among(cx: &Cx, candidates: Vec<Listed>) -> Result<Vec<OwnedDistribution>, AwsError> {
    let owned: Vec<Option<OwnedDistribution>> = stream::iter(candidates)
        .map(|(id, arn, domain_name)| async move {
            let tags = tags_of(cx, &arn).await?;
            let logical = tags::owned_id(
                &cx.stack,
                tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            )
            .filter(|logical| logical.kind() == DISTRIBUTION);
            Ok::<_, AwsError>(logical.map(|logical| OwnedDistribution {
                logical,
                id,
                arn,
                domain_name,
                tags,
            }))
        })
        .buffer_unordered(16)
        .try_collect()
        .await?;
    Ok(owned.into_iter().flatten().collect())
}

/// The distribution of this id, as [`listed`] keeps it; `None` when it is gone.
async fn by_id(cx: &Cx, id: &str) -> Result<Option<Listed>, AwsError> {
    let found = super::errors::present(
        cx.clients
            .cloudfront
            .get_distribution()
            .id(id)
            .send()
            .await
            .aws("GetDistribution"),
    )?;
    Ok(found
        .as_ref()
        .and_then(|found| found.distribution())
        .map(|distribution| {
            (
                distribution.id().to_string(),
                distribution.arn().to_string(),
                distribution.domain_name().to_string(),
            )
        }))
}

/// The distribution id inside its ARN (`arn:aws:cloudfront::ACCOUNT:distribution/ID`).
pub fn id_from_arn(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Creates one invalidation for `paths` on the distribution behind `arn`, waiting for it
/// with `--wait`. The caller reference is a hash of the paths and time-free inputs, so
/// a retried request makes no second invalidation.
pub async fn invalidate(op: &OpCx<'_>, arn: &str, paths: Vec<String>) -> Result<(), AwsError> {
    let cx = op.cx;
    let id = id_from_arn(arn);
    let mut hasher = Sha256::new();
    hasher.update(cx.stack.as_bytes());
    hasher.update(arn.as_bytes());
    for path in &paths {
        hasher.update(path.as_bytes());
        hasher.update(b"\n");
    }
    // Same paths in a later apply are a new invalidation: the reference includes the minute.
    let minute = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() / 60);
    hasher.update(minute.to_le_bytes());
    let reference = format!("edgectl-{}", &hex::encode(hasher.finalize())[..32]);
    let batch = built(
        "CreateInvalidation",
        InvalidationBatch::builder()
            .caller_reference(reference)
            .paths(built(
                "CreateInvalidation",
                Paths::builder()
                    .quantity(paths.len() as i32)
                    .set_items(Some(paths))
                    .build(),
            )?)
            .build(),
    )?;
    let created = cx
        .clients
        .cloudfront
        .create_invalidation()
        .distribution_id(id)
        .invalidation_batch(batch)
        .send()
        .await
        .aws("CreateInvalidation")?;
    if !cx.wait_edge {
        return Ok(());
    }
    let invalidation = created
        .invalidation()
        .map(|invalidation| invalidation.id().to_string())
        .ok_or_else(|| AwsError::missing("CreateInvalidation", "Invalidation"))?;
    retry::poll(cx.timeout, "the invalidation to complete", || async {
        let found = cx
            .clients
            .cloudfront
            .get_invalidation()
            .distribution_id(id)
            .id(&invalidation)
            .send()
            .await
            .aws("GetInvalidation")?;
        let status = found
            .invalidation()
            .map_or("unknown", |invalidation| invalidation.status());
        op.status(&format!("invalidation {invalidation} {status}"));
        // AWS says `Completed`; moto says `COMPLETED`.
        Ok(status.eq_ignore_ascii_case("completed").then_some(()))
    })
    .await
}

/// Waits until the distribution's changes reached every edge location.
pub async fn wait_deployed(op: &OpCx<'_>, id: &str) -> Result<String, AwsError> {
    let cx = op.cx;
    retry::poll(
        cx.timeout.max(Duration::from_secs(60)),
        "the distribution to deploy",
        || async {
            let found = cx
                .clients
                .cloudfront
                .get_distribution()
                .id(id)
                .send()
                .await
                .aws("GetDistribution")?;
            let status = found
                .distribution()
                .map_or("unknown", |distribution| distribution.status());
            // On AWS a change takes minutes to reach every edge location.
            op.status(&format!("distribution {id} {status}, waiting for Deployed"));
            let deployed = status == "Deployed";
            if !deployed {
                return Ok(None);
            }
            let etag = found
                .e_tag()
                .ok_or_else(|| AwsError::missing("GetDistribution", "ETag"))?;
            Ok(Some(etag.to_string()))
        },
    )
    .await
}

pub fn cloudfront_tags(pairs: Vec<(String, String)>) -> Result<Tags, AwsError> {
    let items: Vec<Tag> = pairs
        .into_iter()
        .map(|(key, value)| built("Tag", Tag::builder().key(key).value(value).build()))
        .collect::<Result<_, _>>()?;
    Ok(Tags::builder().set_items(Some(items)).build())
}

#[async_trait::async_trait]
impl tags::Tagging for aws_sdk_cloudfront::Client {
    async fn tag(&self, arn: &str, tags: Vec<(String, String)>) -> Result<(), AwsError> {
        self.tag_resource()
            .resource(arn)
            .tags(cloudfront_tags(tags)?)
            .send()
            .await
            .aws("TagResource")
            .map(drop)
    }

    async fn untag(&self, arn: &str, keys: Vec<String>) -> Result<(), AwsError> {
        self.untag_resource()
            .resource(arn)
            .tag_keys(TagKeys::builder().set_items(Some(keys)).build())
            .send()
            .await
            .aws("UntagResource")
            .map(drop)
    }
}
