//! The `certificates` section: ACM certificates requested with DNS validation, their
//! validation records written in the stack's zones (the zones' names as their section
//! says them, `Manifest::names("zones")`), in us-east-1 when a distribution uses them.

use crate::manifest::Manifest;
use crate::manifest::decode::{Decoder, Entry, Fields, Spanned};
use crate::manifest::diag::Pos;
use crate::manifest::dns::domain;
use crate::manifest::yaml::Node;

const CERTIFICATE: &[&str] = &["domain", "alternative_names", "zone"];

#[derive(Clone, Debug, PartialEq)]
pub struct Certificate {
    pub key: String,
    pub domain: String,
    /// Besides `domain`, sorted.
    pub alternative_names: Vec<String>,
    /// Requested in us-east-1 (a distribution uses it) rather than the stack's region.
    pub global: bool,
    /// Per validated name (`known::validation_domains`), the zone (its key) its record is
    /// written in; `None`: validated by hand.
    pub validation: Vec<(String, Option<String>)>,
}

/// The section at `node`: the zones are those the manifest declares (their domains as
/// the zones' section says them), a certificate's use the listeners' and distributions'.
pub fn decode(decoder: &mut Decoder, node: &Node, manifest: &Manifest) -> Vec<Certificate> {
    let region = manifest.region.as_deref();
    // Validation zones are the zones that decoded (with their domains).
    let zones = manifest.names("zones");
    let zone_keys = manifest.declared.names("zones");
    let mut out = Vec::new();
    for Entry { key, fields, .. } in decoder.entries(node, "certificates", CERTIFICATE) {
        let Some(domain) = fields
            .required(
                decoder,
                "domain",
                key.pos,
                format!("certificate `{}` has no `domain`", key.value),
                "add `domain: app.example.com`",
            )
            .and_then(|node| decoder.string(node, "domain"))
        else {
            continue;
        };
        let Some(domain) = self::domain(decoder, &domain, "certificate domain") else {
            continue;
        };
        let alternative_names = decode_alternative_names(decoder, &fields, &domain, key.pos);
        // Where its validation records go: the zone named, else the zone each name is in.
        let named_zone = match fields.get("zone") {
            Some(node) => {
                let Some(name) = decoder.string(node, "zone") else {
                    continue;
                };
                let name = Spanned {
                    value: name
                        .value
                        .strip_prefix("zones.")
                        .unwrap_or(&name.value)
                        .to_string(),
                    pos: name.pos,
                };
                if !crate::manifest::decode::reference(decoder, &name, "zone", zone_keys) {
                    continue;
                }
                Some(name)
            }
            None => None,
        };
        let validation = validation_zones(
            decoder,
            &domain,
            &alternative_names,
            named_zone.as_ref(),
            zones,
        );
        // By use: CloudFront takes certificates from us-east-1 only, a load balancer from
        // its own region.
        let by_listener = manifest.is_attached("load_balancers", "certificates", &key.value);
        let by_distribution = manifest.is_attached("distributions", "certificates", &key.value);
        // In us-east-1 one certificate serves both.
        if by_listener && by_distribution && region.is_some_and(|region| region != "us-east-1") {
            decoder.error(
                key.pos,
                format!("certificate `{}` is used by a load balancer and a distribution", key.value),
                "CloudFront takes certificates from us-east-1 only, a load balancer from its own region: declare one certificate for each",
            );
        }
        out.push(Certificate {
            key: key.value.clone(),
            domain,
            alternative_names,
            global: by_distribution,
            validation,
        });
    }
    out
}

/// A certificate's `alternative_names`, without its domain, sorted, 99 at most.
fn decode_alternative_names(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    domain: &str,
    at: Pos,
) -> Vec<String> {
    let mut alternative_names = Vec::new();
    if let Some(list) = fields.get("alternative_names") {
        for item in decoder.list(list) {
            let Some(name) = decoder.string(item, "alternative_names") else {
                continue;
            };
            if let Some(name) = self::domain(decoder, &name, "alternative name")
                && name != domain
            {
                alternative_names.push(name);
            }
        }
    }
    alternative_names.sort();
    alternative_names.dedup();
    if alternative_names.len() > 99 {
        decoder.error(
            fields.key_pos("alternative_names").unwrap_or(at),
            "a certificate covers at most 100 names",
            "split it into two certificates",
        );
    }
    alternative_names
}

/// The names ACM validates for a certificate, each with the zone its validation record
/// goes to: `named_zone` when the manifest names one, else the deepest zone it is in.
fn validation_zones(
    decoder: &mut Decoder,
    domain: &str,
    alternative_names: &[String],
    named_zone: Option<&Spanned<String>>,
    zones: &[(String, String)],
) -> Vec<(String, Option<String>)> {
    let names = crate::base::known::validation_domains(
        std::iter::once(domain).chain(alternative_names.iter().map(String::as_str)),
    );
    let mut validation = Vec::new();
    for name in names {
        let within =
            |(_, zone): &&(String, String)| name == *zone || name.ends_with(&format!(".{zone}"));
        let zone = match named_zone {
            Some(key) => {
                let zone = zones.iter().find(|(zone, _)| *zone == key.value);
                if zone.as_ref().is_some_and(|zone| !within(zone)) {
                    decoder.error(key.pos, format!("`{name}` is not in zone `{}`", key.value), "validate it through the zone it is in: leave `zone` out, and edgectl picks each name's zone");
                }
                zone.map(|(zone, _)| zone.clone())
            }
            None => zones
                .iter()
                .filter(|zone| within(zone))
                .max_by_key(|(_, zone)| zone.len())
                .map(|(key, _)| key.clone()),
        };
        validation.push((name, zone));
    }
    validation
}
