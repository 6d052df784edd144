//! Distributions, diffed on a normalised view of their configuration: only what the
//! manifest can say is compared (CloudFront fills in the rest: TTLs beside a cache policy,
//! forwarded values, origin timeouts), so that a plan after apply is empty.
//!
//! Updates read the live config and its ETag and send the whole new config with
//! `IfMatch`; deletes disable, wait until deployed, then delete with the latest ETag.

use std::collections::BTreeMap;

use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CacheBehavior, CacheBehaviors, CachedMethods, CustomErrorResponse,
    CustomErrorResponses, CustomHeaders, CustomOriginConfig, DefaultCacheBehavior,
    DistributionConfig, DistributionConfigWithTags, HttpVersion, LoggingConfig, Method,
    MinimumProtocolVersion, Origin, OriginCustomHeader, OriginProtocolPolicy, OriginSslProtocols,
    Origins, PriceClass, S3OriginConfig, SslProtocol, SslSupportMethod, Tag, TagKeys, Tags,
    ViewerCertificate, ViewerProtocolPolicy,
};
use futures::stream::{self, StreamExt, TryStreamExt};
use sha2::{Digest as _, Sha256};

use super::{DISTRIBUTION, id_from_arn, wait_deployed};
use std::time::Duration;

use crate::conditions::{self, Condition, Means};
use crate::engine::diff::Change;
use crate::engine::model::{Desired, Mode, Observed, Value, props};
use crate::errors::{AwsError, AwsResultExt, ErrorKind, built};
use crate::{Cx, OpCx, tags};

/// CloudFront's lists carry their own length (`Aliases { quantity, items }`, ...).
macro_rules! counted {
    ($kind:ident, $items:expr) => {{
        let items = $items;
        built(
            stringify!($kind),
            $kind::builder()
                .quantity(items.len() as i32)
                .set_items(Some(items))
                .build(),
        )
    }};
}

#[allow(clippy::too_many_arguments)]
pub fn behavior_map(
    path: Option<&str>,
    origin: &str,
    cache_policy: &str,
    origin_request_policy: Option<&str>,
    methods: &[String],
    cached: &[String],
    compress: bool,
    viewer_protocol: &str,
) -> Value {
    let policy = |id: &str| match crate::known::policy_name(id) {
        Some(name) => Value::str(name),
        None => Value::str(id),
    };
    let mut map = BTreeMap::from([
        ("origin".to_string(), Value::str(origin)),
        ("cache_policy".to_string(), policy(cache_policy)),
        (
            "origin_request_policy".to_string(),
            origin_request_policy
                .filter(|id| !id.is_empty())
                .map_or(Value::Null, policy),
        ),
        (
            "methods".to_string(),
            Value::Set(methods.iter().map(Value::str).collect()),
        ),
        (
            "cached_methods".to_string(),
            Value::Set(cached.iter().map(Value::str).collect()),
        ),
        ("compress".to_string(), Value::Bool(compress)),
        ("viewer_protocol".to_string(), Value::str(viewer_protocol)),
    ]);
    if let Some(path) = path {
        map.insert("path".to_string(), Value::str(path));
    }
    Value::Map(map)
}

pub fn error_value(code: i64, page: Option<&str>, status: Option<i64>, ttl: i64) -> Value {
    Value::map([
        ("code", Value::Int(code)),
        ("page", page.map_or(Value::Null, Value::str)),
        ("status", status.map_or(Value::Null, Value::Int)),
        ("ttl", Value::Int(ttl)),
    ])
}

/// Load balancers' DNS names -> ARNs, read only when a distribution has a custom origin
/// that looks like one (the listing the load balancers' observe shares).
async fn load_balancer_arns(cx: &Cx) -> Result<BTreeMap<String, String>, AwsError> {
    Ok(crate::elbv2::listing(cx)
        .await?
        .iter()
        .filter_map(|lb| {
            Some((
                lb.dns_name()?.to_ascii_lowercase(),
                lb.load_balancer_arn()?.to_string(),
            ))
        })
        .collect())
}

pub async fn observe(cx: &Cx) -> Result<Vec<Observed>, AwsError> {
    let cloudfront = &cx.clients.cloudfront;
    // The full config of each of the stack's own.
    let owned: Vec<Option<(Observed, bool)>> = stream::iter(super::owned(cx).await?.to_vec())
        .map(|found| async move {
            let config = cloudfront
                .get_distribution_config()
                .id(&found.id)
                .send()
                .await
                .aws("GetDistributionConfig")?;
            let Some(config) = config.distribution_config() else {
                return Ok(None);
            };
            let pairs = found.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            let (mut resource, has_custom) =
                observed(found.logical.clone(), &found.arn, &found.id, config, pairs);
            resource.attributes = published(&found.id, &found.domain_name);
            Ok::<_, AwsError>(Some((resource, has_custom)))
        })
        .buffer_unordered(16)
        .try_collect()
        .await?;
    let mut owned: Vec<(Observed, bool)> = owned.into_iter().flatten().collect();
    if owned.iter().any(|(_, custom)| *custom) {
        let arns = load_balancer_arns(cx).await?;
        for (resource, _) in &mut owned {
            if let Some(field) = resource.props.get_mut("origins")
                && let Value::List(origins) = &mut field.value
            {
                for origin in origins {
                    if let Value::Map(map) = origin
                        && let Some(Value::Str(domain)) = map.get("domain")
                        && let Some(arn) = arns.get(&domain.to_ascii_lowercase())
                    {
                        map.insert("domain".into(), Value::Phys(arn.clone()));
                    }
                }
            }
        }
    }
    Ok(owned.into_iter().map(|(resource, _)| resource).collect())
}

/// The normalised view of a live config; also says whether any origin is custom.
fn observed<'a>(
    logical: crate::engine::model::ResourceId,
    arn: &str,
    id: &str,
    config: &DistributionConfig,
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
) -> (Observed, bool) {
    let mut custom = false;
    let origins: Vec<Value> = config
        .origins()
        .map(|origins| origins.items())
        .unwrap_or_default()
        .iter()
        .map(|origin| {
            let s3 = origin.s3_origin_config().is_some() && origin.custom_origin_config().is_none();
            custom |= !s3;
            Value::map([
                ("id", Value::str(origin.id())),
                ("domain", Value::str(origin.domain_name())),
                ("path", Value::str(origin.origin_path().unwrap_or_default())),
                ("s3", Value::Bool(s3)),
                (
                    "oac",
                    origin
                        .origin_access_control_id()
                        .filter(|id| !id.is_empty())
                        .map_or(Value::Null, |id| Value::Phys(id.to_string())),
                ),
                (
                    "protocol",
                    origin.custom_origin_config().map_or(Value::Null, |custom| {
                        Value::str(custom.origin_protocol_policy().as_str())
                    }),
                ),
                (
                    "headers",
                    Value::Map(
                        origin
                            .custom_headers()
                            .map(|headers| headers.items())
                            .unwrap_or_default()
                            .iter()
                            .map(|header| {
                                (
                                    header.header_name().to_string(),
                                    Value::str(header.header_value()),
                                )
                            })
                            .collect(),
                    ),
                ),
            ])
        })
        .collect();
    let methods = |allowed: Option<&AllowedMethods>| -> (Vec<String>, Vec<String>) {
        let Some(allowed) = allowed else {
            return (
                vec!["GET".into(), "HEAD".into()],
                vec!["GET".into(), "HEAD".into()],
            );
        };
        let all = allowed
            .items()
            .iter()
            .map(|m| m.as_str().to_string())
            .collect();
        let cached = allowed
            .cached_methods()
            .map(|cached| {
                cached
                    .items()
                    .iter()
                    .map(|m| m.as_str().to_string())
                    .collect()
            })
            .unwrap_or_else(|| vec!["GET".into(), "HEAD".into()]);
        (all, cached)
    };
    // DefaultCacheBehavior and CacheBehavior share their getters, not a type.
    macro_rules! behavior_view {
        ($behavior:expr, $path:expr) => {{
            let behavior = $behavior;
            let (all, cached) = methods(behavior.allowed_methods());
            behavior_map(
                $path,
                behavior.target_origin_id(),
                behavior.cache_policy_id().unwrap_or_default(),
                behavior.origin_request_policy_id(),
                &all,
                &cached,
                behavior.compress().unwrap_or(false),
                behavior.viewer_protocol_policy().as_str(),
            )
        }};
    }
    let default = config
        .default_cache_behavior()
        .map_or(Value::Null, |behavior| behavior_view!(behavior, None));
    let behaviors: Vec<Value> = config
        .cache_behaviors()
        .map(|behaviors| behaviors.items())
        .unwrap_or_default()
        .iter()
        .map(|behavior| behavior_view!(behavior, Some(behavior.path_pattern())))
        .collect();
    let mut errors: Vec<(i64, Value)> = config
        .custom_error_responses()
        .map(|errors| errors.items())
        .unwrap_or_default()
        .iter()
        .map(|error| {
            let code = i64::from(error.error_code());
            (
                code,
                error_value(
                    code,
                    error.response_page_path().filter(|page| !page.is_empty()),
                    error.response_code().and_then(|status| status.parse().ok()),
                    error.error_caching_min_ttl().unwrap_or(10),
                ),
            )
        })
        .collect();
    errors.sort_by_key(|(code, _)| *code);
    let certificate = config.viewer_certificate().and_then(|viewer| {
        viewer
            .acm_certificate_arn()
            .filter(|arn| !arn.is_empty())
            .map(|arn| {
                (
                    arn.to_string(),
                    viewer
                        .minimum_protocol_version()
                        .map(|version| version.as_str().to_string()),
                )
            })
    });
    let logging =
        config
            .logging()
            .filter(|logging| logging.enabled())
            .map_or(Value::Null, |logging| {
                Value::map([
                    ("bucket", Value::str(logging.bucket())),
                    ("prefix", Value::str(logging.prefix())),
                ])
            });
    let mut resource = Observed::new(
        logical,
        arn,
        props([
            ("comment", Value::str(config.comment()), Mode::InPlace),
            ("enabled", Value::Bool(config.enabled()), Mode::InPlace),
            (
                "aliases",
                Value::Set(
                    config
                        .aliases()
                        .map(|aliases| aliases.items())
                        .unwrap_or_default()
                        .iter()
                        .map(Value::str)
                        .collect(),
                ),
                Mode::InPlace,
            ),
            (
                "certificate",
                certificate
                    .as_ref()
                    .map_or(Value::Null, |(arn, _)| Value::str(arn)),
                Mode::InPlace,
            ),
            (
                "minimum_tls",
                certificate
                    .as_ref()
                    .and_then(|(_, version)| version.clone())
                    .map_or(Value::Null, Value::Str),
                Mode::InPlace,
            ),
            (
                "price_class",
                Value::str(
                    config
                        .price_class()
                        .map_or("PriceClass_All", |class| class.as_str()),
                ),
                Mode::InPlace,
            ),
            (
                "default_root_object",
                Value::str(config.default_root_object().unwrap_or_default()),
                Mode::InPlace,
            ),
            (
                "http_version",
                Value::str(
                    config
                        .http_version()
                        .map_or("http2", |version| version.as_str()),
                ),
                Mode::InPlace,
            ),
            (
                "ipv6",
                Value::Bool(config.is_ipv6_enabled().unwrap_or(false)),
                Mode::InPlace,
            ),
            (
                "web_acl",
                config
                    .web_acl_id()
                    .filter(|acl| !acl.is_empty())
                    .map_or(Value::Null, Value::str),
                Mode::InPlace,
            ),
            ("logging", logging, Mode::InPlace),
            ("origins", Value::List(origins), Mode::InPlace),
            ("default", default, Mode::InPlace),
            ("behaviors", Value::List(behaviors), Mode::InPlace),
            (
                "errors",
                Value::List(errors.into_iter().map(|(_, value)| value).collect()),
                Mode::InPlace,
            ),
            ("tags", tags::observed_tags(pairs), Mode::InPlace),
        ]),
    );
    resource.extra.insert("id".into(), id.to_string());
    (resource, custom)
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .into_iter()
        .flat_map(Value::items)
        .filter_map(|item| item.as_str().map(str::to_string))
        .collect()
}

fn text<'a>(map: &'a BTreeMap<String, Value>, key: &str) -> &'a str {
    map.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn allowed_methods(map: &BTreeMap<String, Value>) -> Result<AllowedMethods, AwsError> {
    let all: Vec<Method> = strings(map.get("methods"))
        .iter()
        .map(|method| Method::from(method.as_str()))
        .collect();
    let cached: Vec<Method> = strings(map.get("cached_methods"))
        .iter()
        .map(|method| Method::from(method.as_str()))
        .collect();
    built(
        "AllowedMethods",
        AllowedMethods::builder()
            .quantity(all.len() as i32)
            .set_items(Some(all))
            .cached_methods(counted!(CachedMethods, cached)?)
            .build(),
    )
}

/// A managed policy's id from the name the plan shows (or the id itself).
fn policy_id(value: &str) -> String {
    crate::known::CACHE_POLICIES
        .iter()
        .chain(crate::known::ORIGIN_REQUEST_POLICIES)
        .find(|(_, aws, _)| *aws == value)
        .map_or(value.to_string(), |(_, _, id)| id.to_string())
}

/// The whole config the desired state describes.
async fn config(
    op: &OpCx<'_>,
    desired: &Desired,
    caller_reference: &str,
) -> Result<DistributionConfig, AwsError> {
    let mut origins = Vec::new();
    let wanted: Vec<Value> = desired.value("origins").items().cloned().collect();
    for origin in &wanted {
        let Some(map) = origin.as_map() else {
            continue;
        };
        let domain = match map.get("domain") {
            Some(Value::Ref(id)) => {
                let arn = op.resolve(&Value::Ref(id.clone()))?;
                let found = op
                    .cx
                    .clients
                    .elbv2
                    .describe_load_balancers()
                    .load_balancer_arns(&arn)
                    .send()
                    .await
                    .aws("DescribeLoadBalancers")?;
                found
                    .load_balancers()
                    .first()
                    .and_then(|lb| lb.dns_name())
                    .unwrap_or_default()
                    .to_string()
            }
            Some(other) => other.as_str().unwrap_or_default().to_string(),
            None => String::new(),
        };
        let headers: Vec<OriginCustomHeader> = map
            .get("headers")
            .and_then(Value::as_map)
            .map(|headers| {
                headers
                    .iter()
                    .map(|(name, value)| {
                        built(
                            "OriginCustomHeader",
                            OriginCustomHeader::builder()
                                .header_name(name)
                                .header_value(value.as_str().unwrap_or_default())
                                .build(),
                        )
                    })
                    .collect::<Result<_, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let mut builder = Origin::builder()
            .id(text(map, "id"))
            .domain_name(domain)
            .origin_path(text(map, "path"))
            .custom_headers(counted!(CustomHeaders, headers)?);
        if map.get("s3") == Some(&Value::Bool(true)) {
            builder = builder
                // OAC, not the legacy origin access identity: the identity stays empty.
                .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
                .origin_access_control_id(op.resolve(map.get("oac").unwrap_or(&Value::Null))?);
        } else {
            builder = builder.custom_origin_config(built(
                "CustomOriginConfig",
                CustomOriginConfig::builder()
                    .http_port(80)
                    .https_port(443)
                    .origin_protocol_policy(OriginProtocolPolicy::from(text(map, "protocol")))
                    .origin_ssl_protocols(built(
                        "OriginSslProtocols",
                        OriginSslProtocols::builder()
                            .quantity(1)
                            .items(SslProtocol::TlSv12)
                            .build(),
                    )?)
                    .origin_read_timeout(30)
                    .origin_keepalive_timeout(5)
                    .build(),
            )?);
        }
        origins.push(built("Origin", builder.build())?);
    }
    let empty = BTreeMap::new();
    let default = desired.value("default").as_map().unwrap_or(&empty);
    // DefaultCacheBehavior and CacheBehavior share their setters, not a type.
    macro_rules! behavior_builder {
        ($builder:expr, $map:expr) => {{
            let map = $map;
            let builder = $builder
                .target_origin_id(text(map, "origin"))
                .viewer_protocol_policy(ViewerProtocolPolicy::from(text(map, "viewer_protocol")))
                .allowed_methods(allowed_methods(map)?)
                .compress(map.get("compress") == Some(&Value::Bool(true)))
                .cache_policy_id(policy_id(text(map, "cache_policy")));
            match map.get("origin_request_policy") {
                Some(Value::Str(policy)) => builder.origin_request_policy_id(policy_id(policy)),
                _ => builder,
            }
        }};
    }
    let default_behavior = behavior_builder!(DefaultCacheBehavior::builder(), default);
    let mut behaviors = Vec::new();
    for behavior in desired.value("behaviors").items() {
        let Some(map) = behavior.as_map() else {
            continue;
        };
        let builder = behavior_builder!(
            CacheBehavior::builder().path_pattern(text(map, "path")),
            map
        );
        behaviors.push(built("CacheBehavior", builder.build())?);
    }
    let errors: Vec<CustomErrorResponse> = desired
        .value("errors")
        .items()
        .filter_map(Value::as_map)
        .map(|map| {
            let mut builder = CustomErrorResponse::builder();
            if let Some(Value::Int(code)) = map.get("code") {
                builder = builder.error_code(*code as i32);
            }
            if let Some(Value::Str(page)) = map.get("page") {
                builder = builder.response_page_path(page);
            }
            if let Some(Value::Int(status)) = map.get("status") {
                builder = builder.response_code(status.to_string());
            }
            if let Some(Value::Int(ttl)) = map.get("ttl") {
                builder = builder.error_caching_min_ttl(*ttl);
            }
            built("CustomErrorResponse", builder.build())
        })
        .collect::<Result<_, _>>()?;
    let aliases = strings(Some(desired.value("aliases")));
    let viewer = match desired.value("certificate").as_str() {
        Some(arn) => ViewerCertificate::builder()
            .acm_certificate_arn(arn)
            .ssl_support_method(SslSupportMethod::SniOnly)
            .minimum_protocol_version(MinimumProtocolVersion::from(
                desired
                    .value("minimum_tls")
                    .as_str()
                    .unwrap_or("TLSv1.2_2021"),
            ))
            .build(),
        None => ViewerCertificate::builder()
            .cloud_front_default_certificate(true)
            .build(),
    };
    let logging = match desired.value("logging").as_map() {
        Some(map) => LoggingConfig::builder()
            .enabled(true)
            .include_cookies(false)
            .bucket(text(map, "bucket"))
            .prefix(text(map, "prefix"))
            .build(),
        None => LoggingConfig::builder()
            .enabled(false)
            .include_cookies(false)
            .bucket("")
            .prefix("")
            .build(),
    };
    built(
        "DistributionConfig",
        DistributionConfig::builder()
            .caller_reference(caller_reference)
            .comment(desired.value("comment").as_str().unwrap_or_default())
            .enabled(desired.value("enabled") == &Value::Bool(true))
            .aliases(counted!(Aliases, aliases)?)
            .default_root_object(
                desired
                    .value("default_root_object")
                    .as_str()
                    .unwrap_or_default(),
            )
            .origins(counted!(Origins, origins)?)
            .default_cache_behavior(built("DefaultCacheBehavior", default_behavior.build())?)
            .cache_behaviors(counted!(CacheBehaviors, behaviors)?)
            .custom_error_responses(counted!(CustomErrorResponses, errors)?)
            .logging(logging)
            .price_class(PriceClass::from(
                desired
                    .value("price_class")
                    .as_str()
                    .unwrap_or("PriceClass_All"),
            ))
            .viewer_certificate(viewer)
            .web_acl_id(desired.value("web_acl").as_str().unwrap_or_default())
            .http_version(HttpVersion::from(
                desired
                    .value("http_version")
                    .as_str()
                    .unwrap_or("http2and3"),
            ))
            .is_ipv6_enabled(desired.value("ipv6") == &Value::Bool(true))
            .build(),
    )
}

fn cloudfront_tags(pairs: Vec<(String, String)>) -> Result<Tags, AwsError> {
    let items: Vec<Tag> = pairs
        .into_iter()
        .map(|(key, value)| built("Tag", Tag::builder().key(key).value(value).build()))
        .collect::<Result<_, _>>()?;
    Ok(Tags::builder().set_items(Some(items)).build())
}

#[async_trait::async_trait]
impl tags::Tagging for aws_sdk_cloudfront::Client {
    async fn tag(&self, arn: &str, tags: Vec<(String, String)>) -> Result<(), AwsError> {
        self.tag_resource()
            .resource(arn)
            .tags(cloudfront_tags(tags)?)
            .send()
            .await
            .aws("TagResource")
            .map(drop)
    }

    async fn untag(&self, arn: &str, keys: Vec<String>) -> Result<(), AwsError> {
        self.untag_resource()
            .resource(arn)
            .tag_keys(TagKeys::builder().set_items(Some(keys)).build())
            .send()
            .await
            .aws("UntagResource")
            .map(drop)
    }
}

/// What other values may refer to: `${distributions.<key>.id}` (what an invalidation or a
/// pipeline names) and `.domain_name`.
fn published(id: &str, domain_name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("id".to_string(), id.to_string()),
        ("domain_name".to_string(), domain_name.to_string()),
    ])
}

/// What CloudFront answers while it settles what a call needs (the Terraform provider's
/// `internal/service/cloudfront/distribution.go`): a certificate ACM issued seconds ago
/// (`InvalidViewerCertificate`, 1 minute; only for the stack's own certificate, else a
/// mistake said at once), and an ETag that changed since it was read (`PreconditionFailed`:
/// each attempt reads it again).
pub const CONDITIONS: &[Condition] = &[
    Condition {
        operation: "CreateDistributionWithTags",
        code: "InvalidViewerCertificate",
        message: None,
        means: Means::Settling {
            awaiting: "the certificate ACM just issued to reach CloudFront",
            window: Duration::from_secs(60),
        },
        source: "terraform-provider-aws internal/service/cloudfront/distribution.go resourceDistributionCreate",
    },
    Condition {
        operation: "UpdateDistribution",
        code: "InvalidViewerCertificate",
        message: None,
        means: Means::Settling {
            awaiting: "the certificate ACM just issued to reach CloudFront",
            window: Duration::from_secs(60),
        },
        source: "terraform-provider-aws internal/service/cloudfront/distribution.go resourceDistributionUpdate",
    },
    Condition {
        operation: "UpdateDistribution",
        code: "PreconditionFailed",
        message: None,
        means: Means::Settling {
            awaiting: "the distribution's latest version (it changed since it was read)",
            window: Duration::from_secs(60),
        },
        source: "terraform-provider-aws internal/service/cloudfront/distribution.go resourceDistributionUpdate",
    },
    Condition {
        operation: "DeleteDistribution",
        code: "PreconditionFailed",
        message: None,
        means: Means::Settling {
            awaiting: "the distribution's latest version (it changed since it was read)",
            window: Duration::from_secs(60),
        },
        source: "terraform-provider-aws internal/service/cloudfront/distribution.go resourceDistributionDelete",
    },
    Condition {
        operation: "DeleteDistribution",
        code: "InvalidIfMatchVersion",
        message: None,
        means: Means::Settling {
            awaiting: "the distribution's latest version (it changed since it was read)",
            window: Duration::from_secs(60),
        },
        source: "terraform-provider-aws internal/service/cloudfront/distribution.go resourceDistributionDelete",
    },
];

/// An error of a distribution's call, read with its conditions and by whose certificate
/// it names.
fn read_error(desired: Option<&Desired>, error: AwsError) -> AwsError {
    let Some(desired) = desired else {
        return conditions::read(error, CONDITIONS);
    };
    let arn = desired.value("certificate").as_str().unwrap_or_default();
    let error = conditions::certificate_error(
        error,
        &["InvalidViewerCertificate"],
        conditions::uses_stack_certificate(desired),
        CONDITIONS,
        &format!(
            "CloudFront cannot use certificate `{arn}`: a distribution's certificate is an issued ACM certificate in us-east-1 covering its aliases; check the ARN (`aws acm list-certificates --region us-east-1`), or let the stack request one under `certificates:`"
        ),
    );
    conditions::read(error, CONDITIONS)
}

pub async fn create(op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
    // A retried create with the same config gets the same distribution back (CloudFront
    // answers a repeated caller reference with the original); a new config, a new one.
    let mut hasher = Sha256::new();
    hasher.update(format!("{}\n{}\n{:?}", op.cx.stack, op.id, desired.props).as_bytes());
    let reference = format!("edgectl-{}", &hex::encode(hasher.finalize())[..32]);
    let config = config(op, desired, &reference).await?;
    let created = op
        .cx
        .clients
        .cloudfront
        .create_distribution_with_tags()
        .distribution_config_with_tags(
            DistributionConfigWithTags::builder()
                .distribution_config(config)
                .tags(cloudfront_tags(crate::tags::for_create(op, desired))?)
                .build(),
        )
        .send()
        .await
        .aws("CreateDistributionWithTags")
        .map_err(|error| read_error(Some(desired), error))?;
    let distribution = created.distribution();
    let arn = distribution
        .map(|d| d.arn().to_string())
        .ok_or_else(|| AwsError::missing("CreateDistributionWithTags", "Distribution"))?;
    if let Some(distribution) = distribution {
        for (name, value) in published(distribution.id(), distribution.domain_name()) {
            op.publish(&name, &value);
        }
    }
    if op.cx.wait_edge
        && let Some(distribution) = distribution
    {
        wait_deployed(op, distribution.id()).await?;
    }
    Ok(arn)
}

pub async fn update(
    op: &OpCx<'_>,
    desired: &Desired,
    observed: &Observed,
    changes: &[Change],
) -> Result<(), AwsError> {
    let cloudfront = &op.cx.clients.cloudfront;
    let id = observed
        .extra
        .get("id")
        .cloned()
        .unwrap_or_else(|| id_from_arn(&observed.physical_id).to_string());
    if changes.iter().any(|change| change.field != "tags") {
        let live = cloudfront
            .get_distribution_config()
            .id(&id)
            .send()
            .await
            .aws("GetDistributionConfig")?;
        let reference = live
            .distribution_config()
            .map(|config| config.caller_reference().to_string())
            .unwrap_or_default();
        let config = config(op, desired, &reference).await?;
        cloudfront
            .update_distribution()
            .id(&id)
            .set_if_match(live.e_tag().map(str::to_string))
            .distribution_config(config)
            .send()
            .await
            .aws("UpdateDistribution")
            .map_err(|error| read_error(Some(desired), error))?;
        if op.cx.wait_edge {
            wait_deployed(op, &id).await?;
        }
    }
    tags::sync(
        cloudfront,
        &observed.physical_id,
        observed.value("tags"),
        desired.value("tags"),
    )
    .await
}

pub async fn delete(op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
    let cloudfront = &op.cx.clients.cloudfront;
    let id = observed
        .extra
        .get("id")
        .cloned()
        .unwrap_or_else(|| id_from_arn(&observed.physical_id).to_string());
    let live = cloudfront
        .get_distribution_config()
        .id(&id)
        .send()
        .await
        .aws("GetDistributionConfig")?;
    // CloudFront deletes only a disabled distribution whose last change has deployed.
    if let Some(config) = live.distribution_config()
        && config.enabled()
    {
        let mut disabled = config.clone();
        disabled.enabled = false;
        cloudfront
            .update_distribution()
            .id(&id)
            .set_if_match(live.e_tag().map(str::to_string))
            .distribution_config(disabled)
            .send()
            .await
            .aws("UpdateDistribution")
            .map_err(|error| read_error(None, error))?;
    }
    let etag = wait_deployed(op, &id).await?;
    let result = cloudfront
        .delete_distribution()
        .id(&id)
        .if_match(etag)
        .send()
        .await
        .aws("DeleteDistribution")
        .map_err(|error| read_error(None, error));
    match result {
        Err(error) if error.kind == ErrorKind::NotFound => Ok(()),
        other => other.map(drop),
    }
}

/// Distributions: their own kind; the Origin Access Controls they use are another.
pub struct DistributionAdapter;

#[async_trait::async_trait]
impl crate::engine::kind::Kind for DistributionAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[DISTRIBUTION]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        observe(cx).await
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        create(op, desired).await
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        update(op, desired, observed, changes).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        // Already gone (NoSuchDistribution, NoSuchOriginAccessControl) is done: the walk
        // takes "not found" on a delete as success.
        delete(op, observed).await
    }
}
