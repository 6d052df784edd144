//! The typed properties of a zone and a record, and the lowering: the zones the stack
//! makes, the records it writes in any zone (an alias names its target's live DNS name
//! and hosted zone), and the records other kinds asked for (`uses.record`: a
//! certificate's validation records).

use std::collections::{BTreeMap, BTreeSet};

use super::manifest::{Target, Zone};
use crate::aws::ids::{distribution_id, load_balancer_id, record_id, zone_id};
use crate::aws::tags;
use crate::base::known::CLOUDFRONT_HOSTED_ZONE;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::lower::uses::Uses;
use crate::manifest::Manifest;

crate::engine::properties! {
    /// A hosted zone the stack makes.
    pub struct ZoneProps (changes: ZoneChanges) {
        /// Without its final dot.
        pub name: String => Replace,
        pub comment: Option<String> => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

crate::engine::properties! {
    /// A record set the stack writes. Its name and values may be another resource's
    /// attributes (a certificate's validation record), references until they are known.
    pub struct RecordProps (changes: RecordChanges) {
        /// The stack's zone by reference, or someone else's by name (a string).
        pub zone: Value => Replace,
        pub name: Value => Replace,
        pub kind as "type": String => Replace,
        /// Seconds; none for an alias.
        pub ttl: Option<i64> => InPlace,
        /// Its values; none for an alias.
        pub values: Option<BTreeSet<Value>> => InPlace,
        pub alias: Option<Alias> => InPlace,
        /// A validation record another's record of the same value may satisfy (the
        /// manifest's, never compared: see `normalize`).
        pub shareable: Option<bool> => InPlace (optional),
    }
}

crate::engine::record! {
    /// Where an alias record points: its target's DNS name and hosted zone.
    pub struct Alias {
        pub dns_name: Value,
        pub zone_id: Value,
    }
}

/// Where a record of zone `key` goes: the stack's zone, or one found by name.
fn zone_value(zones: &[Zone], key: &str) -> Value {
    match zones.iter().find(|zone| zone.key == key) {
        Some(zone) if zone.create => Value::Ref(zone_id(key)),
        Some(zone) => Value::str(&zone.name),
        None => Value::Null,
    }
}

/// The zones (`zones`) with their records, and the records others asked for in them.
pub fn desired(zones: &[Zone], manifest: &Manifest, uses: &Uses) -> Vec<Desired> {
    let mut out = Vec::new();
    for wanted in uses.records() {
        let props = RecordProps {
            zone: zone_value(zones, &wanted.zone),
            name: wanted.name.clone(),
            kind: wanted.kind.to_string(),
            ttl: Some(wanted.ttl),
            values: Some([wanted.value.clone()].into()),
            alias: None,
            shareable: wanted.shareable.then_some(true),
        };
        out.push(Desired {
            id: wanted.id.clone(),
            props: props.into_props(),
            after: Vec::new(),
        });
    }
    for zone in zones {
        let zone_value = if zone.create {
            let name = format!("{}-{}", manifest.stack, zone.key);
            let props = ZoneProps {
                name: zone.name.clone(),
                comment: zone.comment.clone(),
                tags: tags::desired_tag_map(&manifest.tags, &name),
            };
            out.push(Desired {
                id: zone_id(&zone.key),
                props: props.into_props(),
                after: Vec::new(),
            });
            Value::Ref(zone_id(&zone.key))
        } else {
            Value::str(&zone.name)
        };
        for record in &zone.records {
            let label = match record.name.strip_suffix(&format!(".{}", zone.name)) {
                Some(relative) => relative.to_string(),
                None => "@".to_string(),
            };
            let (ttl, values, alias) = match &record.target {
                Target::Values(values) => (
                    Some(record.ttl),
                    Some(values.iter().map(Value::str).collect()),
                    None,
                ),
                Target::Distribution(key) => (
                    None,
                    None,
                    Some(Alias {
                        dns_name: Value::Template(vec![Value::Ref(
                            distribution_id(key).attribute("domain_name"),
                        )]),
                        zone_id: Value::str(CLOUDFRONT_HOSTED_ZONE),
                    }),
                ),
                Target::LoadBalancer(key) => (
                    None,
                    None,
                    Some(Alias {
                        dns_name: Value::Template(vec![Value::Ref(
                            load_balancer_id(key).attribute("dns_name"),
                        )]),
                        zone_id: Value::Template(vec![Value::Ref(
                            load_balancer_id(key).attribute("zone_id"),
                        )]),
                    }),
                ),
            };
            let props = RecordProps {
                zone: zone_value.clone(),
                name: Value::str(&record.name),
                kind: record.kind.clone(),
                ttl,
                values,
                alias,
                shareable: None,
            };
            out.push(Desired {
                id: record_id(&zone.key, &label, &record.kind),
                props: props.into_props(),
                after: Vec::new(),
            });
        }
    }
    out
}
