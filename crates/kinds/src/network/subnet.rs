//! Subnets: the n-th CIDR of a tier goes to the n-th zone. CIDR, zone and VPC are
//! immutable (a change replaces the subnet); the public-IP-on-launch flag is not.

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, Subnet};

use super::subnet_lower::SubnetProps;
use crate::aws::ec2::{
    explain_dependency, filter, observed_tag_map, owned_filter, owned_id, pick_from, sync_tags,
    tag_spec,
};
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::{Cx, OpCx};
use crate::engine::diff::{Change, Step};
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::Properties as _;

pub struct SubnetAdapter;

/// A live subnet as the stack's `id`.
fn read(subnet: &Subnet, id: ResourceId) -> Result<Observed, AwsError> {
    let missing = |field: &str| AwsError::missing("DescribeSubnets", field);
    let props = SubnetProps {
        vpc: Value::Phys(subnet.vpc_id().ok_or_else(|| missing("VpcId"))?.to_string()),
        cidr: subnet
            .cidr_block()
            .ok_or_else(|| missing("CidrBlock"))?
            .to_string(),
        zone: subnet
            .availability_zone()
            .ok_or_else(|| missing("AvailabilityZone"))?
            .to_string(),
        // Answered without the flag: off, as a new subnet has it.
        public_ip_on_launch: subnet.map_public_ip_on_launch().unwrap_or(false),
        tags: observed_tag_map(subnet.tags()),
    };
    let subnet_id = subnet.subnet_id().ok_or_else(|| missing("SubnetId"))?;
    Ok(Observed::new(id, subnet_id, props.into_props()))
}

#[async_trait]
impl crate::engine::kind::Kind for SubnetAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &["subnet"]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        if !crate::aws::ec2::stack_has_vpc(cx).await? {
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
        subnets
            .iter()
            .filter_map(|subnet| Some((owned_id(cx, subnet.tags())?, subnet)))
            .map(|(id, subnet)| read(subnet, id))
            .collect()
    }

    /// The subnet of the manifest's CIDR in its VPC (found or pinned before it), or
    /// `pin`'s id.
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = SubnetProps::from_props(&desired.props)?;
        // In its VPC whatever names it: a pin chooses among what sits there.
        let filters = vec![
            filter("vpc-id", &[&op.resolve(&props.vpc)?]),
            match pin {
                Some(subnet_id) => filter("subnet-id", &[subnet_id]),
                None => filter("cidr-block", &[&props.cidr]),
            },
        ];
        let subnets: Vec<Subnet> = op
            .cx
            .clients
            .ec2
            .describe_subnets()
            .set_filters(Some(filters))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .aws("DescribeSubnets")?;
        pick_from(op, "subnet", &subnets, |subnet| subnet.tags(), read).await
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
        let props = SubnetProps::from_props(&desired.props)?;
        let vpc_id = op.resolve(&props.vpc)?;
        let request = op
            .cx
            .clients
            .ec2
            .create_subnet()
            .vpc_id(vpc_id)
            .cidr_block(&props.cidr)
            .availability_zone(&props.zone)
            .tag_specifications(tag_spec(
                ResourceType::Subnet,
                crate::aws::tags::for_create(op, &props.tags),
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
        if props.public_ip_on_launch {
            set_public_ip(op, &subnet_id, true).await?;
        }
        Ok(subnet_id)
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        let props = SubnetProps::from_props(&desired.props)?;
        let live = SubnetProps::from_props(&observed.props)?;
        if SubnetProps::changed(changes).public_ip_on_launch {
            set_public_ip(op, &observed.physical_id, props.public_ip_on_launch).await?;
        }
        sync_tags(op, &observed.physical_id, live.tags, props.tags).await
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
