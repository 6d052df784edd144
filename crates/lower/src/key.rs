//! Lowering: the stack's customer managed KMS keys, and how other kinds name one.
//!
//! A key's policy lets the account administer it (IAM policies decide who uses it, as
//! AWS's default policy does) and lets exactly the services the manifest encrypts with it
//! use it on the account's behalf: S3, Secrets Manager, ECR (and EFS, RDS) through
//! `kms:ViaService`, and CloudWatch Logs, which needs its service principal in the key
//! policy itself, for this account's log groups in this region.

use std::collections::BTreeSet;

use serde_json::json;

use super::Env;
use crate::aws::kms::{ACCOUNT, KeyProps, key_id};
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;
use crate::manifest::keys::KeyRef;

/// A `kms_key` as a value: the stack's key by reference, another by its ARN or alias.
pub fn key_value(key: &KeyRef) -> Value {
    match key {
        KeyRef::Stack(name) => Value::Ref(key_id(name)),
        KeyRef::Other(arn) => Value::Phys(arn.clone()),
    }
}

/// The services that encrypt with the stack's key `name` (by their endpoint prefix), and
/// whether log groups do.
fn users(manifest: &Manifest, name: &str) -> (BTreeSet<&'static str>, bool) {
    let ours = |key: Option<&KeyRef>| matches!(key, Some(KeyRef::Stack(key)) if key == name);
    let mut services = BTreeSet::new();
    if manifest
        .edge
        .buckets
        .iter()
        .any(|bucket| ours(bucket.kms.as_ref().and_then(Option::as_ref)))
    {
        services.insert("s3");
    }
    if manifest
        .secrets
        .iter()
        .any(|secret| ours(secret.kms_key.as_ref()))
    {
        services.insert("secretsmanager");
    }
    if manifest
        .containers
        .repositories
        .iter()
        .any(|repository| ours(repository.kms_key.as_ref().and_then(Option::as_ref)))
    {
        services.insert("ecr");
    }
    if manifest
        .containers
        .file_systems
        .iter()
        .any(|fs| ours(fs.kms_key.as_ref()))
    {
        services.insert("elasticfilesystem");
    }
    if manifest
        .containers
        .databases
        .iter()
        .any(|db| ours(db.kms_key.as_ref()))
    {
        services.insert("rds");
    }
    if manifest
        .topics
        .iter()
        .any(|topic| ours(topic.kms_key.as_ref()))
    {
        services.insert("sns");
    }
    let logs = manifest
        .containers
        .services
        .iter()
        .any(|service| ours(service.log_key.as_ref()));
    (services, logs)
}

/// The key policy, canonical, with [`ACCOUNT`] standing for the account's id.
fn policy(manifest: &Manifest, env: &Env, name: &str) -> String {
    let region = &env.region;
    let (services, logs) = users(manifest, name);
    let mut statements = vec![json!({
        "Sid": "AccountAdministers",
        "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
        "Action": "kms:*",
        "Resource": "*",
    })];
    if !services.is_empty() {
        let via: Vec<String> = services
            .iter()
            .map(|service| format!("{service}.{region}.amazonaws.com"))
            .collect();
        statements.push(json!({
            "Sid": "StackServicesUse",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:CreateGrant",
                "kms:DescribeKey",
            ],
            "Resource": "*",
            "Condition": {
                "StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:ViaService": via},
            },
        }));
    }
    if logs {
        statements.push(json!({
            "Sid": "CloudWatchLogsUse",
            "Effect": "Allow",
            "Principal": {"Service": format!("logs.{region}.amazonaws.com")},
            "Action": [
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            "Resource": "*",
            "Condition": {
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn":
                        format!("arn:aws:logs:{region}:{ACCOUNT}:log-group:*"),
                },
            },
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

pub fn desired(manifest: &Manifest, env: &Env) -> Vec<Desired> {
    manifest
        .keys
        .iter()
        .map(|key| {
            let props = KeyProps {
                alias: Some(key.alias.clone()),
                description: key.description.clone(),
                rotation: key.rotation,
                enabled: true,
                policy: policy(manifest, env, &key.key),
                tags: tags::managed_tag_map(
                    &manifest.tags,
                    &Default::default(),
                    &key.alias,
                    key.retain,
                ),
            };
            Desired {
                id: key_id(&key.key),
                props: props.into_props(),
                after: Vec::new(),
            }
        })
        .collect()
}
