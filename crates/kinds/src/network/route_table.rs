//! Route tables with their routes and subnet associations, which follow from the network's
//! choices: one public table (default route to the internet gateway), one table per private
//! subnet (default route to its NAT gateway, so single -> per-zone NAT only moves routes),
//! and one isolated table with no route out.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, RouteOrigin, RouteTable};
use futures::future::try_join_all;

use super::route_table_lower::{Route, RouteTableProps, route};
use crate::aws::ec2::{
    client_token, filter, observed_tag_map, owned_filter, owned_id, pick_from, sync_tags, tag_spec,
};
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::{Cx, OpCx};
use crate::engine::diff::Change;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::Properties as _;

pub struct RouteTableAdapter;

#[async_trait]
impl crate::engine::kind::Kind for RouteTableAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &["route_table"]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        if !crate::aws::ec2::stack_has_vpc(cx).await? {
            return Ok(Vec::new());
        }
        let tables = cx
            .clients
            .ec2
            .describe_route_tables()
            .filters(owned_filter(cx))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .aws("DescribeRouteTables")?;
        tables
            .iter()
            .filter_map(|table| Some((owned_id(cx, table.tags())?, table)))
            .map(|(id, table)| observed_table(id, table))
            .collect()
    }

    /// The table its subnets (found or pinned before it) are associated with, or `pin`'s
    /// id. A table without subnets has nothing to be found by.
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = RouteTableProps::from_props(&desired.props)?;
        // In its VPC whatever names it.
        let mut by = vec![filter("vpc-id", &[&op.resolve(&props.vpc)?])];
        match pin {
            Some(table_id) => by.push(filter("route-table-id", &[table_id])),
            None => {
                let subnets = props
                    .subnets
                    .iter()
                    .map(|subnet| op.resolve(subnet))
                    .collect::<Result<Vec<_>, _>>()?;
                if subnets.is_empty() {
                    return Ok(Found::Nothing);
                }
                let subnets: Vec<&str> = subnets.iter().map(String::as_str).collect();
                by.push(filter("association.subnet-id", &subnets));
            }
        }
        let tables: Vec<RouteTable> = op
            .cx
            .clients
            .ec2
            .describe_route_tables()
            .set_filters(Some(by))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .aws("DescribeRouteTables")?;
        // The VPC's main table routes every subnet without a table of its own; edgectl's
        // tables are only ever explicit ones.
        if let Some(main) = tables.iter().find(|table| {
            table
                .associations()
                .iter()
                .any(|association| association.main() == Some(true))
        }) {
            return Ok(Found::Refused(format!(
                "route table `{}` is its VPC's main route table, which edgectl does not take over (it routes every subnet without a table of its own, and cannot be deleted): associate the subnets with a table of their own first, or leave `{}` out",
                main.route_table_id().unwrap_or_default(),
                op.id
            )));
        }
        pick_from(
            op,
            "route table",
            &tables,
            |table| table.tags(),
            |table, id| observed_table(id, table),
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
        let props = RouteTableProps::from_props(&desired.props)?;
        let vpc_id = op.resolve(&props.vpc)?;
        let request = op
            .cx
            .clients
            .ec2
            .create_route_table()
            .vpc_id(&vpc_id)
            .client_token(client_token(op.cx, op.id, &vpc_id))
            .tag_specifications(tag_spec(
                ResourceType::RouteTable,
                crate::aws::tags::for_create(op, &props.tags),
            ));
        let created = request.send().await.aws("CreateRouteTable")?;
        let table_id = created
            .route_table()
            .and_then(|table| table.route_table_id())
            .ok_or_else(|| AwsError::missing("CreateRouteTable", "route_table_id"))?
            .to_string();
        op.made(&table_id);
        apply_routes(op, &table_id, &BTreeSet::new(), &props.routes).await?;
        apply_associations(op, &table_id, &BTreeMap::new(), &props.subnets).await?;
        Ok(table_id)
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        let table_id = &observed.physical_id;
        let props = RouteTableProps::from_props(&desired.props)?;
        let live = RouteTableProps::from_props(&observed.props)?;
        let changed = RouteTableProps::changed(changes);
        if changed.routes {
            apply_routes(op, table_id, &live.routes, &props.routes).await?;
        }
        if changed.subnets {
            apply_associations(op, table_id, &observed.extra, &props.subnets).await?;
        }
        sync_tags(op, table_id, live.tags, props.tags).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let ec2 = &op.cx.clients.ec2;
        let disassociations = observed.extra.values().map(|association| async move {
            match ec2
                .disassociate_route_table()
                .association_id(association)
                .send()
                .await
                .aws("DisassociateRouteTable")
            {
                Err(error) if error.kind != ErrorKind::NotFound => Err(error),
                _ => Ok(()),
            }
        });
        try_join_all(disassociations).await?;
        let table_id = &observed.physical_id;
        ec2.delete_route_table()
            .route_table_id(table_id)
            .send()
            .await
            .aws("DeleteRouteTable")?;
        Ok(())
    }
}

/// A live route table as its properties, with its subnets' association ids in `extra`
/// (by subnet id: what a disassociation names).
fn observed_table(id: ResourceId, table: &RouteTable) -> Result<Observed, AwsError> {
    let missing = |field: &str| AwsError::missing("DescribeRouteTables", field);
    let routes = table
        .routes()
        .iter()
        // The local route and endpoint/propagated routes are not ours to manage.
        .filter(|route| route.origin() == Some(&RouteOrigin::CreateRoute))
        .filter_map(|entry| {
            let destination = entry.destination_cidr_block()?;
            let target = entry
                .nat_gateway_id()
                .or(entry.gateway_id())
                .filter(|target| !target.starts_with("vpce-"))?;
            Some(route(destination, Value::Phys(target.to_string())))
        })
        .collect();
    let mut associations: Vec<(&str, &str)> = Vec::new();
    for association in table
        .associations()
        .iter()
        .filter(|association| association.main() != Some(true))
    {
        // A gateway's (edge) association names no subnet: not one of ours.
        let Some(subnet) = association.subnet_id() else {
            continue;
        };
        let association_id = association
            .route_table_association_id()
            .ok_or_else(|| missing("RouteTableAssociationId"))?;
        associations.push((subnet, association_id));
    }
    let props = RouteTableProps {
        vpc: Value::Phys(table.vpc_id().ok_or_else(|| missing("VpcId"))?.to_string()),
        routes,
        subnets: associations
            .iter()
            .map(|(subnet, _)| Value::Phys(subnet.to_string()))
            .collect(),
        tags: observed_tag_map(table.tags()),
    };
    let table_id = table
        .route_table_id()
        .ok_or_else(|| missing("RouteTableId"))?;
    let mut observed = Observed::new(id, table_id, props.into_props());
    observed.extra = associations
        .iter()
        .map(|(subnet, association)| (subnet.to_string(), association.to_string()))
        .collect();
    Ok(observed)
}

fn routes_by_destination(routes: &BTreeSet<Route>) -> BTreeMap<String, Value> {
    routes
        .iter()
        .map(|route| (route.destination.clone(), route.target.clone()))
        .collect()
}

async fn apply_routes(
    op: &OpCx<'_>,
    table_id: &str,
    old: &BTreeSet<Route>,
    new: &BTreeSet<Route>,
) -> Result<(), AwsError> {
    let ec2 = &op.cx.clients.ec2;
    let old = routes_by_destination(old);
    let new = routes_by_destination(new);
    let mut calls = Vec::new();
    for (destination, target) in &new {
        let existing = old.get(destination);
        if existing == Some(target) {
            continue;
        }
        let target = op.resolve(target)?;
        let replace = existing.is_some();
        calls.push(async move {
            // Route targets (a NAT gateway just created) may not be visible yet.
            if replace {
                let request = ec2
                    .replace_route()
                    .route_table_id(table_id)
                    .destination_cidr_block(destination);
                let request = if target.starts_with("nat-") {
                    request.nat_gateway_id(&target)
                } else {
                    request.gateway_id(&target)
                };
                request.send().await.aws("ReplaceRoute").map(|_| ())
            } else {
                let request = ec2
                    .create_route()
                    .route_table_id(table_id)
                    .destination_cidr_block(destination);
                let request = if target.starts_with("nat-") {
                    request.nat_gateway_id(&target)
                } else {
                    request.gateway_id(&target)
                };
                request.send().await.aws("CreateRoute").map(|_| ())
            }
        });
    }
    try_join_all(calls).await?;
    let removals = old
        .keys()
        .filter(|destination| !new.contains_key(*destination))
        .map(|destination| async move {
            match ec2
                .delete_route()
                .route_table_id(table_id)
                .destination_cidr_block(destination)
                .send()
                .await
                .aws("DeleteRoute")
            {
                Err(error) if error.kind != ErrorKind::NotFound => Err(error),
                _ => Ok(()),
            }
        });
    try_join_all(removals).await?;
    Ok(())
}

/// Associates the subnets in `new` and disassociates every other subnet the table holds,
/// by physical id: a replaced subnet's old association is found even though its
/// logical id is unchanged.
async fn apply_associations(
    op: &OpCx<'_>,
    table_id: &str,
    association_ids: &BTreeMap<String, String>,
    new: &BTreeSet<Value>,
) -> Result<(), AwsError> {
    let ec2 = &op.cx.clients.ec2;
    let mut wanted = BTreeSet::new();
    for subnet in new {
        wanted.insert(op.resolve(subnet)?);
    }
    let additions = wanted
        .iter()
        .filter(|subnet| !association_ids.contains_key(*subnet))
        .map(|subnet_id| async move {
            ec2.associate_route_table()
                .route_table_id(table_id)
                .subnet_id(subnet_id)
                .send()
                .await
                .aws("AssociateRouteTable")
                .map(|_| ())
        });
    try_join_all(additions).await?;
    let removals = association_ids
        .iter()
        .filter(|(subnet, _)| !wanted.contains(*subnet))
        .map(|(_, association)| async move {
            match ec2
                .disassociate_route_table()
                .association_id(association)
                .send()
                .await
                .aws("DisassociateRouteTable")
            {
                // Gone with its subnet.
                Err(error) if error.kind != ErrorKind::NotFound => Err(error),
                _ => Ok(()),
            }
        });
    try_join_all(removals).await?;
    Ok(())
}
