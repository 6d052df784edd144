//! Fargate services. A create or an update that starts a deployment waits until the
//! service is stable (its PRIMARY deployment's rollout COMPLETED), unless `--no-wait`; a
//! failed rollout, or one the circuit breaker rolled back, fails the operation saying why
//! (`rollout.rs`). `--redeploy` adds a forced new deployment to a service's update.

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, DeploymentCircuitBreaker, DeploymentConfiguration,
    LaunchType, LoadBalancer, NetworkConfiguration, PropagateTags, ServiceRegistry,
};

use super::lower::{LoadBalancerTarget, ServiceProps};
use super::rollout::{Target, redeploys, wait_stable};
use crate::aws::conditions::{Condition, Given as _, IAM_PROPAGATION, Means};
use crate::aws::ecs::{ecs_tags, tag_pairs};
use crate::aws::errors::int32;
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind, built};
use crate::aws::ids::SERVICE as KIND;
use crate::aws::naming::client_token;
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::Change;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::Properties as _;

pub struct ServiceAdapter;

const CREATE: &str = "CreateService";
const UPDATE: &str = "UpdateService";

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

#[async_trait]
impl crate::engine::kind::Kind for ServiceAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let services = crate::aws::ecs::services(cx).await?;
        Ok(services
            .iter()
            .map(|found| observed_service(cx, &found.cluster, &found.service))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect())
    }

    /// The active service of the manifest's name (or the one pinned, by ARN or name) in
    /// the cluster found, with its auto scaling (untagged: a service's scalable target is
    /// the stack's with it). Its task definition is not adopted: the next apply registers
    /// the stack's and rolls the service onto it.
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = ServiceProps::from_props(&desired.props)?;
        let cluster = op.resolve(&props.cluster)?;
        let answer = op
            .cx
            .clients
            .ecs
            .describe_services()
            .cluster(&cluster)
            .services(pin.unwrap_or(&props.name))
            .include(aws_sdk_ecs::types::ServiceField::Tags)
            .send()
            .await
            .aws("DescribeServices");
        let answer = match answer {
            Ok(answer) => answer,
            // A cluster pinned that is not one, say.
            Err(error) if error.kind == ErrorKind::NotFound => return Ok(Found::Nothing),
            Err(error) => return Err(error),
        };
        let Some(service) = answer
            .services()
            .iter()
            .find(|service| service.status() == Some("ACTIVE"))
        else {
            return Ok(Found::Nothing);
        };
        // A service pinned by the ARN of another cluster's service.
        if service.cluster_arn().is_some_and(|arn| arn != cluster) {
            return Ok(Found::Nothing);
        }
        let observed = read(&cluster, service, op.id.clone())?;
        let what = format!(
            "ECS service `{}`",
            service.service_name().unwrap_or_default()
        );
        let mut found =
            crate::aws::adopt::found(op.cx, op.id, what, tag_pairs(service.tags()), observed)
                .await?;
        if let Found::Live { also, note, .. } = &mut found {
            let runs = running(op, service).await?;
            *note = Some(match note.take() {
                Some(earlier) => format!("{earlier}; {runs}"),
                None => runs,
            });
            let cluster_name = cluster.rsplit('/').next().unwrap_or(&cluster);
            let name = service.service_name().unwrap_or_default();
            also.extend(super::scaling::of_service(op.cx, cluster_name, name, op.id.name()).await?);
        }
        Ok(found)
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        tags::adopt(&op.cx.clients.ecs, &found.physical_id, op, desired).await
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let props = ServiceProps::from_props(&desired.props)?;
        let ecs = &op.cx.clients.ecs;
        let cluster = op.resolve(&props.cluster)?;
        let task_definition = op.resolve(&props.task_definition)?;
        let tags = tags::create_tags(&op.cx.stack, op.id, &props.tags);
        let mut request = ecs
            .create_service()
            .cluster(&cluster)
            .service_name(&props.name)
            .task_definition(&task_definition)
            .desired_count(count(CREATE, &props.desired_count)?)
            .network_configuration(network(op, &props)?)
            .set_load_balancers(load_balancers(op, CREATE, props.load_balancer.as_ref())?)
            .set_service_registries(registries(op, props.registry.as_ref())?)
            .set_health_check_grace_period_seconds(
                props
                    .grace_period
                    .map(|seconds| int32(CREATE, "grace_period", seconds))
                    .transpose()?,
            )
            .deployment_configuration(deployment(CREATE, &props)?)
            .enable_execute_command(props.execute_command)
            .enable_ecs_managed_tags(true)
            .propagate_tags(PropagateTags::Service)
            .client_token(client_token(
                op.cx,
                op.id,
                &format!("{cluster}/{task_definition}"),
            ))
            .set_tags(Some(ecs_tags(tags)));
        if props.launch == "FARGATE" {
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
            let target = Target::started(&task_definition, created.service());
            wait_stable(op, &cluster, &arn, &target).await?;
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
        let props = ServiceProps::from_props(&desired.props)?;
        let live = ServiceProps::from_props(&observed.props)?;
        let ecs = &op.cx.clients.ecs;
        let cluster = observed.detail("cluster")?.to_string();
        let arn = &observed.physical_id;
        let changed = ServiceProps::changed(changes);
        let network_changed = changed.subnets || changed.security_groups || changed.public_ip;
        let deployment_changed = changed.min_percent || changed.max_percent || changed.rollback;
        // What starts a deployment, and so is waited for.
        let redeploy = redeploys(changes);
        let deploys = redeploy
            || changed.task_definition
            || network_changed
            || changed.load_balancer
            || changed.registry
            || changed.desired_count;
        if deploys || changed.grace_period || deployment_changed || changed.execute_command {
            let task_definition = op.resolve(&props.task_definition)?;
            let mut request = ecs.update_service().cluster(&cluster).service(arn);
            // Send only what differs: an UpdateService with a task definition, network or
            // load balancers starts a deployment.
            if changed.task_definition {
                request = request.task_definition(&task_definition);
            }
            if redeploy {
                request = request.force_new_deployment(true);
            }
            if changed.desired_count {
                request = request.desired_count(count(UPDATE, &props.desired_count)?);
            }
            if network_changed {
                request = request.network_configuration(network(op, &props)?);
            }
            if changed.load_balancer {
                request = request.set_load_balancers(Some(
                    load_balancers(op, UPDATE, props.load_balancer.as_ref())?.unwrap_or_default(),
                ));
            }
            if changed.registry {
                request = request.set_service_registries(Some(
                    registries(op, props.registry.as_ref())?.unwrap_or_default(),
                ));
            }
            if changed.grace_period {
                // Taken out of the manifest: none, 0 seconds.
                request = request.health_check_grace_period_seconds(int32(
                    UPDATE,
                    "grace_period",
                    props.grace_period.unwrap_or(0),
                )?);
            }
            if deployment_changed {
                request = request.deployment_configuration(deployment(UPDATE, &props)?);
            }
            if changed.execute_command {
                request = request.enable_execute_command(props.execute_command);
            }
            let updated = request
                .send()
                .await
                .aws("UpdateService")
                .given(CONDITIONS)?;
            if !op.cx.no_wait && deploys {
                let target = Target::started(&task_definition, updated.service());
                wait_stable(op, &cluster, arn, &target).await?;
            }
        }
        tags::sync(ecs, arn, &live.tags, &props.tags).await
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

/// The desired count: a number by the time an operation runs (the plan settles the count
/// auto scaling keeps on the live one).
fn count(operation: &str, value: &Value) -> Result<i32, AwsError> {
    match value {
        Value::Int(count) => int32(operation, "desired_count", *count),
        other => Err(AwsError::new(
            ErrorKind::Other,
            operation,
            format!("`desired_count` is {other}, not a number"),
        )),
    }
}

fn network(op: &OpCx<'_>, props: &ServiceProps) -> Result<NetworkConfiguration, AwsError> {
    let resolve_all = |values: &BTreeSet<Value>| {
        values
            .iter()
            .map(|value| op.resolve(value))
            .collect::<Result<Vec<_>, _>>()
    };
    let vpc = built(
        "CreateService",
        AwsVpcConfiguration::builder()
            .set_subnets(Some(resolve_all(&props.subnets)?))
            .set_security_groups(Some(resolve_all(&props.security_groups)?))
            .assign_public_ip(if props.public_ip {
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

fn load_balancers(
    op: &OpCx<'_>,
    operation: &str,
    target: Option<&LoadBalancerTarget>,
) -> Result<Option<Vec<LoadBalancer>>, AwsError> {
    let Some(target) = target else {
        return Ok(None);
    };
    Ok(Some(vec![
        LoadBalancer::builder()
            .target_group_arn(op.resolve(&target.target_group)?)
            .container_name(&target.container)
            .container_port(int32(operation, "load_balancer.port", target.port)?)
            .build(),
    ]))
}

/// The Cloud Map service the tasks are registered with (A records need no port).
fn registries(
    op: &OpCx<'_>,
    registry: Option<&Value>,
) -> Result<Option<Vec<ServiceRegistry>>, AwsError> {
    let Some(registry) = registry else {
        return Ok(None);
    };
    Ok(Some(vec![
        ServiceRegistry::builder()
            .registry_arn(op.resolve(registry)?)
            .build(),
    ]))
}

fn deployment(operation: &str, props: &ServiceProps) -> Result<DeploymentConfiguration, AwsError> {
    Ok(DeploymentConfiguration::builder()
        .minimum_healthy_percent(int32(operation, "min_percent", props.min_percent)?)
        .maximum_percent(int32(operation, "max_percent", props.max_percent)?)
        .deployment_circuit_breaker(
            DeploymentCircuitBreaker::builder()
                .enable(props.rollback)
                .rollback(props.rollback)
                .build(),
        )
        .build())
}

/// A service's load balancer as DescribeServices answers it: every part is what the
/// service was created with, so one missing is an incomplete answer.
fn observed_target(found: &LoadBalancer) -> Result<LoadBalancerTarget, AwsError> {
    let missing = |field: &str| AwsError::missing("DescribeServices", field);
    Ok(LoadBalancerTarget {
        target_group: Value::Phys(
            found
                .target_group_arn()
                .ok_or_else(|| missing("loadBalancers.targetGroupArn"))?
                .to_string(),
        ),
        container: found
            .container_name()
            .ok_or_else(|| missing("loadBalancers.containerName"))?
            .to_string(),
        port: found
            .container_port()
            .ok_or_else(|| missing("loadBalancers.containerPort"))?
            .into(),
    })
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
    read(cluster, service, id).map(Some)
}

/// What a service found runs, for `edgectl adopt`'s note: its task definition is not
/// adopted, and the next apply rolls it onto the stack's, with the manifest's images.
async fn running(op: &OpCx<'_>, service: &aws_sdk_ecs::types::Service) -> Result<String, AwsError> {
    let Some(definition) = service.task_definition() else {
        return Ok("it runs no task definition".to_string());
    };
    let described = op
        .cx
        .clients
        .ecs
        .describe_task_definition()
        .task_definition(definition)
        .send()
        .await
        .aws("DescribeTaskDefinition")?;
    let images: Vec<String> = described
        .task_definition()
        .map(|definition| {
            definition
                .container_definitions()
                .iter()
                .filter_map(|container| container.image())
                .map(|image| format!("`{image}`"))
                .collect()
        })
        .unwrap_or_default();
    let revision = definition.rsplit('/').next().unwrap_or(definition);
    Ok(format!(
        "it runs {} (task definition `{revision}`, not adopted): the next apply registers the stack's task definition with the manifest's images and rolls the service onto it; where the manifest's tag is a variable, pass the tag it runs (`--var`) to keep it",
        images.join(", ")
    ))
}

/// A service of `cluster` as the stack sees it, under `id`.
fn read(
    cluster: &str,
    service: &aws_sdk_ecs::types::Service,
    id: ResourceId,
) -> Result<Observed, AwsError> {
    let pairs = tag_pairs(service.tags());
    let missing = |field: &str| AwsError::missing("DescribeServices", field);
    let vpc = service
        .network_configuration()
        .and_then(|config| config.awsvpc_configuration());
    let deployment = service.deployment_configuration();
    let breaker = deployment.and_then(|config| config.deployment_circuit_breaker());
    let launch = if service.launch_type() == Some(&LaunchType::Fargate) {
        "FARGATE"
    } else {
        "capacity-providers"
    };
    let arn = service.service_arn().ok_or_else(|| missing("serviceArn"))?;
    // A service without awsvpc networking has no subnets or security groups of its own.
    let physical = |ids: &[String]| -> BTreeSet<Value> {
        ids.iter().map(|id| Value::Phys(id.clone())).collect()
    };
    let props = ServiceProps {
        name: service
            .service_name()
            .ok_or_else(|| missing("serviceName"))?
            .to_string(),
        cluster: Value::Phys(cluster.to_string()),
        launch: launch.to_string(),
        task_definition: service
            .task_definition()
            .map_or(Value::Null, |arn| Value::Phys(arn.to_string())),
        desired_count: Value::Int(service.desired_count().into()),
        subnets: vpc.map(|vpc| physical(vpc.subnets())).unwrap_or_default(),
        security_groups: vpc
            .map(|vpc| physical(vpc.security_groups()))
            .unwrap_or_default(),
        public_ip: vpc.and_then(|vpc| vpc.assign_public_ip()) == Some(&AssignPublicIp::Enabled),
        load_balancer: service
            .load_balancers()
            .first()
            .map(observed_target)
            .transpose()?,
        registry: service
            .service_registries()
            .first()
            .map(|registry| {
                registry
                    .registry_arn()
                    .map(|arn| Value::Phys(arn.to_string()))
                    .ok_or_else(|| missing("serviceRegistries.registryArn"))
            })
            .transpose()?,
        grace_period: service.health_check_grace_period_seconds().map(i64::from),
        // ECS's defaults when a service was made without a configuration: 100 / 200.
        min_percent: deployment
            .and_then(|d| d.minimum_healthy_percent())
            .unwrap_or(100)
            .into(),
        max_percent: deployment
            .and_then(|d| d.maximum_percent())
            .unwrap_or(200)
            .into(),
        rollback: breaker.is_some_and(|b| b.enable() && b.rollback()),
        execute_command: service.enable_execute_command(),
        tags: tags::observed_tag_map(pairs.iter().copied()),
    };
    let note = super::rollout::note(service, id.name());
    let mut resource = Observed::new(id, arn, props.into_props());
    resource.extra.insert("cluster".into(), cluster.to_string());
    if let Some(note) = note {
        resource
            .extra
            .insert(crate::engine::model::NOTE.into(), note);
    }
    Ok(resource)
}

use crate::aws::permissions::{On, Permission};

/// What the service's log group is written with, checked against its ARN with or without
/// the `:*` (IAM uses both, by action).
const LOG_GROUP_WRITES: &[&str] = &[
    "logs:CreateLogGroup",
    "logs:DeleteLogGroup",
    "logs:PutRetentionPolicy",
    "logs:DeleteRetentionPolicy",
    "logs:AssociateKmsKey",
    "logs:DisassociateKmsKey",
    "logs:TagResource",
    "logs:UntagResource",
    "logs:TagLogGroup",
];

/// The IAM permissions this kind's calls need (`edgectl policy`); the suite's
/// `policy` test runs each shipped manifest with no more than these.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        actions: &[
            "ecs:ListClusters",
            "ecs:DescribeClusters",
            "ecs:ListServices",
            "ecs:DescribeServices",
            "ecs:CreateService",
            "ecs:UpdateService",
            "ecs:RegisterTaskDefinition",
            "ecs:DeregisterTaskDefinition",
            "ecs:DescribeTaskDefinition",
            "ecs:ListTaskDefinitionFamilies",
            "ecs:ListTaskDefinitions",
            "ecs:ListTasks",
            "ecs:DescribeTasks",
            "ecs:ListTagsForResource",
        ],
        on: On::Any,
    },
    Permission {
        actions: &["ecs:DeleteService"],
        on: On::Owned,
    },
    Permission {
        actions: &[
            "elasticloadbalancing:CreateTargetGroup",
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetGroupAttributes",
            "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes",
            "elasticloadbalancing:DescribeTags",
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeRules",
        ],
        on: On::Any,
    },
    Permission {
        actions: &["elasticloadbalancing:DeleteTargetGroup"],
        on: On::Owned,
    },
    Permission {
        actions: &[
            "logs:DescribeLogGroups",
            "logs:ListTagsForResource",
            "logs:ListTagsLogGroup",
        ],
        on: On::Any,
    },
    Permission {
        actions: LOG_GROUP_WRITES,
        on: On::Named {
            kind: "log_group",
            arn: "arn:{partition}:logs:{region}:*:log-group:{name}",
        },
    },
    // The same, on the ARN most of these are checked against (the group's, with `:*`).
    Permission {
        actions: LOG_GROUP_WRITES,
        on: On::Named {
            kind: "log_group",
            arn: "arn:{partition}:logs:{region}:*:log-group:{name}:*",
        },
    },
    Permission {
        actions: &["logs:GetLogEvents"],
        on: On::Named {
            kind: "log_group",
            arn: "arn:{partition}:logs:{region}:*:log-group:{name}:*",
        },
    },
    Permission {
        actions: &[
            "application-autoscaling:RegisterScalableTarget",
            "application-autoscaling:DeregisterScalableTarget",
            "application-autoscaling:DescribeScalableTargets",
            "application-autoscaling:DescribeScalingPolicies",
            "application-autoscaling:PutScalingPolicy",
            "application-autoscaling:DeleteScalingPolicy",
            "application-autoscaling:TagResource",
            "application-autoscaling:ListTagsForResource",
        ],
        on: On::Any,
    },
    Permission {
        actions: &["iam:CreateServiceLinkedRole"],
        on: On::ServiceLinked("ecs.amazonaws.com"),
    },
    Permission {
        actions: &["iam:CreateServiceLinkedRole"],
        on: On::ServiceLinked("ecs.application-autoscaling.amazonaws.com"),
    },
    // A target tracking policy's alarms, which Application Auto Scaling makes and removes
    // with the caller's rights (untagged).
    Permission {
        actions: &[
            "cloudwatch:PutMetricAlarm",
            "cloudwatch:DescribeAlarms",
            "cloudwatch:DeleteAlarms",
        ],
        on: On::Stack("arn:{partition}:cloudwatch:{region}:*:alarm:TargetTracking-*"),
    },
    // Tags: written when a resource is made, or changed on the stack's own.
    Permission {
        actions: &["ecs:TagResource"],
        on: On::Creating("ecs:CreateAction"),
    },
    Permission {
        actions: &["elasticloadbalancing:AddTags"],
        on: On::Creating("elasticloadbalancing:CreateAction"),
    },
    Permission {
        actions: &[
            "ecs:TagResource",
            "ecs:UntagResource",
            "elasticloadbalancing:AddTags",
            "elasticloadbalancing:RemoveTags",
        ],
        on: On::Owned,
    },
];
