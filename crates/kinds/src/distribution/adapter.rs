//! Distributions, diffed on a normalised view of their configuration: only what the
//! manifest can say is compared (CloudFront fills in the rest: TTLs beside a cache policy,
//! forwarded values, origin timeouts), so that a plan after apply is empty.
//!
//! Updates read the live config and its ETag and send the whole new config with
//! `IfMatch`; deletes disable, wait until deployed, then delete with the latest ETag.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CacheBehavior, CacheBehaviors, CachedMethods, CustomErrorResponse,
    CustomErrorResponses, CustomHeaders, CustomOriginConfig, DefaultCacheBehavior,
    DistributionConfig, DistributionConfigWithTags, DistributionSummary, HttpVersion,
    LoggingConfig, Method, MinimumProtocolVersion, Origin, OriginCustomHeader,
    OriginProtocolPolicy, OriginSslProtocols, Origins, PriceClass, S3OriginConfig, SslProtocol,
    SslSupportMethod, ViewerCertificate, ViewerProtocolPolicy,
};
use futures::future::try_join_all;
use futures::stream::{self, StreamExt, TryStreamExt};
use sha2::{Digest as _, Sha256};

use super::lower::{
    DistributionBehavior, DistributionChanges, DistributionErrorResponse, DistributionLogging,
    DistributionOrigin, DistributionProps, shown_policy,
};
use crate::aws::cloudfront::{OwnedDistribution, cloudfront_tags, id_from_arn, wait_deployed};
use crate::aws::ids::DISTRIBUTION;
use std::time::Duration;

use crate::aws::conditions::{self, Condition, Means};
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind, built};
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::Change;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, Value};
use crate::engine::typed::Properties as _;

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

/// A managed policy's id from the name the plan shows (or the id itself).
fn policy_id(value: &str) -> String {
    crate::base::known::CACHE_POLICIES
        .iter()
        .chain(crate::base::known::ORIGIN_REQUEST_POLICIES)
        .find(|(_, aws, _)| *aws == value)
        .map_or(value.to_string(), |(_, _, id)| id.to_string())
}

/// A live behaviour as the manifest says one. DefaultCacheBehavior and CacheBehavior share
/// their getters, not a type.
macro_rules! behavior_view {
    ($behavior:expr, $path:expr) => {{
        let behavior = $behavior;
        let (methods, cached_methods) = observed_methods(behavior.allowed_methods());
        DistributionBehavior {
            path: $path,
            origin: behavior.target_origin_id().to_string(),
            // None (legacy forwarded values) reads as empty: a plan sets the manifest's.
            cache_policy: shown_policy(behavior.cache_policy_id().unwrap_or_default()),
            origin_request_policy: behavior
                .origin_request_policy_id()
                .filter(|id| !id.is_empty())
                .map(shown_policy),
            methods,
            cached_methods,
            // Not said is off.
            compress: behavior.compress().unwrap_or(false),
            viewer_protocol: behavior.viewer_protocol_policy().as_str().to_string(),
        }
    }};
}

/// Load balancers' DNS names -> ARNs, read only when a distribution has a custom origin:
/// the stack's own (`all` false: what the load balancers' observe reads), or every one of
/// the region (`all`: `edgectl adopt`, before the load balancer is the stack's).
async fn load_balancer_arns(cx: &Cx, all: bool) -> Result<BTreeMap<String, String>, AwsError> {
    let named = |lb: &aws_sdk_elasticloadbalancingv2::types::LoadBalancer| {
        Some((
            lb.dns_name()?.to_ascii_lowercase(),
            lb.load_balancer_arn()?.to_string(),
        ))
    };
    Ok(match all {
        true => crate::aws::elbv2::listing(cx)
            .await?
            .iter()
            .filter_map(named)
            .collect(),
        false => crate::aws::elbv2::balancers(cx)
            .await?
            .iter()
            .filter_map(|owned| named(&owned.balancer))
            .collect(),
    })
}

pub async fn observe(cx: &Cx) -> Result<Vec<Observed>, AwsError> {
    let cloudfront = &cx.clients.cloudfront;
    // The full config of each of the stack's own.
    let owned: Vec<Option<(OwnedDistribution, DistributionProps)>> =
        stream::iter(crate::aws::cloudfront::owned(cx).await?.to_vec())
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
                let props = observed(config, pairs)?;
                Ok::<_, AwsError>(Some((found, props)))
            })
            .buffer_unordered(16)
            .try_collect()
            .await?;
    let mut owned: Vec<(OwnedDistribution, DistributionProps)> =
        owned.into_iter().flatten().collect();
    origins_as_arns(cx, owned.iter_mut().map(|(_, props)| props), false).await?;
    Ok(owned
        .into_iter()
        .map(|(found, props)| {
            read(
                found.logical,
                &found.arn,
                &found.id,
                &found.domain_name,
                props,
            )
        })
        .collect())
}

/// A distribution as the stack sees it, under `logical`.
fn read(
    logical: crate::engine::model::ResourceId,
    arn: &str,
    id: &str,
    domain_name: &str,
    props: DistributionProps,
) -> Observed {
    let mut resource = Observed::new(logical, arn, props.into_props());
    resource.attributes = published(id, domain_name);
    resource.extra.insert("id".into(), id.to_string());
    resource
}

/// The stack's load balancer as an origin is its ARN, as the manifest refers to it (the
/// load balancers are read only when an origin is not a bucket; every one of the region
/// with `all`).
async fn origins_as_arns<'a>(
    cx: &Cx,
    distributions: impl Iterator<Item = &'a mut DistributionProps>,
    all: bool,
) -> Result<(), AwsError> {
    let mut origins: Vec<&mut DistributionOrigin> = distributions
        .flat_map(|props| props.origins.iter_mut())
        .filter(|origin| !origin.s3)
        .collect();
    if origins.is_empty() {
        return Ok(());
    }
    let arns = load_balancer_arns(cx, all).await?;
    for origin in &mut origins {
        if let Value::Str(domain) = &origin.domain
            && let Some(arn) = arns.get(&domain.to_ascii_lowercase())
        {
            origin.domain = Value::Phys(arn.clone());
        }
    }
    Ok(())
}

/// `edgectl adopt`: the distribution serving one of the manifest's aliases (CloudFront
/// gives an alias to one distribution of all accounts), else the one whose comment is the
/// manifest's (a distribution has no name: CDK's without aliases is found so), or the one
/// pinned by id or ARN.
pub async fn find(op: &OpCx<'_>, desired: &Desired, pin: Option<&str>) -> Result<Found, AwsError> {
    let props = DistributionProps::from_props(&desired.props)?;
    let cloudfront = &op.cx.clients.cloudfront;
    let summaries = crate::aws::cloudfront::summaries(op.cx).await?;
    let aliases = |summary: &DistributionSummary| -> BTreeSet<String> {
        summary
            .aliases()
            .map(|aliases| aliases.items())
            .unwrap_or_default()
            .iter()
            .map(|alias| alias.to_ascii_lowercase())
            .collect()
    };
    let wanted: BTreeSet<String> = props
        .aliases
        .iter()
        .map(|alias| alias.to_ascii_lowercase())
        .collect();
    let mut matching: Vec<&DistributionSummary> = match pin {
        Some(pin) => summaries
            .iter()
            .filter(|summary| summary.id() == pin || summary.arn() == pin)
            .collect(),
        None => summaries
            .iter()
            .filter(|summary| !aliases(summary).is_disjoint(&wanted))
            .collect(),
    };
    if matching.is_empty() && pin.is_none() && !props.comment.is_empty() {
        matching = summaries
            .iter()
            .filter(|summary| summary.comment() == props.comment)
            .collect();
    }
    let reads = matching.iter().map(|summary| async move {
        let pairs = crate::aws::cloudfront::tags_of(op.cx, summary.arn()).await?;
        let config = cloudfront
            .get_distribution_config()
            .id(summary.id())
            .send()
            .await
            .aws("GetDistributionConfig")?;
        let config = config
            .distribution_config()
            .ok_or_else(|| AwsError::missing("GetDistributionConfig", "DistributionConfig"))?;
        let borrowed = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let props = observed(config, borrowed)?;
        Ok::<_, AwsError>((pairs, props))
    });
    let mut read_all = try_join_all(reads).await?;
    // By comment, a distribution the stack owns already (another of its own) is no match.
    let by_comment = pin.is_none()
        && matching
            .iter()
            .all(|summary| aliases(summary).is_disjoint(&wanted));
    if by_comment {
        let keep: Vec<bool> = read_all
            .iter()
            .map(|(pairs, _)| {
                !pairs
                    .iter()
                    .any(|(key, value)| key == crate::aws::tags::STACK_TAG && *value == op.cx.stack)
            })
            .collect();
        let mut flags = keep.iter();
        matching.retain(|_| *flags.next().unwrap_or(&true));
        let mut flags = keep.iter();
        read_all.retain(|_| *flags.next().unwrap_or(&true));
    }
    origins_as_arns(op.cx, read_all.iter_mut().map(|(_, props)| props), true).await?;
    let mut found: Vec<(Vec<(String, String)>, Observed)> = matching
        .iter()
        .zip(read_all)
        .map(|(summary, (pairs, props))| {
            let resource = read(
                op.id.clone(),
                summary.arn(),
                summary.id(),
                summary.domain_name(),
                props,
            );
            (pairs, resource)
        })
        .collect();
    if found.len() != 1 {
        return crate::aws::adopt::pick(op, "CloudFront distribution", found).await;
    }
    let (pairs, resource) = found.remove(0);
    let summary = matching[0];
    let served: Vec<String> = aliases(summary).into_iter().collect();
    let what = format!(
        "CloudFront distribution `{}` ({}{})",
        summary.id(),
        summary.domain_name(),
        if served.is_empty() {
            String::new()
        } else {
            format!(", serving {}", served.join(", "))
        }
    );
    let borrowed = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    crate::aws::adopt::found_untagged(
        op.cx,
        op.id,
        what,
        borrowed,
        resource,
        ("AWS::CloudFront::Distribution", &[summary.id()]),
    )
    .await
}

/// The normalised view of a live config. Origins and the default behaviour are required
/// members of a config: missing, an error.
fn observed<'a>(
    config: &DistributionConfig,
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<DistributionProps, AwsError> {
    let missing = |field: &str| AwsError::missing("GetDistributionConfig", field);
    let origins = config
        .origins()
        .ok_or_else(|| missing("Origins"))?
        .items()
        .iter()
        .map(observed_origin)
        .collect();
    let default = config
        .default_cache_behavior()
        .ok_or_else(|| missing("DefaultCacheBehavior"))?;
    let behaviors = config
        .cache_behaviors()
        .map(|behaviors| behaviors.items())
        .unwrap_or_default()
        .iter()
        .map(|behavior| behavior_view!(behavior, Some(behavior.path_pattern().to_string())))
        .collect();
    let viewer = config.viewer_certificate();
    let certificate = viewer
        .and_then(|viewer| viewer.acm_certificate_arn())
        .filter(|arn| !arn.is_empty());
    Ok(DistributionProps {
        comment: config.comment().to_string(),
        enabled: config.enabled(),
        aliases: config
            .aliases()
            .map(|aliases| aliases.items())
            .unwrap_or_default()
            .iter()
            .cloned()
            .collect(),
        certificate: certificate.map_or(Value::Null, Value::str),
        minimum_tls: certificate
            .and(viewer.and_then(|viewer| viewer.minimum_protocol_version()))
            .map(|version| version.as_str().to_string()),
        // Not said is CloudFront's default: every edge location.
        price_class: config
            .price_class()
            .map_or("PriceClass_All", |class| class.as_str())
            .to_string(),
        // Not said is none.
        default_root_object: config.default_root_object().unwrap_or_default().to_string(),
        // Not said is CloudFront's default, HTTP/2.
        http_version: config
            .http_version()
            .map_or("http2", |version| version.as_str())
            .to_string(),
        // Not said is off.
        ipv6: config.is_ipv6_enabled().unwrap_or(false),
        web_acl: config
            .web_acl_id()
            .filter(|acl| !acl.is_empty())
            .map_or(Value::Null, Value::str),
        logging: config
            .logging()
            .filter(|logging| logging.enabled())
            .map(|logging| DistributionLogging {
                bucket: logging.bucket().to_string(),
                prefix: logging.prefix().to_string(),
            }),
        origins,
        default: behavior_view!(default, None),
        behaviors,
        errors: observed_errors(config),
        tags: tags::observed_tag_map(pairs),
    })
}

fn observed_origin(origin: &Origin) -> DistributionOrigin {
    let s3 = origin.s3_origin_config().is_some() && origin.custom_origin_config().is_none();
    DistributionOrigin {
        id: origin.id().to_string(),
        domain: Value::str(origin.domain_name()),
        // Not said is the root.
        path: origin.origin_path().unwrap_or_default().to_string(),
        s3,
        oac: origin
            .origin_access_control_id()
            .filter(|id| !id.is_empty())
            .map(|id| Value::Phys(id.to_string())),
        protocol: origin
            .custom_origin_config()
            .map(|custom| custom.origin_protocol_policy().as_str().to_string()),
        headers: origin
            .custom_headers()
            .map(|headers| headers.items())
            .unwrap_or_default()
            .iter()
            .map(|header| {
                (
                    header.header_name().to_string(),
                    header.header_value().to_string(),
                )
            })
            .collect(),
    }
}

/// The methods a behaviour allows and caches: GET and HEAD when not said (CloudFront's
/// default).
fn observed_methods(allowed: Option<&AllowedMethods>) -> (BTreeSet<String>, BTreeSet<String>) {
    let default = || BTreeSet::from(["GET".to_string(), "HEAD".to_string()]);
    let Some(allowed) = allowed else {
        return (default(), default());
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
        .unwrap_or_else(default);
    (all, cached)
}

/// The error responses, by status code.
fn observed_errors(config: &DistributionConfig) -> Vec<DistributionErrorResponse> {
    let mut errors: Vec<DistributionErrorResponse> = config
        .custom_error_responses()
        .map(|errors| errors.items())
        .unwrap_or_default()
        .iter()
        .map(|error| DistributionErrorResponse {
            code: i64::from(error.error_code()),
            page: error
                .response_page_path()
                .filter(|page| !page.is_empty())
                .map(str::to_string),
            status: error.response_code().and_then(|status| status.parse().ok()),
            // Not said is CloudFront's default, 10 seconds.
            ttl: error.error_caching_min_ttl().unwrap_or(10),
        })
        .collect();
    errors.sort_by_key(|error| error.code);
    errors
}

fn allowed_methods(behavior: &DistributionBehavior) -> Result<AllowedMethods, AwsError> {
    let methods = |names: &BTreeSet<String>| -> Vec<Method> {
        names
            .iter()
            .map(|method| Method::from(method.as_str()))
            .collect()
    };
    let all = methods(&behavior.methods);
    let cached = methods(&behavior.cached_methods);
    built(
        "AllowedMethods",
        AllowedMethods::builder()
            .quantity(all.len() as i32)
            .set_items(Some(all))
            .cached_methods(counted!(CachedMethods, cached)?)
            .build(),
    )
}

/// The DNS name of the stack's load balancer (CloudFront takes a name, not an ARN).
async fn load_balancer_dns(op: &OpCx<'_>, reference: &Value) -> Result<String, AwsError> {
    let arn = op.resolve(reference)?;
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
        .map(str::to_string)
        .ok_or_else(|| AwsError::missing("DescribeLoadBalancers", "DNSName"))
}

/// An origin as CloudFront takes it.
async fn origin_config(op: &OpCx<'_>, origin: &DistributionOrigin) -> Result<Origin, AwsError> {
    let domain = match &origin.domain {
        Value::Ref(_) => load_balancer_dns(op, &origin.domain).await?,
        other => op.resolve(other)?,
    };
    let headers: Vec<OriginCustomHeader> = origin
        .headers
        .iter()
        .map(|(name, value)| {
            built(
                "OriginCustomHeader",
                OriginCustomHeader::builder()
                    .header_name(name)
                    .header_value(value)
                    .build(),
            )
        })
        .collect::<Result<_, _>>()?;
    let mut builder = Origin::builder()
        .id(&origin.id)
        .domain_name(domain)
        .origin_path(&origin.path)
        .custom_headers(counted!(CustomHeaders, headers)?);
    if origin.s3 {
        builder = builder
            // OAC, not the legacy origin access identity: the identity stays empty.
            .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
            .origin_access_control_id(op.resolve(origin.oac.as_ref().unwrap_or(&Value::Null))?);
    } else {
        let protocol = origin.protocol.as_deref().ok_or_else(|| {
            AwsError::new(
                ErrorKind::Other,
                "DistributionConfig",
                format!("custom origin `{}` has no protocol", origin.id),
            )
        })?;
        builder = builder.custom_origin_config(built(
            "CustomOriginConfig",
            CustomOriginConfig::builder()
                .http_port(80)
                .https_port(443)
                .origin_protocol_policy(OriginProtocolPolicy::from(protocol))
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
    built("Origin", builder.build())
}

// DefaultCacheBehavior and CacheBehavior share their setters, not a type.
macro_rules! behavior_builder {
    ($builder:expr, $behavior:expr) => {{
        let behavior: &DistributionBehavior = $behavior;
        let builder = $builder
            .target_origin_id(&behavior.origin)
            .viewer_protocol_policy(ViewerProtocolPolicy::from(
                behavior.viewer_protocol.as_str(),
            ))
            .allowed_methods(allowed_methods(behavior)?)
            .compress(behavior.compress)
            .cache_policy_id(policy_id(&behavior.cache_policy));
        match &behavior.origin_request_policy {
            Some(policy) => builder.origin_request_policy_id(policy_id(policy)),
            None => builder,
        }
    }};
}

fn error_config(error: &DistributionErrorResponse) -> Result<CustomErrorResponse, AwsError> {
    built(
        "CustomErrorResponse",
        CustomErrorResponse::builder()
            .error_code(error.code as i32)
            .set_response_page_path(error.page.clone())
            .set_response_code(error.status.map(|status| status.to_string()))
            .error_caching_min_ttl(error.ttl)
            .build(),
    )
}

fn viewer_certificate(props: &DistributionProps) -> ViewerCertificate {
    match props.certificate.as_str() {
        Some(arn) => ViewerCertificate::builder()
            .acm_certificate_arn(arn)
            .ssl_support_method(SslSupportMethod::SniOnly)
            .minimum_protocol_version(MinimumProtocolVersion::from(
                props.minimum_tls.as_deref().unwrap_or("TLSv1.2_2021"),
            ))
            .build(),
        None => ViewerCertificate::builder()
            .cloud_front_default_certificate(true)
            .build(),
    }
}

fn logging_config(props: &DistributionProps) -> LoggingConfig {
    match &props.logging {
        Some(logging) => LoggingConfig::builder()
            .enabled(true)
            .include_cookies(false)
            .bucket(&logging.bucket)
            .prefix(&logging.prefix)
            .build(),
        None => LoggingConfig::builder()
            .enabled(false)
            .include_cookies(false)
            .bucket("")
            .prefix("")
            .build(),
    }
}

/// The whole config the desired state describes.
async fn config(
    op: &OpCx<'_>,
    props: &DistributionProps,
    caller_reference: &str,
) -> Result<DistributionConfig, AwsError> {
    let mut origins = Vec::new();
    for origin in &props.origins {
        origins.push(origin_config(op, origin).await?);
    }
    let default_behavior = behavior_builder!(DefaultCacheBehavior::builder(), &props.default);
    let mut behaviors = Vec::new();
    for behavior in &props.behaviors {
        let builder = behavior_builder!(
            CacheBehavior::builder().set_path_pattern(behavior.path.clone()),
            behavior
        );
        behaviors.push(built("CacheBehavior", builder.build())?);
    }
    let errors: Vec<CustomErrorResponse> = props
        .errors
        .iter()
        .map(error_config)
        .collect::<Result<_, _>>()?;
    let aliases: Vec<String> = props.aliases.iter().cloned().collect();
    built(
        "DistributionConfig",
        DistributionConfig::builder()
            .caller_reference(caller_reference)
            .comment(&props.comment)
            .enabled(props.enabled)
            .aliases(counted!(Aliases, aliases)?)
            .default_root_object(&props.default_root_object)
            .origins(counted!(Origins, origins)?)
            .default_cache_behavior(built("DefaultCacheBehavior", default_behavior.build())?)
            .cache_behaviors(counted!(CacheBehaviors, behaviors)?)
            .custom_error_responses(counted!(CustomErrorResponses, errors)?)
            .logging(logging_config(props))
            .price_class(PriceClass::from(props.price_class.as_str()))
            .viewer_certificate(viewer_certificate(props))
            // Empty is no web ACL.
            .web_acl_id(props.web_acl.as_str().unwrap_or_default())
            .http_version(HttpVersion::from(props.http_version.as_str()))
            .is_ipv6_enabled(props.ipv6)
            .build(),
    )
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
/// it names (the desired distribution's, when the call sends its config).
fn read_error(desired: Option<(&Desired, &DistributionProps)>, error: AwsError) -> AwsError {
    let Some((desired, props)) = desired else {
        return conditions::read(error, CONDITIONS);
    };
    let arn = props.certificate.as_str().unwrap_or_default();
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
    let props = DistributionProps::from_props(&desired.props)?;
    // A retried create with the same config gets the same distribution back (CloudFront
    // answers a repeated caller reference with the original); a new config, a new one.
    let mut hasher = Sha256::new();
    hasher.update(format!("{}\n{}\n{:?}", op.cx.stack, op.id, desired.props).as_bytes());
    let reference = format!("edgectl-{}", &hex::encode(hasher.finalize())[..32]);
    let config = config(op, &props, &reference).await?;
    let created = op
        .cx
        .clients
        .cloudfront
        .create_distribution_with_tags()
        .distribution_config_with_tags(
            DistributionConfigWithTags::builder()
                .distribution_config(config)
                .tags(cloudfront_tags(tags::for_create(op, &props.tags))?)
                .build(),
        )
        .send()
        .await
        .aws("CreateDistributionWithTags")
        .map_err(|error| read_error(Some((desired, &props)), error))?;
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
    let props = DistributionProps::from_props(&desired.props)?;
    let live = DistributionProps::from_props(&observed.props)?;
    let id = observed
        .extra
        .get("id")
        .cloned()
        .unwrap_or_else(|| id_from_arn(&observed.physical_id).to_string());
    // Anything but the tags is in the config, which goes whole.
    let but_tags = DistributionChanges {
        tags: false,
        ..DistributionProps::changed(changes)
    };
    if but_tags != DistributionChanges::default() {
        let current = cloudfront
            .get_distribution_config()
            .id(&id)
            .send()
            .await
            .aws("GetDistributionConfig")?;
        let reference = current
            .distribution_config()
            .map(|config| config.caller_reference().to_string())
            .ok_or_else(|| AwsError::missing("GetDistributionConfig", "DistributionConfig"))?;
        let config = config(op, &props, &reference).await?;
        cloudfront
            .update_distribution()
            .id(&id)
            .set_if_match(current.e_tag().map(str::to_string))
            .distribution_config(config)
            .send()
            .await
            .aws("UpdateDistribution")
            .map_err(|error| read_error(Some((desired, &props)), error))?;
        if op.cx.wait_edge {
            wait_deployed(op, &id).await?;
        }
    }
    tags::sync(cloudfront, &observed.physical_id, &live.tags, &props.tags).await
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

    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        find(op, desired, pin).await
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        tags::adopt(&op.cx.clients.cloudfront, &found.physical_id, op, desired).await
    }
}

use crate::aws::permissions::{On, Permission};

/// The IAM permissions this kind's calls need (`edgectl policy`); the suite's
/// `policy` test runs each shipped manifest with no more than these.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        actions: &[
            "cloudfront:ListDistributions",
            "cloudfront:GetDistribution",
            "cloudfront:GetDistributionConfig",
            "cloudfront:CreateDistribution",
            "cloudfront:CreateDistributionWithTags",
            "cloudfront:UpdateDistribution",
            "cloudfront:TagResource",
            "cloudfront:UntagResource",
            "cloudfront:ListTagsForResource",
            "cloudfront:ListOriginAccessControls",
            "cloudfront:GetOriginAccessControl",
            "cloudfront:CreateOriginAccessControl",
            "cloudfront:UpdateOriginAccessControl",
            "cloudfront:CreateInvalidation",
            "cloudfront:GetInvalidation",
            "elasticloadbalancing:DescribeLoadBalancers",
            "acm:DescribeCertificate",
            "wafv2:GetWebACL",
        ],
        on: On::Any,
    },
    Permission {
        actions: &["cloudfront:DeleteDistribution"],
        on: On::Owned,
    },
    Permission {
        actions: &["cloudfront:DeleteOriginAccessControl"],
        on: On::Any,
    },
];
