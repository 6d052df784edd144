//! What EC2's kinds (`kinds/network`, `kinds/security_group`) share: the stack's VPCs read
//! once, ownership filters, tag specifications, idempotency tokens, and explaining what
//! blocks a delete.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};

use super::errors::{AwsError, AwsResultExt, ErrorKind};
use super::tags;
use super::{Cx, OpCx};
use crate::engine::model::{ResourceId, Value};

/// The one filter every observe uses: resources tagged with this stack.
/// The stack's VPCs (one DescribeVpcs, shared by every EC2 adapter).
pub async fn stack_vpcs(cx: &Cx) -> Result<&[aws_sdk_ec2::types::Vpc], AwsError> {
    cx.reads
        .stack_vpcs
        .get_or_try_init(|| async {
            cx.clients
                .ec2
                .describe_vpcs()
                .filters(owned_filter(cx))
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .aws("DescribeVpcs")
        })
        .await
        .map(Vec::as_slice)
}

/// Whether anything edgectl puts inside a VPC can exist: subnets, gateways, route tables,
/// security groups and endpoints live in the stack's VPC, and AWS deletes a VPC only
/// once they are gone, so without one their describes are skipped.
pub async fn stack_has_vpc(cx: &Cx) -> Result<bool, AwsError> {
    Ok(!stack_vpcs(cx).await?.is_empty())
}

/// The id of the stack's VPC (`vpc`), when it exists.
pub async fn stack_vpc_id(cx: &Cx) -> Result<Option<String>, AwsError> {
    Ok(stack_vpcs(cx)
        .await?
        .iter()
        .find(|vpc| owned_id(cx, vpc.tags()).is_some_and(|id| id == ResourceId::singleton("vpc")))
        .and_then(|vpc| vpc.vpc_id())
        .map(str::to_string))
}

pub fn owned_filter(cx: &Cx) -> Filter {
    Filter::builder()
        .name(format!("tag:{}", tags::STACK_TAG))
        .values(&cx.stack)
        .build()
}

pub fn tag_pairs(tags: &[Tag]) -> impl Iterator<Item = (&str, &str)> {
    tags.iter()
        .filter_map(|tag| Some((tag.key()?, tag.value()?)))
}

/// The logical id of an owned resource, from its tags.
pub fn owned_id(cx: &Cx, tags: &[Tag]) -> Option<ResourceId> {
    tags::owned_id(&cx.stack, tag_pairs(tags))
}

/// The managed view of a resource's live tags, as a kind's typed `tags` holds them.
pub fn observed_tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags::observed_tag_map(tag_pairs(tags))
}

/// Tags applied by the create call itself, so a resource is never untagged, even for an
/// instant: an apply killed right after the call finds it by its tags.
pub fn tag_spec(resource_type: ResourceType, tags: Vec<(String, String)>) -> TagSpecification {
    let tags = tags
        .into_iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect();
    TagSpecification::builder()
        .resource_type(resource_type)
        .set_tags(Some(tags))
        .build()
}

pub use super::naming::client_token;

/// `edgectl adopt`: of the live resources that match a desired one where it sits (a
/// subnet's CIDR in its VPC), each with its tags and read under the desired id, the one
/// to take over; several are refused, named, with how to pin one.
pub async fn pick(
    op: &OpCx<'_>,
    noun: &str,
    matches: Vec<(Vec<Tag>, crate::engine::model::Observed)>,
) -> Result<crate::engine::kind::Found, AwsError> {
    let matches = matches
        .into_iter()
        .map(|(tags, observed)| {
            let pairs = tag_pairs(&tags)
                .map(|(key, value)| (key.to_string(), value.to_string()))
                .collect();
            (pairs, observed)
        })
        .collect();
    super::adopt::pick(op, noun, matches).await
}

/// [`pick`] over what a describe listed: each item's tags, and the item read (`read`)
/// under the desired id.
pub async fn pick_from<T>(
    op: &OpCx<'_>,
    noun: &str,
    items: &[T],
    tags: impl Fn(&T) -> &[Tag],
    read: impl Fn(&T, ResourceId) -> Result<crate::engine::model::Observed, AwsError>,
) -> Result<crate::engine::kind::Found, AwsError> {
    let matches = items
        .iter()
        .map(|item| Ok((tags(item).to_vec(), read(item, op.id.clone())?)))
        .collect::<Result<_, AwsError>>()?;
    pick(op, noun, matches).await
}

/// `edgectl adopt`'s one write on an EC2 resource: the stack's ownership tags.
pub async fn adopt(
    op: &OpCx<'_>,
    desired: &crate::engine::model::Desired,
    found: &crate::engine::model::Observed,
) -> Result<(), AwsError> {
    tags::adopt(&op.cx.clients.ec2, &found.physical_id, op, desired).await
}

/// A filter of EC2's describes: `name` is one of `values`.
pub fn filter(name: &str, values: &[&str]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.iter().map(ToString::to_string).collect()))
        .build()
}

/// Updates the managed tags of `resource` from `old` (live) to `new` (the manifest's),
/// ownership tags untouched: the only in-place change several EC2 kinds have.
pub async fn sync_tags(
    op: &OpCx<'_>,
    resource: &str,
    old: BTreeMap<String, String>,
    new: BTreeMap<String, String>,
) -> Result<(), AwsError> {
    tags::sync(&op.cx.clients.ec2, resource, &old, &new).await
}

/// The physical id behind a reference the manifest always gives but a live resource may
/// lack (a detached gateway's VPC): absent is an error, as any value that is no reference.
pub fn resolve_given(op: &OpCx<'_>, value: Option<&Value>) -> Result<String, AwsError> {
    op.resolve(value.unwrap_or(&Value::Null))
}

#[async_trait::async_trait]
impl tags::Tagging for aws_sdk_ec2::Client {
    async fn tag(&self, resource: &str, tags: Vec<(String, String)>) -> Result<(), AwsError> {
        let tags = tags
            .into_iter()
            .map(|(key, value)| Tag::builder().key(key).value(value).build())
            .collect();
        self.create_tags()
            .resources(resource)
            .set_tags(Some(tags))
            .send()
            .await
            .aws("CreateTags")
            .map(drop)
    }

    async fn untag(&self, resource: &str, keys: Vec<String>) -> Result<(), AwsError> {
        let tags = keys
            .into_iter()
            .map(|key| Tag::builder().key(key).build())
            .collect();
        self.delete_tags()
            .resources(resource)
            .set_tags(Some(tags))
            .send()
            .await
            .aws("DeleteTags")
            .map(drop)
    }
}

/// When a delete is refused because something still uses the resource, name what: the
/// network interfaces (and their instances or owners) found in it.
pub async fn explain_dependency(
    cx: &Cx,
    filter: &str,
    physical: &str,
    error: AwsError,
) -> AwsError {
    if error.kind != ErrorKind::Dependency {
        return error;
    }
    let found = cx
        .clients
        .ec2
        .describe_network_interfaces()
        .filters(Filter::builder().name(filter).values(physical).build())
        .send()
        .await;
    let Ok(found) = found else { return error };
    let users: Vec<String> = found
        .network_interfaces()
        .iter()
        .map(|interface| {
            let mut text = interface.network_interface_id().unwrap_or("?").to_string();
            if let Some(instance) = interface
                .attachment()
                .and_then(|attachment| attachment.instance_id())
            {
                text.push_str(&format!(" (instance {instance})"));
            } else if let Some(description) = interface
                .description()
                .filter(|description| !description.is_empty())
            {
                text.push_str(&format!(" ({description})"));
            }
            text
        })
        .collect();
    if users.is_empty() {
        return error;
    }
    AwsError {
        message: format!(
            "{physical} is still in use by {} network interface(s) edgectl does not manage: {}; delete or move them, then run again",
            users.len(),
            users.join(", ")
        ),
        ..error
    }
}

/// The tags of the EC2 kinds' resources: written by the create that makes one, or on the
/// stack's own (never the stack's tag put on another's resource).
pub const TAG_PERMISSIONS: &[crate::permissions::Permission] = &[
    crate::permissions::Permission {
        actions: &["ec2:CreateTags"],
        on: crate::permissions::On::Creating("ec2:CreateAction"),
    },
    crate::permissions::Permission {
        actions: &["ec2:CreateTags", "ec2:DeleteTags"],
        on: crate::permissions::On::Owned,
    },
];
