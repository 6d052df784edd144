//! Customer managed KMS keys (`key.<name>`): alias, description, yearly rotation, key
//! policy, tags. The physical id is the key's ARN, which buckets, secrets, repositories
//! and log groups name.
//!
//! KMS lists neither keys by tag nor their tags with them: the stack's keys come from one
//! Resource Groups Tagging API query (`GetResources`, `kms:key`, the stack tag), their
//! aliases from one `ListAliases`, and each key's state, rotation and policy from the
//! three reads KMS has for them. `CreateKey` takes the ownership tags but no idempotency
//! token: a create whose answer was lost is found again by the walk's fresh read, and a
//! key left without its alias by a killed apply is a spare the next apply deletes
//! ([`Observed::spare`]) while the aliased one is kept.
//!
//! A key is never deleted at once: destroy schedules the deletion with the shortest
//! waiting period KMS allows (7 days), during which `aws kms cancel-key-deletion` keeps
//! it; an apply that finds the stack's own key of that alias waiting for deletion cancels
//! it and enables it again, so data encrypted under it stays readable. `retain` leaves it.
//!
//! The key policy is written with `${account}` for the account's id (lowering knows the
//! region but not the account): the account is put in when the policy is sent, and taken
//! out of the live policy before it is compared.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_kms::types::{
    KeyManagerType, KeySpec, KeyState, KeyUsageType, MultiRegionKeyType, OriginType, Tag,
};
use futures::future::try_join_all;

use super::lower::{ACCOUNT, KeyProps};
use crate::aws::conditions::{Condition, Given as _, IAM_PROPAGATION, Means};
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::ids::KEY as KIND;
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::Change;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId};
use crate::engine::typed::Properties as _;

/// The shortest waiting period KMS allows before a scheduled deletion.
pub const DELETION_WINDOW_DAYS: i32 = 7;

pub struct KeyAdapter;

fn kms_tags(pairs: Vec<(String, String)>) -> Result<Vec<Tag>, AwsError> {
    pairs
        .into_iter()
        .map(|(key, value)| {
            Tag::builder()
                .tag_key(key)
                .tag_value(value)
                .build()
                .map_err(|error| AwsError::new(ErrorKind::Other, "TagResource", error.to_string()))
        })
        .collect()
}

crate::aws::tagging_by_arn!(struct Kms(aws_sdk_kms::Client), kms_tags, key_id);

/// The key id in a key ARN. EnableKey, CancelKeyDeletion and ScheduleKeyDeletion take
/// an id or an ARN on AWS; moto finds the key only by its id.
fn key_of(arn: &str) -> &str {
    arn.rsplit_once("key/").map_or(arn, |(_, id)| id)
}

/// A live key policy as the manifest's side writes it: canonical, the account a stand-in.
fn policy_value(policy: &str, account: &str) -> String {
    let text = if account.is_empty() {
        policy.to_string()
    } else {
        policy.replace(account, ACCOUNT)
    };
    crate::base::text::canonical_json(&text).unwrap_or(text)
}

/// The desired policy with the account put in.
fn policy_text(props: &KeyProps, account: &str) -> String {
    props.policy.replace(ACCOUNT, account)
}

/// One key as read: what its three reads say, with its aliases.
async fn read_key(
    cx: &Cx,
    id: ResourceId,
    arn: String,
    pairs: Vec<(String, String)>,
    aliases: &BTreeMap<String, Vec<String>>,
) -> Result<Option<Observed>, AwsError> {
    let kms = &cx.clients.kms;
    // Listed by the tagging API a moment after its deletion: gone.
    let Some(metadata) = describe(cx, &arn).await? else {
        return Ok(None);
    };
    let metadata = &metadata;
    if matches!(
        metadata.key_state(),
        Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion)
    ) {
        return Ok(None);
    }
    let (rotation, policy) = tokio::try_join!(
        async {
            kms.get_key_rotation_status()
                .key_id(&arn)
                .send()
                .await
                .aws("GetKeyRotationStatus")
        },
        async {
            kms.get_key_policy()
                .key_id(&arn)
                .policy_name("default")
                .send()
                .await
                .aws("GetKeyPolicy")
        },
    )?;
    let key_aliases = aliases.get(metadata.key_id()).cloned().unwrap_or_default();
    let pairs_ref: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    let props = KeyProps {
        alias: key_aliases.first().cloned(),
        description: metadata.description().unwrap_or_default().to_string(),
        rotation: rotation.key_rotation_enabled(),
        enabled: metadata.enabled(),
        policy: policy_value(
            policy.policy().unwrap_or_default(),
            crate::aws::naming::arn_account(&arn)?,
        ),
        tags: tags::observed_tag_map(pairs_ref.iter().copied()),
    };
    let mut resource = Observed::new(id, &arn, props.into_props());
    // A key without its alias beside one that has it: left behind by a killed apply.
    resource.spare = key_aliases.is_empty();
    resource
        .extra
        .insert("aliases".into(), key_aliases.join(" "));
    resource
        .extra
        .insert("key_id".into(), metadata.key_id().to_string());
    Ok(Some(resource))
}

/// Alias name (without `alias/`) by target key id, of one key (by id or ARN): one
/// `ListAliases`, AWS's own left out. Listed for the key alone, so that the reads grow
/// with the stack's keys, not the account's aliases.
async fn aliases(cx: &Cx, key: &str) -> Result<BTreeMap<String, Vec<String>>, AwsError> {
    let pages: Vec<_> = cx
        .clients
        .kms
        .list_aliases()
        .key_id(key)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .aws("ListAliases")?;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entry in pages.iter().flat_map(|page| page.aliases()) {
        let (Some(name), Some(target)) = (entry.alias_name(), entry.target_key_id()) else {
            continue;
        };
        let name = name.strip_prefix("alias/").unwrap_or(name);
        if !name.starts_with("aws/") {
            out.entry(target.to_string())
                .or_default()
                .push(name.to_string());
        }
    }
    out.values_mut().for_each(|names| names.sort());
    Ok(out)
}

/// A key by id, ARN or alias: `None` when there is none.
async fn describe(cx: &Cx, key: &str) -> Result<Option<aws_sdk_kms::types::KeyMetadata>, AwsError> {
    match cx
        .clients
        .kms
        .describe_key()
        .key_id(key)
        .send()
        .await
        .aws("DescribeKey")
    {
        Ok(described) => described
            .key_metadata()
            .cloned()
            .map(Some)
            .ok_or_else(|| AwsError::missing("DescribeKey", "KeyMetadata")),
        Err(error) if error.kind == ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// The key an alias names, with its tags: `None` when no key has it.
async fn aliased(
    cx: &Cx,
    alias: &str,
) -> Result<Option<(aws_sdk_kms::types::KeyMetadata, Vec<(String, String)>)>, AwsError> {
    let Some(metadata) = describe(cx, &format!("alias/{alias}")).await? else {
        return Ok(None);
    };
    let pairs = key_tags(cx, metadata.key_id()).await?;
    Ok(Some((metadata, pairs)))
}

/// A key's tags (KMS lists keys without them).
async fn key_tags(cx: &Cx, key: &str) -> Result<Vec<(String, String)>, AwsError> {
    let pages: Vec<_> = cx
        .clients
        .kms
        .list_resource_tags()
        .key_id(key)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .aws("ListResourceTags")?;
    Ok(pages
        .iter()
        .flat_map(|page| page.tags())
        .map(|tag| (tag.tag_key().to_string(), tag.tag_value().to_string()))
        .collect())
}

fn borrowed(pairs: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    pairs
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
}

/// KMS refuses a key policy naming a principal it does not know yet ("AWS requires any
/// principal in the policy to exist before the key is created. The KMS service's
/// awareness of principals is limited by eventual consistency": the Terraform provider's
/// `internal/service/kms/key.go` and `wait.go`, `waitIAMPropagation`, 2 minutes).
pub const CONDITIONS: &[Condition] = &[
    Condition {
        operation: "CreateKey",
        code: "MalformedPolicyDocumentException",
        message: Some("invalid principals"),
        means: Means::Settling {
            awaiting: "the roles the key policy names to reach KMS",
            window: IAM_PROPAGATION,
        },
        source: "terraform-provider-aws internal/service/kms/key.go resourceKeyCreate (waitIAMPropagation)",
    },
    Condition {
        operation: "PutKeyPolicy",
        code: "MalformedPolicyDocumentException",
        message: Some("invalid principals"),
        means: Means::Settling {
            awaiting: "the roles the key policy names to reach KMS",
            window: IAM_PROPAGATION,
        },
        source: "terraform-provider-aws internal/service/kms/key.go updateKeyPolicy",
    },
    // A key just enabled again (restored from its pending deletion, or enabled after
    // someone disabled it) refuses rotation changes until KMS sees it enabled (the
    // provider's `updateKeyRotationEnabled`, `KeyRotationUpdatedTimeout`, 10 minutes). The
    // stack's keys are always enabled, so this never waits on a key meant to be disabled.
    Condition {
        operation: "EnableKeyRotation",
        code: "DisabledException",
        message: None,
        means: Means::Settling {
            awaiting: "the key, enabled again, to reach KMS",
            window: KEY_ROTATION_UPDATE,
        },
        source: "terraform-provider-aws internal/service/kms/key.go updateKeyRotationEnabled",
    },
    Condition {
        operation: "DisableKeyRotation",
        code: "DisabledException",
        message: None,
        means: Means::Settling {
            awaiting: "the key, enabled again, to reach KMS",
            window: KEY_ROTATION_UPDATE,
        },
        source: "terraform-provider-aws internal/service/kms/key.go updateKeyRotationEnabled",
    },
];

const KEY_ROTATION_UPDATE: std::time::Duration = std::time::Duration::from_secs(10 * 60);

#[async_trait]
impl crate::engine::kind::Kind for KeyAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    /// A deletion is a schedule: said in the plan, where it stays in the log.
    fn summarize(&self, step: &crate::engine::diff::Step) -> Option<crate::engine::diff::Summary> {
        (step.action == crate::engine::diff::Action::Delete).then(|| crate::engine::diff::Summary {
            lines: vec![format!(
                "deletion scheduled in {DELETION_WINDOW_DAYS} days, the shortest KMS allows; until then `aws kms cancel-key-deletion` or the next apply keeps it"
            )],
            entries: Vec::new(),
        })
    }

    /// A key with several aliases has the manifest's when it is among them.
    fn normalize(&self, desired: &mut Desired, observed: &mut Observed) {
        let (Ok(want), Ok(live)) = (
            KeyProps::from_props(&desired.props),
            KeyProps::from_props(&observed.props),
        ) else {
            return;
        };
        let has = observed.extra.get("aliases").is_some_and(|names| {
            names
                .split(' ')
                .any(|name| Some(name) == want.alias.as_deref())
        });
        if has {
            observed.props = KeyProps {
                alias: want.alias,
                ..live
            }
            .into_props();
        }
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let keys = tags::tagged(cx, KIND).await?;
        let reads = keys.into_iter().map(|(id, arn, pairs)| async move {
            // Listed by the tagging API a moment after its deletion: gone.
            let Some(aliases) = crate::aws::errors::present(aliases(cx, &arn).await)? else {
                return Ok(None);
            };
            read_key(cx, id, arn, pairs, &aliases).await
        });
        Ok(try_join_all(reads).await?.into_iter().flatten().collect())
    }

    /// The customer managed key the manifest's alias names (or the one pinned by id or
    /// ARN), with its aliases; one waiting for deletion is refused (cancel it first).
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = KeyProps::from_props(&desired.props)?;
        let wanted = match (pin, props.alias.as_deref()) {
            (Some(pin), _) => pin.to_string(),
            (None, Some(alias)) => format!("alias/{alias}"),
            (None, None) => return Ok(Found::Nothing),
        };
        let Some(metadata) = describe(op.cx, &wanted).await? else {
            return Ok(Found::Nothing);
        };
        let key = metadata.key_id().to_string();
        let what = format!("KMS key `{wanted}` ({key})");
        if metadata.key_manager() != Some(&KeyManagerType::Customer) {
            return Ok(Found::Refused(format!(
                "{what} is AWS's own (AWS managed): write another alias"
            )));
        }
        if matches!(
            metadata.key_state(),
            Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion)
        ) {
            return Ok(Found::Refused(format!(
                "{what} is waiting for its deletion: `aws kms cancel-key-deletion --key-id {key}` first (then `aws kms enable-key`), or write another alias"
            )));
        }
        // What the stack's keys are: symmetric encryption keys of KMS's own material, in
        // this region (a replica's rotation and policy are its primary's).
        let unlike = if metadata.key_spec() != Some(&KeySpec::SymmetricDefault)
            // AWS always says the usage; moto leaves it out.
            || metadata
                .key_usage()
                .is_some_and(|usage| usage != &KeyUsageType::EncryptDecrypt)
        {
            Some("not a symmetric encryption key")
        } else if metadata.origin() != Some(&OriginType::AwsKms) {
            Some("of key material KMS did not make (imported, or a custom key store's)")
        } else if metadata
            .multi_region_configuration()
            .and_then(|config| config.multi_region_key_type())
            == Some(&MultiRegionKeyType::Replica)
        {
            Some("a multi-Region replica")
        } else if metadata.key_state() == Some(&KeyState::PendingImport) {
            Some("waiting for its key material")
        } else {
            None
        };
        if let Some(unlike) = unlike {
            return Ok(Found::Refused(format!(
                "{what} is {unlike}, unlike the stack's keys: write another alias"
            )));
        }
        let arn = metadata
            .arn()
            .ok_or_else(|| AwsError::missing("DescribeKey", "Arn"))?
            .to_string();
        let (pairs, aliases) = tokio::try_join!(key_tags(op.cx, &key), aliases(op.cx, &key))?;
        let Some(observed) = read_key(op.cx, op.id.clone(), arn, pairs.clone(), &aliases).await?
        else {
            return Ok(Found::Nothing);
        };
        let found =
            crate::aws::adopt::found(op.cx, op.id, what, borrowed(&pairs), observed).await?;
        // CloudFormation does not tag keys (nor their aliases).
        let mut found =
            crate::aws::adopt::untagged(op.cx, found, ("AWS::KMS::Key", &[&key])).await?;
        let held = aliases.get(&key).cloned().unwrap_or_default();
        if let (Found::Live { note, .. }, Some(alias)) = (&mut found, props.alias.as_deref())
            && !held.iter().any(|name| name == alias)
        {
            // Pinned, or found as what a bucket or log group uses.
            let moved = format!(
                "the next apply gives it the alias `alias/{alias}` in place of {}: what names it by its present alias must move first",
                if held.is_empty() {
                    "none".to_string()
                } else {
                    held.iter()
                        .map(|name| format!("`alias/{name}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            );
            *note = Some(match note.take() {
                Some(other) => format!("{other}; {moved}"),
                None => moved,
            });
        }
        Ok(found)
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        tags::adopt(&Kms(&op.cx.clients.kms), &found.physical_id, op, desired).await
    }

    /// An alias names one key in the account: one held by a key the stack does not own is
    /// named here, before anything changes.
    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        let props = KeyProps::from_props(&desired.props).map_err(|e| e.to_string())?;
        let alias = props
            .alias
            .as_deref()
            .ok_or_else(|| format!("`{}` has no alias", desired.id))?;
        match aliased(cx, alias).await {
            Ok(None) => Ok(()),
            Ok(Some((_, pairs))) => match tags::name_taken_adoptable(
                &cx.stack,
                &desired.id,
                &format!("KMS alias `alias/{alias}`"),
                borrowed(&pairs),
            ) {
                Some(why) => Err(why),
                None => Ok(()),
            },
            Err(error) => Err(format!("cannot check whether the alias is taken: {error}")),
        }
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let kms = &op.cx.clients.kms;
        let props = KeyProps::from_props(&desired.props)?;
        let alias = props
            .alias
            .as_deref()
            .ok_or_else(|| AwsError::missing("CreateAlias", "AliasName"))?;
        // The stack's own key of this alias, waiting for its deletion after a destroy: the
        // same key brought back, so what it encrypted stays readable.
        if let Some((metadata, pairs)) = aliased(op.cx, alias).await? {
            let ours = tags::owned_id(&op.cx.stack, borrowed(&pairs)).as_ref() == Some(op.id);
            let arn = metadata
                .arn()
                .ok_or_else(|| AwsError::missing("DescribeKey", "Arn"))?
                .to_string();
            if !ours {
                return Err(AwsError::new(
                    ErrorKind::Conflict,
                    "CreateAlias",
                    format!("alias `alias/{alias}` names a key this stack does not own ({arn})"),
                ));
            }
            if metadata.key_state() == Some(&KeyState::PendingDeletion) {
                op.status("cancelling the scheduled deletion");
                kms.cancel_key_deletion()
                    .key_id(key_of(&arn))
                    .send()
                    .await
                    .aws("CancelKeyDeletion")?;
            }
            op.made(&arn);
            // The policy and rotation are written again below whatever they were.
            let live = KeyProps {
                alias: Some(alias.to_string()),
                description: metadata.description().unwrap_or_default().to_string(),
                rotation: !props.rotation,
                enabled: metadata.enabled(),
                policy: String::new(),
                tags: tags::observed_tag_map(borrowed(&pairs)),
            };
            let have = Observed::new(op.id.clone(), &arn, live.into_props());
            let (want, changes, _) = crate::engine::diff::compare(
                desired,
                &have,
                &Default::default(),
                &Default::default(),
            );
            if !changes.is_empty() {
                self.update(op, &want, &have, &changes).await?;
            }
            return Ok(arn);
        }
        let account = crate::aws::account(op.cx).await?;
        let created = kms
            .create_key()
            .description(&props.description)
            .policy(policy_text(&props, &account))
            .set_tags(Some(kms_tags(tags::for_create(op, &props.tags))?))
            .send()
            .await
            .aws("CreateKey")
            .given(CONDITIONS)?;
        let metadata = created
            .key_metadata()
            .ok_or_else(|| AwsError::missing("CreateKey", "KeyMetadata"))?;
        let arn = metadata
            .arn()
            .ok_or_else(|| AwsError::missing("CreateKey", "Arn"))?
            .to_string();
        op.made(&arn);
        if props.rotation {
            kms.enable_key_rotation()
                .key_id(&arn)
                .send()
                .await
                .aws("EnableKeyRotation")
                .given(CONDITIONS)?;
        }
        create_alias(op, alias, metadata.key_id()).await?;
        Ok(arn)
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        let kms = &op.cx.clients.kms;
        let arn = &observed.physical_id;
        let props = KeyProps::from_props(&desired.props)?;
        let live = KeyProps::from_props(&observed.props)?;
        let changed = KeyProps::changed(changes);
        if changed.enabled {
            kms.enable_key()
                .key_id(key_of(arn))
                .send()
                .await
                .aws("EnableKey")?;
        }
        if changed.description {
            kms.update_key_description()
                .key_id(arn)
                .description(&props.description)
                .send()
                .await
                .aws("UpdateKeyDescription")?;
        }
        if changed.policy {
            kms.put_key_policy()
                .key_id(arn)
                .policy_name("default")
                .policy(policy_text(&props, crate::aws::naming::arn_account(arn)?))
                .send()
                .await
                .aws("PutKeyPolicy")
                .given(CONDITIONS)?;
        }
        if changed.rotation {
            if props.rotation {
                kms.enable_key_rotation()
                    .key_id(arn)
                    .send()
                    .await
                    .aws("EnableKeyRotation")
                    .given(CONDITIONS)?;
            } else {
                kms.disable_key_rotation()
                    .key_id(arn)
                    .send()
                    .await
                    .aws("DisableKeyRotation")
                    .given(CONDITIONS)?;
            }
        }
        if changed.alias {
            let alias = props
                .alias
                .as_deref()
                .ok_or_else(|| AwsError::missing("CreateAlias", "AliasName"))?;
            create_alias(op, alias, key_of(arn)).await?;
            if let Some(old) = &live.alias {
                match kms
                    .delete_alias()
                    .alias_name(format!("alias/{old}"))
                    .send()
                    .await
                    .aws("DeleteAlias")
                {
                    Err(error) if error.kind != ErrorKind::NotFound => return Err(error),
                    _ => {}
                }
            }
        }
        tags::sync(&Kms(kms), arn, &live.tags, &props.tags).await
    }

    /// Schedules the deletion, the alias kept with the key so that the next apply finds it.
    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        op.status(&format!(
            "deletion scheduled in {DELETION_WINDOW_DAYS} days, the shortest KMS allows (`aws kms cancel-key-deletion` keeps it)"
        ));
        match op
            .cx
            .clients
            .kms
            .schedule_key_deletion()
            .key_id(key_of(&observed.physical_id))
            .pending_window_in_days(DELETION_WINDOW_DAYS)
            .send()
            .await
            .aws("ScheduleKeyDeletion")
        {
            Ok(_) => Ok(()),
            // Already waiting for its deletion (a lost answer): done.
            Err(error) if error.code.as_deref() == Some("KMSInvalidStateException") => Ok(()),
            Err(error) => Err(error),
        }
    }
}

/// Points `alias/<alias>` at the key; an alias already on it (a lost answer) is done.
async fn create_alias(op: &OpCx<'_>, alias: &str, key: &str) -> Result<(), AwsError> {
    let kms = &op.cx.clients.kms;
    match kms
        .create_alias()
        .alias_name(format!("alias/{alias}"))
        .target_key_id(key)
        .send()
        .await
        .aws("CreateAlias")
    {
        Ok(_) => Ok(()),
        Err(error) if error.kind == ErrorKind::Conflict => match aliased(op.cx, alias).await? {
            Some((metadata, _)) if metadata.key_id() == key || metadata.arn() == Some(key) => {
                Ok(())
            }
            _ => Err(error),
        },
        Err(error) => Err(error),
    }
}

use crate::aws::permissions::{On, Permission};

/// The IAM permissions this kind's calls need (`edgectl policy`); the suite's
/// `policy` test runs each shipped manifest with no more than these.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        actions: &[
            "kms:ListAliases",
            "kms:CreateKey",
            "kms:CreateAlias",
            "kms:DeleteAlias",
            "kms:TagResource",
        ],
        on: On::Any,
    },
    Permission {
        actions: &[
            "kms:DescribeKey",
            "kms:GetKeyPolicy",
            "kms:PutKeyPolicy",
            "kms:GetKeyRotationStatus",
            "kms:EnableKeyRotation",
            "kms:DisableKeyRotation",
            "kms:EnableKey",
            "kms:UpdateKeyDescription",
            "kms:ListResourceTags",
            "kms:TagResource",
            "kms:UntagResource",
            "kms:ScheduleKeyDeletion",
            "kms:CancelKeyDeletion",
        ],
        on: On::Owned,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_policy_reads_with_the_account_as_a_stand_in() {
        let live =
            r#"{ "Statement": [ { "Principal": { "AWS": "arn:aws:iam::123456789012:root" } } ] }"#;
        assert_eq!(
            policy_value(live, "123456789012"),
            r#"{"Statement":[{"Principal":{"AWS":"arn:aws:iam::${account}:root"}}]}"#
        );
        assert_eq!(
            crate::aws::naming::arn_account("arn:aws:kms:eu-west-1:123456789012:key/1234").unwrap(),
            "123456789012"
        );
        assert!(crate::aws::naming::arn_account("alias/demo").is_err());
    }
}
