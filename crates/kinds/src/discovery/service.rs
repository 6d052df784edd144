//! Cloud Map discovery services (`discovery.<service>`): the name a service's tasks are
//! registered under in one of the stack's namespaces (A records, multivalue answers,
//! health as ECS reports it). Name and namespace make a new one; the TTL changes in place.
//! The physical id is the service's ARN, which the ECS service's registry names.
//!
//! Found by listing each of the stack's namespaces' services (ListServices filtered on the
//! namespace) and their tags. Created with the ownership tags and a creator request id.
//! Deleting one still holding instances (ECS deregisters a deleted service's tasks as they
//! stop) is refused by Cloud Map with ResourceInUse: the walk waits for them to go.

use async_trait::async_trait;
use aws_sdk_servicediscovery::types::{
    DnsConfig, DnsConfigChange, DnsRecord, HealthCheckCustomConfig, RecordType, RoutingPolicy,
    ServiceChange, ServiceFilter, ServiceFilterName, ServiceSummary,
};

use super::cloud_map::{CloudMap, finished, sd_tags, stack_namespaces, tags_of};
use super::lower::DiscoveryProps;
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::ids::DISCOVERY as KIND;
use crate::aws::naming::client_token;
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::Change;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::Properties as _;

pub struct DiscoveryAdapter;

fn records(ttl: i64) -> Result<Vec<DnsRecord>, AwsError> {
    DnsRecord::builder()
        .r#type(RecordType::A)
        .ttl(ttl)
        .build()
        .map(|record| vec![record])
        .map_err(|error| AwsError::new(ErrorKind::Other, "CreateService", error.to_string()))
}

/// The TTL to write: the manifest's default (60 seconds) where none is said.
fn ttl(props: &DiscoveryProps) -> i64 {
    props.ttl.unwrap_or(60)
}

/// The services of `namespace` (ListServices filtered on it).
async fn services_of(cx: &Cx, namespace: &str) -> Result<Vec<ServiceSummary>, AwsError> {
    let filter = ServiceFilter::builder()
        .name(ServiceFilterName::NamespaceId)
        .values(namespace)
        .build()
        .map_err(|error| AwsError::new(ErrorKind::Other, "ListServices", error.to_string()))?;
    let pages: Vec<_> = cx
        .clients
        .discovery
        .list_services()
        .filters(filter)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .aws("ListServices")?;
    Ok(pages
        .iter()
        .flat_map(|page| page.services())
        .cloned()
        .collect())
}

/// A discovery service of `namespace` as the stack sees it, under `id`, with its tags.
fn read(
    service: &ServiceSummary,
    namespace: &str,
    id: ResourceId,
    pairs: &[(String, String)],
) -> Result<Observed, AwsError> {
    let borrowed = || pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let arn = service
        .arn()
        .ok_or_else(|| AwsError::missing("ListServices", "Arn"))?;
    let props = DiscoveryProps {
        name: service
            .name()
            .ok_or_else(|| AwsError::missing("ListServices", "Name"))?
            .to_string(),
        namespace: Value::Phys(namespace.to_string()),
        ttl: service
            .dns_config()
            .and_then(|config| config.dns_records().first())
            .map(|record| record.ttl()),
        tags: tags::observed_tag_map(borrowed()),
    };
    let mut resource = Observed::new(id, arn, props.into_props());
    resource.extra.insert(
        "id".into(),
        service
            .id()
            .ok_or_else(|| AwsError::missing("ListServices", "Id"))?
            .to_string(),
    );
    Ok(resource)
}

#[async_trait]
impl crate::engine::kind::Kind for DiscoveryAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let namespaces = stack_namespaces(cx).await?;
        let listings = namespaces.iter().map(|namespace| async move {
            let mut out = Vec::new();
            for service in &services_of(cx, &namespace.id).await? {
                let arn = service
                    .arn()
                    .ok_or_else(|| AwsError::missing("ListServices", "Arn"))?;
                let pairs = tags_of(cx, arn).await?;
                let borrowed = || pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                let Some(id) = tags::owned_id(&cx.stack, borrowed()) else {
                    continue;
                };
                if id.kind() != KIND {
                    continue;
                }
                out.push(read(service, &namespace.id, id, &pairs)?);
            }
            Ok::<_, AwsError>(out)
        });
        Ok(futures::future::try_join_all(listings)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }

    /// The service of the manifest's name (or the one pinned, by ARN) in the namespace
    /// found.
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = DiscoveryProps::from_props(&desired.props)?;
        let namespace = op.resolve(&props.namespace)?;
        let mut matches = Vec::new();
        for service in &services_of(op.cx, &namespace).await? {
            let wanted = match pin {
                Some(arn) => service.arn() == Some(arn),
                None => service.name() == Some(props.name.as_str()),
            };
            let Some(arn) = service.arn().filter(|_| wanted) else {
                continue;
            };
            let pairs = tags_of(op.cx, arn).await?;
            let observed = read(service, &namespace, op.id.clone(), &pairs)?;
            matches.push((pairs, observed));
        }
        crate::aws::adopt::pick(op, "Cloud Map service", matches).await
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        tags::adopt(
            &CloudMap(&op.cx.clients.discovery),
            &found.physical_id,
            op,
            desired,
        )
        .await
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let props = DiscoveryProps::from_props(&desired.props)?;
        let name = props.name.as_str();
        let namespace = op.resolve(&props.namespace)?;
        let config = DnsConfig::builder()
            .routing_policy(RoutingPolicy::Multivalue)
            .set_dns_records(Some(records(ttl(&props))?))
            .build()
            .map_err(|error| AwsError::new(ErrorKind::Other, "CreateService", error.to_string()))?;
        let created = op
            .cx
            .clients
            .discovery
            .create_service()
            .name(name)
            .namespace_id(&namespace)
            .dns_config(config)
            // ECS reports its tasks' health; Cloud Map answers only healthy ones.
            .health_check_custom_config(HealthCheckCustomConfig::builder().build())
            .creator_request_id(client_token(op.cx, op.id, &format!("{namespace} {name}")))
            .set_tags(Some(sd_tags(tags::for_create(op, &props.tags))?))
            .send()
            .await
            .aws("CreateService")?;
        Ok(created
            .service()
            .and_then(|service| service.arn())
            .ok_or_else(|| AwsError::missing("CreateService", "Arn"))?
            .to_string())
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        let discovery = &op.cx.clients.discovery;
        let props = DiscoveryProps::from_props(&desired.props)?;
        let live = DiscoveryProps::from_props(&observed.props)?;
        if DiscoveryProps::changed(changes).ttl {
            let change = DnsConfigChange::builder()
                .set_dns_records(Some(records(ttl(&props))?))
                .build()
                .map_err(|error| {
                    AwsError::new(ErrorKind::Other, "UpdateService", error.to_string())
                })?;
            let started = discovery
                .update_service()
                .id(observed.detail("id")?)
                .service(ServiceChange::builder().dns_config(change).build())
                .send()
                .await
                .aws("UpdateService")?;
            if let Some(operation) = started.operation_id() {
                finished(op, operation, "SERVICE").await?;
            }
        }
        tags::sync(
            &CloudMap(discovery),
            &observed.physical_id,
            &live.tags,
            &props.tags,
        )
        .await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        op.cx
            .clients
            .discovery
            .delete_service()
            .id(observed.detail("id")?)
            .send()
            .await
            .aws("DeleteService")
            .map(drop)
    }
}
