//! What every layer may use: small text helpers (`plural`, durations, byte sizes, name
//! fitting, canonical JSON), facts about AWS the manifest and the adapters agree on, the
//! redaction of sensitive values, and where a manifest came from (what a saved plan
//! records). It imports nothing of edgectl.

pub mod files;
pub mod known;
pub mod redact;
pub mod source;
pub mod text;
