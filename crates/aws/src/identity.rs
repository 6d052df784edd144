//! Who the credentials are: the one call every command that reads AWS makes first (STS
//! GetCallerIdentity, which needs no permission), so that a run AWS cannot serve at all
//! (`access::AccessError`) fails in seconds instead of retrying every read.

use crate::Cx;
use crate::access::{AccessError, TIMED_OUT, access_error};
use crate::errors::{AwsError, from_sdk};

/// Who the credentials are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    /// The caller's ARN (`arn:aws:sts::123456789012:assumed-role/ci/run-42`).
    pub arn: String,
}

/// Why the credentials' identity could not be asked: AWS cannot be used at all, or the
/// call failed otherwise.
#[derive(Debug)]
pub enum IdentityError {
    Access(AccessError),
    Aws(AwsError),
}

impl From<AccessError> for IdentityError {
    fn from(error: AccessError) -> Self {
        IdentityError::Access(error)
    }
}

impl From<AwsError> for IdentityError {
    fn from(error: AwsError) -> Self {
        IdentityError::Aws(error)
    }
}

/// Who the credentials are (STS GetCallerIdentity). Asked first without retries, so that
/// what no retry mends (no credentials, an expired session, a key AWS does not know) is
/// told at once; nothing answering is tried twice more, seconds apart, then told (unless
/// it is AWS's own endpoint timing out: `IdentityError::Aws`, which the caller may go on
/// from); anything else the first attempt meets (a reset connection, a throttle) is asked
/// again with the client's retries. `custom_endpoint`: the endpoint is the caller's
/// (`--endpoint-url`), every service's.
pub async fn identity(
    cx: &Cx,
    endpoint: &str,
    custom_endpoint: bool,
    profile: Option<&str>,
) -> Result<Identity, IdentityError> {
    let named = |refused: AccessError| match refused {
        AccessError::NoCredentials { .. } => AccessError::NoCredentials {
            profile: profile.map(str::to_string),
        },
        other => other,
    };
    let sts = &cx.clients.sts;
    let with_retries = |retry: aws_sdk_sts::config::retry::RetryConfig| {
        sts.get_caller_identity()
            .customize()
            .config_override(aws_sdk_sts::config::Builder::default().retry_config(retry))
            .send()
    };
    use aws_sdk_sts::config::retry::RetryConfig;
    // Once, without retries: what no retry mends (no credentials, an expired session, a
    // key AWS does not know) is told at once.
    let mut answer = with_retries(RetryConfig::disabled()).await;
    if let Err(error) = &answer {
        match access_error(error, endpoint) {
            Some(AccessError::Unreachable { .. }) => {
                // Nothing answered: a few tries, seconds apart (an emulator starting, a
                // lost packet), before saying so.
                answer = with_retries(RetryConfig::standard().with_max_attempts(3)).await;
            }
            Some(refused) => return Err(IdentityError::Access(named(refused))),
            // Anything else (a reset connection, a throttle, a 5xx): the client's retries.
            None => answer = sts.get_caller_identity().send().await,
        }
    }
    let answer = match answer {
        Ok(answer) => answer,
        Err(error) => {
            return Err(match access_error(&error, endpoint) {
                // AWS's own endpoint timing out (a private subnet without an STS
                // endpoint): the other services may still answer.
                Some(AccessError::Unreachable { why, .. })
                    if why == TIMED_OUT && !custom_endpoint =>
                {
                    IdentityError::Aws(from_sdk("GetCallerIdentity", error))
                }
                Some(refused) => IdentityError::Access(named(refused)),
                None => IdentityError::Aws(from_sdk("GetCallerIdentity", error)),
            });
        }
    };
    let missing = |what: &str| {
        AwsError::new(
            crate::errors::ErrorKind::Other,
            "GetCallerIdentity",
            format!("the answer names no {what}"),
        )
    };
    let identity = Identity {
        account: answer
            .account()
            .map(str::to_string)
            .ok_or_else(|| missing("account"))?,
        arn: answer
            .arn()
            .map(str::to_string)
            .ok_or_else(|| missing("ARN"))?,
    };
    let _ = cx.account.set(identity.account.clone());
    Ok(identity)
}
