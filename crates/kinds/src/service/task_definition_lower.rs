//! Lowering: task definitions: the containers of each service.

use std::collections::{BTreeMap, BTreeSet};

use super::manifest::{Container as Declared, Image, SecretSource, Service, TaskRole};
use super::role_lower::has_task_role;
use crate::aws::ids::{
    access_point_id, database_id, execution_role_id, file_system_id, log_group_id, repository_id,
    secret_id, task_definition_id, task_role_id,
};
use crate::aws::tags;
use crate::engine::model::{Desired, Value, Why};
use crate::engine::typed::{Prop as _, Properties as _};
use crate::lower::Env;
use crate::manifest::Manifest;

const KEEP_IMAGE: &str = "its image tag comes from a variable's default, and a default never replaces the image a service runs (pass `--var` to roll out)";

/// An image reference as a value both sides agree on: an ECR image is its repository
/// (a reference, when the stack owns it) and its tag; anything else is the string.
pub fn image_value(image: &str) -> Value {
    let (repository, tag) = match image.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => (repository, tag),
        _ => (image, "latest"),
    };
    if repository.contains(".dkr.ecr.") {
        EcrImage {
            repository: Value::Phys(repository.to_string()),
            tag: Value::str(tag),
        }
        .into_value()
    } else {
        Value::str(image)
    }
}

/// The task's volumes in the order both sides give them: as the engine's values sort,
/// each once.
pub fn volume_list(volumes: impl IntoIterator<Item = TaskVolume>) -> Vec<TaskVolume> {
    let mut volumes: Vec<TaskVolume> = volumes.into_iter().collect();
    volumes.sort_by_cached_key(|volume| volume.clone().into_value());
    volumes.dedup();
    volumes
}

/// A container's secret as a value both sides agree on: a Secrets Manager ARN is the
/// secret (its ARN, read as the stack's secret when it is one) and, when it names one,
/// the key of its JSON value (`arn:...:secret:name-AbCdEf:password::`); anything else (an
/// SSM parameter) is the ARN.
pub fn secret_value(value_from: &str) -> Value {
    let parts: Vec<&str> = value_from.split(':').collect();
    if parts.len() < 7 || parts[2] != "secretsmanager" || parts[5] != "secret" {
        return Value::Phys(value_from.to_string());
    }
    let arn = parts[..7].join(":");
    match parts.get(7).filter(|key| !key.is_empty()) {
        Some(key) if parts[8..].iter().all(|rest| rest.is_empty()) => {
            Value::map([("secret", Value::Phys(arn)), ("key", Value::str(*key))])
        }
        // A version stage or id: kept as written.
        Some(_) => Value::Phys(value_from.to_string()),
        None => Value::Phys(arn),
    }
}

crate::engine::properties! {
    /// A task definition family, as its latest revision: what its lowering builds and its
    /// observe reads. Any change but the tags' registers a new revision.
    pub struct TaskDefinitionProps (changes: TaskDefinitionChanges) {
        pub family: String => Replace,
        /// CPU units.
        pub cpu: i64 => Replace,
        /// MiB.
        pub memory: i64 => Replace,
        /// The stack's role by reference, or an ARN made elsewhere.
        pub execution_role: Value => Replace,
        /// The stack's role by reference, an ARN made elsewhere, or none.
        pub task_role: Option<Value> => Replace,
        /// In order of name.
        pub containers: Vec<Container> => Replace,
        /// In the order [`volume_list`] gives.
        pub volumes: Vec<TaskVolume> => Replace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

crate::engine::record! {
    /// One container of the task.
    pub struct Container {
        pub name: String,
        /// Any image as written, or an ECR image as an [`EcrImage`]'s map (see
        /// [`image_value`]).
        pub image: Value,
        pub ports: BTreeSet<i64>,
        /// Text, or a template of the stack's live attributes (a database's endpoint)
        /// until the walk renders it.
        pub environment: BTreeMap<String, Value>,
        /// By name: a secret by reference or ARN, or one key of its JSON value (see
        /// [`secret_value`]).
        pub secrets: BTreeMap<String, Value>,
        /// Words: text, or templates until the walk renders them.
        pub command: Option<Vec<Value>>,
        pub entrypoint: Option<Vec<Value>>,
        pub health_check: Option<ContainerHealth>,
        pub essential: bool,
        pub mounts: BTreeSet<Mount>,
        pub logs: Logs,
    }
}

crate::engine::record! {
    /// An image in ECR: its repository (a reference, when the stack owns it) and its tag
    /// (in the lowering, one a variable's default gave is kept live: [`KEEP_IMAGE`]).
    pub struct EcrImage {
        pub repository: Value,
        pub tag: Value,
    }
}

crate::engine::record! {
    /// A container's health check, ECS's defaults filled in.
    pub struct ContainerHealth {
        /// Words: text, or templates until the walk renders them.
        pub command: Vec<Value>,
        pub interval: i64,
        pub timeout: i64,
        pub retries: i64,
        pub start_period: i64,
    }
}

crate::engine::record! {
    /// A task volume mounted into a container.
    pub struct Mount {
        pub volume: String,
        pub path: String,
        pub read_only: bool,
    }
}

crate::engine::record! {
    /// Where a container's logs go (CloudWatch Logs).
    pub struct Logs {
        /// The stack's log group, by reference.
        pub group: Option<Value>,
        pub region: Option<String>,
        pub stream_prefix: Option<String>,
    }
}

crate::engine::record! {
    /// An EFS volume of the task, by name: the file system and access point, by reference.
    pub struct TaskVolume {
        pub name: String,
        pub file_system: Value,
        pub access_point: Option<Value>,
    }
}

pub fn desired(services: &[Service], manifest: &Manifest, env: &Env) -> Vec<Desired> {
    services
        .iter()
        .map(|service| desired_for(manifest, env, service))
        .collect()
}

fn desired_for(manifest: &Manifest, env: &Env, service: &Service) -> Desired {
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
fn container_for(env: &Env, service: &Service, container: &Declared) -> Container {
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
