//! Roles several kinds make (a service's execution and task roles, a database's
//! monitoring role): what they may do, as the role adapter (`aws::iam`) writes it.

use std::collections::BTreeSet;

use crate::aws::iam::{RoleProps, normalise_policy};
use crate::aws::tags;
use crate::engine::model::{Desired, ResourceId, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;

/// What a role may do besides its managed policies: the manifest's statements, and the
/// secrets and parameters the containers read.
#[derive(Default)]
pub struct Grants {
    pub inline: Option<String>,
    /// References to the stack's secrets, and ARN patterns of others.
    pub secrets: BTreeSet<Value>,
    pub parameters: BTreeSet<Value>,
    /// Customer managed keys the secrets are encrypted with (`kms:Decrypt`).
    pub keys: BTreeSet<Value>,
    /// File systems the task mounts (`elasticfilesystem:ClientMount`), and writes.
    pub mounts: BTreeSet<Value>,
    pub writes: BTreeSet<Value>,
}

/// A role the given service principal assumes (`assume`, a trust policy).
pub fn role_for(
    manifest: &Manifest,
    id: ResourceId,
    name: String,
    assume: &str,
    managed: Vec<String>,
    grants: Grants,
) -> Desired {
    let props = RoleProps {
        name: name.clone(),
        assume_role_policy: Some(normalise_policy(assume)),
        managed_policies: managed.into_iter().collect(),
        inline_policy: grants.inline.map(|policy| normalise_policy(&policy)),
        secret_reads: grants.secrets,
        key_decrypts: grants.keys,
        file_system_mounts: grants.mounts,
        file_system_writes: grants.writes,
        parameter_reads: grants.parameters,
        tags: tags::desired_tag_map(&manifest.tags, &name),
    };
    Desired {
        id,
        props: props.into_props(),
        after: Vec::new(),
    }
}

pub fn policy_document(statements: Vec<serde_json::Value>) -> String {
    serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}
