//! IAM roles for tasks: each service's execution role (pull from ECR, write logs, read
//! its secrets) and, when the manifest grants permissions, its task role. Roles live under
//! the path `/edgectl/<stack>/`, so one ListRoles finds them; ownership is still their tags.
//!
//! A role's one inline policy holds the manifest's statements and edgectl's own grants,
//! each under a reserved `Sid` so that a read splits them apart again:
//! `EdgectlSecretRead` (the secrets the containers read, by their real ARNs: a reference
//! to one of the stack's secrets resolves to it), `EdgectlParameterRead` (SSM parameters)
//! and `EdgectlKeyDecrypt` (the customer managed keys those secrets are encrypted with).

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_iam::types::Tag;
use futures::future::try_join_all;

use super::conditions::{Condition, Given as _, IAM_PROPAGATION, Means};
use super::errors::{AwsError, AwsResultExt, ErrorKind, built};
use super::{Cx, OpCx, tags};
use crate::engine::diff::Change;
use crate::engine::model::{Desired, Observed, Value};
use crate::engine::typed::Properties as _;
use crate::ids::ROLE as KIND;

/// The one inline policy edgectl writes on a role.
const INLINE_POLICY: &str = "edgectl";

crate::engine::properties! {
    /// An IAM role: its name makes it; its trust policy, policies, edgectl's own grants and
    /// tags change in place.
    pub struct RoleProps (changes: RoleChanges) {
        pub name: String => Replace,
        /// The trust policy, normalised ([`normalise_policy`]); null when IAM shows none.
        pub assume_role_policy: Option<String> => InPlace,
        /// The ARNs of the managed policies attached.
        pub managed_policies: BTreeSet<String> => InPlace,
        /// The manifest's statements of the inline policy, normalised; null when none.
        pub inline_policy: Option<String> => InPlace,
        /// edgectl's own grants (see `GRANTS`): references to the stack's resources, or
        /// ARNs and ids.
        pub secret_reads: BTreeSet<Value> => InPlace,
        pub key_decrypts: BTreeSet<Value> => InPlace,
        pub file_system_mounts: BTreeSet<Value> => InPlace,
        pub file_system_writes: BTreeSet<Value> => InPlace,
        pub parameter_reads: BTreeSet<Value> => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

impl RoleProps {
    /// Its grants, one set per row of `GRANTS`, in that order.
    fn grants(&self) -> [&BTreeSet<Value>; GRANTS.len()] {
        [
            &self.secret_reads,
            &self.parameter_reads,
            &self.key_decrypts,
            &self.file_system_mounts,
            &self.file_system_writes,
        ]
    }
}

/// One of edgectl's own grants in a role's inline policy, held in one of the role's fields
/// (a set of references or ARNs; see [`RoleProps::grants`]).
struct Grant {
    /// The statement's `Sid`.
    sid: &'static str,
    /// Its one action.
    action: &'static str,
    /// Where the resources are ids written as ARNs (`elasticfilesystem`, `file-system`):
    /// the ARN is made with the role's account and the stack's region, and read back as
    /// the id.
    arn: Option<(&'static str, &'static str)>,
}

/// The grants, in the order of [`RoleProps::grants`]: `secret_reads`, `parameter_reads`,
/// `key_decrypts`, `file_system_mounts`, `file_system_writes`.
const GRANTS: [Grant; 5] = [
    Grant {
        sid: "EdgectlSecretRead",
        action: "secretsmanager:GetSecretValue",
        arn: None,
    },
    Grant {
        sid: "EdgectlParameterRead",
        action: "ssm:GetParameters",
        arn: None,
    },
    Grant {
        sid: "EdgectlKeyDecrypt",
        action: "kms:Decrypt",
        arn: None,
    },
    Grant {
        sid: "EdgectlFileSystemMount",
        action: "elasticfilesystem:ClientMount",
        arn: Some(("elasticfilesystem", "file-system")),
    },
    Grant {
        sid: "EdgectlFileSystemWrite",
        action: "elasticfilesystem:ClientWrite",
        arn: Some(("elasticfilesystem", "file-system")),
    },
];

impl Grant {
    /// A resource as the policy names it.
    fn resource(&self, physical: String, region: &str, account: &str) -> String {
        match self.arn {
            Some((service, kind)) => {
                format!(
                    "arn:{}:{service}:{region}:{account}:{kind}/{physical}",
                    partition(region)
                )
            }
            None => physical,
        }
    }

    /// A resource of the policy as the role's field holds it.
    fn read(&self, resource: &str) -> Value {
        let id = self
            .arn
            .and_then(|(_, kind)| resource.split_once(&format!(":{kind}/")))
            .map_or(resource, |(_, id)| id);
        Value::Phys(id.to_string())
    }
}

pub struct RoleAdapter;

fn path(stack: &str) -> String {
    format!("/edgectl/{stack}/")
}

pub use crate::naming::partition;

/// Who may assume an RDS instance's enhanced monitoring role.
pub const ASSUME_RDS_MONITORING: &str = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"monitoring.rds.amazonaws.com"}}],"Version":"2012-10-17"}"#;

pub const ASSUME_ECS_TASKS: &str = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"}}],"Version":"2012-10-17"}"#;

/// IAM returns policy documents URL-encoded; compare them parsed and re-serialised.
pub fn normalise_policy(text: &str) -> String {
    let decoded = percent_decode(text);
    crate::text::canonical_json(&decoded).unwrap_or(decoded)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && index + 2 < bytes.len()
            && let Ok(hex) = std::str::from_utf8(&bytes[index + 1..index + 3])
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

fn iam_tags(pairs: Vec<(String, String)>) -> Result<Vec<Tag>, AwsError> {
    pairs
        .into_iter()
        .map(|(key, value)| built("CreateRole", Tag::builder().key(key).value(value).build()))
        .collect()
}

/// IAM tags a role by its name.
/// What IAM answers while it settles (the Terraform provider's `internal/service/iam/`,
/// `propagationTimeout`, 2 minutes): a trust policy naming a principal made seconds ago
/// (`role.go`, `retryCreateRole`, `resourceRoleUpdate`), and concurrent changes to one
/// role's attachments (`role_policy_attachment.go`).
pub const CONDITIONS: &[Condition] = &[
    Condition {
        operation: "CreateRole",
        code: "MalformedPolicyDocument",
        message: Some("Invalid principal in policy"),
        means: Means::Settling {
            awaiting: "the principals the trust policy names to reach IAM",
            window: IAM_PROPAGATION,
        },
        source: "terraform-provider-aws internal/service/iam/role.go retryCreateRole",
    },
    Condition {
        operation: "UpdateAssumeRolePolicy",
        code: "MalformedPolicyDocument",
        message: Some("Invalid principal in policy"),
        means: Means::Settling {
            awaiting: "the principals the trust policy names to reach IAM",
            window: IAM_PROPAGATION,
        },
        source: "terraform-provider-aws internal/service/iam/role.go resourceRoleUpdate",
    },
    Condition {
        operation: "DeleteRole",
        code: "DeleteConflict",
        message: None,
        means: Means::Settling {
            awaiting: "the role's policies, just removed, to be detached in IAM",
            window: IAM_PROPAGATION,
        },
        source: "terraform-provider-aws internal/service/iam/role.go deleteRole",
    },
    Condition {
        operation: "AttachRolePolicy",
        code: "ConcurrentModification",
        message: None,
        means: Means::Settling {
            awaiting: "another change to the role's policies to finish",
            window: IAM_PROPAGATION,
        },
        source: "terraform-provider-aws internal/service/iam/role_policy_attachment.go attachPolicyToRole",
    },
    Condition {
        operation: "DetachRolePolicy",
        code: "ConcurrentModification",
        message: None,
        means: Means::Settling {
            awaiting: "another change to the role's policies to finish",
            window: IAM_PROPAGATION,
        },
        source: "terraform-provider-aws internal/service/iam/role_policy_attachment.go detachPolicyFromRole",
    },
];

#[async_trait]
impl tags::Tagging for aws_sdk_iam::Client {
    async fn tag(&self, role: &str, tags: Vec<(String, String)>) -> Result<(), AwsError> {
        self.tag_role()
            .role_name(role)
            .set_tags(Some(iam_tags(tags)?))
            .send()
            .await
            .aws("TagRole")
            .map(drop)
    }

    async fn untag(&self, role: &str, keys: Vec<String>) -> Result<(), AwsError> {
        self.untag_role()
            .role_name(role)
            .set_tag_keys(Some(keys))
            .send()
            .await
            .aws("UntagRole")
            .map(drop)
    }
}

#[async_trait]
impl crate::engine::kind::Kind for RoleAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let iam = &cx.clients.iam;
        let roles: Vec<_> = iam
            .list_roles()
            .path_prefix(path(&cx.stack))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .aws("ListRoles")?;
        // ListRoles returns neither tags nor policies: GetRole, GetRolePolicy and
        // ListAttachedRolePolicies per role, all at once.
        let observed = roles.iter().map(|listed| async move {
            let name = listed.role_name();
            let (got, inline, attached) = futures::join!(
                iam.get_role().role_name(name).send(),
                iam.get_role_policy()
                    .role_name(name)
                    .policy_name(INLINE_POLICY)
                    .send(),
                iam.list_attached_role_policies().role_name(name).send(),
            );
            // A role deleted between the listing and these reads is not there.
            let got = match got.aws("GetRole") {
                Ok(got) => got,
                Err(error) if error.kind == ErrorKind::NotFound => return Ok(None),
                Err(error) => return Err(error),
            };
            let Some(role) = got.role() else {
                return Ok(None);
            };
            let pairs: Vec<(&str, &str)> = role
                .tags()
                .iter()
                .map(|tag| (tag.key(), tag.value()))
                .collect();
            let Some(id) = tags::owned_id(&cx.stack, pairs.iter().copied()) else {
                return Ok(None);
            };
            let (inline, grants) = match inline.aws("GetRolePolicy") {
                Ok(policy) => split_inline(policy.policy_document()),
                Err(error) if error.kind == ErrorKind::NotFound => (None, Default::default()),
                Err(error) => return Err(error),
            };
            let attached = match attached.aws("ListAttachedRolePolicies") {
                Ok(attached) => attached,
                Err(error) if error.kind == ErrorKind::NotFound => return Ok(None),
                Err(error) => return Err(error),
            };
            let managed_policies = attached
                .attached_policies()
                .iter()
                .filter_map(|policy| policy.policy_arn().map(str::to_string))
                .collect();
            // One set per row of `GRANTS`, in its order (as `RoleProps::grants` reads them).
            let [
                secret_reads,
                parameter_reads,
                key_decrypts,
                file_system_mounts,
                file_system_writes,
            ] = grants;
            let props = RoleProps {
                name: role.role_name().to_string(),
                assume_role_policy: role.assume_role_policy_document().map(normalise_policy),
                managed_policies,
                inline_policy: inline,
                secret_reads,
                key_decrypts,
                file_system_mounts,
                file_system_writes,
                parameter_reads,
                tags: tags::observed_tag_map(pairs.iter().copied()),
            };
            let mut resource = Observed::new(id, role.arn(), props.into_props());
            resource
                .extra
                .insert("name".into(), role.role_name().to_string());
            Ok::<_, AwsError>(Some(resource))
        });
        Ok(try_join_all(observed)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }

    /// Role names are unique in the account: `GetRole` says whether the name is taken.
    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        let props = RoleProps::from_props(&desired.props).map_err(|e| e.to_string())?;
        let name = props.name.as_str();
        let role = match cx
            .clients
            .iam
            .get_role()
            .role_name(name)
            .send()
            .await
            .aws("GetRole")
        {
            Ok(found) => found.role,
            Err(error) if error.kind == ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(format!("cannot check whether the name is taken: {error}")),
        };
        let Some(role) = role else { return Ok(()) };
        let pairs = role.tags().iter().map(|tag| (tag.key(), tag.value()));
        match tags::name_taken(
            &cx.stack,
            &desired.id,
            &format!("IAM role `{name}` ({})", role.arn()),
            pairs,
        ) {
            Some(why) => Err(why),
            None => Ok(()),
        }
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let iam = &op.cx.clients.iam;
        let props = RoleProps::from_props(&desired.props)?;
        let name = props.name.as_str();
        let created = iam
            .create_role()
            .role_name(name)
            .path(path(&op.cx.stack))
            .assume_role_policy_document(
                props
                    .assume_role_policy
                    .as_deref()
                    .unwrap_or(ASSUME_ECS_TASKS),
            )
            .set_tags(Some(iam_tags(crate::tags::for_create(op, &props.tags))?))
            .send()
            .await
            .aws("CreateRole")
            .given(CONDITIONS)?;
        let arn = created
            .role()
            .map(|role| role.arn().to_string())
            .ok_or_else(|| AwsError::missing("CreateRole", "Role"))?;
        op.made(&arn);
        sync_policies(
            op,
            &arn,
            name,
            &Inline::NONE,
            &Inline::of(&props),
            &BTreeSet::new(),
            &props.managed_policies,
        )
        .await?;
        Ok(arn)
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        _changes: &[Change],
    ) -> Result<(), AwsError> {
        let iam = &op.cx.clients.iam;
        let name = observed.detail("name")?.to_string();
        let props = RoleProps::from_props(&desired.props)?;
        let live = RoleProps::from_props(&observed.props)?;
        if live.assume_role_policy != props.assume_role_policy {
            iam.update_assume_role_policy()
                .role_name(&name)
                .policy_document(
                    props
                        .assume_role_policy
                        .as_deref()
                        .unwrap_or(ASSUME_ECS_TASKS),
                )
                .send()
                .await
                .aws("UpdateAssumeRolePolicy")
                .given(CONDITIONS)?;
        }
        sync_policies(
            op,
            &observed.physical_id,
            &name,
            &Inline::of(&live),
            &Inline::of(&props),
            &live.managed_policies,
            &props.managed_policies,
        )
        .await?;
        let name = name.as_str();
        tags::sync(iam, name, &live.tags, &props.tags).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let iam = &op.cx.clients.iam;
        let name = observed.detail("name")?.to_string();
        let live = RoleProps::from_props(&observed.props)?;
        // IAM refuses to delete a role with policies (DeleteConflict): remove them first.
        sync_policies(
            op,
            &observed.physical_id,
            &name,
            &Inline::of(&live),
            &Inline::NONE,
            &live.managed_policies,
            &BTreeSet::new(),
        )
        .await?;
        iam.delete_role()
            .role_name(&name)
            .send()
            .await
            .aws("DeleteRole")
            .given(CONDITIONS)?;
        Ok(())
    }
}

/// What a role's one inline policy is made of: the manifest's statements (a document, or
/// none) and edgectl's own grants (sets of references or ARNs, one per row of `GRANTS`).
struct Inline<'a> {
    policy: Option<&'a str>,
    grants: [&'a BTreeSet<Value>; GRANTS.len()],
}

/// No grant.
static NO_GRANTS: BTreeSet<Value> = BTreeSet::new();

impl<'a> Inline<'a> {
    const NONE: Inline<'static> = Inline {
        policy: None,
        grants: [&NO_GRANTS; GRANTS.len()],
    };

    fn of(props: &'a RoleProps) -> Self {
        Self {
            policy: props.inline_policy.as_deref(),
            grants: props.grants(),
        }
    }

    fn same_as(&self, other: &Inline<'_>) -> bool {
        self.policy == other.policy && self.grants == other.grants
    }

    /// The document to write, references resolved; `None` when there is nothing to grant.
    fn document(&self, op: &OpCx<'_>, account: &str) -> Result<Option<String>, AwsError> {
        let mut statements: Vec<serde_json::Value> = self
            .policy
            .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok())
            .and_then(|document| document.get("Statement").cloned())
            .map(|statements| match statements {
                serde_json::Value::Array(items) => items,
                single => vec![single],
            })
            .unwrap_or_default();
        for (grant, granted) in GRANTS.iter().zip(self.grants) {
            let mut resources: Vec<String> = granted
                .iter()
                .map(|read| {
                    op.resolve(read)
                        .map(|physical| grant.resource(physical, &op.cx.region, account))
                })
                .collect::<Result<_, _>>()?;
            resources.sort();
            if !resources.is_empty() {
                statements.push(serde_json::json!({
                    "Sid": grant.sid,
                    "Effect": "Allow",
                    "Action": [grant.action],
                    "Resource": resources,
                }));
            }
        }
        Ok((!statements.is_empty()).then(|| {
            serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string()
        }))
    }
}

/// A live inline policy split into the manifest's statements and edgectl's own grants
/// (see [`Inline`]), one set per row of `GRANTS`.
fn split_inline(text: &str) -> (Option<String>, [BTreeSet<Value>; GRANTS.len()]) {
    let decoded = percent_decode(text);
    let mut grants: [BTreeSet<Value>; GRANTS.len()] = Default::default();
    let Ok(document) = serde_json::from_str::<serde_json::Value>(&decoded) else {
        return (Some(decoded), grants);
    };
    let statements = match document.get("Statement") {
        Some(serde_json::Value::Array(items)) => items.clone(),
        Some(single) => vec![single.clone()],
        None => Vec::new(),
    };
    let mut own = Vec::new();
    for statement in statements {
        let sid = statement.get("Sid").and_then(serde_json::Value::as_str);
        let Some(row) = GRANTS.iter().position(|grant| Some(grant.sid) == sid) else {
            own.push(statement);
            continue;
        };
        let grant = &GRANTS[row];
        let target = &mut grants[row];
        match statement.get("Resource") {
            Some(serde_json::Value::String(arn)) => {
                target.insert(grant.read(arn));
            }
            Some(serde_json::Value::Array(items)) => target.extend(
                items
                    .iter()
                    .filter_map(serde_json::Value::as_str)
                    .map(|arn| grant.read(arn)),
            ),
            _ => {}
        }
    }
    let policy = (!own.is_empty()).then(|| {
        normalise_policy(
            &serde_json::json!({"Version": "2012-10-17", "Statement": own}).to_string(),
        )
    });
    (policy, grants)
}

async fn sync_policies(
    op: &OpCx<'_>,
    arn: &str,
    name: &str,
    old_inline: &Inline<'_>,
    new_inline: &Inline<'_>,
    old_managed: &BTreeSet<String>,
    new_managed: &BTreeSet<String>,
) -> Result<(), AwsError> {
    let iam = &op.cx.clients.iam;
    if !old_inline.same_as(new_inline) {
        // The role's account, for the ARNs of the grants written as ids.
        let account = crate::naming::arn_account(arn)?;
        match new_inline.document(op, account)? {
            Some(document) => {
                iam.put_role_policy()
                    .role_name(name)
                    .policy_name(INLINE_POLICY)
                    .policy_document(&document)
                    .send()
                    .await
                    .aws("PutRolePolicy")?;
            }
            None => match iam
                .delete_role_policy()
                .role_name(name)
                .policy_name(INLINE_POLICY)
                .send()
                .await
                .aws("DeleteRolePolicy")
            {
                Err(error) if error.kind != ErrorKind::NotFound => return Err(error),
                _ => {}
            },
        }
    }
    for arn in new_managed.difference(old_managed) {
        iam.attach_role_policy()
            .role_name(name)
            .policy_arn(arn)
            .send()
            .await
            .aws("AttachRolePolicy")
            .given(CONDITIONS)?;
    }
    for arn in old_managed.difference(new_managed) {
        match iam
            .detach_role_policy()
            .role_name(name)
            .policy_arn(arn)
            .send()
            .await
            .aws("DetachRolePolicy")
            .given(CONDITIONS)
        {
            Err(error) if error.kind != ErrorKind::NotFound => return Err(error),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_compare_after_iam_url_encodes_them() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(
            normalise_policy(encoded),
            normalise_policy(r#"{ "Statement": [], "Version": "2012-10-17" }"#)
        );
    }
}
