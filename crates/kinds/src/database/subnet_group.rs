//! DB subnet groups (`db_subnet_group.<database>`): the subnets of the database's tier.
//! The name is `<identifier>-subnets` (a new name is a new group); the subnets change
//! in place. The physical id is the group's name.

use async_trait::async_trait;
use aws_sdk_rds::types::DbSubnetGroup;

use super::lower::SubnetGroupProps;
use super::rds::{Rds, borrowed, owned, rds_tags};
use crate::aws::errors::{AwsError, AwsResultExt};
use crate::aws::ids::DB_SUBNET_GROUP as KIND;
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::Change;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::Properties as _;

pub struct SubnetGroupAdapter;

fn subnets(op: &OpCx<'_>, props: &SubnetGroupProps) -> Result<Vec<String>, AwsError> {
    props
        .subnets
        .iter()
        .map(|subnet| op.resolve(subnet))
        .collect()
}

/// The stack's among `groups` (those in its VPC), each with its tags.
async fn observed(
    cx: &Cx,
    vpc: &str,
    groups: impl Iterator<Item = &DbSubnetGroup>,
) -> Result<Vec<Observed>, AwsError> {
    let reads = groups
        .filter(|group| group.vpc_id() == Some(vpc))
        .map(|group| async move {
            let Some(arn) = group.db_subnet_group_arn() else {
                return Ok(None);
            };
            let Some((id, pairs)) = owned(cx, arn, KIND).await? else {
                return Ok(None);
            };
            read(id, group, arn, &pairs).map(Some)
        });
    Ok(futures::future::try_join_all(reads)
        .await?
        .into_iter()
        .flatten()
        .collect())
}

#[async_trait]
impl crate::engine::kind::Kind for SubnetGroupAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    /// The groups the tagging API lists as the stack's, each read by its name; when it
    /// does not hold them all yet, every group of the region (`tags::discover`). Tags read
    /// only for the groups in the stack's VPC.
    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let Some(vpc) = crate::aws::ec2::stack_vpc_id(cx).await? else {
            return Ok(Vec::new());
        };
        let rds = &cx.clients.rds;
        let vpc = vpc.as_str();
        tags::discover(
            cx,
            KIND,
            ":subgrp:",
            false,
            |found: &Observed| Some(found.id.clone()),
            async |arns| {
                let names = tags::arn_names(&arns, ":subgrp:");
                let reads = names.iter().map(|name| async move {
                    crate::aws::errors::present(
                        rds.describe_db_subnet_groups()
                            .db_subnet_group_name(name)
                            .send()
                            .await
                            .aws("DescribeDBSubnetGroups"),
                    )
                });
                let pages: Vec<_> = futures::future::try_join_all(reads)
                    .await?
                    .into_iter()
                    .flatten()
                    .collect();
                observed(
                    cx,
                    vpc,
                    pages.iter().flat_map(|page| page.db_subnet_groups()),
                )
                .await
            },
            async || {
                let pages: Vec<_> = rds
                    .describe_db_subnet_groups()
                    .into_paginator()
                    .send()
                    .try_collect()
                    .await
                    .aws("DescribeDBSubnetGroups")?;
                observed(
                    cx,
                    vpc,
                    pages.iter().flat_map(|page| page.db_subnet_groups()),
                )
                .await
            },
        )
        .await
    }

    /// The group of the manifest's name, or the one the database found uses (its name
    /// kept); never RDS's `default`.
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = SubnetGroupProps::from_props(&desired.props)?;
        let name = match pin {
            Some(pin) => pin,
            None => super::lower::group_name(&props.name)?,
        };
        if name == "default" {
            return Ok(Found::Nothing);
        }
        let Some(listed) = crate::aws::errors::present(
            op.cx
                .clients
                .rds
                .describe_db_subnet_groups()
                .db_subnet_group_name(name)
                .send()
                .await
                .aws("DescribeDBSubnetGroups"),
        )?
        else {
            return Ok(Found::Nothing);
        };
        let Some(group) = listed.db_subnet_groups().first() else {
            return Ok(Found::Nothing);
        };
        let arn = group
            .db_subnet_group_arn()
            .ok_or_else(|| AwsError::missing("DescribeDBSubnetGroups", "DBSubnetGroupArn"))?;
        let what = format!("DB subnet group `{name}`");
        // In the stack's VPC: one of its subnets is one the manifest's tier found.
        let found_subnets: Vec<String> = props
            .subnets
            .iter()
            .filter_map(|subnet| op.resolve(subnet).ok())
            .collect();
        let shares = group.subnets().iter().any(|subnet| {
            subnet
                .subnet_identifier()
                .is_some_and(|id| found_subnets.iter().any(|found| found == id))
        });
        if !shares {
            return Ok(Found::Refused(format!(
                "{what} holds none of the subnets found for the manifest's tier (another VPC's, or other subnets): the database in it cannot move with it; adopt the network it is in first, or leave the database out"
            )));
        }
        let pairs = super::rds::tags_of(op.cx, arn).await?;
        let observed = read(op.id.clone(), group, arn, &pairs)?;
        crate::aws::adopt::found(op.cx, op.id, what, borrowed(&pairs), observed).await
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        super::rds::adopt(op, desired, found).await
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let props = SubnetGroupProps::from_props(&desired.props)?;
        let name = super::lower::group_name(&props.name)?;
        op.cx
            .clients
            .rds
            .create_db_subnet_group()
            .db_subnet_group_name(name)
            .db_subnet_group_description(format!("edgectl stack {}", op.cx.stack))
            .set_subnet_ids(Some(subnets(op, &props)?))
            .set_tags(Some(rds_tags(tags::for_create(op, &props.tags))))
            .send()
            .await
            .aws("CreateDBSubnetGroup")?;
        Ok(name.to_string())
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        let rds = &op.cx.clients.rds;
        let props = SubnetGroupProps::from_props(&desired.props)?;
        let live = SubnetGroupProps::from_props(&observed.props)?;
        if SubnetGroupProps::changed(changes).subnets {
            rds.modify_db_subnet_group()
                .db_subnet_group_name(&observed.physical_id)
                .set_subnet_ids(Some(subnets(op, &props)?))
                .send()
                .await
                .aws("ModifyDBSubnetGroup")?;
        }
        let arn = observed.detail("arn")?.to_string();
        tags::sync(&Rds(rds), &arn, &live.tags, &props.tags).await
    }

    /// RDS refuses a group an instance being deleted still uses: a dependency
    /// (`errors.rs`) the walk waits out.
    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        op.cx
            .clients
            .rds
            .delete_db_subnet_group()
            .db_subnet_group_name(&observed.physical_id)
            .send()
            .await
            .aws("DeleteDBSubnetGroup")
            .map(drop)
    }
}

/// A subnet group as the stack sees it, under `id`.
fn read(
    id: ResourceId,
    group: &DbSubnetGroup,
    arn: &str,
    pairs: &[(String, String)],
) -> Result<Observed, AwsError> {
    let name = group
        .db_subnet_group_name()
        .ok_or_else(|| AwsError::missing("DescribeDBSubnetGroups", "DBSubnetGroupName"))?;
    let props = SubnetGroupProps {
        name: Value::str(name),
        subnets: group
            .subnets()
            .iter()
            .filter_map(|subnet| subnet.subnet_identifier())
            .map(|subnet| Value::Phys(subnet.to_string()))
            .collect(),
        tags: tags::observed_tag_map(borrowed(pairs)),
    };
    let mut resource = Observed::new(id, name, props.into_props());
    resource.extra.insert("arn".into(), arn.to_string());
    Ok(resource)
}
