//! Lowering: CloudWatch log groups of the services' containers.

use super::Env;
use crate::aws::logs::KIND;
use crate::aws::tags;
use crate::engine::model::{Desired, Mode, ResourceId, Value, props};
use crate::manifest::Manifest;

pub fn desired(manifest: &Manifest, _env: &Env) -> Vec<Desired> {
    manifest
        .containers
        .services
        .iter()
        .map(|service| {
            let name = service.log_group.clone();
            Desired {
                id: log_group_id(&service.key),
                props: props([
                    ("name", Value::str(&name), Mode::Replace),
                    (
                        "retention_days",
                        Value::Int(service.retention_days),
                        Mode::InPlace,
                    ),
                    (
                        "kms_key",
                        service
                            .log_key
                            .as_ref()
                            .map_or(Value::Null, super::key::key_value),
                        Mode::InPlace,
                    ),
                    (
                        "tags",
                        tags::managed_tags(
                            &manifest.tags,
                            &Default::default(),
                            &name,
                            service.retain_logs,
                        ),
                        Mode::InPlace,
                    ),
                ]),
                after: Vec::new(),
            }
        })
        .collect()
}

pub fn log_group_id(service: &str) -> ResourceId {
    ResourceId::new(KIND, service)
}
