//! Lowering: IAM roles of the services: execution and task roles with their policies.

use super::manifest::{SecretSource, Service, Statement, TaskRole};
use crate::aws::iam::{ASSUME_ECS_TASKS, partition};
use crate::aws::ids::{database_id, execution_role_id, file_system_id, secret_id, task_role_id};
use crate::aws::naming::fit;
use crate::engine::model::{Desired, ResourceId, Value};
use crate::lower::Env;
use crate::lower::role::{Grants, policy_document, role_for};
use crate::lower::uses::Uses;
use crate::manifest::Manifest;

/// The services' roles. It runs after the secrets' lowering: `uses` says which key a
/// secret is read through.
pub fn desired(services: &[Service], manifest: &Manifest, env: &Env, uses: &Uses) -> Vec<Desired> {
    let mut out = Vec::new();
    for service in services {
        if service.execution_role.is_none() {
            out.push(role(
                manifest,
                execution_role_id(&service.key),
                fit(&format!("{}-execution", service.name), 64),
                vec![format!(
                    "arn:{}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
                    partition(&env.region)
                )],
                secret_reads(uses, service),
            ));
        }
        if has_task_role(service) {
            let written: &[Statement] = match &service.task_role {
                TaskRole::Statements(statements) => statements,
                _ => &[],
            };
            let mut statements: Vec<serde_json::Value> = written
                .iter()
                .map(|statement| {
                    serde_json::json!({
                        "Effect": if statement.allow { "Allow" } else { "Deny" },
                        "Action": statement.actions,
                        "Resource": statement.resources,
                    })
                })
                .collect();
            if service.execute_command {
                statements.push(serde_json::json!({
                    "Effect": "Allow",
                    "Action": EXEC_ACTIONS,
                    "Resource": "*",
                }));
            }
            // The file systems its volumes mount: ClientMount, and ClientWrite where a
            // volume is not read-only (EFS authorises a mount with IAM, `iam: ENABLED`).
            let mounts = service
                .volumes
                .iter()
                .map(|volume| Value::Ref(file_system_id(&volume.file_system)))
                .collect();
            let writes = service
                .volumes
                .iter()
                .filter(|volume| !volume.read_only)
                .map(|volume| Value::Ref(file_system_id(&volume.file_system)))
                .collect();
            out.push(role(
                manifest,
                task_role_id(&service.key),
                fit(&format!("{}-task", service.name), 64),
                Vec::new(),
                Grants {
                    inline: (!statements.is_empty()).then(|| policy_document(statements)),
                    mounts,
                    writes,
                    ..Grants::default()
                },
            ));
        }
    }
    out
}

/// What ECS Exec needs of the task role: the channels of the SSM agent in the container
/// (AWS's ECS Exec documentation; the actions take no resource).
const EXEC_ACTIONS: [&str; 4] = [
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
];

/// Whether edgectl makes the service a task role: for the manifest's statements, or for
/// ECS Exec (`execute_command: true`) when the manifest names no role of its own.
pub fn has_task_role(service: &Service) -> bool {
    match service.task_role {
        TaskRole::Statements(_) => true,
        TaskRole::None => service.execute_command || !service.volumes.is_empty(),
        TaskRole::Arn(_) => false,
    }
}

/// The execution role reads exactly the secrets the containers name: the stack's own by
/// their real ARNs (references, resolved when the policy is written), others by the ARN
/// as written and with the `-??????` Secrets Manager appends to a name, as AWS documents
/// for a policy naming a secret by its name.
pub fn secret_reads(uses: &Uses, service: &Service) -> Grants {
    let mut grants = Grants::default();
    for source in service
        .containers
        .iter()
        .flat_map(|container| container.secrets.values())
    {
        match source {
            SecretSource::Secret { key, .. } => {
                grants.secrets.insert(Value::Ref(secret_id(key)));
                // A secret under a customer managed key is read through that key.
                if let Some(kms_key) = uses.key_of(&secret_id(key)) {
                    grants.keys.insert(kms_key.clone());
                }
            }
            // RDS's secret of the master user, under Secrets Manager's own key.
            SecretSource::Database { key, .. } => {
                grants
                    .secrets
                    .insert(Value::Ref(database_id(key).attribute("secret")));
            }
            SecretSource::Arn(arn) if arn.contains(":secretsmanager:") => {
                let base = arn.split(':').take(7).collect::<Vec<_>>().join(":");
                grants.secrets.insert(Value::Phys(format!("{base}-??????")));
                grants.secrets.insert(Value::Phys(base));
            }
            SecretSource::Arn(arn) => {
                grants.parameters.insert(Value::Phys(arn.clone()));
            }
        }
    }
    grants
}

pub fn role(
    manifest: &Manifest,
    id: ResourceId,
    name: String,
    managed: Vec<String>,
    grants: Grants,
) -> Desired {
    role_for(manifest, id, name, ASSUME_ECS_TASKS, managed, grants)
}
