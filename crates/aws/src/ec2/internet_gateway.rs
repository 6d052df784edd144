//! The internet gateway: exists when the network has public subnets, attached to the VPC.

use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;

use super::{observed_tags, owned_filter, owned_id, sync_tags, tag_spec};
use crate::engine::diff::Change;
use crate::engine::model::{Desired, Mode, Observed, ResourceId, Value, props};
use crate::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::{Cx, OpCx};

pub struct InternetGatewayAdapter;

pub fn internet_gateway_id() -> ResourceId {
    ResourceId::singleton("internet_gateway")
}

#[async_trait]
impl crate::engine::kind::Kind for InternetGatewayAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &["internet_gateway"]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        if !super::stack_has_vpc(cx).await? {
            return Ok(Vec::new());
        }
        let gateways = cx
            .clients
            .ec2
            .describe_internet_gateways()
            .filters(owned_filter(cx))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .aws("DescribeInternetGateways")?;
        Ok(gateways
            .iter()
            .filter_map(|gateway| {
                let vpc = gateway
                    .attachments()
                    .iter()
                    .find_map(|attachment| attachment.vpc_id());
                Some(Observed::new(
                    owned_id(cx, gateway.tags())?,
                    gateway.internet_gateway_id()?,
                    props([
                        (
                            "vpc",
                            vpc.map_or(Value::Null, |vpc| Value::Phys(vpc.to_string())),
                            Mode::Blocking,
                        ),
                        ("tags", observed_tags(gateway.tags()), Mode::InPlace),
                    ]),
                ))
            })
            .collect())
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let created = op
            .cx
            .clients
            .ec2
            .create_internet_gateway()
            .tag_specifications(tag_spec(
                ResourceType::InternetGateway,
                crate::tags::for_create(op, desired),
            ))
            .send()
            .await
            .aws("CreateInternetGateway")?;
        let gateway_id = created
            .internet_gateway()
            .and_then(|gateway| gateway.internet_gateway_id())
            .ok_or_else(|| AwsError::missing("CreateInternetGateway", "internet_gateway_id"))?
            .to_string();
        op.made(&gateway_id);
        attach(op, &gateway_id, &op.resolve(desired.value("vpc"))?).await?;
        Ok(gateway_id)
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        _changes: &[Change],
    ) -> Result<(), AwsError> {
        let gateway_id = &observed.physical_id;
        if desired.value("vpc") != observed.value("vpc") {
            if observed.value("vpc") != &Value::Null {
                detach(op, gateway_id, &op.resolve(observed.value("vpc"))?).await?;
            }
            attach(op, gateway_id, &op.resolve(desired.value("vpc"))?).await?;
        }
        sync_tags(op, desired, observed).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let gateway_id = &observed.physical_id;
        if observed.value("vpc") != &Value::Null {
            detach(op, gateway_id, &op.resolve(observed.value("vpc"))?).await?;
        }
        let ec2 = &op.cx.clients.ec2;
        ec2.delete_internet_gateway()
            .internet_gateway_id(gateway_id)
            .send()
            .await
            .aws("DeleteInternetGateway")?;
        Ok(())
    }
}

async fn attach(op: &OpCx<'_>, gateway_id: &str, vpc_id: &str) -> Result<(), AwsError> {
    let request = op
        .cx
        .clients
        .ec2
        .attach_internet_gateway()
        .internet_gateway_id(gateway_id)
        .vpc_id(vpc_id);
    request.send().await.aws("AttachInternetGateway")?;
    Ok(())
}

async fn detach(op: &OpCx<'_>, gateway_id: &str, vpc_id: &str) -> Result<(), AwsError> {
    let request = op
        .cx
        .clients
        .ec2
        .detach_internet_gateway()
        .internet_gateway_id(gateway_id)
        .vpc_id(vpc_id);
    // Detaching fails with DependencyViolation while NAT gateways' public addresses are
    // still mapped in the VPC (they are released a little after the NAT is deleted).
    match request.send().await.aws("DetachInternetGateway") {
        Ok(_) => Ok(()),
        // Already detached (Gateway.NotAttached) is what we want.
        Err(error)
            if error.code.as_deref() == Some("Gateway.NotAttached")
                || error.kind == ErrorKind::NotFound =>
        {
            Ok(())
        }
        Err(error) => Err(error),
    }
}
