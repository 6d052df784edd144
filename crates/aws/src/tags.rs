//! Ownership tags: every resource edgectl creates carries `edgectl:stack` and `edgectl:id`
//! from its create call, and live state is found by them. A resource without them is
//! never touched, whatever its name, unless `edgectl adopt` is asked to take it over (it
//! then writes them, and nothing else).

use std::collections::BTreeMap;

use super::errors::AwsError;
use crate::engine::model::{ResourceId, Value};
use crate::engine::typed::Prop as _;

pub const STACK_TAG: &str = "edgectl:stack";
pub const ID_TAG: &str = "edgectl:id";
/// On resources whose manifest says `retain: true`: destroy, and removal from the
/// manifest, leave them in place (`Observed::retained`, read by `pipeline::observe_raw`).
/// A managed tag like any other, so a plan shows when it is added or removed.
pub const RETAIN_TAG: &str = "edgectl:retain";

/// Whether a resource's tags mark it retained.
pub fn retained(tags: &Value) -> bool {
    tags.as_map()
        .and_then(|map| map.get(RETAIN_TAG))
        .is_some_and(|value| value.as_str() == Some("true"))
}

/// The tags edgectl manages on a resource besides ownership: the manifest's common tags and
/// `Name`. This is the `tags` property that plans compare.
pub fn desired_tags(common: &BTreeMap<String, String>, name: &str) -> Value {
    desired_tag_map(common, name).into_value()
}

/// [`desired_tags`] as a typed property holds them.
pub fn desired_tag_map(common: &BTreeMap<String, String>, name: &str) -> BTreeMap<String, String> {
    let mut tags = common.clone();
    tags.insert("Name".to_string(), name.to_string());
    tags
}

/// The managed tags of a resource with its own `tags` and `retain` in the manifest.
pub fn managed_tags(
    common: &BTreeMap<String, String>,
    own: &BTreeMap<String, String>,
    name: &str,
    retain: bool,
) -> Value {
    managed_tag_map(common, own, name, retain).into_value()
}

/// [`managed_tags`] as a typed property holds them.
pub fn managed_tag_map(
    common: &BTreeMap<String, String>,
    own: &BTreeMap<String, String>,
    name: &str,
    retain: bool,
) -> BTreeMap<String, String> {
    let mut tags = common.clone();
    tags.extend(own.iter().map(|(key, value)| (key.clone(), value.clone())));
    let mut tags = desired_tag_map(&tags, name);
    if retain {
        tags.insert(RETAIN_TAG.to_string(), "true".to_string());
    }
    tags
}

/// The ownership tags and the resource's managed ones (its typed `tags`, the `Name` tag
/// among them) for `op`'s create call.
pub fn for_create(
    op: &crate::OpCx<'_>,
    managed: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    create_tags(&op.cx.stack, op.id, managed)
}

/// Everything written at create time: ownership plus the managed tags.
pub fn create_tags(
    stack: &str,
    id: &ResourceId,
    managed: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    let mut tags = vec![
        (STACK_TAG.to_string(), stack.to_string()),
        (ID_TAG.to_string(), id.to_string()),
    ];
    tags.extend(
        managed
            .iter()
            .map(|(key, value)| (key.clone(), value.clone())),
    );
    tags
}

/// The managed view of live tags: ownership and `aws:` tags are not compared.
pub fn observed_tags<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> Value {
    observed_tag_map(tags).into_value()
}

/// [`observed_tags`] as a typed property holds them.
pub fn observed_tag_map<'a>(
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> BTreeMap<String, String> {
    tags.into_iter()
        .filter(|(key, _)| {
            *key == RETAIN_TAG || (!key.starts_with("edgectl:") && !key.starts_with("aws:"))
        })
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

/// The logical id a live resource's tags give it, when they say it belongs to `stack`.
pub fn owned_id<'a>(
    stack: &str,
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Option<ResourceId> {
    let tags: BTreeMap<&str, &str> = tags.into_iter().collect();
    (tags.get(STACK_TAG) == Some(&stack))
        .then(|| tags.get(ID_TAG).map(|id| ResourceId::parse(id)))?
}

/// Why a live resource of the name a create needs is not the stack's: who its tags say
/// owns it, and how to proceed. `None` when it is this very resource (`id` of `stack`).
pub fn name_taken<'a>(
    stack: &str,
    id: &ResourceId,
    what: &str,
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Option<String> {
    taken(stack, id, what, tags, false)
}

/// [`name_taken`] for a kind `edgectl adopt` takes over: one without an edgectl stack's
/// tags may be adopted, and the message says how.
pub fn name_taken_adoptable<'a>(
    stack: &str,
    id: &ResourceId,
    what: &str,
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Option<String> {
    taken(stack, id, what, tags, true)
}

fn taken<'a>(
    stack: &str,
    id: &ResourceId,
    what: &str,
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
    adopts: bool,
) -> Option<String> {
    let tags: BTreeMap<&str, &str> = tags.into_iter().collect();
    let adoptable = adopts && !tags.contains_key(STACK_TAG);
    let owner = match (tags.get(STACK_TAG), tags.get(ID_TAG)) {
        (Some(theirs), Some(their_id)) if *theirs == stack && *their_id == id.to_string() => {
            return None;
        }
        (Some(theirs), Some(their_id)) if *theirs == stack => {
            format!("it is this stack's `{their_id}`")
        }
        (Some(theirs), _) => format!("it belongs to edgectl stack `{theirs}`"),
        _ => match tags
            .get("aws:cloudformation:stack-name")
            .or_else(|| tags.get("pulumi:project"))
        {
            Some(other) => format!("it has no edgectl tags and was made by `{other}`"),
            None => "it has no edgectl tags: someone made it outside this stack".to_string(),
        },
    };
    let adopt = match adoptable {
        true => format!(
            ", or take it over with `edgectl adopt -f FILE {id}` (where edgectl adopts its kind)"
        ),
        false => String::new(),
    };
    Some(format!(
        "{what} already exists and {owner}; edgectl never changes or deletes what it did not create. Give `{id}` another `name` in the manifest, or remove the existing one yourself{adopt}"
    ))
}

/// A resource of the stack as the Resource Groups Tagging API lists it: logical id, ARN,
/// tags.
pub type Tagged = (ResourceId, String, Vec<(String, String)>);

/// The stack's resources of `kind` among those the Resource Groups Tagging API lists by
/// the stack's tag (for the kinds whose own service lists nothing by tag): one query per
/// command, of every resource type, which every kind that needs it and [`live_kinds`]
/// share.
/// The API is eventually consistent: a resource made a moment ago may be missing, so the
/// kinds that use it have creates that find their resource again by name or alias.
pub async fn tagged(cx: &super::Cx, kind: &str) -> Result<Vec<Tagged>, AwsError> {
    let all = cx
        .reads
        .tagged
        .get_or_try_init(|| query_tagged(cx, &cx.clients.tagging))
        .await?;
    Ok(all
        .iter()
        .filter(|(id, _, _)| id.kind() == kind)
        .cloned()
        .collect())
}

/// [`tagged`]'s resources of `kind` whose ARN holds `marker` (`:repository/`), when
/// they can be trusted to be all of them: every one the command expects
/// (`Reads::expected`) is among them. A kind then reads only those, by name or id, and its
/// reads grow with the stack, never with the account. `None` when one expected is missing
/// — not made yet, or made a moment ago by a run that died and not yet shown by the
/// eventually consistent API — or when the command has not said what it expects: the
/// kind then lists its resources in its own service, whose reads are consistent, as
/// before a create. (A kind of which the command expects nothing, a section removed whole,
/// trusts the listing: what it shows is what is deleted.) The
/// API also lags behind a delete: a kind that reads fewer than it expects of those listed
/// ([`covers`]) lists its service's too.
pub async fn tagged_complete(
    cx: &super::Cx,
    kind: &str,
    marker: &str,
    global: bool,
) -> Result<Option<Vec<Tagged>>, AwsError> {
    if cx.reads.expected.get().is_none() {
        return Ok(None);
    }
    // us-east-1's listing (CloudFront's distributions) when `global`.
    let listed = match global {
        true => tagged_global(cx, kind).await?,
        false => tagged(cx, kind).await?,
    };
    Ok(trusted(cx, kind, marker, listed))
}

/// `listed`, of the type `marker` names (a database's snapshots and backups carry its
/// id too), when it holds every resource of `kind` the command expects.
pub fn trusted(
    cx: &super::Cx,
    kind: &str,
    marker: &str,
    mut listed: Vec<Tagged>,
) -> Option<Vec<Tagged>> {
    listed.retain(|(_, arn, _)| arn.contains(marker) && !leftover(arn));
    let ids = listed.iter().map(|(id, _, _)| id);
    covers(cx, kind, ids).then_some(listed)
}

/// How a kind finds the stack's resources of `kind` so that its reads grow with the
/// stack: `listed` reads those the tagging API lists (their ARNs, of the type `marker`
/// names: [`arn_names`] gives what follows it; us-east-1's listing when `global`), and
/// when what it read (each one's
/// logical id by `id`, when the stack owns it) covers every one the command expects, that
/// is all; otherwise `every` reads them from the service's own listing, as before a
/// create.
pub async fn discover<T>(
    cx: &super::Cx,
    kind: &str,
    marker: &str,
    global: bool,
    id: impl Fn(&T) -> Option<ResourceId>,
    listed: impl AsyncFnOnce(Vec<String>) -> Result<Vec<T>, AwsError>,
    every: impl AsyncFnOnce() -> Result<Vec<T>, AwsError>,
) -> Result<Vec<T>, AwsError> {
    if let Some(trusted) = tagged_complete(cx, kind, marker, global).await? {
        let arns = trusted.into_iter().map(|(_, arn, _)| arn).collect();
        let read = listed(arns).await?;
        let ids: Vec<ResourceId> = read.iter().filter_map(&id).collect();
        if covers(cx, kind, ids.iter()) {
            return Ok(read);
        }
    }
    every().await
}

/// What follows `marker` in each ARN: the names or ids a kind reads its resources by
/// (`:repository/` gives an ECR repository's name).
pub fn arn_names(arns: &[String], marker: &str) -> Vec<String> {
    arns.iter()
        .filter_map(|arn| arn.split_once(marker).map(|(_, name)| name.to_string()))
        .collect()
}

/// Whether `found` holds every resource of `kind` the command expects: what a kind read
/// of those the tagging API listed (one deleted since, or a stale ARN of one replaced
/// since, reads as gone: then the kind lists its service's resources as well).
pub fn covers<'a>(
    cx: &super::Cx,
    kind: &str,
    found: impl IntoIterator<Item = &'a ResourceId> + Clone,
) -> bool {
    let Some(expected) = cx.reads.expected.get() else {
        return false;
    };
    expected
        .iter()
        .filter(|id| id.kind() == kind)
        .all(|id| found.clone().into_iter().any(|found| found == id))
}

/// The kinds the stack has live resources of, as the tagging API lists them by its tag:
/// in its region, and in us-east-1 (CloudFront's distributions and certificates, Route
/// 53's zones, the dashboards) when that is another. A command reads the kinds its
/// manifest makes and these, so that a section removed whole is still deleted, and a
/// role scoped to the stack's kinds (`edgectl policy`) reads nothing else. The API is
/// eventually consistent: a resource made seconds ago by a run that died may be missing
/// for a moment, which matters only when the manifest has also dropped its kind since.
pub async fn live_kinds(cx: &super::Cx) -> Result<std::collections::BTreeSet<String>, AwsError> {
    let regional = cx
        .reads
        .tagged
        .get_or_try_init(|| query_tagged(cx, &cx.clients.tagging));
    // us-east-1 is the `aws` partition's; the others have no global twin there.
    let global_too = cx.region != "us-east-1" && super::naming::partition(&cx.region) == "aws";
    let listed: Vec<Tagged> = if global_too {
        let global = cx
            .reads
            .tagged_global
            .get_or_try_init(|| query_tagged(cx, &cx.clients.tagging_global));
        let (regional, global) = futures::try_join!(regional, global)?;
        regional.iter().chain(global.iter()).cloned().collect()
    } else {
        regional.await?.clone()
    };
    let mut kinds: std::collections::BTreeSet<String> = listed
        .iter()
        .filter(|(_, arn, _)| !leftover(arn))
        .map(|(id, _, _)| id.kind().to_string())
        .collect();
    kinds.remove("");
    Ok(kinds)
}

/// What AWS keeps with its tags of what the stack made, which is no live resource of a
/// kind: a database's final snapshot (it copies the instance's tags), a task definition's
/// revision (deregistered ones stay, and a service's live ones come with the service, its
/// log group and target group), a task (a stopped one is listed for a while).
fn leftover(arn: &str) -> bool {
    [
        ":snapshot:",
        ":cluster-snapshot:",
        ":task-definition/",
        ":task/",
    ]
    .iter()
    .any(|part| arn.contains(part))
}

/// [`tagged`] in us-east-1 (CloudFront's certificates), one query per command.
pub async fn tagged_global(cx: &super::Cx, kind: &str) -> Result<Vec<Tagged>, AwsError> {
    // In us-east-1 the stack's own query is that one; other partitions have no twin
    // there (their kinds read by it then list their service's resources).
    if cx.region == "us-east-1" {
        return tagged(cx, kind).await;
    }
    if super::naming::partition(&cx.region) != "aws" {
        return Ok(Vec::new());
    }
    let all = cx
        .reads
        .tagged_global
        .get_or_try_init(|| query_tagged(cx, &cx.clients.tagging_global))
        .await?;
    Ok(all
        .iter()
        .filter(|(id, _, _)| id.kind() == kind)
        .cloned()
        .collect())
}

async fn query_tagged(
    cx: &super::Cx,
    client: &aws_sdk_resourcegroupstagging::Client,
) -> Result<Vec<Tagged>, AwsError> {
    use super::errors::AwsResultExt as _;
    let filter = aws_sdk_resourcegroupstagging::types::TagFilter::builder()
        .key(STACK_TAG)
        .values(cx.stack.as_str())
        .build();
    let pages: Vec<_> = client
        .get_resources()
        .tag_filters(filter)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .aws("GetResources")?;
    let mut found = Vec::new();
    for mapping in pages
        .iter()
        .flat_map(|page| page.resource_tag_mapping_list())
    {
        let pairs: Vec<(String, String)> = mapping
            .tags()
            .iter()
            .map(|tag| (tag.key().to_string(), tag.value().to_string()))
            .collect();
        let borrowed = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let Some(id) = owned_id(&cx.stack, borrowed) else {
            continue;
        };
        let Some(arn) = mapping.resource_arn() else {
            return Err(AwsError::missing("GetResources", "ResourceARN"));
        };
        found.push((id, arn.to_string(), pairs));
    }
    Ok(found)
}

/// A service's two tagging calls: set (add or overwrite) and remove by key. One impl per
/// service, beside its other helpers; [`sync`] is the one way tags are updated.
#[async_trait::async_trait]
pub trait Tagging: Sync {
    async fn tag(&self, resource: &str, tags: Vec<(String, String)>) -> Result<(), AwsError>;
    async fn untag(&self, resource: &str, keys: Vec<String>) -> Result<(), AwsError>;
}

/// [`Tagging`] for a service whose calls are `TagResource(ResourceArn, Tags)` and
/// `UntagResource(ResourceArn, TagKeys)` (ECS, ECR, CloudWatch Logs); `$tags` turns the
/// pairs into the service's tag list, fallibly. Where the resource's parameter has
/// another name (Secrets Manager's `SecretId`, KMS's `KeyId`), it is the third argument.
///
/// A kind outside this crate (`kinds/`) may not implement [`Tagging`] for an SDK client
/// (Rust's orphan rule): `tagging_by_arn!(struct Sns(aws_sdk_sns::Client), sns_tags)`
/// declares a type of the kind's own around the client, and implements it for that.
#[macro_export]
macro_rules! tagging_by_arn {
    (struct $name:ident($client:ty), $tags:expr $(, $resource:ident)?) => {
        /// The client as the stack's tagging sees it: a type of this kind's own, so that
        /// the kind implements `tags::Tagging` for it.
        pub struct $name<'a>(pub &'a $client);

        impl std::ops::Deref for $name<'_> {
            type Target = $client;

            fn deref(&self) -> &$client {
                self.0
            }
        }

        $crate::tagging_by_arn!($name<'_>, $tags $(, $resource)?);
    };
    ($client:ty, $tags:expr) => {
        $crate::tagging_by_arn!($client, $tags, resource_arn);
    };
    ($client:ty, $tags:expr, $resource:ident) => {
        #[async_trait::async_trait]
        impl $crate::tags::Tagging for $client {
            async fn tag(
                &self,
                arn: &str,
                tags: Vec<(String, String)>,
            ) -> Result<(), $crate::errors::AwsError> {
                use $crate::errors::AwsResultExt as _;
                self.tag_resource()
                    .$resource(arn)
                    .set_tags(Some(($tags)(tags)?))
                    .send()
                    .await
                    .aws("TagResource")
                    .map(drop)
            }

            async fn untag(
                &self,
                arn: &str,
                keys: Vec<String>,
            ) -> Result<(), $crate::errors::AwsError> {
                use $crate::errors::AwsResultExt as _;
                self.untag_resource()
                    .$resource(arn)
                    .set_tag_keys(Some(keys))
                    .send()
                    .await
                    .aws("UntagResource")
                    .map(drop)
            }
        }
    };
}
pub use crate::tagging_by_arn;

/// `edgectl adopt`'s one write: [`adopt_tags`] on `resource`, which `op`'s resource
/// (`desired`) takes over (its other tags stay as they are until the next apply).
pub async fn adopt(
    service: &impl Tagging,
    resource: &str,
    op: &crate::OpCx<'_>,
    desired: &crate::engine::model::Desired,
) -> Result<(), AwsError> {
    service.tag(resource, adopt_tags(op, desired)).await
}

/// What adopt writes: the stack's ownership tags, and `edgectl:retain` where the manifest
/// keeps the resource (a file system, a retained secret), so that a destroy run before
/// the next apply keeps it too.
pub fn adopt_tags(
    op: &crate::OpCx<'_>,
    desired: &crate::engine::model::Desired,
) -> Vec<(String, String)> {
    let retained = desired
        .props
        .get("tags")
        .and_then(|field| field.value.as_map())
        .and_then(|map| map.get(RETAIN_TAG))
        == Some(&Value::str("true"));
    let keep: BTreeMap<String, String> = retained
        .then(|| (RETAIN_TAG.to_string(), "true".to_string()))
        .into_iter()
        .collect();
    create_tags(&op.cx.stack, op.id, &keep)
}

/// Brings `resource`'s managed tags from `old` to `new` (ownership tags are not managed,
/// so never touched), each call sent only when it has something to send.
pub async fn sync(
    service: &impl Tagging,
    resource: &str,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let (to_set, to_remove) = tag_delta(old, new);
    if !to_set.is_empty() {
        service.tag(resource, to_set).await?;
    }
    if !to_remove.is_empty() {
        service.untag(resource, to_remove).await?;
    }
    Ok(())
}

/// Tags to set and keys to remove to go from `old` to `new`.
pub fn tag_delta(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> (Vec<(String, String)>, Vec<String>) {
    let set = new
        .iter()
        .filter(|(key, value)| old.get(*key) != Some(value))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let remove = old
        .keys()
        .filter(|key| !new.contains_key(*key))
        .cloned()
        .collect();
    (set, remove)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ownership_needs_the_stack_and_an_id() {
        let id = owned_id("demo", [("edgectl:stack", "demo"), ("edgectl:id", "vpc")]);
        assert_eq!(id, Some(ResourceId::parse("vpc")));
        assert_eq!(
            owned_id("demo", [("edgectl:stack", "other"), ("edgectl:id", "vpc")]),
            None
        );
        assert_eq!(owned_id("demo", [("Name", "demo-vpc")]), None);
    }

    #[test]
    fn tag_delta_sets_changed_and_removes_missing() {
        let map = |pairs: [(&str, &str); 2]| -> BTreeMap<String, String> {
            pairs
                .into_iter()
                .map(|(key, value)| (key.to_string(), value.to_string()))
                .collect()
        };
        let old = map([("a", "1"), ("b", "2")]);
        let new = map([("a", "1"), ("c", "3")]);
        assert_eq!(
            tag_delta(&old, &new),
            (vec![("c".into(), "3".into())], vec!["b".to_string()])
        );
    }
}
