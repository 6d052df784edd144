//! Application Auto Scaling for services (`scaling.<service>`): a scalable target on the
//! service's desired count (min, max) and target-tracking policies on average CPU and
//! memory. Scalable targets carry no tags here: one belongs to the stack when its service
//! does, read from the services the service kind also reads (`ecs::services`).

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};

use super::conditions::{Condition, Given as _, IAM_PROPAGATION, Means, Removal as _};
use super::ecs::{self, service::service_id};
use super::errors::{AwsError, AwsResultExt, ErrorKind, built};
use super::{Cx, OpCx, tags};
use crate::engine::diff::{Change, touches};
use crate::engine::model::{Desired, Mode, Observed, ResourceId, Value, props};
use crate::engine::retry;

pub const KIND: &str = "scaling";
const METRICS: [(&str, &str); 2] = [
    ("cpu", "ECSServiceAverageCPUUtilization"),
    ("memory", "ECSServiceAverageMemoryUtilization"),
];

fn policy_name(metric: &str) -> String {
    format!("edgectl-{metric}")
}

pub fn scaling_id(service: &str) -> ResourceId {
    ResourceId::new(KIND, service)
}

pub struct ScalingAdapter;

/// What Application Auto Scaling answers while it settles what a service's scaling needs
/// (the Terraform provider's `internal/service/appautoscaling/target.go`,
/// `registerScalableTarget`, and `policy.go`: 2 minutes each).
pub const CONDITIONS: &[Condition] = &[
    Condition {
        operation: "RegisterScalableTarget",
        code: "ValidationException",
        message: Some("ECS service doesn't exist"),
        means: Means::Settling {
            awaiting: "the new ECS service to reach Application Auto Scaling",
            window: IAM_PROPAGATION,
        },
        source: "terraform-provider-aws internal/service/appautoscaling/target.go registerScalableTarget",
    },
    Condition {
        operation: "RegisterScalableTarget",
        code: "ValidationException",
        message: Some("Unable to assume IAM role"),
        means: Means::Settling {
            awaiting: "Application Auto Scaling's service-linked role",
            window: IAM_PROPAGATION,
        },
        source: "terraform-provider-aws internal/service/appautoscaling/target.go registerScalableTarget",
    },
    Condition {
        operation: "PutScalingPolicy",
        code: "FailedResourceAccessException",
        message: None,
        means: Means::Settling {
            awaiting: "Application Auto Scaling's service-linked role",
            window: IAM_PROPAGATION,
        },
        source: "terraform-provider-aws internal/service/appautoscaling/policy.go resourcePolicyPut",
    },
    Condition {
        operation: "DeleteScalingPolicy",
        code: "FailedResourceAccessException",
        message: None,
        means: Means::Settling {
            awaiting: "Application Auto Scaling's service-linked role",
            window: IAM_PROPAGATION,
        },
        source: "terraform-provider-aws internal/service/appautoscaling/policy.go resourcePolicyDelete",
    },
    Condition {
        operation: "DeleteScalingPolicy",
        code: "ObjectNotFoundException",
        message: None,
        means: Means::Gone,
        source: "terraform-provider-aws internal/service/appautoscaling/policy.go resourcePolicyDelete",
    },
    Condition {
        operation: "DescribeScalingPolicies",
        code: "FailedResourceAccessException",
        message: None,
        means: Means::Settling {
            awaiting: "Application Auto Scaling's service-linked role",
            window: IAM_PROPAGATION,
        },
        source: "terraform-provider-aws internal/service/appautoscaling/policy.go resourcePolicyRead",
    },
];

#[async_trait]
impl crate::engine::kind::Kind for ScalingAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        // Scalable targets belong to the stack's services: `service/<cluster>/<service>`.
        let resources: BTreeMap<String, String> = ecs::services(cx)
            .await?
            .iter()
            .filter_map(|found| {
                let id = found.owned_id(&cx.stack)?;
                let cluster = found.cluster.rsplit('/').next()?;
                let name = found.service.service_name()?;
                (id.kind() == ecs::service::KIND)
                    .then(|| (format!("service/{cluster}/{name}"), id.name().to_string()))
            })
            .collect();
        if resources.is_empty() {
            return Ok(Vec::new());
        }
        observe(cx, &resources).await
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        create(op, desired).await
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        update(op, desired, observed, changes).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        delete(op, observed).await
    }
}

/// The scalable targets of the stack's services: `services` maps each owned service's
/// scaling resource id (`service/<cluster>/<name>`) to its logical name.
async fn observe(cx: &Cx, services: &BTreeMap<String, String>) -> Result<Vec<Observed>, AwsError> {
    let scaling = &cx.clients.autoscaling;
    // Application Auto Scaling cannot read the policies while its service-linked role,
    // made at the account's first use, propagates.
    let (targets, policies) = futures::join!(
        scaling
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Ecs)
            .into_paginator()
            .items()
            .send()
            .try_collect(),
        retry::settled(|| async {
            scaling
                .describe_scaling_policies()
                .service_namespace(ServiceNamespace::Ecs)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .aws("DescribeScalingPolicies")
                .given(CONDITIONS)
        }),
    );
    let targets = targets.aws("DescribeScalableTargets")?;
    let policies = policies?;
    let mut targets_by_resource: BTreeMap<String, BTreeMap<&str, Value>> = BTreeMap::new();
    for policy in &policies {
        let Some(config) = policy.target_tracking_scaling_policy_configuration() else {
            continue;
        };
        let Some(metric) = config
            .predefined_metric_specification()
            .map(|spec| spec.predefined_metric_type().as_str())
        else {
            continue;
        };
        if let Some((name, _)) = METRICS
            .iter()
            .find(|(name, kind)| *kind == metric && policy.policy_name() == policy_name(name))
        {
            let found = targets_by_resource
                .entry(policy.resource_id().to_string())
                .or_default();
            found.insert(name, Value::Int(config.target_value() as i64));
            // Both policies are written with the same cooldowns.
            let seconds = |value: Option<i32>| value.map_or(Value::Null, |v| Value::Int(v.into()));
            found.insert("scale_in_cooldown", seconds(config.scale_in_cooldown()));
            found.insert("scale_out_cooldown", seconds(config.scale_out_cooldown()));
        }
    }
    let mut out = Vec::new();
    for target in &targets {
        let resource = target.resource_id();
        let Some(service) = services.get(resource) else {
            continue;
        };
        let metrics = targets_by_resource.get(resource);
        let metric = |name: &str| {
            metrics
                .and_then(|m| m.get(name))
                .cloned()
                .unwrap_or(Value::Null)
        };
        let mut observed = Observed::new(
            scaling_id(service),
            resource,
            props([
                ("resource", Value::str(resource), Mode::Replace),
                (
                    "min",
                    Value::Int(target.min_capacity().into()),
                    Mode::InPlace,
                ),
                (
                    "max",
                    Value::Int(target.max_capacity().into()),
                    Mode::InPlace,
                ),
                ("cpu", metric("cpu"), Mode::InPlace),
                ("memory", metric("memory"), Mode::InPlace),
                (
                    "scale_in_cooldown",
                    metric("scale_in_cooldown"),
                    Mode::InPlace,
                ),
                (
                    "scale_out_cooldown",
                    metric("scale_out_cooldown"),
                    Mode::InPlace,
                ),
            ]),
        );
        observed.after = vec![service_id(service)];
        out.push(observed);
    }
    Ok(out)
}

async fn create(op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
    let resource = desired
        .value("resource")
        .as_str()
        .unwrap_or_default()
        .to_string();
    let tags: HashMap<String, String> = tags::create_tags(&op.cx.stack, op.id, &Value::Null)
        .into_iter()
        .collect();
    register(op, desired, &resource, Some(tags)).await?;
    op.made(&resource);
    sync_policies(op, &resource, None, desired).await?;
    Ok(resource)
}

async fn update(
    op: &OpCx<'_>,
    desired: &Desired,
    observed: &Observed,
    changes: &[Change],
) -> Result<(), AwsError> {
    let resource = &observed.physical_id;
    if touches(changes, &["min", "max"]) {
        register(op, desired, resource, None).await?;
    }
    sync_policies(op, resource, Some(observed), desired).await
}

async fn delete(op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
    // Deregistering the target deletes its policies too.
    match op
        .cx
        .clients
        .autoscaling
        .deregister_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(&observed.physical_id)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .send()
        .await
        .aws("DeregisterScalableTarget")
    {
        Err(error)
            if error.kind != ErrorKind::NotFound
                && error.code.as_deref() != Some("ObjectNotFoundException") =>
        {
            Err(error)
        }
        _ => Ok(()),
    }
}

async fn register(
    op: &OpCx<'_>,
    desired: &Desired,
    resource: &str,
    tags: Option<HashMap<String, String>>,
) -> Result<(), AwsError> {
    let int = |field: &str| match desired.value(field) {
        Value::Int(number) => i32::try_from(*number).unwrap_or(0),
        _ => 0,
    };
    // A just-created service may not be visible to Application Auto Scaling yet.
    let request = op
        .cx
        .clients
        .autoscaling
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .min_capacity(int("min"))
        .max_capacity(int("max"))
        .set_tags(tags);
    request
        .send()
        .await
        .aws("RegisterScalableTarget")
        .given(CONDITIONS)?;
    Ok(())
}

/// Puts or deletes each metric's policy where it differs from `observed` (none: every
/// policy the desired state has). A change of cooldowns puts both.
async fn sync_policies(
    op: &OpCx<'_>,
    resource: &str,
    observed: Option<&Observed>,
    desired: &Desired,
) -> Result<(), AwsError> {
    let scaling = &op.cx.clients.autoscaling;
    let old = |field: &str| observed.map_or(&Value::Null, |have| have.value(field));
    let cooldowns_changed = ["scale_in_cooldown", "scale_out_cooldown"]
        .iter()
        .any(|field| {
            let want = desired.value(field);
            want != &Value::AwsDefault && want != old(field)
        });
    let seconds = |field: &str| match desired.value(field) {
        Value::Int(seconds) => i32::try_from(*seconds).ok(),
        _ => None,
    };
    for (name, metric) in METRICS.iter() {
        let new = desired.value(name);
        if new == old(name) && !(cooldowns_changed && matches!(new, Value::Int(_))) {
            continue;
        }
        match new {
            Value::Int(target) => {
                let config = built(
                    "PutScalingPolicy",
                    TargetTrackingScalingPolicyConfiguration::builder()
                        .target_value(*target as f64)
                        .set_scale_in_cooldown(seconds("scale_in_cooldown"))
                        .set_scale_out_cooldown(seconds("scale_out_cooldown"))
                        .predefined_metric_specification(built(
                            "PutScalingPolicy",
                            PredefinedMetricSpecification::builder()
                                .predefined_metric_type(MetricType::from(*metric))
                                .build(),
                        )?)
                        .build(),
                )?;
                scaling
                    .put_scaling_policy()
                    .policy_name(policy_name(name))
                    .service_namespace(ServiceNamespace::Ecs)
                    .resource_id(resource)
                    .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                    .policy_type(PolicyType::TargetTrackingScaling)
                    .target_tracking_scaling_policy_configuration(config)
                    .send()
                    .await
                    .aws("PutScalingPolicy")
                    .given(CONDITIONS)?;
            }
            _ => {
                scaling
                    .delete_scaling_policy()
                    .policy_name(policy_name(name))
                    .service_namespace(ServiceNamespace::Ecs)
                    .resource_id(resource)
                    .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                    .send()
                    .await
                    .aws("DeleteScalingPolicy")
                    .done_if_gone(CONDITIONS)?;
            }
        }
    }
    Ok(())
}
