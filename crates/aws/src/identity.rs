//! Who the credentials are: the one call every command that reads AWS makes first (STS
//! GetCallerIdentity, which needs no permission), so that a run AWS cannot serve at all
//! (`access::AccessError`) fails in seconds instead of retrying every read.

use crate::Cx;
use crate::access::{AccessError, access_error};
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

/// Who the credentials are (STS GetCallerIdentity). Asked once, without retries, so that
/// what no retry mends (no credentials, nothing answering) is told at once; anything else
/// the first attempt meets (a reset connection, a throttle) is asked again with the
/// client's retries.
pub async fn identity(
    cx: &Cx,
    endpoint: &str,
    profile: Option<&str>,
) -> Result<Identity, IdentityError> {
    let named = |refused: AccessError| match refused {
        AccessError::NoCredentials { .. } => AccessError::NoCredentials {
            profile: profile.map(str::to_string),
        },
        other => other,
    };
    let once = cx
        .clients
        .sts
        .get_caller_identity()
        .customize()
        .config_override(
            aws_sdk_sts::config::Builder::default()
                .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled()),
        )
        .send()
        .await;
    let answer = match once {
        Ok(answer) => answer,
        Err(error) => {
            if let Some(refused) = access_error(&error, endpoint) {
                return Err(named(refused).into());
            }
            match cx.clients.sts.get_caller_identity().send().await {
                Ok(answer) => answer,
                Err(error) => {
                    if let Some(refused) = access_error(&error, endpoint) {
                        return Err(named(refused).into());
                    }
                    return Err(IdentityError::Aws(from_sdk("GetCallerIdentity", error)));
                }
            }
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
