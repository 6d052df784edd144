//! Application load balancers (their listeners and rules are their own kinds, read
//! through the load balancers listed once: `elbv2::balancers`).

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    LoadBalancer, LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerTypeEnum,
};
use futures::future::try_join_all;

use super::lower::{AccessLogs, LoadBalancerProps};
use crate::aws::elbv2::elb_tags;
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::ids::LOAD_BALANCER;
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::Change;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::Properties as _;

pub struct LoadBalancerAdapter;

#[async_trait]
impl crate::engine::kind::Kind for LoadBalancerAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[LOAD_BALANCER]
    }

    /// The application load balancer of the manifest's name (CDK's are named by
    /// CloudFormation: write that name under `name:`), or the one pinned (by ARN), in the
    /// stack's VPC.
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = LoadBalancerProps::from_props(&desired.props)?;
        let request = op.cx.clients.elbv2.describe_load_balancers();
        let request = match pin {
            Some(arn) => request.load_balancer_arns(arn),
            None => request.names(&props.name),
        };
        let answer = request.send().await.aws("DescribeLoadBalancers");
        let Some(answer) = crate::aws::elbv2::none_found(answer, pin.is_some())? else {
            return Ok(Found::Nothing);
        };
        let Some(balancer) = answer.load_balancers().first() else {
            return Ok(Found::Nothing);
        };
        let arn = balancer
            .load_balancer_arn()
            .ok_or_else(|| AwsError::missing("DescribeLoadBalancers", "LoadBalancerArn"))?;
        let what = format!(
            "load balancer `{}`",
            balancer.load_balancer_name().unwrap_or(arn)
        );
        if balancer.r#type() != Some(&LoadBalancerTypeEnum::Application) {
            return Ok(Found::Refused(format!(
                "{what} is not an application load balancer"
            )));
        }
        // Its subnets can move within its VPC, never to another: only in the VPC found
        // (or owned).
        let vpc = op.resolve(&Value::Ref(ResourceId::singleton("vpc")))?;
        if balancer.vpc_id() != Some(vpc.as_str()) {
            return Ok(Found::Refused(format!(
                "{what} is in VPC `{}`, not the stack's (`{vpc}`)",
                balancer.vpc_id().unwrap_or_default()
            )));
        }
        crate::aws::elbv2::found(op, what, arn, |tags| {
            read(op.cx, balancer, op.id.clone(), tags)
        })
        .await
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        crate::aws::elbv2::adopt(op, desired, &found.physical_id).await
    }

    /// `CreateLoadBalancer` answers with an existing load balancer of the name when its
    /// settings are identical (moto makes a second one): ask by name first.
    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        if desired.id.kind() != "load_balancer" {
            return Ok(());
        }
        let props = LoadBalancerProps::from_props(&desired.props).map_err(|e| e.to_string())?;
        let name = props.name.as_str();
        let found = match cx
            .clients
            .elbv2
            .describe_load_balancers()
            .names(name)
            .send()
            .await
            .aws("DescribeLoadBalancers")
        {
            Ok(found) => found,
            Err(error) if error.kind == ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(format!("cannot check whether the name is taken: {error}")),
        };
        for balancer in found.load_balancers() {
            let arn = balancer.load_balancer_arn().ok_or_else(|| {
                let missing = AwsError::missing("DescribeLoadBalancers", "LoadBalancerArn");
                format!("cannot check whether the name is taken: {missing}")
            })?;
            crate::aws::elbv2::refuse_foreign(
                cx,
                &desired.id,
                &format!("load balancer `{name}` ({arn})"),
                arn,
            )
            .await?;
        }
        Ok(())
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        // Per owned load balancer: its attributes (listeners and rules are their own kinds).
        let per_balancer = crate::aws::elbv2::balancers(cx)
            .await?
            .iter()
            .map(|owned| read(cx, &owned.balancer, owned.id.clone(), owned.tags.clone()));
        try_join_all(per_balancer).await
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        create_load_balancer(op, desired).await
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        let elbv2 = &op.cx.clients.elbv2;
        let arn = &observed.physical_id;
        let props = LoadBalancerProps::from_props(&desired.props)?;
        let live = LoadBalancerProps::from_props(&observed.props)?;
        let changed = LoadBalancerProps::changed(changes);
        if changed.subnets {
            let subnets = resolve_all(op, &props.subnets)?;
            elbv2
                .set_subnets()
                .load_balancer_arn(arn)
                .set_subnets(Some(subnets))
                .send()
                .await
                .aws("SetSubnets")?;
        }
        if changed.security_groups {
            let groups = resolve_all(op, &props.security_groups)?;
            elbv2
                .set_security_groups()
                .load_balancer_arn(arn)
                .set_security_groups(Some(groups))
                .send()
                .await
                .aws("SetSecurityGroups")?;
        }
        if changed.idle_timeout || changed.deletion_protection || changed.access_logs {
            set_attributes(op, arn, &props).await?;
        }
        tags::sync(elbv2, arn, &live.tags, &props.tags).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let elbv2 = &op.cx.clients.elbv2;
        let arn = &observed.physical_id;
        if LoadBalancerProps::from_props(&observed.props)?.deletion_protection {
            return Err(AwsError::new(
                ErrorKind::Other,
                "DeleteLoadBalancer",
                "deletion protection is on; set `deletion_protection: false`, apply, then delete",
            ));
        }
        elbv2
            .delete_load_balancer()
            .load_balancer_arn(arn)
            .send()
            .await
            .aws("DeleteLoadBalancer")?;
        if op.wait {
            // Its network interfaces hold its subnets and security groups until it is gone.
            crate::engine::retry::poll(
                op.cx.timeout,
                "the load balancer to be deleted",
                || async {
                    match elbv2
                        .describe_load_balancers()
                        .load_balancer_arns(arn)
                        .send()
                        .await
                        .aws("DescribeLoadBalancers")
                    {
                        Ok(found) => Ok(found.load_balancers().is_empty().then_some(())),
                        Err(error) if error.kind == ErrorKind::NotFound => Ok(Some(())),
                        Err(error) => Err(error),
                    }
                },
            )
            .await?;
        }
        Ok(())
    }
}

/// A load balancer as the stack sees it, under `id`, with its managed tags: its attributes
/// read with one call.
async fn read(
    cx: &Cx,
    lb: &LoadBalancer,
    id: ResourceId,
    tag_value: BTreeMap<String, String>,
) -> Result<Observed, AwsError> {
    let elbv2 = &cx.clients.elbv2;
    let arn = lb
        .load_balancer_arn()
        .ok_or_else(|| AwsError::missing("DescribeLoadBalancers", "LoadBalancerArn"))?;
    let attributes = elbv2
        .describe_load_balancer_attributes()
        .load_balancer_arn(arn)
        .send()
        .await;
    let attributes = attributes.aws("DescribeLoadBalancerAttributes")?;
    let attributes: BTreeMap<&str, &str> = attributes
        .attributes()
        .iter()
        .filter_map(|attribute| Some((attribute.key()?, attribute.value()?)))
        .collect();
    let access_logs =
        (attributes.get("access_logs.s3.enabled") == Some(&"true")).then(|| AccessLogs {
            bucket: attributes
                .get("access_logs.s3.bucket")
                .copied()
                .unwrap_or_default()
                .to_string(),
            prefix: attributes
                .get("access_logs.s3.prefix")
                .copied()
                .unwrap_or_default()
                .to_string(),
        });
    let missing = |field: &str| AwsError::missing("DescribeLoadBalancers", field);
    let props = LoadBalancerProps {
        name: lb
            .load_balancer_name()
            .ok_or_else(|| missing("LoadBalancerName"))?
            .to_string(),
        scheme: lb
            .scheme()
            .ok_or_else(|| missing("Scheme"))?
            .as_str()
            .to_string(),
        subnets: lb
            .availability_zones()
            .iter()
            .filter_map(|zone| zone.subnet_id().map(|s| Value::Phys(s.to_string())))
            .collect(),
        security_groups: lb
            .security_groups()
            .iter()
            .map(|g| Value::Phys(g.clone()))
            .collect(),
        // ELBv2's default is 60 seconds; moto lists the attribute only once set.
        idle_timeout: attributes
            .get("idle_timeout.timeout_seconds")
            .and_then(|s| s.parse().ok())
            .unwrap_or(60),
        deletion_protection: attributes.get("deletion_protection.enabled") == Some(&"true"),
        access_logs,
        tags: tag_value,
    };
    let mut resource = Observed::new(id, arn, props.into_props());
    resource.attributes = published(lb);
    Ok(resource)
}

fn resolve_all(op: &OpCx<'_>, values: &BTreeSet<Value>) -> Result<Vec<String>, AwsError> {
    values.iter().map(|value| op.resolve(value)).collect()
}

async fn set_attributes(
    op: &OpCx<'_>,
    arn: &str,
    props: &LoadBalancerProps,
) -> Result<(), AwsError> {
    let attribute = |key: &str, value: String| {
        LoadBalancerAttribute::builder()
            .key(key)
            .value(value)
            .build()
    };
    let mut attributes = vec![
        attribute(
            "idle_timeout.timeout_seconds",
            props.idle_timeout.to_string(),
        ),
        attribute(
            "deletion_protection.enabled",
            props.deletion_protection.to_string(),
        ),
    ];
    match &props.access_logs {
        Some(logs) => {
            attributes.push(attribute("access_logs.s3.enabled", "true".into()));
            attributes.push(attribute("access_logs.s3.bucket", logs.bucket.clone()));
            attributes.push(attribute("access_logs.s3.prefix", logs.prefix.clone()));
        }
        None => attributes.push(attribute("access_logs.s3.enabled", "false".into())),
    }
    op.cx
        .clients
        .elbv2
        .modify_load_balancer_attributes()
        .load_balancer_arn(arn)
        .set_attributes(Some(attributes))
        .send()
        .await
        .aws("ModifyLoadBalancerAttributes")?;
    Ok(())
}

/// What other values may refer to (`${load_balancers.<key>.dns_name}`, `.zone_id`, the
/// canonical hosted zone an alias record names; `.arn_suffix`, CloudWatch's dimension).
fn published(balancer: &LoadBalancer) -> BTreeMap<String, String> {
    [
        ("dns_name", balancer.dns_name()),
        ("zone_id", balancer.canonical_hosted_zone_id()),
        (
            "arn_suffix",
            balancer
                .load_balancer_arn()
                .map(crate::aws::elbv2::arn_suffix),
        ),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some((name.to_string(), value?.to_string())))
    .collect()
}

async fn create_load_balancer(op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
    let elbv2 = &op.cx.clients.elbv2;
    let props = LoadBalancerProps::from_props(&desired.props)?;
    let created = elbv2
        .create_load_balancer()
        .name(&props.name)
        .r#type(LoadBalancerTypeEnum::Application)
        .scheme(LoadBalancerSchemeEnum::from(props.scheme.as_str()))
        .set_subnets(Some(resolve_all(op, &props.subnets)?))
        .set_security_groups(Some(resolve_all(op, &props.security_groups)?))
        .set_tags(Some(elb_tags(tags::for_create(op, &props.tags))))
        .send()
        .await
        .aws("CreateLoadBalancer")?;
    let balancer = created
        .load_balancers()
        .first()
        .ok_or_else(|| AwsError::missing("CreateLoadBalancer", "load_balancers"))?;
    let arn = balancer
        .load_balancer_arn()
        .ok_or_else(|| AwsError::missing("CreateLoadBalancer", "load_balancer_arn"))?
        .to_string();
    for (name, value) in published(balancer) {
        op.publish(&name, &value);
    }
    let defaults =
        props.idle_timeout == 60 && !props.deletion_protection && props.access_logs.is_none();
    if !defaults {
        set_attributes(op, &arn, &props).await?;
    }
    Ok(arn)
}

use crate::aws::permissions::{On, Permission};

/// The IAM permissions this kind's calls need (`edgectl policy`); the suite's
/// `policy` test runs each shipped manifest with no more than these.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        actions: &[
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeRules",
            "elasticloadbalancing:DescribeTags",
            "elasticloadbalancing:CreateLoadBalancer",
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            "elasticloadbalancing:SetSecurityGroups",
            "elasticloadbalancing:SetSubnets",
            "elasticloadbalancing:CreateListener",
            "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:DeleteListener",
            "elasticloadbalancing:CreateRule",
            "elasticloadbalancing:ModifyRule",
            "elasticloadbalancing:DeleteRule",
            "ec2:DescribeVpcs",
            "ec2:DescribeSubnets",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeInternetGateways",
            "acm:DescribeCertificate",
        ],
        on: On::Any,
    },
    Permission {
        actions: &["elasticloadbalancing:DeleteLoadBalancer"],
        on: On::Owned,
    },
    Permission {
        actions: &["iam:CreateServiceLinkedRole"],
        on: On::ServiceLinked("elasticloadbalancing.amazonaws.com"),
    },
    Permission {
        actions: &["elasticloadbalancing:AddTags"],
        on: On::Creating("elasticloadbalancing:CreateAction"),
    },
    Permission {
        actions: &[
            "elasticloadbalancing:AddTags",
            "elasticloadbalancing:RemoveTags",
        ],
        on: On::Owned,
    },
];
