//! Lowering: Route 53 zones the stack makes, and the records it writes in any zone. An
//! alias names its target's live DNS name and hosted zone.

use crate::aws::cloudfront::distribution_id;
use crate::aws::route53::{record_id, zone_id};
use crate::aws::tags;
use crate::engine::model::{Desired, Mode, Value, props};
use crate::known::CLOUDFRONT_HOSTED_ZONE;
use crate::manifest::Manifest;
use crate::manifest::dns::Target;

use super::ids::load_balancer_id;

/// Where a record of zone `key` goes: the stack's zone, or one found by name.
pub fn zone_value(manifest: &Manifest, key: &str) -> Value {
    match manifest.zones.iter().find(|zone| zone.key == key) {
        Some(zone) if zone.create => Value::Ref(zone_id(key)),
        Some(zone) => Value::str(&zone.name),
        None => Value::Null,
    }
}

pub fn desired(manifest: &Manifest) -> Vec<Desired> {
    let mut out = Vec::new();
    for zone in &manifest.zones {
        let zone_value = if zone.create {
            let name = format!("{}-{}", manifest.stack, zone.key);
            out.push(Desired {
                id: zone_id(&zone.key),
                props: props([
                    ("name", Value::str(&zone.name), Mode::Replace),
                    (
                        "comment",
                        zone.comment.as_ref().map_or(Value::Null, Value::str),
                        Mode::InPlace,
                    ),
                    (
                        "tags",
                        tags::desired_tags(&manifest.tags, &name),
                        Mode::InPlace,
                    ),
                ]),
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
                    Value::Int(record.ttl),
                    Value::Set(values.iter().map(Value::str).collect()),
                    Value::Null,
                ),
                Target::Distribution(key) => (
                    Value::Null,
                    Value::Null,
                    Value::map([
                        (
                            "dns_name",
                            Value::Template(vec![Value::Ref(
                                distribution_id(key).attribute("domain_name"),
                            )]),
                        ),
                        ("zone_id", Value::str(CLOUDFRONT_HOSTED_ZONE)),
                    ]),
                ),
                Target::LoadBalancer(key) => (
                    Value::Null,
                    Value::Null,
                    Value::map([
                        (
                            "dns_name",
                            Value::Template(vec![Value::Ref(
                                load_balancer_id(key).attribute("dns_name"),
                            )]),
                        ),
                        (
                            "zone_id",
                            Value::Template(vec![Value::Ref(
                                load_balancer_id(key).attribute("zone_id"),
                            )]),
                        ),
                    ]),
                ),
            };
            out.push(Desired {
                id: record_id(&zone.key, &label, &record.kind),
                props: props([
                    ("zone", zone_value.clone(), Mode::Replace),
                    ("name", Value::str(&record.name), Mode::Replace),
                    ("type", Value::str(&record.kind), Mode::Replace),
                    ("ttl", ttl, Mode::InPlace),
                    ("values", values, Mode::InPlace),
                    ("alias", alias, Mode::InPlace),
                ]),
                after: Vec::new(),
            });
        }
    }
    out
}
