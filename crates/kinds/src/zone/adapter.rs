//! Route 53: hosted zones the stack makes (`zone.<key>`) and the records it writes
//! (`record.<zone>.<label>.<type>`), in its own zones or in zones someone else owns.
//!
//! A zone is the stack's when CreateHostedZone's caller reference says so
//! (`edgectl/<stack>/<id>/<nonce>`: the one mark a zone carries from its create call);
//! its tags follow with ChangeTagsForResource. Records carry no tags: each record set
//! edgectl writes has a TXT marker beside it, `_edgectl.<type>.<name>`, holding the
//! stack and the logical id, written and deleted in the same change batch as the record
//! (a batch is atomic). A record without a marker is never changed, whoever's zone it
//! is in. Zones are read once per command (ListHostedZones); the record sets of the
//! stack's zones and of the zones the manifest names, once per zone.
//!
//! ACM asks every certificate of a name in one account for the same validation CNAME: a
//! validation record (`shareable`) that exists already with exactly the value ACM asks for
//! (written by hand, by the CDK stack this one replaces, by another stack) satisfies the
//! validation without being taken over. The stack then writes only a marker of its own,
//! `_edgectl-shared.<stack>.<type>.<name>`, saying it relies on that record: the record
//! is read, never changed or deleted; a destroy deletes the marker alone. One of that
//! name with another value is refused, named.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ChangeStatus, HostedZone, HostedZoneConfig,
    ResourceRecord, ResourceRecordSet, RrType, Tag, TagResourceType,
};
use futures::future::try_join_all;

use super::lower::{Alias, RecordProps, ZoneProps};
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::ids::{RECORD, ZONE};
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::Change as FieldChange;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::{Prop as _, Properties as _};

/// A value an operation needs as text (a reference resolved by then): an error naming it
/// when it is not.
fn text<'a>(operation: &str, what: &str, value: &'a Value) -> Result<&'a str, AwsError> {
    value.as_str().ok_or_else(|| {
        AwsError::new(
            ErrorKind::Other,
            operation,
            format!("the record's {what} is {value}, not yet known"),
        )
    })
}

/// Where a record's ownership marker lives: `_edgectl.<type>.<name>`.
const MARKER: &str = "_edgectl";
/// Where the marker of a record the stack relies on and does not own lives:
/// `_edgectl-shared.<stack>.<type>.<name>` (one per stack: the record may be another's).
const SHARED_MARKER: &str = "_edgectl-shared";

/// The caller reference of the stack's zones starts with this.
fn reference_prefix(stack: &str, id: &ResourceId) -> String {
    format!("edgectl/{stack}/{id}/")
}

fn bare_id(id: &str) -> String {
    id.trim_start_matches("/hostedzone/").to_string()
}

/// A name as Route 53 answers it (`Example.com.`) as the manifest writes it.
fn plain(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn build_error(
    operation: &'static str,
) -> impl Fn(aws_smithy_types::error::operation::BuildError) -> AwsError {
    move |error| AwsError::new(ErrorKind::Other, operation, error.to_string())
}

/// The account's hosted zones, read once per command.
/// What the zone and record adapters share, read once per command.
#[derive(Default)]
struct Reads {
    /// The account's hosted zones.
    hosted_zones: tokio::sync::OnceCell<Vec<HostedZone>>,
    /// The record sets of the stack's zones and the zones the manifest names, by zone id.
    record_sets: tokio::sync::OnceCell<BTreeMap<String, Vec<ResourceRecordSet>>>,
}

async fn hosted_zones(cx: &Cx) -> Result<&Vec<HostedZone>, AwsError> {
    cx.reads
        .kinds
        .get::<Reads>()
        .hosted_zones
        .get_or_try_init(|| async {
            let pages: Vec<_> = cx
                .clients
                .route53
                .list_hosted_zones()
                .into_paginator()
                .send()
                .try_collect()
                .await
                .aws("ListHostedZones")?;
            Ok(pages
                .iter()
                .flat_map(|page| page.hosted_zones().to_vec())
                .collect())
        })
        .await
}

/// The stack's logical id of a zone, from its caller reference.
fn owned_zone(stack: &str, zone: &HostedZone) -> Option<ResourceId> {
    let rest = zone
        .caller_reference()
        .strip_prefix(&format!("edgectl/{stack}/"))?;
    let (id, _nonce) = rest.rsplit_once('/')?;
    Some(ResourceId::parse(id))
}

fn private(zone: &HostedZone) -> bool {
    zone.config().is_some_and(HostedZoneConfig::private_zone)
}

/// The public zone of `name` someone else owns (found by name), if exactly one.
async fn public_zone<'a>(cx: &'a Cx, name: &str) -> Result<Option<&'a HostedZone>, AwsError> {
    Ok(hosted_zones(cx)
        .await?
        .iter()
        .find(|zone| !private(zone) && plain(zone.name()) == name))
}

/// The zones whose records are read: the stack's, and the public zones the manifest names.
async fn zones_in_scope(cx: &Cx) -> Result<Vec<&HostedZone>, AwsError> {
    Ok(hosted_zones(cx)
        .await?
        .iter()
        .filter(|zone| {
            owned_zone(&cx.stack, zone).is_some()
                || (!private(zone) && cx.dns_zones.contains(&plain(zone.name())))
        })
        .collect())
}

/// Every record set of a zone (ListResourceRecordSets, page after page).
async fn record_sets(cx: &Cx, zone: &str) -> Result<Vec<ResourceRecordSet>, AwsError> {
    let mut out = Vec::new();
    let mut next: Option<(String, RrType, Option<String>)> = None;
    loop {
        let mut call = cx
            .clients
            .route53
            .list_resource_record_sets()
            .hosted_zone_id(zone);
        if let Some((name, kind, identifier)) = next.take() {
            call = call
                .start_record_name(name)
                .start_record_type(kind)
                .set_start_record_identifier(identifier);
        }
        let page = call.send().await.aws("ListResourceRecordSets")?;
        out.extend(page.resource_record_sets().iter().cloned());
        match (
            page.is_truncated(),
            page.next_record_name(),
            page.next_record_type(),
        ) {
            (true, Some(name), Some(kind)) => {
                next = Some((
                    name.to_string(),
                    kind.clone(),
                    page.next_record_identifier().map(str::to_string),
                ));
            }
            _ => return Ok(out),
        }
    }
}

/// The record sets of every zone in scope, by zone id, read once per command.
async fn zone_records(cx: &Cx) -> Result<&BTreeMap<String, Vec<ResourceRecordSet>>, AwsError> {
    cx.reads
        .kinds
        .get::<Reads>()
        .record_sets
        .get_or_try_init(|| async {
            let zones = zones_in_scope(cx).await?;
            let reads = zones.into_iter().map(|zone| async move {
                let id = bare_id(zone.id());
                let sets = record_sets(cx, &id).await?;
                Ok::<_, AwsError>((id, sets))
            });
            Ok(try_join_all(reads).await?.into_iter().collect())
        })
        .await
}

/// The marker's name for a record set: the stack's own, or (`shared`) one it relies on.
fn marker_name(stack: &str, name: &str, kind: &str, shared: bool) -> String {
    let kind = kind.to_ascii_lowercase();
    if shared {
        format!("{SHARED_MARKER}.{stack}.{kind}.{name}")
    } else {
        format!("{MARKER}.{kind}.{name}")
    }
}

/// The marker's values: the stack and the logical id.
fn marker_values(stack: &str, id: &ResourceId) -> Vec<String> {
    vec![
        format!("\"{}={stack}\"", tags::STACK_TAG),
        format!("\"{}={id}\"", tags::ID_TAG),
    ]
}

/// What a marker says of the record set it stands beside.
#[derive(Debug, PartialEq)]
struct Marker {
    stack: String,
    id: ResourceId,
    name: String,
    kind: String,
    /// Someone else's record the stack relies on (a validation record ACM asked for
    /// before): read, never changed or deleted.
    shared: bool,
}

fn read_marker(set: &ResourceRecordSet) -> Option<Marker> {
    if set.r#type() != &RrType::Txt {
        return None;
    }
    let full = plain(set.name());
    let (rest, shared) = match full.strip_prefix(&format!("{MARKER}.")) {
        Some(rest) => (rest.to_string(), false),
        None => {
            let rest = full.strip_prefix(&format!("{SHARED_MARKER}."))?;
            let (_stack, rest) = rest.split_once('.')?;
            (rest.to_string(), true)
        }
    };
    let (kind, name) = rest.split_once('.')?;
    let mut stack = None;
    let mut id = None;
    for record in set.resource_records() {
        let value = record.value().trim_matches('"');
        if let Some(found) = value.strip_prefix(&format!("{}=", tags::STACK_TAG)) {
            stack = Some(found.to_string());
        } else if let Some(found) = value.strip_prefix(&format!("{}=", tags::ID_TAG)) {
            id = Some(ResourceId::parse(found));
        }
    }
    Some(Marker {
        stack: stack?,
        id: id?,
        name: name.to_string(),
        kind: kind.to_ascii_uppercase(),
        shared,
    })
}

/// The values a record set holds, as observe reads them.
fn set_values(set: &ResourceRecordSet, kind: &str) -> BTreeSet<Value> {
    set.resource_records()
        .iter()
        .map(|record| match kind {
            "CNAME" | "MX" => Value::str(plain(record.value())),
            _ => Value::str(record.value()),
        })
        .collect()
}

/// Values as a plan shows them.
fn shown(values: Option<&BTreeSet<Value>>) -> Value {
    values.cloned().into_value()
}

/// A validation record someone else wrote holding another value than ACM asks for.
fn not_ours(
    name: &str,
    kind: &str,
    zone: &str,
    holds: Option<&BTreeSet<Value>>,
    desired: &RecordProps,
) -> AwsError {
    AwsError::new(
        ErrorKind::Other,
        "ChangeResourceRecordSets",
        format!(
            "record `{name}` ({kind}) in zone {zone} holds {}, not the value ACM asks for ({}), and this stack did not write it; edgectl never changes what it did not create: correct or remove that record yourself",
            shown(holds),
            shown(wanted_values(desired).as_ref())
        ),
    )
}

/// The desired values as observe would read them (a CNAME's target without its dot).
fn wanted_values(desired: &RecordProps) -> Option<BTreeSet<Value>> {
    let values = desired.values.as_ref()?;
    Some(
        values
            .iter()
            .map(|value| match (desired.kind.as_str(), value.as_str()) {
                ("CNAME" | "MX", Some(text)) => Value::str(plain(text)),
                _ => value.clone(),
            })
            .collect(),
    )
}

pub struct ZoneAdapter;

#[async_trait]
impl crate::engine::kind::Kind for ZoneAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[ZONE]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let owned: Vec<(ResourceId, &HostedZone)> = hosted_zones(cx)
            .await?
            .iter()
            .filter_map(|zone| Some((owned_zone(&cx.stack, zone)?, zone)))
            .collect();
        // Tags, ten zones per call.
        let ids: Vec<String> = owned.iter().map(|(_, zone)| bare_id(zone.id())).collect();
        let reads = ids.chunks(10).map(|chunk| async move {
            let found = cx
                .clients
                .route53
                .list_tags_for_resources()
                .resource_type(TagResourceType::Hostedzone)
                .set_resource_ids(Some(chunk.to_vec()))
                .send()
                .await
                .aws("ListTagsForResources")?;
            Ok::<_, AwsError>(found.resource_tag_sets().to_vec())
        });
        let tag_sets: BTreeMap<String, Vec<(String, String)>> = try_join_all(reads)
            .await?
            .into_iter()
            .flatten()
            .map(|set| {
                let zone = set
                    .resource_id()
                    .ok_or_else(|| AwsError::missing("ListTagsForResources", "ResourceId"))?;
                let pairs = set
                    .tags()
                    .iter()
                    .map(|tag| {
                        (
                            tag.key().unwrap_or_default().to_string(),
                            tag.value().unwrap_or_default().to_string(),
                        )
                    })
                    .collect();
                Ok::<_, AwsError>((zone.to_string(), pairs))
            })
            .collect::<Result<_, _>>()?;
        Ok(owned
            .into_iter()
            .map(|(id, zone)| {
                let physical = bare_id(zone.id());
                let pairs = tag_sets.get(&physical).cloned().unwrap_or_default();
                let borrowed = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                let props = ZoneProps {
                    name: plain(zone.name()),
                    comment: zone
                        .config()
                        .and_then(|config| config.comment())
                        .filter(|comment| !comment.is_empty())
                        .map(str::to_string),
                    tags: tags::observed_tag_map(borrowed),
                };
                Observed::new(id, &physical, props.into_props())
            })
            .collect())
    }

    /// Route 53 makes a second zone of a name as readily as the first: a public zone of
    /// the name someone else has is refused, with what to write instead.
    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        let props = ZoneProps::from_props(&desired.props).map_err(|e| e.to_string())?;
        let name = props.name.as_str();
        let found = public_zone(cx, name)
            .await
            .map_err(|error| format!("cannot check whether the name is taken: {error}"))?;
        match found {
            Some(zone) if owned_zone(&cx.stack, zone).as_ref() != Some(&desired.id) => {
                Err(format!(
                    "a public hosted zone `{name}` exists already ({}) and this stack did not create it; edgectl never changes or deletes what it did not create. Remove `create: true` from the zone: the stack then writes its records in that zone and leaves the zone alone",
                    bare_id(zone.id())
                ))
            }
            _ => Ok(()),
        }
    }

    /// A zone holding records the stack did not write cannot go (and is not the
    /// stack's to empty): refused, naming them.
    async fn preflight_delete(&self, cx: &Cx, observed: &Observed) -> Result<(), String> {
        let sets = record_sets(cx, &observed.physical_id)
            .await
            .map_err(|error| format!("cannot read the zone's records: {error}"))?;
        let live = ZoneProps::from_props(&observed.props).map_err(|e| e.to_string())?;
        let apex = live.name.as_str();
        let ours: Vec<(String, String)> = sets
            .iter()
            .filter_map(read_marker)
            .filter(|marker| marker.stack == cx.stack)
            .flat_map(|marker| {
                let marker_set = (
                    marker_name(&cx.stack, &marker.name, &marker.kind, marker.shared),
                    "TXT".to_string(),
                );
                // A record the stack relies on is someone else's: it stays among theirs.
                let record = (!marker.shared).then(|| (marker.name.clone(), marker.kind.clone()));
                record.into_iter().chain([marker_set])
            })
            .collect();
        let others: Vec<String> = sets
            .iter()
            .map(|set| (plain(set.name()), set.r#type().as_str().to_string()))
            .filter(|(name, kind)| !(name == apex && (kind == "NS" || kind == "SOA")))
            .filter(|pair| !ours.contains(pair))
            .map(|(name, kind)| format!("{name} {kind}"))
            .collect();
        if others.is_empty() {
            return Ok(());
        }
        Err(format!(
            "zone `{apex}` ({}) holds records this stack did not write ({}); edgectl never deletes what it did not create, and Route 53 deletes no zone with records in it. Delete them yourself, or keep the zone: remove `create: true` from the manifest after moving it out of the stack",
            observed.physical_id,
            others.join(", ")
        ))
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or_default();
        let route53 = &op.cx.clients.route53;
        let props = ZoneProps::from_props(&desired.props)?;
        let created = route53
            .create_hosted_zone()
            .name(&props.name)
            .caller_reference(format!(
                "{}{nonce:x}",
                reference_prefix(&op.cx.stack, op.id)
            ))
            .hosted_zone_config(
                HostedZoneConfig::builder()
                    .set_comment(props.comment.clone())
                    .private_zone(false)
                    .build(),
            )
            .send()
            .await
            .aws("CreateHostedZone")?;
        let zone = created
            .hosted_zone()
            .ok_or_else(|| AwsError::missing("CreateHostedZone", "HostedZone"))?;
        let id = bare_id(zone.id());
        op.made(&id);
        if let Some(servers) = created
            .delegation_set()
            .map(|set| set.name_servers().join(","))
        {
            op.publish("name_servers", &servers);
        }
        tag_zone(op, &id, tags::for_create(op, &props.tags), Vec::new()).await?;
        Ok(id)
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[FieldChange],
    ) -> Result<(), AwsError> {
        let id = &observed.physical_id;
        let props = ZoneProps::from_props(&desired.props)?;
        let live = ZoneProps::from_props(&observed.props)?;
        if ZoneProps::changed(changes).comment {
            // Route 53 clears a comment it is given empty.
            op.cx
                .clients
                .route53
                .update_hosted_zone_comment()
                .id(id)
                .comment(props.comment.as_deref().unwrap_or_default())
                .send()
                .await
                .aws("UpdateHostedZoneComment")?;
        }
        let (set, remove) = tags::tag_delta(&live.tags, &props.tags);
        if !set.is_empty() || !remove.is_empty() {
            tag_zone(op, id, set, remove).await?;
        }
        Ok(())
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        match op
            .cx
            .clients
            .route53
            .delete_hosted_zone()
            .id(&observed.physical_id)
            .send()
            .await
            .aws("DeleteHostedZone")
        {
            Err(error) if error.kind == ErrorKind::NotFound => Ok(()),
            other => other.map(drop),
        }
    }
}

async fn tag_zone(
    op: &OpCx<'_>,
    id: &str,
    set: Vec<(String, String)>,
    remove: Vec<String>,
) -> Result<(), AwsError> {
    let tags: Vec<Tag> = set
        .into_iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect();
    op.cx
        .clients
        .route53
        .change_tags_for_resource()
        .resource_type(TagResourceType::Hostedzone)
        .resource_id(id)
        .set_add_tags((!tags.is_empty()).then_some(tags))
        .set_remove_tag_keys((!remove.is_empty()).then_some(remove))
        .send()
        .await
        .aws("ChangeTagsForResource")?;
    Ok(())
}

pub struct RecordAdapter;

#[async_trait]
impl crate::engine::kind::Kind for RecordAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[RECORD]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let zones = zones_in_scope(cx).await?;
        let sets = zone_records(cx).await?;
        let mut out = Vec::new();
        for zone in zones {
            let zone_id = bare_id(zone.id());
            let zone_value = if owned_zone(&cx.stack, zone).is_some() {
                Value::Phys(zone_id.clone())
            } else {
                Value::str(plain(zone.name()))
            };
            let Some(sets) = sets.get(&zone_id) else {
                continue;
            };
            for Marker {
                stack,
                id,
                name,
                kind,
                shared,
            } in sets.iter().filter_map(read_marker)
            {
                if stack != cx.stack {
                    continue;
                }
                let found = sets.iter().find(|set| {
                    plain(set.name()) == name
                        && set.r#type().as_str() == kind
                        && set.set_identifier().is_none()
                });
                let mut resource = Observed::new(
                    id,
                    format!("{zone_id}:{name}:{kind}"),
                    record_props(zone_value.clone(), &name, &kind, found).into_props(),
                );
                resource.extra.insert("zone_id".into(), zone_id.clone());
                if shared {
                    resource.extra.insert("shared".into(), "true".into());
                }
                out.push(resource);
            }
        }
        Ok(out)
    }

    /// The zone must exist, and the name and type be free or the stack's: a record
    /// someone else wrote is refused, naming it (CREATE would fail on it, UPSERT
    /// overwrite it).
    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        let check = |error: AwsError| format!("cannot read the zone: {error}");
        let props = RecordProps::from_props(&desired.props).map_err(|e| e.to_string())?;
        let zone = match &props.zone {
            Value::Str(name) => match public_zone(cx, name).await.map_err(check)? {
                Some(zone) => bare_id(zone.id()),
                None => {
                    return Err(format!(
                        "no public hosted zone `{name}` in this account to write `{}` in: create it (or set `create: true` on the zone for the stack to make it)",
                        desired.id
                    ));
                }
            },
            // The stack's own zone: made in this apply, or read with the stack.
            _ => return Ok(()),
        };
        // A name another resource's create makes known (a validation record's) cannot be
        // looked up before: its create finds out.
        let Some(name) = props.name.as_str() else {
            return Ok(());
        };
        let sets = zone_records(cx).await.map_err(check)?;
        let kind = props.kind.as_str();
        let taken = sets.get(&zone).and_then(|sets| {
            sets.iter()
                .find(|set| plain(set.name()) == name && set.r#type().as_str() == kind)
        });
        let satisfied = taken.is_some_and(|set| {
            props.shareable == Some(true) && Some(set_values(set, kind)) == wanted_values(&props)
        });
        if taken.is_some() && !satisfied {
            return Err(format!(
                "record `{name}` ({kind}) already exists in zone `{}` and this stack did not write it; edgectl never changes or deletes what it did not create. Give `{}` another name, or remove the existing record yourself",
                props.zone.as_str().unwrap_or_default(),
                desired.id
            ));
        }
        Ok(())
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let props = RecordProps::from_props(&desired.props)?;
        let zone = zone_of(op, &props).await?;
        let name = text("ChangeResourceRecordSets", "name", &props.name)?;
        let kind = props.kind.as_str();
        // A validation record ACM asked for before may be there already: relied on when it
        // holds exactly what ACM asks for (a marker of the stack's own beside it), refused
        // otherwise. (CREATE would fail on it with InvalidChangeBatch, "already exists".)
        if props.shareable == Some(true)
            && let Some(existing) = existing_set(op, &zone, name, kind).await?
        {
            let holds = set_values(&existing, kind);
            if Some(&holds) != wanted_values(&props).as_ref() {
                return Err(not_ours(name, kind, &zone, Some(&holds), &props));
            }
            op.status("the record ACM asks for exists already: relied on, not taken over");
            let changes = vec![change(
                ChangeAction::Upsert,
                marker(&op.cx.stack, op.id, name, kind, true)?,
            )?];
            submit(op, &zone, changes).await?;
            return Ok(format!("{zone}:{name}:{kind}"));
        }
        let changes = vec![
            change(ChangeAction::Create, record_set(&props)?)?,
            change(
                ChangeAction::Create,
                marker(&op.cx.stack, op.id, name, kind, false)?,
            )?,
        ];
        submit(op, &zone, changes).await?;
        Ok(format!("{zone}:{name}:{kind}"))
    }

    /// The record set of the manifest's name and type in its zone (someone else's zone
    /// found by name, or the stack's). A validation record (ACM's CNAME, whose name is the
    /// certificate's, so found once the certificate is) is relied on, not taken over, as
    /// its create would: it must hold what ACM asks for.
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = RecordProps::from_props(&desired.props)?;
        let (zone_id, zone_value, zone_name) = match &props.zone {
            Value::Str(name) => match public_zone(op.cx, name).await? {
                Some(zone) => (bare_id(zone.id()), props.zone.clone(), name.clone()),
                None => return Ok(Found::Nothing),
            },
            // The stack's zone, found already (else it is made, and the record with it).
            other => match op.resolve(other) {
                Ok(id) => (id.clone(), Value::Phys(id.clone()), id),
                Err(_) => return Ok(Found::Nothing),
            },
        };
        // A validation record's name and value are its certificate's: unknown when none
        // was found.
        let known = |value: &Value| op.resolve(&value.render(&|id| op.physical.get(id)));
        let Ok(name) = known(&props.name) else {
            return Ok(Found::Nothing);
        };
        let name = plain(&name);
        let kind = props.kind.as_str();
        let shared = props.shareable == Some(true);
        let what = format!("record `{name}` ({kind}) in zone `{zone_name}`");
        // A validation record may be another stack's (ACM asks every certificate of a name
        // for the same one): relied on, as the stack's apply would, whoever wrote it; only
        // a marker of the kind this stack writes for it stops it.
        let markers = if shared {
            vec![marker_name(&op.cx.stack, &name, kind, true)]
        } else {
            vec![marker_name(&op.cx.stack, &name, kind, false)]
        };
        for marked in markers {
            if let Some(set) = existing_set(op, &zone_id, &marked, "TXT").await?
                && let Some(mark) = read_marker(&set)
            {
                let whose = if mark.stack == op.cx.stack {
                    format!("this stack's `{}` already", mark.id)
                } else {
                    format!(
                        "edgectl stack `{}`'s: remove it from that stack's manifest first",
                        mark.stack
                    )
                };
                return Ok(Found::Refused(format!("{what} is {whose}")));
            }
        }
        let Some(set) = existing_set(op, &zone_id, &name, kind).await? else {
            return Ok(Found::Nothing);
        };
        if set.set_identifier().is_some() {
            return Ok(Found::Refused(format!(
                "{what} has a routing policy (set `{}`); edgectl writes simple records",
                set.set_identifier().unwrap_or_default()
            )));
        }
        let physical = format!("{zone_id}:{name}:{kind}");
        // Named at another record than this one: not it.
        if pin.is_some_and(|pin| pin != physical) {
            return Ok(Found::Nothing);
        }
        let mut observed = Observed::new(
            op.id.clone(),
            physical,
            record_props(zone_value, &name, kind, Some(&set)).into_props(),
        );
        observed.extra.insert("zone_id".into(), zone_id.clone());
        if shared {
            let wanted = props
                .values
                .iter()
                .flatten()
                .map(|value| {
                    let value = known(value)?;
                    Ok(Value::str(if kind == "CNAME" {
                        plain(&value)
                    } else {
                        value
                    }))
                })
                .collect::<Result<BTreeSet<Value>, AwsError>>()?;
            let holds = set_values(&set, kind);
            if holds != wanted {
                return Ok(Found::Refused(format!(
                    "{what} holds {}, not the value ACM asks for ({}): correct or remove that record yourself",
                    shown(Some(&holds)),
                    shown(Some(&wanted))
                )));
            }
            observed.extra.insert("shared".into(), "true".into());
        }
        let what = if shared {
            format!("{what}, relied on (not taken over)")
        } else {
            what
        };
        // CloudFormation knows a record set by its name.
        let dotted = format!("{name}.");
        crate::aws::adopt::found_untagged(
            op.cx,
            op.id,
            what,
            [],
            observed,
            ("AWS::Route53::RecordSet", &[&name, &dotted]),
        )
        .await
    }

    /// Writes the record's marker beside it (the record itself is left as it is). A marker
    /// there already is this run's, sent before (then it is done), or someone else's.
    async fn adopt(
        &self,
        op: &OpCx<'_>,
        _desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        let zone = found
            .extra
            .get("zone_id")
            .cloned()
            .ok_or_else(|| AwsError::missing("ListResourceRecordSets", "zone"))?;
        let live = RecordProps::from_props(&found.props)?;
        let name = text("ChangeResourceRecordSets", "name", &live.name)?;
        let kind = live.kind.as_str();
        let shared = found.extra.contains_key("shared");
        let changes = vec![change(
            ChangeAction::Create,
            marker(&op.cx.stack, op.id, name, kind, shared)?,
        )?];
        match submit(op, &zone, changes).await {
            Err(error) if error.message.contains("already exists") => {
                let marked = marker_name(&op.cx.stack, name, kind, shared);
                let mark = existing_set(op, &zone, &marked, "TXT")
                    .await?
                    .as_ref()
                    .and_then(read_marker);
                match mark {
                    Some(mark) if mark.stack == op.cx.stack && &mark.id == op.id => Ok(()),
                    _ => Err(error),
                }
            }
            other => other,
        }
    }

    /// A record's validation flag is the manifest's, not AWS's.
    fn normalize(&self, desired: &mut Desired, observed: &mut Observed) {
        if let (Ok(want), Ok(mut live)) = (
            RecordProps::from_props(&desired.props),
            RecordProps::from_props(&observed.props),
        ) {
            live.shareable = want.shareable;
            observed.props = live.into_props();
        }
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        _changes: &[FieldChange],
    ) -> Result<(), AwsError> {
        let zone = observed
            .extra
            .get("zone_id")
            .cloned()
            .ok_or_else(|| AwsError::missing("ListResourceRecordSets", "zone"))?;
        let props = RecordProps::from_props(&desired.props)?;
        let live = RecordProps::from_props(&observed.props)?;
        let name = text("ChangeResourceRecordSets", "name", &props.name)?;
        let kind = props.kind.as_str();
        if observed.extra.contains_key("shared") {
            // Someone else's record: its value is theirs to change.
            if live.values != wanted_values(&props) {
                return Err(not_ours(name, kind, &zone, live.values.as_ref(), &props));
            }
            return Ok(());
        }
        let changes = vec![
            change(ChangeAction::Upsert, record_set(&props)?)?,
            change(
                ChangeAction::Upsert,
                marker(&op.cx.stack, op.id, name, kind, false)?,
            )?,
        ];
        submit(op, &zone, changes).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let zone = observed
            .extra
            .get("zone_id")
            .cloned()
            .ok_or_else(|| AwsError::missing("ListResourceRecordSets", "zone"))?;
        let live = RecordProps::from_props(&observed.props)?;
        let name = text("ListResourceRecordSets", "name", &live.name)?;
        let kind = live.kind.as_str();
        let mut changes = Vec::new();
        let shared = observed.extra.contains_key("shared");
        // A marker whose record is gone (deleted by hand) goes alone; so does the marker of
        // a record the stack relied on and does not own. DELETE names the set exactly as
        // it is.
        if !shared && (live.values.is_some() || live.alias.is_some()) {
            changes.push(change(ChangeAction::Delete, record_set(&live)?)?);
        }
        changes.push(change(
            ChangeAction::Delete,
            marker(&op.cx.stack, op.id, name, kind, shared)?,
        )?);
        match submit(op, &zone, changes).await {
            // Gone already (a repeated call): done.
            Err(error) if error.message.contains("not found") => Ok(()),
            other => other,
        }
    }
}

fn record_props(
    zone: Value,
    name: &str,
    kind: &str,
    found: Option<&ResourceRecordSet>,
) -> RecordProps {
    let alias = found.and_then(ResourceRecordSet::alias_target);
    RecordProps {
        zone,
        name: Value::str(name),
        kind: kind.to_string(),
        // An alias has none (moto answers 0 for one written by UPSERT).
        ttl: found
            .filter(|_| alias.is_none())
            .and_then(ResourceRecordSet::ttl),
        values: match found {
            Some(set) if alias.is_none() => Some(set_values(set, kind)),
            _ => None,
        },
        alias: alias.map(|alias| Alias {
            dns_name: Value::str(plain(alias.dns_name())),
            zone_id: Value::str(alias.hosted_zone_id()),
        }),
        shareable: None,
    }
}

/// The zone id a desired record goes in: the stack's zone, or one found by name.
async fn zone_of(op: &OpCx<'_>, props: &RecordProps) -> Result<String, AwsError> {
    match &props.zone {
        Value::Str(name) => public_zone(op.cx, name)
            .await?
            .map(|zone| bare_id(zone.id()))
            .ok_or_else(|| {
                AwsError::new(
                    ErrorKind::NotFound,
                    "ListHostedZones",
                    format!("no public hosted zone `{name}`"),
                )
            }),
        other => op.resolve(other),
    }
}

fn record_set(props: &RecordProps) -> Result<ResourceRecordSet, AwsError> {
    const CHANGE: &str = "ChangeResourceRecordSets";
    let mut set = ResourceRecordSet::builder()
        .name(text(CHANGE, "name", &props.name)?)
        .r#type(RrType::from(props.kind.as_str()));
    match &props.alias {
        Some(alias) => {
            set = set.alias_target(
                AliasTarget::builder()
                    .dns_name(text(CHANGE, "alias's DNS name", &alias.dns_name)?)
                    .hosted_zone_id(text(CHANGE, "alias's zone", &alias.zone_id)?)
                    .evaluate_target_health(false)
                    .build()
                    .map_err(build_error(CHANGE))?,
            );
        }
        None => {
            if let Some(ttl) = props.ttl {
                set = set.ttl(ttl);
            }
            for value in props.values.iter().flatten() {
                set = set.resource_records(
                    ResourceRecord::builder()
                        .value(text(CHANGE, "value", value)?)
                        .build()
                        .map_err(build_error(CHANGE))?,
                );
            }
        }
    }
    set.build().map_err(build_error(CHANGE))
}

fn marker(
    stack: &str,
    id: &ResourceId,
    name: &str,
    kind: &str,
    shared: bool,
) -> Result<ResourceRecordSet, AwsError> {
    let mut set = ResourceRecordSet::builder()
        .name(marker_name(stack, name, kind, shared))
        .r#type(RrType::Txt)
        .ttl(300);
    for value in marker_values(stack, id) {
        set = set.resource_records(
            ResourceRecord::builder()
                .value(value)
                .build()
                .map_err(build_error("ChangeResourceRecordSets"))?,
        );
    }
    set.build().map_err(build_error("ChangeResourceRecordSets"))
}

/// The record set of this name and type in a zone now, if any (one
/// ListResourceRecordSets from that name).
async fn existing_set(
    op: &OpCx<'_>,
    zone: &str,
    name: &str,
    kind: &str,
) -> Result<Option<ResourceRecordSet>, AwsError> {
    let page = op
        .cx
        .clients
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .start_record_name(name)
        .start_record_type(RrType::from(kind))
        .max_items(1)
        .send()
        .await
        .aws("ListResourceRecordSets")?;
    Ok(page
        .resource_record_sets()
        .iter()
        .find(|set| plain(set.name()) == plain(name) && set.r#type().as_str() == kind)
        .cloned())
}

fn change(action: ChangeAction, set: ResourceRecordSet) -> Result<Change, AwsError> {
    Change::builder()
        .action(action)
        .resource_record_set(set)
        .build()
        .map_err(build_error("ChangeResourceRecordSets"))
}

/// One change batch (atomic: the record and its marker together); waits for INSYNC only
/// when a dependent needs the record served (a certificate's validation).
async fn submit(op: &OpCx<'_>, zone: &str, changes: Vec<Change>) -> Result<(), AwsError> {
    let route53 = &op.cx.clients.route53;
    let batch = ChangeBatch::builder()
        .set_changes(Some(changes))
        .build()
        .map_err(build_error("ChangeResourceRecordSets"))?;
    let sent = route53
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(batch)
        .send()
        .await
        .aws("ChangeResourceRecordSets")?;
    if !op.wait {
        return Ok(());
    }
    let Some(change) = sent.change_info().map(|info| info.id().to_string()) else {
        return Ok(());
    };
    let mut backoff = crate::engine::retry::Backoff::new(op.cx.timeout);
    loop {
        let status = route53
            .get_change()
            .id(&change)
            .send()
            .await
            .aws("GetChange")?;
        if status.change_info().map(|info| info.status()) == Some(&ChangeStatus::Insync) {
            return Ok(());
        }
        op.status("waiting for Route 53 to serve it");
        if !backoff.wait().await {
            return Err(AwsError::new(
                ErrorKind::Timeout,
                "GetChange",
                format!(
                    "the change to zone {zone} is not in sync after {:?}",
                    op.cx.timeout
                ),
            ));
        }
    }
}

use crate::aws::permissions::{On, Permission};

/// The IAM permissions this kind's calls need (`edgectl policy`); the suite's
/// `policy` test runs each shipped manifest with no more than these.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        actions: &[
            "route53:ListHostedZones",
            "route53:GetHostedZone",
            "route53:CreateHostedZone",
            "route53:UpdateHostedZoneComment",
            "route53:ListResourceRecordSets",
            "route53:ChangeResourceRecordSets",
            "route53:GetChange",
            "route53:ChangeTagsForResource",
            "route53:ListTagsForResource",
            "route53:ListTagsForResources",
        ],
        on: On::Any,
    },
    Permission {
        actions: &["route53:DeleteHostedZone"],
        on: On::Any,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ids::{record_id, zone_id};

    #[test]
    fn a_marker_names_its_record_and_owner() {
        let id = record_id("main", "www", "CNAME");
        let set = marker("demo", &id, "www.example.com", "CNAME", false).unwrap();
        assert_eq!(set.name(), "_edgectl.cname.www.example.com");
        assert_eq!(
            read_marker(&set),
            Some(Marker {
                stack: "demo".to_string(),
                id: id.clone(),
                name: "www.example.com".to_string(),
                kind: "CNAME".to_string(),
                shared: false,
            })
        );
        let set = marker("demo", &id, "_x1.www.example.com", "CNAME", true).unwrap();
        assert_eq!(set.name(), "_edgectl-shared.demo.cname._x1.www.example.com");
        assert_eq!(
            read_marker(&set),
            Some(Marker {
                stack: "demo".to_string(),
                id,
                name: "_x1.www.example.com".to_string(),
                kind: "CNAME".to_string(),
                shared: true,
            })
        );
    }

    #[test]
    fn zones_are_owned_by_their_caller_reference() {
        let zone = HostedZone::builder()
            .id("/hostedzone/Z1")
            .name("example.com.")
            .caller_reference("edgectl/demo/zone.main/18f3a")
            .build()
            .unwrap();
        assert_eq!(owned_zone("demo", &zone), Some(zone_id("main")));
        assert_eq!(owned_zone("other", &zone), None);
    }
}
