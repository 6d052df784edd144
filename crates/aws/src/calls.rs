//! Counts the AWS requests a command sends (each HTTP attempt, retries included), so that
//! the summary and the benchmark report calls, not only time; and the retries among them,
//! by what made the SDK send again (throttling, a server error, a lost connection).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

#[derive(Clone, Debug, Default)]
pub struct CallCounter {
    counts: Arc<Mutex<BTreeMap<String, usize>>>,
    retries: Arc<Mutex<BTreeMap<Failure, usize>>>,
}

/// What made an attempt fail, as far as the wire tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Failure {
    Throttled,
    ServerError,
    Connection,
    Other,
}

impl Failure {
    fn describe(self) -> &'static str {
        match self {
            Failure::Throttled => "throttled",
            Failure::ServerError => "server errors",
            Failure::Connection => "lost connections",
            Failure::Other => "other errors",
        }
    }
}

/// The failure of an operation's latest attempt, kept in the operation's config bag.
#[derive(Clone, Copy, Debug)]
struct LastFailure(Failure);

impl Storable for LastFailure {
    type Storer = StoreReplace<Self>;
}

impl CallCounter {
    pub fn total(&self) -> usize {
        self.counts
            .lock()
            .map(|counts| counts.values().sum())
            .unwrap_or(0)
    }

    /// Requests sent again by the SDK, by what failed before.
    pub fn retries(&self) -> BTreeMap<Failure, usize> {
        self.retries
            .lock()
            .map(|retries| retries.clone())
            .unwrap_or_default()
    }

    /// `46 AWS calls`, and what was retried: `46 AWS calls, 7 retried (5 throttled, 2 server errors)`.
    pub fn summary(&self) -> String {
        let retries = self.retries();
        let total: usize = retries.values().sum();
        if total == 0 {
            return format!("{} AWS calls", self.total());
        }
        let reasons: Vec<String> = retries
            .iter()
            .map(|(failure, count)| format!("{count} {}", failure.describe()))
            .collect();
        format!(
            "{} AWS calls, {total} retried ({})",
            self.total(),
            reasons.join(", ")
        )
    }

    /// `Service.Operation` -> requests sent.
    pub fn by_operation(&self) -> BTreeMap<String, usize> {
        self.counts
            .lock()
            .map(|counts| counts.clone())
            .unwrap_or_default()
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "edgectl-call-counter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let name = cfg.load::<Metadata>().map_or_else(
            || "unknown".to_string(),
            |metadata| format!("{}.{}", metadata.service(), metadata.name()),
        );
        if let Ok(mut counts) = self.counts.lock() {
            *counts.entry(name).or_default() += 1;
        }
        let retry = cfg
            .load::<RequestAttempts>()
            .is_some_and(|attempts| attempts.attempts() > 1);
        if retry {
            let failure = cfg
                .load::<LastFailure>()
                .map_or(Failure::Other, |last| last.0);
            if let Ok(mut retries) = self.retries.lock() {
                *retries.entry(failure).or_default() += 1;
            }
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if !matches!(context.output_or_error(), Some(Err(_))) {
            return Ok(());
        }
        let failure = match context.response() {
            None => Failure::Connection,
            Some(response) => {
                let status = response.status().as_u16();
                let body = response.body().bytes().unwrap_or_default();
                let throttled = status == 429
                    || super::errors::THROTTLING_CODES.iter().any(|code| {
                        body.windows(code.len())
                            .any(|window| window == code.as_bytes())
                    });
                if throttled {
                    Failure::Throttled
                } else if status >= 500 {
                    Failure::ServerError
                } else {
                    Failure::Other
                }
            }
        };
        cfg.interceptor_state().store_put(LastFailure(failure));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_retries_by_cause() {
        let counter = CallCounter::default();
        counter
            .counts
            .lock()
            .unwrap()
            .insert("EC2.CreateVpc".into(), 46);
        assert_eq!(counter.summary(), "46 AWS calls");
        counter
            .retries
            .lock()
            .unwrap()
            .insert(Failure::Throttled, 5);
        counter
            .retries
            .lock()
            .unwrap()
            .insert(Failure::ServerError, 2);
        assert_eq!(
            counter.summary(),
            "46 AWS calls, 7 retried (5 throttled, 2 server errors)"
        );
    }
}
