//! CloudWatch metric alarms (`alarm.<name>`): one metric's statistic, or metric math over
//! several, against a threshold, notifying SNS topics.
//!
//! PutMetricAlarm creates and updates alike: it overwrites an alarm of the same name
//! whoever made it, and takes tags only when it creates. So a create first asks for the
//! name (`preflight_create`) and refuses an alarm the stack does not own; the tags ride
//! on the create call; a repeated call (a lost response) writes the same alarm again.
//! The physical id is the alarm's name. Alarms are found by the Resource Groups Tagging
//! API's one query (`tags::tagged`), then read in one DescribeAlarms per hundred.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric, MetricAlarm, MetricDataQuery, MetricStat, Statistic, Tag,
};
use futures::future::try_join_all;

use super::errors::{AwsError, AwsResultExt, ErrorKind};
use super::{Cx, OpCx, tags};
use crate::engine::diff::{Change, Replacement};
use crate::engine::model::{Desired, Mode, Observed, ResourceId, Value, props};

pub const ALARM: &str = "alarm";
/// DescribeAlarms takes at most this many names.
const NAMES_PER_CALL: usize = 100;

pub fn alarm_id(name: &str) -> ResourceId {
    ResourceId::new(ALARM, name)
}

fn cloudwatch_tags(pairs: Vec<(String, String)>) -> Result<Vec<Tag>, AwsError> {
    Ok(pairs
        .into_iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect())
}

tags::tagging_by_arn!(aws_sdk_cloudwatch::Client, cloudwatch_tags);

/// The alarm's name in its ARN (`arn:aws:cloudwatch:<region>:<account>:alarm:<name>`).
fn name_of(arn: &str) -> &str {
    arn.splitn(7, ':').nth(6).unwrap_or(arn)
}

pub struct AlarmAdapter;

#[async_trait]
impl crate::engine::kind::Kind for AlarmAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[ALARM]
    }

    /// A new name is a new alarm: make it before the old one goes, so that nothing is
    /// unwatched in between.
    fn replacement(&self) -> Replacement {
        Replacement::CreateThenDelete
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let tagged = tags::tagged(cx, ALARM).await?;
        if tagged.is_empty() {
            return Ok(Vec::new());
        }
        let by_name: BTreeMap<&str, &tags::Tagged> = tagged
            .iter()
            .map(|entry| (name_of(&entry.1), entry))
            .collect();
        let names: Vec<&str> = by_name.keys().copied().collect();
        let reads = names.chunks(NAMES_PER_CALL).map(|chunk| async move {
            let found = cx
                .clients
                .cloudwatch
                .describe_alarms()
                .set_alarm_names(Some(chunk.iter().map(|name| name.to_string()).collect()))
                .max_records(NAMES_PER_CALL as i32)
                .send()
                .await
                .aws("DescribeAlarms")?;
            Ok::<_, AwsError>(found.metric_alarms().to_vec())
        });
        let mut out = Vec::new();
        // Listed by the tagging API a moment after its deletion: not in DescribeAlarms, gone.
        for alarm in try_join_all(reads).await?.into_iter().flatten() {
            let Some((id, arn, pairs)) = alarm.alarm_name().and_then(|name| by_name.get(name))
            else {
                continue;
            };
            let mut resource = observed(id.clone(), &alarm, pairs);
            resource.extra.insert("arn".into(), arn.clone());
            out.push(resource);
        }
        Ok(out)
    }

    /// PutMetricAlarm would overwrite an alarm of the name: one someone else made is
    /// named here, before anything changes.
    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        let name = desired.value("name").as_str().unwrap_or_default();
        let check = |error: AwsError| format!("cannot check whether the name is taken: {error}");
        let cloudwatch = &cx.clients.cloudwatch;
        let found = cloudwatch
            .describe_alarms()
            .alarm_names(name)
            .send()
            .await
            .aws("DescribeAlarms")
            .map_err(check)?;
        let Some(arn) = found
            .metric_alarms()
            .iter()
            .find_map(|alarm| alarm.alarm_arn())
            .or_else(|| {
                found
                    .composite_alarms()
                    .iter()
                    .find_map(|alarm| alarm.alarm_arn())
            })
        else {
            return Ok(());
        };
        let listed = cloudwatch
            .list_tags_for_resource()
            .resource_arn(arn)
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
        let what = format!("CloudWatch alarm `{name}`");
        tags::name_taken(&cx.stack, &desired.id, &what, pairs).map_or(Ok(()), Err)
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        put(
            op,
            desired,
            Some(cloudwatch_tags(crate::tags::for_create(op, desired))?),
        )
        .await?;
        Ok(desired
            .value("name")
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        // The whole alarm is written again: PutMetricAlarm has no partial update.
        if changes.iter().any(|change| change.field != "tags") {
            put(op, desired, None).await?;
        }
        let arn = observed
            .extra
            .get("arn")
            .ok_or_else(|| AwsError::missing("DescribeAlarms", "AlarmArn"))?;
        tags::sync(
            &op.cx.clients.cloudwatch,
            arn,
            observed.value("tags"),
            desired.value("tags"),
        )
        .await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        match op
            .cx
            .clients
            .cloudwatch
            .delete_alarms()
            .alarm_names(&observed.physical_id)
            .send()
            .await
            .aws("DeleteAlarms")
        {
            // Gone already (a repeated call): done.
            Err(error) if error.kind == ErrorKind::NotFound => Ok(()),
            other => other.map(drop),
        }
    }
}

/// PutMetricAlarm with everything the alarm is (and its tags, when it creates).
async fn put(op: &OpCx<'_>, desired: &Desired, tags: Option<Vec<Tag>>) -> Result<(), AwsError> {
    let topics = |field: &str| -> Result<Vec<String>, AwsError> {
        desired
            .value(field)
            .items()
            .map(|topic| op.resolve(topic))
            .collect()
    };
    let threshold = desired
        .value("threshold")
        .as_str()
        .and_then(|text| text.parse::<f64>().ok())
        .ok_or_else(|| AwsError::new(ErrorKind::Other, "PutMetricAlarm", "no threshold"))?;
    let int = |field: &str| match desired.value(field) {
        Value::Int(value) => i32::try_from(*value).ok(),
        _ => None,
    };
    let mut call = op
        .cx
        .clients
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(desired.value("name").as_str().unwrap_or_default())
        .set_alarm_description(desired.value("description").as_str().map(str::to_string))
        .actions_enabled(true)
        .set_alarm_actions(Some(topics("notify")?))
        .set_ok_actions(Some(topics("notify_ok")?))
        .threshold(threshold)
        .comparison_operator(ComparisonOperator::from(
            desired.value("comparison").as_str().unwrap_or_default(),
        ))
        .set_evaluation_periods(int("evaluation_periods"))
        .set_datapoints_to_alarm(int("datapoints_to_alarm"))
        .treat_missing_data(desired.value("missing_data").as_str().unwrap_or("missing"))
        .set_tags(tags);
    let metric = desired.value("metric");
    let field = |name: &str| metric.as_map().and_then(|map| map.get(name));
    let period = field("period").and_then(|value| match value {
        Value::Int(seconds) => i32::try_from(*seconds).ok(),
        _ => None,
    });
    match field("expression").and_then(Value::as_str) {
        Some(expression) => {
            let mut queries = vec![
                MetricDataQuery::builder()
                    .id("result")
                    .expression(expression)
                    .set_label(field("label").and_then(Value::as_str).map(str::to_string))
                    .return_data(true)
                    .build(),
            ];
            if let Some(metrics) = field("metrics").and_then(Value::as_map) {
                for (id, one) in metrics {
                    let (namespace, name, statistic, dimensions) = parts(one);
                    queries.push(
                        MetricDataQuery::builder()
                            .id(id)
                            .metric_stat(
                                MetricStat::builder()
                                    .metric(
                                        Metric::builder()
                                            .namespace(namespace)
                                            .metric_name(name)
                                            .set_dimensions(Some(dimensions))
                                            .build(),
                                    )
                                    .set_period(period)
                                    .stat(statistic)
                                    .build(),
                            )
                            .return_data(false)
                            .build(),
                    );
                }
            }
            call = call.set_metrics(Some(queries));
        }
        None => {
            let (namespace, name, statistic, dimensions) = parts(metric);
            call = call
                .namespace(namespace)
                .metric_name(name)
                .set_dimensions(Some(dimensions))
                .set_period(period);
            call = if crate::known::percentile(&statistic) {
                call.extended_statistic(statistic)
            } else {
                call.statistic(Statistic::from(statistic.as_str()))
            };
        }
    }
    call.send().await.aws("PutMetricAlarm")?;
    Ok(())
}

/// A metric's namespace, name, statistic and dimensions from its desired map.
fn parts(metric: &Value) -> (String, String, String, Vec<Dimension>) {
    let map = metric.as_map();
    let text = |name: &str| {
        map.and_then(|map| map.get(name))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let dimensions = map
        .and_then(|map| map.get("dimensions"))
        .and_then(Value::as_map)
        .map(|dimensions| {
            dimensions
                .iter()
                .map(|(name, value)| {
                    Dimension::builder()
                        .name(name)
                        .value(value.as_str().unwrap_or_default())
                        .build()
                })
                .collect()
        })
        .unwrap_or_default();
    (
        text("namespace"),
        text("metric"),
        text("statistic"),
        dimensions,
    )
}

fn dimensions(dimensions: &[Dimension]) -> Value {
    Value::Map(
        dimensions
            .iter()
            .map(|dimension| {
                (
                    dimension.name().unwrap_or_default().to_string(),
                    Value::str(dimension.value().unwrap_or_default()),
                )
            })
            .collect(),
    )
}

fn stat_value(metric: Option<&Metric>, statistic: &str) -> Value {
    Value::map([
        (
            "namespace",
            Value::str(metric.and_then(Metric::namespace).unwrap_or_default()),
        ),
        (
            "metric",
            Value::str(metric.and_then(Metric::metric_name).unwrap_or_default()),
        ),
        ("statistic", Value::str(statistic)),
        (
            "dimensions",
            dimensions(metric.map(Metric::dimensions).unwrap_or_default()),
        ),
    ])
}

/// A live alarm as the desired side writes it.
fn observed(id: ResourceId, alarm: &MetricAlarm, pairs: &[(String, String)]) -> Observed {
    let metric = match alarm
        .metrics()
        .iter()
        .find(|query| query.expression().is_some())
    {
        Some(result) => {
            let stats: Vec<&MetricDataQuery> = alarm
                .metrics()
                .iter()
                .filter(|query| query.metric_stat().is_some())
                .collect();
            let period = stats
                .iter()
                .find_map(|query| query.metric_stat().and_then(MetricStat::period));
            Value::map([
                (
                    "expression",
                    Value::str(result.expression().unwrap_or_default()),
                ),
                ("label", result.label().map_or(Value::Null, Value::str)),
                (
                    "period",
                    period.map_or(Value::Null, |p| Value::Int(p.into())),
                ),
                (
                    "metrics",
                    Value::Map(
                        stats
                            .iter()
                            .filter_map(|query| {
                                let stat = query.metric_stat()?;
                                Some((
                                    query.id().unwrap_or_default().to_string(),
                                    stat_value(stat.metric(), stat.stat().unwrap_or_default()),
                                ))
                            })
                            .collect(),
                    ),
                ),
            ])
        }
        None => {
            let statistic = alarm
                .statistic()
                .map(|stat| stat.as_str().to_string())
                .or_else(|| alarm.extended_statistic().map(str::to_string))
                .unwrap_or_default();
            let Value::Map(mut map) = Value::map([
                (
                    "namespace",
                    Value::str(alarm.namespace().unwrap_or_default()),
                ),
                (
                    "metric",
                    Value::str(alarm.metric_name().unwrap_or_default()),
                ),
                ("statistic", Value::str(statistic)),
                ("dimensions", dimensions(alarm.dimensions())),
            ]) else {
                unreachable!("Value::map makes a map")
            };
            map.insert(
                "period".into(),
                alarm.period().map_or(Value::Null, |p| Value::Int(p.into())),
            );
            Value::Map(map)
        }
    };
    let topics =
        |arns: &[String]| Value::Set(arns.iter().map(|arn| Value::Phys(arn.clone())).collect());
    let borrowed = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    Observed::new(
        id,
        alarm.alarm_name().unwrap_or_default(),
        props([
            (
                "name",
                Value::str(alarm.alarm_name().unwrap_or_default()),
                Mode::Replace,
            ),
            (
                "description",
                alarm.alarm_description().map_or(Value::Null, Value::str),
                Mode::InPlace,
            ),
            ("metric", metric, Mode::InPlace),
            (
                "threshold",
                alarm
                    .threshold()
                    .map_or(Value::Null, |value| Value::str(format!("{value}"))),
                Mode::InPlace,
            ),
            (
                "comparison",
                alarm
                    .comparison_operator()
                    .map_or(Value::Null, |op| Value::str(op.as_str())),
                Mode::InPlace,
            ),
            (
                "evaluation_periods",
                alarm
                    .evaluation_periods()
                    .map_or(Value::Null, |n| Value::Int(n.into())),
                Mode::InPlace,
            ),
            (
                "datapoints_to_alarm",
                alarm
                    .datapoints_to_alarm()
                    .map_or(Value::Null, |n| Value::Int(n.into())),
                Mode::InPlace,
            ),
            (
                "missing_data",
                // AWS leaves it out when it is the default.
                Value::str(alarm.treat_missing_data().unwrap_or("missing")),
                Mode::InPlace,
            ),
            ("notify", topics(alarm.alarm_actions()), Mode::InPlace),
            ("notify_ok", topics(alarm.ok_actions()), Mode::InPlace),
            ("tags", tags::observed_tags(borrowed), Mode::InPlace),
        ]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alarm_is_named_by_the_end_of_its_arn() {
        assert_eq!(
            name_of("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:demo-api-cpu"),
            "demo-api-cpu"
        );
        assert_eq!(
            name_of("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a:b"),
            "a:b"
        );
    }
}
