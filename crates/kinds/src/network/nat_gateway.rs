//! NAT gateways: none, one in the first public subnet, or one per zone. A NAT is waited
//! for only when a route needs it, and its deletion only when something deleted after it
//! (its address, subnet, the internet gateway) needs it gone.

use async_trait::async_trait;
use aws_sdk_ec2::types::{ConnectivityType, Filter, NatGateway, NatGatewayState, ResourceType};

use super::nat_gateway_lower::NatGatewayProps;
use crate::aws::ec2::{
    client_token, filter, observed_tag_map, owned_filter, owned_id, pick_from, resolve_given,
    sync_tags, tag_spec,
};
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::ids::internet_gateway_id;
use crate::aws::{Cx, OpCx};
use crate::engine::diff::Change;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::retry;
use crate::engine::typed::Properties as _;

pub struct NatGatewayAdapter;

/// A live NAT gateway as the stack's `id`.
fn read(gateway: &NatGateway, id: ResourceId) -> Result<Observed, AwsError> {
    let missing = |field: &str| AwsError::missing("DescribeNatGateways", field);
    let props = NatGatewayProps {
        subnet: Value::Phys(
            gateway
                .subnet_id()
                .ok_or_else(|| missing("SubnetId"))?
                .to_string(),
        ),
        elastic_ip: gateway
            .nat_gateway_addresses()
            .iter()
            .find_map(|address| address.allocation_id())
            .map(|allocation| Value::Phys(allocation.to_string())),
        tags: observed_tag_map(gateway.tags()),
    };
    let gateway_id = gateway
        .nat_gateway_id()
        .ok_or_else(|| missing("NatGatewayId"))?;
    let mut observed = Observed::new(id, gateway_id, props.into_props());
    observed.after = vec![internet_gateway_id()];
    if gateway.state() == Some(&NatGatewayState::Failed) {
        observed.broken = Some(format!(
            "NAT gateway failed: {}",
            gateway.failure_message().unwrap_or("no reason given")
        ));
    }
    Ok(observed)
}

#[async_trait]
impl crate::engine::kind::Kind for NatGatewayAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &["nat_gateway"]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        if !crate::aws::ec2::stack_has_vpc(cx).await? {
            return Ok(Vec::new());
        }
        // Deleted NAT gateways stay visible for about an hour; they are gone for our purposes.
        let live = Filter::builder()
            .name("state")
            .values("pending")
            .values("available")
            .values("failed")
            .build();
        let gateways = cx
            .clients
            .ec2
            .describe_nat_gateways()
            .filter(owned_filter(cx))
            .filter(live)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .aws("DescribeNatGateways")?;
        gateways
            .iter()
            .filter(|gateway| {
                !matches!(
                    gateway.state(),
                    Some(NatGatewayState::Deleted | NatGatewayState::Deleting)
                )
            })
            .filter_map(|gateway| Some((owned_id(cx, gateway.tags())?, gateway)))
            .map(|(id, gateway)| read(gateway, id))
            .collect()
    }

    /// The NAT gateway in its subnet (found or pinned before it), or `pin`'s id; one
    /// that failed, or is going, is not taken.
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = NatGatewayProps::from_props(&desired.props)?;
        // In its subnet whatever names it.
        let mut by = vec![
            filter("subnet-id", &[&op.resolve(&props.subnet)?]),
            filter("state", &["pending", "available"]),
        ];
        if let Some(gateway_id) = pin {
            by.push(filter("nat-gateway-id", &[gateway_id]));
        }
        let gateways: Vec<NatGateway> = op
            .cx
            .clients
            .ec2
            .describe_nat_gateways()
            .set_filter(Some(by))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .aws("DescribeNatGateways")?;
        pick_from(op, "NAT gateway", &gateways, |gateway| gateway.tags(), read).await
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
        let props = NatGatewayProps::from_props(&desired.props)?;
        let subnet = op.resolve(&props.subnet)?;
        let allocation = resolve_given(op, props.elastic_ip.as_ref())?;
        let request = op
            .cx
            .clients
            .ec2
            .create_nat_gateway()
            .subnet_id(&subnet)
            .allocation_id(&allocation)
            .connectivity_type(ConnectivityType::Public)
            .client_token(client_token(
                op.cx,
                op.id,
                &format!("{subnet}/{allocation}"),
            ))
            .tag_specifications(tag_spec(
                ResourceType::Natgateway,
                crate::aws::tags::for_create(op, &props.tags),
            ));
        let created = request.send().await.aws("CreateNatGateway")?;
        let gateway_id = created
            .nat_gateway()
            .and_then(|gateway| gateway.nat_gateway_id())
            .ok_or_else(|| AwsError::missing("CreateNatGateway", "nat_gateway_id"))?
            .to_string();
        op.made(&gateway_id);
        if op.wait {
            wait_for(op, &gateway_id, NatGatewayState::Available).await?;
        }
        Ok(gateway_id)
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        _changes: &[Change],
    ) -> Result<(), AwsError> {
        let props = NatGatewayProps::from_props(&desired.props)?;
        let live = NatGatewayProps::from_props(&observed.props)?;
        sync_tags(op, &observed.physical_id, live.tags, props.tags).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let gateway_id = &observed.physical_id;
        op.cx
            .clients
            .ec2
            .delete_nat_gateway()
            .nat_gateway_id(gateway_id)
            .send()
            .await
            .aws("DeleteNatGateway")?;
        if op.wait {
            wait_for(op, gateway_id, NatGatewayState::Deleted).await?;
        }
        Ok(())
    }
}

async fn wait_for(
    op: &OpCx<'_>,
    gateway_id: &str,
    target: NatGatewayState,
) -> Result<(), AwsError> {
    let ec2 = &op.cx.clients.ec2;
    let what = format!("NAT gateway {gateway_id} to be {}", target.as_str());
    retry::poll(op.cx.timeout, &what, || async {
        let found = match ec2
            .describe_nat_gateways()
            .nat_gateway_ids(gateway_id)
            .send()
            .await
            .aws("DescribeNatGateways")
        {
            Ok(found) => found,
            // Not visible yet right after the create.
            Err(error)
                if error.kind == ErrorKind::NotFound && target != NatGatewayState::Deleted =>
            {
                return Ok(None);
            }
            Err(error) if error.kind == ErrorKind::NotFound => return Ok(Some(())),
            Err(error) => return Err(error),
        };
        let Some(gateway) = found.nat_gateways().first() else {
            return Ok((target == NatGatewayState::Deleted).then_some(()));
        };
        if let Some(state) = gateway.state() {
            op.status(&format!(
                "NAT gateway {gateway_id} {}, waiting for {}",
                state.as_str(),
                target.as_str()
            ));
        }
        match gateway.state() {
            Some(state) if *state == target => Ok(Some(())),
            Some(NatGatewayState::Failed) if target == NatGatewayState::Available => {
                Err(AwsError::new(
                    ErrorKind::Other,
                    "CreateNatGateway",
                    format!(
                        "NAT gateway {gateway_id} failed: {}",
                        gateway.failure_message().unwrap_or("no reason given")
                    ),
                ))
            }
            _ => Ok(None),
        }
    })
    .await
}
