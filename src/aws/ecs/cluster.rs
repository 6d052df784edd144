//! ECS clusters: Container Insights, capacity providers and the default strategy.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ecs::types::{CapacityProviderStrategyItem, ClusterSetting, ClusterSettingName};

use super::{ecs_tags, tag_pairs};
use crate::aws::conditions::{Condition, Given as _, IAM_PROPAGATION, Means};
use crate::aws::errors::{AwsError, AwsResultExt, built};
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::{Change, touches};
use crate::engine::model::{Desired, Mode, Observed, Value, props};

pub const KIND: &str = "cluster";

pub struct ClusterAdapter;

pub(crate) fn strategy_value(provider: &str, weight: i64, base: i64) -> Value {
    Value::map([
        ("provider", Value::str(provider)),
        ("weight", Value::Int(weight)),
        ("base", Value::Int(base)),
    ])
}

fn strategy_items(value: &Value) -> Result<Vec<CapacityProviderStrategyItem>, AwsError> {
    value
        .items()
        .filter_map(Value::as_map)
        .map(|item| {
            let int = |key: &str| match item.get(key) {
                Some(Value::Int(number)) => i32::try_from(*number).unwrap_or(0),
                _ => 0,
            };
            built(
                "PutClusterCapacityProviders",
                CapacityProviderStrategyItem::builder()
                    .capacity_provider(
                        item.get("provider")
                            .and_then(Value::as_str)
                            .unwrap_or_default(),
                    )
                    .weight(int("weight"))
                    .base(int("base"))
                    .build(),
            )
        })
        .collect()
}

fn insights(on: bool) -> ClusterSetting {
    ClusterSetting::builder()
        .name(ClusterSettingName::ContainerInsights)
        .value(if on { "enabled" } else { "disabled" })
        .build()
}

/// At an account's first use of ECS, AWS makes ECS's service-linked role as the first
/// CreateCluster runs, and that call does not wait for it ("This process does not complete
/// before the initial API call finishes": the Terraform provider's
/// `internal/service/ecs/cluster.go`, `retryClusterCreate`).
///
/// A cluster still settling its last change refuses a capacity-provider change for a while
/// (the provider's `internal/service/ecs/cluster_capacity_providers.go`,
/// `retryClusterCapacityProvidersPut`, 10 minutes).
pub const CONDITIONS: &[Condition] = &[
    Condition {
        operation: "CreateCluster",
        code: "InvalidParameterException",
        message: Some("Unable to assume the service linked role"),
        means: Means::Settling {
            awaiting: "ECS's service-linked role, made by AWS at the account's first use of ECS",
            window: IAM_PROPAGATION,
        },
        source: "terraform-provider-aws internal/service/ecs/cluster.go retryClusterCreate",
    },
    Condition {
        operation: "PutClusterCapacityProviders",
        code: "ClientException",
        message: Some("Cluster was not ACTIVE"),
        means: Means::Settling {
            awaiting: "the cluster to become active",
            window: CLUSTER_UPDATE,
        },
        source: "terraform-provider-aws internal/service/ecs/cluster_capacity_providers.go retryClusterCapacityProvidersPut",
    },
    Condition {
        operation: "PutClusterCapacityProviders",
        code: "ResourceInUseException",
        message: None,
        means: Means::Settling {
            awaiting: "the cluster's last change to finish",
            window: CLUSTER_UPDATE,
        },
        source: "terraform-provider-aws internal/service/ecs/cluster_capacity_providers.go retryClusterCapacityProvidersPut",
    },
    Condition {
        operation: "PutClusterCapacityProviders",
        code: "UpdateInProgressException",
        message: None,
        means: Means::Settling {
            awaiting: "the cluster's last change to finish",
            window: CLUSTER_UPDATE,
        },
        source: "terraform-provider-aws internal/service/ecs/cluster_capacity_providers.go retryClusterCapacityProvidersPut",
    },
];

const CLUSTER_UPDATE: Duration = Duration::from_secs(10 * 60);

#[async_trait]
impl crate::engine::kind::Kind for ClusterAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let mut out = Vec::new();
        for cluster in super::clusters(cx).await? {
            let pairs = tag_pairs(cluster.tags());
            let Some(id) = tags::owned_id(&cx.stack, pairs.iter().copied()) else {
                continue;
            };
            let insights = cluster.settings().iter().any(|setting| {
                setting.name() == Some(&ClusterSettingName::ContainerInsights)
                    && matches!(setting.value(), Some("enabled" | "enhanced"))
            });
            let name = cluster
                .cluster_name()
                .ok_or_else(|| AwsError::missing("DescribeClusters", "clusterName"))?;
            let arn = cluster
                .cluster_arn()
                .ok_or_else(|| AwsError::missing("DescribeClusters", "clusterArn"))?;
            let mut resource = Observed::new(
                id,
                arn,
                props([
                    ("name", Value::str(name), Mode::Replace),
                    ("container_insights", Value::Bool(insights), Mode::InPlace),
                    (
                        "capacity_providers",
                        Value::Set(
                            cluster
                                .capacity_providers()
                                .iter()
                                .map(Value::str)
                                .collect(),
                        ),
                        Mode::InPlace,
                    ),
                    (
                        "default_strategy",
                        Value::Set(
                            cluster
                                .default_capacity_provider_strategy()
                                .iter()
                                .map(|item| {
                                    strategy_value(
                                        item.capacity_provider(),
                                        item.weight().into(),
                                        item.base().into(),
                                    )
                                })
                                .collect(),
                        ),
                        Mode::InPlace,
                    ),
                    (
                        "tags",
                        tags::observed_tags(pairs.iter().copied()),
                        Mode::InPlace,
                    ),
                ]),
            );
            resource.extra.insert("name".into(), name.to_string());
            out.push(resource);
        }
        Ok(out)
    }

    /// `CreateCluster` answers with the existing cluster of the name (moto overwrites it):
    /// the account's clusters, already read by observe, say whether the name is taken.
    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        let name = desired.value("name").as_str().unwrap_or_default();
        let clusters = super::clusters(cx)
            .await
            .map_err(|error| format!("cannot check whether the name is taken: {error}"))?;
        match clusters
            .iter()
            .find(|cluster| cluster.cluster_name() == Some(name))
        {
            Some(cluster) => match tags::name_taken(
                &cx.stack,
                &desired.id,
                &format!("ECS cluster `{name}`"),
                tag_pairs(cluster.tags()),
            ) {
                Some(why) => Err(why),
                None => Ok(()),
            },
            None => Ok(()),
        }
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let ecs = &op.cx.clients.ecs;
        let providers: Vec<String> = desired
            .value("capacity_providers")
            .items()
            .filter_map(|item| item.as_str().map(str::to_string))
            .collect();
        let strategy = strategy_items(desired.value("default_strategy"))?;
        let created = ecs
            .create_cluster()
            .cluster_name(desired.value("name").as_str().unwrap_or_default())
            .set_tags(Some(ecs_tags(op.create_tags(desired))))
            .settings(insights(
                desired.value("container_insights") == &Value::Bool(true),
            ))
            .set_capacity_providers(Some(providers))
            .set_default_capacity_provider_strategy((!strategy.is_empty()).then_some(strategy))
            .send()
            .await
            .aws("CreateCluster")
            .given(CONDITIONS)?;
        Ok(created
            .cluster()
            .and_then(|cluster| cluster.cluster_arn())
            .ok_or_else(|| AwsError::missing("CreateCluster", "cluster_arn"))?
            .to_string())
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        let ecs = &op.cx.clients.ecs;
        let arn = &observed.physical_id;
        let changed = |field: &str| touches(changes, &[field]);
        if changed("container_insights") {
            ecs.update_cluster_settings()
                .cluster(arn)
                .settings(insights(
                    desired.value("container_insights") == &Value::Bool(true),
                ))
                .send()
                .await
                .aws("UpdateClusterSettings")?;
        }
        if changed("capacity_providers") || changed("default_strategy") {
            let providers: Vec<String> = desired
                .value("capacity_providers")
                .items()
                .filter_map(|item| item.as_str().map(str::to_string))
                .collect();
            ecs.put_cluster_capacity_providers()
                .cluster(arn)
                .set_capacity_providers(Some(providers))
                .set_default_capacity_provider_strategy(Some(strategy_items(
                    desired.value("default_strategy"),
                )?))
                .send()
                .await
                .aws("PutClusterCapacityProviders")
                .given(CONDITIONS)?;
        }
        crate::aws::tags::sync(ecs, arn, observed.value("tags"), desired.value("tags")).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        // A cluster with services or tasks draining refuses deletion for a while.
        op.cx
            .clients
            .ecs
            .delete_cluster()
            .cluster(&observed.physical_id)
            .send()
            .await
            .aws("DeleteCluster")?;
        Ok(())
    }
}
