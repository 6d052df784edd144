//! Lowering: ACM certificates, their DNS validation records (named and valued by what ACM
//! answers, so templates of the certificate's attributes) and the wait for their issue,
//! which what uses a certificate orders after.

use super::Env;
use crate::aws::acm::{CertificateProps, ValidationProps};
use crate::aws::ids::{certificate_id, record_id, validation_id};
use crate::aws::route53::RecordProps;
use crate::aws::tags;
use crate::engine::model::{Desired, ResourceId, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;

pub fn desired(manifest: &Manifest, env: &Env) -> Vec<Desired> {
    let mut out = Vec::new();
    for certificate in &manifest.certificates {
        let id = certificate_id(&certificate.key);
        let region = if certificate.global {
            "us-east-1".to_string()
        } else {
            env.region.clone()
        };
        let props = CertificateProps {
            domain: certificate.domain.clone(),
            alternative_names: certificate.alternative_names.iter().cloned().collect(),
            region,
            tags: tags::desired_tag_map(&manifest.tags, &certificate.domain),
        };
        out.push(Desired {
            id: id.clone(),
            props: props.into_props(),
            after: Vec::new(),
        });
        let mut records = Vec::new();
        let mut by_hand = Vec::new();
        for (index, (name, zone)) in certificate.validation.iter().enumerate() {
            let Some(zone) = zone else {
                by_hand.push(name.clone());
                continue;
            };
            let attribute = |what: &str| {
                Value::Template(vec![Value::Ref(
                    id.attribute(&format!("validation_{index}_{what}")),
                )])
            };
            let record = record_id(
                zone,
                &format!("{}-validation-{index}", certificate.key),
                "CNAME",
            );
            let props = RecordProps {
                zone: super::zone::zone_value(manifest, zone),
                name: attribute("name"),
                kind: "CNAME".to_string(),
                ttl: Some(300),
                values: Some([attribute("value")].into()),
                alias: None,
                // ACM asks every certificate of this name in the account for this
                // record: one there already with its value satisfies the validation.
                shareable: Some(true),
            };
            out.push(Desired {
                id: record.clone(),
                props: props.into_props(),
                after: Vec::new(),
            });
            records.push(record);
        }
        let props = ValidationProps {
            certificate: Value::Template(vec![Value::Ref(id.clone())]),
            // Names no zone of the stack holds: their records are the user's to write.
            by_hand,
        };
        out.push(Desired {
            id: validation_id(&certificate.key),
            props: props.into_props(),
            after: records,
        });
    }
    out
}

/// A listener's or distribution's `certificate` as a value: an ARN as written, or the
/// stack's certificate (its ARN once issued), with what to order after.
pub fn reference(written: &str) -> (Value, Option<ResourceId>) {
    match written.strip_prefix("certificates.") {
        Some(key) => (
            Value::Template(vec![Value::Ref(certificate_id(key))]),
            Some(validation_id(key)),
        ),
        None => (Value::str(written), None),
    }
}
