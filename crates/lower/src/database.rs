//! Lowering: RDS PostgreSQL databases, each with its DB subnet group (the tier's
//! subnets) and parameter group (the manifest's parameters), and the role enhanced
//! monitoring assumes when it is on.

use super::key::key_value;
use super::role::monitoring_role_id;
use super::subnet::subnet_id;
use crate::aws::ec2::security_group::group_id;
use crate::aws::rds::instance::database_id;
use crate::aws::rds::parameter_group::parameter_group_id;
use crate::aws::rds::subnet_group::subnet_group_id;
use crate::aws::tags;
use crate::engine::model::{Desired, Mode, Value, props};
use crate::manifest::Manifest;

pub fn desired(manifest: &Manifest) -> Vec<Desired> {
    let mut out = Vec::new();
    let Some(network) = manifest.network.as_ref() else {
        return out;
    };
    for db in &manifest.containers.databases {
        let major = db.version.split('.').next().unwrap_or_default();
        // Names of their own: the instance's identifier is its physical id.
        let subnet_group = format!("{}-subnets", db.identifier);
        out.push(Desired {
            id: subnet_group_id(&db.key),
            props: props([
                ("name", Value::str(&subnet_group), Mode::Replace),
                (
                    "subnets",
                    Value::Set(
                        (0..network.subnets(db.subnets).len())
                            .map(|index| Value::Ref(subnet_id(db.subnets, index)))
                            .collect(),
                    ),
                    Mode::InPlace,
                ),
                (
                    "tags",
                    tags::desired_tags(&manifest.tags, &subnet_group),
                    Mode::InPlace,
                ),
            ]),
            after: Vec::new(),
        });
        let parameter_group = format!("{}-postgres{major}", db.identifier);
        out.push(Desired {
            id: parameter_group_id(&db.key),
            props: props([
                ("name", Value::str(&parameter_group), Mode::Replace),
                (
                    "family",
                    Value::str(format!("postgres{major}")),
                    Mode::Replace,
                ),
                (
                    "parameters",
                    Value::Map(
                        db.parameters
                            .iter()
                            .map(|(name, value)| (name.clone(), Value::str(value)))
                            .collect(),
                    ),
                    Mode::InPlace,
                ),
                (
                    "tags",
                    tags::desired_tags(&manifest.tags, &parameter_group),
                    Mode::InPlace,
                ),
            ]),
            after: Vec::new(),
        });
        out.push(Desired {
            id: database_id(&db.key),
            props: props([
                ("identifier", Value::str(&db.identifier), Mode::Replace),
                ("engine_version", Value::str(&db.version), Mode::InPlace),
                ("class", Value::str(&db.class), Mode::InPlace),
                ("storage", Value::Int(db.storage), Mode::InPlace),
                ("storage_type", Value::str(&db.storage_type), Mode::InPlace),
                (
                    "subnet_group",
                    Value::Ref(subnet_group_id(&db.key)),
                    Mode::Replace,
                ),
                (
                    "security_groups",
                    Value::Set(
                        db.security_groups
                            .iter()
                            .map(|group| Value::Ref(group_id(group)))
                            .collect(),
                    ),
                    Mode::InPlace,
                ),
                (
                    "database",
                    db.database.as_deref().map_or(Value::Null, Value::str),
                    Mode::Replace,
                ),
                ("username", Value::str(&db.username), Mode::Replace),
                ("encrypted", Value::Bool(db.encrypted), Mode::Replace),
                (
                    "kms_key",
                    match (&db.kms_key, db.encrypted) {
                        (Some(key), _) => key_value(key),
                        // RDS's own key, `aws/rds`.
                        (None, true) => Value::AwsDefault,
                        (None, false) => Value::Null,
                    },
                    Mode::Replace,
                ),
                (
                    "backup_retention_days",
                    Value::Int(db.backup_retention_days),
                    Mode::InPlace,
                ),
                ("multi_az", Value::Bool(db.multi_az), Mode::InPlace),
                (
                    "performance_insights",
                    Value::Bool(db.performance_insights),
                    Mode::InPlace,
                ),
                (
                    "monitoring_interval",
                    Value::Int(db.monitoring_interval),
                    Mode::InPlace,
                ),
                (
                    "monitoring_role",
                    if db.monitoring_interval > 0 {
                        Value::Ref(monitoring_role_id(&db.key))
                    } else {
                        Value::Null
                    },
                    Mode::InPlace,
                ),
                (
                    "deletion_protection",
                    Value::Bool(db.deletion_protection),
                    Mode::InPlace,
                ),
                (
                    "parameter_group",
                    Value::Ref(parameter_group_id(&db.key)),
                    Mode::InPlace,
                ),
                (
                    "skip_final_snapshot",
                    Value::Bool(db.skip_final_snapshot),
                    Mode::InPlace,
                ),
                // How to change it, never compared (the adapter's normalize).
                (
                    "apply_immediately",
                    Value::Bool(db.apply_immediately),
                    Mode::InPlace,
                ),
                (
                    "allow_replacement",
                    Value::Bool(db.allow_replacement),
                    Mode::InPlace,
                ),
                (
                    "tags",
                    tags::desired_tags(&manifest.tags, &db.identifier),
                    Mode::InPlace,
                ),
            ]),
            after: Vec::new(),
        });
    }
    out
}
