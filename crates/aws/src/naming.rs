//! AWS names with length limits, derived deterministically from the stack and logical
//! names so that a rerun finds the same name, and a replacement gets a new one.

use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use super::Cx;
use crate::engine::model::ResourceId;

pub use crate::text::{fit, with_hash};

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
}
