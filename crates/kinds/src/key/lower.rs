//! Lowering: the stack's customer managed KMS keys (other kinds name one through
//! [`Uses::key`](crate::lower::uses::Uses::key)).
//!
//! A key's policy lets the account administer it (IAM policies decide who uses it, as
//! AWS's default policy does) and lets exactly the services the manifest encrypts with it
//! use it on the account's behalf: S3, Secrets Manager, ECR, EFS, RDS, SNS through
//! `kms:ViaService`, and CloudWatch Logs, which needs its service principal in the key
//! policy itself, for this account's log groups in this region. Which those are, the
//! kinds that encrypt say as they name the key ([`Uses::key`](crate::lower::uses::Uses::key));
//! keys are lowered last, from what was recorded.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::manifest::Key;
use crate::aws::ids::key_id;
use crate::aws::tags;
use crate::engine::model::Desired;
use crate::engine::typed::Properties as _;
use crate::lower::Env;
use crate::lower::uses::{KeyUser, Uses};
use crate::manifest::Manifest;

/// Stands for the account's id in a desired key policy.
pub const ACCOUNT: &str = "${account}";

crate::engine::properties! {
    /// A customer managed KMS key: what its lowering builds and its observe reads.
    pub struct KeyProps (changes: KeyChanges) {
        /// Without `alias/`; none on a live key that lost it (a killed apply's spare).
        pub alias: Option<String> => InPlace,
        pub description: String => InPlace,
        pub rotation: bool => InPlace,
        /// Always wanted: a key someone disabled is enabled again.
        pub enabled: bool => InPlace,
        /// Canonical JSON, the account a stand-in.
        pub policy: String => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

/// The key policy, canonical, with [`ACCOUNT`] standing for the account's id: the
/// services that `uses` say encrypt with the key, and CloudWatch Logs if it does.
fn policy(uses: &Uses, env: &Env, name: &str) -> String {
    let region = &env.region;
    let mut services = BTreeSet::new();
    let mut logs = false;
    for user in uses.key_users(&key_id(name)) {
        match user {
            KeyUser::Via(service) => {
                services.insert(service);
            }
            KeyUser::Logs => logs = true,
        }
    }
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

/// The stack's keys. It runs after every other kind's lowering: `uses` holds what they
/// encrypt with which key.
pub fn desired(keys: &[Key], manifest: &Manifest, env: &Env, uses: &Uses) -> Vec<Desired> {
    keys.iter()
        .map(|key| {
            let props = KeyProps {
                alias: Some(key.alias.clone()),
                description: key.description.clone(),
                rotation: key.rotation,
                enabled: true,
                policy: policy(uses, env, &key.key),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::model::ResourceId;
    use crate::manifest::keys::KeyRef;

    fn statements(uses: &Uses) -> Vec<serde_json::Value> {
        let env = Env {
            region: "eu-west-1".into(),
            zones: Vec::new(),
        };
        let policy: serde_json::Value = serde_json::from_str(&policy(uses, &env, "data")).unwrap();
        policy["Statement"].as_array().unwrap().clone()
    }

    #[test]
    fn a_key_s_policy_grants_what_its_users_recorded_and_nothing_else() {
        let mut uses = Uses::default();
        assert_eq!(
            statements(&uses).len(),
            1,
            "the account administers it only"
        );
        let key = KeyRef::Stack("data".into());
        let user = |kind: &str| ResourceId::new(kind, "main");
        uses.key(&user("topic"), &key, KeyUser::Via("sns"));
        uses.key(&user("bucket"), &key, KeyUser::Via("s3"));
        uses.key(
            &user("database"),
            &KeyRef::Stack("other".into()),
            KeyUser::Via("rds"),
        );
        let granted = statements(&uses);
        assert_eq!(granted.len(), 2);
        assert_eq!(
            granted[1]["Condition"]["StringEquals"]["kms:ViaService"],
            json!(["s3.eu-west-1.amazonaws.com", "sns.eu-west-1.amazonaws.com"])
        );
        uses.key(&user("log_group"), &key, KeyUser::Logs);
        let granted = statements(&uses);
        assert_eq!(granted[2]["Sid"], "CloudWatchLogsUse");
        assert_eq!(
            granted[2]["Principal"]["Service"],
            "logs.eu-west-1.amazonaws.com"
        );
    }
}
