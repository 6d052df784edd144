//! The VPC: CIDR (immutable) and DNS attributes.

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, VpcAttributeName};
use futures::future::try_join_all;

use super::{explain_dependency, observed_tags, owned_id, sync_tags, tag_spec};
use crate::engine::diff::{Change, Step};
use crate::engine::model::{Desired, Mode, Observed, Value, props};
use crate::errors::{AwsError, AwsResultExt};
use crate::{Cx, OpCx};

pub struct VpcAdapter;

#[async_trait]
impl crate::engine::kind::Kind for VpcAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &["vpc"]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let ec2 = &cx.clients.ec2;
        let vpcs = super::stack_vpcs(cx).await?;
        // DescribeVpcs does not return the DNS attributes: one DescribeVpcAttribute per attribute.
        let observed =
            vpcs.iter()
                .filter_map(|vpc| Some((owned_id(cx, vpc.tags())?, vpc)))
                .map(|(id, vpc)| async move {
                    let vpc_id = vpc
                        .vpc_id()
                        .ok_or_else(|| AwsError::missing("DescribeVpcs", "VpcId"))?;
                    let attribute = |name: VpcAttributeName| {
                        ec2.describe_vpc_attribute()
                            .vpc_id(vpc_id)
                            .attribute(name)
                            .send()
                    };
                    let (hostnames, support) = futures::try_join!(
                        attribute(VpcAttributeName::EnableDnsHostnames),
                        attribute(VpcAttributeName::EnableDnsSupport)
                    )
                    .aws("DescribeVpcAttribute")?;
                    let flag = |value: Option<&AttributeBooleanValue>| {
                        Value::Bool(value.and_then(|value| value.value()).unwrap_or(false))
                    };
                    Ok::<_, AwsError>(Observed::new(
                        id,
                        vpc_id,
                        props([
                            (
                                "cidr",
                                Value::str(vpc.cidr_block().ok_or_else(|| {
                                    AwsError::missing("DescribeVpcs", "CidrBlock")
                                })?),
                                Mode::Replace,
                            ),
                            (
                                "dns_hostnames",
                                flag(hostnames.enable_dns_hostnames()),
                                Mode::InPlace,
                            ),
                            (
                                "dns_support",
                                flag(support.enable_dns_support()),
                                Mode::InPlace,
                            ),
                            ("tags", observed_tags(vpc.tags()), Mode::InPlace),
                        ]),
                    ))
                });
        try_join_all(observed).await
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let ec2 = &op.cx.clients.ec2;
        let created = ec2
            .create_vpc()
            .cidr_block(desired.value("cidr").as_str().unwrap_or_default())
            .tag_specifications(tag_spec(
                ResourceType::Vpc,
                crate::tags::for_create(op, desired),
            ))
            .send()
            .await
            .aws("CreateVpc")?;
        let vpc_id = created
            .vpc()
            .and_then(|vpc| vpc.vpc_id())
            .ok_or_else(|| AwsError::missing("CreateVpc", "vpc_id"))?
            .to_string();
        op.made(&vpc_id);
        // New VPCs have DNS support on and DNS hostnames off.
        set_dns(
            op,
            &vpc_id,
            "dns_support",
            desired.value("dns_support"),
            &Value::Bool(true),
        )
        .await?;
        set_dns(
            op,
            &vpc_id,
            "dns_hostnames",
            desired.value("dns_hostnames"),
            &Value::Bool(false),
        )
        .await?;
        Ok(vpc_id)
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        _changes: &[Change],
    ) -> Result<(), AwsError> {
        let vpc_id = &observed.physical_id;
        // Support first when turning both on, hostnames first when turning both off.
        set_dns(
            op,
            vpc_id,
            "dns_support",
            desired.value("dns_support"),
            observed.value("dns_support"),
        )
        .await?;
        set_dns(
            op,
            vpc_id,
            "dns_hostnames",
            desired.value("dns_hostnames"),
            observed.value("dns_hostnames"),
        )
        .await?;
        sync_tags(op, desired, observed).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let ec2 = &op.cx.clients.ec2;
        let vpc_id = &observed.physical_id;
        ec2.delete_vpc()
            .vpc_id(vpc_id)
            .send()
            .await
            .aws("DeleteVpc")
            .map(drop)
    }

    async fn explain(&self, cx: &Cx, step: &Step, error: AwsError) -> AwsError {
        match &step.observed {
            Some(have) => explain_dependency(cx, "vpc-id", &have.physical_id, error).await,
            None => error,
        }
    }
}

async fn set_dns(
    op: &OpCx<'_>,
    vpc_id: &str,
    field: &str,
    want: &Value,
    have: &Value,
) -> Result<(), AwsError> {
    if want == have {
        return Ok(());
    }
    let value = AttributeBooleanValue::builder()
        .value(want.as_bool().unwrap_or(false))
        .build();
    let request = op.cx.clients.ec2.modify_vpc_attribute().vpc_id(vpc_id);
    let request = if field == "dns_support" {
        request.enable_dns_support(value)
    } else {
        request.enable_dns_hostnames(value)
    };
    request.send().await.aws("ModifyVpcAttribute")?;
    Ok(())
}
