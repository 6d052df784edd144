//! Lowering: RDS PostgreSQL databases, each with its DB subnet group (the tier's
//! subnets) and parameter group (the manifest's parameters), and the role enhanced
//! monitoring assumes when it is on.

use super::Env;
use super::role::monitoring_role;
use super::uses::{KeyUser, Uses};
use crate::aws::ids::{
    database_id, group_id, monitoring_role_id, parameter_group_id, subnet_group_id, subnet_id,
};
use crate::aws::rds::instance::InstanceProps;
use crate::aws::rds::parameter_group::ParameterGroupProps;
use crate::aws::rds::subnet_group::SubnetGroupProps;
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;

pub fn desired(manifest: &Manifest, env: &Env, uses: &mut Uses) -> Vec<Desired> {
    let mut out = Vec::new();
    let Some(network) = manifest.network.as_ref() else {
        return out;
    };
    for db in &manifest.containers.databases {
        let major = db.version.split('.').next().unwrap_or_default();
        // Names of their own: the instance's identifier is its physical id.
        let subnet_group = format!("{}-subnets", db.identifier);
        let parameter_group = format!("{}-postgres{major}", db.identifier);
        let subnet_group = SubnetGroupProps {
            name: subnet_group.clone(),
            subnets: (0..network.subnets(db.subnets).len())
                .map(|index| Value::Ref(subnet_id(db.subnets.as_str(), index)))
                .collect(),
            tags: tags::desired_tag_map(&manifest.tags, &subnet_group),
        };
        out.push(Desired {
            id: subnet_group_id(&db.key),
            props: subnet_group.into_props(),
            after: Vec::new(),
        });
        let parameter_group = ParameterGroupProps {
            name: parameter_group.clone(),
            family: format!("postgres{major}"),
            parameters: db.parameters.clone(),
            tags: tags::desired_tag_map(&manifest.tags, &parameter_group),
        };
        out.push(Desired {
            id: parameter_group_id(&db.key),
            props: parameter_group.into_props(),
            after: Vec::new(),
        });
        let props = InstanceProps {
            identifier: db.identifier.clone(),
            engine_version: db.version.clone(),
            class: db.class.clone(),
            storage: db.storage,
            storage_type: db.storage_type.clone(),
            subnet_group: Value::Ref(subnet_group_id(&db.key)),
            security_groups: db
                .security_groups
                .iter()
                .map(|group| Value::Ref(group_id(group)))
                .collect(),
            database: db.database.clone(),
            username: db.username.clone(),
            encrypted: db.encrypted,
            kms_key: match (&db.kms_key, db.encrypted) {
                (Some(key), _) => uses.key(&database_id(&db.key), key, KeyUser::Via("rds")),
                // RDS's own key, `aws/rds`.
                (None, true) => Value::AwsDefault,
                (None, false) => Value::Null,
            },
            backup_retention_days: db.backup_retention_days,
            multi_az: db.multi_az,
            performance_insights: db.performance_insights,
            monitoring_interval: db.monitoring_interval,
            monitoring_role: if db.monitoring_interval > 0 {
                Value::Ref(monitoring_role_id(&db.key))
            } else {
                Value::Null
            },
            deletion_protection: db.deletion_protection,
            parameter_group: Value::Ref(parameter_group_id(&db.key)),
            skip_final_snapshot: db.skip_final_snapshot,
            // How to change it, never compared (the adapter's normalize).
            apply_immediately: db.apply_immediately,
            allow_replacement: db.allow_replacement,
            tags: tags::desired_tag_map(&manifest.tags, &db.identifier),
        };
        out.push(Desired {
            id: database_id(&db.key),
            props: props.into_props(),
            after: Vec::new(),
        });
        if db.monitoring_interval > 0 {
            out.push(monitoring_role(manifest, env, db));
        }
    }
    out
}
