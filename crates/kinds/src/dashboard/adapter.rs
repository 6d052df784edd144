//! CloudWatch dashboards on AWS. PutDashboard creates and updates alike: it overwrites a
//! dashboard of the name whoever made it, and takes tags only when it creates ("You can
//! use this parameter only when creating a new dashboard", API_PutDashboard). So a create
//! asks for the name first and refuses a dashboard the stack does not own; the tags ride
//! on the create call; a repeated call (a lost response) writes the same body again.
//!
//! Dashboards are global (their ARN has no region): they are found by the stack's tagging
//! query in its region and, for a stack elsewhere, in us-east-1, where the tagging API
//! lists global resources; then read with one GetDashboard each. The physical id is the
//! ARN.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_cloudwatch::operation::get_dashboard::GetDashboardOutput;
use aws_sdk_cloudwatch::types::Tag;
use futures::future::try_join_all;

use super::KIND;
use super::lower::DashboardProps;
use crate::aws::errors::{AwsError, AwsResultExt as _, ErrorKind};
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::{Change, Replacement};
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::{Prop as _, Properties as _};

pub struct DashboardAdapter;

crate::aws::tagging_by_arn!(struct CloudWatch(aws_sdk_cloudwatch::Client), |pairs: Vec<(String, String)>| {
    Ok::<_, AwsError>(pairs.into_iter().map(|(key, value)| Tag::builder().key(key).value(value).build()).collect::<Vec<_>>())
});

/// A dashboard as the stack sees it, under `id`, from its GetDashboard and its tags.
fn read(
    id: ResourceId,
    name: &str,
    arn: &str,
    answer: &GetDashboardOutput,
    pairs: &[(String, String)],
) -> Result<Observed, AwsError> {
    let body = answer
        .dashboard_body()
        .ok_or_else(|| AwsError::missing("GetDashboard", "DashboardBody"))?;
    let borrowed = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let props = DashboardProps {
        name: name.to_string(),
        widgets: widgets(body)?,
        tags: BTreeMap::from_value(&tags::observed_tags(borrowed))
            .ok_or_else(|| AwsError::missing("GetResources", "Tags"))?,
    };
    Ok(Observed::new(id, arn, props.into_props()))
}

#[async_trait]
impl crate::engine::kind::Kind for DashboardAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    /// A new name is a new dashboard: made before the old one goes.
    fn replacement(&self) -> Replacement {
        Replacement::CreateThenDelete
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let mut found: BTreeMap<String, tags::Tagged> = BTreeMap::new();
        let mut listed = tags::tagged(cx, KIND).await?;
        if cx.region != "us-east-1" {
            listed.extend(tags::tagged_global(cx, KIND).await?);
        }
        for entry in listed {
            found.insert(entry.1.clone(), entry);
        }
        let reads = found.into_values().map(|(id, arn, pairs)| async move {
            let name = name_of(&arn);
            let answer = cx
                .clients
                .cloudwatch
                .get_dashboard()
                .dashboard_name(name)
                .send()
                .await
                .aws("GetDashboard");
            // Listed by the tagging API a moment after its deletion: gone.
            let answer = match answer {
                Err(error) if error.kind == ErrorKind::NotFound => return Ok(None),
                other => other?,
            };
            read(id, name, &arn, &answer, &pairs).map(Some)
        });
        Ok(try_join_all(reads).await?.into_iter().flatten().collect())
    }

    /// The dashboard of the manifest's name (a pin is its name too).
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = DashboardProps::from_props(&desired.props)?;
        let name = pin.unwrap_or(&props.name);
        let cloudwatch = &op.cx.clients.cloudwatch;
        let answer = match cloudwatch
            .get_dashboard()
            .dashboard_name(name)
            .send()
            .await
            .aws("GetDashboard")
        {
            Err(error) if error.kind == ErrorKind::NotFound => return Ok(Found::Nothing),
            other => other?,
        };
        let arn = answer
            .dashboard_arn()
            .ok_or_else(|| AwsError::missing("GetDashboard", "DashboardArn"))?
            .to_string();
        let pairs: Vec<(String, String)> = cloudwatch
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .aws("ListTagsForResource")?
            .tags()
            .iter()
            .map(|tag| {
                (
                    tag.key().unwrap_or_default().to_string(),
                    tag.value().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let observed = read(op.id.clone(), name, &arn, &answer, &pairs)?;
        let borrowed = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let what = format!("CloudWatch dashboard `{name}`");
        crate::aws::adopt::found(op.cx, op.id, what, borrowed, observed).await
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        tags::adopt(
            &CloudWatch(&op.cx.clients.cloudwatch),
            &found.physical_id,
            op,
            desired,
        )
        .await
    }

    /// PutDashboard would overwrite a dashboard of the name: one someone else made is named
    /// here, before anything changes.
    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        let props = DashboardProps::from_props(&desired.props).map_err(|e| e.to_string())?;
        let check = |error: AwsError| format!("cannot check whether the name is taken: {error}");
        let cloudwatch = &cx.clients.cloudwatch;
        let found = cloudwatch
            .get_dashboard()
            .dashboard_name(&props.name)
            .send()
            .await
            .aws("GetDashboard");
        let arn = match found {
            Err(error) if error.kind == ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(check(error)),
            Ok(found) => found
                .dashboard_arn()
                .ok_or_else(|| check(AwsError::missing("GetDashboard", "DashboardArn")))?
                .to_string(),
        };
        let listed = cloudwatch
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .aws("ListTagsForResource")
            .map_err(check)?;
        let pairs = listed.tags().iter().map(|tag| {
            (
                tag.key().unwrap_or_default(),
                tag.value().unwrap_or_default(),
            )
        });
        match tags::name_taken_adoptable(
            &cx.stack,
            &desired.id,
            &format!("CloudWatch dashboard `{}`", props.name),
            pairs,
        ) {
            Some(why) => Err(why),
            None => Ok(()),
        }
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let props = DashboardProps::from_props(&desired.props)?;
        let account = crate::aws::account(op.cx).await?;
        let tags = tags::create_tags(&op.cx.stack, op.id, &props.tags)
            .into_iter()
            .map(|(key, value)| Tag::builder().key(key).value(value).build())
            .collect();
        op.cx
            .clients
            .cloudwatch
            .put_dashboard()
            .dashboard_name(&props.name)
            .dashboard_body(body(op, &props, &account)?)
            .set_tags(Some(tags))
            .send()
            .await
            .aws("PutDashboard")?;
        Ok(arn(&op.cx.region, &account, &props.name))
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        let props = DashboardProps::from_props(&desired.props)?;
        let live = DashboardProps::from_props(&observed.props)?;
        let cloudwatch = &op.cx.clients.cloudwatch;
        if DashboardProps::changed(changes).widgets {
            let account = crate::aws::account(op.cx).await?;
            cloudwatch
                .put_dashboard()
                .dashboard_name(&props.name)
                .dashboard_body(body(op, &props, &account)?)
                .send()
                .await
                .aws("PutDashboard")?;
        }
        tags::sync(
            &CloudWatch(cloudwatch),
            &observed.physical_id,
            &live.tags,
            &props.tags,
        )
        .await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let deleted = op
            .cx
            .clients
            .cloudwatch
            .delete_dashboards()
            .dashboard_names(name_of(&observed.physical_id))
            .send()
            .await
            .aws("DeleteDashboards");
        match deleted {
            Err(error) if error.kind == ErrorKind::NotFound => Ok(()),
            other => other.map(drop),
        }
    }
}

/// The dashboard's name in its ARN (`arn:aws:cloudwatch::<account>:dashboard/<name>`).
fn name_of(arn: &str) -> &str {
    arn.split_once(":dashboard/").map_or(arn, |(_, name)| name)
}

fn arn(region: &str, account: &str, name: &str) -> String {
    format!(
        "arn:{}:cloudwatch::{account}:dashboard/{name}",
        crate::aws::iam::partition(region)
    )
}

fn alarm_arn(region: &str, account: &str, name: &str) -> String {
    format!(
        "arn:{}:cloudwatch:{region}:{account}:alarm:{name}",
        crate::aws::iam::partition(region)
    )
}

/// The dashboard body: `{"widgets": [...]}`, each alarm a widget names by reference as
/// its ARN.
fn body(op: &OpCx<'_>, props: &DashboardProps, account: &str) -> Result<String, AwsError> {
    let alarm = |value: &Value| {
        let name = op.resolve(value)?;
        Ok(alarm_arn(&op.cx.region, account, &name))
    };
    let widgets = props
        .widgets
        .iter()
        .map(|widget| json(widget, &alarm))
        .collect::<Result<Vec<_>, AwsError>>()?;
    Ok(serde_json::json!({ "widgets": widgets }).to_string())
}

fn json(
    value: &Value,
    alarm: &dyn Fn(&Value) -> Result<String, AwsError>,
) -> Result<serde_json::Value, AwsError> {
    use serde_json::Value as Json;
    Ok(match value {
        Value::Null => Json::Null,
        Value::Bool(flag) => Json::Bool(*flag),
        Value::Int(number) => Json::from(*number),
        Value::Str(text) => Json::String(text.clone()),
        // Only an alarm widget names another resource.
        Value::Ref(_) | Value::Phys(_) => Json::String(alarm(value)?),
        Value::List(items) => Json::Array(
            items
                .iter()
                .map(|item| json(item, alarm))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(map) => Json::Object(
            map.iter()
                .map(|(key, item)| Ok((key.clone(), json(item, alarm)?)))
                .collect::<Result<_, AwsError>>()?,
        ),
        other => {
            return Err(AwsError::new(
                ErrorKind::Other,
                "PutDashboard",
                format!("a widget holds {other}, which has no value yet"),
            ));
        }
    })
}

/// The widgets of a dashboard body as read, each alarm a widget names as the alarm's name
/// (its physical id).
fn widgets(body: &str) -> Result<Vec<Value>, AwsError> {
    let parsed: serde_json::Value = serde_json::from_str(body).map_err(|error| {
        AwsError::new(
            ErrorKind::Other,
            "GetDashboard",
            format!("the dashboard body is not JSON: {error}"),
        )
    })?;
    let widgets = parsed
        .get("widgets")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| AwsError::missing("GetDashboard", "widgets"))?;
    Ok(widgets
        .iter()
        .map(|widget| {
            let mut value = from_json(widget);
            if let Value::Map(map) = &mut value
                && map.get("type") == Some(&Value::str("alarm"))
                && let Some(Value::Map(properties)) = map.get_mut("properties")
                && let Some(Value::List(alarms)) = properties.get_mut("alarms")
            {
                for alarm in alarms.iter_mut() {
                    if let Value::Str(arn) = alarm {
                        let name = arn.rsplit_once(":alarm:").map_or(arn.as_str(), |(_, n)| n);
                        *alarm = Value::Phys(name.to_string());
                    }
                }
            }
            value
        })
        .collect())
}

fn from_json(json: &serde_json::Value) -> Value {
    use serde_json::Value as Json;
    match json {
        Json::Null => Value::Null,
        Json::Bool(flag) => Value::Bool(*flag),
        Json::Number(number) => number
            .as_i64()
            .map_or_else(|| Value::Str(number.to_string()), Value::Int),
        Json::String(text) => Value::Str(text.clone()),
        Json::Array(items) => Value::List(items.iter().map(from_json).collect()),
        Json::Object(map) => Value::Map(
            map.iter()
                .map(|(key, item)| (key.clone(), from_json(item)))
                .collect(),
        ),
    }
}

use crate::aws::permissions::{On, Permission};

/// The IAM permissions this kind's calls need (`edgectl policy`); the suite's
/// `policy` test runs each shipped manifest with no more than these.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        actions: &[
            "cloudwatch:GetDashboard",
            "cloudwatch:ListDashboards",
            "cloudwatch:PutDashboard",
            "cloudwatch:ListTagsForResource",
        ],
        on: On::Any,
    },
    // Tags only on the manifest's dashboards (CloudWatch's are global: no region).
    Permission {
        actions: &["cloudwatch:TagResource", "cloudwatch:UntagResource"],
        on: On::Named {
            kind: "dashboard",
            arn: "arn:{partition}:cloudwatch::*:dashboard/{name}",
        },
    },
    Permission {
        actions: &["cloudwatch:DeleteDashboards"],
        on: On::Owned,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_reads_back_with_alarms_by_name() {
        let body = r#"{"widgets":[{"type":"alarm","x":0,"y":0,"width":24,"height":3,
            "properties":{"title":"Alarms","alarms":["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:api-cpu"]}},
            {"type":"metric","x":0,"y":3,"width":12,"height":6,"properties":{"period":300,"stacked":false}}]}"#;
        let read = widgets(body).unwrap();
        assert_eq!(
            read[0].as_map().unwrap()["properties"].as_map().unwrap()["alarms"],
            Value::List(vec![Value::Phys("api-cpu".into())])
        );
        assert_eq!(
            read[1].as_map().unwrap()["properties"],
            Value::map([("period", Value::Int(300)), ("stacked", Value::Bool(false))])
        );
        assert_eq!(
            name_of("arn:aws:cloudwatch::123456789012:dashboard/HappyRobot-FDE-dev"),
            "HappyRobot-FDE-dev"
        );
    }
}
