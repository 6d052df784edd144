//! Lowering: CloudFront distributions: origins (buckets through their Origin Access
//! Control, load balancers), behaviours, aliases, certificate.

use super::Env;
use super::load_balancer::load_balancer_id;
use crate::aws::cloudfront::distribution::{behavior_map, error_value};
use crate::aws::cloudfront::distribution_id;
use crate::aws::cloudfront::origin_access_control::oac_id;
use crate::aws::s3::bucket_id;
use crate::aws::tags;
use crate::engine::model::{Desired, Mode, Value, props};
use crate::manifest::Manifest;
use crate::manifest::edge::{Behavior, Distribution, OriginTarget};

pub fn desired(manifest: &Manifest, env: &Env) -> Vec<Desired> {
    manifest
        .edge
        .distributions
        .iter()
        .map(|distribution| one(manifest, env, distribution))
        .collect()
}

pub fn one(manifest: &Manifest, env: &Env, distribution: &Distribution) -> Desired {
    let mut after = Vec::new();
    let origins: Vec<Value> = distribution
        .origins
        .iter()
        .map(|origin| {
            let (domain, s3, oac) = match &origin.target {
                OriginTarget::Bucket(key) => {
                    after.push(bucket_id(key));
                    (
                        Value::str(bucket_domain(bucket_name(manifest, key), &env.region)),
                        true,
                        Value::Ref(oac_id(key)),
                    )
                }
                OriginTarget::LoadBalancer(key) => {
                    (Value::Ref(load_balancer_id(key)), false, Value::Null)
                }
                OriginTarget::Domain(domain) => (Value::str(domain), false, Value::Null),
            };
            Value::map([
                ("id", Value::str(&origin.id)),
                ("domain", domain),
                ("path", Value::str(&origin.path)),
                ("s3", Value::Bool(s3)),
                ("oac", oac),
                (
                    "protocol",
                    if s3 {
                        Value::Null
                    } else {
                        Value::str(&origin.protocol)
                    },
                ),
                (
                    "headers",
                    Value::Map(
                        origin
                            .headers
                            .iter()
                            .map(|(key, value)| (key.clone(), Value::str(value)))
                            .collect(),
                    ),
                ),
            ])
        })
        .collect();
    let logging = distribution
        .logging
        .as_ref()
        .map_or(Value::Null, |(key, prefix)| {
            after.push(bucket_id(key));
            Value::map([
                (
                    "bucket",
                    Value::str(format!("{}.s3.amazonaws.com", bucket_name(manifest, key))),
                ),
                ("prefix", Value::str(prefix)),
            ])
        });
    Desired {
        id: distribution_id(&distribution.key),
        props: props([
            ("comment", Value::str(&distribution.comment), Mode::InPlace),
            ("enabled", Value::Bool(distribution.enabled), Mode::InPlace),
            (
                "aliases",
                Value::Set(distribution.aliases.iter().map(Value::str).collect()),
                Mode::InPlace,
            ),
            (
                "certificate",
                match distribution.certificate.as_deref() {
                    Some(written) => {
                        let (value, wait) = super::certificate::reference(written);
                        after.extend(wait);
                        value
                    }
                    None => Value::Null,
                },
                Mode::InPlace,
            ),
            (
                "minimum_tls",
                if distribution.certificate.is_some() {
                    Value::str(&distribution.minimum_tls)
                } else {
                    Value::Null
                },
                Mode::InPlace,
            ),
            (
                "price_class",
                Value::str(&distribution.price_class),
                Mode::InPlace,
            ),
            (
                "default_root_object",
                Value::str(&distribution.default_root_object),
                Mode::InPlace,
            ),
            (
                "http_version",
                Value::str(&distribution.http_version),
                Mode::InPlace,
            ),
            ("ipv6", Value::Bool(distribution.ipv6), Mode::InPlace),
            (
                "web_acl",
                // A web ACL made elsewhere by its ARN, or the stack's firewall protecting it.
                distribution.web_acl.as_ref().map_or_else(
                    || super::firewall::distribution_firewall(manifest, &distribution.key),
                    Value::str,
                ),
                Mode::InPlace,
            ),
            ("logging", logging, Mode::InPlace),
            ("origins", Value::List(origins), Mode::InPlace),
            (
                "default",
                behavior_value(&distribution.default),
                Mode::InPlace,
            ),
            (
                "behaviors",
                Value::List(distribution.behaviors.iter().map(behavior_value).collect()),
                Mode::InPlace,
            ),
            (
                "errors",
                Value::List(
                    distribution
                        .errors
                        .iter()
                        .map(|error| {
                            error_value(error.code, error.page.as_deref(), error.status, error.ttl)
                        })
                        .collect(),
                ),
                Mode::InPlace,
            ),
            (
                "tags",
                tags::managed_tags(
                    &manifest.tags,
                    &distribution.tags,
                    &format!("{}-{}", manifest.stack, distribution.key),
                    distribution.retain,
                ),
                Mode::InPlace,
            ),
        ]),
        after,
    }
}

pub fn behavior_value(behavior: &Behavior) -> Value {
    behavior_map(
        behavior.path.as_deref(),
        &behavior.origin,
        &behavior.cache_policy,
        behavior.origin_request_policy.as_deref(),
        &behavior.methods,
        &behavior.cached_methods,
        behavior.compress,
        &behavior.viewer_protocol,
    )
}

pub fn bucket_domain(name: &str, region: &str) -> String {
    format!("{name}.s3.{region}.amazonaws.com")
}

pub fn bucket_name<'m>(manifest: &'m Manifest, key: &str) -> &'m str {
    manifest
        .edge
        .buckets
        .iter()
        .find(|bucket| bucket.key == key)
        .map_or("", |bucket| bucket.name.as_str())
}
