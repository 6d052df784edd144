//! The internet gateway: exists when the network has public subnets, attached to the VPC.

use async_trait::async_trait;
use aws_sdk_ec2::types::{InternetGateway, ResourceType};

use super::internet_gateway_lower::InternetGatewayProps;
use crate::aws::ec2::{
    filter, observed_tag_map, owned_filter, owned_id, pick_from, resolve_given, sync_tags, tag_spec,
};
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::{Cx, OpCx};
use crate::engine::diff::Change;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::Properties as _;

pub struct InternetGatewayAdapter;

/// A live gateway as the stack's `id`.
fn read(gateway: &InternetGateway, id: ResourceId) -> Result<Observed, AwsError> {
    let props = InternetGatewayProps {
        vpc: gateway
            .attachments()
            .iter()
            .find_map(|attachment| attachment.vpc_id())
            .map(|vpc| Value::Phys(vpc.to_string())),
        tags: observed_tag_map(gateway.tags()),
    };
    let gateway_id = gateway
        .internet_gateway_id()
        .ok_or_else(|| AwsError::missing("DescribeInternetGateways", "InternetGatewayId"))?;
    Ok(Observed::new(id, gateway_id, props.into_props()))
}

#[async_trait]
impl crate::engine::kind::Kind for InternetGatewayAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &["internet_gateway"]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        if !crate::aws::ec2::stack_has_vpc(cx).await? {
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
        gateways
            .iter()
            .filter_map(|gateway| Some((owned_id(cx, gateway.tags())?, gateway)))
            .map(|(id, gateway)| read(gateway, id))
            .collect()
    }

    /// The gateway attached to the VPC (found or pinned before it), or `pin`'s id.
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = InternetGatewayProps::from_props(&desired.props)?;
        // Attached to its VPC whatever names it: never one another VPC uses.
        let Some(vpc) = &props.vpc else {
            return Ok(Found::Nothing);
        };
        let mut by = vec![filter("attachment.vpc-id", &[&op.resolve(vpc)?])];
        if let Some(gateway_id) = pin {
            by.push(filter("internet-gateway-id", &[gateway_id]));
        }
        let gateways: Vec<InternetGateway> = op
            .cx
            .clients
            .ec2
            .describe_internet_gateways()
            .set_filters(Some(by))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .aws("DescribeInternetGateways")?;
        pick_from(
            op,
            "internet gateway",
            &gateways,
            |gateway| gateway.tags(),
            read,
        )
        .await
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        crate::aws::ec2::adopt(op, desired, found).await
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let props = InternetGatewayProps::from_props(&desired.props)?;
        let created = op
            .cx
            .clients
            .ec2
            .create_internet_gateway()
            .tag_specifications(tag_spec(
                ResourceType::InternetGateway,
                crate::aws::tags::for_create(op, &props.tags),
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
        attach(op, &gateway_id, &resolve_given(op, props.vpc.as_ref())?).await?;
        Ok(gateway_id)
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        let gateway_id = &observed.physical_id;
        let props = InternetGatewayProps::from_props(&desired.props)?;
        let live = InternetGatewayProps::from_props(&observed.props)?;
        if InternetGatewayProps::changed(changes).vpc {
            if let Some(vpc) = &live.vpc {
                detach(op, gateway_id, &op.resolve(vpc)?).await?;
            }
            attach(op, gateway_id, &resolve_given(op, props.vpc.as_ref())?).await?;
        }
        sync_tags(op, gateway_id, live.tags, props.tags).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let gateway_id = &observed.physical_id;
        let live = InternetGatewayProps::from_props(&observed.props)?;
        if let Some(vpc) = &live.vpc {
            detach(op, gateway_id, &op.resolve(vpc)?).await?;
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
