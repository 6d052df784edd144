//! Kinds built in one place each: a folder (`kinds/<kind>/`) that owns the kind's
//! manifest section and its decoding, its typed properties (`engine::typed`), its
//! lowering, its adapter, its error conditions, its tagging and the AWS clients it uses,
//! and is registered by one line in [`ALL`]. The manifest, the lowering and the AWS side
//! reach it only through their contracts (`manifest::sections::Section`,
//! `lower::Lowering`, `aws::Adapter`); nothing else names it.
//!
//! The kinds made before this shape (`manifest/`, `lower/`, `aws/`) move here one by one
//! (ARCHITECTURE.md, "Adding a kind").

// The layers this crate may import (its Cargo dependencies), under the names the code
// uses for them: `crate::engine::model` is the engine crate's `model`.
use edgectl_aws as aws;
use edgectl_engine as engine;
use edgectl_lower as lower;
use edgectl_manifest as manifest;

pub mod dashboard;
pub mod discovery;
pub mod topic;

use std::sync::Arc;

use crate::aws::Adapter;
use crate::lower::Lowering;
use crate::manifest::Section;

/// One kind: what the rest of edgectl needs from it.
pub struct Registration {
    pub section: &'static dyn Section,
    pub lowering: &'static dyn Lowering,
    pub adapters: fn() -> Vec<Arc<dyn Adapter>>,
    /// The resource types the Resource Groups Tagging API lists its resources as
    /// (`cloudwatch:dashboard`), found with the stack's one tagging query.
    pub tagged: &'static [&'static str],
}

/// Every kind in this shape. Adding one is a line here.
const ALL: &[Registration] = &[
    dashboard::REGISTRATION,
    topic::REGISTRATION,
    discovery::REGISTRATION,
];

/// The manifest sections the kinds decode.
pub fn sections() -> Vec<&'static dyn Section> {
    ALL.iter().map(|kind| kind.section).collect()
}

/// The kinds' lowerings.
pub fn lowerings() -> Vec<&'static dyn Lowering> {
    ALL.iter().map(|kind| kind.lowering).collect()
}

/// Every adapter: the built-in kinds' and the registered ones'.
pub fn adapters() -> Vec<Arc<dyn Adapter>> {
    let mut adapters = crate::aws::adapters();
    for kind in ALL {
        adapters.extend((kind.adapters)());
    }
    adapters
}

/// The resource types the kinds find through the tagging API.
pub fn tagged_types() -> Vec<&'static str> {
    ALL.iter()
        .flat_map(|kind| kind.tagged.iter().copied())
        .collect()
}
