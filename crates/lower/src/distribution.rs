//! Lowering: CloudFront distributions: origins (buckets through their Origin Access
//! Control, load balancers), behaviours, aliases, certificate.

use super::Env;
use super::uses::Uses;
use crate::aws::cloudfront::distribution::{
    DistributionBehavior, DistributionErrorResponse, DistributionLogging, DistributionOrigin,
    DistributionProps, shown_policy,
};
use crate::aws::ids::{bucket_id, distribution_id, firewall_id, load_balancer_id, oac_id};
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;
use crate::manifest::edge::{Behavior, Distribution, OriginTarget};

pub fn desired(manifest: &Manifest, env: &Env, uses: &mut Uses) -> Vec<Desired> {
    manifest
        .edge
        .distributions
        .iter()
        .map(|distribution| one(manifest, env, distribution, uses))
        .collect()
}

/// A distribution; each bucket it reads through its Origin Access Control recorded in
/// `uses`, for the bucket's policy.
pub fn one(
    manifest: &Manifest,
    env: &Env,
    distribution: &Distribution,
    uses: &mut Uses,
) -> Desired {
    let mut after = Vec::new();
    let origins: Vec<DistributionOrigin> = distribution
        .origins
        .iter()
        .map(|origin| {
            let (domain, s3, oac) = match &origin.target {
                OriginTarget::Bucket(key) => {
                    after.push(bucket_id(key));
                    uses.bucket_reader(key, Value::Ref(distribution_id(&distribution.key)));
                    (
                        Value::str(bucket_domain(bucket_name(manifest, key), &env.region)),
                        true,
                        Some(Value::Ref(oac_id(key))),
                    )
                }
                OriginTarget::LoadBalancer(key) => (Value::Ref(load_balancer_id(key)), false, None),
                OriginTarget::Domain(domain) => (Value::str(domain), false, None),
            };
            DistributionOrigin {
                id: origin.id.clone(),
                domain,
                path: origin.path.clone(),
                s3,
                oac,
                protocol: (!s3).then(|| origin.protocol.clone()),
                headers: origin.headers.clone(),
            }
        })
        .collect();
    let logging = distribution.logging.as_ref().map(|(key, prefix)| {
        after.push(bucket_id(key));
        DistributionLogging {
            bucket: format!("{}.s3.amazonaws.com", bucket_name(manifest, key)),
            prefix: prefix.clone(),
        }
    });
    let certificate = match distribution.certificate.as_deref() {
        Some(written) => {
            let (value, wait) = super::certificate_reference(written);
            after.extend(wait);
            value
        }
        None => Value::Null,
    };
    let props = DistributionProps {
        comment: distribution.comment.clone(),
        enabled: distribution.enabled,
        aliases: distribution.aliases.iter().cloned().collect(),
        certificate,
        minimum_tls: distribution
            .certificate
            .is_some()
            .then(|| distribution.minimum_tls.clone()),
        price_class: distribution.price_class.clone(),
        default_root_object: distribution.default_root_object.clone(),
        http_version: distribution.http_version.clone(),
        ipv6: distribution.ipv6,
        // A web ACL made elsewhere by its ARN, or the stack's firewall protecting it.
        web_acl: distribution.web_acl.as_ref().map_or_else(
            || {
                manifest
                    .attached("firewalls", "distributions", &distribution.key)
                    .map_or(Value::Null, |firewall| {
                        Value::Template(vec![Value::Ref(firewall_id(firewall))])
                    })
            },
            Value::str,
        ),
        logging,
        origins,
        default: behavior_value(&distribution.default),
        behaviors: distribution.behaviors.iter().map(behavior_value).collect(),
        errors: distribution
            .errors
            .iter()
            .map(|error| DistributionErrorResponse {
                code: error.code,
                page: error.page.clone(),
                status: error.status,
                ttl: error.ttl,
            })
            .collect(),
        tags: tags::managed_tag_map(
            &manifest.tags,
            &distribution.tags,
            &format!("{}-{}", manifest.stack, distribution.key),
            distribution.retain,
        ),
    };
    Desired {
        id: distribution_id(&distribution.key),
        props: props.into_props(),
        after,
    }
}

/// A behaviour as the plan shows it: managed policies by name, an empty origin request
/// policy as none.
pub fn behavior_value(behavior: &Behavior) -> DistributionBehavior {
    DistributionBehavior {
        path: behavior.path.clone(),
        origin: behavior.origin.clone(),
        cache_policy: shown_policy(&behavior.cache_policy),
        origin_request_policy: behavior
            .origin_request_policy
            .as_deref()
            .filter(|id| !id.is_empty())
            .map(shown_policy),
        methods: behavior.methods.iter().cloned().collect(),
        cached_methods: behavior.cached_methods.iter().cloned().collect(),
        compress: behavior.compress,
        viewer_protocol: behavior.viewer_protocol.clone(),
    }
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
