//! Lowering: RDS PostgreSQL databases, each with its DB subnet group (the tier's
//! subnets) and parameter group (the manifest's parameters), and the role enhanced
//! monitoring assumes when it is on.

use std::collections::{BTreeMap, BTreeSet};

use super::manifest::Database;
use crate::aws::iam::{ASSUME_RDS_MONITORING, partition};
use crate::aws::ids::{
    database_id, group_id, monitoring_role_id, parameter_group_id, subnet_group_id, subnet_id,
};
use crate::aws::naming::fit;
use crate::aws::tags;
use crate::engine::model::{Desired, Value, Why};
use crate::engine::typed::Properties as _;
use crate::lower::Env;
use crate::lower::role::{Grants, role_for};
use crate::lower::uses::{KeyUser, Uses};
use crate::manifest::Manifest;

crate::engine::properties! {
    /// An RDS PostgreSQL instance: what its lowering builds and its observe reads (a
    /// change pending for the maintenance window read as made).
    pub struct InstanceProps (changes: InstanceChanges) {
        pub identifier: String => Replace,
        /// `15` (any 15.x) or `15.4` (that minor or later); live, the version it runs.
        pub engine_version: String => InPlace,
        pub class: String => InPlace,
        /// GiB.
        pub storage: i64 => InPlace,
        pub storage_type: String => InPlace,
        /// Its DB subnet group, by reference.
        pub subnet_group: Value => Replace,
        /// Its security groups, by reference.
        pub security_groups: BTreeSet<Value> => InPlace,
        /// The database made with it, if any.
        pub database: Option<String> => Replace,
        pub username: String => Replace,
        pub encrypted: bool => Replace,
        /// The key by reference, `AwsDefault` (RDS's `aws/rds`), or nothing.
        pub kms_key: Value => Replace,
        pub backup_retention_days: i64 => InPlace,
        pub multi_az: bool => InPlace,
        pub performance_insights: bool => InPlace,
        /// Seconds; 0 is off.
        pub monitoring_interval: i64 => InPlace,
        /// The role enhanced monitoring assumes, by reference, or nothing.
        pub monitoring_role: Value => InPlace,
        pub deletion_protection: bool => InPlace,
        /// RDS keeps the master password in a Secrets Manager secret of its own
        /// (`ManageMasterUserPassword`): always, for the stack's; one adopted without it is
        /// moved onto it.
        pub managed_password: bool => InPlace,
        /// Its DB parameter group, by reference.
        pub parameter_group: Value => InPlace,
        /// Kept in a tag (see `SNAPSHOT_TAG`).
        pub skip_final_snapshot: bool => InPlace,
        /// How a change is made, never compared (see `normalize`).
        pub apply_immediately: bool => InPlace,
        /// Whether a replacement is allowed, never compared.
        pub allow_replacement: bool => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

const KEEP_NAME: &str = "a database's subnet and parameter groups are named after it: ones made elsewhere (adopted with it) keep their own until they are replaced";

/// A group's name as a create sends it (the plan settles a kept name before).
pub fn group_name(name: &Value) -> Result<&str, crate::aws::errors::AwsError> {
    match name {
        Value::KeepLive(name, _) => name.as_str(),
        name => name.as_str(),
    }
    .ok_or_else(|| {
        crate::aws::errors::AwsError::new(
            crate::aws::errors::ErrorKind::Other,
            "name",
            format!("a group's name is {name}, not text"),
        )
    })
}

crate::engine::properties! {
    /// A DB subnet group: what its lowering builds and its observe reads.
    pub struct SubnetGroupProps (changes: SubnetGroupChanges) {
        /// Derived, so kept from a live group (one adopted with its database keeps its
        /// own) until the group is replaced ([`KEEP_NAME`]).
        pub name: Value => Replace,
        /// The tier's subnets, by reference.
        pub subnets: BTreeSet<Value> => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

crate::engine::properties! {
    /// A DB parameter group: what its lowering builds and its observe reads.
    pub struct ParameterGroupProps (changes: ParameterGroupChanges) {
        /// Derived, so kept from a live group ([`KEEP_NAME`]).
        pub name: Value => Replace,
        /// `postgres15`.
        pub family: String => Replace,
        /// Those the manifest sets (live: those set by a user), name → value.
        pub parameters: BTreeMap<String, String> => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

/// The databases (`databases`), each with its subnet group, its parameter group and,
/// when enhanced monitoring is on, the role it assumes.
pub fn desired(
    databases: &[Database],
    manifest: &Manifest,
    env: &Env,
    uses: &mut Uses,
) -> Vec<Desired> {
    let mut out = Vec::new();
    let Some(network) = manifest.network.as_ref() else {
        return out;
    };
    for db in databases {
        let major = db.version.split('.').next().unwrap_or_default();
        // Names of their own: the instance's identifier is its physical id.
        let subnet_group = format!("{}-subnets", db.identifier);
        let parameter_group = format!("{}-postgres{major}", db.identifier);
        let subnet_group = SubnetGroupProps {
            name: Value::KeepLive(Box::new(Value::str(&subnet_group)), Why(KEEP_NAME)),
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
            name: Value::KeepLive(Box::new(Value::str(&parameter_group)), Why(KEEP_NAME)),
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
            managed_password: true,
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

/// The role RDS's enhanced monitoring of `database` assumes, made by the database's
/// lowering (a role of its own, `role::role_for`).
fn monitoring_role(manifest: &Manifest, env: &Env, database: &Database) -> Desired {
    role_for(
        manifest,
        monitoring_role_id(&database.key),
        fit(&format!("{}-monitoring", database.identifier), 64),
        ASSUME_RDS_MONITORING,
        vec![format!(
            "arn:{}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
            partition(&env.region)
        )],
        Grants::default(),
    )
}
