//! Elastic IPs for NAT gateways, one per NAT, allocated with their tags.

use async_trait::async_trait;
use aws_sdk_ec2::types::{DomainType, ResourceType};

use super::{observed_tags, owned_filter, owned_id, sync_tags, tag_spec};
use crate::engine::diff::Change;
use crate::engine::model::{Desired, Mode, Observed, props};
use crate::errors::{AwsError, AwsResultExt};
use crate::{Cx, OpCx};

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
        Ok(found
            .addresses()
            .iter()
            .filter_map(|address| {
                Some(Observed::new(
                    owned_id(cx, address.tags())?,
                    address.allocation_id()?,
                    props([("tags", observed_tags(address.tags()), Mode::InPlace)]),
                ))
            })
            .collect())
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let created = op
            .cx
            .clients
            .ec2
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(tag_spec(
                ResourceType::ElasticIp,
                crate::tags::for_create(op, desired),
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
        sync_tags(op, desired, observed).await
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
