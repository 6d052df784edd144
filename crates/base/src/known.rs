//! Facts about AWS that the manifest (to validate what users write) and the adapters (to
//! read and write AWS) must agree on. Imports nothing.

/// The hosted zone every CloudFront distribution's alias records name (Route 53).
pub const CLOUDFRONT_HOSTED_ZONE: &str = "Z2FDTNDATAQYW2";

/// Where edgectl keeps log groups, so that observing reads only these.
pub const LOG_GROUP_PREFIXES: &[&str] = &["/ecs/", "/aws/ecs/"];

/// CloudFront's managed cache policies: the name users write, the AWS name, its fixed id.
pub const CACHE_POLICIES: &[(&str, &str, &str)] = &[
    (
        "optimized",
        "Managed-CachingOptimized",
        "658327ea-f89d-4fab-a63d-7e88639e58f6",
    ),
    (
        "disabled",
        "Managed-CachingDisabled",
        "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
    ),
    (
        "optimized-uncompressed",
        "Managed-CachingOptimizedForUncompressedObjects",
        "b2884449-e4de-46a7-ac36-70bc7f1ddd6d",
    ),
    (
        "origin-cache-control",
        "UseOriginCacheControlHeaders",
        "83da9c7e-98b4-4e11-a168-04f0df8e2c65",
    ),
    (
        "origin-cache-control-query-strings",
        "UseOriginCacheControlHeaders-QueryStrings",
        "4cc15a8a-d715-48a4-82b8-cc0b614638fe",
    ),
    (
        "amplify",
        "Managed-Amplify",
        "2e54312d-136d-493c-8eb9-b001f22f67d2",
    ),
    (
        "elemental-mediapackage",
        "Managed-Elemental-MediaPackage",
        "08627262-05a9-4f76-9ded-b50ca2e3a84f",
    ),
];

/// CloudFront's managed origin request policies, as above.
pub const ORIGIN_REQUEST_POLICIES: &[(&str, &str, &str)] = &[
    (
        "all-viewer",
        "Managed-AllViewer",
        "216adef6-5c7f-47e4-b989-5492eafa07d3",
    ),
    (
        "all-viewer-except-host",
        "Managed-AllViewerExceptHostHeader",
        "b689b0a8-53d0-40ab-baf2-68738e2966ac",
    ),
    (
        "all-viewer-and-cloudfront-headers",
        "Managed-AllViewerAndCloudFrontHeaders-2022-06",
        "33f36d7e-f396-46d9-90e0-52428a34d9dc",
    ),
    (
        "cors-custom-origin",
        "Managed-CORS-CustomOrigin",
        "59781a5b-3903-41f3-afcb-af62929ccde1",
    ),
    (
        "cors-s3-origin",
        "Managed-CORS-S3Origin",
        "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",
    ),
    (
        "user-agent-referer",
        "Managed-UserAgentRefererHeaders",
        "acba4595-bd28-49b8-b9fe-13317c0390fa",
    ),
];

/// The AWS name of a managed policy id, for plans.
pub fn policy_name(id: &str) -> Option<&'static str> {
    CACHE_POLICIES
        .iter()
        .chain(ORIGIN_REQUEST_POLICIES)
        .find(|(_, _, known)| *known == id)
        .map(|(_, aws, _)| *aws)
}

/// The id of the managed policy users call `name` in `table`.
pub fn policy_id(table: &[(&str, &str, &'static str)], name: &str) -> &'static str {
    table
        .iter()
        .find(|(short, _, _)| *short == name)
        .map_or("", |(_, _, id)| id)
}

/// Whether a CloudWatch statistic is a percentile (`p99`, `p99.9`), which alarms take as
/// an extended statistic rather than a statistic.
pub fn percentile(statistic: &str) -> bool {
    statistic
        .strip_prefix('p')
        .and_then(|number| number.parse::<f64>().ok())
        .is_some_and(|value| (0.0..=100.0).contains(&value))
}

/// The names an ACM certificate is validated for, in the order edgectl numbers its
/// validation records: each domain without a leading `*.` (a wildcard and its base share
/// one record), sorted, once each.
pub fn validation_domains<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = names
        .into_iter()
        .map(|name| name.trim_start_matches("*.").to_ascii_lowercase())
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_wildcard_shares_its_base_domain_s_validation() {
        assert_eq!(
            super::validation_domains(["*.example.com", "example.com", "api.example.com"]),
            ["api.example.com", "example.com"]
        );
    }

    #[test]
    fn percentiles_are_extended_statistics() {
        assert!(super::percentile("p99"));
        assert!(super::percentile("p99.9"));
        assert!(!super::percentile("p"));
        assert!(!super::percentile("Average"));
        assert!(!super::percentile("p101"));
    }
}
