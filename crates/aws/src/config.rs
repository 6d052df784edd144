//! One `SdkConfig` from the global flags, the manifest and the standard AWS environment.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// How long one AWS call may take with all its retries.
pub const RETRY_BOUND: Duration = Duration::from_secs(120);
/// Attempts per call unless `AWS_MAX_ATTEMPTS` says otherwise.
const MAX_ATTEMPTS: u32 = 10;

/// The SDK's retries: `AWS_RETRY_MODE` (`standard`, `adaptive`; `legacy` reads as
/// `standard`) and `AWS_MAX_ATTEMPTS` are honoured, as by the AWS CLI; by default
/// [`default_mode`], with more attempts than the SDK's three and backoff growing to 20 s.
fn retry_config(max_attempts: Option<&str>, mode: Option<&str>) -> RetryConfig {
    let attempts = max_attempts
        .and_then(|value| value.trim().parse::<u32>().ok())
        .filter(|attempts| *attempts >= 1)
        .unwrap_or(MAX_ATTEMPTS);
    let mode = mode.map(str::trim).filter(|mode| !mode.is_empty());
    let config = match mode.map(str::to_ascii_lowercase).as_deref() {
        Some("adaptive") => RetryConfig::adaptive(),
        Some("standard" | "legacy") => RetryConfig::standard(),
        _ => default_mode(),
    };
    config
        .with_max_attempts(attempts)
        .with_max_backoff(Duration::from_secs(20))
}

/// Standard mode: each throttled or failed call backs off on its own (exponentially, with
/// full jitter, from 1 s), within the client's retry quota (a token bucket each service's
/// client keeps: when most calls fail, retries stop being sent); adaptive mode's
/// client-side rate limiter slowed every later call of a throttled client as well, and
/// cost a run seconds per throttle (bench/FAULTS.md measures both).
fn default_mode() -> RetryConfig {
    RetryConfig::standard()
}

/// The connection flags every command shares (`--region`, `--profile`, `--endpoint-url`).
#[derive(Clone, Debug, Default)]
pub struct Connection {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("no AWS region is set")]
pub struct NoRegion;

/// Region precedence: `--region`, then the manifest's `region`, then the AWS chain
/// (`AWS_REGION`, the profile), as the AWS CLI does for its own flag.
pub async fn load(
    connection: &Connection,
    manifest_region: Option<&str>,
) -> Result<SdkConfig, NoRegion> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        // Throttling and transient errors are retried by the SDK; eventual-consistency codes
        // (a just-created id not yet visible) are retried by edgectl on their own bound.
        .retry_config(retry_config(
            std::env::var("AWS_MAX_ATTEMPTS").ok().as_deref(),
            std::env::var("AWS_RETRY_MODE").ok().as_deref(),
        ))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(60))
                // One call with all its retries: the bound on how long a run can spend on
                // an AWS that keeps failing (README, "Retries").
                .operation_timeout(RETRY_BOUND)
                .build(),
        );
    if let Some(profile) = &connection.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = connection.region.as_deref().or(manifest_region) {
        loader = loader.region(Region::new(region.to_string()));
    }
    if let Some(url) = &connection.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if plain_http(connection) {
        loader = loader.http_client(without_trust_roots());
    }
    let config = loader.load().await;
    if config.region().is_none() {
        return Err(NoRegion);
    }
    Ok(config)
}

/// Whether every request goes to one `http://` endpoint (a local emulator such as moto):
/// `--endpoint-url`, or `AWS_ENDPOINT_URL` with no per-service override.
fn plain_http(connection: &Connection) -> bool {
    let ignored = std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_ok_and(|value| value.eq_ignore_ascii_case("true"));
    let per_service = std::env::vars_os()
        .any(|(name, _)| name.to_string_lossy().starts_with("AWS_ENDPOINT_URL_"));
    let global = std::env::var("AWS_ENDPOINT_URL").ok();
    one_http_endpoint(
        connection.endpoint_url.as_deref(),
        global.as_deref().filter(|_| !ignored && !per_service),
    )
}

/// The flag decides; without it, the environment's endpoint (when it covers every service).
fn one_http_endpoint(flag: Option<&str>, environment: Option<&str>) -> bool {
    flag.or(environment)
        .is_some_and(|url| url.starts_with("http://"))
}

/// An HTTP client that loads no trust roots: the system's certificate store is read
/// only to speak TLS, and a plain `http://` endpoint needs none (reading it costs each
/// run milliseconds). Any `https://` request through it fails verification.
fn without_trust_roots() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls;
    let context = tls::TlsContext::builder()
        .with_trust_store(tls::TrustStore::empty().with_native_roots(false))
        .build()
        .unwrap_or_default();
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .tls_context(context)
        .build_https()
}

#[cfg(test)]
mod tests {
    use super::{one_http_endpoint, retry_config};

    #[test]
    fn the_retry_mode_and_attempts_are_the_environment_s_else_standard_and_ten() {
        use aws_config::retry::RetryMode;
        assert_eq!(retry_config(None, None).mode(), RetryMode::Standard);
        assert_eq!(
            retry_config(None, Some("adaptive")).mode(),
            RetryMode::Adaptive
        );
        assert_eq!(
            retry_config(None, Some(" Standard ")).mode(),
            RetryMode::Standard
        );
        assert_eq!(
            retry_config(None, Some("legacy")).mode(),
            RetryMode::Standard
        );
        assert_eq!(retry_config(Some("3"), None).max_attempts(), 3);
        assert_eq!(retry_config(Some("0"), None).max_attempts(), 10);
    }

    #[test]
    fn trust_roots_are_skipped_only_for_one_plain_http_endpoint() {
        assert!(one_http_endpoint(Some("http://127.0.0.1:5000"), None));
        assert!(!one_http_endpoint(Some("https://s3.example.com"), None));
        // The flag wins over the environment, as in the SDK.
        assert!(!one_http_endpoint(
            Some("https://s3.example.com"),
            Some("http://localhost")
        ));
        assert!(one_http_endpoint(None, Some("http://localhost:4566")));
        assert!(!one_http_endpoint(None, None));
    }
}
