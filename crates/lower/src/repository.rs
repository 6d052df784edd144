//! Lowering: ECR repositories: scanning, tag immutability, encryption, lifecycle.

use super::Env;
use super::uses::{KeyUser, Uses};
use crate::aws::ecr::RepositoryProps;
use crate::aws::ids::repository_id;
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;

pub fn desired(manifest: &Manifest, _env: &Env, uses: &mut Uses) -> Vec<Desired> {
    manifest
        .containers
        .repositories
        .iter()
        .map(|repository| {
            let props = RepositoryProps {
                name: repository.name.clone(),
                scan_on_push: repository.scan_on_push,
                immutable_tags: repository.immutable_tags,
                encryption: if repository.kms_key.is_some() {
                    "KMS"
                } else {
                    "AES256"
                }
                .to_string(),
                kms_key: match &repository.kms_key {
                    Some(Some(key)) => {
                        uses.key(&repository_id(&repository.key), key, KeyUser::Via("ecr"))
                    }
                    // ECR picks its AWS-managed key when none is named.
                    Some(None) => Value::AwsDefault,
                    None => Value::Null,
                },
                lifecycle_policy: repository.lifecycle_policy.clone(),
                force_destroy: repository.force_destroy,
                tags: tags::managed_tag_map(
                    &manifest.tags,
                    &Default::default(),
                    &repository.name,
                    repository.retain,
                ),
            };
            Desired {
                id: repository_id(&repository.key),
                props: props.into_props(),
                after: Vec::new(),
            }
        })
        .collect()
}
