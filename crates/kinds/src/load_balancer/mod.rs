//! Application load balancers (`load_balancer.<key>`, the `load_balancers` section), their
//! listeners (`listener.<key>.<port>`) and listener rules
//! (`listener_rule.<key>.<port>.<priority>`): the section (`manifest.rs`), the typed
//! properties and lowering (`lower.rs`), the adapters (`adapter.rs`, `listener.rs`,
//! `listener_rule.rs`, over ELB's shared reads, `aws::elbv2`), registered by
//! [`REGISTRATION`]. A listener forwards to a service's target group (`aws::ids`), and the
//! service orders after it (`uses.after`); what a load balancer forwards to and the
//! certificates its listeners use it says (`Section::attachments`: an alarm's unhealthy
//! targets, a certificate requested in the load balancer's region), and its name
//! (`Section::names`).

mod adapter;
mod listener;
mod listener_rule;
mod lower;
mod manifest;

use std::sync::Arc;

use crate::aws::ids::load_balancer_id;
use crate::engine::model::Value;
use crate::lower::{Env, Lowering};
use crate::manifest::decode::{Decoder, Fields};
use crate::manifest::sections::Decoded;
use crate::manifest::{Attachment, Manifest, Section};

const SECTION: &str = "load_balancers";

pub const REGISTRATION: super::Registration = super::Registration {
    section: &LoadBalancers,
    lowering: &LoadBalancers,
    // Found by DescribeLoadBalancers and DescribeTags, the listeners and rules through
    // them (`aws::elbv2`).
    adapters: || {
        vec![
            Arc::new(adapter::LoadBalancerAdapter),
            Arc::new(listener::ListenerAdapter),
            Arc::new(listener_rule::ListenerRuleAdapter),
        ]
    },
    permissions: &[adapter::PERMISSIONS],
    conditions: &[listener::CONDITIONS],
};

struct LoadBalancers;

impl Section for LoadBalancers {
    fn key(&self) -> &'static str {
        SECTION
    }

    /// `${load_balancers.<key>.dns_name}`, `zone_id`, `arn`, `name`, `arn_suffix`.
    fn attributes(&self) -> &'static [&'static str] {
        &["dns_name", "zone_id", "arn", "name", "arn_suffix"]
    }

    /// The section, and (written or not) that a listener forwards to each exposed
    /// service.
    fn decode(
        &self,
        decoder: &mut Decoder,
        fields: &Fields<'_>,
        manifest: &Manifest,
    ) -> Option<Decoded> {
        let load_balancers = match fields.with_key(SECTION) {
            Some((node, at)) => manifest::decode(decoder, fields, node, at, manifest),
            None => Vec::new(),
        };
        manifest::check_forwarded(decoder, fields, &load_balancers, manifest);
        fields
            .get(SECTION)
            .map(|_| Arc::new(load_balancers) as Decoded)
    }

    /// The services each load balancer forwards to, the certificates its listeners use.
    fn attachments(&self, decoded: &Decoded) -> Vec<Attachment> {
        let attach = |key: &str, to_section: &'static str, to_key: &str| Attachment {
            section: SECTION,
            key: key.to_string(),
            to_section,
            to_key: to_key.to_string(),
        };
        let mut out = Vec::new();
        for balancer in entries(decoded) {
            for listener in &balancer.listeners {
                out.extend(
                    listener
                        .forwards()
                        .map(|service| attach(&balancer.key, "services", service)),
                );
                if let Some(key) = listener
                    .certificate
                    .as_deref()
                    .and_then(|written| written.strip_prefix("certificates."))
                {
                    out.push(attach(&balancer.key, "certificates", key));
                }
            }
        }
        out
    }

    /// Each load balancer's name.
    fn names(&self, decoded: &Decoded) -> Vec<(String, String)> {
        entries(decoded)
            .iter()
            .map(|balancer| (balancer.key.clone(), balancer.name.clone()))
            .collect()
    }

    /// Whether each has an HTTPS listener (`https`: `true` or `false`): a domain's record
    /// that aliases one without is warned of.
    fn known(&self, decoded: &Decoded) -> Vec<(String, &'static str, String)> {
        entries(decoded)
            .iter()
            .map(|balancer| {
                let https = balancer.listeners.iter().any(|listener| listener.https);
                (balancer.key.clone(), "https", https.to_string())
            })
            .collect()
    }
}

impl Lowering for LoadBalancers {
    fn desired(
        &self,
        manifest: &Manifest,
        _env: &Env,
        uses: &mut crate::lower::uses::Uses,
    ) -> Vec<crate::engine::model::Desired> {
        lower::desired(decoded(manifest), manifest, uses)
    }

    /// The ARN is the physical id, the name the manifest's, the rest live attributes.
    fn reference(
        &self,
        manifest: &Manifest,
        _env: &Env,
        key: &str,
        attribute: &str,
    ) -> Option<Vec<Value>> {
        Some(vec![match attribute {
            "arn" => Value::Ref(load_balancer_id(key)),
            "name" => Value::str(manifest.name_of(SECTION, key)?),
            _ => Value::Ref(load_balancer_id(key).attribute(attribute)),
        }])
    }
}

/// The load balancers a decoding made.
fn entries(decoded: &Decoded) -> &[manifest::LoadBalancer] {
    crate::manifest::sections::entries(decoded)
}

/// The load balancers the manifest declares.
fn decoded(manifest: &Manifest) -> &[manifest::LoadBalancer] {
    manifest.sections.list(SECTION)
}
