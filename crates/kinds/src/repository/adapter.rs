//! ECR repositories: name and encryption (immutable), scan on push, tag mutability,
//! lifecycle policy, tags. The physical id is the repository URI, which task definitions
//! need; `force_destroy` lives in a tag so that a destroy without the manifest's desired
//! state still knows it.

use async_trait::async_trait;
use aws_sdk_ecr::types::{
    EncryptionConfiguration, EncryptionType, ImageScanningConfiguration, ImageTagMutability, Tag,
};
use futures::stream::{self, StreamExt, TryStreamExt};

use super::lower::RepositoryProps;
use crate::aws::conditions::{Condition, Means, Removal as _};
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind, built};
use crate::aws::ids::REPOSITORY as KIND;
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::Change;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, Value};
use crate::engine::typed::Properties as _;

/// Set on repositories whose manifest says `force_destroy: true`.
const FORCE_DESTROY_TAG: &str = "edgectl:force-destroy";

pub struct RepositoryAdapter;

/// A lifecycle policy removed in an update that another writer removed first (or whose
/// repository is gone) is removed: the provider's `internal/service/ecr/lifecycle_policy.go`
/// counts both as done.
pub const CONDITIONS: &[Condition] = &[
    Condition {
        operation: "DeleteLifecyclePolicy",
        code: "LifecyclePolicyNotFoundException",
        message: None,
        means: Means::Gone,
        source: "terraform-provider-aws internal/service/ecr/lifecycle_policy.go resourceLifecyclePolicyDelete",
    },
    Condition {
        operation: "DeleteLifecyclePolicy",
        code: "RepositoryNotFoundException",
        message: None,
        means: Means::Gone,
        source: "terraform-provider-aws internal/service/ecr/lifecycle_policy.go resourceLifecyclePolicyDelete",
    },
];

fn ecr_tags(pairs: Vec<(String, String)>) -> Result<Vec<Tag>, AwsError> {
    pairs
        .into_iter()
        .map(|(key, value)| {
            built(
                "CreateRepository",
                Tag::builder().key(key).value(value).build(),
            )
        })
        .collect()
}

crate::aws::tagging_by_arn!(struct Ecr(aws_sdk_ecr::Client), ecr_tags);

/// The repository of `name`, when there is one (names are the registry's).
async fn named(cx: &Cx, name: &str) -> Result<Option<aws_sdk_ecr::types::Repository>, AwsError> {
    match cx
        .clients
        .ecr
        .describe_repositories()
        .repository_names(name)
        .send()
        .await
        .aws("DescribeRepositories")
    {
        Ok(found) => Ok(found.repositories().first().cloned()),
        Err(error) if error.kind == ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// The stack's among `repositories`, read with their tags (DescribeRepositories returns
/// none: one ListTagsForResource each).
async fn owned(
    cx: &Cx,
    repositories: Vec<aws_sdk_ecr::types::Repository>,
) -> Result<Vec<Observed>, AwsError> {
    let observed: Vec<Option<Observed>> = stream::iter(repositories)
        .map(|repository| async move {
            let tags = tags_of(cx, &repository).await?;
            let pairs = pairs(&tags);
            let Some(id) = tags::owned_id(&cx.stack, pairs.iter().copied()) else {
                return Ok(None);
            };
            read(cx, &repository, &pairs, id).await.map(Some)
        })
        .buffer_unordered(16)
        .try_collect()
        .await?;
    Ok(observed.into_iter().flatten().collect())
}

/// The repositories of these names, 100 to a DescribeRepositories; one asked by name
/// alone when a batch names one gone since it was listed (ECR then answers not found).
async fn by_names(
    cx: &Cx,
    names: Vec<String>,
) -> Result<Vec<aws_sdk_ecr::types::Repository>, AwsError> {
    let batches = names.chunks(100).map(|batch| async move {
        match cx
            .clients
            .ecr
            .describe_repositories()
            .set_repository_names(Some(batch.to_vec()))
            .send()
            .await
            .aws("DescribeRepositories")
        {
            Ok(found) => Ok(found.repositories().to_vec()),
            Err(error) if error.kind == ErrorKind::NotFound => {
                let each = batch.iter().map(|name| named(cx, name));
                Ok(futures::future::try_join_all(each)
                    .await?
                    .into_iter()
                    .flatten()
                    .collect())
            }
            Err(error) => Err(error),
        }
    });
    Ok(futures::future::try_join_all(batches)
        .await?
        .into_iter()
        .flatten()
        .collect())
}

/// A repository's tags (DescribeRepositories returns none): one ListTagsForResource.
async fn tags_of(
    cx: &Cx,
    repository: &aws_sdk_ecr::types::Repository,
) -> Result<Vec<(String, String)>, AwsError> {
    let arn = repository
        .repository_arn()
        .ok_or_else(|| AwsError::missing("DescribeRepositories", "repositoryArn"))?;
    let listed = cx
        .clients
        .ecr
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

/// Borrowed pairs, as the tag helpers take them.
fn pairs(tags: &[(String, String)]) -> Vec<(&str, &str)> {
    tags.iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect()
}

/// A live repository (its tags `pairs`) as the stack's `id`.
async fn read(
    cx: &Cx,
    repository: &aws_sdk_ecr::types::Repository,
    pairs: &[(&str, &str)],
    id: crate::engine::model::ResourceId,
) -> Result<Observed, AwsError> {
    let ecr = &cx.clients.ecr;
    let missing = |field| AwsError::missing("DescribeRepositories", field);
    let arn = repository
        .repository_arn()
        .ok_or_else(|| missing("repositoryArn"))?
        .to_string();
    let name = repository
        .repository_name()
        .ok_or_else(|| missing("repositoryName"))?
        .to_string();
    let uri = repository
        .repository_uri()
        .ok_or_else(|| missing("repositoryUri"))?
        .to_string();
    let policy = match ecr
        .get_lifecycle_policy()
        .repository_name(&name)
        .send()
        .await
        .aws("GetLifecyclePolicy")
    {
        Ok(found) => found
            .lifecycle_policy_text()
            .and_then(|text| crate::base::text::canonical_json(text).ok()),
        Err(error) if error.kind == ErrorKind::NotFound => None,
        Err(error) => return Err(error),
    };
    let encryption = repository.encryption_configuration();
    let kms = encryption.is_some_and(|config| config.encryption_type() == &EncryptionType::Kms);
    let props = RepositoryProps {
        name: name.clone(),
        scan_on_push: repository
            .image_scanning_configuration()
            .is_some_and(|config| config.scan_on_push()),
        immutable_tags: repository.image_tag_mutability() == Some(&ImageTagMutability::Immutable),
        encryption: if kms { "KMS" } else { "AES256" }.to_string(),
        kms_key: encryption
            .and_then(|config| config.kms_key())
            .filter(|_| kms)
            .map_or(Value::Null, |key| Value::Phys(key.to_string())),
        lifecycle_policy: policy,
        force_destroy: pairs
            .iter()
            .any(|(key, value)| *key == FORCE_DESTROY_TAG && *value == "true"),
        tags: tags::observed_tag_map(pairs.iter().copied()),
    };
    let mut resource = Observed::new(id, &uri, props.into_props());
    resource.extra.insert("arn".into(), arn);
    resource.extra.insert("name".into(), name);
    Ok(resource)
}

#[async_trait]
impl crate::engine::kind::Kind for RepositoryAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    /// The repositories the tagging API lists as the stack's, read by name; when it does
    /// not hold them all yet, every repository of the registry (`tags::discover`).
    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        tags::discover(
            cx,
            KIND,
            ":repository/",
            false,
            |found: &Observed| Some(found.id.clone()),
            async |arns| {
                owned(
                    cx,
                    by_names(cx, tags::arn_names(&arns, ":repository/")).await?,
                )
                .await
            },
            async || {
                let every = cx
                    .clients
                    .ecr
                    .describe_repositories()
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect()
                    .await
                    .aws("DescribeRepositories")?;
                owned(cx, every).await
            },
        )
        .await
    }

    /// The repository of the manifest's name (or of `pin`'s).
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = RepositoryProps::from_props(&desired.props)?;
        let Some(repository) = named(op.cx, pin.unwrap_or(&props.name)).await? else {
            return Ok(Found::Nothing);
        };
        let tags = tags_of(op.cx, &repository).await?;
        let pairs = pairs(&tags);
        let observed = read(op.cx, &repository, &pairs, op.id.clone()).await?;
        let what = format!("ECR repository `{}`", observed.extra["name"]);
        crate::aws::adopt::found(op.cx, op.id, what, pairs, observed).await
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        tags::adopt(&Ecr(&op.cx.clients.ecr), found.detail("arn")?, op, desired).await
    }

    /// Repository names are unique in the registry: ask by name first.
    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        let props = RepositoryProps::from_props(&desired.props).map_err(|e| e.to_string())?;
        let name = props.name.as_str();
        let check = |error: AwsError| format!("cannot check whether the name is taken: {error}");
        let Some(repository) = named(cx, name).await.map_err(check)? else {
            return Ok(());
        };
        let tags = tags_of(cx, &repository).await.map_err(check)?;
        match tags::name_taken_adoptable(
            &cx.stack,
            &desired.id,
            &format!("ECR repository `{name}`"),
            pairs(&tags),
        ) {
            Some(why) => Err(why),
            None => Ok(()),
        }
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let ecr = &op.cx.clients.ecr;
        let props = RepositoryProps::from_props(&desired.props)?;
        let name = props.name.as_str();
        let mut pairs = tags::create_tags(&op.cx.stack, op.id, &props.tags);
        if props.force_destroy {
            pairs.push((FORCE_DESTROY_TAG.into(), "true".into()));
        }
        let kms = props.encryption == "KMS";
        let mut encryption = EncryptionConfiguration::builder().encryption_type(if kms {
            EncryptionType::Kms
        } else {
            EncryptionType::Aes256
        });
        if let Some(key) = op.resolve_optional(&props.kms_key)? {
            encryption = encryption.kms_key(key);
        }
        let created = ecr
            .create_repository()
            .repository_name(name)
            .set_tags(Some(ecr_tags(pairs)?))
            .image_scanning_configuration(
                ImageScanningConfiguration::builder()
                    .scan_on_push(props.scan_on_push)
                    .build(),
            )
            .image_tag_mutability(mutability(props.immutable_tags))
            .encryption_configuration(built("CreateRepository", encryption.build())?)
            .send()
            .await
            .aws("CreateRepository")?;
        let uri = created
            .repository()
            .and_then(|repository| repository.repository_uri())
            .ok_or_else(|| AwsError::missing("CreateRepository", "repositoryUri"))?
            .to_string();
        op.made(&uri);
        if let Some(policy) = &props.lifecycle_policy {
            ecr.put_lifecycle_policy()
                .repository_name(name)
                .lifecycle_policy_text(policy)
                .send()
                .await
                .aws("PutLifecyclePolicy")?;
        }
        Ok(uri)
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        let ecr = &op.cx.clients.ecr;
        let name = observed.detail("name")?.to_string();
        let arn = observed.detail("arn")?.to_string();
        let props = RepositoryProps::from_props(&desired.props)?;
        let live = RepositoryProps::from_props(&observed.props)?;
        let changed = RepositoryProps::changed(changes);
        if changed.scan_on_push {
            ecr.put_image_scanning_configuration()
                .repository_name(&name)
                .image_scanning_configuration(
                    ImageScanningConfiguration::builder()
                        .scan_on_push(props.scan_on_push)
                        .build(),
                )
                .send()
                .await
                .aws("PutImageScanningConfiguration")?;
        }
        if changed.immutable_tags {
            ecr.put_image_tag_mutability()
                .repository_name(&name)
                .image_tag_mutability(mutability(props.immutable_tags))
                .send()
                .await
                .aws("PutImageTagMutability")?;
        }
        if changed.lifecycle_policy {
            match &props.lifecycle_policy {
                Some(policy) => {
                    ecr.put_lifecycle_policy()
                        .repository_name(&name)
                        .lifecycle_policy_text(policy)
                        .send()
                        .await
                        .aws("PutLifecyclePolicy")?;
                }
                None => {
                    ecr.delete_lifecycle_policy()
                        .repository_name(&name)
                        .send()
                        .await
                        .aws("DeleteLifecyclePolicy")
                        .done_if_gone(CONDITIONS)?;
                }
            }
        }
        // Tags, with `force_destroy` as one of them.
        let with_force = |props: RepositoryProps| {
            let mut tags = props.tags;
            if props.force_destroy {
                tags.insert(FORCE_DESTROY_TAG.into(), "true".into());
            }
            tags
        };
        tags::sync(&Ecr(ecr), &arn, &with_force(live), &with_force(props)).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let name = observed.detail("name")?.to_string();
        let force = RepositoryProps::from_props(&observed.props)?.force_destroy;
        let result = op
            .cx
            .clients
            .ecr
            .delete_repository()
            .repository_name(&name)
            .force(force)
            .send()
            .await
            .aws("DeleteRepository");
        match result {
            Ok(_) => Ok(()),
            Err(error) if error.code.as_deref() == Some("RepositoryNotEmptyException") => {
                Err(AwsError {
                    message: format!(
                        "repository `{name}` holds images, and edgectl deletes images only when the manifest says `force_destroy: true` (apply it first, then destroy)"
                    ),
                    ..error
                })
            }
            Err(error) => Err(error),
        }
    }
}

fn mutability(immutable: bool) -> ImageTagMutability {
    if immutable {
        ImageTagMutability::Immutable
    } else {
        ImageTagMutability::Mutable
    }
}

use crate::aws::permissions::{On, Permission};

/// The IAM permissions this kind's calls need (`edgectl policy`); the suite's
/// `policy` test runs each shipped manifest with no more than these.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        actions: &[
            "ecr:DescribeRepositories",
            "ecr:ListTagsForResource",
            "ecr:CreateRepository",
        ],
        on: On::Any,
    },
    Permission {
        actions: &[
            "ecr:DeleteRepository",
            "ecr:GetLifecyclePolicy",
            "ecr:PutLifecyclePolicy",
            "ecr:DeleteLifecyclePolicy",
            "ecr:PutImageScanningConfiguration",
            "ecr:PutImageTagMutability",
            "ecr:TagResource",
            "ecr:UntagResource",
        ],
        on: On::Named {
            kind: "repository",
            arn: "arn:{partition}:ecr:{region}:*:repository/{name}",
        },
    },
];
