//! Fargate services. A create or an update that starts a deployment waits until the
//! service is stable (its PRIMARY deployment's rollout COMPLETED), unless `--no-wait`; a
//! failed rollout, or one the circuit breaker rolled back, fails the operation with the
//! service's latest events.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, DeploymentCircuitBreaker, DeploymentConfiguration,
    LaunchType, LoadBalancer, NetworkConfiguration, PropagateTags, ServiceRegistry,
};

use super::{ecs_tags, tag_pairs};
use crate::conditions::{Condition, Given as _, IAM_PROPAGATION, Means};
use crate::engine::diff::{Change, touches};
use crate::engine::model::{Desired, Mode, Observed, ResourceId, Value, props};
use crate::engine::retry::Backoff;
use crate::errors::{AwsError, AwsResultExt, ErrorKind, built};
use crate::naming::client_token;
use crate::{Cx, OpCx, tags};

pub const KIND: &str = "service";

pub const KEEP_COUNT: &str = "auto scaling sets the task count between `min` and `max`";

pub struct ServiceAdapter;

/// What ECS answers while it settles what a service needs (the Terraform provider's
/// `internal/service/ecs/service.go`, `retryServiceCreate` and `resourceServiceDelete`:
/// 2 minutes of IAM propagation plus 2 of service creation).
pub const CONDITIONS: &[Condition] = &[
    Condition {
        operation: "CreateService",
        code: "InvalidParameterException",
        message: Some("Unable to assume the service linked role"),
        means: Means::Settling {
            awaiting: "ECS's service-linked role, made by AWS at the account's first use of ECS",
            window: Duration::from_secs(240),
        },
        source: "terraform-provider-aws internal/service/ecs/service.go retryServiceCreate",
    },
    Condition {
        operation: "CreateService",
        code: "InvalidParameterException",
        message: Some("does not have an associated load balancer"),
        means: Means::Settling {
            awaiting: "the target group's listener to reach ECS",
            window: Duration::from_secs(240),
        },
        source: "terraform-provider-aws internal/service/ecs/service.go retryServiceCreate",
    },
    Condition {
        operation: "UpdateService",
        code: "InvalidParameterException",
        message: Some("does not have an associated load balancer"),
        means: Means::Settling {
            awaiting: "the target group's listener to reach ECS",
            window: Duration::from_secs(240),
        },
        source: "terraform-provider-aws internal/service/ecs/service.go resourceServiceUpdate",
    },
    Condition {
        operation: "CreateService",
        code: "InvalidParameterException",
        message: Some("verify that the ECS service role being passed has the proper permissions"),
        means: Means::Settling {
            awaiting: "the service's roles to reach ECS",
            window: IAM_PROPAGATION,
        },
        source: "terraform-provider-aws internal/service/ecs/service.go retryServiceCreate",
    },
    Condition {
        operation: "UpdateService",
        code: "InvalidParameterException",
        message: Some("verify that the ECS service role being passed has the proper permissions"),
        means: Means::Settling {
            awaiting: "the service's roles to reach ECS",
            window: IAM_PROPAGATION,
        },
        source: "terraform-provider-aws internal/service/ecs/service.go resourceServiceUpdate",
    },
    Condition {
        operation: "DeleteService",
        code: "InvalidParameterException",
        message: Some("The service cannot be stopped while deployments are active"),
        means: Means::Settling {
            awaiting: "the service's deployments to finish",
            window: Duration::from_secs(20 * 60),
        },
        source: "terraform-provider-aws internal/service/ecs/service.go resourceServiceDelete",
    },
];

pub fn service_id(key: &str) -> ResourceId {
    ResourceId::new(KIND, key)
}

#[async_trait]
impl crate::engine::kind::Kind for ServiceAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let services = super::services(cx).await?;
        Ok(services
            .iter()
            .map(|found| observed_service(cx, &found.cluster, &found.service))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect())
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let ecs = &op.cx.clients.ecs;
        let cluster = op.resolve(desired.value("cluster"))?;
        let task_definition = op.resolve(desired.value("task_definition"))?;
        let name = desired.value("name").as_str().unwrap_or_default();
        let mut request = ecs
            .create_service()
            .cluster(&cluster)
            .service_name(name)
            .task_definition(&task_definition)
            .desired_count(int(desired.value("desired_count")))
            .network_configuration(network(op, desired)?)
            .set_load_balancers(load_balancers(op, desired)?)
            .set_service_registries(registries(op, desired)?)
            .set_health_check_grace_period_seconds(match desired.value("grace_period") {
                Value::Int(seconds) => Some(i32::try_from(*seconds).unwrap_or(0)),
                _ => None,
            })
            .deployment_configuration(deployment(desired))
            .enable_execute_command(desired.value("execute_command") == &Value::Bool(true))
            .enable_ecs_managed_tags(true)
            .propagate_tags(PropagateTags::Service)
            .client_token(client_token(
                op.cx,
                op.id,
                &format!("{cluster}/{task_definition}"),
            ))
            .set_tags(Some(ecs_tags(crate::tags::for_create(op, desired))));
        if desired.value("launch").as_str() == Some("FARGATE") {
            request = request.launch_type(LaunchType::Fargate);
        }
        let created = request
            .send()
            .await
            .aws("CreateService")
            .given(CONDITIONS)?;
        let arn = created
            .service()
            .and_then(|service| service.service_arn())
            .ok_or_else(|| AwsError::missing("CreateService", "service_arn"))?
            .to_string();
        op.made(&arn);
        if !op.cx.no_wait {
            wait_stable(op, &cluster, &arn, &task_definition).await?;
        }
        Ok(arn)
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        let ecs = &op.cx.clients.ecs;
        let cluster = observed.detail("cluster")?.to_string();
        let arn = &observed.physical_id;
        let changed = |field: &str| touches(changes, &[field]);
        let service_fields = [
            "task_definition",
            "desired_count",
            "subnets",
            "security_groups",
            "public_ip",
            "load_balancer",
            "grace_period",
            "min_percent",
            "max_percent",
            "rollback",
            "execute_command",
            "registry",
        ];
        if service_fields.iter().any(|field| changed(field)) {
            let task_definition = op.resolve(desired.value("task_definition"))?;
            let mut request = ecs.update_service().cluster(&cluster).service(arn);
            // Send only what differs: an UpdateService with a task definition, network or
            // load balancers starts a deployment.
            if changed("task_definition") {
                request = request.task_definition(&task_definition);
            }
            if changed("desired_count") {
                request = request.desired_count(int(desired.value("desired_count")));
            }
            if changed("subnets") || changed("security_groups") || changed("public_ip") {
                request = request.network_configuration(network(op, desired)?);
            }
            if changed("load_balancer") {
                request = request
                    .set_load_balancers(Some(load_balancers(op, desired)?.unwrap_or_default()));
            }
            if changed("registry") {
                request = request
                    .set_service_registries(Some(registries(op, desired)?.unwrap_or_default()));
            }
            if changed("grace_period") {
                request =
                    request.health_check_grace_period_seconds(int(desired.value("grace_period")));
            }
            if changed("min_percent") || changed("max_percent") || changed("rollback") {
                request = request.deployment_configuration(deployment(desired));
            }
            if changed("execute_command") {
                request = request
                    .enable_execute_command(desired.value("execute_command") == &Value::Bool(true));
            }
            request
                .send()
                .await
                .aws("UpdateService")
                .given(CONDITIONS)?;
            let deploys = [
                "task_definition",
                "subnets",
                "security_groups",
                "public_ip",
                "load_balancer",
                "registry",
                "desired_count",
            ];
            if !op.cx.no_wait && deploys.iter().any(|field| changed(field)) {
                wait_stable(op, &cluster, arn, &task_definition).await?;
            }
        }
        crate::tags::sync(ecs, arn, observed.value("tags"), desired.value("tags")).await
    }

    /// Scales to zero, deletes, and (when something waits on it) waits until ECS has
    /// drained it, so its target group and load balancer can go.
    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let ecs = &op.cx.clients.ecs;
        let cluster = observed.detail("cluster")?.to_string();
        let arn = &observed.physical_id;
        ecs.update_service()
            .cluster(&cluster)
            .service(arn)
            .desired_count(0)
            .send()
            .await
            .aws("UpdateService")?;
        ecs.delete_service()
            .cluster(&cluster)
            .service(arn)
            .force(true)
            .send()
            .await
            .aws("DeleteService")
            .given(CONDITIONS)?;
        if !op.wait {
            return Ok(());
        }
        crate::engine::retry::poll(op.cx.timeout, "the service to drain", || async {
            let described = ecs
                .describe_services()
                .cluster(&cluster)
                .services(arn)
                .send()
                .await
                .aws("DescribeServices")?;
            let draining = described
                .services()
                .iter()
                .find(|service| service.status() == Some("DRAINING"));
            if let Some(service) = draining {
                op.status(&format!(
                    "draining: {} tasks still running",
                    service.running_count()
                ));
            }
            Ok(draining.is_none().then_some(()))
        })
        .await
    }
}

fn int(value: &Value) -> i32 {
    match value {
        Value::Int(number) => i32::try_from(*number).unwrap_or(0),
        _ => 0,
    }
}

fn network(op: &OpCx<'_>, desired: &Desired) -> Result<NetworkConfiguration, AwsError> {
    let subnets = desired
        .value("subnets")
        .items()
        .map(|subnet| op.resolve(subnet))
        .collect::<Result<Vec<_>, _>>()?;
    let groups = desired
        .value("security_groups")
        .items()
        .map(|group| op.resolve(group))
        .collect::<Result<Vec<_>, _>>()?;
    let vpc = built(
        "CreateService",
        AwsVpcConfiguration::builder()
            .set_subnets(Some(subnets))
            .set_security_groups(Some(groups))
            .assign_public_ip(if desired.value("public_ip") == &Value::Bool(true) {
                AssignPublicIp::Enabled
            } else {
                AssignPublicIp::Disabled
            })
            .build(),
    )?;
    Ok(NetworkConfiguration::builder()
        .awsvpc_configuration(vpc)
        .build())
}

fn load_balancers(op: &OpCx<'_>, desired: &Desired) -> Result<Option<Vec<LoadBalancer>>, AwsError> {
    let Some(target) = desired.value("load_balancer").as_map() else {
        return Ok(None);
    };
    Ok(Some(vec![
        LoadBalancer::builder()
            .target_group_arn(op.resolve(target.get("target_group").unwrap_or(&Value::Null))?)
            .container_name(
                target
                    .get("container")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
            )
            .container_port(int(target.get("port").unwrap_or(&Value::Null)))
            .build(),
    ]))
}

/// The Cloud Map service the tasks are registered with (A records need no port).
fn registries(op: &OpCx<'_>, desired: &Desired) -> Result<Option<Vec<ServiceRegistry>>, AwsError> {
    let Some(arn) = op.resolve_optional(desired.value("registry"))? else {
        return Ok(None);
    };
    Ok(Some(vec![
        ServiceRegistry::builder().registry_arn(arn).build(),
    ]))
}

fn deployment(desired: &Desired) -> DeploymentConfiguration {
    let rollback = desired.value("rollback") == &Value::Bool(true);
    DeploymentConfiguration::builder()
        .minimum_healthy_percent(int(desired.value("min_percent")))
        .maximum_percent(int(desired.value("max_percent")))
        .deployment_circuit_breaker(
            DeploymentCircuitBreaker::builder()
                .enable(rollback)
                .rollback(rollback)
                .build(),
        )
        .build()
}

fn observed_service(
    cx: &Cx,
    cluster: &str,
    service: &aws_sdk_ecs::types::Service,
) -> Result<Option<Observed>, AwsError> {
    let pairs = tag_pairs(service.tags());
    let Some(id) = tags::owned_id(&cx.stack, pairs.iter().copied()) else {
        return Ok(None);
    };
    let vpc = service
        .network_configuration()
        .and_then(|config| config.awsvpc_configuration());
    let deployment = service.deployment_configuration();
    let breaker = deployment.and_then(|config| config.deployment_circuit_breaker());
    let load_balancer = service.load_balancers().first().map_or(Value::Null, |lb| {
        Value::map([
            (
                "target_group",
                lb.target_group_arn()
                    .map_or(Value::Null, |arn| Value::Phys(arn.to_string())),
            ),
            (
                "container",
                lb.container_name().map_or(Value::Null, Value::str),
            ),
            (
                "port",
                lb.container_port()
                    .map_or(Value::Null, |port| Value::Int(port.into())),
            ),
        ])
    });
    let launch = if service.launch_type() == Some(&LaunchType::Fargate) {
        "FARGATE"
    } else {
        "capacity-providers"
    };
    let arn = service
        .service_arn()
        .ok_or_else(|| AwsError::missing("DescribeServices", "serviceArn"))?;
    let mut resource = Observed::new(
        id,
        arn,
        props([
            (
                "name",
                Value::str(
                    service
                        .service_name()
                        .ok_or_else(|| AwsError::missing("DescribeServices", "serviceName"))?,
                ),
                Mode::Replace,
            ),
            ("cluster", Value::Phys(cluster.to_string()), Mode::Replace),
            ("launch", Value::str(launch), Mode::Replace),
            (
                "task_definition",
                service
                    .task_definition()
                    .map_or(Value::Null, |arn| Value::Phys(arn.to_string())),
                Mode::InPlace,
            ),
            (
                "desired_count",
                Value::Int(service.desired_count().into()),
                Mode::InPlace,
            ),
            (
                "subnets",
                Value::Set(
                    vpc.map(|vpc| {
                        vpc.subnets()
                            .iter()
                            .map(|s| Value::Phys(s.clone()))
                            .collect()
                    })
                    .unwrap_or_default(),
                ),
                Mode::InPlace,
            ),
            (
                "security_groups",
                Value::Set(
                    vpc.map(|vpc| {
                        vpc.security_groups()
                            .iter()
                            .map(|g| Value::Phys(g.clone()))
                            .collect()
                    })
                    .unwrap_or_default(),
                ),
                Mode::InPlace,
            ),
            (
                "public_ip",
                Value::Bool(
                    vpc.and_then(|vpc| vpc.assign_public_ip()) == Some(&AssignPublicIp::Enabled),
                ),
                Mode::InPlace,
            ),
            ("load_balancer", load_balancer, Mode::InPlace),
            (
                "registry",
                service
                    .service_registries()
                    .first()
                    .and_then(|registry| registry.registry_arn())
                    .map_or(Value::Null, |arn| Value::Phys(arn.to_string())),
                Mode::InPlace,
            ),
            (
                "grace_period",
                service
                    .health_check_grace_period_seconds()
                    .map_or(Value::Null, |s| Value::Int(s.into())),
                Mode::InPlace,
            ),
            // ECS's defaults when a service was made without a configuration: 100 / 200.
            (
                "min_percent",
                Value::Int(
                    deployment
                        .and_then(|d| d.minimum_healthy_percent())
                        .unwrap_or(100)
                        .into(),
                ),
                Mode::InPlace,
            ),
            (
                "max_percent",
                Value::Int(
                    deployment
                        .and_then(|d| d.maximum_percent())
                        .unwrap_or(200)
                        .into(),
                ),
                Mode::InPlace,
            ),
            (
                "rollback",
                Value::Bool(breaker.is_some_and(|b| b.enable() && b.rollback())),
                Mode::InPlace,
            ),
            (
                "execute_command",
                Value::Bool(service.enable_execute_command()),
                Mode::InPlace,
            ),
            (
                "tags",
                tags::observed_tags(pairs.iter().copied()),
                Mode::InPlace,
            ),
        ]),
    );
    resource.extra.insert("cluster".into(), cluster.to_string());
    Ok(Some(resource))
}

/// Waits until the service's PRIMARY deployment runs `task_definition` and its rollout is
/// COMPLETED (AWS's own definition of a stable deployment). A FAILED rollout, or a PRIMARY
/// deployment on another task definition (the circuit breaker rolled back), is an error
/// that quotes the service's latest events.
pub async fn wait_stable(
    op: &OpCx<'_>,
    cluster: &str,
    service: &str,
    task_definition: &str,
) -> Result<(), AwsError> {
    let ecs = &op.cx.clients.ecs;
    let mut backoff = Backoff::new(op.cx.timeout);
    loop {
        let described = ecs
            .describe_services()
            .cluster(cluster)
            .services(service)
            .send()
            .await
            .aws("DescribeServices")?;
        let Some(current) = described.services().first() else {
            return Err(AwsError::new(
                ErrorKind::NotFound,
                "DescribeServices",
                format!("service `{service}` is gone"),
            ));
        };
        match judge(current, task_definition) {
            Rollout::Stable => return Ok(()),
            Rollout::InProgress => op.status(&rollout_status(current)),
            Rollout::Failed(reason) => {
                let events: Vec<String> = current
                    .events()
                    .iter()
                    .take(5)
                    .filter_map(|event| event.message().map(|message| format!("\n    {message}")))
                    .collect();
                return Err(AwsError::new(
                    ErrorKind::Other,
                    "deployment",
                    format!(
                        "{reason}; latest service events:{}",
                        if events.is_empty() {
                            " (none)".to_string()
                        } else {
                            events.concat()
                        }
                    ),
                ));
            }
        }
        if !backoff.wait().await {
            return Err(AwsError::new(
                ErrorKind::Timeout,
                "deployment",
                format!(
                    "service `{}` not stable after {} (running {} of {}); raise `--timeout`, or pass `--no-wait`",
                    current.service_name().unwrap_or(service),
                    crate::text::duration(op.cx.timeout),
                    current.running_count(),
                    current.desired_count()
                ),
            ));
        }
    }
}

/// A rollout in flight, for the progress display: tasks of the new deployment running,
/// and its state.
fn rollout_status(service: &aws_sdk_ecs::types::Service) -> String {
    let primary = service
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"));
    let running = primary.map_or(service.running_count(), |d| d.running_count());
    let state = primary
        .and_then(|d| d.rollout_state())
        .map_or("waiting for tasks", |state| state.as_str());
    format!(
        "{running} of {} tasks running, {}",
        service.desired_count(),
        state.to_ascii_lowercase().replace('_', " ")
    )
}

#[derive(Debug, PartialEq, Eq)]
pub enum Rollout {
    Stable,
    InProgress,
    Failed(String),
}

/// Reads a service's deployments the way AWS documents stability.
pub fn judge(service: &aws_sdk_ecs::types::Service, task_definition: &str) -> Rollout {
    let Some(primary) = service
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
    else {
        return Rollout::InProgress;
    };
    if primary.task_definition() != Some(task_definition) {
        return Rollout::Failed(format!(
            "the deployment of `{task_definition}` was rolled back to `{}`",
            primary.task_definition().unwrap_or("?")
        ));
    }
    match primary.rollout_state().map(|state| state.as_str()) {
        Some("COMPLETED") => Rollout::Stable,
        Some("FAILED") => Rollout::Failed(format!(
            "the deployment failed: {}",
            primary.rollout_state_reason().unwrap_or("no reason given")
        )),
        Some(_) => Rollout::InProgress,
        // Services without rollout states: stable when one deployment runs them all.
        None if service.deployments().len() == 1
            && service.running_count() == service.desired_count() =>
        {
            Rollout::Stable
        }
        None => Rollout::InProgress,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::{Deployment, DeploymentRolloutState};

    fn service(deployments: Vec<Deployment>) -> aws_sdk_ecs::types::Service {
        aws_sdk_ecs::types::Service::builder()
            .set_deployments(Some(deployments))
            .desired_count(2)
            .running_count(2)
            .build()
    }

    fn deployment(status: &str, task: &str, state: DeploymentRolloutState) -> Deployment {
        Deployment::builder()
            .status(status)
            .task_definition(task)
            .rollout_state(state)
            .rollout_state_reason("tasks failed to start")
            .build()
    }

    // moto completes rollouts at once: a rollout in flight is the state AWS returns.
    #[test]
    fn a_rollout_in_flight_says_how_many_new_tasks_run() {
        let primary = Deployment::builder()
            .status("PRIMARY")
            .task_definition("arn:td/web:2")
            .rollout_state(DeploymentRolloutState::InProgress)
            .running_count(1)
            .build();
        let old = deployment("ACTIVE", "arn:td/web:1", DeploymentRolloutState::Completed);
        assert_eq!(
            rollout_status(&service(vec![primary, old])),
            "1 of 2 tasks running, in progress"
        );
        assert_eq!(
            rollout_status(&service(Vec::new())),
            "2 of 2 tasks running, waiting for tasks"
        );
    }

    // moto never runs tasks or fails a rollout: these are the states AWS returns.
    #[test]
    fn rollouts_are_judged_by_the_primary_deployment() {
        let new = "arn:td/web:2";
        let old = "arn:td/web:1";
        assert_eq!(
            judge(
                &service(vec![deployment(
                    "PRIMARY",
                    new,
                    DeploymentRolloutState::Completed
                )]),
                new
            ),
            Rollout::Stable
        );
        assert_eq!(
            judge(
                &service(vec![
                    deployment("PRIMARY", new, DeploymentRolloutState::InProgress),
                    deployment("ACTIVE", old, DeploymentRolloutState::Completed)
                ]),
                new
            ),
            Rollout::InProgress
        );
        assert!(matches!(
            judge(&service(vec![deployment("PRIMARY", new, DeploymentRolloutState::Failed)]), new),
            Rollout::Failed(reason) if reason.contains("tasks failed to start")
        ));
        // The circuit breaker rolled back: the PRIMARY deployment runs the old revision.
        assert!(matches!(
            judge(&service(vec![deployment("PRIMARY", old, DeploymentRolloutState::InProgress)]), new),
            Rollout::Failed(reason) if reason.contains("rolled back")
        ));
    }
}
