//! What an operation's failure is, reduced to the kinds the engine decides on: retry,
//! converge from what is live, explain, give up. Adapters map their service's errors to
//! these kinds (for AWS, from the error code: `aws::errors`).

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ErrorKind {
    /// The id does not exist (or is not visible yet: EC2 is eventually consistent).
    NotFound,
    /// Something still holds the resource and is going away by itself (an address still
    /// mapped to a NAT gateway being deleted, a listener going): worth waiting for.
    Dependency,
    /// Something holds the resource that no run of the stack will release (a repository's
    /// images, a bucket's objects, a policy attached by someone else): a person decides.
    Blocked,
    /// The thing already exists or conflicts with something that does.
    Conflict,
    Throttled,
    /// The request may or may not have been carried out: its response was lost (a reset
    /// connection, a timeout). Only a read can tell (see `aws::resend`).
    Ambiguous,
    /// AWS has not settled yet what the request needs, and will by itself within a window
    /// AWS or the Terraform provider documents (a role made seconds ago not yet assumable,
    /// a load balancer still provisioning): the error says what is awaited
    /// (`Error::awaiting`). Never a mistake in the input.
    Settling,
    /// Waiting or retrying ran out of time.
    Timeout,
    Other,
}

#[derive(Clone, Debug)]
pub struct Error {
    pub kind: ErrorKind,
    pub operation: String,
    pub code: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
    /// What a `Settling` error waits for, and for how long at most.
    /// Boxed: errors travel in every `Result` of the adapters, and stay small.
    pub awaiting: Option<Box<Awaiting>>,
}

/// What AWS is settling, in words that follow "waiting for" ("the load balancer to become
/// active"), and the window in which it does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Awaiting {
    pub what: String,
    pub window: std::time::Duration,
}

impl std::error::Error for Error {}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` failed", self.operation)?;
        if let Some(code) = &self.code {
            write!(f, ": {code}")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(request_id) = &self.request_id {
            write!(f, " (request id {request_id})")?;
        }
        Ok(())
    }
}

impl Error {
    pub fn new(kind: ErrorKind, operation: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind,
            operation: operation.into(),
            code: None,
            message: message.into(),
            request_id: None,
            awaiting: None,
        }
    }

    /// A field AWS always returns is missing from its answer: an error naming it, never
    /// an empty id acted on.
    pub fn missing(operation: &str, field: &str) -> Self {
        Self::new(
            ErrorKind::Other,
            operation,
            format!("the answer has no `{field}`"),
        )
    }

    /// This error as AWS settling `what`, for at most `window`.
    pub fn settling(self, what: impl Into<String>, window: std::time::Duration) -> Self {
        Self {
            kind: ErrorKind::Settling,
            awaiting: Some(Box::new(Awaiting {
                what: what.into(),
                window,
            })),
            ..self
        }
    }
}
