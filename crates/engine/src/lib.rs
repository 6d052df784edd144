//! The engine: what edgectl reasons about and how it acts, with no AWS and no manifest in
//! it. The model (ids, values, fields), the desired graph and its ordering, the pure diff,
//! the walk that runs a plan along the graph, the contract every resource kind implements
//! ([`kind::Kind`]), error kinds, and the retry policy.
//!
//! It never imports `aws/`, `manifest/` or `commands/`: those plug into it.

pub mod diff;
pub mod error;
pub mod graph;
pub mod kind;
pub mod model;
pub mod retry;
pub mod typed;
pub mod walk;

#[cfg(test)]
mod walk_tests;
