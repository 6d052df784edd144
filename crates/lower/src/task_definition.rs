//! Lowering: task definitions: the containers of each service.

use super::Env;
use super::log_group::log_group_id;
use super::repository::repository_id;
use super::role::{execution_role_id, has_task_role, task_role_id};
use crate::aws::ecs::task_definition::{
    KEEP_IMAGE, KIND, container_name, health_value, image_value,
};
use crate::aws::efs::access_point::access_point_id;
use crate::aws::efs::file_system::file_system_id;
use crate::aws::rds::instance::database_id;
use crate::aws::secretsmanager::{secret_id, secret_value};
use crate::aws::tags;
use crate::engine::model::{Desired, Mode, ResourceId, Value, Why, props};
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
    let mut containers: Vec<Value> = service
        .containers
        .iter()
        .map(|container| {
            let image = match &container.image {
                Image::Literal(image) => image_value(image),
                Image::Repository {
                    repository,
                    tag,
                    tag_defaulted,
                } => Value::map([
                    ("repository", Value::Ref(repository_id(repository))),
                    (
                        "tag",
                        if *tag_defaulted {
                            Value::KeepLive(Box::new(Value::str(tag)), Why(KEEP_IMAGE))
                        } else {
                            Value::str(tag)
                        },
                    ),
                ]),
            };
            Value::map([
                ("name", Value::str(&container.name)),
                ("image", image),
                (
                    "ports",
                    Value::Set(
                        container
                            .ports
                            .iter()
                            .map(|port| Value::Int((*port).into()))
                            .collect(),
                    ),
                ),
                (
                    "environment",
                    Value::Map(
                        container
                            .environment
                            .iter()
                            .map(|(name, value)| (name.clone(), Value::str(value)))
                            .collect(),
                    ),
                ),
                (
                    "secrets",
                    Value::Map(
                        container
                            .secrets
                            .iter()
                            .map(|(name, source)| (name.clone(), secret_source(source)))
                            .collect(),
                    ),
                ),
                ("command", words(&container.command)),
                ("entrypoint", words(&container.entrypoint)),
                (
                    "health_check",
                    container
                        .health_check
                        .as_ref()
                        .map_or(Value::Null, |check| {
                            health_value(
                                check.command.clone(),
                                check.interval,
                                check.timeout,
                                check.retries,
                                check.start_period,
                            )
                        }),
                ),
                ("essential", Value::Bool(container.essential)),
                (
                    "mounts",
                    Value::Set(
                        service
                            .volumes
                            .iter()
                            .filter(|volume| {
                                volume
                                    .container
                                    .as_ref()
                                    .is_none_or(|name| *name == container.name)
                            })
                            .map(|volume| {
                                Value::map([
                                    ("volume", Value::str(&volume.name)),
                                    ("path", Value::str(&volume.path)),
                                    ("read_only", Value::Bool(volume.read_only)),
                                ])
                            })
                            .collect(),
                    ),
                ),
                (
                    "logs",
                    Value::map([
                        ("group", Value::Ref(log_group_id(&service.key))),
                        ("region", Value::str(&env.region)),
                        ("stream_prefix", Value::str("ecs")),
                    ]),
                ),
            ])
        })
        .collect();
    containers.sort_by(|a, b| container_name(a).cmp(container_name(b)));
    let execution_role = match &service.execution_role {
        Some(arn) => Value::str(arn),
        None => Value::Ref(execution_role_id(&service.key)),
    };
    let task_role = match &service.task_role {
        TaskRole::Arn(arn) => Value::str(arn),
        _ if has_task_role(service) => Value::Ref(task_role_id(&service.key)),
        _ => Value::Null,
    };
    Desired {
        id: task_definition_id(&service.key),
        props: props([
            ("family", Value::str(&family), Mode::Replace),
            ("cpu", Value::Int(service.cpu), Mode::Replace),
            ("memory", Value::Int(service.memory), Mode::Replace),
            ("execution_role", execution_role, Mode::Replace),
            ("task_role", task_role, Mode::Replace),
            ("containers", Value::List(containers), Mode::Replace),
            (
                "volumes",
                Value::List(
                    service
                        .volumes
                        .iter()
                        .map(|volume| {
                            Value::map([
                                ("name", Value::str(&volume.name)),
                                (
                                    "file_system",
                                    Value::Ref(file_system_id(&volume.file_system)),
                                ),
                                (
                                    "access_point",
                                    volume.access_point.as_ref().map_or(Value::Null, |point| {
                                        Value::Ref(access_point_id(&volume.file_system, point))
                                    }),
                                ),
                            ])
                        })
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect(),
                ),
                Mode::Replace,
            ),
            (
                "tags",
                tags::desired_tags(&manifest.tags, &family),
                Mode::InPlace,
            ),
        ]),
        after: Vec::new(),
    }
}

pub fn words(list: &Option<Vec<String>>) -> Value {
    list.as_ref().map_or(Value::Null, |words| {
        Value::List(words.iter().map(Value::str).collect())
    })
}

pub fn task_definition_id(service: &str) -> ResourceId {
    ResourceId::new(KIND, service)
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
