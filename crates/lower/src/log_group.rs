//! Lowering: CloudWatch log groups of the services' containers.

use super::Env;
use super::uses::{KeyUser, Uses};
use crate::aws::ids::log_group_id;
use crate::aws::logs::LogGroupProps;
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;

pub fn desired(manifest: &Manifest, _env: &Env, uses: &mut Uses) -> Vec<Desired> {
    manifest
        .containers
        .services
        .iter()
        .map(|service| {
            let props = LogGroupProps {
                name: service.log_group.clone(),
                retention_days: Some(service.retention_days),
                kms_key: service.log_key.as_ref().map_or(Value::Null, |key| {
                    uses.key(&log_group_id(&service.key), key, KeyUser::Logs)
                }),
                tags: tags::managed_tag_map(
                    &manifest.tags,
                    &Default::default(),
                    &service.log_group,
                    service.retain_logs,
                ),
            };
            Desired {
                id: log_group_id(&service.key),
                props: props.into_props(),
                after: Vec::new(),
            }
        })
        .collect()
}
