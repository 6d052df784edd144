//! One `SdkConfig` from the global flags, the manifest and the standard AWS environment.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

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
        .retry_config(RetryConfig::standard().with_max_attempts(5))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(60))
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
    let config = loader.load().await;
    if config.region().is_none() {
        return Err(NoRegion);
    }
    Ok(config)
}
