//! Listeners of the stack's load balancers: found through the load balancers (read once
//! for the load balancer, listener and rule adapters), owned by their tags.

use std::time::Duration;

use async_trait::async_trait;
use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::types::{Certificate, Listener, ProtocolEnum};

use super::lower::ListenerProps;
use crate::aws::conditions::{self, Condition, Means};
use crate::aws::elbv2::{elb_tags, observed_action, owned, sdk_action};
use crate::aws::errors::{AwsError, AwsResultExt};
use crate::aws::ids::LISTENER as KIND;
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::Change;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::Properties as _;

pub struct ListenerAdapter;

#[async_trait]
impl crate::engine::kind::Kind for ListenerAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    /// The stack's listeners of its load balancers.
    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let listeners = crate::aws::elbv2::listeners(cx).await?;
        let arns: Vec<String> = listeners
            .iter()
            .filter_map(|l| l.listener_arn().map(str::to_string))
            .collect();
        let tagged = owned(cx, &arns).await?;
        let mut out = Vec::new();
        for listener in listeners {
            let arn = listener.listener_arn().unwrap_or_default();
            let Some((id, tag_value)) = tagged.get(arn).cloned() else {
                continue;
            };
            out.push(read(listener, id, tag_value)?);
        }
        Ok(out)
    }

    /// The listener on the manifest's port of the load balancer found (or the one pinned,
    /// by ARN, which must be that load balancer's).
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = ListenerProps::from_props(&desired.props)?;
        let balancer = op.resolve(&props.load_balancer)?;
        let listeners: Vec<Listener> = op
            .cx
            .clients
            .elbv2
            .describe_listeners()
            .load_balancer_arn(&balancer)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .aws("DescribeListeners")?;
        let Some(listener) = listeners.iter().find(|listener| match pin {
            Some(arn) => listener.listener_arn() == Some(arn),
            None => listener.port().map(i64::from) == Some(props.port),
        }) else {
            return Ok(Found::Nothing);
        };
        let arn = listener
            .listener_arn()
            .ok_or_else(|| AwsError::missing("DescribeListeners", "ListenerArn"))?;
        let what = format!(
            "listener on port {}",
            listener
                .port()
                .map_or_else(String::new, |port| port.to_string())
        );
        crate::aws::elbv2::found(op, what, arn, |tags| async move {
            read(listener, op.id.clone(), tags)
        })
        .await
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        crate::aws::elbv2::adopt(op, desired, &found.physical_id).await
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        create_listener(op, desired).await
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        let elbv2 = &op.cx.clients.elbv2;
        let arn = &observed.physical_id;
        let props = ListenerProps::from_props(&desired.props)?;
        let live = ListenerProps::from_props(&observed.props)?;
        let changed = ListenerProps::changed(changes);
        if changed.protocol || changed.certificate || changed.ssl_policy || changed.action {
            elbv2
                .modify_listener()
                .listener_arn(arn)
                .protocol(ProtocolEnum::from(props.protocol.as_str()))
                .set_certificates(certificates(&props))
                .set_ssl_policy(props.ssl_policy.clone())
                .default_actions(sdk_action(op, props.action.as_ref())?)
                .send()
                .await
                .aws("ModifyListener")
                .map_err(|error| certificate_error(op, desired, &props, error))?;
        }
        tags::sync(elbv2, arn, &live.tags, &props.tags).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        op.cx
            .clients
            .elbv2
            .delete_listener()
            .listener_arn(&observed.physical_id)
            .send()
            .await
            .aws("DeleteListener")?;
        Ok(())
    }
}

/// A listener as the stack sees it, under `id`, with its managed tags.
fn read(
    listener: &Listener,
    id: ResourceId,
    tag_value: BTreeMap<String, String>,
) -> Result<Observed, AwsError> {
    let arn = listener
        .listener_arn()
        .ok_or_else(|| AwsError::missing("DescribeListeners", "ListenerArn"))?;
    let https = listener.protocol() == Some(&ProtocolEnum::Https);
    let missing = |field: &str| AwsError::missing("DescribeListeners", field);
    let props = ListenerProps {
        load_balancer: listener
            .load_balancer_arn()
            .map_or(Value::Null, |lb| Value::Phys(lb.to_string())),
        port: listener.port().ok_or_else(|| missing("Port"))?.into(),
        protocol: listener
            .protocol()
            .ok_or_else(|| missing("Protocol"))?
            .as_str()
            .to_string(),
        certificate: listener
            .certificates()
            .first()
            .and_then(|certificate| certificate.certificate_arn())
            .map_or(Value::Null, Value::str),
        // moto reports an SSL policy on HTTP listeners too; it means nothing there.
        ssl_policy: listener.ssl_policy().filter(|_| https).map(str::to_string),
        action: observed_action(listener.default_actions()),
        tags: tag_value,
    };
    Ok(Observed::new(id, arn, props.into_props()))
}

/// ELB answers CertificateNotFound for a certificate ACM issued seconds ago (the
/// Terraform provider's `internal/service/elbv2/listener.go`, `retryListenerCreate` and
/// `resourceListenerUpdate`: 5 minutes). Only for the stack's own certificate: an ARN
/// written in the manifest that ELB cannot find is a mistake, said at once.
pub const CONDITIONS: &[Condition] = &[
    Condition {
        operation: "CreateListener",
        code: "CertificateNotFound",
        message: None,
        means: Means::Settling {
            awaiting: "the certificate ACM just issued to reach ELB",
            window: Duration::from_secs(300),
        },
        source: "terraform-provider-aws internal/service/elbv2/listener.go retryListenerCreate",
    },
    Condition {
        operation: "ModifyListener",
        code: "CertificateNotFound",
        message: None,
        means: Means::Settling {
            awaiting: "the certificate ACM just issued to reach ELB",
            window: Duration::from_secs(300),
        },
        source: "terraform-provider-aws internal/service/elbv2/listener.go resourceListenerUpdate",
    },
];

/// A certificate error of a listener's call, read by whose certificate it is.
fn certificate_error(
    op: &OpCx<'_>,
    desired: &Desired,
    props: &ListenerProps,
    error: AwsError,
) -> AwsError {
    let arn = props.certificate.as_str().unwrap_or_default();
    conditions::certificate_error(
        error,
        &["CertificateNotFound"],
        conditions::uses_stack_certificate(desired),
        CONDITIONS,
        &format!(
            "ELB finds no certificate `{arn}`: a listener's certificate is an ACM certificate in the load balancer's region ({}); check the ARN (`aws acm list-certificates --region {}`), or let the stack request one under `certificates:`",
            op.cx.region, op.cx.region
        ),
    )
}

fn certificates(props: &ListenerProps) -> Option<Vec<Certificate>> {
    props
        .certificate
        .as_str()
        .map(|arn| vec![Certificate::builder().certificate_arn(arn).build()])
}

async fn create_listener(op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
    let props = ListenerProps::from_props(&desired.props)?;
    let port = crate::aws::errors::int32("CreateListener", "port", props.port)?;
    let created = op
        .cx
        .clients
        .elbv2
        .create_listener()
        .load_balancer_arn(op.resolve(&props.load_balancer)?)
        .port(port)
        .protocol(ProtocolEnum::from(props.protocol.as_str()))
        .set_certificates(certificates(&props))
        .set_ssl_policy(props.ssl_policy.clone())
        .default_actions(sdk_action(op, props.action.as_ref())?)
        .set_tags(Some(elb_tags(tags::for_create(op, &props.tags))))
        .send()
        .await
        .aws("CreateListener")
        .map_err(|error| certificate_error(op, desired, &props, error))?;
    Ok(created
        .listeners()
        .first()
        .and_then(|listener| listener.listener_arn())
        .ok_or_else(|| AwsError::missing("CreateListener", "listener_arn"))?
        .to_string())
}
