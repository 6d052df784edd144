//! The typed properties of a repository, and its lowering: scanning, tag immutability,
//! encryption, lifecycle.

use std::collections::BTreeMap;

use super::manifest::Repository;
use crate::aws::ids::repository_id;
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::lower::uses::{KeyUser, Uses};
use crate::manifest::Manifest;

crate::engine::properties! {
    /// An ECR repository: what its lowering builds and its observe reads.
    pub struct RepositoryProps (changes: RepositoryChanges) {
        pub name: String => Replace,
        pub scan_on_push: bool => InPlace,
        pub immutable_tags: bool => InPlace,
        /// `KMS` or `AES256`.
        pub encryption: String => Replace,
        /// The key by reference, or `AwsDefault` (ECR's own key), or nothing.
        pub kms_key: Value => Replace,
        /// Canonical JSON.
        pub lifecycle_policy: Option<String> => InPlace,
        /// Kept in a tag (see `FORCE_DESTROY_TAG`).
        pub force_destroy: bool => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

/// The repositories (`repositories`).
pub fn desired(repositories: &[Repository], manifest: &Manifest, uses: &mut Uses) -> Vec<Desired> {
    repositories
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
