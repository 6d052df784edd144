//! The typed properties of a certificate and of the wait for its issue, and the
//! lowering: certificates, their DNS validation records (named and valued by what ACM
//! answers, so templates of the certificate's attributes; asked of the zones' lowering
//! through `uses.record`) and the wait, which what uses a certificate orders after.

use std::collections::{BTreeMap, BTreeSet};

use super::manifest::Certificate;
use crate::aws::ids::{certificate_id, record_id, validation_id};
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::lower::Env;
use crate::lower::uses::{Record, Uses};
use crate::manifest::Manifest;

crate::engine::properties! {
    /// A certificate: its names and region make it (another set is another certificate).
    pub struct CertificateProps (changes: CertificateChanges) {
        pub domain: String => Replace,
        /// The names besides the domain.
        pub alternative_names: BTreeSet<String> => Replace,
        /// The stack's, or us-east-1 for a distribution's.
        pub region: String => Replace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

crate::engine::properties! {
    /// The wait for a certificate's issue.
    pub struct ValidationProps (changes: ValidationChanges) {
        /// The certificate by reference (its ARN once requested).
        pub certificate: Value => Replace,
        /// The names no zone of the stack holds, whose records are the user's to write
        /// (the manifest's, never compared: see `normalize`).
        pub by_hand: Vec<String> => InPlace,
    }
}

/// The certificates (`certificates`), each with its validation records and its wait.
pub fn desired(
    certificates: &[Certificate],
    manifest: &Manifest,
    env: &Env,
    uses: &mut Uses,
) -> Vec<Desired> {
    let mut out = Vec::new();
    for certificate in certificates {
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
            // ACM asks every certificate of this name in the account for this record:
            // one there already with its value satisfies the validation.
            uses.record(Record {
                id: record.clone(),
                zone: zone.clone(),
                name: attribute("name"),
                kind: "CNAME",
                ttl: 300,
                value: attribute("value"),
                shareable: true,
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
