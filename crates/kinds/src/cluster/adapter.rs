//! ECS clusters: Container Insights, capacity providers and the default strategy.

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ecs::types::{CapacityProviderStrategyItem, ClusterSetting, ClusterSettingName};

use super::lower::{ClusterProps, Strategy};
use crate::aws::conditions::{Condition, Given as _, IAM_PROPAGATION, Means};
use crate::aws::ecs::{ecs_tags, tag_pairs};
use crate::aws::errors::{AwsError, AwsResultExt, built};
use crate::aws::ids::CLUSTER as KIND;
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::Change;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed};
use crate::engine::typed::Properties as _;

pub struct ClusterAdapter;

fn strategy_items(
    strategy: &BTreeSet<Strategy>,
) -> Result<Vec<CapacityProviderStrategyItem>, AwsError> {
    let number = |value: i64| {
        crate::aws::errors::int32(
            "PutClusterCapacityProviders",
            "a capacity provider strategy's number",
            value,
        )
    };
    strategy
        .iter()
        .map(|item| {
            built(
                "PutClusterCapacityProviders",
                CapacityProviderStrategyItem::builder()
                    .capacity_provider(&item.provider)
                    .weight(number(item.weight)?)
                    .base(number(item.base)?)
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

/// A live cluster as the stack's `id`.
fn read(
    cluster: &aws_sdk_ecs::types::Cluster,
    id: crate::engine::model::ResourceId,
) -> Result<Observed, AwsError> {
    let pairs = tag_pairs(cluster.tags());
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
    let props = ClusterProps {
        name: name.to_string(),
        container_insights: insights,
        capacity_providers: cluster.capacity_providers().iter().cloned().collect(),
        default_strategy: cluster
            .default_capacity_provider_strategy()
            .iter()
            .map(|item| Strategy {
                provider: item.capacity_provider().to_string(),
                weight: item.weight().into(),
                base: item.base().into(),
            })
            .collect(),
        tags: tags::observed_tag_map(pairs.iter().copied()),
    };
    let mut resource = Observed::new(id, arn, props.into_props());
    resource.extra.insert("name".into(), name.to_string());
    Ok(resource)
}

#[async_trait]
impl crate::engine::kind::Kind for ClusterAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let mut out = Vec::new();
        for cluster in crate::aws::ecs::stack_clusters(cx).await? {
            let pairs = tag_pairs(cluster.tags());
            let Some(id) = tags::owned_id(&cx.stack, pairs.iter().copied()) else {
                continue;
            };
            out.push(read(cluster, id)?);
        }
        Ok(out)
    }

    /// A cluster of the manifest's name (or the one `pin` names, by name or ARN).
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = ClusterProps::from_props(&desired.props)?;
        let wanted = pin.unwrap_or(&props.name);
        let clusters = crate::aws::ecs::described(op.cx, &[wanted.to_string()]).await?;
        let Some(cluster) = clusters.first() else {
            return Ok(Found::Nothing);
        };
        let observed = read(cluster, op.id.clone())?;
        let what = format!("ECS cluster `{}`", observed.extra["name"]);
        crate::aws::adopt::found(op.cx, op.id, what, tag_pairs(cluster.tags()), observed).await
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        tags::adopt(&op.cx.clients.ecs, &found.physical_id, op, desired).await
    }

    /// `CreateCluster` answers with the existing cluster of the name (moto overwrites it):
    /// the cluster of the name, asked for by name, says whether the name is taken.
    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        let props = ClusterProps::from_props(&desired.props).map_err(|e| e.to_string())?;
        let name = props.name.as_str();
        let clusters = crate::aws::ecs::described(cx, &[name.to_string()])
            .await
            .map_err(|error| format!("cannot check whether the name is taken: {error}"))?;
        match clusters
            .iter()
            .find(|cluster| cluster.cluster_name() == Some(name))
        {
            Some(cluster) => match tags::name_taken_adoptable(
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
        let props = ClusterProps::from_props(&desired.props)?;
        let strategy = strategy_items(&props.default_strategy)?;
        let tags = tags::create_tags(&op.cx.stack, op.id, &props.tags);
        let created = op
            .cx
            .clients
            .ecs
            .create_cluster()
            .cluster_name(&props.name)
            .set_tags(Some(ecs_tags(tags)))
            .settings(insights(props.container_insights))
            .set_capacity_providers(Some(props.capacity_providers.into_iter().collect()))
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
        let props = ClusterProps::from_props(&desired.props)?;
        let live = ClusterProps::from_props(&observed.props)?;
        let ecs = &op.cx.clients.ecs;
        let arn = &observed.physical_id;
        let changed = ClusterProps::changed(changes);
        if changed.container_insights {
            // UpdateCluster, as the Terraform provider's `resourceClusterUpdate` sends it
            // (moto has no UpdateClusterSettings).
            ecs.update_cluster()
                .cluster(arn)
                .settings(insights(props.container_insights))
                .send()
                .await
                .aws("UpdateCluster")?;
        }
        if changed.capacity_providers || changed.default_strategy {
            ecs.put_cluster_capacity_providers()
                .cluster(arn)
                .set_capacity_providers(Some(props.capacity_providers.into_iter().collect()))
                .set_default_capacity_provider_strategy(Some(strategy_items(
                    &props.default_strategy,
                )?))
                .send()
                .await
                .aws("PutClusterCapacityProviders")
                .given(CONDITIONS)?;
        }
        tags::sync(ecs, arn, &live.tags, &props.tags).await
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

use crate::aws::permissions::{On, Permission};

/// The IAM permissions this kind's calls need (`edgectl policy`); the suite's
/// `policy` test runs each shipped manifest with no more than these.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        actions: &[
            "ecs:ListClusters",
            "ecs:DescribeClusters",
            "ecs:CreateCluster",
            "ecs:PutClusterCapacityProviders",
            "ecs:ListTagsForResource",
        ],
        on: On::Any,
    },
    Permission {
        actions: &["ecs:DeleteCluster", "ecs:UpdateCluster"],
        on: On::Owned,
    },
    Permission {
        actions: &["iam:CreateServiceLinkedRole"],
        on: On::ServiceLinked("ecs.amazonaws.com"),
    },
    Permission {
        actions: &["ecs:TagResource"],
        on: On::Creating("ecs:CreateAction"),
    },
    Permission {
        actions: &["ecs:TagResource", "ecs:UntagResource"],
        on: On::Owned,
    },
];
