//! Subnets: the n-th CIDR of a tier goes to the n-th zone. CIDR, zone and VPC are
//! immutable (a change replaces the subnet); the public-IP-on-launch flag is not.

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType};

use super::{explain_dependency, observed_tags, owned_filter, owned_id, sync_tags, tag_spec};
use crate::engine::diff::{Change, Step};
use crate::engine::model::{Desired, Mode, Observed, Value, props};
use crate::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::{Cx, OpCx};

pub struct SubnetAdapter;

#[async_trait]
impl crate::engine::kind::Kind for SubnetAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &["subnet"]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        if !super::stack_has_vpc(cx).await? {
            return Ok(Vec::new());
        }
        let subnets = cx
            .clients
            .ec2
            .describe_subnets()
            .filters(owned_filter(cx))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .aws("DescribeSubnets")?;
        Ok(subnets
            .iter()
            .filter_map(|subnet| {
                let id = owned_id(cx, subnet.tags())?;
                Some(Observed::new(
                    id,
                    subnet.subnet_id()?,
                    props([
                        (
                            "vpc",
                            Value::Phys(subnet.vpc_id()?.to_string()),
                            Mode::Replace,
                        ),
                        ("cidr", Value::str(subnet.cidr_block()?), Mode::Replace),
                        (
                            "zone",
                            Value::str(subnet.availability_zone()?),
                            Mode::Replace,
                        ),
                        (
                            "public_ip_on_launch",
                            Value::Bool(subnet.map_public_ip_on_launch().unwrap_or(false)),
                            Mode::InPlace,
                        ),
                        ("tags", observed_tags(subnet.tags()), Mode::InPlace),
                    ]),
                ))
            })
            .collect())
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let vpc_id = op.resolve(desired.value("vpc"))?;
        let request = op
            .cx
            .clients
            .ec2
            .create_subnet()
            .vpc_id(vpc_id)
            .cidr_block(desired.value("cidr").as_str().unwrap_or_default())
            .availability_zone(desired.value("zone").as_str().unwrap_or_default())
            .tag_specifications(tag_spec(
                ResourceType::Subnet,
                crate::tags::for_create(op, desired),
            ));
        // A subnet being deleted elsewhere in this apply may still hold an overlapping
        // CIDR: a dependency that goes away (retried by the walk), not a resource of ours
        // (a lost response is read back by its tags before any error is taken as it).
        let created = request.send().await.aws("CreateSubnet").map_err(|error| {
            if error.code.as_deref() == Some("InvalidSubnet.Conflict") {
                AwsError {
                    kind: ErrorKind::Dependency,
                    ..error
                }
            } else {
                error
            }
        })?;
        let subnet_id = created
            .subnet()
            .and_then(|subnet| subnet.subnet_id())
            .ok_or_else(|| AwsError::missing("CreateSubnet", "subnet_id"))?
            .to_string();
        op.made(&subnet_id);
        if desired.value("public_ip_on_launch") == &Value::Bool(true) {
            set_public_ip(op, &subnet_id, true).await?;
        }
        Ok(subnet_id)
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        _changes: &[Change],
    ) -> Result<(), AwsError> {
        let want = desired.value("public_ip_on_launch");
        if want != observed.value("public_ip_on_launch") {
            set_public_ip(op, &observed.physical_id, want.as_bool().unwrap_or(false)).await?;
        }
        sync_tags(op, desired, observed).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let subnet_id = &observed.physical_id;
        let ec2 = &op.cx.clients.ec2;
        ec2.delete_subnet()
            .subnet_id(subnet_id)
            .send()
            .await
            .aws("DeleteSubnet")
            .map(drop)
    }

    async fn explain(&self, cx: &Cx, step: &Step, error: AwsError) -> AwsError {
        match &step.observed {
            Some(have) => explain_dependency(cx, "subnet-id", &have.physical_id, error).await,
            None => error,
        }
    }
}

async fn set_public_ip(op: &OpCx<'_>, subnet_id: &str, on: bool) -> Result<(), AwsError> {
    let request = op
        .cx
        .clients
        .ec2
        .modify_subnet_attribute()
        .subnet_id(subnet_id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(on).build());
    request.send().await.aws("ModifySubnetAttribute")?;
    Ok(())
}
