//! Lowering: IAM roles of the services: execution and task roles with their policies.

use std::collections::BTreeSet;

use super::Env;
use crate::aws::iam::{ASSUME_ECS_TASKS, KIND, normalise_policy, partition};
use crate::aws::naming::fit;
use crate::aws::tags;
use crate::engine::model::{Desired, Mode, ResourceId, Value, props};
use crate::manifest::{Manifest, Service, TaskRole};

pub fn desired(manifest: &Manifest, env: &Env) -> Vec<Desired> {
    let mut out = Vec::new();
    for service in &manifest.containers.services {
        if service.execution_role.is_none() {
            out.push(role(
                manifest,
                execution_role_id(&service.key),
                fit(&format!("{}-execution", service.name), 64),
                vec![format!(
                    "arn:{}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
                    partition(&env.region)
                )],
                secrets_policy(service),
            ));
        }
        if let TaskRole::Statements(statements) = &service.task_role {
            let statements = statements
                .iter()
                .map(|statement| {
                    serde_json::json!({
                        "Effect": if statement.allow { "Allow" } else { "Deny" },
                        "Action": statement.actions,
                        "Resource": statement.resources,
                    })
                })
                .collect();
            out.push(role(
                manifest,
                task_role_id(&service.key),
                fit(&format!("{}-task", service.name), 64),
                Vec::new(),
                Some(policy_document(statements)),
            ));
        }
    }
    out
}

/// The execution role's inline policy: read exactly the secrets the containers name.
pub fn secrets_policy(service: &Service) -> Option<String> {
    let arns: BTreeSet<&str> = service
        .containers
        .iter()
        .flat_map(|container| container.secrets.values())
        .map(String::as_str)
        .collect();
    let secrets: Vec<&str> = arns
        .iter()
        .copied()
        .filter(|arn| arn.contains(":secretsmanager:"))
        .collect();
    let parameters: Vec<&str> = arns
        .iter()
        .copied()
        .filter(|arn| arn.contains(":ssm:"))
        .collect();
    let mut statements = Vec::new();
    if !secrets.is_empty() {
        statements.push(serde_json::json!({"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": secrets}));
    }
    if !parameters.is_empty() {
        statements.push(serde_json::json!({"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": parameters}));
    }
    (!statements.is_empty()).then(|| policy_document(statements))
}

pub fn execution_role_id(service: &str) -> ResourceId {
    ResourceId::new(KIND, &format!("{service}-execution"))
}

pub fn task_role_id(service: &str) -> ResourceId {
    ResourceId::new(KIND, &format!("{service}-task"))
}

pub fn role(
    manifest: &Manifest,
    id: ResourceId,
    name: String,
    managed: Vec<String>,
    inline: Option<String>,
) -> Desired {
    Desired {
        id,
        props: props([
            ("name", Value::str(&name), Mode::Replace),
            (
                "assume_role_policy",
                normalise_policy(ASSUME_ECS_TASKS),
                Mode::InPlace,
            ),
            (
                "managed_policies",
                Value::Set(managed.into_iter().map(Value::Str).collect()),
                Mode::InPlace,
            ),
            (
                "inline_policy",
                inline.map_or(Value::Null, |policy| normalise_policy(&policy)),
                Mode::InPlace,
            ),
            (
                "tags",
                tags::desired_tags(&manifest.tags, &name),
                Mode::InPlace,
            ),
        ]),
        after: Vec::new(),
    }
}

pub fn policy_document(statements: Vec<serde_json::Value>) -> String {
    serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}
