//! The typed properties of a distribution and an Origin Access Control, and the
//! lowering: distributions with their origins (buckets through their Origin Access
//! Control, load balancers), behaviours, aliases, certificate; one Origin Access Control
//! per bucket a distribution serves. What a distribution reads of a bucket it records in
//! `uses` (the bucket's policy lets it in; the bucket's sync invalidates it).

use std::collections::{BTreeMap, BTreeSet};

use super::manifest::{Behavior, Distribution, OriginTarget};
use crate::aws::ids::{bucket_id, distribution_id, firewall_id, load_balancer_id, oac_id};
use crate::aws::{naming, tags};
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::lower::Env;
use crate::lower::uses::{Served, Uses};
use crate::manifest::Manifest;

crate::engine::properties! {
    /// A distribution, as far as the manifest can say it (CloudFront fills in the rest).
    pub struct DistributionProps (changes: DistributionChanges) {
        pub comment: String => InPlace,
        pub enabled: bool => InPlace,
        /// The names it answers to besides its own.
        pub aliases: BTreeSet<String> => InPlace,
        /// The stack's certificate (its ARN once issued), an ARN, or nothing (CloudFront's
        /// own certificate).
        pub certificate: Value => InPlace,
        /// With a certificate only.
        pub minimum_tls: Option<String> => InPlace,
        /// `PriceClass_All`, `PriceClass_200` or `PriceClass_100`.
        pub price_class: String => InPlace,
        /// Empty for none.
        pub default_root_object: String => InPlace,
        pub http_version: String => InPlace,
        pub ipv6: bool => InPlace,
        /// The stack's firewall (its ARN once made), a web ACL's ARN, or nothing.
        pub web_acl: Value => InPlace,
        pub logging: Option<DistributionLogging> => InPlace,
        pub origins: Vec<DistributionOrigin> => InPlace,
        pub default: DistributionBehavior => InPlace,
        /// In order: the first whose path matches serves a request.
        pub behaviors: Vec<DistributionBehavior> => InPlace,
        /// By status code.
        pub errors: Vec<DistributionErrorResponse> => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

crate::engine::record! {
    /// Where a distribution writes its access logs.
    pub struct DistributionLogging {
        /// `<bucket>.s3.amazonaws.com`.
        pub bucket: String,
        pub prefix: String,
    }
}

crate::engine::record! {
    /// Where a distribution reads from: a bucket through its Origin Access Control, or a
    /// server (the stack's load balancer, a domain).
    pub struct DistributionOrigin {
        /// Its id inside the distribution.
        pub id: String,
        /// The bucket's regional domain or a server's; the stack's load balancer by
        /// reference (its ARN once live).
        pub domain: Value,
        /// Empty for the root.
        pub path: String,
        pub s3: bool,
        /// A bucket's Origin Access Control, by reference; none for a server.
        pub oac: Option<Value>,
        /// A server's `http-only`, `https-only` or `match-viewer`; none for a bucket.
        pub protocol: Option<String>,
        /// Headers CloudFront adds to each request to the origin.
        pub headers: BTreeMap<String, String>,
    }
}

crate::engine::record! {
    /// How a distribution serves the requests of a path (or, the default one, all others).
    pub struct DistributionBehavior {
        /// The pattern; none for the default behaviour (left out of its map).
        pub path: Option<String> => optional,
        /// The origin's id.
        pub origin: String,
        /// A managed policy by the name the plan shows, another by its id.
        pub cache_policy: String,
        pub origin_request_policy: Option<String>,
        pub methods: BTreeSet<String>,
        pub cached_methods: BTreeSet<String>,
        pub compress: bool,
        pub viewer_protocol: String,
    }
}

crate::engine::record! {
    /// What a distribution answers for an error status.
    pub struct DistributionErrorResponse {
        pub code: i64,
        /// The page served instead, if any.
        pub page: Option<String>,
        /// The status served with it, if another.
        pub status: Option<i64>,
        /// Seconds the error is cached.
        pub ttl: i64,
    }
}

crate::engine::properties! {
    /// An Origin Access Control: what the API lets it say, all changed in place.
    pub struct OriginAccessControlProps (changes: OriginAccessControlChanges) {
        /// `<stack>-<bucket key>`, unique in the account, at most 64 characters.
        pub name: String => InPlace,
        /// What it signs for: `s3`.
        pub origin_type: String => InPlace,
        /// When and how it signs: `always sigv4`.
        pub signing: String => InPlace,
    }
}

/// A managed policy's name as the plan shows it (`Managed-CachingOptimized`), from its id
/// (another policy's id as it is).
pub fn shown_policy(id: &str) -> String {
    crate::base::known::policy_name(id).map_or_else(|| id.to_string(), str::to_string)
}

/// The distributions (`distributions`) and the Origin Access Controls they read buckets
/// through.
pub fn desired(
    distributions: &[Distribution],
    manifest: &Manifest,
    env: &Env,
    uses: &mut Uses,
) -> Vec<Desired> {
    let mut out: Vec<Desired> = distributions
        .iter()
        .map(|distribution| one(manifest, env, distribution, uses))
        .collect();
    out.extend(origin_access_controls(distributions, manifest));
    out
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
                    uses.served(
                        key,
                        Served {
                            distribution: Value::Ref(distribution_id(&distribution.key)),
                            origin_path: origin.path.clone(),
                            root_object: distribution.default_root_object.clone(),
                        },
                    );
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
            let (value, wait) = crate::lower::certificate_reference(written);
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
    manifest.name_of("buckets", key).unwrap_or_default()
}

/// One Origin Access Control per bucket the distributions serve.
fn origin_access_controls(distributions: &[Distribution], manifest: &Manifest) -> Vec<Desired> {
    let mut keys: Vec<&str> = distributions
        .iter()
        .flat_map(|distribution| &distribution.origins)
        .filter_map(|origin| match &origin.target {
            OriginTarget::Bucket(key) => Some(key.as_str()),
            _ => None,
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|key| Desired {
            id: oac_id(key),
            props: OriginAccessControlProps {
                name: naming::fit(&format!("{}-{key}", manifest.stack), 64),
                origin_type: "s3".to_string(),
                signing: "always sigv4".to_string(),
            }
            .into_props(),
            after: Vec::new(),
        })
        .collect()
}
