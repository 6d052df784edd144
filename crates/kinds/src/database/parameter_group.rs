//! DB parameter groups (`db_parameter_group.<database>`): the family (`postgres15`, from
//! the engine's major version; a new family is a new group) and the parameters the
//! manifest sets. Parameters change in place, `pending-reboot`: static ones (such as
//! `shared_preload_libraries`) take effect only when the instance restarts, and RDS marks
//! the instance `pending-reboot` until then. Parameters the manifest drops are reset to
//! the engine's defaults. The physical id is the group's name.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_rds::types::{ApplyMethod, DbParameterGroup, Parameter};

use super::lower::ParameterGroupProps;
use super::rds::{Rds, borrowed, owned, rds_tags};
use crate::aws::errors::{AwsError, AwsResultExt};
use crate::aws::ids::DB_PARAMETER_GROUP as KIND;
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::Change;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::Properties as _;

/// ModifyDBParameterGroup takes at most this many parameters a call.
const PER_CALL: usize = 20;

pub struct ParameterGroupAdapter;

fn parameter(name: &str, value: Option<&str>) -> Parameter {
    Parameter::builder()
        .parameter_name(name)
        .set_parameter_value(value.map(str::to_string))
        .apply_method(ApplyMethod::PendingReboot)
        .build()
}

/// Sets `parameters` (name → value) in batches RDS takes.
async fn set(
    op: &OpCx<'_>,
    name: &str,
    parameters: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let all: Vec<Parameter> = parameters
        .iter()
        .map(|(key, value)| parameter(key, Some(value)))
        .collect();
    for batch in all.chunks(PER_CALL) {
        op.cx
            .clients
            .rds
            .modify_db_parameter_group()
            .db_parameter_group_name(name)
            .set_parameters(Some(batch.to_vec()))
            .send()
            .await
            .aws("ModifyDBParameterGroup")?;
    }
    Ok(())
}

/// The stack's among `groups` (RDS's own, `default.`, left out), each with its tags and
/// user-set parameters.
async fn observed(
    cx: &Cx,
    groups: impl Iterator<Item = &DbParameterGroup>,
) -> Result<Vec<Observed>, AwsError> {
    let groups = groups.filter(|group| {
        !group
            .db_parameter_group_name()
            .unwrap_or_default()
            .starts_with("default.")
    });
    let reads = groups.map(|group| async move {
        let Some(arn) = group.db_parameter_group_arn() else {
            return Ok(None);
        };
        let Some((id, pairs)) = owned(cx, arn, KIND).await? else {
            return Ok(None);
        };
        read(cx, id, group, arn, &pairs).await.map(Some)
    });
    Ok(futures::future::try_join_all(reads)
        .await?
        .into_iter()
        .flatten()
        .collect())
}

#[async_trait]
impl crate::engine::kind::Kind for ParameterGroupAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    /// The groups the tagging API lists as the stack's, each read by its name; when it
    /// does not hold them all yet, every group of the region (`tags::discover`). Tags and
    /// user-set parameters read for the groups that are not AWS's own (`default.`).
    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let rds = &cx.clients.rds;
        tags::discover(
            cx,
            KIND,
            ":pg:",
            false,
            |found: &Observed| Some(found.id.clone()),
            async |arns| {
                let names = tags::arn_names(&arns, ":pg:");
                let reads = names.iter().map(|name| async move {
                    crate::aws::errors::present(
                        rds.describe_db_parameter_groups()
                            .db_parameter_group_name(name)
                            .send()
                            .await
                            .aws("DescribeDBParameterGroups"),
                    )
                });
                let pages: Vec<_> = futures::future::try_join_all(reads)
                    .await?
                    .into_iter()
                    .flatten()
                    .collect();
                observed(cx, pages.iter().flat_map(|page| page.db_parameter_groups())).await
            },
            async || {
                let pages: Vec<_> = rds
                    .describe_db_parameter_groups()
                    .into_paginator()
                    .send()
                    .try_collect()
                    .await
                    .aws("DescribeDBParameterGroups")?;
                observed(cx, pages.iter().flat_map(|page| page.db_parameter_groups())).await
            },
        )
        .await
    }

    /// The group of the manifest's name, or the one the database found uses (its name
    /// kept); never one of RDS's own (`default.`), which the next apply moves it off.
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = ParameterGroupProps::from_props(&desired.props)?;
        let name = match pin {
            Some(pin) => pin,
            None => super::lower::group_name(&props.name)?,
        };
        if name.starts_with("default.") {
            return Ok(Found::Nothing);
        }
        let Some(listed) = crate::aws::errors::present(
            op.cx
                .clients
                .rds
                .describe_db_parameter_groups()
                .db_parameter_group_name(name)
                .send()
                .await
                .aws("DescribeDBParameterGroups"),
        )?
        else {
            return Ok(Found::Nothing);
        };
        let Some(group) = listed.db_parameter_groups().first() else {
            return Ok(Found::Nothing);
        };
        let arn = group
            .db_parameter_group_arn()
            .ok_or_else(|| AwsError::missing("DescribeDBParameterGroups", "DBParameterGroupArn"))?;
        let pairs = super::rds::tags_of(op.cx, arn).await?;
        let observed = read(op.cx, op.id.clone(), group, arn, &pairs).await?;
        let what = format!("DB parameter group `{name}`");
        crate::aws::adopt::found(op.cx, op.id, what, borrowed(&pairs), observed).await
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        super::rds::adopt(op, desired, found).await
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let props = ParameterGroupProps::from_props(&desired.props)?;
        let name = super::lower::group_name(&props.name)?;
        op.cx
            .clients
            .rds
            .create_db_parameter_group()
            .db_parameter_group_name(name)
            .db_parameter_group_family(&props.family)
            .description(format!("edgectl stack {}", op.cx.stack))
            .set_tags(Some(rds_tags(tags::for_create(op, &props.tags))))
            .send()
            .await
            .aws("CreateDBParameterGroup")?;
        op.made(name);
        set(op, name, &props.parameters).await?;
        Ok(name.to_string())
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        let rds = &op.cx.clients.rds;
        let name = &observed.physical_id;
        let props = ParameterGroupProps::from_props(&desired.props)?;
        let live = ParameterGroupProps::from_props(&observed.props)?;
        if ParameterGroupProps::changed(changes).parameters {
            let (want, have) = (&props.parameters, &live.parameters);
            let changed: BTreeMap<String, String> = want
                .iter()
                .filter(|(key, value)| have.get(*key) != Some(value))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect();
            set(op, name, &changed).await?;
            let dropped: Vec<Parameter> = have
                .keys()
                .filter(|key| !want.contains_key(*key))
                .map(|key| parameter(key, None))
                .collect();
            for batch in dropped.chunks(PER_CALL) {
                rds.reset_db_parameter_group()
                    .db_parameter_group_name(name)
                    .set_parameters(Some(batch.to_vec()))
                    .send()
                    .await
                    .aws("ResetDBParameterGroup")?;
            }
        }
        let arn = observed.detail("arn")?.to_string();
        tags::sync(&Rds(rds), &arn, &live.tags, &props.tags).await
    }

    /// RDS refuses a group an instance being deleted still uses: a dependency
    /// (`errors.rs`) the walk waits out.
    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        op.cx
            .clients
            .rds
            .delete_db_parameter_group()
            .db_parameter_group_name(&observed.physical_id)
            .send()
            .await
            .aws("DeleteDBParameterGroup")
            .map(drop)
    }
}

/// A parameter group as the stack sees it, under `id`: the parameters a user set.
async fn read(
    cx: &Cx,
    id: ResourceId,
    group: &DbParameterGroup,
    arn: &str,
    pairs: &[(String, String)],
) -> Result<Observed, AwsError> {
    let name = group
        .db_parameter_group_name()
        .ok_or_else(|| AwsError::missing("DescribeDBParameterGroups", "DBParameterGroupName"))?;
    let pages: Vec<_> = cx
        .clients
        .rds
        .describe_db_parameters()
        .db_parameter_group_name(name)
        .source("user")
        .into_paginator()
        .send()
        .try_collect()
        .await
        .aws("DescribeDBParameters")?;
    let parameters = pages
        .iter()
        .flat_map(|page| page.parameters())
        .filter(|found| found.source().is_none_or(|source| source == "user"))
        .filter_map(|found| {
            Some((
                found.parameter_name()?.to_string(),
                found.parameter_value()?.to_string(),
            ))
        })
        .collect();
    let props = ParameterGroupProps {
        name: Value::str(name),
        family: group
            .db_parameter_group_family()
            .ok_or_else(|| {
                AwsError::missing("DescribeDBParameterGroups", "DBParameterGroupFamily")
            })?
            .to_string(),
        parameters,
        tags: tags::observed_tag_map(borrowed(pairs)),
    };
    let mut resource = Observed::new(id, name, props.into_props());
    resource.extra.insert("arn".into(), arn.to_string());
    Ok(resource)
}
