//! Elastic IPs for NAT gateways, one per NAT, allocated with their tags.

use async_trait::async_trait;
use aws_sdk_ec2::types::{DomainType, ResourceType};

use super::elastic_ip_lower::ElasticIpProps;
use crate::aws::ec2::{
    filter, observed_tag_map, owned_filter, owned_id, pick, sync_tags, tag_spec,
};
use crate::aws::errors::{AwsError, AwsResultExt};
use crate::aws::{Cx, OpCx};
use crate::engine::diff::Change;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed};
use crate::engine::typed::Properties as _;

pub struct ElasticIpAdapter;

#[async_trait]
impl crate::engine::kind::Kind for ElasticIpAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &["elastic_ip"]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        // DescribeAddresses is not paginated.
        let found = cx
            .clients
            .ec2
            .describe_addresses()
            .filters(owned_filter(cx))
            .send()
            .await
            .aws("DescribeAddresses")?;
        found
            .addresses()
            .iter()
            .filter_map(|address| Some((owned_id(cx, address.tags())?, address)))
            .map(|(id, address)| {
                let props = ElasticIpProps {
                    tags: observed_tag_map(address.tags()),
                };
                let allocation_id = address
                    .allocation_id()
                    .ok_or_else(|| AwsError::missing("DescribeAddresses", "AllocationId"))?;
                Ok::<_, AwsError>(Observed::new(id, allocation_id, props.into_props()))
            })
            .collect()
    }

    /// An address has nothing to be found by but its id: `pin`'s, which adopt infers
    /// from the NAT gateway found for the one this address is for.
    async fn find(
        &self,
        op: &OpCx<'_>,
        _desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let Some(allocation_id) = pin else {
            return Ok(Found::Nothing);
        };
        let found = op
            .cx
            .clients
            .ec2
            .describe_addresses()
            .filters(filter("allocation-id", &[allocation_id]))
            .send()
            .await
            .aws("DescribeAddresses")?;
        let matches = found
            .addresses()
            .iter()
            .map(|address| {
                let props = ElasticIpProps {
                    tags: observed_tag_map(address.tags()),
                };
                (
                    address.tags().to_vec(),
                    Observed::new(op.id.clone(), allocation_id, props.into_props()),
                )
            })
            .collect();
        pick(op, "elastic IP", matches).await
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        crate::aws::tags::adopt(&op.cx.clients.ec2, &found.physical_id, op, desired).await
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let props = ElasticIpProps::from_props(&desired.props)?;
        let created = op
            .cx
            .clients
            .ec2
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(tag_spec(
                ResourceType::ElasticIp,
                crate::aws::tags::for_create(op, &props.tags),
            ))
            .send()
            .await
            .aws("AllocateAddress")?;
        Ok(created
            .allocation_id()
            .ok_or_else(|| AwsError::missing("AllocateAddress", "AllocationId"))?
            .to_string())
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        _changes: &[Change],
    ) -> Result<(), AwsError> {
        let props = ElasticIpProps::from_props(&desired.props)?;
        let live = ElasticIpProps::from_props(&observed.props)?;
        sync_tags(op, &observed.physical_id, live.tags, props.tags).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let ec2 = &op.cx.clients.ec2;
        let allocation_id = &observed.physical_id;
        // The address stays associated for a moment after its NAT gateway is deleted
        // (InvalidIPAddress.InUse): retried as a dependency.
        ec2.release_address()
            .allocation_id(allocation_id)
            .send()
            .await
            .aws("ReleaseAddress")?;
        Ok(())
    }
}
