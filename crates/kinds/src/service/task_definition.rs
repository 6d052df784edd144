//! Task definitions, one family per service (`<stack>-<service>`). A change registers a
//! new revision and leaves the old ones for rollbacks; destroy deregisters them all.
//! Observing reads only the latest revision of each family, never every revision.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, EfsAuthorizationConfig, EfsAuthorizationConfigIam,
    EfsTransitEncryption, EfsVolumeConfiguration, HealthCheck, KeyValuePair, LogConfiguration,
    LogDriver, MountPoint, NetworkMode, PortMapping, Secret, TaskDefinitionFamilyStatus,
    TaskDefinitionField, TaskDefinitionStatus, TransportProtocol, Volume,
};
use futures::future::try_join_all;

use super::task_definition_lower::{
    Container, ContainerHealth, EcrImage, Logs, Mount, TaskDefinitionProps, TaskVolume,
    image_value, secret_value, volume_list,
};
use crate::aws::conditions::{Condition, Given as _, Means};
use crate::aws::ecs::{ecs_tags, tag_pairs};
use crate::aws::errors::int32;
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind, built};
use crate::aws::ids::TASK_DEFINITION as KIND;
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::{Change, Replacement};
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::{Prop as _, Properties as _};

pub struct TaskDefinitionAdapter;

const REGISTER: &str = "RegisterTaskDefinition";

/// The `valueFrom` of a container's secret value (see [`secret_value`]).
pub fn value_from(op: &OpCx<'_>, value: &Value) -> Result<String, AwsError> {
    match value.as_map() {
        Some(map) => {
            let arn = op.resolve(map.get("secret").unwrap_or(&Value::Null))?;
            let key = map.get("key").and_then(Value::as_str).unwrap_or_default();
            Ok(format!("{arn}:{key}::"))
        }
        None => op.resolve(value),
    }
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
        let props = TaskDefinitionProps::from_props(&desired.props).map_err(|e| e.to_string())?;
        let family = props.family.as_str();
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
        let props = TaskDefinitionProps::from_props(&desired.props)?;
        let ecs = &op.cx.clients.ecs;
        let containers = props
            .containers
            .iter()
            .map(|container| container_definition(op, container))
            .collect::<Result<Vec<_>, _>>()?;
        let volumes = props
            .volumes
            .iter()
            .map(|found| volume(op, found))
            .collect::<Result<Vec<_>, _>>()?;
        let task_role = props
            .task_role
            .as_ref()
            .map(|role| op.resolve(role))
            .transpose()?;
        let tags = tags::create_tags(&op.cx.stack, op.id, &props.tags);
        let registered = ecs
            .register_task_definition()
            .family(&props.family)
            .network_mode(NetworkMode::Awsvpc)
            .requires_compatibilities(Compatibility::Fargate)
            .cpu(props.cpu.to_string())
            .memory(props.memory.to_string())
            .execution_role_arn(op.resolve(&props.execution_role)?)
            .set_task_role_arn(task_role)
            .set_container_definitions(Some(containers))
            .set_volumes(Some(volumes))
            .set_tags(Some(ecs_tags(tags)))
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
        let props = TaskDefinitionProps::from_props(&desired.props)?;
        let live = TaskDefinitionProps::from_props(&observed.props)?;
        tags::sync(
            &op.cx.clients.ecs,
            &observed.physical_id,
            &live.tags,
            &props.tags,
        )
        .await
    }

    /// Deregisters every ACTIVE revision of the family that the stack registered (its
    /// tags say so); revisions someone else registered into the family stay.
    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let ecs = &op.cx.clients.ecs;
        let live = TaskDefinitionProps::from_props(&observed.props)?;
        let revisions = active_revisions(op.cx, &live.family).await?;
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
    let missing = |field: &str| AwsError::missing("DescribeTaskDefinition", field);
    let mut containers = definition
        .container_definitions()
        .iter()
        .map(observed_container)
        .collect::<Result<Vec<_>, _>>()?;
    containers.sort_by(|a, b| a.name.cmp(&b.name));
    // Fargate's task size: always set, as text ("256").
    let number = |field: &str, text: Option<&str>| -> Result<i64, AwsError> {
        let text = text.ok_or_else(|| missing(field))?;
        text.parse::<i64>().map_err(|_| {
            AwsError::new(
                ErrorKind::Other,
                "DescribeTaskDefinition",
                format!("`{field}` is `{text}`, not a number"),
            )
        })
    };
    let props = TaskDefinitionProps {
        family: definition
            .family()
            .ok_or_else(|| missing("family"))?
            .to_string(),
        cpu: number("cpu", definition.cpu())?,
        memory: number("memory", definition.memory())?,
        execution_role: Value::Phys(
            definition
                .execution_role_arn()
                .ok_or_else(|| missing("executionRoleArn"))?
                .to_string(),
        ),
        task_role: definition
            .task_role_arn()
            .map(|arn| Value::Phys(arn.to_string())),
        containers,
        volumes: observed_volumes(definition)?,
        tags: tags::observed_tag_map(pairs.iter().copied()),
    };
    let arn = definition
        .task_definition_arn()
        .ok_or_else(|| missing("taskDefinitionArn"))?;
    Ok(Observed::new(id, arn, props.into_props()))
}

fn observed_container(container: &ContainerDefinition) -> Result<Container, AwsError> {
    let missing = |field: &str| AwsError::missing("DescribeTaskDefinition", field);
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
    let option = |key: &str| options.get(key).map(|value| value.to_string());
    // No command or entry point: ECS answers an empty list.
    let listed = |words: &[String]| -> Option<Vec<Value>> {
        (!words.is_empty()).then(|| words.iter().map(Value::str).collect())
    };
    let mounts = container
        .mount_points()
        .iter()
        .map(|mount| -> Result<Mount, AwsError> {
            Ok(Mount {
                volume: mount
                    .source_volume()
                    .ok_or_else(|| missing("containerDefinitions.mountPoints.sourceVolume"))?
                    .to_string(),
                path: mount
                    .container_path()
                    .ok_or_else(|| missing("containerDefinitions.mountPoints.containerPath"))?
                    .to_string(),
                // ECS's default: read-write.
                read_only: mount.read_only().unwrap_or(false),
            })
        })
        .collect::<Result<BTreeSet<_>, _>>()?;
    Ok(Container {
        name: name.to_string(),
        image: image_value(image),
        ports: container
            .port_mappings()
            .iter()
            .filter_map(|mapping| mapping.container_port())
            .map(i64::from)
            .collect(),
        environment: container
            .environment()
            .iter()
            .filter_map(|pair| Some((pair.name()?.to_string(), Value::str(pair.value()?))))
            .collect(),
        secrets: container
            .secrets()
            .iter()
            .map(|secret| (secret.name().to_string(), secret_value(secret.value_from())))
            .collect(),
        command: listed(container.command()),
        entrypoint: listed(container.entry_point()),
        // ECS fills its defaults in: interval 30, timeout 5, retries 3, start 0.
        health_check: container.health_check().map(|check| ContainerHealth {
            command: check.command().iter().map(Value::str).collect(),
            interval: check.interval().unwrap_or(30).into(),
            timeout: check.timeout().unwrap_or(5).into(),
            retries: check.retries().unwrap_or(3).into(),
            start_period: check.start_period().unwrap_or(0).into(),
        }),
        // ECS's default: a container is essential unless it says otherwise.
        essential: container.essential().unwrap_or(true),
        mounts,
        logs: Logs {
            group: options
                .get("awslogs-group")
                .map(|group| Value::Phys(group.to_string())),
            region: option("awslogs-region"),
            stream_prefix: option("awslogs-stream-prefix"),
        },
    })
}

/// The task's EFS volumes, by name: the file system and access point.
fn observed_volumes(
    definition: &aws_sdk_ecs::types::TaskDefinition,
) -> Result<Vec<TaskVolume>, AwsError> {
    let volumes = definition
        .volumes()
        .iter()
        .filter_map(|volume| {
            let efs = volume.efs_volume_configuration()?;
            let name = volume
                .name()
                .ok_or_else(|| AwsError::missing("DescribeTaskDefinition", "volumes.name"));
            Some(name.map(|name| {
                TaskVolume {
                    name: name.to_string(),
                    file_system: Value::Phys(efs.file_system_id().to_string()),
                    access_point: efs
                        .authorization_config()
                        .and_then(|auth| auth.access_point_id())
                        .map(|point| Value::Phys(point.to_string())),
                }
            }))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(volume_list(volumes))
}

/// An EFS volume as RegisterTaskDefinition takes it: encrypted in transit, the mount
/// authorised by the task role (IAM), through the access point when there is one.
fn volume(op: &OpCx<'_>, volume: &TaskVolume) -> Result<Volume, AwsError> {
    let access_point = volume
        .access_point
        .as_ref()
        .map(|point| op.resolve(point))
        .transpose()?;
    let configuration = EfsVolumeConfiguration::builder()
        .file_system_id(op.resolve(&volume.file_system)?)
        .transit_encryption(EfsTransitEncryption::Enabled)
        .authorization_config(
            EfsAuthorizationConfig::builder()
                .set_access_point_id(access_point)
                .iam(EfsAuthorizationConfigIam::Enabled)
                .build(),
        )
        .build();
    Ok(Volume::builder()
        .name(&volume.name)
        .efs_volume_configuration(built(REGISTER, configuration)?)
        .build())
}

/// Words as ECS takes them: text, every template rendered by now.
fn words(words: &[Value]) -> Result<Vec<String>, AwsError> {
    words
        .iter()
        .map(|word| match word {
            Value::Str(text) => Ok(text.clone()),
            other => Err(AwsError::new(
                ErrorKind::Other,
                REGISTER,
                format!("a command word is {other}, not text"),
            )),
        })
        .collect()
}

/// The image RegisterTaskDefinition takes: as written, or an ECR repository's URI and tag.
fn image(op: &OpCx<'_>, image: &Value) -> Result<String, AwsError> {
    if let Value::Str(image) = image {
        return Ok(image.clone());
    }
    let Some(ecr) = EcrImage::from_value(image) else {
        return Err(AwsError::new(
            ErrorKind::Other,
            REGISTER,
            format!("container image is {image}"),
        ));
    };
    let repository = op.resolve(&ecr.repository)?;
    let tag = ecr.tag.as_str().unwrap_or("latest");
    Ok(format!("{repository}:{tag}"))
}

fn container_definition(
    op: &OpCx<'_>,
    container: &Container,
) -> Result<ContainerDefinition, AwsError> {
    let Some(log_group) = &container.logs.group else {
        return Err(AwsError::new(
            ErrorKind::Other,
            REGISTER,
            format!("container `{}` has no log group", container.name),
        ));
    };
    let log_configuration = built(
        REGISTER,
        LogConfiguration::builder()
            .log_driver(LogDriver::Awslogs)
            .options("awslogs-group", op.resolve(log_group)?)
            .options(
                "awslogs-region",
                container.logs.region.as_deref().unwrap_or(&op.cx.region),
            )
            .options("awslogs-stream-prefix", "ecs")
            .build(),
    )?;
    let mut definition = ContainerDefinition::builder()
        .name(&container.name)
        .image(image(op, &container.image)?)
        .essential(container.essential)
        .log_configuration(log_configuration)
        .set_command(container.command.as_deref().map(words).transpose()?)
        .set_entry_point(container.entrypoint.as_deref().map(words).transpose()?);
    for mount in &container.mounts {
        definition = definition.mount_points(
            MountPoint::builder()
                .source_volume(&mount.volume)
                .container_path(&mount.path)
                .read_only(mount.read_only)
                .build(),
        );
    }
    for port in &container.ports {
        definition = definition.port_mappings(
            PortMapping::builder()
                .container_port(int32(REGISTER, "ports", *port)?)
                .protocol(TransportProtocol::Tcp)
                .build(),
        );
    }
    for (name, value) in &container.environment {
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
    for (name, source) in &container.secrets {
        definition = definition.secrets(built(
            REGISTER,
            Secret::builder()
                .name(name)
                .value_from(value_from(op, source)?)
                .build(),
        )?);
    }
    if let Some(check) = &container.health_check {
        let number = |what: &str, value: i64| int32(REGISTER, what, value);
        definition = definition.health_check(built(
            REGISTER,
            HealthCheck::builder()
                .set_command(Some(words(&check.command)?))
                .interval(number("health_check.interval", check.interval)?)
                .timeout(number("health_check.timeout", check.timeout)?)
                .retries(number("health_check.retries", check.retries)?)
                .start_period(number("health_check.start_period", check.start_period)?)
                .build(),
        )?);
    }
    Ok(definition.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_from_reads_as_the_secret_and_its_key() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:edgemind/mqtt-AbCdEf";
        assert_eq!(secret_value(arn), Value::Phys(arn.to_string()));
        assert_eq!(
            secret_value(&format!("{arn}:password::")),
            Value::map([
                ("secret", Value::Phys(arn.to_string())),
                ("key", Value::str("password")),
            ])
        );
        let staged = format!("{arn}:password:AWSPREVIOUS:");
        assert_eq!(secret_value(&staged), Value::Phys(staged.clone()));
        let parameter = "arn:aws:ssm:us-east-1:123456789012:parameter/db/host";
        assert_eq!(secret_value(parameter), Value::Phys(parameter.to_string()));
    }
}
