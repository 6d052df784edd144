//! Lowering: Route 53 zones the stack makes, and the records it writes in any zone. An
//! alias names its target's live DNS name and hosted zone.

use crate::aws::ids::{distribution_id, load_balancer_id, record_id, zone_id};
use crate::aws::route53::{Alias, RecordProps, ZoneProps};
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::known::CLOUDFRONT_HOSTED_ZONE;
use crate::manifest::Manifest;
use crate::manifest::dns::Target;

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
