//! Lowering: CloudWatch log groups of the services' containers.

use std::collections::BTreeMap;

use super::manifest::Service;
use crate::aws::ids::log_group_id;
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::lower::uses::{KeyUser, Uses};
use crate::manifest::Manifest;

crate::engine::properties! {
    /// A CloudWatch log group: what its lowering builds and its observe reads.
    pub struct LogGroupProps (changes: LogGroupChanges) {
        pub name: String => Replace,
        /// Days kept; none: kept for ever.
        pub retention_days: Option<i64> => InPlace,
        /// The key by reference, or nothing (CloudWatch Logs' own encryption).
        pub kms_key: Value => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

pub fn desired(services: &[Service], manifest: &Manifest, uses: &mut Uses) -> Vec<Desired> {
    services
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
