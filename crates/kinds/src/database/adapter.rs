//! RDS PostgreSQL instances (`database.<key>`). The identifier is the instance's name in
//! the account (a new one is a new instance); so are the database name, master username,
//! encryption and key, and the subnet group. Everything else changes in place, with
//! ModifyDBInstance: at once with `apply_immediately`, else in the next maintenance window
//! — RDS then holds the change in PendingModifiedValues, which observe reads as the
//! instance's value (it is coming), and the plan says when it lands.
//!
//! The master password is RDS's own (`ManageMasterUserPassword`): RDS keeps it in a
//! Secrets Manager secret, published as the attribute `secret` (with `endpoint`) for
//! services to refer to. Created with the ownership tags (RDS has no
//! idempotency token; the identifier is unique, so a retried create is refused and the
//! walk finds the instance by its tags). Waits for `available`, minutes on AWS.
//!
//! Destroy takes a final snapshot (`<identifier>-final-<time>`) unless the manifest says
//! `skip_final_snapshot` (kept in the tag `edgectl:final-snapshot`, as a destroy has only
//! the live instance to go by); deletion protection must be turned off by an apply first.

use std::time::Duration;

use async_trait::async_trait;

use super::lower::{InstanceChanges, InstanceProps};
use super::rds::{Rds, borrowed, pairs, rds_tags};
use crate::aws::conditions::{Condition, Given as _, IAM_PROPAGATION, Means};
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::ids::DATABASE as KIND;
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::{Action, Change, Step, Summary};
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, Value};
use crate::engine::typed::Properties as _;

/// `skip` or `take`: whether a destroy takes a final snapshot.
const SNAPSHOT_TAG: &str = "edgectl:final-snapshot";

/// What RDS answers while it settles what a call needs (the Terraform provider's
/// `internal/service/rds/instance.go`, `resourceInstanceCreate` and `dbInstanceModify`):
/// the enhanced monitoring role made by this run not yet assumable by RDS (2 minutes),
/// and an instance not yet `available` to modify (its own pending change, a backup).
pub const CONDITIONS: &[Condition] = &[
    Condition {
        operation: "CreateDBInstance",
        code: "InvalidParameterValue",
        message: Some("ENHANCED_MONITORING"),
        means: Means::Settling {
            awaiting: "the monitoring role to reach RDS",
            window: IAM_PROPAGATION,
        },
        source: "terraform-provider-aws internal/service/rds/instance.go resourceInstanceCreate",
    },
    Condition {
        operation: "ModifyDBInstance",
        code: "InvalidParameterValue",
        message: Some("ENHANCED_MONITORING"),
        means: Means::Settling {
            awaiting: "the monitoring role to reach RDS",
            window: IAM_PROPAGATION,
        },
        source: "terraform-provider-aws internal/service/rds/instance.go dbInstanceModify",
    },
    Condition {
        operation: "ModifyDBInstance",
        code: "InvalidParameterValue",
        message: Some("IAM role ARN value is invalid or does not include the required permissions"),
        means: Means::Settling {
            awaiting: "the monitoring role to reach RDS",
            window: IAM_PROPAGATION,
        },
        source: "terraform-provider-aws internal/service/rds/instance.go dbInstanceModify (errIAMRolePropagationMessage)",
    },
    Condition {
        operation: "ModifyDBInstance",
        code: "InvalidParameterCombination",
        message: Some("previous storage change is being optimized"),
        means: Means::Settling {
            awaiting: "RDS to finish optimizing the last storage change",
            window: Duration::from_secs(80 * 60),
        },
        source: "terraform-provider-aws internal/service/rds/instance.go dbInstanceModify",
    },
    Condition {
        operation: "ModifyDBInstance",
        code: "InvalidDBInstanceState",
        message: None,
        means: Means::Settling {
            awaiting: "the database to become available",
            window: Duration::from_secs(40 * 60),
        },
        source: "terraform-provider-aws internal/service/rds/instance.go resourceInstanceDelete (\"Try your request later\"); AWS RDS API reference, ModifyDBInstance: InvalidDBInstanceState",
    },
];

pub struct InstanceAdapter;

impl InstanceChanges {
    /// The changes ModifyDBInstance makes.
    fn modifies(&self) -> bool {
        self.engine_version
            || self.class
            || self.storage
            || self.storage_type
            || self.security_groups
            || self.backup_retention_days
            || self.multi_az
            || self.performance_insights
            || self.monitoring_interval
            || self.monitoring_role
            || self.deletion_protection
            || self.parameter_group
    }

    /// Of these, those that wait for the maintenance window unless applied immediately.
    fn in_window(&self) -> Self {
        Self {
            engine_version: self.engine_version,
            class: self.class,
            storage: self.storage,
            storage_type: self.storage_type,
            multi_az: self.multi_az,
            ..Self::default()
        }
    }
}

fn observed(cx: &Cx, found: &aws_sdk_rds::types::DbInstance) -> Result<Option<Observed>, AwsError> {
    let tags = pairs(found.tag_list());
    let Some(id) = tags::owned_id(&cx.stack, borrowed(&tags)) else {
        return Ok(None);
    };
    let status = found.db_instance_status().unwrap_or_default();
    if id.kind() != KIND || status == "deleting" {
        return Ok(None);
    }
    read(id, found, &tags).map(Some)
}

/// An instance as the stack sees it, under `id`, with its tags.
fn read(
    id: crate::engine::model::ResourceId,
    found: &aws_sdk_rds::types::DbInstance,
    tags: &[(String, String)],
) -> Result<Observed, AwsError> {
    let status = found.db_instance_status().unwrap_or_default();
    let identifier = found
        .db_instance_identifier()
        .ok_or_else(|| AwsError::missing("DescribeDBInstances", "DBInstanceIdentifier"))?;
    // A change waiting for the maintenance window is what the instance will be.
    let pending = found.pending_modified_values();
    let class = pending
        .and_then(|p| p.db_instance_class())
        .or(found.db_instance_class());
    let storage = pending
        .and_then(|p| p.allocated_storage())
        .or(found.allocated_storage());
    let storage_type = pending
        .and_then(|p| p.storage_type())
        .or(found.storage_type());
    let version = pending
        .and_then(|p| p.engine_version())
        .or(found.engine_version());
    let multi_az = pending.and_then(|p| p.multi_az()).or(found.multi_az());
    let backups = pending
        .and_then(|p| p.backup_retention_period())
        .or(found.backup_retention_period());
    let missing = |field: &str| AwsError::missing("DescribeDBInstances", field);
    let snapshot = tags
        .iter()
        .find(|(key, _)| key == SNAPSHOT_TAG)
        .map(|(_, value)| value.as_str());
    let props = InstanceProps {
        identifier: identifier.to_string(),
        engine_version: version.ok_or_else(|| missing("EngineVersion"))?.to_string(),
        class: class.ok_or_else(|| missing("DBInstanceClass"))?.to_string(),
        storage: storage.ok_or_else(|| missing("AllocatedStorage"))?.into(),
        storage_type: storage_type
            .ok_or_else(|| missing("StorageType"))?
            .to_string(),
        subnet_group: found
            .db_subnet_group()
            .and_then(|group| group.db_subnet_group_name())
            .map_or(Value::Null, |name| Value::Phys(name.to_string())),
        security_groups: found
            .vpc_security_groups()
            .iter()
            .filter_map(|group| group.vpc_security_group_id())
            .map(|group| Value::Phys(group.to_string()))
            .collect(),
        database: found.db_name().map(str::to_string),
        username: found
            .master_username()
            .ok_or_else(|| missing("MasterUsername"))?
            .to_string(),
        encrypted: found.storage_encrypted().unwrap_or(false),
        kms_key: found
            .kms_key_id()
            .map_or(Value::Null, |key| Value::Phys(key.to_string())),
        backup_retention_days: backups
            .ok_or_else(|| missing("BackupRetentionPeriod"))?
            .into(),
        multi_az: multi_az.unwrap_or(false),
        performance_insights: found.performance_insights_enabled().unwrap_or(false),
        monitoring_interval: found.monitoring_interval().unwrap_or(0).into(),
        monitoring_role: found
            .monitoring_role_arn()
            .map_or(Value::Null, |arn| Value::Phys(arn.to_string())),
        deletion_protection: found.deletion_protection().unwrap_or(false),
        managed_password: found.master_user_secret().is_some(),
        parameter_group: found
            .db_parameter_groups()
            .first()
            .and_then(|group| group.db_parameter_group_name())
            .map_or(Value::Null, |name| Value::Phys(name.to_string())),
        skip_final_snapshot: snapshot == Some("skip"),
        // What the manifest says of how to change it: `normalize` takes the desired's.
        apply_immediately: false,
        allow_replacement: false,
        tags: tags::observed_tag_map(borrowed(tags)),
    };
    let mut resource = Observed::new(id, identifier, props.into_props());
    if let Some(arn) = found.db_instance_arn() {
        resource.extra.insert("arn".into(), arn.to_string());
    }
    resource.extra.insert("status".into(), status.to_string());
    publish_into(&mut resource.attributes, found);
    Ok(resource)
}

/// The attributes other resources refer to: `endpoint` (the host name), `secret` (the
/// master user secret's ARN). The port is PostgreSQL's, 5432: no attribute, so that no
/// plain `5432` elsewhere reads as this database's.
fn publish_into(
    attributes: &mut std::collections::BTreeMap<String, String>,
    found: &aws_sdk_rds::types::DbInstance,
) {
    if let Some(address) = found.endpoint().and_then(|endpoint| endpoint.address()) {
        attributes.insert("endpoint".into(), address.to_string());
    }
    if let Some(arn) = found
        .master_user_secret()
        .and_then(|secret| secret.secret_arn())
    {
        attributes.insert("secret".into(), arn.to_string());
    }
}

/// Whether live version `have` is what `want` asks for: the same major for a major alone
/// (`15`), else the same major at that minor or later (`15.12` is met by 15.13).
fn satisfies(have: &str, want: &str) -> bool {
    let parse = |version: &str| -> Option<(u32, Option<u32>)> {
        let mut parts = version.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().map(str::parse).transpose().ok()?;
        Some((major, minor))
    };
    match (parse(have), parse(want)) {
        (Some((have_major, have_minor)), Some((want_major, want_minor))) => {
            have_major == want_major
                && match (have_minor, want_minor) {
                    (_, None) => true,
                    (Some(have), Some(want)) => have >= want,
                    (None, Some(_)) => false,
                }
        }
        _ => have == want,
    }
}

/// Refuses, before anything is made, a PostgreSQL version RDS does not create (a minor
/// retired since the manifest was written: CreateDBInstance would fail minutes into an
/// apply), naming the versions it does (one DescribeDBEngineVersions).
async fn offered(cx: &Cx, version: &str) -> Result<(), String> {
    let read: Result<Vec<_>, _> = cx
        .clients
        .rds
        .describe_db_engine_versions()
        .engine("postgres")
        .into_paginator()
        .send()
        .try_collect()
        .await
        .aws("DescribeDBEngineVersions");
    let Ok(pages) = read else {
        // Credentials without rds:DescribeDBEngineVersions: CreateDBInstance says it.
        return Ok(());
    };
    let versions: Vec<&str> = pages
        .iter()
        .flat_map(|page| page.db_engine_versions())
        .filter_map(|found| found.engine_version())
        .collect();
    let major = version.split('.').next().unwrap_or_default();
    let exact = versions.contains(&version);
    let any_of_major = !version.contains('.')
        && versions
            .iter()
            .any(|found| found.split('.').next() == Some(major));
    if exact || any_of_major {
        return Ok(());
    }
    let same_major: Vec<&str> = versions
        .iter()
        .copied()
        .filter(|found| found.split('.').next() == Some(major))
        .collect();
    Err(if same_major.is_empty() {
        let mut majors: Vec<&str> = versions
            .iter()
            .filter_map(|found| found.split('.').next())
            .collect();
        majors.dedup();
        format!(
            "RDS does not create PostgreSQL {version}; it offers majors {}: write one as `version:`",
            majors.join(", ")
        )
    } else {
        format!(
            "RDS no longer creates PostgreSQL {version}; it offers {}: write `version: \"{major}\"` (RDS picks the minor and upgrades it) or one of these",
            same_major.join(", ")
        )
    })
}

async fn describe(
    cx: &Cx,
    identifier: &str,
) -> Result<Option<aws_sdk_rds::types::DbInstance>, AwsError> {
    match cx
        .clients
        .rds
        .describe_db_instances()
        .db_instance_identifier(identifier)
        .send()
        .await
        .aws("DescribeDBInstances")
    {
        Ok(found) => Ok(found.db_instances().first().cloned()),
        Err(error) if error.kind == ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

#[async_trait]
impl crate::engine::kind::Kind for InstanceAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    /// What the manifest says about how to change it is not compared.
    fn normalize(&self, desired: &mut Desired, observed: &mut Observed) {
        let (Ok(want), Ok(mut live)) = (
            InstanceProps::from_props(&desired.props),
            InstanceProps::from_props(&observed.props),
        ) else {
            return;
        };
        live.apply_immediately = want.apply_immediately;
        live.allow_replacement = want.allow_replacement;
        // `15` is any 15.x: RDS picks the minor and upgrades it. `15.12` is 15.12 or a
        // later 15.x: automatic minor upgrades (on by default) move the instance past it,
        // and going back is a downgrade RDS refuses.
        if satisfies(&live.engine_version, &want.engine_version) {
            live.engine_version = want.engine_version;
        }
        observed.props = live.into_props();
    }

    /// A change that waits for the maintenance window is said so.
    fn summarize(&self, step: &Step) -> Option<Summary> {
        let desired = InstanceProps::from_props(&step.desired.as_ref()?.props).ok()?;
        if step.action != Action::Update || desired.apply_immediately {
            return None;
        }
        let waiting = InstanceProps::changed(&step.changes).in_window().names();
        if waiting.is_empty() {
            return None;
        }
        let mut lines: Vec<String> = step
            .changes
            .iter()
            .map(|change| format!("{}: {} -> {}", change.field, change.old, change.new))
            .collect();
        lines.push(format!(
            "in the next maintenance window: {} (`apply_immediately: true` applies them now)",
            waiting.join(", ")
        ));
        Some(Summary {
            lines,
            entries: Vec::new(),
        })
    }

    /// A database is replaced only when the manifest says so: a new instance starts empty.
    fn refuse(&self, step: &Step) -> Option<String> {
        let desired = InstanceProps::from_props(&step.desired.as_ref()?.props).ok()?;
        if step.action != Action::Replace || desired.allow_replacement {
            return None;
        }
        let fields: Vec<&str> = step
            .changes
            .iter()
            .filter(|change| change.forces_replacement)
            .map(|change| change.field.as_str())
            .collect();
        Some(format!(
            "a change to {} would replace database `{}` with a new, empty instance: keep the live value, or add `allow_replacement: true` (its final snapshot is taken unless `skip_final_snapshot`)",
            fields.join(", "),
            step.id
        ))
    }

    /// The instances the tagging API lists as the stack's, each described by its
    /// identifier; when it does not hold them all yet, every instance of the region
    /// (`tags::discover`).
    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let rds = &cx.clients.rds;
        let read_all = |pages: Vec<
            aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput,
        >| {
            let mut out = Vec::new();
            for found in pages.iter().flat_map(|page| page.db_instances()) {
                out.extend(observed(cx, found)?);
            }
            Ok::<_, AwsError>(out)
        };
        tags::discover(
            cx,
            KIND,
            ":db:",
            false,
            |found: &Observed| Some(found.id.clone()),
            async |arns| {
                let identifiers = tags::arn_names(&arns, ":db:");
                let reads = identifiers.iter().map(|identifier| async move {
                    crate::aws::errors::present(
                        rds.describe_db_instances()
                            .db_instance_identifier(identifier)
                            .send()
                            .await
                            .aws("DescribeDBInstances"),
                    )
                });
                read_all(
                    futures::future::try_join_all(reads)
                        .await?
                        .into_iter()
                        .flatten()
                        .collect(),
                )
            },
            async || {
                read_all(
                    rds.describe_db_instances()
                        .into_paginator()
                        .send()
                        .try_collect()
                        .await
                        .aws("DescribeDBInstances")?,
                )
            },
        )
        .await
    }

    /// The PostgreSQL instance of the manifest's identifier (or the one pinned); its subnet
    /// and parameter groups are found as what it uses. One whose password RDS does not
    /// keep is moved onto RDS's own secret by the next apply: said, as that changes it.
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = InstanceProps::from_props(&desired.props)?;
        let identifier = pin.unwrap_or(&props.identifier);
        let Some(found) = describe(op.cx, identifier).await? else {
            return Ok(Found::Nothing);
        };
        let what = format!("RDS database `{identifier}`");
        if found.engine() != Some("postgres") {
            return Ok(Found::Refused(format!(
                "{what} runs {}, not PostgreSQL",
                found.engine().unwrap_or("an unknown engine")
            )));
        }
        let part_of = if let Some(source) = found.read_replica_source_db_instance_identifier() {
            Some(format!("a read replica of `{source}`"))
        } else {
            found
                .db_cluster_identifier()
                .map(|cluster| format!("a member of DB cluster `{cluster}`"))
        };
        if let Some(part_of) = part_of {
            return Ok(Found::Refused(format!(
                "{what} is {part_of}, whose settings are not its own: edgectl makes single instances"
            )));
        }
        if !matches!(
            found.db_instance_status(),
            Some(
                "available"
                    | "backing-up"
                    | "modifying"
                    | "configuring-enhanced-monitoring"
                    | "configuring-iam-database-auth"
                    | "configuring-log-exports"
                    | "maintenance"
                    | "upgrading"
                    | "rebooting"
                    | "resetting-master-credentials"
                    | "storage-optimization"
                    | "storage-config-upgrade"
                    | "storage-initialization"
                    | "starting"
                    | "creating"
            )
        ) {
            return Ok(Found::Refused(format!(
                "{what} is `{}`: adopt it once it is available (a stopped one started)",
                found.db_instance_status().unwrap_or_default()
            )));
        }
        let tags = pairs(found.tag_list());
        let observed = read(op.id.clone(), &found, &tags)?;
        let mut adopted =
            crate::aws::adopt::found(op.cx, op.id, what, borrowed(&tags), observed).await?;
        if let Found::Live { note, .. } = &mut adopted
            && found.master_user_secret().is_none()
        {
            let replicas = if found.read_replica_db_instance_identifiers().is_empty() {
                String::new()
            } else {
                " (RDS may refuse it while the instance has read replicas)".to_string()
            };
            let unmanaged = format!(
                "RDS does not keep its master password: the next apply hands it to RDS at once (`ManageMasterUserPassword`){replicas}, which makes a secret of its own with a new password — what connects with the present one (a CDK-made secret) must move to it first (a service: `secrets: {{ NAME: databases.{}:password }}`)",
                op.id.name()
            );
            *note = Some(match note.take() {
                Some(other) => format!("{other}; {unmanaged}"),
                None => unmanaged,
            });
        }
        Ok(adopted)
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        super::rds::adopt(op, desired, found).await
    }

    /// An identifier is the account's: one taken by an instance the stack does not own
    /// is named here, before anything changes.
    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        let props = InstanceProps::from_props(&desired.props).map_err(|e| e.to_string())?;
        offered(cx, &props.engine_version).await?;
        let identifier = props.identifier.as_str();
        let found = describe(cx, identifier)
            .await
            .map_err(|error| format!("cannot check whether the identifier is taken: {error}"))?;
        let Some(found) = found else {
            return Ok(());
        };
        let tags = pairs(found.tag_list());
        match tags::name_taken_adoptable(
            &cx.stack,
            &desired.id,
            &format!("DB instance `{identifier}`"),
            borrowed(&tags),
        ) {
            Some(why) => Err(why),
            None => Ok(()),
        }
    }

    async fn preflight_delete(&self, _cx: &Cx, observed: &Observed) -> Result<(), String> {
        if InstanceProps::from_props(&observed.props)
            .map_err(|e| e.to_string())?
            .deletion_protection
        {
            return Err(
                "its deletion protection is on: apply with `deletion_protection: false` first"
                    .to_string(),
            );
        }
        Ok(())
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        const CREATE: &str = "CreateDBInstance";
        let rds = &op.cx.clients.rds;
        let props = InstanceProps::from_props(&desired.props)?;
        let identifier = props.identifier.as_str();
        let mut pairs = tags::for_create(op, &props.tags);
        pairs.push((
            SNAPSHOT_TAG.to_string(),
            if props.skip_final_snapshot {
                "skip"
            } else {
                "take"
            }
            .to_string(),
        ));
        let groups: Vec<String> = props
            .security_groups
            .iter()
            .map(|group| op.resolve(group))
            .collect::<Result<_, _>>()?;
        rds.create_db_instance()
            .db_instance_identifier(identifier)
            .engine("postgres")
            .engine_version(&props.engine_version)
            .db_instance_class(&props.class)
            .allocated_storage(crate::aws::errors::int32(CREATE, "storage", props.storage)?)
            .storage_type(&props.storage_type)
            .db_subnet_group_name(op.resolve(&props.subnet_group)?)
            .set_vpc_security_group_ids(Some(groups))
            .set_db_name(props.database.clone())
            .master_username(&props.username)
            .manage_master_user_password(true)
            .storage_encrypted(props.encrypted)
            .set_kms_key_id(op.resolve_optional(&props.kms_key)?)
            .backup_retention_period(crate::aws::errors::int32(
                CREATE,
                "backup_retention_days",
                props.backup_retention_days,
            )?)
            .multi_az(props.multi_az)
            .enable_performance_insights(props.performance_insights)
            .monitoring_interval(crate::aws::errors::int32(
                CREATE,
                "monitoring_interval",
                props.monitoring_interval,
            )?)
            .set_monitoring_role_arn(op.resolve_optional(&props.monitoring_role)?)
            .deletion_protection(props.deletion_protection)
            .db_parameter_group_name(op.resolve(&props.parameter_group)?)
            .publicly_accessible(false)
            .copy_tags_to_snapshot(true)
            .set_tags(Some(rds_tags(pairs)))
            .send()
            .await
            .aws(CREATE)
            .given(CONDITIONS)?;
        op.made(identifier);
        let found = wait_available(op, identifier).await?;
        let mut attributes = std::collections::BTreeMap::new();
        publish_into(&mut attributes, &found);
        for (name, value) in &attributes {
            op.publish(name, value);
        }
        Ok(identifier.to_string())
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        const MODIFY: &str = "ModifyDBInstance";
        let rds = &op.cx.clients.rds;
        let identifier = &observed.physical_id;
        let props = InstanceProps::from_props(&desired.props)?;
        let live = InstanceProps::from_props(&observed.props)?;
        let changed = InstanceProps::changed(changes);
        if changed.modifies() {
            let mut request = rds
                .modify_db_instance()
                .db_instance_identifier(identifier)
                .apply_immediately(props.apply_immediately);
            if changed.engine_version {
                let major = |version: &str| version.split('.').next().map(str::to_string);
                request = request
                    .engine_version(&props.engine_version)
                    .allow_major_version_upgrade(
                        major(&props.engine_version) != major(&live.engine_version),
                    );
            }
            if changed.class {
                request = request.db_instance_class(&props.class);
            }
            if changed.storage {
                request = request.allocated_storage(crate::aws::errors::int32(
                    MODIFY,
                    "storage",
                    props.storage,
                )?);
            }
            if changed.storage_type {
                request = request.storage_type(&props.storage_type);
            }
            if changed.security_groups {
                let groups: Vec<String> = props
                    .security_groups
                    .iter()
                    .map(|group| op.resolve(group))
                    .collect::<Result<_, _>>()?;
                request = request.set_vpc_security_group_ids(Some(groups));
            }
            if changed.backup_retention_days {
                request = request.backup_retention_period(crate::aws::errors::int32(
                    MODIFY,
                    "backup_retention_days",
                    props.backup_retention_days,
                )?);
            }
            if changed.multi_az {
                request = request.multi_az(props.multi_az);
            }
            if changed.performance_insights {
                request = request.enable_performance_insights(props.performance_insights);
            }
            if changed.monitoring_interval || changed.monitoring_role {
                request = request
                    .monitoring_interval(crate::aws::errors::int32(
                        MODIFY,
                        "monitoring_interval",
                        props.monitoring_interval,
                    )?)
                    .set_monitoring_role_arn(op.resolve_optional(&props.monitoring_role)?);
            }
            if changed.deletion_protection {
                request = request.deletion_protection(props.deletion_protection);
            }
            if changed.parameter_group {
                request = request.db_parameter_group_name(op.resolve(&props.parameter_group)?);
            }
            request.send().await.aws(MODIFY).given(CONDITIONS)?;
        }
        if changed.managed_password && props.managed_password {
            // An adopted instance's password handed to RDS in a call of its own: RDS applies
            // it at once, whatever ApplyImmediately says (which would also bring forward
            // what waits for the maintenance window). RDS makes the secret, the old
            // password stops working, and what refers to `secret` is given it. Sent only
            // while RDS does not keep it yet (an update taken up again after the call).
            let managed = describe(op.cx, identifier)
                .await?
                .is_some_and(|found| found.master_user_secret().is_some());
            if !managed {
                rds.modify_db_instance()
                    .db_instance_identifier(identifier)
                    .manage_master_user_password(true)
                    .send()
                    .await
                    .aws(MODIFY)
                    .given(CONDITIONS)?;
            }
            let found = crate::engine::retry::poll(
                op.cx.timeout,
                "RDS to make the master password's secret",
                || async {
                    Ok(describe(op.cx, identifier)
                        .await?
                        .filter(|found| found.master_user_secret().is_some()))
                },
            )
            .await?;
            let mut attributes = std::collections::BTreeMap::new();
            publish_into(&mut attributes, &found);
            for (name, value) in &attributes {
                op.publish(name, value);
            }
        }
        let arn = observed.detail("arn")?.to_string();
        if changed.skip_final_snapshot {
            let value = if props.skip_final_snapshot {
                "skip"
            } else {
                "take"
            };
            tags::Tagging::tag(
                &Rds(rds),
                &arn,
                vec![(SNAPSHOT_TAG.to_string(), value.to_string())],
            )
            .await?;
        }
        tags::sync(&Rds(rds), &arn, &live.tags, &props.tags).await
    }

    /// Deletes it with a final snapshot unless it was told to skip one; when something
    /// waits for it to be gone (its subnet group, its parameter group), waits.
    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let rds = &op.cx.clients.rds;
        let identifier = &observed.physical_id;
        let skip = InstanceProps::from_props(&observed.props)?.skip_final_snapshot;
        let mut request = rds
            .delete_db_instance()
            .db_instance_identifier(identifier)
            .skip_final_snapshot(skip);
        if !skip {
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_secs());
            let snapshot = format!("{identifier}-final-{stamp}");
            op.status(&format!("final snapshot `{snapshot}`"));
            request = request.final_db_snapshot_identifier(snapshot);
        }
        match request.send().await.aws("DeleteDBInstance") {
            Ok(_) => {}
            // Being deleted already (a lost answer): the same delete.
            Err(error) if error.code.as_deref() == Some("InvalidDBInstanceState") => {}
            Err(error) => return Err(error),
        }
        if op.wait {
            crate::engine::retry::poll(op.cx.timeout, "the database to be deleted", || async {
                match describe(op.cx, identifier).await? {
                    None => Ok(Some(())),
                    Some(found) => {
                        op.status(found.db_instance_status().unwrap_or("deleting"));
                        Ok(None)
                    }
                }
            })
            .await?;
        }
        Ok(())
    }
}

/// Waits for the instance to be `available`, saying its status as it goes.
/// How many reads in a row must say `available`: right after a create or a change, RDS
/// says it and then goes back to `modifying` or `configuring-enhanced-monitoring` (the
/// Terraform provider's `waitDBInstanceAvailable`, `ContinuousTargetOccurence: 3`).
const SETTLED_READS: usize = 3;

async fn wait_available(
    op: &OpCx<'_>,
    identifier: &str,
) -> Result<aws_sdk_rds::types::DbInstance, AwsError> {
    let in_a_row = std::sync::atomic::AtomicUsize::new(0);
    crate::engine::retry::poll(op.cx.timeout, "the database to be available", || async {
        let Some(found) = describe(op.cx, identifier).await? else {
            in_a_row.store(0, std::sync::atomic::Ordering::Relaxed);
            return Ok(None);
        };
        let status = found.db_instance_status().unwrap_or_default().to_string();
        if status != "available" {
            in_a_row.store(0, std::sync::atomic::Ordering::Relaxed);
        }
        match status.as_str() {
            "available" => {
                let seen = in_a_row.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if seen < SETTLED_READS {
                    op.status("available; making sure it stays so");
                    return Ok(None);
                }
                Ok(Some(found))
            }
            "failed" | "incompatible-parameters" | "incompatible-network" | "storage-full" => {
                Err(AwsError::new(
                    ErrorKind::Other,
                    "DescribeDBInstances",
                    format!("database `{identifier}` is `{status}`"),
                ))
            }
            _ => {
                op.status(&format!("{status} (RDS takes minutes)"));
                Ok(None)
            }
        }
    })
    .await
}

use crate::aws::permissions::{On, Permission};

/// The IAM permissions this kind's calls need (`edgectl policy`); the suite's
/// `policy` test runs each shipped manifest with no more than these.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        actions: &[
            "rds:DescribeDBInstances",
            "rds:DescribeDBEngineVersions",
            "rds:DescribeDBSubnetGroups",
            "rds:DescribeDBParameterGroups",
            "rds:DescribeDBParameters",
            "rds:ListTagsForResource",
            "rds:CreateDBInstance",
            "rds:ModifyDBInstance",
            "rds:CreateDBSubnetGroup",
            "rds:ModifyDBSubnetGroup",
            "rds:CreateDBParameterGroup",
            "rds:ModifyDBParameterGroup",
            "rds:ResetDBParameterGroup",
            "rds:AddTagsToResource",
            "rds:RemoveTagsFromResource",
            "ec2:DescribeVpcs",
            "ec2:DescribeSubnets",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeAvailabilityZones",
        ],
        on: On::Any,
    },
    Permission {
        actions: &[
            "rds:DeleteDBInstance",
            "rds:DeleteDBSubnetGroup",
            "rds:DeleteDBParameterGroup",
        ],
        on: On::Owned,
    },
    // A managed master password: RDS makes and removes its secret (`rds!…`) with the
    // caller's rights.
    Permission {
        actions: &[
            "secretsmanager:CreateSecret",
            "secretsmanager:TagResource",
            "secretsmanager:RotateSecret",
            "secretsmanager:DeleteSecret",
            "secretsmanager:DescribeSecret",
        ],
        on: On::Stack("arn:{partition}:secretsmanager:{region}:*:secret:rds!*"),
    },
    Permission {
        actions: &["iam:CreateServiceLinkedRole"],
        on: On::ServiceLinked("rds.amazonaws.com"),
    },
    // A database encrypted with the stack's key: RDS holds a grant on it.
    Permission {
        actions: &["kms:CreateGrant", "kms:DescribeKey"],
        on: On::Owned,
    },
    // A deleted database's final snapshot, made by DeleteDBInstance (untagged until then).
    Permission {
        actions: &[
            "rds:DeleteDBInstance",
            "rds:CreateDBSnapshot",
            "rds:AddTagsToResource",
        ],
        on: On::Stack("arn:{partition}:rds:{region}:*:snapshot:*"),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_later_minor_satisfies_a_pinned_one() {
        assert!(satisfies("15.13", "15"));
        assert!(satisfies("15.13", "15.12"));
        assert!(satisfies("15.12", "15.12"));
        assert!(satisfies("15.10", "15.4"));
        assert!(!satisfies("15.4", "15.10"));
        assert!(!satisfies("16.1", "15.12"));
        assert!(!satisfies("16.1", "15"));
    }
}
