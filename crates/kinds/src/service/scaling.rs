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

use super::scaling_lower::ScalingProps;
use crate::aws::conditions::{Condition, Given as _, IAM_PROPAGATION, Means, Removal as _};
use crate::aws::ecs;
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind, built};
use crate::aws::ids::{SCALING as KIND, scaling_id, service_id};
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::Change;
use crate::engine::model::{Desired, Observed, Value};
use crate::engine::retry;
use crate::engine::typed::Properties as _;

/// A metric a service scales on, one target-tracking policy each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Metric {
    Cpu,
    Memory,
}

impl Metric {
    const ALL: [Metric; 2] = [Metric::Cpu, Metric::Memory];

    /// Its policy's name: `edgectl-cpu`.
    fn policy_name(self) -> String {
        let name = match self {
            Metric::Cpu => "cpu",
            Metric::Memory => "memory",
        };
        format!("edgectl-{name}")
    }

    /// Application Auto Scaling's predefined metric.
    fn predefined(self) -> &'static str {
        match self {
            Metric::Cpu => "ECSServiceAverageCPUUtilization",
            Metric::Memory => "ECSServiceAverageMemoryUtilization",
        }
    }

    /// The target `props` track it at, if any.
    fn target(self, props: &ScalingProps) -> Option<i64> {
        match self {
            Metric::Cpu => props.cpu,
            Metric::Memory => props.memory,
        }
    }
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
                (id.kind() == crate::aws::ids::SERVICE)
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

/// What the stack's policies on one scalable target say.
#[derive(Default)]
struct Tracking {
    cpu: Option<i64>,
    memory: Option<i64>,
    scale_in_cooldown: Option<i64>,
    scale_out_cooldown: Option<i64>,
    /// The live policy tracking each metric, by name (`edgectl-cpu`, or the name of one
    /// made elsewhere before its service was adopted).
    names: BTreeMap<&'static str, String>,
}

/// Where an observed scaling keeps its policies' live names (`Observed::extra`).
fn policy_key(metric: Metric) -> &'static str {
    match metric {
        Metric::Cpu => "cpu_policy",
        Metric::Memory => "memory_policy",
    }
}

/// The name of the policy that tracks `metric`: the live one's, else edgectl's own.
fn policy_name(live: Option<&Observed>, metric: Metric) -> String {
    live.and_then(|live| live.extra.get(policy_key(metric)))
        .cloned()
        .unwrap_or_else(|| metric.policy_name())
}

/// `edgectl adopt`: the scalable target of service `name` in `cluster` (a cluster's name)
/// with its policies, read under the scaling id of the manifest's service `key`; none
/// when it has none.
pub async fn of_service(
    cx: &Cx,
    cluster: &str,
    name: &str,
    key: &str,
) -> Result<Vec<Observed>, AwsError> {
    let resources = BTreeMap::from([(format!("service/{cluster}/{name}"), key.to_string())]);
    observe(cx, &resources).await
}

/// The scalable targets of the stack's services: `services` maps each owned service's
/// scaling resource id (`service/<cluster>/<name>`) to its logical name, each asked for
/// by its resource id.
async fn observe(cx: &Cx, services: &BTreeMap<String, String>) -> Result<Vec<Observed>, AwsError> {
    let scaling = &cx.clients.autoscaling;
    let ids: Vec<String> = services.keys().cloned().collect();
    // The targets 50 resource ids to a call, each service's policies by its resource id:
    // reads that grow with the stack's services, not with the account's.
    let targets = ids.chunks(50).map(|batch| async move {
        scaling
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Ecs)
            .set_resource_ids(Some(batch.to_vec()))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .aws("DescribeScalableTargets")
    });
    // Application Auto Scaling cannot read the policies while its service-linked role,
    // made at the account's first use, propagates.
    let policies = ids.iter().map(|id| {
        retry::settled(move || async move {
            scaling
                .describe_scaling_policies()
                .service_namespace(ServiceNamespace::Ecs)
                .resource_id(id)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .aws("DescribeScalingPolicies")
                .given(CONDITIONS)
        })
    });
    let (targets, policies) = futures::join!(
        futures::future::try_join_all(targets),
        futures::future::try_join_all(policies),
    );
    let targets: Vec<_> = targets?.into_iter().flatten().collect();
    let policies: Result<Vec<_>, AwsError> =
        policies.map(|all| all.into_iter().flatten().collect());
    let mut policies: Vec<_> = policies?;
    // Several on one metric: edgectl's, else the first by name, whatever order AWS lists.
    policies.sort_by(|a, b| a.policy_name().cmp(b.policy_name()));
    let mut tracking_by_resource: BTreeMap<String, Tracking> = BTreeMap::new();
    for policy in &policies {
        let Some(config) = policy.target_tracking_scaling_policy_configuration() else {
            continue;
        };
        let Some(predefined) = config
            .predefined_metric_specification()
            .map(|spec| spec.predefined_metric_type().as_str())
        else {
            continue;
        };
        // The policy tracking a metric, whatever its name (edgectl's own first: one made
        // before the service was adopted is the stack's with it).
        let Some(metric) = Metric::ALL
            .into_iter()
            .find(|metric| metric.predefined() == predefined)
        else {
            continue;
        };
        let found = tracking_by_resource
            .entry(policy.resource_id().to_string())
            .or_default();
        let name = policy.policy_name().to_string();
        match found.names.get(policy_key(metric)) {
            Some(taken) if *taken == metric.policy_name() || name != metric.policy_name() => {
                continue;
            }
            _ => {}
        }
        found.names.insert(policy_key(metric), name);
        let target = Some(config.target_value() as i64);
        match metric {
            Metric::Cpu => found.cpu = target,
            Metric::Memory => found.memory = target,
        }
        // Both policies are written with the same cooldowns.
        found.scale_in_cooldown = config.scale_in_cooldown().map(i64::from);
        found.scale_out_cooldown = config.scale_out_cooldown().map(i64::from);
    }
    let none = Tracking::default();
    let mut out = Vec::new();
    for target in &targets {
        let resource = target.resource_id();
        let Some(service) = services.get(resource) else {
            continue;
        };
        let tracking = tracking_by_resource.get(resource).unwrap_or(&none);
        let seconds = |value: Option<i64>| value.map_or(Value::Null, Value::Int);
        let props = ScalingProps {
            resource: resource.to_string(),
            min: target.min_capacity().into(),
            max: target.max_capacity().into(),
            cpu: tracking.cpu,
            memory: tracking.memory,
            scale_in_cooldown: seconds(tracking.scale_in_cooldown),
            scale_out_cooldown: seconds(tracking.scale_out_cooldown),
        };
        let mut observed = Observed::new(scaling_id(service), resource, props.into_props());
        observed.after = vec![service_id(service)];
        for (key, name) in &tracking.names {
            observed.extra.insert((*key).to_string(), name.clone());
        }
        out.push(observed);
    }
    Ok(out)
}

async fn create(op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
    let props = ScalingProps::from_props(&desired.props)?;
    let tags: HashMap<String, String> = tags::create_tags(&op.cx.stack, op.id, &BTreeMap::new())
        .into_iter()
        .collect();
    register(op, &props, &props.resource, Some(tags)).await?;
    op.made(&props.resource);
    sync_policies(op, &props.resource, None, &props, None).await?;
    Ok(props.resource)
}

async fn update(
    op: &OpCx<'_>,
    desired: &Desired,
    observed: &Observed,
    changes: &[Change],
) -> Result<(), AwsError> {
    let props = ScalingProps::from_props(&desired.props)?;
    let live = ScalingProps::from_props(&observed.props)?;
    let resource = &observed.physical_id;
    let changed = ScalingProps::changed(changes);
    if changed.min || changed.max {
        register(op, &props, resource, None).await?;
    }
    sync_policies(op, resource, Some(&live), &props, Some(observed)).await
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
    props: &ScalingProps,
    resource: &str,
    tags: Option<HashMap<String, String>>,
) -> Result<(), AwsError> {
    // A just-created service may not be visible to Application Auto Scaling yet.
    let request = op
        .cx
        .clients
        .autoscaling
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .min_capacity(crate::aws::errors::int32(
            "RegisterScalableTarget",
            "min",
            props.min,
        )?)
        .max_capacity(crate::aws::errors::int32(
            "RegisterScalableTarget",
            "max",
            props.max,
        )?)
        .set_tags(tags);
    request
        .send()
        .await
        .aws("RegisterScalableTarget")
        .given(CONDITIONS)?;
    Ok(())
}

/// Puts or deletes each metric's policy where it differs from `live` (none: every
/// policy `props` has), under the live policy's name (`observed`'s) where there is one.
/// A change of cooldowns puts both.
async fn sync_policies(
    op: &OpCx<'_>,
    resource: &str,
    live: Option<&ScalingProps>,
    props: &ScalingProps,
    observed: Option<&Observed>,
) -> Result<(), AwsError> {
    let scaling = &op.cx.clients.autoscaling;
    let old_in = live.map_or(&Value::Null, |live| &live.scale_in_cooldown);
    let old_out = live.map_or(&Value::Null, |live| &live.scale_out_cooldown);
    let cooldowns_changed = [
        (&props.scale_in_cooldown, old_in),
        (&props.scale_out_cooldown, old_out),
    ]
    .into_iter()
    .any(|(want, old)| want != &Value::AwsDefault && want != old);
    // A number of seconds, or nothing (AWS's default); never a number dropped.
    let seconds = |what: &str, value: &Value| match value {
        Value::Int(seconds) => {
            crate::aws::errors::int32("PutScalingPolicy", what, *seconds).map(Some)
        }
        _ => Ok(None),
    };
    for metric in Metric::ALL {
        let new = metric.target(props);
        let old = live.and_then(|live| metric.target(live));
        if new == old && !(cooldowns_changed && new.is_some()) {
            continue;
        }
        match new {
            Some(target) => {
                let config = built(
                    "PutScalingPolicy",
                    TargetTrackingScalingPolicyConfiguration::builder()
                        .target_value(target as f64)
                        .set_scale_in_cooldown(seconds(
                            "scale_in_cooldown",
                            &props.scale_in_cooldown,
                        )?)
                        .set_scale_out_cooldown(seconds(
                            "scale_out_cooldown",
                            &props.scale_out_cooldown,
                        )?)
                        .predefined_metric_specification(built(
                            "PutScalingPolicy",
                            PredefinedMetricSpecification::builder()
                                .predefined_metric_type(MetricType::from(metric.predefined()))
                                .build(),
                        )?)
                        .build(),
                )?;
                scaling
                    .put_scaling_policy()
                    .policy_name(policy_name(observed, metric))
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
            None => {
                scaling
                    .delete_scaling_policy()
                    .policy_name(policy_name(observed, metric))
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
