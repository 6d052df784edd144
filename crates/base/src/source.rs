//! Where a manifest came from, as a saved plan records it: the manifest layer makes it,
//! the plan documents (`edgectl-render`) write and check it, and neither needs the other.

use std::collections::BTreeMap;

/// Where the manifest came from: what a saved plan records about it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Source {
    /// BLAKE3 of the manifest's bytes, hex.
    pub digest: String,
    /// Every declared variable as resolved (overrides, environment, default).
    pub variables: BTreeMap<String, Variable>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Variable {
    pub value: Option<String>,
    pub sensitive: bool,
}
