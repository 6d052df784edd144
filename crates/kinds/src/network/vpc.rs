//! The VPC: CIDR (immutable) and DNS attributes.

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, Vpc, VpcAttributeName};
use futures::future::try_join_all;

use super::vpc_lower::{VpcChanges, VpcProps};
use crate::aws::ec2::{
    explain_dependency, filter, observed_tag_map, owned_id, pick, sync_tags, tag_spec,
};
use crate::aws::errors::{AwsError, AwsResultExt};
use crate::aws::{Cx, OpCx};
use crate::engine::diff::{Change, Step};
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId};
use crate::engine::typed::Properties as _;

pub struct VpcAdapter;

/// A live VPC as the stack's `id`.
async fn read(cx: &Cx, vpc: &Vpc, id: ResourceId) -> Result<Observed, AwsError> {
    let ec2 = &cx.clients.ec2;
    let vpc_id = vpc
        .vpc_id()
        .ok_or_else(|| AwsError::missing("DescribeVpcs", "VpcId"))?;
    // DescribeVpcs does not return the DNS attributes: one DescribeVpcAttribute per attribute.
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
    // An attribute answered without its value is off.
    let flag = |value: Option<&AttributeBooleanValue>| {
        value.and_then(|value| value.value()).unwrap_or(false)
    };
    let props = VpcProps {
        cidr: vpc
            .cidr_block()
            .ok_or_else(|| AwsError::missing("DescribeVpcs", "CidrBlock"))?
            .to_string(),
        dns_hostnames: flag(hostnames.enable_dns_hostnames()),
        dns_support: flag(support.enable_dns_support()),
        tags: observed_tag_map(vpc.tags()),
    };
    Ok(Observed::new(id, vpc_id, props.into_props()))
}

#[async_trait]
impl crate::engine::kind::Kind for VpcAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &["vpc"]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let vpcs = crate::aws::ec2::stack_vpcs(cx).await?;
        let observed = vpcs
            .iter()
            .filter_map(|vpc| Some((owned_id(cx, vpc.tags())?, vpc)))
            .map(|(id, vpc)| read(cx, vpc, id));
        try_join_all(observed).await
    }

    /// The VPC of the manifest's CIDR (its primary block), or `pin`'s id.
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = VpcProps::from_props(&desired.props)?;
        // Never the region's default VPC, which AWS makes and a destroy must not reach.
        let by = vec![
            match pin {
                Some(vpc_id) => filter("vpc-id", &[vpc_id]),
                None => filter("cidr", &[&props.cidr]),
            },
            filter("is-default", &["false"]),
        ];
        let vpcs: Vec<Vpc> = op
            .cx
            .clients
            .ec2
            .describe_vpcs()
            .set_filters(Some(by))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .aws("DescribeVpcs")?;
        let matches = try_join_all(vpcs.iter().map(|vpc| async {
            Ok::<_, AwsError>((vpc.tags().to_vec(), read(op.cx, vpc, op.id.clone()).await?))
        }))
        .await?;
        pick(op, "VPC", matches).await
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
        let ec2 = &op.cx.clients.ec2;
        let props = VpcProps::from_props(&desired.props)?;
        let created = ec2
            .create_vpc()
            .cidr_block(&props.cidr)
            .tag_specifications(tag_spec(
                ResourceType::Vpc,
                crate::aws::tags::for_create(op, &props.tags),
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
        if !props.dns_support {
            set_dns(op, &vpc_id, VpcAttributeName::EnableDnsSupport, false).await?;
        }
        if props.dns_hostnames {
            set_dns(op, &vpc_id, VpcAttributeName::EnableDnsHostnames, true).await?;
        }
        Ok(vpc_id)
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        let vpc_id = &observed.physical_id;
        let props = VpcProps::from_props(&desired.props)?;
        let live = VpcProps::from_props(&observed.props)?;
        let changed = VpcProps::changed(changes);
        for (attribute, on) in dns_changes(&changed, &props) {
            set_dns(op, vpc_id, attribute, on).await?;
        }
        sync_tags(op, vpc_id, live.tags, props.tags).await
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

/// The DNS attributes an update sets, in the order EC2 accepts them: DNS hostnames need
/// DNS support, so support goes on before hostnames and off after them
/// (ModifyVpcAttribute refuses hostnames on a VPC without support).
fn dns_changes(changed: &VpcChanges, props: &VpcProps) -> Vec<(VpcAttributeName, bool)> {
    let mut steps = Vec::new();
    if changed.dns_support {
        steps.push((VpcAttributeName::EnableDnsSupport, props.dns_support));
    }
    if changed.dns_hostnames {
        steps.push((VpcAttributeName::EnableDnsHostnames, props.dns_hostnames));
    }
    if !props.dns_support {
        steps.reverse();
    }
    steps
}

/// Turns one DNS attribute (`EnableDnsSupport` or `EnableDnsHostnames`) on or off.
async fn set_dns(
    op: &OpCx<'_>,
    vpc_id: &str,
    attribute: VpcAttributeName,
    on: bool,
) -> Result<(), AwsError> {
    let value = AttributeBooleanValue::builder().value(on).build();
    let request = op.cx.clients.ec2.modify_vpc_attribute().vpc_id(vpc_id);
    let request = if attribute == VpcAttributeName::EnableDnsSupport {
        request.enable_dns_support(value)
    } else {
        request.enable_dns_hostnames(value)
    };
    request.send().await.aws("ModifyVpcAttribute")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(support: bool, hostnames: bool) -> VpcProps {
        VpcProps {
            cidr: "10.0.0.0/16".into(),
            dns_hostnames: hostnames,
            dns_support: support,
            tags: std::collections::BTreeMap::new(),
        }
    }

    #[test]
    fn dns_support_goes_on_before_hostnames_and_off_after_them() {
        let both = VpcChanges {
            dns_support: true,
            dns_hostnames: true,
            ..VpcChanges::default()
        };
        let on = dns_changes(&both, &props(true, true));
        assert_eq!(
            on,
            [
                (VpcAttributeName::EnableDnsSupport, true),
                (VpcAttributeName::EnableDnsHostnames, true)
            ]
        );
        let off = dns_changes(&both, &props(false, false));
        assert_eq!(
            off,
            [
                (VpcAttributeName::EnableDnsHostnames, false),
                (VpcAttributeName::EnableDnsSupport, false)
            ]
        );
        let hostnames = VpcChanges {
            dns_hostnames: true,
            ..VpcChanges::default()
        };
        assert_eq!(
            dns_changes(&hostnames, &props(true, false)),
            [(VpcAttributeName::EnableDnsHostnames, false)]
        );
    }
}
