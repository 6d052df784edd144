//! What every layer may use: small text helpers (`plural`, durations, byte sizes, name
//! fitting, canonical JSON), facts about AWS the manifest and the adapters agree on, and
//! the redaction of sensitive values. It imports nothing of edgectl.

pub mod known;
pub mod redact;
pub mod text;
