//! Cloud Map private DNS namespaces (`namespace.<key>`): name and VPC (a new one is a new
//! namespace), description, tags. The physical id is the namespace id (`ns-...`).
//!
//! Creating, updating and deleting a namespace are asynchronous operations: each waits for
//! its operation (a namespace makes and deletes a Route 53 hosted zone). The create sends
//! the ownership tags and a creator request id, so a create retried after a lost answer
//! is the same operation on AWS. A namespace of the name held in the stack's VPC by
//! someone else is refused before anything changes; Cloud Map does not read the VPC back,
//! so the namespace's hosted zone says which VPCs it serves.

use async_trait::async_trait;
use aws_sdk_servicediscovery::types::PrivateDnsNamespaceChange;

use super::cloud_map::{
    CloudMap, OwnedNamespace, VPC_TAG, finished, private_namespaces, sd_tags, stack_namespaces,
};
use super::lower::NamespaceProps;
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::ids::NAMESPACE as KIND;
use crate::aws::naming::client_token;
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::Change;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, Value};
use crate::engine::typed::Properties as _;

pub struct NamespaceAdapter;

fn pairs(namespace: &OwnedNamespace) -> impl Iterator<Item = (&str, &str)> {
    namespace
        .tags
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
}

/// Whether the namespace's hosted zone serves `vpc` (a zone Route 53 cannot show is
/// taken to, so that nothing is made beside what cannot be seen).
async fn serves(cx: &Cx, namespace: &str, vpc: &str) -> Result<bool, AwsError> {
    Ok(zone_serves(cx, namespace, vpc).await?.unwrap_or(true))
}

/// Whether the namespace's hosted zone serves `vpc`: `None` when it cannot be told (no
/// zone, or one Route 53 does not show), any other error said.
async fn zone_serves(cx: &Cx, namespace: &str, vpc: &str) -> Result<Option<bool>, AwsError> {
    let got = cx
        .clients
        .discovery
        .get_namespace()
        .id(namespace)
        .send()
        .await
        .aws("GetNamespace")?;
    let zone = got
        .namespace()
        .and_then(|found| found.properties())
        .and_then(|properties| properties.dns_properties())
        .and_then(|dns| dns.hosted_zone_id());
    let Some(zone) = zone else {
        return Ok(None);
    };
    match cx
        .clients
        .route53
        .get_hosted_zone()
        .id(zone)
        .send()
        .await
        .aws("GetHostedZone")
    {
        Ok(found) => Ok(Some(
            found
                .vpcs()
                .iter()
                .any(|listed| listed.vpc_id() == Some(vpc)),
        )),
        Err(error) if error.kind == ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

#[async_trait]
impl crate::engine::kind::Kind for NamespaceAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let mut out = Vec::new();
        for namespace in stack_namespaces(cx).await? {
            let Some(id) = tags::owned_id(&cx.stack, pairs(namespace)) else {
                continue;
            };
            if id.kind() != KIND {
                continue;
            }
            let vpc = namespace
                .tags
                .iter()
                .find(|(key, _)| key == VPC_TAG)
                .map_or(Value::Null, |(_, vpc)| Value::Phys(vpc.clone()));
            let props = NamespaceProps {
                name: namespace.name.clone(),
                vpc,
                description: namespace.description.clone(),
                tags: tags::observed_tag_map(pairs(namespace)),
            };
            let mut resource = Observed::new(id, &namespace.id, props.into_props());
            resource.extra.insert("arn".into(), namespace.arn.clone());
            out.push(resource);
        }
        Ok(out)
    }

    /// The private DNS namespace of the manifest's name (or the one pinned, by id) whose
    /// hosted zone serves the stack's VPC.
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = NamespaceProps::from_props(&desired.props)?;
        let vpc = op.resolve(&props.vpc)?;
        let mut matches = Vec::new();
        for namespace in private_namespaces(op.cx)
            .await?
            .iter()
            .filter(|namespace| match pin {
                Some(id) => namespace.id == id,
                None => namespace.name == props.name,
            })
        {
            // Only one known to serve the stack's VPC: adopting records the VPC.
            match zone_serves(op.cx, &namespace.id, &vpc).await? {
                Some(true) => {}
                Some(false) => continue,
                None => {
                    return Ok(Found::Refused(format!(
                        "Cloud Map namespace `{}` ({}): cannot tell which VPC its hosted zone serves",
                        namespace.name, namespace.id
                    )));
                }
            }
            let found = NamespaceProps {
                name: namespace.name.clone(),
                vpc: Value::Phys(vpc.clone()),
                description: namespace.description.clone(),
                tags: tags::observed_tag_map(pairs(namespace)),
            };
            let mut observed = Observed::new(op.id.clone(), &namespace.id, found.into_props());
            observed.extra.insert("arn".into(), namespace.arn.clone());
            matches.push((namespace.tags.clone(), observed));
        }
        crate::aws::adopt::pick(op, "Cloud Map namespace", matches).await
    }

    /// The VPC its zone serves (Cloud Map does not read it back), then the ownership tags.
    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        let arn = found
            .extra
            .get("arn")
            .ok_or_else(|| AwsError::missing("ListNamespaces", "Arn"))?;
        let cloud_map = CloudMap(&op.cx.clients.discovery);
        // The VPC first: a namespace the stack owned without it would read as one of no
        // VPC, to be replaced; a run that dies after it adopts the namespace when run again.
        if let Value::Phys(vpc) = found.value("vpc") {
            use crate::aws::tags::Tagging as _;
            cloud_map
                .tag(arn, vec![(VPC_TAG.to_string(), vpc.clone())])
                .await?;
        }
        tags::adopt(&cloud_map, arn, op, desired).await
    }

    /// A namespace's domain is the VPC's: one of the name that someone else made for the
    /// stack's VPC is named here, before anything changes.
    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        let props = NamespaceProps::from_props(&desired.props).map_err(|e| e.to_string())?;
        let name = props.name.as_str();
        let check = |error: AwsError| format!("cannot check whether the name is taken: {error}");
        let listed = private_namespaces(cx).await.map_err(check)?;
        let Some(vpc) = crate::aws::ec2::stack_vpc_id(cx).await.map_err(check)? else {
            // The VPC is made by this apply: nothing can be in it yet.
            return Ok(());
        };
        for namespace in listed.iter().filter(|namespace| namespace.name == name) {
            let why = tags::name_taken(
                &cx.stack,
                &desired.id,
                &format!("Cloud Map namespace `{name}` ({})", namespace.id),
                pairs(namespace),
            );
            if let Some(why) = why
                && serves(cx, &namespace.id, &vpc).await.map_err(check)?
            {
                return Err(why);
            }
        }
        Ok(())
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let discovery = &op.cx.clients.discovery;
        let props = NamespaceProps::from_props(&desired.props)?;
        let name = props.name.as_str();
        let vpc = op.resolve(&props.vpc)?;
        let mut pairs = tags::for_create(op, &props.tags);
        pairs.push((VPC_TAG.to_string(), vpc.clone()));
        let started = discovery
            .create_private_dns_namespace()
            .name(name)
            .vpc(&vpc)
            .description(&props.description)
            .creator_request_id(client_token(op.cx, op.id, &format!("{name} {vpc}")))
            .set_tags(Some(sd_tags(pairs)?))
            .send()
            .await
            .aws("CreatePrivateDnsNamespace")?;
        let operation = started
            .operation_id()
            .ok_or_else(|| AwsError::missing("CreatePrivateDnsNamespace", "OperationId"))?;
        op.status("waiting for Cloud Map to make the namespace");
        let id = finished(op, operation, "NAMESPACE").await?;
        if id.is_empty() {
            return Err(AwsError::missing("GetOperation", "Targets.NAMESPACE"));
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
        let discovery = &op.cx.clients.discovery;
        let props = NamespaceProps::from_props(&desired.props)?;
        let live = NamespaceProps::from_props(&observed.props)?;
        if NamespaceProps::changed(changes).description {
            let description = props.description.as_str();
            let change = PrivateDnsNamespaceChange::builder()
                .description(description)
                .build();
            let started = discovery
                .update_private_dns_namespace()
                .id(&observed.physical_id)
                .updater_request_id(client_token(op.cx, op.id, description))
                .namespace(change)
                .send()
                .await
                .aws("UpdatePrivateDnsNamespace")?;
            if let Some(operation) = started.operation_id() {
                finished(op, operation, "NAMESPACE").await?;
            }
        }
        let arn = observed.detail("arn")?.to_string();
        tags::sync(&CloudMap(discovery), &arn, &live.tags, &props.tags).await
    }

    /// Deletes it and waits for the operation (Cloud Map deletes its hosted zone); its
    /// discovery services go first, by the graph.
    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let started = op
            .cx
            .clients
            .discovery
            .delete_namespace()
            .id(&observed.physical_id)
            .send()
            .await
            .aws("DeleteNamespace")?;
        if let Some(operation) = started.operation_id() {
            op.status("waiting for Cloud Map to delete the namespace");
            finished(op, operation, "NAMESPACE").await?;
        }
        Ok(())
    }
}
