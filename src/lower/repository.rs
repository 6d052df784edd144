//! Lowering: ECR repositories: scanning, tag immutability, encryption, lifecycle.

use super::Env;
use crate::aws::ecr::KIND;
use crate::aws::tags;
use crate::engine::model::{Desired, Mode, ResourceId, Value, props};
use crate::manifest::Manifest;

pub fn desired(manifest: &Manifest, _env: &Env) -> Vec<Desired> {
    manifest
        .containers
        .repositories
        .iter()
        .map(|repository| Desired {
            id: repository_id(&repository.key),
            props: props([
                ("name", Value::str(&repository.name), Mode::Replace),
                (
                    "scan_on_push",
                    Value::Bool(repository.scan_on_push),
                    Mode::InPlace,
                ),
                (
                    "immutable_tags",
                    Value::Bool(repository.immutable_tags),
                    Mode::InPlace,
                ),
                (
                    "encryption",
                    Value::str(if repository.kms_key.is_some() {
                        "KMS"
                    } else {
                        "AES256"
                    }),
                    Mode::Replace,
                ),
                (
                    "kms_key",
                    match &repository.kms_key {
                        Some(Some(key)) => super::key::key_value(key),
                        // ECR picks its AWS-managed key when none is named.
                        Some(None) => Value::AwsDefault,
                        None => Value::Null,
                    },
                    Mode::Replace,
                ),
                (
                    "lifecycle_policy",
                    repository
                        .lifecycle_policy
                        .clone()
                        .map_or(Value::Null, Value::Str),
                    Mode::InPlace,
                ),
                (
                    "force_destroy",
                    Value::Bool(repository.force_destroy),
                    Mode::InPlace,
                ),
                (
                    "tags",
                    tags::managed_tags(
                        &manifest.tags,
                        &Default::default(),
                        &repository.name,
                        repository.retain,
                    ),
                    Mode::InPlace,
                ),
            ]),
            after: Vec::new(),
        })
        .collect()
}

pub fn repository_id(key: &str) -> ResourceId {
    ResourceId::new(KIND, key)
}
