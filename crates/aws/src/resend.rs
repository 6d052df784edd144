//! Which requests the SDK may send again on its own after a lost response.
//!
//! A connection reset or timeout after a request reached AWS leaves its outcome unknown:
//! AWS may have carried it out. The SDK's standard retry sends it again, which is right
//! for reads and for calls that set a state (`Put*`, `Modify*`, tags) but wrong for the
//! rest: a second `CreateVpc`, `AllocateAddress` or `RegisterTaskDefinition` makes a
//! duplicate, and a second `CreateRole`, `AttachInternetGateway` or `CreateRoute` fails on
//! the first one's success. For those, this interceptor stops the SDK from resending and
//! marks the error [`LostResponse`]; the walk then reads the resource back by its tags and
//! finishes from what is live (`apply::converge`), which is right on AWS and on emulators
//! that ignore idempotency tokens alike. Throttling and 5xx answers are still retried by
//! the SDK: AWS answered, so it did not carry the request out.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextMut;
use aws_smithy_runtime_api::client::orchestrator::{Metadata, OrchestratorError};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// The request may or may not have been carried out: its response was lost.
#[derive(Debug, thiserror::Error)]
#[error(
    "the response to `{operation}` was lost ({cause}); it may or may not have been carried out"
)]
pub struct LostResponse {
    pub operation: String,
    pub cause: String,
}

/// Whether sending `operation` of `service` twice has the effect of sending it once.
pub fn safe_to_resend(service: &str, operation: &str) -> bool {
    const READS: &[&str] = &["Describe", "List", "Get", "Head"];
    const SETS: &[&str] = &[
        "Put", "Modify", "Update", "Set", "Tag", "Untag", "Add", "Remove", "Enable", "Disable",
    ];
    if READS
        .iter()
        .chain(SETS)
        .any(|prefix| operation.starts_with(prefix))
    {
        return true;
    }
    match (service, operation) {
        // Tags are a state: setting them twice is setting them once.
        ("EC2", "CreateTags" | "DeleteTags") => true,
        // An upsert of the scalable target.
        (_, "RegisterScalableTarget") => true,
        // Objects: writing or deleting a key twice is doing it once; an upload's parts are
        // keyed by number. Only the bucket itself is created and deleted once.
        ("S3", operation) => !matches!(operation, "CreateBucket" | "DeleteBucket"),
        // `CallerReference` makes AWS answer a repeat with the first invalidation.
        ("CloudFront", "CreateInvalidation") => true,
        _ => false,
    }
}

/// Turns a transport failure of a call that is not safe to resend into [`LostResponse`],
/// which the SDK's retry classifiers do not retry.
#[derive(Debug, Default)]
pub struct NoBlindResend;

impl Intercept for NoBlindResend {
    fn name(&self) -> &'static str {
        "edgectl-no-blind-resend"
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(metadata) = cfg.load::<Metadata>() else {
            return Ok(());
        };
        if safe_to_resend(metadata.service(), metadata.name()) {
            return Ok(());
        }
        let operation = metadata.name().to_string();
        let Some(result) = context.output_or_error_mut() else {
            return Ok(());
        };
        let lost = match result {
            Err(error) if error.is_timeout_error() || error.is_response_error() => true,
            // io (reset, closed), timeout, or "other" (hyper's incomplete message): the
            // request may have been served. A user error never left the machine.
            Err(error) => error
                .as_connector_error()
                .is_some_and(|error| !error.is_user()),
            Ok(_) => false,
        };
        if lost {
            let cause = match result {
                Err(error) => {
                    aws_smithy_types::error::display::DisplayErrorContext(&*error).to_string()
                }
                Ok(_) => String::new(),
            };
            *result = Err(OrchestratorError::other(LostResponse { operation, cause }));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::safe_to_resend;

    #[test]
    fn creates_and_deletes_are_not_resent_blindly() {
        for (service, operation) in [
            ("EC2", "CreateVpc"),
            ("EC2", "AllocateAddress"),
            ("EC2", "AttachInternetGateway"),
            ("EC2", "CreateRoute"),
            ("EC2", "AuthorizeSecurityGroupIngress"),
            ("EC2", "DeleteSubnet"),
            ("ECS", "RegisterTaskDefinition"),
            ("ECS", "CreateService"),
            ("IAM", "CreateRole"),
            ("IAM", "AttachRolePolicy"),
            ("S3", "CreateBucket"),
            ("CloudFront", "CreateDistributionWithTags"),
        ] {
            assert!(!safe_to_resend(service, operation), "{operation}");
        }
        for (service, operation) in [
            ("EC2", "DescribeVpcs"),
            ("EC2", "CreateTags"),
            ("EC2", "ModifyVpcAttribute"),
            ("S3", "PutObject"),
            ("S3", "DeleteObjects"),
            ("IAM", "PutRolePolicy"),
            ("CloudWatch Logs", "PutRetentionPolicy"),
            ("Application Auto Scaling", "RegisterScalableTarget"),
            ("CloudFront", "CreateInvalidation"),
        ] {
            assert!(safe_to_resend(service, operation), "{operation}");
        }
    }
}
