//! Kinds built in one place each: a folder (`kinds/<kind>/`) that owns the kind's
//! manifest section and its decoding, its typed properties (`engine::typed`), its
//! lowering, its adapter, its error conditions, its tagging and the AWS clients it uses,
//! and is registered by one line in [`ALL`]. The manifest, the lowering and the AWS side
//! reach it only through their contracts (`manifest::sections::Section`,
//! `lower::Lowering`, `aws::Adapter`); nothing else names it.
//!
//! Every kind is here; below it stays only what several kinds share (ARCHITECTURE.md,
//! "Adding a kind").

// The layers this crate may import (its Cargo dependencies), under the names the code
// uses for them: `crate::engine::model` is the engine crate's `model`.
use edgectl_aws as aws;
use edgectl_base as base;
use edgectl_engine as engine;
use edgectl_lower as lower;
use edgectl_manifest as manifest;

pub mod alarm;
pub mod bucket;
pub mod certificate;
pub mod cluster;
pub mod dashboard;
pub mod database;
pub mod discovery;
pub mod distribution;
pub mod file_system;
pub mod firewall;
pub mod key;
pub mod load_balancer;
pub mod network;
pub mod repository;
pub mod secret;
pub mod security_group;
pub mod service;
pub mod topic;
pub mod zone;

use std::sync::Arc;

use crate::aws::Adapter;
use crate::lower::Lowering;
use crate::manifest::Section;

/// One kind: what the rest of edgectl needs from it.
pub struct Registration {
    pub section: &'static dyn Section,
    pub lowering: &'static dyn Lowering,
    pub adapters: fn() -> Vec<Arc<dyn Adapter>>,
    /// What its calls answer while AWS settles what they need (`aws::conditions`), which
    /// docs/aws-behaviour.md lists.
    pub conditions: &'static [&'static [crate::aws::conditions::Condition]],
    /// The IAM permissions its calls need (`aws::permissions`, `edgectl policy`).
    pub permissions: &'static [&'static [crate::aws::permissions::Permission]],
}

/// Every kind in this shape. Adding one is a line here.
const ALL: &[Registration] = &[
    network::REGISTRATION,
    security_group::REGISTRATION,
    // Before the alarms and dashboards, which name clusters, services, databases and load
    // balancers by their names (and a load balancer's services through its attachments).
    cluster::REGISTRATION,
    // Before the services, whose execution roles read a secret through its key.
    secret::REGISTRATION,
    // Before the load balancers (which check that a listener forwards to each exposed
    // service) and Cloud Map (which decodes a service's `discovery`).
    service::REGISTRATION,
    load_balancer::REGISTRATION,
    database::REGISTRATION,
    topic::REGISTRATION,
    alarm::REGISTRATION,
    dashboard::REGISTRATION,
    discovery::REGISTRATION,
    firewall::REGISTRATION,
    file_system::REGISTRATION,
    repository::REGISTRATION,
    // Before the certificates, which are requested in us-east-1 for a distribution.
    distribution::REGISTRATION,
    // Before the certificates, which validate through the zones' domains.
    zone::REGISTRATION,
    certificate::REGISTRATION,
    // Granting after the distributions (what they read and serve of a bucket), before
    // the keys (which encrypt a bucket).
    bucket::REGISTRATION,
    // After the kinds it checks and grants: what they keep encrypted, what they use.
    key::REGISTRATION,
];

/// The manifest sections the kinds decode.
pub fn sections() -> Vec<&'static dyn Section> {
    ALL.iter().map(|kind| kind.section).collect()
}

/// The kinds' lowerings, each with its section's key.
pub fn lowerings() -> Vec<(&'static str, &'static dyn Lowering)> {
    ALL.iter()
        .map(|kind| (kind.section.key(), kind.lowering))
        .collect()
}

/// Every adapter: the roles' (which several kinds make, `aws::iam`) and the kinds'.
pub fn adapters() -> Vec<Arc<dyn Adapter>> {
    let mut adapters = crate::aws::adapters();
    for kind in ALL {
        adapters.extend((kind.adapters)());
    }
    adapters
}

/// Every kind's conditions: the roles' (`aws::conditions::built_in`) and the kinds'.
pub fn conditions() -> Vec<&'static crate::aws::conditions::Condition> {
    let mut all = crate::aws::conditions::built_in();
    all.extend(
        ALL.iter()
            .flat_map(|kind| kind.conditions.iter().copied().flatten()),
    );
    all
}

/// The IAM permissions a stack whose desired or live resources are of `kinds` needs:
/// what every command calls, the roles' (when it has roles) and each kind's whose
/// adapters read one of `kinds`.
pub fn permissions(
    kinds: &std::collections::BTreeSet<String>,
) -> Vec<crate::aws::permissions::Permission> {
    let mut all = crate::aws::permissions::ALWAYS.to_vec();
    if kinds.contains(crate::aws::ids::ROLE) {
        all.extend_from_slice(crate::aws::permissions::ROLES);
    }
    for kind in ALL {
        if registered_kinds(kind)
            .iter()
            .any(|name| kinds.contains(*name))
        {
            all.extend(kind.permissions.iter().copied().flatten());
        }
    }
    all
}

/// The logical kinds a registration's adapters read (`vpc`, `subnet`, … for the network).
fn registered_kinds(kind: &Registration) -> Vec<&'static str> {
    (kind.adapters)()
        .iter()
        .flat_map(|adapter| adapter.kinds().iter().copied())
        .collect()
}

/// The logical kinds read when `kinds` are the manifest's and the live ones: every kind
/// of each registration one of them is of (a load balancer's listeners and rules with
/// it), and the roles (which the tagging API does not list).
pub fn kinds_in_play(
    kinds: &std::collections::BTreeSet<String>,
) -> std::collections::BTreeSet<&'static str> {
    let mut read = std::collections::BTreeSet::from([crate::aws::ids::ROLE]);
    for kind in ALL {
        let of_it = registered_kinds(kind);
        if of_it.iter().any(|name| kinds.contains(*name)) {
            read.extend(of_it);
        }
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::conditions::{Condition, Means, Removal as _, read};
    use crate::aws::errors::{AwsError, ErrorKind};

    fn error(operation: &str, code: &str, message: &str) -> AwsError {
        AwsError {
            code: Some(code.to_string()),
            ..AwsError::new(ErrorKind::Other, operation, message)
        }
    }

    /// Each kind's every condition, answered as AWS answers it, reads as it says: the
    /// unit-level replay of the rows no integration test reaches.
    #[test]
    fn every_condition_reads_as_it_says() {
        for condition in conditions() {
            let answered = error(
                condition.operation,
                condition.code,
                &format!("AWS says: {}.", condition.message.unwrap_or("no")),
            );
            match condition.means {
                Means::Settling { awaiting, window } => {
                    let read = read(answered, all_of(condition));
                    assert_eq!(read.kind, ErrorKind::Settling, "{}", condition.operation);
                    let found = read.awaiting.expect("what is awaited");
                    assert_eq!((found.what.as_str(), found.window), (awaiting, window));
                }
                Means::Gone => {
                    let done = Err::<(), _>(answered).done_if_gone(all_of(condition));
                    assert!(done.is_ok(), "{} {}", condition.operation, condition.code);
                }
            }
        }
    }

    /// An empty section (null) is no section: it asks for no network, and declares
    /// nothing.
    #[test]
    fn empty_sections_are_absent() {
        let parsed = crate::manifest::parse_bytes(
            "m.yaml",
            b"stack: s\nregion: us-east-1\ndatabases:\nfile_systems: ~\nnamespaces:\nsecurity_groups:\nload_balancers:\n",
            &Default::default(),
            &sections(),
        );
        assert!(parsed.is_ok(), "{:?}", parsed.err());
    }

    /// `ALL` lists a kind after the kinds whose facts it reads as it decodes or lowers
    /// (what each pair's comment in `ALL` says): reordered, a fact would be missing
    /// silently (a service's execution role without the key a secret is read through).
    #[test]
    fn kinds_come_after_what_they_read() {
        let keys: Vec<&str> = ALL.iter().map(|kind| kind.section.key()).collect();
        let at = |key: &str| {
            keys.iter()
                .position(|known| *known == key)
                .unwrap_or_else(|| panic!("no kind `{key}`"))
        };
        for (first, then) in [
            // `uses.key_of`: the key a secret is read through.
            ("secrets", "services"),
            // The services' facts: names, clusters, log groups, exposed ports, discovery.
            ("services", "load_balancers"),
            ("services", "alarms"),
            ("services", "dashboards"),
            ("services", "namespaces"),
            ("services", "keys"),
            // Names in alarms' and dashboards' dimensions.
            ("clusters", "alarms"),
            ("clusters", "dashboards"),
            ("load_balancers", "alarms"),
            ("load_balancers", "dashboards"),
            ("databases", "alarms"),
            ("databases", "dashboards"),
            // Whether a load balancer has an HTTPS listener, for a record aliasing it.
            ("load_balancers", "zones"),
            ("alarms", "dashboards"),
            // Where a certificate is requested, and the zones it validates in.
            ("distributions", "certificates"),
            ("load_balancers", "certificates"),
            ("zones", "certificates"),
            // Granting kinds: after what they grant to.
            ("distributions", "buckets"),
            ("buckets", "keys"),
        ] {
            assert!(at(first) < at(then), "`{first}` must come before `{then}`");
        }
        assert_eq!(keys.last(), Some(&"keys"), "the keys grant last");
    }

    fn all_of(condition: &'static Condition) -> &'static [Condition] {
        std::slice::from_ref(condition)
    }

    /// docs/aws-behaviour.md lists every condition (operation, code, message part, source)
    /// on a line of its own, and no other: the document is the code's.
    #[test]
    fn every_condition_is_documented() {
        let doc = include_str!("../../../docs/aws-behaviour.md");
        let table: Vec<&str> = doc
            .lines()
            .skip_while(|line| !line.starts_with("## Conditions"))
            .take_while(|line| !line.starts_with("## Coverage"))
            .filter(|line| line.starts_with("| `"))
            .collect();
        let conditions = super::conditions();
        for condition in &conditions {
            let found = table.iter().any(|line| {
                line.contains(&format!("| `{}` |", condition.operation))
                    && line.contains(&format!("`{}`", condition.code))
                    && condition
                        .message
                        .is_none_or(|part| line.contains(&format!("“{part}”")))
                    && line.contains(
                        condition
                            .source
                            .trim_start_matches("terraform-provider-aws ")
                            .split(" (")
                            .next()
                            .unwrap_or_default(),
                    )
            });
            assert!(
                found,
                "docs/aws-behaviour.md does not list {} {} {:?}",
                condition.operation, condition.code, condition.message
            );
        }
        assert_eq!(
            table.len(),
            conditions.len(),
            "docs/aws-behaviour.md lists conditions the code does not have"
        );
    }
}
