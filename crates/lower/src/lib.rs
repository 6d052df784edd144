//! Lowering: the manifest becomes the desired resources, every kind's through its
//! `Lowering` (`kinds/`), with what they share of it here (the roles several kinds make,
//! `role`; the VPC by reference, `vpc`; references to live attributes, `refs`). What one kind
//! asks of another's resources is recorded in `uses` as it names them and granted by the
//! other's lowering, or resolved once every kind is lowered (`Uses::order`): adapters read
//! and change AWS, and never build their own desired state.
//!
//! Every function here is pure (a bucket's sync, in `kinds/bucket`, is the lowering that
//! reads the disk, warmed from [`warm`]).

// The layers this crate may import (its Cargo dependencies), under the names the code
// uses for them: `crate::engine::model` is the engine crate's `model`.
use edgectl_aws as aws;
use edgectl_engine as engine;
use edgectl_manifest as manifest;

pub mod refs;
pub mod role;
pub mod uses;
pub mod vpc;

use crate::engine::model::{Desired, Value};
use crate::manifest::Manifest;

/// A registered kind's lowering (`kinds/`): its section of the manifest as desired
/// resources, and what references to its resources stand for. The lowering is handed over
/// with its section's key ([`Kinds`]).
pub trait Lowering: Sync {
    /// Its resources; what they use of other kinds' (the stack's key it encrypts with)
    /// recorded in `uses` ([`uses::Uses`]) as it names them.
    fn desired(&self, manifest: &Manifest, env: &Env, uses: &mut uses::Uses) -> Vec<Desired>;

    /// Starts local work its lowering will need in the background, while AWS is read (a
    /// bucket's sync hashes its files): see [`warm`].
    fn warm(&self, _manifest: &Manifest) {}

    /// Whether it grants what the others recorded in `uses` (a key's policy): such a
    /// kind is lowered after every other, and reads `uses` whole.
    fn grants(&self) -> bool {
        false
    }

    /// What `${<section>.<key>.<attribute>}` stands for: references to the resource's
    /// physical id or attribute, or literal text the manifest knows; `None` for a key the
    /// section's decoding dropped (already reported), and for every key of a section
    /// without attributes (`Section::attributes`), which no reference passes the
    /// manifest's checks to name.
    fn reference(
        &self,
        _manifest: &Manifest,
        _env: &Env,
        _key: &str,
        _attribute: &str,
    ) -> Option<Vec<Value>> {
        None
    }
}

/// The registered kinds' lowerings, each with the key of the section it lowers
/// (`dashboards`).
pub type Kinds<'a> = [(&'static str, &'a dyn Lowering)];

/// Facts about the account and region that shape the desired graph.
#[derive(Clone, Debug, Default)]
pub struct Env {
    pub region: String,
    /// The availability zones the network uses, in order.
    pub zones: Vec<String>,
}

impl Env {
    /// Stand-in facts for checking the graph before any AWS call.
    pub fn placeholder(manifest: &Manifest) -> Self {
        let count = manifest
            .network
            .as_ref()
            .map_or(0, |network| network.zones.len());
        let region = manifest
            .region
            .clone()
            .unwrap_or_else(|| "us-east-1".to_string());
        Self {
            zones: (0..count)
                .map(|index| format!("{region}-zone{index}"))
                .collect(),
            region,
        }
    }
}

/// Every resource the manifest implies, every kind's (`kinds`), in no particular order:
/// the graph decides order.
pub fn desired(manifest: &Manifest, env: &Env, kinds: &Kinds<'_>) -> Vec<Desired> {
    let mut out = Vec::new();
    let mut uses = uses::Uses::default();
    for (_, kind) in kinds.iter().filter(|(_, kind)| !kind.grants()) {
        out.extend(kind.desired(manifest, env, &mut uses));
    }
    // Last, what grants what the others said they use (a bucket's policy, its sync's
    // invalidation, a zone's records, a key's policy), in the order `kinds` lists them.
    for (_, kind) in kinds.iter().filter(|(_, kind)| kind.grants()) {
        out.extend(kind.desired(manifest, env, &mut uses));
    }
    uses.order(&mut out);
    refs::templates(manifest, env, kinds, &mut out);
    out
}

/// The manifest's outputs as values: text, or templates of the live attributes they name.
pub fn outputs(
    manifest: &Manifest,
    env: &Env,
    kinds: &Kinds<'_>,
) -> Vec<(crate::manifest::Output, Value)> {
    manifest
        .outputs
        .iter()
        .map(|output| {
            (
                output.clone(),
                refs::template(manifest, env, kinds, &output.value),
            )
        })
        .collect()
}

/// Starts local work a plan will need (hashing a sync's files) in the background, so that
/// it runs while AWS is read. Plan and apply call it; destroy does not.
pub fn warm(manifest: &Manifest, kinds: &Kinds<'_>) {
    for (_, kind) in kinds {
        kind.warm(manifest);
    }
}

/// `${<section>.<key>.arn}` as the resource's physical id (`id`, its ARN), any other
/// attribute as its name as its section says it (`Section::names`): the shape of a topic's,
/// a secret's and a cluster's references. `None` for a key the section's decoding dropped
/// (already reported).
pub fn arn_or_name(
    manifest: &Manifest,
    section: &str,
    key: &str,
    attribute: &str,
    id: crate::engine::model::ResourceId,
) -> Option<Vec<Value>> {
    let name = manifest.name_of(section, key)?;
    Some(vec![if attribute == "arn" {
        Value::Ref(id)
    } else {
        Value::str(name)
    }])
}

/// A listener's or distribution's `certificate` as a value: an ARN as written, or the
/// stack's certificate (its ARN once issued), with what to order after.
pub fn certificate_reference(written: &str) -> (Value, Option<crate::engine::model::ResourceId>) {
    match written.strip_prefix("certificates.") {
        Some(key) => (
            Value::Template(vec![Value::Ref(crate::aws::ids::certificate_id(key))]),
            Some(crate::aws::ids::validation_id(key)),
        ),
        None => (Value::str(written), None),
    }
}
