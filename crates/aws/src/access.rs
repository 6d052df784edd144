//! Whether edgectl may use AWS at all, told in one sentence with its fix: no credentials,
//! credentials that cannot be loaded, an expired session, credentials AWS does not know,
//! an endpoint nothing answers at (every command that reads AWS asks first, with the one
//! call that needs no permission: `identity`); and what an `AccessDenied` answered to any
//! call says — which action on which resource, and the statement to add ([`denied`]).

use std::error::Error as _;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// Why AWS cannot be used at all.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error(
        "no AWS credentials found: edgectl looked in the environment (AWS_ACCESS_KEY_ID, AWS_PROFILE), in ~/.aws/credentials and ~/.aws/config, for an SSO session, and in the container's and the instance's metadata{}",
        profile.as_ref().map(|name| format!("; the profile `{name}` it was told to use gives none (is it in ~/.aws/config?)")).unwrap_or_default()
    )]
    NoCredentials {
        /// The profile named (`--profile`, AWS_PROFILE), if one was.
        profile: Option<String>,
    },
    #[error("the AWS credentials cannot be loaded: {0}")]
    Unloadable(String),
    #[error("the AWS session has expired: {0}")]
    Expired(String),
    #[error("AWS does not accept these credentials: {0}")]
    Rejected(String),
    #[error("nothing answers at {endpoint}: {why}")]
    Unreachable { endpoint: String, why: String },
}

impl AccessError {
    /// What to do about it.
    pub fn help(&self) -> &'static str {
        match self {
            AccessError::NoCredentials { .. } | AccessError::Unloadable(_) => {
                "run `aws configure` (access keys), set AWS_PROFILE to one of your profiles (`aws configure list-profiles`), or run `aws sso login --profile NAME` for an SSO profile; in GitHub Actions, aws-actions/configure-aws-credentials sets them"
            }
            AccessError::Expired(_) => {
                "log in again (`aws sso login` for an SSO profile), or renew the session's credentials (AWS_SESSION_TOKEN with its keys); in GitHub Actions, the role's session ended: run the job again, or ask for a longer one (`role-duration-seconds`)"
            }
            AccessError::Rejected(_) => {
                "check the access key (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the profile's): it may be mistyped, deleted, inactive, or of another partition; or this machine's clock is off by more than 5 minutes (AWS refuses what it signs then)"
            }
            AccessError::Unreachable { .. } => {
                "check the endpoint (`--endpoint-url`, AWS_ENDPOINT_URL), the region, the network and any proxy (HTTPS_PROXY)"
            }
        }
    }
}

/// Why nothing answered, when the connection timed out.
pub const TIMED_OUT: &str = "the connection timed out";

/// The codes AWS answers a session past its expiry with.
const EXPIRED: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "TokenRefreshRequired",
];
/// The codes AWS answers credentials it does not know (or cannot verify) with.
const REJECTED: &[&str] = &[
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "AuthFailure",
    "InvalidAccessKeyId",
];

/// What an SDK error says of AWS's reach, when it says something no retry mends.
pub fn access_error<E, R>(error: &SdkError<E, R>, endpoint: &str) -> Option<AccessError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    if let Some(code) = error.code() {
        let message = error.message().unwrap_or(code).to_string();
        if EXPIRED.contains(&code) {
            return Some(AccessError::Expired(message));
        }
        if REJECTED.contains(&code) {
            return Some(AccessError::Rejected(message));
        }
        return None;
    }
    let SdkError::DispatchFailure(failure) = error else {
        return None;
    };
    let text = chain(error);
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(credentials) =
            cause.downcast_ref::<aws_credential_types::provider::error::CredentialsError>()
        {
            return Some(credentials_error(credentials, &text));
        }
        if cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        {
            return Some(unreachable(endpoint, "the connection was refused"));
        }
        source = cause.source();
    }
    let connector = failure.as_connector_error()?;
    if text.contains("Connection refused") {
        Some(unreachable(endpoint, "the connection was refused"))
    } else if text.contains("dns error") {
        Some(unreachable(endpoint, "its name does not resolve"))
    } else if connector.is_timeout() {
        Some(unreachable(endpoint, TIMED_OUT))
    } else {
        None
    }
}

fn unreachable(endpoint: &str, why: &str) -> AccessError {
    AccessError::Unreachable {
        endpoint: endpoint.to_string(),
        why: why.to_string(),
    }
}

/// A credentials provider's failure: none found anywhere (the chain fell through to the
/// instance's metadata, which has none off EC2), an expired session, or what the provider
/// says (a profile not found, an SSO token that cannot be refreshed).
fn credentials_error(
    error: &aws_credential_types::provider::error::CredentialsError,
    text: &str,
) -> AccessError {
    use aws_credential_types::provider::error::CredentialsError;
    let detail = chain(error);
    if text.to_ascii_lowercase().contains("expired") {
        return AccessError::Expired(detail);
    }
    match error {
        CredentialsError::CredentialsNotLoaded(_) => AccessError::NoCredentials { profile: None },
        _ if text.contains("IMDS") => AccessError::NoCredentials { profile: None },
        _ => AccessError::Unloadable(detail),
    }
}

/// An error and its causes, as their messages say them (never their debug form), each
/// once.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(cause) = next {
        let text = cause.to_string();
        if !text.is_empty() && !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        next = cause.source();
    }
    parts.join(": ")
}

/// The codes AWS refuses a call the caller's policies do not allow with.
pub const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "UnauthorizedAccess",
];

/// What an `AccessDenied` for `operation` says, in one sentence with its fix: who may not
/// call which action on which resource (as AWS's message names them: "User: ARN is not
/// authorized to perform: ACTION on resource: ARN because ..."), and the statement to add
/// to its policy — or, for an explicit deny, that no statement added can lift it.
pub fn denied(operation: &str, message: &str) -> String {
    let after = |marker: &str| {
        let start = message.find(marker)? + marker.len();
        let word: String = message[start..]
            .trim_start()
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        // S3 quotes its resource: `on resource: "arn:aws:s3:::bucket/key" because ...`.
        let word = word
            .trim_end_matches(['.', ',', ';'])
            .trim_matches('"')
            .to_string();
        (!word.is_empty()).then_some(word)
    };
    // EC2 appends why, encoded: `aws sts decode-authorization-message` reads it.
    let encoded = message
        .find("Encoded authorization failure message:")
        .map(|start| {
            let blob = message[start + "Encoded authorization failure message:".len()..].trim();
            format!(
                "; to see which statement refused it: `aws sts decode-authorization-message --encoded-message {blob}`"
            )
        })
        .unwrap_or_default();
    let who = after("User:").unwrap_or_else(|| "these credentials".to_string());
    let Some(action) = after("not authorized to perform:") else {
        return format!(
            "{who} may not call `{operation}` ({}): allow it in their policy, or use credentials that may",
            message.trim_end_matches('.')
        );
    };
    let resource = after("on resource:");
    let on = resource
        .as_deref()
        .map(|resource| format!(" on `{resource}`"))
        .unwrap_or_default();
    // AWS's reason, as it says it, up to the end of its sentence.
    let sentence = |start: usize| {
        let reason = &message[start..];
        let end = reason.find(". ").unwrap_or(reason.len());
        reason[..end].trim_end_matches('.').to_string()
    };
    if let Some(start) = message.find("with an explicit deny") {
        let what = sentence(start + "with an explicit deny".len());
        return format!(
            "{who} may not call `{action}`{on}: an explicit deny {} refuses it, which no Allow can lift; whoever owns that policy decides{encoded}",
            what.trim()
        );
    }
    // "because no identity-based policy allows the ... action": kept whole, it is also
    // what a settling condition recognises.
    let because = message.find("because ").map(sentence);
    let policy = because.as_deref().and_then(|reason| {
        let named = reason.strip_prefix("because no ")?;
        Some(named.split(" allows").next()?.to_string())
    });
    let reason = because
        .as_deref()
        .map(|reason| format!(" ({reason})"))
        .unwrap_or_default();
    match policy.as_deref() {
        // Another kind of policy must allow it (a service control policy, a permissions
        // boundary, a session, resource-based or VPC endpoint policy): a statement in
        // the caller's own policy is not enough.
        Some(policy) if policy != "identity-based policy" => format!(
            "{who} may not call `{action}`{on}{reason}: the {policy} must allow it, which the caller's own policy cannot do; whoever owns it decides{encoded}"
        ),
        _ => {
            let statement = serde_json::json!({
                "Effect": "Allow",
                "Action": action,
                "Resource": resource.as_deref().unwrap_or("*"),
            });
            format!(
                "{who} may not call `{action}`{on}{reason}: add {statement} to its policy{encoded}"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_implicit_deny_names_the_statement_to_add() {
        let message = "User: arn:aws:sts::123456789012:assumed-role/ci/run-42 is not authorized to perform: ecs:CreateService on resource: arn:aws:ecs:eu-west-1:123456789012:service/demo/web because no identity-based policy allows the ecs:CreateService action";
        assert_eq!(
            denied("CreateService", message),
            "arn:aws:sts::123456789012:assumed-role/ci/run-42 may not call `ecs:CreateService` on `arn:aws:ecs:eu-west-1:123456789012:service/demo/web` (because no identity-based policy allows the ecs:CreateService action): add {\"Action\":\"ecs:CreateService\",\"Effect\":\"Allow\",\"Resource\":\"arn:aws:ecs:eu-west-1:123456789012:service/demo/web\"} to its policy"
        );
    }

    #[test]
    fn an_explicit_deny_says_no_allow_lifts_it() {
        let message = "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: ec2:CreateVpc on resource: arn:aws:ec2:eu-west-1:123456789012:vpc/* with an explicit deny in a service control policy. Encoded authorization failure message: abc";
        assert_eq!(
            denied("CreateVpc", message),
            "arn:aws:iam::123456789012:user/dev may not call `ec2:CreateVpc` on `arn:aws:ec2:eu-west-1:123456789012:vpc/*`: an explicit deny in a service control policy refuses it, which no Allow can lift; whoever owns that policy decides; to see which statement refused it: `aws sts decode-authorization-message --encoded-message abc`"
        );
    }

    #[test]
    fn a_quoted_resource_a_boundary_and_an_encoded_reason_are_read() {
        let s3 = "User: arn:aws:iam::1:user/x is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::site/index.html\" because no identity-based policy allows the s3:GetObject action";
        assert!(
            denied("GetObject", s3)
                .contains("\"Resource\":\"arn:aws:s3:::site/index.html\"} to its policy")
        );
        let boundary = "User: arn:aws:iam::1:user/x is not authorized to perform: ecs:CreateService on resource: arn:aws:ecs:eu-west-1:1:service/a/b because no permissions boundary allows the ecs:CreateService action";
        assert_eq!(
            denied("CreateService", boundary),
            "arn:aws:iam::1:user/x may not call `ecs:CreateService` on `arn:aws:ecs:eu-west-1:1:service/a/b` (because no permissions boundary allows the ecs:CreateService action): the permissions boundary must allow it, which the caller's own policy cannot do; whoever owns it decides"
        );
        let ec2 = "You are not authorized to perform this operation. User: arn:aws:iam::1:user/x is not authorized to perform: ec2:CreateVpc on resource: arn:aws:ec2:eu-west-1:1:vpc/* because no identity-based policy allows the ec2:CreateVpc action. Encoded authorization failure message: AbC123";
        assert!(denied("CreateVpc", ec2).ends_with(
            "to its policy; to see which statement refused it: `aws sts decode-authorization-message --encoded-message AbC123`"
        ));
    }

    #[test]
    fn a_denial_without_an_action_names_the_operation() {
        assert_eq!(
            denied("GetBucketTagging", "Access Denied"),
            "these credentials may not call `GetBucketTagging` (Access Denied): allow it in their policy, or use credentials that may"
        );
        // A denial naming the action but no resource: the statement allows it on any.
        assert_eq!(
            denied(
                "ListClusters",
                "User: arn:aws:iam::1:user/x is not authorized to perform: ecs:ListClusters"
            ),
            "arn:aws:iam::1:user/x may not call `ecs:ListClusters`: add {\"Action\":\"ecs:ListClusters\",\"Effect\":\"Allow\",\"Resource\":\"*\"} to its policy"
        );
    }

    #[test]
    fn a_chain_says_each_message_once_and_no_debug_form() {
        let inner = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let outer =
            std::io::Error::other(Box::new(inner) as Box<dyn std::error::Error + Send + Sync>);
        let text = chain(&outer);
        assert_eq!(text, "refused");
        assert!(!text.contains('{'));
    }
}
