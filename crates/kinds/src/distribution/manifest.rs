//! The `distributions` section: CloudFront distributions, their origins (the stack's
//! buckets through an Origin Access Control, its load balancers, any domain), behaviours,
//! error responses, logging and certificate. Everything CloudFront checks late (or moto
//! never) is checked here, before any call: the certificate's region, error codes, TLS
//! versions, managed policies.

use std::collections::BTreeMap;

use crate::base::known::{CACHE_POLICIES, ORIGIN_REQUEST_POLICIES, policy_id};
use crate::manifest::decode::{Decoder, Entry, Fields, Spanned, list};
use crate::manifest::decode::{flag, texts};
use crate::manifest::diag::{Pos, suggest};
use crate::manifest::yaml::{Node, NodeKind};

const DISTRIBUTION: &[&str] = &[
    "comment",
    "enabled",
    "aliases",
    "certificate",
    "minimum_tls",
    "price_class",
    "default_root_object",
    "http_version",
    "ipv6",
    "web_acl",
    "logging",
    "origins",
    "default",
    "behaviors",
    "errors",
    "spa",
    "tags",
    "retain",
];
const ORIGIN: &[&str] = &[
    "bucket",
    "load_balancer",
    "domain",
    "protocol",
    "headers",
    "path",
];
const BEHAVIOR: &[&str] = &[
    "path",
    "origin",
    "cache",
    "origin_request",
    "methods",
    "compress",
    "viewer_protocol",
    "websocket",
];
const ERROR_RESPONSE: &[&str] = &["code", "page", "status", "ttl"];
const LOGGING: &[&str] = &["bucket", "prefix"];

const TLS_VERSIONS: &[&str] = &[
    "TLSv1",
    "TLSv1_2016",
    "TLSv1.1_2016",
    "TLSv1.2_2018",
    "TLSv1.2_2019",
    "TLSv1.2_2021",
    "TLSv1.2_2025",
    "TLSv1.3_2025",
];
pub const DEFAULT_MINIMUM_TLS: &str = "TLSv1.2_2021";
/// Status codes CloudFront accepts in custom error responses.
const ERROR_CODES: &[i64] = &[400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];
const RESPONSE_CODES: &[i64] = &[200, 400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];

#[derive(Clone, Debug, PartialEq)]
pub struct Distribution {
    pub key: String,
    pub comment: String,
    pub enabled: bool,
    pub aliases: Vec<String>,
    pub certificate: Option<String>,
    pub minimum_tls: String,
    /// `PriceClass_All`, `PriceClass_200` or `PriceClass_100`.
    pub price_class: String,
    pub default_root_object: String,
    pub http_version: String,
    pub ipv6: bool,
    pub web_acl: Option<String>,
    /// (bucket key, prefix).
    pub logging: Option<(String, String)>,
    pub origins: Vec<Origin>,
    pub default: Behavior,
    pub behaviors: Vec<Behavior>,
    pub errors: Vec<ErrorResponse>,
    pub tags: BTreeMap<String, String>,
    pub retain: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The origin's id inside the distribution.
    pub id: String,
    pub target: OriginTarget,
    /// For custom origins: `http-only`, `https-only` or `match-viewer`.
    pub protocol: String,
    pub headers: BTreeMap<String, String>,
    pub path: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OriginTarget {
    /// An edgectl bucket, by key: private, read through an Origin Access Control.
    Bucket(String),
    /// An edgectl load balancer, by key.
    LoadBalancer(String),
    Domain(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Behavior {
    pub path: Option<String>,
    pub origin: String,
    pub cache_policy: String,
    pub origin_request_policy: Option<String>,
    pub methods: Vec<String>,
    pub cached_methods: Vec<String>,
    pub compress: bool,
    pub viewer_protocol: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorResponse {
    pub code: i64,
    pub page: Option<String>,
    pub status: Option<i64>,
    pub ttl: i64,
}

/// One of the stack's buckets as the distributions see it: its key, and whether it takes
/// ACLs (CloudFront delivers its logs with one), as its entry writes them.
pub struct Bucket {
    pub key: String,
    /// `BucketOwnerEnforced` (ACLs disabled, S3's default), `BucketOwnerPreferred` or
    /// `ObjectWriter`.
    pub object_ownership: &'static str,
}

/// What the distributions may refer to outside themselves.
pub struct Context {
    /// The stack's buckets, which origins and logging name.
    pub buckets: Vec<Bucket>,
    /// The load balancers, which origins name.
    pub load_balancers: Vec<String>,
    /// The keys under `certificates:`, which distributions refer to as `certificates.<key>`.
    pub certificates: Vec<String>,
}

/// The section at `node`.
pub fn decode(decoder: &mut Decoder, node: &Node, cx: &Context) -> Vec<Distribution> {
    decode_distributions(decoder, node, cx, &cx.buckets)
}

fn decode_distributions(
    decoder: &mut Decoder,
    node: &Node,
    cx: &Context,
    buckets: &[Bucket],
) -> Vec<Distribution> {
    let mut out = Vec::new();
    for entry in decoder.entries(node, "distributions", DISTRIBUTION) {
        if let Some(distribution) = decode_distribution(decoder, &entry, cx, buckets) {
            out.push(distribution);
        }
    }
    out
}

fn decode_distribution(
    decoder: &mut Decoder,
    entry: &Entry<'_>,
    cx: &Context,
    buckets: &[Bucket],
) -> Option<Distribution> {
    let Entry {
        key,
        fields,
        section,
        ..
    } = entry;
    let mut origins: Vec<Origin> = Vec::new();
    if let Some(node) = fields.get("origins") {
        for (name, body) in decoder.named(node, &format!("{section}.origins")) {
            if let Some(origin) = decode_origin(decoder, &name, body, section, cx, buckets) {
                origins.push(origin);
            }
        }
    }
    let Some(default_node) = fields.get("default") else {
        decoder.error(
            key.pos,
            format!("distribution `{}` has no `default` behavior", key.value),
            "add `default: { origin: buckets.NAME }`",
        );
        return None;
    };
    let default = decode_behavior(
        decoder,
        default_node,
        &format!("{section}.default"),
        false,
        &mut origins,
        cx,
        buckets,
    );
    let behaviors = decode_behaviors(decoder, fields, section, key.pos, &mut origins, cx, buckets);
    let (aliases, certificate, minimum_tls) = decode_viewer(decoder, fields, key.pos, cx);
    if let Some(first) = aliases.first() {
        // Each behavior as written: the default, then the list's, where each says it.
        let written = std::iter::once(("default".to_string(), default_node)).chain(
            fields
                .get("behaviors")
                .map(|node| decoder.list(node))
                .unwrap_or_default()
                .into_iter()
                .map(|item| {
                    let path = crate::manifest::decode::field(item, "path")
                        .and_then(|path| match &path.kind {
                            NodeKind::Scalar { text, .. } => Some(text.clone()),
                            _ => None,
                        })
                        .unwrap_or_default();
                    (path, item)
                }),
        );
        for (path, node) in written.collect::<Vec<_>>() {
            let Some(protocol) = crate::manifest::decode::field(node, "viewer_protocol") else {
                continue;
            };
            if matches!(&protocol.kind, NodeKind::Scalar { text, .. } if text == "allow-all") {
                decoder.warn(
                    protocol.pos,
                    format!(
                        "distribution `{}` serves `{first}` over plain HTTP for `{path}` (`viewer_protocol: allow-all`): what viewers send and read there can be seen and changed on the way",
                        key.value
                    ),
                    "leave `viewer_protocol` out (`redirect-to-https`), or write `https-only`",
                );
            }
        }
    }
    let price_class = decode_price_class(decoder, fields);
    let bucket_default = origins
        .iter()
        .find(|origin| {
            origin.id
                == default
                    .as_ref()
                    .map(|d| d.origin.clone())
                    .unwrap_or_default()
        })
        .is_some_and(|origin| matches!(origin.target, OriginTarget::Bucket(_)));
    let default_root_object = fields
        .get("default_root_object")
        .and_then(|node| decoder.string(node, "default_root_object"))
        .map(|root| root.value.trim_start_matches('/').to_string())
        .unwrap_or_else(|| {
            if bucket_default {
                "index.html".into()
            } else {
                String::new()
            }
        });
    let http_version = fields
        .get("http_version")
        .and_then(|node| {
            decoder.choice(
                node,
                "http_version",
                &["http1.1", "http2", "http3", "http2and3"],
            )
        })
        .map_or_else(|| "http2and3".to_string(), |choice| choice.value);
    let web_acl = decode_web_acl(decoder, fields);
    let logging = decode_logging(decoder, fields, section, buckets);
    let errors = decode_error_responses(decoder, fields, section);
    let comment = fields
        .get("comment")
        .and_then(|node| decoder.string(node, "comment"))
        .map(|comment| comment.value)
        .unwrap_or_default();
    if comment.len() > 128 {
        decoder.error(
            fields.get("comment").map_or(key.pos, |n| n.pos),
            "a distribution's comment is at most 128 characters",
            "shorten it",
        );
    }
    let tags = fields
        .get("tags")
        .map(|node| crate::manifest::schema::decode_tags(decoder, node))
        .unwrap_or_default();
    let default = default?;
    Some(Distribution {
        key: key.value.clone(),
        comment,
        enabled: flag(decoder, fields, "enabled", true),
        aliases,
        certificate: certificate.map(|certificate| certificate.value),
        minimum_tls: minimum_tls.unwrap_or_else(|| DEFAULT_MINIMUM_TLS.to_string()),
        price_class: price_class.to_string(),
        default_root_object,
        http_version,
        ipv6: flag(decoder, fields, "ipv6", true),
        web_acl: web_acl.map(|acl| acl.value),
        logging,
        origins,
        default,
        behaviors,
        errors,
        tags,
        retain: flag(decoder, fields, "retain", false),
    })
}

/// What viewers see of a distribution: its `aliases`, their `certificate` and its
/// `minimum_tls`, each of the last two needing the one before.
fn decode_viewer(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    at: Pos,
    cx: &Context,
) -> (Vec<String>, Option<Spanned<String>>, Option<String>) {
    let aliases = texts(decoder, fields.get("aliases"), "aliases");
    let certificate = decode_certificate(decoder, fields, cx);
    if !aliases.is_empty() && certificate.is_none() {
        decoder.error(
            fields.get("aliases").map_or(at, |node| node.pos),
            "aliases need a `certificate` that covers them",
            "add `certificate: arn:aws:acm:us-east-1:ACCOUNT:certificate/ID`",
        );
    }
    let minimum_tls = fields
        .get("minimum_tls")
        .and_then(|node| decoder.choice(node, "minimum_tls", TLS_VERSIONS))
        .map(|choice| choice.value);
    if let (Some(_), None) = (&minimum_tls, &certificate) {
        decoder.error(
        fields.get("minimum_tls").map_or(at, |node| node.pos),
        "`minimum_tls` needs a `certificate`",
        "CloudFront's default certificate fixes the TLS versions; add your own certificate to choose",
    );
    }
    (aliases, certificate, minimum_tls)
}

/// A distribution's `price_class` (`all`, `200`, `100`) as CloudFront names it.
fn decode_price_class(decoder: &mut Decoder, fields: &Fields<'_>) -> &'static str {
    match fields
        .get("price_class")
        .and_then(|node| decoder.choice(node, "price_class", &["all", "200", "100"]))
        .map(|choice| choice.value)
        .as_deref()
    {
        Some("100") => "PriceClass_100",
        Some("200") => "PriceClass_200",
        _ => "PriceClass_All",
    }
}

/// A distribution's `behaviors`, in order: one per path pattern, 25 at most.
fn decode_behaviors(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    section: &str,
    at: Pos,
    origins: &mut Vec<Origin>,
    cx: &Context,
    buckets: &[Bucket],
) -> Vec<Behavior> {
    let mut behaviors = Vec::new();
    let mut paths = BTreeMap::new();
    if let Some(node) = fields.get("behaviors") {
        for (index, item) in decoder.list(node).into_iter().enumerate() {
            if let Some(behavior) = decode_behavior(
                decoder,
                item,
                &format!("{section}.behaviors[{index}]"),
                true,
                origins,
                cx,
                buckets,
            ) {
                let path = behavior.path.clone().unwrap_or_default();
                if let Some(first) = paths.insert(path.clone(), item.pos.line) {
                    decoder.error(
                        item.pos,
                        format!("path `{path}` has two behaviors"),
                        format!("the first is at line {first}; CloudFront takes one behavior per path pattern"),
                    );
                }
                behaviors.push(behavior);
            }
        }
    }
    if behaviors.len() > 25 {
        decoder.error(
            fields.get("behaviors").map_or(at, |node| node.pos),
            format!(
                "{} behaviors; CloudFront allows 25 per distribution",
                behaviors.len()
            ),
            "merge path patterns, or ask AWS to raise the quota and split the distribution",
        );
    }
    behaviors
}

/// A distribution's `certificate`: one of the manifest's `certificates` or an ACM ARN in
/// us-east-1 (CloudFront takes no other).
fn decode_certificate(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    cx: &Context,
) -> Option<Spanned<String>> {
    let certificate = fields
        .get("certificate")
        .and_then(|node| decoder.string(node, "certificate"));
    if let Some(certificate) = &certificate
        && let Some(key) = certificate.value.strip_prefix("certificates.")
    {
        if !cx.certificates.iter().any(|known| known == key) {
            let help = match suggest(key, cx.certificates.iter().map(String::as_str)) {
                Some(close) => format!("did you mean `certificates.{close}`?"),
                None => {
                    "declare it under `certificates:`, or use an ACM certificate's ARN".to_string()
                }
            };
            decoder.error(
                certificate.pos,
                format!("unknown certificate `{key}`"),
                help,
            );
        }
    } else if let Some(certificate) = &certificate
        && !certificate.value.starts_with("arn:aws:acm:us-east-1:")
    {
        decoder.error(
            certificate.pos,
            "CloudFront takes certificates only from ACM in us-east-1",
            "use `certificates.<name>` (edgectl requests it in us-east-1), or the ARN of one in us-east-1 (`arn:aws:acm:us-east-1:...`)",
        );
    }
    certificate
}

/// A distribution's `web_acl`: a WAFv2 web ACL of CloudFront's (global) scope.
fn decode_web_acl(decoder: &mut Decoder, fields: &Fields<'_>) -> Option<Spanned<String>> {
    let web_acl = fields
        .get("web_acl")
        .and_then(|node| decoder.string(node, "web_acl"));
    if let Some(acl) = &web_acl
        && !(acl.value.starts_with("arn:aws:wafv2:us-east-1:")
            && acl.value.contains(":global/webacl/"))
    {
        decoder.error(
            acl.pos,
            "`web_acl` must be a WAFv2 web ACL with CloudFront (global) scope",
            "use the ARN of a web ACL created in us-east-1 with scope CLOUDFRONT (`arn:aws:wafv2:us-east-1:ACCOUNT:global/webacl/NAME/ID`)",
        );
    }
    web_acl
}

/// A distribution's access `logging`: (bucket key, prefix), to a bucket of the manifest
/// whose ACLs are enabled (CloudFront delivers logs with an ACL).
fn decode_logging(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    section: &str,
    buckets: &[Bucket],
) -> Option<(String, String)> {
    fields.get("logging").and_then(|node| {
        let logging = decoder.fields(node, &format!("{section}.logging"), LOGGING)?;
        let bucket = logging
            .get("bucket")
            .and_then(|node| decoder.string(node, "bucket"))?;
        let name = bucket.value.trim_start_matches("buckets.").to_string();
        match buckets.iter().find(|b| b.key == name) {
            None => {
                decoder.error(
                    bucket.pos,
                    format!("`{}` is not a bucket of this manifest", bucket.value),
                    "log to one of the manifest's `buckets` (by name), so edgectl can let CloudFront write to it",
                );
                None
            }
            Some(target) if target.object_ownership == "BucketOwnerEnforced" => {
                decoder.error(
                    bucket.pos,
                    format!("bucket `{name}` has ACLs disabled, and CloudFront logs are delivered with an ACL"),
                    format!("set `object_ownership: preferred` on `buckets.{name}`"),
                );
                None
            }
            Some(_) => Some((
                name,
                logging
                    .get("prefix")
                    .and_then(|node| decoder.string(node, "prefix"))
                    .map(|prefix| prefix.value)
                    .unwrap_or_default(),
            )),
        }
    })
}

/// A distribution's custom error responses, by code: `spa: true`'s 403 and 404 first,
/// then `errors`.
fn decode_error_responses(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    section: &str,
) -> Vec<ErrorResponse> {
    let mut errors = Vec::new();
    if flag(decoder, fields, "spa", false) {
        for code in [403, 404] {
            errors.push(ErrorResponse {
                code,
                page: Some("/index.html".into()),
                status: Some(200),
                ttl: 0,
            });
        }
    }
    if let Some(node) = fields.get("errors") {
        for (index, item) in decoder.list(node).into_iter().enumerate() {
            let Some(error) =
                decoder.fields(item, &format!("{section}.errors[{index}]"), ERROR_RESPONSE)
            else {
                continue;
            };
            let Some(code) = error
                .required(
                    decoder,
                    "code",
                    item.pos,
                    "an error response needs a `code`",
                    "write `{ code: 404, page: /index.html, status: 200 }`",
                )
                .and_then(|node| decoder.int(node, "code", 100, 599))
            else {
                continue;
            };
            if !ERROR_CODES.contains(&code.value) {
                decoder.error(
                    code.pos,
                    format!("CloudFront cannot customise the response to {}", code.value),
                    "use 400, 403, 404, 405, 414, 416, 500, 501, 502, 503 or 504",
                );
            }
            let page = error
                .get("page")
                .and_then(|node| decoder.string(node, "page"));
            if let Some(page) = &page
                && !page.value.starts_with('/')
            {
                decoder.error(
                    page.pos,
                    "the error page is a path starting with `/`",
                    "write e.g. `/index.html`",
                );
            }
            let status = error
                .get("status")
                .and_then(|node| decoder.int(node, "status", 100, 599));
            if let Some(status) = &status
                && !RESPONSE_CODES.contains(&status.value)
            {
                decoder.error(
                    status.pos,
                    format!("CloudFront cannot answer with {}", status.value),
                    "use 200 or one of the error codes",
                );
            }
            if status.is_some() != page.is_some() {
                decoder.error(
                    item.pos,
                    "`page` and `status` go together",
                    "set both, or neither (then only the caching time is changed)",
                );
            }
            if errors.iter().any(|e: &ErrorResponse| e.code == code.value) {
                decoder.error(
                    code.pos,
                    format!("two error responses for {}", code.value),
                    "keep one (`spa: true` already covers 403 and 404)",
                );
            }
            errors.push(ErrorResponse {
                code: code.value,
                page: page.map(|page| page.value),
                status: status.map(|status| status.value),
                ttl: error
                    .get("ttl")
                    .and_then(|node| decoder.int(node, "ttl", 0, 31_536_000))
                    .map_or(10, |ttl| ttl.value),
            });
        }
    }
    errors.sort_by_key(|error| error.code);
    errors
}

fn decode_origin(
    decoder: &mut Decoder,
    name: &Spanned<String>,
    body: &Node,
    section: &str,
    cx: &Context,
    buckets: &[Bucket],
) -> Option<Origin> {
    let where_ = format!("{section}.origins.{}", name.value);
    let fields = decoder.fields(body, &where_, ORIGIN)?;
    let targets: Vec<&str> = ["bucket", "load_balancer", "domain"]
        .into_iter()
        .filter(|key| fields.get(key).is_some())
        .collect();
    if targets.len() != 1 {
        decoder.error(
            name.pos,
            format!(
                "origin `{}` needs exactly one of `bucket`, `load_balancer` or `domain`",
                name.value
            ),
            "write e.g. `{ load_balancer: web }`",
        );
        return None;
    }
    let target = {
        let node = fields.get(targets[0])?;
        let value = decoder.string(node, targets[0])?;
        match targets[0] {
            "bucket" => {
                let key = value.value.trim_start_matches("buckets.").to_string();
                check_bucket(decoder, &key, value.pos, buckets)?;
                OriginTarget::Bucket(key)
            }
            "load_balancer" => {
                let key = value
                    .value
                    .trim_start_matches("load_balancers.")
                    .to_string();
                check_load_balancer(decoder, &key, value.pos, cx)?;
                OriginTarget::LoadBalancer(key)
            }
            _ => {
                check_domain(decoder, &value)?;
                OriginTarget::Domain(value.value)
            }
        }
    };
    let protocol = fields
        .get("protocol")
        .and_then(|node| {
            decoder.choice(
                node,
                "protocol",
                &["http-only", "https-only", "match-viewer"],
            )
        })
        .map(|choice| choice.value);
    if protocol.is_some() && matches!(target, OriginTarget::Bucket(_)) {
        decoder.error(
            fields.get("protocol").map_or(name.pos, |node| node.pos),
            "a bucket origin is always reached over HTTPS",
            "remove `protocol`",
        );
    }
    if let Some(node) = fields.get("headers") {
        for (header, value) in crate::manifest::decode::named_positions(node) {
            crate::manifest::regret::clear_secret(
                decoder,
                &header.value,
                header.pos,
                value,
                "origin header",
                "set it from a variable marked `sensitive: true` (CloudFront stores a custom header's value as it is, but no plan then prints it)",
            );
        }
    }
    let headers = fields
        .get("headers")
        .map(|node| {
            decoder
                .named(node, &format!("{where_}.headers"))
                .into_iter()
                .filter_map(|(key, value)| {
                    Some((key.value, decoder.string(value, "headers")?.value))
                })
                .collect()
        })
        .unwrap_or_default();
    let path = fields
        .get("path")
        .and_then(|node| decoder.string(node, "path"))
        .map(|path| path.value.trim_end_matches('/').to_string())
        .unwrap_or_default();
    if !path.is_empty() && !path.starts_with('/') {
        decoder.error(
            fields.get("path").map_or(name.pos, |node| node.pos),
            "an origin path starts with `/`",
            "write e.g. `/app`",
        );
    }
    let protocol = protocol.unwrap_or_else(|| match target {
        // An ALB serves HTTP on port 80 unless told otherwise (seed stacks end TLS at CloudFront).
        OriginTarget::LoadBalancer(_) => "http-only".into(),
        _ => "https-only".into(),
    });
    Some(Origin {
        id: name.value.clone(),
        target,
        protocol,
        headers,
        path,
    })
}

fn check_bucket(decoder: &mut Decoder, key: &str, pos: Pos, buckets: &[Bucket]) -> Option<()> {
    if buckets.iter().any(|bucket| bucket.key == key) {
        return Some(());
    }
    let help = match suggest(key, buckets.iter().map(|bucket| bucket.key.as_str())) {
        Some(close) => format!("did you mean `buckets.{close}`?"),
        None => "name one of the manifest's `buckets`, or use `domain:` for any other host".into(),
    };
    decoder.error(pos, format!("no bucket `{key}` in this manifest"), help);
    None
}

fn check_load_balancer(decoder: &mut Decoder, key: &str, pos: Pos, cx: &Context) -> Option<()> {
    if cx.load_balancers.iter().any(|lb| lb == key) {
        return Some(());
    }
    let help = match suggest(key, cx.load_balancers.iter().map(String::as_str)) {
        Some(close) => format!("did you mean `load_balancers.{close}`?"),
        None => "name one of the manifest's `load_balancers`, or use `domain:` for any other host"
            .into(),
    };
    decoder.error(
        pos,
        format!("no load balancer `{key}` in this manifest"),
        help,
    );
    None
}

fn check_domain(decoder: &mut Decoder, value: &Spanned<String>) -> Option<()> {
    let ok = value.value.contains('.')
        && value.value.len() <= 253
        && value
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if ok {
        return Some(());
    }
    decoder.error(
        value.pos,
        format!("`{}` is not a domain name", value.value),
        "write a host name such as `api.example.com` (no scheme, no path)",
    );
    None
}

/// A behavior's `origin`: a named origin, `buckets.KEY`, `load_balancers.KEY` or a domain.
/// Unnamed origins are added to `origins` on first use.
fn behavior_origin(
    decoder: &mut Decoder,
    value: &Spanned<String>,
    origins: &mut Vec<Origin>,
    cx: &Context,
    buckets: &[Bucket],
) -> Option<String> {
    if origins.iter().any(|origin| origin.id == value.value) {
        return Some(value.value.clone());
    }
    let (id, target) = if let Some(key) = value.value.strip_prefix("buckets.") {
        check_bucket(decoder, key, value.pos, buckets)?;
        (
            format!("bucket-{key}"),
            OriginTarget::Bucket(key.to_string()),
        )
    } else if let Some(key) = value.value.strip_prefix("load_balancers.") {
        check_load_balancer(decoder, key, value.pos, cx)?;
        (
            format!("lb-{key}"),
            OriginTarget::LoadBalancer(key.to_string()),
        )
    } else if value.value.contains('.') {
        check_domain(decoder, value)?;
        (
            value.value.clone(),
            OriginTarget::Domain(value.value.clone()),
        )
    } else {
        decoder.error(
            value.pos,
            format!("no origin `{}`", value.value),
            "write `buckets.NAME`, `load_balancers.NAME`, a domain name, or the name of an entry in `origins`",
        );
        return None;
    };
    if !origins.iter().any(|origin| origin.id == id) {
        let protocol = match target {
            OriginTarget::LoadBalancer(_) => "http-only",
            _ => "https-only",
        };
        origins.push(Origin {
            id: id.clone(),
            target,
            protocol: protocol.into(),
            headers: BTreeMap::new(),
            path: String::new(),
        });
    }
    Some(id)
}

fn managed_policy(
    decoder: &mut Decoder,
    node: &Node,
    what: &str,
    table: &[(&str, &str, &str)],
) -> Option<String> {
    let value = decoder.string(node, what)?;
    let wanted = value.value.trim_start_matches("Managed-");
    if let Some((_, _, id)) = table.iter().find(|(short, aws, id)| {
        *short == value.value || aws.trim_start_matches("Managed-") == wanted || *id == value.value
    }) {
        return Some(id.to_string());
    }
    // A policy of the account's own, by id.
    let uuid_like =
        value.value.len() == 36 && value.value.chars().filter(|c| *c == '-').count() == 4;
    if uuid_like {
        return Some(value.value);
    }
    let names: Vec<&str> = table.iter().map(|(short, _, _)| *short).collect();
    let help = match suggest(&value.value, names.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!("use one of: {} (or a policy id)", list(&names)),
    };
    decoder.error(
        value.pos,
        format!("`{}` is not a managed {what} policy", value.value),
        help,
    );
    None
}

#[allow(clippy::too_many_arguments)]
fn decode_behavior(
    decoder: &mut Decoder,
    node: &Node,
    where_: &str,
    needs_path: bool,
    origins: &mut Vec<Origin>,
    cx: &Context,
    buckets: &[Bucket],
) -> Option<Behavior> {
    let fields = decoder.fields(node, where_, BEHAVIOR)?;
    let path = fields
        .get("path")
        .and_then(|node| decoder.string(node, "path"));
    match (&path, needs_path) {
        (None, true) if fields.get("path").is_none() => decoder.error(
            node.pos,
            "a behavior needs a `path` pattern",
            "write e.g. `path: /api/*`",
        ),
        (Some(path), false) => decoder.error(
            path.pos,
            "the default behavior matches every path",
            "remove `path`, or move this entry to `behaviors`",
        ),
        (Some(path), true) if path.value.is_empty() || path.value.len() > 255 => decoder.error(
            path.pos,
            "a path pattern is 1 to 255 characters",
            "write e.g. `/api/*`",
        ),
        _ => {}
    }
    let origin_node = fields.get("origin");
    let Some(origin_value) = origin_node.and_then(|node| decoder.string(node, "origin")) else {
        if origin_node.is_none() {
            decoder.error(
                node.pos,
                "a behavior needs an `origin`",
                "write e.g. `origin: buckets.frontend`",
            );
        }
        return None;
    };
    let origin = behavior_origin(decoder, &origin_value, origins, cx, buckets)?;
    let bucket = origins
        .iter()
        .find(|o| o.id == origin)
        .is_some_and(|o| matches!(o.target, OriginTarget::Bucket(_)));
    let websocket = flag(decoder, &fields, "websocket", false);
    let cache_policy = fields
        .get("cache")
        .and_then(|node| managed_policy(decoder, node, "cache", CACHE_POLICIES))
        .unwrap_or_else(|| {
            // Static files cache; dynamic origins and WebSockets pass through.
            let name = if bucket && !websocket {
                "optimized"
            } else {
                "disabled"
            };
            policy_id(CACHE_POLICIES, name).to_string()
        });
    let origin_request_policy = match fields.get("origin_request") {
        Some(node) if matches!(&node.kind, NodeKind::Scalar { text, .. } if text == "none") => None,
        Some(node) => managed_policy(decoder, node, "origin request", ORIGIN_REQUEST_POLICIES),
        None if websocket => Some(policy_id(ORIGIN_REQUEST_POLICIES, "all-viewer").to_string()),
        None if bucket => None,
        None => Some(policy_id(ORIGIN_REQUEST_POLICIES, "all-viewer-except-host").to_string()),
    };
    let methods_choice = fields
        .get("methods")
        .and_then(|node| decoder.choice(node, "methods", &["read", "read-options", "all"]))
        .map(|choice| choice.value)
        .unwrap_or_else(|| {
            if bucket && !websocket {
                "read".into()
            } else {
                "all".into()
            }
        });
    let methods: Vec<String> = match methods_choice.as_str() {
        "read" => vec!["GET", "HEAD"],
        "read-options" => vec!["GET", "HEAD", "OPTIONS"],
        _ => vec!["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
    }
    .into_iter()
    .map(String::from)
    .collect();
    let viewer_protocol = fields
        .get("viewer_protocol")
        .and_then(|node| {
            decoder.choice(
                node,
                "viewer_protocol",
                &["redirect-to-https", "https-only", "allow-all"],
            )
        })
        .map_or_else(|| "redirect-to-https".to_string(), |choice| choice.value);
    Some(Behavior {
        path: path.map(|path| path.value),
        origin,
        cache_policy,
        origin_request_policy,
        methods,
        cached_methods: vec!["GET".into(), "HEAD".into()],
        compress: flag(decoder, &fields, "compress", !websocket),
        viewer_protocol,
    })
}

/// What validates but would fail on AWS: a distribution that reaches a load balancer over
/// HTTPS while the Host it sends is one no ALB certificate covers. CloudFront connects with
/// SNI and Host set to the Host header it forwards (the origin's own domain when it does
/// not forward the viewer's): the ALB's `*.elb.amazonaws.com` name, or the distribution's
/// `*.cloudfront.net` name when it has no aliases, and answers 502.
pub fn warnings(distributions: &[Distribution]) -> Vec<String> {
    let all_viewer = policy_id(ORIGIN_REQUEST_POLICIES, "all-viewer");
    let mut out = Vec::new();
    for distribution in distributions {
        for origin in &distribution.origins {
            let OriginTarget::LoadBalancer(balancer) = &origin.target else {
                continue;
            };
            if origin.protocol == "http-only" {
                continue;
            }
            let fix = "forward the viewer's Host (`origin_request: all-viewer`, or `websocket: true`) and give the distribution the `aliases` the load balancer's certificate covers, or use `protocol: http-only`";
            for behavior in distribution
                .behaviors
                .iter()
                .chain(std::iter::once(&distribution.default))
                .filter(|behavior| behavior.origin == origin.id)
            {
                let path = behavior.path.as_deref().unwrap_or("default");
                if behavior.origin_request_policy.as_deref() != Some(all_viewer) {
                    out.push(format!(
                        "distribution `{}` reaches load balancer `{balancer}` over HTTPS for `{path}` without forwarding the viewer's Host: CloudFront then asks for the load balancer's own `*.elb.amazonaws.com` name, which its certificate does not cover, and answers 502; {fix}",
                        distribution.key
                    ));
                } else if distribution.aliases.is_empty() {
                    out.push(format!(
                        "distribution `{}` forwards the viewer's Host to load balancer `{balancer}` over HTTPS for `{path}`, but has no `aliases`: viewers reach it as `*.cloudfront.net`, which the load balancer's certificate does not cover, and CloudFront answers 502; {fix}",
                        distribution.key
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod warning_tests {
    use super::*;

    fn distribution(aliases: &[&str], policy: Option<&str>, protocol: &str) -> Vec<Distribution> {
        let behavior = |path: Option<&str>, origin: &str| Behavior {
            path: path.map(str::to_string),
            origin: origin.to_string(),
            cache_policy: String::new(),
            origin_request_policy: policy.map(str::to_string),
            methods: Vec::new(),
            cached_methods: Vec::new(),
            compress: true,
            viewer_protocol: "redirect-to-https".to_string(),
        };
        vec![Distribution {
            key: "cdn".into(),
            comment: String::new(),
            enabled: true,
            aliases: aliases.iter().map(|alias| alias.to_string()).collect(),
            certificate: None,
            minimum_tls: String::new(),
            price_class: String::new(),
            default_root_object: String::new(),
            http_version: String::new(),
            ipv6: true,
            web_acl: None,
            logging: None,
            origins: vec![Origin {
                id: "api".into(),
                target: OriginTarget::LoadBalancer("alb".into()),
                protocol: protocol.into(),
                headers: BTreeMap::new(),
                path: String::new(),
            }],
            default: behavior(None, "site"),
            behaviors: vec![behavior(Some("/api/*"), "api")],
            errors: Vec::new(),
            tags: BTreeMap::new(),
            retain: false,
        }]
    }

    #[test]
    fn https_to_a_load_balancer_needs_the_viewers_host_and_an_alias() {
        let all_viewer = policy_id(ORIGIN_REQUEST_POLICIES, "all-viewer");
        let except_host = policy_id(ORIGIN_REQUEST_POLICIES, "all-viewer-except-host");
        let host = warnings(&distribution(
            &["app.example.com"],
            Some(except_host),
            "https-only",
        ));
        assert_eq!(host.len(), 1);
        assert!(
            host[0].contains("without forwarding the viewer's Host"),
            "{host:?}"
        );
        let alias = warnings(&distribution(&[], Some(all_viewer), "match-viewer"));
        assert!(alias[0].contains("has no `aliases`"), "{alias:?}");
        assert!(
            warnings(&distribution(
                &["app.example.com"],
                Some(all_viewer),
                "https-only"
            ))
            .is_empty()
        );
        assert!(warnings(&distribution(&[], None, "http-only")).is_empty());
    }
}
