//! Task definitions, one family per service (`<stack>-<service>`). A change registers a
//! new revision and leaves the old ones for rollbacks; destroy deregisters them all.
//! Observing reads only the latest revision of each family, never every revision.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, EfsAuthorizationConfig, EfsAuthorizationConfigIam,
    EfsTransitEncryption, EfsVolumeConfiguration, HealthCheck, KeyValuePair, LogConfiguration,
    LogDriver, MountPoint, NetworkMode, PortMapping, Secret, TaskDefinitionFamilyStatus,
    TaskDefinitionField, TaskDefinitionStatus, TransportProtocol, Volume,
};
use futures::future::try_join_all;

use super::{ecs_tags, tag_pairs};
use crate::conditions::{Condition, Given as _, Means};
use crate::engine::diff::{Change, Replacement};
use crate::engine::model::{Desired, Mode, Observed, ResourceId, Value, props};
use crate::errors::{AwsError, AwsResultExt, ErrorKind, built};
use crate::secretsmanager::{secret_value, value_from};
use crate::{Cx, OpCx, tags};

pub const KIND: &str = "task_definition";

pub struct TaskDefinitionAdapter;

pub const KEEP_IMAGE: &str = "its image tag comes from a variable's default, and a default never replaces the image a service runs (pass `--var` to roll out)";

/// An image reference as a value both sides agree on: an ECR image is its repository
/// (a reference, when the stack owns it) and its tag; anything else is the string.
pub fn image_value(image: &str) -> Value {
    let (repository, tag) = match image.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => (repository, tag),
        _ => (image, "latest"),
    };
    if repository.contains(".dkr.ecr.") {
        Value::map([
            ("repository", Value::Phys(repository.to_string())),
            ("tag", Value::str(tag)),
        ])
    } else {
        Value::str(image)
    }
}

pub fn string_map<'a>(entries: impl Iterator<Item = (&'a str, &'a str)>) -> Value {
    Value::Map(
        entries
            .map(|(key, value)| (key.to_string(), Value::str(value)))
            .collect(),
    )
}

pub fn health_value(
    command: Vec<String>,
    interval: i64,
    timeout: i64,
    retries: i64,
    start: i64,
) -> Value {
    Value::map([
        (
            "command",
            Value::List(command.into_iter().map(Value::Str).collect()),
        ),
        ("interval", Value::Int(interval)),
        ("timeout", Value::Int(timeout)),
        ("retries", Value::Int(retries)),
        ("start_period", Value::Int(start)),
    ])
}

pub fn container_name(value: &Value) -> &str {
    value
        .as_map()
        .and_then(|map| map.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// A revision ECS is deregistering already answers ClientException (the Terraform
/// provider's `internal/service/ecs/task_definition.go`, `resourceTaskDefinitionDelete`).
pub const CONDITIONS: &[Condition] = &[Condition {
    operation: "DeregisterTaskDefinition",
    code: "ClientException",
    message: Some("in the process of being deleted"),
    means: Means::Gone,
    source: "terraform-provider-aws internal/service/ecs/task_definition.go resourceTaskDefinitionDelete",
}];

#[async_trait]
impl crate::engine::kind::Kind for TaskDefinitionAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    fn replacement(&self) -> Replacement {
        Replacement::CreateOnly
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let ecs = &cx.clients.ecs;
        // Families are `<stack>-<service>`: one listing by prefix, then the latest
        // revision of each (ownership is still the revision's tags).
        let families: Vec<String> = ecs
            .list_task_definition_families()
            .family_prefix(&cx.stack)
            .status(TaskDefinitionFamilyStatus::Active)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .aws("ListTaskDefinitionFamilies")?;
        let described = families.iter().map(|family| async move {
            match ecs
                .describe_task_definition()
                .task_definition(family)
                .include(TaskDefinitionField::Tags)
                .send()
                .await
                .aws("DescribeTaskDefinition")
            {
                Ok(found) => Ok(Some(found)),
                Err(error)
                    if error.kind == ErrorKind::NotFound
                        || error.code.as_deref() == Some("ClientException") =>
                {
                    Ok(None)
                }
                Err(error) => Err(error),
            }
        });
        let mut latest = Vec::new();
        for (family, found) in families.iter().zip(try_join_all(described).await?) {
            let Some(found) = found else { continue };
            let Some(definition) = found.task_definition() else {
                continue;
            };
            let pairs = tag_pairs(found.tags());
            let edgectl = pairs.iter().any(|(key, _)| *key == tags::STACK_TAG);
            // moto can return an INACTIVE revision for a family; AWS returns the latest ACTIVE.
            let active = definition.status() == Some(&TaskDefinitionStatus::Active);
            if active && edgectl {
                latest.push(found);
            } else {
                // Someone registered into the family after the stack did (or moto answered
                // with an inactive revision): the stack's own revision is further back.
                if let Some(found) = latest_edgectl_revision(cx, family).await? {
                    latest.push(found);
                }
            }
        }
        let mut out = Vec::new();
        for found in &latest {
            let Some(definition) = found.task_definition() else {
                continue;
            };
            let pairs = tag_pairs(found.tags());
            let Some(id) = tags::owned_id(&cx.stack, pairs.iter().copied()) else {
                continue;
            };
            out.push(observed_definition(id, definition, &pairs)?);
        }
        Ok(out)
    }

    /// A family is a name anyone can register into. A create is planned only when observe
    /// found none of the stack's revisions in it, so an active revision there is someone
    /// else's, and adding one to their family would be changing it: one listing tells.
    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        let family = desired.value("family").as_str().unwrap_or_default();
        let revisions = active_revisions(cx, family)
            .await
            .map_err(|error| format!("cannot check whether the name is taken: {error}"))?;
        match revisions.last() {
            None => Ok(()),
            Some(latest) => Err(tags::name_taken(
                &cx.stack,
                &desired.id,
                &format!(
                    "task definition family `{family}` with {} active revision(s) the stack did not register (latest `{latest}`)",
                    revisions.len()
                ),
                std::iter::empty(),
            )
            .unwrap_or_default()),
        }
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let ecs = &op.cx.clients.ecs;
        let mut containers = Vec::new();
        for container in desired
            .value("containers")
            .items()
            .filter_map(Value::as_map)
        {
            containers.push(container_definition(op, container)?);
        }
        let int = |field: &str| match desired.value(field) {
            Value::Int(number) => number.to_string(),
            _ => String::new(),
        };
        let task_role = match desired.value("task_role") {
            Value::Null => None,
            role => Some(op.resolve(role)?),
        };
        let registered = ecs
            .register_task_definition()
            .family(desired.value("family").as_str().unwrap_or_default())
            .network_mode(NetworkMode::Awsvpc)
            .requires_compatibilities(Compatibility::Fargate)
            .cpu(int("cpu"))
            .memory(int("memory"))
            .execution_role_arn(op.resolve(desired.value("execution_role"))?)
            .set_task_role_arn(task_role)
            .set_container_definitions(Some(containers))
            .set_volumes(Some(
                desired
                    .value("volumes")
                    .items()
                    .filter_map(Value::as_map)
                    .map(|found| volume(op, found))
                    .collect::<Result<_, _>>()?,
            ))
            .set_tags(Some(ecs_tags(crate::tags::for_create(op, desired))))
            .send()
            .await
            .aws("RegisterTaskDefinition")?;
        Ok(registered
            .task_definition()
            .and_then(|definition| definition.task_definition_arn())
            .ok_or_else(|| AwsError::missing("RegisterTaskDefinition", "task_definition_arn"))?
            .to_string())
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        _changes: &[Change],
    ) -> Result<(), AwsError> {
        crate::tags::sync(
            &op.cx.clients.ecs,
            &observed.physical_id,
            observed.value("tags"),
            desired.value("tags"),
        )
        .await
    }

    /// Deregisters every ACTIVE revision of the family that the stack registered (its
    /// tags say so); revisions someone else registered into the family stay.
    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let ecs = &op.cx.clients.ecs;
        let family = observed.value("family").as_str().unwrap_or_default();
        let revisions = active_revisions(op.cx, family).await?;
        let owned = revisions_owned(op.cx, &revisions, &observed.id).await?;
        for (revision, owned) in revisions.iter().zip(owned) {
            if !owned {
                continue;
            }
            match ecs
                .deregister_task_definition()
                .task_definition(revision)
                .send()
                .await
                .aws("DeregisterTaskDefinition")
                .given(CONDITIONS)
            {
                // Going already: what this delete wants.
                Err(error) if error.kind == ErrorKind::NotFound => continue,
                other => other?,
            };
        }
        Ok(())
    }
}

/// How far back past revisions without edgectl's tags observe looks for the stack's own.
const LOOK_BACK: i32 = 10;

/// The newest ACTIVE revision of `family` with edgectl's tags, among the newest
/// [`LOOK_BACK`] (one listing and up to that many reads, at once).
async fn latest_edgectl_revision(
    cx: &Cx,
    family: &str,
) -> Result<
    Option<aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionOutput>,
    AwsError,
> {
    let ecs = &cx.clients.ecs;
    let listed = ecs
        .list_task_definitions()
        .family_prefix(family)
        .status(TaskDefinitionStatus::Active)
        .sort(aws_sdk_ecs::types::SortOrder::Desc)
        .max_results(LOOK_BACK)
        .send()
        .await
        .aws("ListTaskDefinitions")?;
    let described = try_join_all(
        listed
            .task_definition_arns()
            .iter()
            .map(|arn| describe_revision(cx, arn)),
    )
    .await?;
    Ok(described.into_iter().find(|found| {
        tag_pairs(found.tags())
            .iter()
            .any(|(key, _)| *key == tags::STACK_TAG)
            && found
                .task_definition()
                .and_then(|definition| definition.family())
                == Some(family)
    }))
}

/// The ACTIVE revisions of exactly `family`, oldest first.
async fn active_revisions(cx: &Cx, family: &str) -> Result<Vec<String>, AwsError> {
    let revisions: Vec<String> = cx
        .clients
        .ecs
        .list_task_definitions()
        .family_prefix(family)
        .status(TaskDefinitionStatus::Active)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .aws("ListTaskDefinitions")?;
    // `familyPrefix` matches the family exactly on AWS; check anyway.
    Ok(revisions
        .into_iter()
        .filter(|revision| {
            revision.rsplit_once('/').is_some_and(|(_, tail)| {
                tail.rsplit_once(':')
                    .is_some_and(|(name, _)| name == family)
            })
        })
        .collect())
}

/// One revision with its tags.
async fn describe_revision(
    cx: &Cx,
    arn: &str,
) -> Result<aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionOutput, AwsError>
{
    cx.clients
        .ecs
        .describe_task_definition()
        .task_definition(arn)
        .include(TaskDefinitionField::Tags)
        .send()
        .await
        .aws("DescribeTaskDefinition")
}

/// Whether each revision carries the ownership tags of `id` (one read per revision, a
/// few at once: ListTaskDefinitions returns no tags).
async fn revisions_owned(
    cx: &Cx,
    revisions: &[String],
    id: &ResourceId,
) -> Result<Vec<bool>, AwsError> {
    let mut owned = Vec::with_capacity(revisions.len());
    for chunk in revisions.chunks(8) {
        let described =
            try_join_all(chunk.iter().map(|revision| describe_revision(cx, revision))).await?;
        owned.extend(
            described.iter().map(|found| {
                tags::owned_id(&cx.stack, tag_pairs(found.tags())).as_ref() == Some(id)
            }),
        );
    }
    Ok(owned)
}

fn observed_definition(
    id: ResourceId,
    definition: &aws_sdk_ecs::types::TaskDefinition,
    pairs: &[(&str, &str)],
) -> Result<Observed, AwsError> {
    let mut containers: Vec<Value> = definition
        .container_definitions()
        .iter()
        .map(|container| {
            let missing = |field| AwsError::missing("DescribeTaskDefinition", field);
            let name = container
                .name()
                .ok_or_else(|| missing("containerDefinitions.name"))?;
            let image = container
                .image()
                .ok_or_else(|| missing("containerDefinitions.image"))?;
            let options: BTreeMap<&str, &str> = container
                .log_configuration()
                .and_then(|config| config.options())
                .map(|options| {
                    options
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect()
                })
                .unwrap_or_default();
            Ok(Value::map([
                ("name", Value::str(name)),
                ("image", image_value(image)),
                (
                    "ports",
                    Value::Set(
                        container
                            .port_mappings()
                            .iter()
                            .filter_map(|mapping| mapping.container_port())
                            .map(|port| Value::Int(port.into()))
                            .collect(),
                    ),
                ),
                (
                    "environment",
                    string_map(
                        container
                            .environment()
                            .iter()
                            .filter_map(|pair| Some((pair.name()?, pair.value()?))),
                    ),
                ),
                (
                    "secrets",
                    Value::Map(
                        container
                            .secrets()
                            .iter()
                            .map(|secret| {
                                (secret.name().to_string(), secret_value(secret.value_from()))
                            })
                            .collect(),
                    ),
                ),
                (
                    "command",
                    if container.command().is_empty() {
                        Value::Null
                    } else {
                        Value::List(container.command().iter().map(Value::str).collect())
                    },
                ),
                (
                    "entrypoint",
                    if container.entry_point().is_empty() {
                        Value::Null
                    } else {
                        Value::List(container.entry_point().iter().map(Value::str).collect())
                    },
                ),
                (
                    "health_check",
                    container.health_check().map_or(Value::Null, |check| {
                        // ECS fills its defaults in: interval 30, timeout 5, retries 3, start 0.
                        health_value(
                            check.command().to_vec(),
                            check.interval().unwrap_or(30).into(),
                            check.timeout().unwrap_or(5).into(),
                            check.retries().unwrap_or(3).into(),
                            check.start_period().unwrap_or(0).into(),
                        )
                    }),
                ),
                (
                    "essential",
                    Value::Bool(container.essential().unwrap_or(true)),
                ),
                (
                    "mounts",
                    Value::Set(
                        container
                            .mount_points()
                            .iter()
                            .map(|mount| {
                                Value::map([
                                    (
                                        "volume",
                                        Value::str(mount.source_volume().unwrap_or_default()),
                                    ),
                                    (
                                        "path",
                                        Value::str(mount.container_path().unwrap_or_default()),
                                    ),
                                    ("read_only", Value::Bool(mount.read_only().unwrap_or(false))),
                                ])
                            })
                            .collect(),
                    ),
                ),
                (
                    "logs",
                    Value::map([
                        (
                            "group",
                            options
                                .get("awslogs-group")
                                .map_or(Value::Null, |group| Value::Phys(group.to_string())),
                        ),
                        (
                            "region",
                            options
                                .get("awslogs-region")
                                .map_or(Value::Null, |r| Value::str(*r)),
                        ),
                        (
                            "stream_prefix",
                            options
                                .get("awslogs-stream-prefix")
                                .map_or(Value::Null, |p| Value::str(*p)),
                        ),
                    ]),
                ),
            ]))
        })
        .collect::<Result<_, AwsError>>()?;
    containers.sort_by(|a, b| container_name(a).cmp(container_name(b)));
    let number = |text: Option<&str>| {
        text.and_then(|text| text.parse::<i64>().ok())
            .map_or(Value::Null, Value::Int)
    };
    let role = |arn: Option<&str>| arn.map_or(Value::Null, |arn| Value::Phys(arn.to_string()));
    let arn = definition
        .task_definition_arn()
        .ok_or_else(|| AwsError::missing("DescribeTaskDefinition", "taskDefinitionArn"))?;
    Ok(Observed::new(
        id,
        arn,
        props([
            (
                "family",
                Value::str(
                    definition
                        .family()
                        .ok_or_else(|| AwsError::missing("DescribeTaskDefinition", "family"))?,
                ),
                Mode::Replace,
            ),
            ("cpu", number(definition.cpu()), Mode::Replace),
            ("memory", number(definition.memory()), Mode::Replace),
            (
                "execution_role",
                role(definition.execution_role_arn()),
                Mode::Replace,
            ),
            ("task_role", role(definition.task_role_arn()), Mode::Replace),
            ("containers", Value::List(containers), Mode::Replace),
            ("volumes", volumes_value(definition), Mode::Replace),
            (
                "tags",
                tags::observed_tags(pairs.iter().copied()),
                Mode::InPlace,
            ),
        ]),
    ))
}

/// The task's EFS volumes, by name: the file system and access point.
fn volumes_value(definition: &aws_sdk_ecs::types::TaskDefinition) -> Value {
    let mut volumes: Vec<Value> = definition
        .volumes()
        .iter()
        .filter_map(|volume| {
            let efs = volume.efs_volume_configuration()?;
            Some(Value::map([
                ("name", Value::str(volume.name().unwrap_or_default())),
                ("file_system", Value::Phys(efs.file_system_id().to_string())),
                (
                    "access_point",
                    efs.authorization_config()
                        .and_then(|auth| auth.access_point_id())
                        .map_or(Value::Null, |point| Value::Phys(point.to_string())),
                ),
            ]))
        })
        .collect();
    volumes.sort();
    Value::List(volumes)
}

/// An EFS volume as RegisterTaskDefinition takes it: encrypted in transit, the mount
/// authorised by the task role (IAM), through the access point when there is one.
fn volume(op: &OpCx<'_>, volume: &BTreeMap<String, Value>) -> Result<Volume, AwsError> {
    let get = |key: &str| volume.get(key).unwrap_or(&Value::Null);
    let access_point = op.resolve_optional(get("access_point"))?;
    let configuration = EfsVolumeConfiguration::builder()
        .file_system_id(op.resolve(get("file_system"))?)
        .transit_encryption(EfsTransitEncryption::Enabled)
        .authorization_config(
            EfsAuthorizationConfig::builder()
                .set_access_point_id(access_point)
                .iam(EfsAuthorizationConfigIam::Enabled)
                .build(),
        )
        .build();
    Ok(Volume::builder()
        .name(get("name").as_str().unwrap_or_default())
        .efs_volume_configuration(built("RegisterTaskDefinition", configuration)?)
        .build())
}

fn container_definition(
    op: &OpCx<'_>,
    container: &BTreeMap<String, Value>,
) -> Result<ContainerDefinition, AwsError> {
    let get = |key: &str| container.get(key).unwrap_or(&Value::Null);
    let image = match get("image") {
        Value::Str(image) => image.clone(),
        Value::Map(parts) => {
            let repository = op.resolve(parts.get("repository").unwrap_or(&Value::Null))?;
            let tag = parts.get("tag").and_then(Value::as_str).unwrap_or("latest");
            format!("{repository}:{tag}")
        }
        other => {
            return Err(AwsError::new(
                ErrorKind::Other,
                "RegisterTaskDefinition",
                format!("container image is {other}"),
            ));
        }
    };
    let list = |value: &Value| -> Option<Vec<String>> {
        match value {
            Value::List(items) => Some(
                items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_string))
                    .collect(),
            ),
            _ => None,
        }
    };
    let logs = get("logs").as_map().cloned().unwrap_or_default();
    let log_group = op.resolve(logs.get("group").unwrap_or(&Value::Null))?;
    let log_configuration = built(
        "RegisterTaskDefinition",
        LogConfiguration::builder()
            .log_driver(LogDriver::Awslogs)
            .options("awslogs-group", log_group)
            .options(
                "awslogs-region",
                logs.get("region")
                    .and_then(Value::as_str)
                    .unwrap_or(&op.cx.region),
            )
            .options("awslogs-stream-prefix", "ecs")
            .build(),
    )?;
    let mut definition = ContainerDefinition::builder()
        .name(get("name").as_str().unwrap_or_default())
        .image(image)
        .essential(get("essential") != &Value::Bool(false))
        .log_configuration(log_configuration)
        .set_command(list(get("command")))
        .set_entry_point(list(get("entrypoint")));
    for mount in get("mounts").items().filter_map(Value::as_map) {
        definition = definition.mount_points(
            MountPoint::builder()
                .source_volume(
                    mount
                        .get("volume")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                )
                .container_path(
                    mount
                        .get("path")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                )
                .read_only(mount.get("read_only") == Some(&Value::Bool(true)))
                .build(),
        );
    }
    for port in get("ports").items() {
        if let Value::Int(port) = port {
            let port = i32::try_from(*port).unwrap_or(0);
            definition = definition.port_mappings(
                PortMapping::builder()
                    .container_port(port)
                    .protocol(TransportProtocol::Tcp)
                    .build(),
            );
        }
    }
    if let Some(environment) = get("environment").as_map() {
        for (name, value) in environment {
            definition = definition.environment(
                KeyValuePair::builder()
                    .name(name)
                    // Text, or a live attribute of the stack's (a database's endpoint).
                    .value(match value {
                        Value::Str(text) => text.clone(),
                        other => op.resolve(other)?,
                    })
                    .build(),
            );
        }
    }
    if let Some(secrets) = get("secrets").as_map() {
        for (name, source) in secrets {
            definition = definition.secrets(built(
                "RegisterTaskDefinition",
                Secret::builder()
                    .name(name)
                    .value_from(value_from(op, source)?)
                    .build(),
            )?);
        }
    }
    if let Some(check) = get("health_check").as_map() {
        let int = |key: &str| match check.get(key) {
            Some(Value::Int(number)) => i32::try_from(*number).ok(),
            _ => None,
        };
        definition = definition.health_check(built(
            "RegisterTaskDefinition",
            HealthCheck::builder()
                .set_command(list(check.get("command").unwrap_or(&Value::Null)))
                .set_interval(int("interval"))
                .set_timeout(int("timeout"))
                .set_retries(int("retries"))
                .set_start_period(int("start_period"))
                .build(),
        )?);
    }
    Ok(definition.build())
}
