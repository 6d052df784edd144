//! AWS names with length limits, derived deterministically from the stack and logical
//! names so that a rerun finds the same name, and a replacement gets a new one.

use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use super::Cx;
use crate::engine::model::ResourceId;

pub use crate::text::{fit, with_hash};

use crate::errors::{AwsError, ErrorKind};

/// The part of an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`) at `index`, which
/// must be there and not empty: an error naming the ARN when it is not.
fn arn_part<'a>(arn: &'a str, index: usize, part: &str) -> Result<&'a str, AwsError> {
    arn.split(':')
        .nth(index)
        .filter(|found| !found.is_empty())
        .ok_or_else(|| {
            AwsError::new(
                ErrorKind::Other,
                "read an ARN",
                format!("`{arn}` names no {part}"),
            )
        })
}

/// The region an ARN names (a certificate's, to reach it through that region's client).
pub fn arn_region(arn: &str) -> Result<&str, AwsError> {
    arn_part(arn, 3, "region")
}

/// The account an ARN names (a key's, put into its policy).
pub fn arn_account(arn: &str) -> Result<&str, AwsError> {
    arn_part(arn, 4, "account")
}

/// An idempotency token that is the same for the same request within a ten-minute window:
/// a create retried by the SDK, or re-sent by an apply rerun soon after a crash, returns the
/// resource the first request made instead of a second one. The window keeps a later
/// destroy-then-apply from being handed back the deleted resource.
pub fn client_token(cx: &Cx, id: &ResourceId, request: &str) -> String {
    let window = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() / 600);
    let digest = Sha256::digest(format!("{}\n{id}\n{request}\n{window}", cx.stack));
    hex::encode(&digest[..16])
}

/// The partition a region is in: its ARNs' second field.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_and_stay_stable() {
        assert_eq!(fit("short", 32), "short");
        let long = "a-very-long-stack-name-for-testing-web";
        let name = fit(long, 32);
        assert_eq!(name.len(), 32);
        assert_eq!(name, fit(long, 32));
        let first = with_hash("demo-web", 32, "HTTP:3000");
        let second = with_hash("demo-web", 32, "HTTP:8080");
        assert!(first.len() <= 32 && second.len() <= 32);
        assert_ne!(first, second);
        assert!(first.starts_with("demo-web-"));
    }

    #[test]
    fn an_arn_s_region_and_account_are_read_and_their_absence_is_an_error() {
        let arn = "arn:aws:acm:eu-west-1:123456789012:certificate/abc";
        assert_eq!(arn_region(arn).unwrap(), "eu-west-1");
        assert_eq!(arn_account(arn).unwrap(), "123456789012");
        // CloudFront's and IAM's ARNs name no region.
        let role = "arn:aws:iam::123456789012:role/demo";
        assert!(arn_region(role).unwrap_err().to_string().contains(role));
        assert_eq!(arn_account(role).unwrap(), "123456789012");
        assert!(arn_account("").is_err());
    }
}
