//! AWS's eventual consistency as conditions: the error one operation answers while AWS
//! settles something the request needs (a role made seconds ago that a service cannot
//! assume yet, a certificate just issued that a listener cannot find yet, a load balancer
//! still provisioning), read from its code and, where AWS reuses a code for mistakes too,
//! a part of its message. Each kind declares the conditions of the calls it makes, beside
//! them, with their source (the Terraform AWS provider's code, AWS's documentation);
//! `docs/aws-behaviour.md` lists every one with its test. A condition only names what is
//! awaited and the window AWS takes: the engine decides the wait (`retry::bound`).

use std::time::Duration;

use super::errors::{AwsError, ErrorKind};
use crate::engine::model::Desired;

/// How long IAM changes take to reach the other services (the Terraform provider's
/// `propagationTimeout`, `internal/service/iam/wait.go`: 2 minutes).
pub const IAM_PROPAGATION: Duration = Duration::from_secs(120);

pub struct Condition {
    /// The operation that answers it, as AWS names it (`AssociateWebACL`).
    pub operation: &'static str,
    pub code: &'static str,
    /// A part of the message, where AWS answers the same code for a mistake in the input.
    pub message: Option<&'static str>,
    pub means: Means,
    /// Where AWS or the Terraform provider says so (read by the check that
    /// docs/aws-behaviour.md lists it).
    pub source: &'static str,
}

pub enum Means {
    /// AWS settles it by itself within `window`; `awaiting` follows "waiting for".
    Settling {
        awaiting: &'static str,
        window: Duration,
    },
    /// What the call acts on is gone already: what a delete wants.
    Gone,
}

impl Condition {
    fn holds(&self, error: &AwsError) -> bool {
        error.operation == self.operation
            && error.code.as_deref() == Some(self.code)
            && self.message.is_none_or(|part| error.message.contains(part))
    }
}

/// An AWS error read with the conditions of the kind that made the call.
pub trait Given<T> {
    fn given(self, conditions: &[Condition]) -> Result<T, AwsError>;
}

impl<T> Given<T> for Result<T, AwsError> {
    fn given(self, conditions: &[Condition]) -> Result<T, AwsError> {
        self.map_err(|error| read(error, conditions))
    }
}

/// A removal inside an update (a bucket's CORS rules, a repository's lifecycle policy, a
/// scaling policy) read with the conditions of its kind: where one says what it removes is
/// gone already (another writer removed it first), the removal is done.
pub trait Removal {
    fn done_if_gone(self, conditions: &[Condition]) -> Result<(), AwsError>;
}

impl<T> Removal for Result<T, AwsError> {
    fn done_if_gone(self, conditions: &[Condition]) -> Result<(), AwsError> {
        match self {
            Ok(_) => Ok(()),
            Err(error)
                if holding(&error, conditions)
                    .is_some_and(|condition| matches!(condition.means, Means::Gone)) =>
            {
                Ok(())
            }
            Err(error) => Err(read(error, conditions)),
        }
    }
}

fn holding<'a>(error: &AwsError, conditions: &'a [Condition]) -> Option<&'a Condition> {
    conditions.iter().find(|condition| condition.holds(error))
}

/// `error` as the first of `conditions` that holds for it says, else as it is.
pub fn read(error: AwsError, conditions: &[Condition]) -> AwsError {
    let Some(condition) = holding(&error, conditions) else {
        return error;
    };
    match condition.means {
        Means::Settling { awaiting, window } => error.settling(awaiting, window),
        Means::Gone => AwsError {
            kind: ErrorKind::NotFound,
            ..error
        },
    }
}

/// Whether `desired` uses a certificate the stack requests (it orders after that
/// certificate's validation): ELB and CloudFront may not find one ACM issued seconds ago.
pub fn uses_stack_certificate(desired: &Desired) -> bool {
    desired
        .after
        .iter()
        .any(|id| id.kind() == crate::ids::CERTIFICATE_VALIDATION)
}

/// `error`, where it says a certificate was not found (`codes`), read by whose
/// certificate it is: the stack's, just issued, per `conditions`; any other (a mistyped
/// ARN) fails at once, with `hint` added.
pub fn certificate_error(
    error: AwsError,
    codes: &[&str],
    stack_certificate: bool,
    conditions: &[Condition],
    hint: &str,
) -> AwsError {
    if !error
        .code
        .as_deref()
        .is_some_and(|code| codes.contains(&code))
    {
        return error;
    }
    if stack_certificate {
        return read(error, conditions);
    }
    AwsError {
        kind: ErrorKind::Other,
        message: format!("{}; {hint}", error.message),
        ..error
    }
}

/// The conditions of the roles' adapter, the one this crate holds (`kinds::conditions()`
/// adds the kinds'), which docs/aws-behaviour.md lists.
pub fn built_in() -> Vec<&'static Condition> {
    use crate::*;
    iam::CONDITIONS.iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONDITIONS: &[Condition] = &[Condition {
        operation: "CreateService",
        code: "InvalidParameterException",
        message: Some("Unable to assume the service linked role"),
        means: Means::Settling {
            awaiting: "ECS's service-linked role",
            window: IAM_PROPAGATION,
        },
        source: "test",
    }];

    fn error(operation: &str, code: &str, message: &str) -> AwsError {
        AwsError {
            code: Some(code.to_string()),
            ..AwsError::new(ErrorKind::Other, operation, message)
        }
    }

    #[test]
    fn a_condition_holds_for_its_operation_code_and_message_only() {
        let settling = read(
            error(
                "CreateService",
                "InvalidParameterException",
                "Unable to assume the service linked role. Please verify ...",
            ),
            CONDITIONS,
        );
        assert_eq!(settling.kind, ErrorKind::Settling);
        assert_eq!(
            settling.awaiting.map(|awaiting| awaiting.what),
            Some("ECS's service-linked role".to_string())
        );
        // The same code for a mistake in the input stays what it is.
        let typo = read(
            error(
                "CreateService",
                "InvalidParameterException",
                "Invalid revision number",
            ),
            CONDITIONS,
        );
        assert_eq!(typo.kind, ErrorKind::Other);
        let other_call = read(
            error(
                "UpdateService",
                "InvalidParameterException",
                "Unable to assume the service linked role",
            ),
            CONDITIONS,
        );
        assert_eq!(other_call.kind, ErrorKind::Other);
    }

    #[test]
    fn a_removal_is_done_only_when_a_condition_says_gone() {
        const GONE: &[Condition] = &[Condition {
            operation: "DeleteBucketCors",
            code: "NoSuchCORSConfiguration",
            message: None,
            means: Means::Gone,
            source: "test",
        }];
        let gone = error("DeleteBucketCors", "NoSuchCORSConfiguration", "gone");
        assert!(Err::<(), _>(gone).done_if_gone(GONE).is_ok());
        let denied = error("DeleteBucketCors", "AccessDenied", "Access Denied");
        let failed = Err::<(), _>(denied).done_if_gone(GONE).unwrap_err();
        assert_eq!(failed.code.as_deref(), Some("AccessDenied"));
        let elsewhere = error("DeleteBucketWebsite", "NoSuchCORSConfiguration", "gone");
        assert!(Err::<(), _>(elsewhere).done_if_gone(GONE).is_err());
        assert!(Ok::<u8, AwsError>(1).done_if_gone(GONE).is_ok());
    }
}
