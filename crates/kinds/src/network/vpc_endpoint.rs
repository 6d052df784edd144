//! Gateway VPC endpoints (S3, DynamoDB), routed from every route table of the network.

use std::collections::BTreeSet;

use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, VpcEndpoint, VpcEndpointType};

use super::vpc_endpoint_lower::VpcEndpointProps;
use crate::aws::ec2::{
    client_token, filter, observed_tag_map, owned_filter, owned_id, pick_from, sync_tags, tag_spec,
};
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::{Cx, OpCx};
use crate::engine::diff::Change;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::Properties as _;

pub struct VpcEndpointAdapter;

#[async_trait]
impl crate::engine::kind::Kind for VpcEndpointAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &["vpc_endpoint"]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        if !crate::aws::ec2::stack_has_vpc(cx).await? {
            return Ok(Vec::new());
        }
        let endpoints = cx
            .clients
            .ec2
            .describe_vpc_endpoints()
            .filters(owned_filter(cx))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .aws("DescribeVpcEndpoints")?;
        endpoints
            .iter()
            .filter(|endpoint| !matches!(state(endpoint).as_str(), "deleted" | "deleting"))
            .filter_map(|endpoint| Some((owned_id(cx, endpoint.tags())?, endpoint)))
            .map(|(id, endpoint)| read(endpoint, id))
            .collect()
    }

    /// The gateway endpoint of the manifest's service in the stack's VPC (found or
    /// owned), or the one pinned there; its route tables are the plan's to set.
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = VpcEndpointProps::from_props(&desired.props)?;
        let vpc = op.resolve(&props.vpc)?;
        let mut by = vec![
            filter("vpc-id", &[&vpc]),
            filter("service-name", &[&props.service]),
            filter("vpc-endpoint-type", &["Gateway"]),
        ];
        if let Some(endpoint) = pin {
            by.push(filter("vpc-endpoint-id", &[endpoint]));
        }
        let endpoints: Vec<VpcEndpoint> = op
            .cx
            .clients
            .ec2
            .describe_vpc_endpoints()
            .set_filters(Some(by))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .aws("DescribeVpcEndpoints")?;
        let live: Vec<VpcEndpoint> = endpoints
            .into_iter()
            .filter(|endpoint| {
                matches!(
                    state(endpoint).as_str(),
                    "available" | "pending" | "pendingacceptance"
                )
            })
            .collect();
        let found = pick_from(op, "VPC endpoint", &live, |endpoint| endpoint.tags(), read).await?;
        // CloudFormation has not always tagged endpoints: asked by id too.
        let endpoint = match &found {
            crate::engine::kind::Found::Live { observed, .. } => observed.physical_id.clone(),
            _ => return Ok(found),
        };
        crate::aws::adopt::untagged(op.cx, found, ("AWS::EC2::VPCEndpoint", &[&endpoint])).await
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
        let props = VpcEndpointProps::from_props(&desired.props)?;
        let vpc_id = op.resolve(&props.vpc)?;
        let service = props.service;
        let tables = props
            .route_tables
            .iter()
            .map(|table| op.resolve(table))
            .collect::<Result<Vec<_>, _>>()?;
        let request = op
            .cx
            .clients
            .ec2
            .create_vpc_endpoint()
            .vpc_id(&vpc_id)
            .service_name(&service)
            .vpc_endpoint_type(VpcEndpointType::Gateway)
            .set_route_table_ids(Some(tables.clone()))
            .client_token(client_token(
                op.cx,
                op.id,
                &format!("{vpc_id}/{service}/{}", tables.join(",")),
            ))
            .tag_specifications(tag_spec(
                ResourceType::VpcEndpoint,
                crate::aws::tags::for_create(op, &props.tags),
            ));
        let created = request.send().await.aws("CreateVpcEndpoint")?;
        let id = created
            .vpc_endpoint()
            .and_then(|endpoint| endpoint.vpc_endpoint_id())
            .ok_or_else(|| AwsError::missing("CreateVpcEndpoint", "vpc_endpoint_id"))?
            .to_string();
        op.made(&id);
        if op.wait {
            settle(op, &id, "available").await?;
        }
        Ok(id)
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        let endpoint_id = &observed.physical_id;
        let props = VpcEndpointProps::from_props(&desired.props)?;
        let live = VpcEndpointProps::from_props(&observed.props)?;
        if VpcEndpointProps::changed(changes).route_tables {
            move_routes(op, endpoint_id, &live.route_tables, &props.route_tables).await?;
        }
        sync_tags(op, endpoint_id, live.tags, props.tags).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let deleted = op
            .cx
            .clients
            .ec2
            .delete_vpc_endpoints()
            .vpc_endpoint_ids(&observed.physical_id)
            .send()
            .await
            .aws("DeleteVpcEndpoints")
            .map_err(|mut error| {
                // Only the endpoint's own absence means "already deleted"; another missing
                // thing (a route) is a failure the engine must not read as success.
                if error.code.as_deref() != Some("InvalidVpcEndpointId.NotFound") {
                    error.kind = ErrorKind::Other;
                }
                error
            })?;
        // DeleteVpcEndpoints reports per-endpoint failures in the body, not as an error.
        if let Some(failure) = deleted.unsuccessful().first().and_then(|item| item.error()) {
            let code = failure.code().unwrap_or_default();
            if !code.ends_with("NotFound") {
                let mut error = AwsError::new(
                    crate::aws::errors::classify(code),
                    "DeleteVpcEndpoints",
                    failure.message().unwrap_or_default(),
                );
                error.code = Some(code.to_string());
                return Err(error);
            }
        }
        if op.wait {
            settle(op, &observed.physical_id, "deleted").await?;
        }
        Ok(())
    }
}

/// An endpoint as the stack sees it, under `id`.
fn read(endpoint: &VpcEndpoint, id: ResourceId) -> Result<Observed, AwsError> {
    let missing = |field: &str| AwsError::missing("DescribeVpcEndpoints", field);
    let props = VpcEndpointProps {
        vpc: Value::Phys(
            endpoint
                .vpc_id()
                .ok_or_else(|| missing("VpcId"))?
                .to_string(),
        ),
        service: endpoint
            .service_name()
            .ok_or_else(|| missing("ServiceName"))?
            .to_string(),
        route_tables: endpoint
            .route_table_ids()
            .iter()
            .map(|table| Value::Phys(table.clone()))
            .collect(),
        tags: observed_tag_map(endpoint.tags()),
    };
    let endpoint_id = endpoint
        .vpc_endpoint_id()
        .ok_or_else(|| missing("VpcEndpointId"))?;
    let mut observed = Observed::new(id, endpoint_id, props.into_props());
    if matches!(state(endpoint).as_str(), "failed" | "rejected" | "expired") {
        observed.broken = Some(format!("endpoint state is {}", state(endpoint)));
    }
    Ok(observed)
}

/// Routes the endpoint from the route tables in `new` and no longer from the others it
/// has (`old`), then waits until it is `available` again when something waits on it.
async fn move_routes(
    op: &OpCx<'_>,
    endpoint_id: &str,
    old: &BTreeSet<Value>,
    new: &BTreeSet<Value>,
) -> Result<(), AwsError> {
    let want = new
        .iter()
        .map(|table| op.resolve(table))
        .collect::<Result<BTreeSet<_>, _>>()?;
    let have: BTreeSet<String> = old
        .iter()
        .filter_map(|table| op.resolve(table).ok())
        .collect();
    let add: Vec<String> = want.difference(&have).cloned().collect();
    let remove: Vec<String> = have.difference(&want).cloned().collect();
    if add.is_empty() && remove.is_empty() {
        return Ok(());
    }
    let request = op
        .cx
        .clients
        .ec2
        .modify_vpc_endpoint()
        .vpc_endpoint_id(endpoint_id)
        .set_add_route_table_ids((!add.is_empty()).then_some(add))
        .set_remove_route_table_ids((!remove.is_empty()).then_some(remove));
    request.send().await.aws("ModifyVpcEndpoint")?;
    if op.wait {
        settle(op, endpoint_id, "available").await?;
    }
    Ok(())
}

/// Waits until the endpoint is in `target` (`available`, or `deleted`: gone counts) when
/// something waits on it: its routes are in place only once it is `available`, and the
/// route tables and VPC it holds are free only once it is `deleted` (the Terraform
/// provider's `waitVPCEndpointAvailable` and `waitVPCEndpointDeleted`, 10 minutes).
async fn settle(op: &OpCx<'_>, id: &str, target: &str) -> Result<(), AwsError> {
    op.status(&format!("waiting for the endpoint to be {target}"));
    let bound = op.cx.timeout.min(std::time::Duration::from_secs(600));
    crate::engine::retry::poll(
        bound,
        &format!("VPC endpoint {id} to be {target}"),
        || async {
            let found = op
                .cx
                .clients
                .ec2
                .describe_vpc_endpoints()
                .vpc_endpoint_ids(id)
                .send()
                .await
                .aws("DescribeVpcEndpoints");
            let now = match found {
                Ok(found) => found.vpc_endpoints().first().map(state),
                Err(error) if error.kind == ErrorKind::NotFound => None,
                Err(error) => return Err(error),
            };
            match now.as_deref() {
                None if target == "deleted" => Ok(Some(())),
                Some(state) if state == target => Ok(Some(())),
                Some(failed @ ("failed" | "rejected" | "expired")) => Err(AwsError::new(
                    ErrorKind::Other,
                    "DescribeVpcEndpoints",
                    format!("VPC endpoint {id} is {failed}"),
                )),
                _ => Ok(None),
            }
        },
    )
    .await
}

/// EC2 reports endpoint states in lowercase (`available`, `deleted`) while the SDK's enum
/// spells them capitalised, so they arrive as unknown variants: compare the text.
fn state(endpoint: &VpcEndpoint) -> String {
    endpoint
        .state()
        .map(|state| state.as_str().to_ascii_lowercase())
        .unwrap_or_default()
}
