//! ECS services (`service.<key>`, the `services` section) and what each one's lowering
//! makes with it: its task definition, log group, execution and task roles, target group
//! (when exposed) and scaling. The section (`manifest.rs`, a service's `volumes` in
//! `volumes.rs`), the typed properties' lowering (`lower.rs` and `*_lower.rs`), registered
//! by [`REGISTRATION`].
//!
//! Other kinds read the services through the section's facts, never its types: alarms and
//! dashboards name a service by its name (`Section::names`), its cluster by its attachment
//! (`services.<key>` to `clusters.<cluster>`) and its logs by `Manifest::known(..,
//! "log_group")`; the load balancers see an exposed one by its `exposed_port`; the keys check its retained logs (`Section::kept_encrypted`). What a
//! service reads of others goes through `uses` (a secret's key, the mount targets of a
//! file system it mounts) or their facts (Cloud Map's `namespaces` attaches the services it
//! registers; a load balancer orders a service after the listeners that forward to it).

mod adapter;
mod log_group;
mod log_group_lower;
mod lower;
mod manifest;
mod role_lower;
mod rollout;
mod scaling;
mod scaling_lower;
mod target_group;
mod target_group_lower;
mod task_definition;
mod task_definition_lower;
mod volumes;

pub use rollout::redeploy_change;

use std::sync::Arc;

use crate::lower::{Env, Lowering};
use crate::manifest::decode::{Decoder, Fields};
use crate::manifest::keys::{KeptEncrypted, KeyRef};
use crate::manifest::sections::{Decoded, entries};
use crate::manifest::{Attachment, Manifest, Section};

const SECTION: &str = "services";

pub const REGISTRATION: super::Registration = super::Registration {
    section: &Services,
    lowering: &Services,
    // Found by their own listings: ECS's of the stack's clusters (`aws::ecs::services`),
    // task definitions by family, log groups under their prefixes, scaling by service,
    // target groups with the load balancers' reads.
    adapters: || {
        vec![
            Arc::new(log_group::LogGroupAdapter),
            Arc::new(task_definition::TaskDefinitionAdapter),
            Arc::new(adapter::ServiceAdapter),
            Arc::new(scaling::ScalingAdapter),
            Arc::new(target_group::TargetGroupAdapter),
        ]
    },
    permissions: &[adapter::PERMISSIONS],
    conditions: &[
        log_group::CONDITIONS,
        task_definition::CONDITIONS,
        adapter::CONDITIONS,
        scaling::CONDITIONS,
    ],
};

struct Services;

impl Section for Services {
    fn key(&self) -> &'static str {
        SECTION
    }

    /// A mistake of the whole section is told at its key.
    fn decode(
        &self,
        decoder: &mut Decoder,
        fields: &Fields<'_>,
        manifest: &Manifest,
    ) -> Option<Decoded> {
        let (node, at) = fields.with_key(SECTION)?;
        Some(Arc::new(manifest::decode(
            decoder,
            node,
            at,
            &manifest.scope(),
        )))
    }

    /// Each service's name in its cluster, which alarms and dashboards name it by.
    fn names(&self, decoded: &Decoded) -> Vec<(String, String)> {
        entries::<manifest::Service>(decoded)
            .iter()
            .map(|service| (service.key.clone(), service.name.clone()))
            .collect()
    }

    /// Each service's log group, which a dashboard reads, and the port an exposed one
    /// takes traffic on, which the load balancers check a listener forwards to.
    fn known(&self, decoded: &Decoded) -> Vec<(String, &'static str, String)> {
        let mut known = Vec::new();
        for service in entries::<manifest::Service>(decoded) {
            known.push((service.key.clone(), "log_group", service.log_group.clone()));
            if let Some(expose) = &service.expose {
                known.push((service.key.clone(), "exposed_port", expose.port.to_string()));
            }
        }
        known
    }

    /// Each service runs in its cluster.
    fn attachments(&self, decoded: &Decoded) -> Vec<Attachment> {
        entries::<manifest::Service>(decoded)
            .iter()
            .map(|service| Attachment {
                section: SECTION,
                key: service.key.clone(),
                to_section: "clusters",
                to_key: service.cluster.clone(),
            })
            .collect()
    }

    /// The logs of a service that keeps them (`logs.retain`) under the stack's key.
    fn kept_encrypted(&self, decoded: &Decoded) -> Vec<KeptEncrypted> {
        entries::<manifest::Service>(decoded)
            .iter()
            .filter(|service| service.retain_logs)
            .filter_map(|service| match &service.log_key {
                Some(KeyRef::Stack(key)) => Some(KeptEncrypted {
                    what: format!("the logs of service `{}`", service.key),
                    key: key.clone(),
                }),
                _ => None,
            })
            .collect()
    }
}

impl Lowering for Services {
    /// Each service's log group, task definition, service (and scaling), target group and
    /// roles. Lowered after the secrets: its execution role reads a secret through the key
    /// the secret's lowering recorded (`uses.key_of`).
    fn desired(
        &self,
        manifest: &Manifest,
        env: &Env,
        uses: &mut crate::lower::uses::Uses,
    ) -> Vec<crate::engine::model::Desired> {
        let services = decoded(manifest);
        let mut out = log_group_lower::desired(services, manifest, uses);
        out.extend(task_definition_lower::desired(services, manifest, env));
        out.extend(lower::desired(services, manifest, uses));
        out.extend(target_group_lower::desired(services, manifest));
        out.extend(role_lower::desired(services, manifest, env, uses));
        out
    }
}

/// The services the manifest declares.
fn decoded(manifest: &Manifest) -> &[manifest::Service] {
    manifest.sections.list(SECTION)
}
