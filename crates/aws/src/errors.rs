//! AWS errors reduced to the kinds the engine decides on (retry, explain, give up),
//! read from the error code, never from message text (a settling condition alone reads a
//! part of it, `conditions`); told as their messages say them,
//! never in a debug form (`access::chain`), a denial with the statement that would allow
//! it (`access::denied`).

use std::fmt;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::access::{DENIED, access_error, chain, denied};

pub use crate::engine::error::{Error as AwsError, ErrorKind};

/// A number an AWS API takes as an `i32` (a port, a priority, a period): an error naming
/// the operation and `what` when the manifest's or the plan's number does not fit.
pub fn int32(operation: &str, what: &str, value: i64) -> Result<i32, AwsError> {
    i32::try_from(value).map_err(|_| {
        AwsError::new(
            ErrorKind::Other,
            operation,
            format!("{what} {value} is out of range"),
        )
    })
}

/// An SDK error as the engine's, its kind read from the code.
pub fn from_sdk<E, R>(operation: &str, error: SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + HttpStatus + 'static,
{
    let code = error.code().map(str::to_string);
    let request_id = error
        .meta()
        .extra("aws_request_id")
        .or_else(|| error.meta().extra("request_id"))
        .map(str::to_string);
    let message = match (&error, error.message()) {
        (_, Some(message)) if code.as_deref().is_some_and(|code| DENIED.contains(&code)) => {
            denied(operation, message)
        }
        (_, Some(message)) => message.to_string(),
        // An error without a body (moto's 403 for a bucket policy's deny) says only its status.
        (SdkError::ServiceError(service), None) if code.is_none() => format!(
            "HTTP {} with no error in the response",
            service.raw().http_status()
        ),
        (SdkError::ServiceError(_), None) => String::new(),
        // Said as a person reads it (no credentials, nothing answering), its kind still
        // read below: a failure to send is retried, and a lost response reconciled.
        (other, None) => match access_error(other, "the endpoint") {
            Some(refused) => refused.to_string(),
            None => chain(other),
        },
    };
    let kind = match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            ErrorKind::Ambiguous
        }
        _ => code.as_deref().map_or(ErrorKind::Other, classify),
    };
    AwsError {
        kind,
        operation: operation.to_string(),
        code,
        message,
        request_id,
        awaiting: None,
    }
}

/// The codes AWS services throttle with (S3 says `SlowDown`).
pub const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "SlowDown",
    "RequestThrottled",
    "ProvisionedThroughputExceededException",
];

/// Maps an AWS error code to its kind.
pub fn classify(code: &str) -> ErrorKind {
    match code {
        "DependencyViolation"
        | "InvalidIPAddress.InUse"
        | "ResourceInUse"
        | "ResourceInUseException"
        | "ClusterContainsServicesException"
        | "ClusterContainsTasksException"
        | "DistributionNotDisabled"
        | "OriginAccessControlInUse"
        | "FileSystemInUse"
        | "InvalidDBSubnetGroupStateFault"
        | "InvalidDBParameterGroupState"
        // ECS DeleteCluster (the Terraform provider's `internal/service/ecs/cluster.go`,
        // `resourceClusterDelete`, retries these for 10 minutes).
        | "ClusterContainsContainerInstancesException"
        | "UpdateInProgressException" => ErrorKind::Dependency,
        "DeleteConflict" | "RepositoryNotEmptyException" | "BucketNotEmpty" => ErrorKind::Blocked,
        code if THROTTLING_CODES.contains(&code) => ErrorKind::Throttled,
        "InvalidPermission.Duplicate"
        | "RouteAlreadyExists"
        | "Resource.AlreadyAssociated"
        | "InvalidGroup.Duplicate"
        | "InvalidSubnet.Conflict"
        | "IdempotentParameterMismatch"
        | "EntityAlreadyExists"
        | "ResourceAlreadyExistsException"
        | "ResourceExistsException"
        | "RepositoryAlreadyExistsException"
        | "DuplicateTargetGroupName"
        | "DuplicateLoadBalancerName"
        | "DuplicateListener"
        | "PriorityInUse"
        | "BucketAlreadyExists"
        | "BucketAlreadyOwnedByYou"
        | "DistributionAlreadyExists"
        | "OriginAccessControlAlreadyExists"
        | "AlreadyExistsException"
        | "NamespaceAlreadyExists"
        | "FileSystemAlreadyExists"
        | "MountTargetConflict"
        | "AccessPointAlreadyExists"
        | "DBInstanceAlreadyExists"
        | "DBSubnetGroupAlreadyExists"
        | "DBParameterGroupAlreadyExists"
        | "ServiceAlreadyExists" => ErrorKind::Conflict,
        // A certificate ELB cannot find: a mistake in the input, unless it is the stack's
        // and ACM issued it seconds ago (`elbv2::listener::CONDITIONS`).
        "CertificateNotFound" => ErrorKind::Other,
        // S3 and CloudFront: `NoSuchBucket`, `NoSuchTagSet`, `NoSuchDistribution`, ...
        code if code.starts_with("NoSuch") => ErrorKind::NotFound,
        "ServerSideEncryptionConfigurationNotFoundError" | "OwnershipControlsNotFoundError" => {
            ErrorKind::NotFound
        }
        // IAM's not-found code.
        "NoSuchEntity" => ErrorKind::NotFound,
        // WAF's (a delete that meets it is done: the Terraform provider's
        // `internal/service/wafv2/web_acl.go`, `resourceWebACLDelete`).
        "WAFNonexistentItemException" => ErrorKind::NotFound,
        // RDS says `DBSubnetGroupNotFoundFault`.
        code if code.ends_with(".NotFound")
            || code.ends_with("NotFound")
            || code.ends_with("NotFoundException")
            || code.ends_with("NotFoundFault") =>
        {
            ErrorKind::NotFound
        }
        _ => ErrorKind::Other,
    }
}

/// `result.aws("CreateVpc")?` converts an SDK error at the adapter boundary.
/// The HTTP status of the raw response an SDK error carries.
pub trait HttpStatus {
    fn http_status(&self) -> u16;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn http_status(&self) -> u16 {
        self.status().as_u16()
    }
}

pub trait AwsResultExt<T> {
    fn aws(self, operation: &str) -> Result<T, AwsError>;
}

impl<T, E, R> AwsResultExt<T> for Result<T, SdkError<E, R>>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + HttpStatus + 'static,
{
    fn aws(self, operation: &str) -> Result<T, AwsError> {
        self.map_err(|error| from_sdk(operation, error))
    }
}

/// An answer about something that may be gone: `None` when AWS says it is not found.
pub fn present<T>(result: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match result {
        Ok(answer) => Ok(Some(answer)),
        Err(error) if error.kind == ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// A request builder missing a required field is a bug of ours, reported like an AWS error.
pub fn built<T>(
    operation: &str,
    result: Result<T, aws_smithy_types::error::operation::BuildError>,
) -> Result<T, AwsError> {
    result.map_err(|error| AwsError::new(ErrorKind::Other, operation, error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_kinds() {
        assert_eq!(classify("InvalidVpcID.NotFound"), ErrorKind::NotFound);
        assert_eq!(classify("WAFNonexistentItemException"), ErrorKind::NotFound);
        assert_eq!(classify("DBSubnetGroupNotFoundFault"), ErrorKind::NotFound);
        assert_eq!(classify("NatGatewayNotFound"), ErrorKind::NotFound);
        assert_eq!(classify("CertificateNotFound"), ErrorKind::Other);
        assert_eq!(classify("DependencyViolation"), ErrorKind::Dependency);
        assert_eq!(classify("RepositoryNotEmptyException"), ErrorKind::Blocked);
        assert_eq!(classify("InvalidPermission.Duplicate"), ErrorKind::Conflict);
        assert_eq!(classify("InvalidParameterValue"), ErrorKind::Other);
    }

    #[test]
    fn an_error_without_a_body_says_its_status() {
        use aws_sdk_s3::operation::put_object::PutObjectError;
        use aws_smithy_types::error::ErrorMetadata;
        let raw = aws_smithy_runtime_api::http::Response::new(
            403.try_into().unwrap(),
            aws_smithy_types::body::SdkBody::empty(),
        );
        let error = SdkError::service_error(PutObjectError::generic(ErrorMetadata::default()), raw);
        let error = from_sdk("PutObject", error);
        assert_eq!(
            error.to_string(),
            "`PutObject` failed: HTTP 403 with no error in the response"
        );
        assert_eq!(error.kind, ErrorKind::Other);
    }
}
