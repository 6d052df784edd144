//! Lowering: task definitions: the containers of each service.

use super::Env;
use super::role::has_task_role;
use crate::aws::ecs::task_definition::{
    Container, ContainerHealth, EcrImage, KEEP_IMAGE, Logs, Mount, TaskDefinitionProps, TaskVolume,
    image_value, secret_value, volume_list,
};
use crate::aws::ids::{
    access_point_id, database_id, execution_role_id, file_system_id, log_group_id, repository_id,
    secret_id, task_definition_id, task_role_id,
};
use crate::aws::tags;
use crate::engine::model::{Desired, Value, Why};
use crate::engine::typed::{Prop as _, Properties as _};
use crate::manifest::containers::SecretSource;
use crate::manifest::{Image, Manifest, Service, TaskRole};

pub fn desired(manifest: &Manifest, env: &Env) -> Vec<Desired> {
    manifest
        .containers
        .services
        .iter()
        .map(|service| desired_for(manifest, env, service))
        .collect()
}

pub fn desired_for(manifest: &Manifest, env: &Env, service: &Service) -> Desired {
    let family = format!("{}-{}", manifest.stack, service.key);
    let mut containers: Vec<Container> = service
        .containers
        .iter()
        .map(|container| container_for(env, service, container))
        .collect();
    containers.sort_by(|a, b| a.name.cmp(&b.name));
    let execution_role = match &service.execution_role {
        Some(arn) => Value::str(arn),
        None => Value::Ref(execution_role_id(&service.key)),
    };
    let task_role = match &service.task_role {
        TaskRole::Arn(arn) => Some(Value::str(arn)),
        _ if has_task_role(service) => Some(Value::Ref(task_role_id(&service.key))),
        _ => None,
    };
    let props = TaskDefinitionProps {
        family: family.clone(),
        cpu: service.cpu,
        memory: service.memory,
        execution_role,
        task_role,
        containers,
        volumes: volume_list(service.volumes.iter().map(|volume| {
            TaskVolume {
                name: volume.name.clone(),
                file_system: Value::Ref(file_system_id(&volume.file_system)),
                access_point: volume
                    .access_point
                    .as_ref()
                    .map(|point| Value::Ref(access_point_id(&volume.file_system, point))),
            }
        })),
        tags: tags::desired_tag_map(&manifest.tags, &family),
    };
    Desired {
        id: task_definition_id(&service.key),
        props: props.into_props(),
        after: Vec::new(),
    }
}

/// One container of `service`'s task.
fn container_for(
    env: &Env,
    service: &Service,
    container: &crate::manifest::containers::Container,
) -> Container {
    let image = match &container.image {
        Image::Literal(image) => image_value(image),
        Image::Repository {
            repository,
            tag,
            tag_defaulted,
        } => EcrImage {
            repository: Value::Ref(repository_id(repository)),
            tag: if *tag_defaulted {
                Value::KeepLive(Box::new(Value::str(tag)), Why(KEEP_IMAGE))
            } else {
                Value::str(tag)
            },
        }
        .into_value(),
    };
    Container {
        name: container.name.clone(),
        image,
        ports: container
            .ports
            .iter()
            .map(|port| i64::from(*port))
            .collect(),
        environment: container
            .environment
            .iter()
            .map(|(name, value)| (name.clone(), Value::str(value)))
            .collect(),
        secrets: container
            .secrets
            .iter()
            .map(|(name, source)| (name.clone(), secret_source(source)))
            .collect(),
        command: words(&container.command),
        entrypoint: words(&container.entrypoint),
        health_check: container
            .health_check
            .as_ref()
            .map(|check| ContainerHealth {
                command: check.command.iter().map(Value::str).collect(),
                interval: check.interval,
                timeout: check.timeout,
                retries: check.retries,
                start_period: check.start_period,
            }),
        essential: container.essential,
        mounts: service
            .volumes
            .iter()
            .filter(|volume| {
                volume
                    .container
                    .as_ref()
                    .is_none_or(|name| *name == container.name)
            })
            .map(|volume| Mount {
                volume: volume.name.clone(),
                path: volume.path.clone(),
                read_only: volume.read_only,
            })
            .collect(),
        logs: Logs {
            group: Some(Value::Ref(log_group_id(&service.key))),
            region: Some(env.region.clone()),
            stream_prefix: Some("ecs".to_string()),
        },
    }
}

pub fn words(list: &Option<Vec<String>>) -> Option<Vec<Value>> {
    list.as_ref()
        .map(|words| words.iter().map(Value::str).collect())
}

/// A container's secret as the task definition holds it: one of the stack's secrets by
/// reference (and the key of its JSON value), an ARN made elsewhere as it reads back.
pub fn secret_source(source: &SecretSource) -> Value {
    match source {
        SecretSource::Arn(arn) => secret_value(arn),
        SecretSource::Database { key, json_key } => {
            let secret = Value::Ref(database_id(key).attribute("secret"));
            match json_key {
                Some(json_key) => Value::map([("secret", secret), ("key", Value::str(json_key))]),
                None => secret,
            }
        }
        SecretSource::Secret {
            key,
            json_key: None,
        } => Value::Ref(secret_id(key)),
        SecretSource::Secret {
            key,
            json_key: Some(json_key),
        } => Value::map([
            ("secret", Value::Ref(secret_id(key))),
            ("key", Value::str(json_key)),
        ]),
    }
}
