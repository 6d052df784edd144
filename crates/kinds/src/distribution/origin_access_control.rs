//! Origin Access Controls: one per bucket that a distribution reads, signing every request
//! with SigV4. Named `<stack>-<bucket key>` (unique in the account, at most 64 characters);
//! owned when the description carries the stack and id.

use aws_sdk_cloudfront::types::{
    OriginAccessControlConfig, OriginAccessControlOriginTypes, OriginAccessControlSigningBehaviors,
    OriginAccessControlSigningProtocols, OriginAccessControlSummary,
};

use super::lower::OriginAccessControlProps;
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind, built};
use crate::aws::{Cx, OpCx};
use crate::engine::model::{Desired, Observed, ResourceId};
use crate::engine::typed::Properties as _;

fn description(stack: &str, id: &ResourceId) -> String {
    format!("edgectl:stack={stack} edgectl:id={id}")
}

/// The logical id a description names, when it names `stack`.
fn owner(stack: &str, description: &str) -> Option<ResourceId> {
    let mut parts = description.split_whitespace();
    let stack_part = parts.next()?.strip_prefix("edgectl:stack=")?;
    let id = parts.next()?.strip_prefix("edgectl:id=")?;
    (stack_part == stack && parts.next().is_none()).then(|| ResourceId::parse(id))
}

/// The ownership marks a description carries, as the tags they stand for.
fn marks(description: &str) -> Vec<(&str, &str)> {
    description
        .split_whitespace()
        .filter_map(|part| part.split_once('='))
        .filter(|(key, _)| key.starts_with("edgectl:"))
        .collect()
}

/// Every Origin Access Control of the account (one page per 100).
async fn list_all(cx: &Cx) -> Result<Vec<OriginAccessControlSummary>, AwsError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = cx
            .clients
            .cloudfront
            .list_origin_access_controls()
            .set_marker(marker.clone())
            .send()
            .await
            .aws("ListOriginAccessControls")?;
        let Some(list) = page.origin_access_control_list() else {
            return Ok(out);
        };
        out.extend(list.items().iter().cloned());
        marker = list
            .next_marker()
            .filter(|next| !next.is_empty())
            .map(str::to_string);
        if marker.is_none() {
            return Ok(out);
        }
    }
}

/// Names of Origin Access Controls are unique in the account: one of the name without
/// the stack's mark in its description is refused before anything changes.
pub async fn preflight_create(cx: &Cx, desired: &Desired) -> Result<(), String> {
    let props =
        OriginAccessControlProps::from_props(&desired.props).map_err(|error| error.to_string())?;
    let name = props.name.as_str();
    let all = list_all(cx)
        .await
        .map_err(|error| format!("cannot check whether the name is taken: {error}"))?;
    let Some(taken) = all.iter().find(|summary| summary.name() == name) else {
        return Ok(());
    };
    match crate::aws::tags::name_taken(
        &cx.stack,
        &desired.id,
        &format!("origin access control `{name}` ({})", taken.id()),
        marks(taken.description()),
    ) {
        Some(why) => Err(why),
        None => Ok(()),
    }
}

pub async fn observe(cx: &Cx) -> Result<Vec<Observed>, AwsError> {
    Ok(list_all(cx)
        .await?
        .iter()
        .filter_map(|summary| {
            let id = owner(&cx.stack, summary.description())?;
            let props = OriginAccessControlProps {
                name: summary.name().to_string(),
                origin_type: summary
                    .origin_access_control_origin_type()
                    .as_str()
                    .to_string(),
                signing: format!(
                    "{} {}",
                    summary.signing_behavior().as_str(),
                    summary.signing_protocol().as_str()
                ),
            };
            Some(Observed::new(id, summary.id(), props.into_props()))
        })
        .collect())
}

/// What the create and update calls send: the name, the stack's mark, and the origin type
/// and signing the properties say (S3, SigV4 always, for every one the lowering makes),
/// so that what is compared is what is sent.
fn config(op: &OpCx<'_>, desired: &Desired) -> Result<OriginAccessControlConfig, AwsError> {
    let props = OriginAccessControlProps::from_props(&desired.props)?;
    let (behavior, protocol) = props.signing.split_once(' ').ok_or_else(|| {
        AwsError::new(
            ErrorKind::Other,
            "CreateOriginAccessControl",
            format!("signing `{}` is not `<behavior> <protocol>`", props.signing),
        )
    })?;
    built(
        "CreateOriginAccessControl",
        OriginAccessControlConfig::builder()
            .name(props.name)
            .description(description(&op.cx.stack, op.id))
            .signing_protocol(known::<OriginAccessControlSigningProtocols>(
                "signing protocol",
                protocol,
                OriginAccessControlSigningProtocols::values(),
            )?)
            .signing_behavior(known::<OriginAccessControlSigningBehaviors>(
                "signing behavior",
                behavior,
                OriginAccessControlSigningBehaviors::values(),
            )?)
            .origin_access_control_origin_type(known::<OriginAccessControlOriginTypes>(
                "origin type",
                &props.origin_type,
                OriginAccessControlOriginTypes::values(),
            )?)
            .build(),
    )
}

/// One of the values CloudFront knows for `what`, or an error naming it (never an
/// unknown value sent on).
fn known<T: for<'a> From<&'a str>>(
    what: &str,
    value: &str,
    values: &[&str],
) -> Result<T, AwsError> {
    if values.contains(&value) {
        Ok(T::from(value))
    } else {
        Err(AwsError::new(
            ErrorKind::Other,
            "CreateOriginAccessControl",
            format!(
                "`{value}` is not an origin access control {what} CloudFront knows ({})",
                values.join(", ")
            ),
        ))
    }
}

pub async fn create(op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
    let created = op
        .cx
        .clients
        .cloudfront
        .create_origin_access_control()
        .origin_access_control_config(config(op, desired)?)
        .send()
        .await
        .aws("CreateOriginAccessControl")?;
    created
        .origin_access_control()
        .map(|control| control.id().to_string())
        .ok_or_else(|| AwsError::missing("CreateOriginAccessControl", "OriginAccessControl"))
}

pub async fn update(op: &OpCx<'_>, desired: &Desired, observed: &Observed) -> Result<(), AwsError> {
    let cloudfront = &op.cx.clients.cloudfront;
    let current = cloudfront
        .get_origin_access_control()
        .id(&observed.physical_id)
        .send()
        .await
        .aws("GetOriginAccessControl")?;
    cloudfront
        .update_origin_access_control()
        .id(&observed.physical_id)
        .set_if_match(current.e_tag().map(str::to_string))
        .origin_access_control_config(config(op, desired)?)
        .send()
        .await
        .aws("UpdateOriginAccessControl")?;
    Ok(())
}

pub async fn delete(op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
    let cloudfront = &op.cx.clients.cloudfront;
    // Refused while a distribution still uses it: that deletion settles first.
    let current = cloudfront
        .get_origin_access_control()
        .id(&observed.physical_id)
        .send()
        .await
        .aws("GetOriginAccessControl")?;
    cloudfront
        .delete_origin_access_control()
        .id(&observed.physical_id)
        .set_if_match(current.e_tag().map(str::to_string))
        .send()
        .await
        .aws("DeleteOriginAccessControl")?;
    Ok(())
}

/// Origin Access Controls: their own kind, read with one paginated listing.
pub struct OriginAccessControlAdapter;

#[async_trait::async_trait]
impl crate::engine::kind::Kind for OriginAccessControlAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[crate::aws::ids::ORIGIN_ACCESS_CONTROL]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        observe(cx).await
    }

    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        preflight_create(cx, desired).await
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        create(op, desired).await
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        _changes: &[crate::engine::diff::Change],
    ) -> Result<(), AwsError> {
        update(op, desired, observed).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        // Already gone (NoSuchDistribution, NoSuchOriginAccessControl) is done: the walk
        // takes "not found" on a delete as success.
        delete(op, observed).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ids::oac_id;

    #[test]
    fn only_values_cloudfront_knows_are_sent() {
        let s3: OriginAccessControlOriginTypes = known(
            "origin type",
            "s3",
            OriginAccessControlOriginTypes::values(),
        )
        .unwrap();
        assert_eq!(s3, OriginAccessControlOriginTypes::S3);
        let wrong = known::<OriginAccessControlSigningBehaviors>(
            "signing behavior",
            "sometimes",
            OriginAccessControlSigningBehaviors::values(),
        )
        .unwrap_err();
        assert!(wrong.message.contains("`sometimes`"), "{}", wrong.message);
    }

    #[test]
    fn ownership_is_read_from_the_description() {
        let id = oac_id("site");
        assert_eq!(owner("demo", &description("demo", &id)), Some(id.clone()));
        assert_eq!(owner("other", &description("demo", &id)), None);
        assert_eq!(owner("demo", "made by hand"), None);
    }
}
