//! CloudWatch metric alarms (`alarm.<name>`): one metric's statistic, or metric math over
//! several, against a threshold, notifying SNS topics.
//!
//! PutMetricAlarm creates and updates alike: it overwrites an alarm of the same name
//! whoever made it, and takes tags only when it creates. So a create first asks for the
//! name (`preflight_create`) and refuses an alarm the stack does not own; the tags ride
//! on the create call; a repeated call (a lost response) writes the same alarm again.
//! The physical id is the alarm's name. Alarms are found by the Resource Groups Tagging
//! API's one query (`tags::tagged`), then read in one DescribeAlarms per hundred.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{
    AlarmType, ComparisonOperator, Dimension, Metric, MetricAlarm, MetricDataQuery, MetricStat,
    Statistic, Tag,
};
use futures::future::try_join_all;

use super::lower::{AlarmChanges, AlarmMetric, AlarmProps, Stat, threshold_text};
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::ids::ALARM;
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::{Change, Replacement};
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::Properties as _;

/// DescribeAlarms takes at most this many names.
const NAMES_PER_CALL: usize = 100;

fn cloudwatch_tags(pairs: Vec<(String, String)>) -> Result<Vec<Tag>, AwsError> {
    Ok(pairs
        .into_iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect())
}

crate::aws::tagging_by_arn!(struct CloudWatch(aws_sdk_cloudwatch::Client), cloudwatch_tags);

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
            let mut resource = observed(id.clone(), &alarm, pairs)?;
            resource.extra.insert("arn".into(), arn.clone());
            out.push(resource);
        }
        Ok(out)
    }

    /// The metric alarm of the manifest's name (a pin is its name too).
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = AlarmProps::from_props(&desired.props)?;
        let name = pin.unwrap_or(&props.name);
        let cloudwatch = &op.cx.clients.cloudwatch;
        // Both types: DescribeAlarms lists only metric alarms unless asked.
        let found = cloudwatch
            .describe_alarms()
            .alarm_names(name)
            .alarm_types(AlarmType::MetricAlarm)
            .alarm_types(AlarmType::CompositeAlarm)
            .send()
            .await
            .aws("DescribeAlarms")?;
        if !found.composite_alarms().is_empty() {
            return Ok(Found::Refused(format!(
                "`{name}` is a composite alarm; the manifest's is a metric alarm"
            )));
        }
        let Some(alarm) = found.metric_alarms().first() else {
            return Ok(Found::Nothing);
        };
        let arn = alarm
            .alarm_arn()
            .ok_or_else(|| AwsError::missing("DescribeAlarms", "AlarmArn"))?;
        let pairs: Vec<(String, String)> = cloudwatch
            .list_tags_for_resource()
            .resource_arn(arn)
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
        let mut observed = observed(op.id.clone(), alarm, &pairs)?;
        observed.extra.insert("arn".into(), arn.to_string());
        let borrowed = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let what = format!("CloudWatch alarm `{name}`");
        crate::aws::adopt::found(op.cx, op.id, what, borrowed, observed).await
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        let arn = found
            .extra
            .get("arn")
            .ok_or_else(|| AwsError::missing("DescribeAlarms", "AlarmArn"))?;
        tags::adopt(&CloudWatch(&op.cx.clients.cloudwatch), arn, op, desired).await
    }

    /// PutMetricAlarm would overwrite an alarm of the name: one someone else made is
    /// named here, before anything changes.
    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        let props = AlarmProps::from_props(&desired.props).map_err(|e| e.to_string())?;
        let name = props.name.as_str();
        let check = |error: AwsError| format!("cannot check whether the name is taken: {error}");
        let cloudwatch = &cx.clients.cloudwatch;
        let found = cloudwatch
            .describe_alarms()
            .alarm_names(name)
            .alarm_types(AlarmType::MetricAlarm)
            .alarm_types(AlarmType::CompositeAlarm)
            .send()
            .await
            .aws("DescribeAlarms")
            .map_err(check)?;
        if !found.composite_alarms().is_empty() {
            return Err(format!(
                "a composite alarm is named `{name}`: choose another name for this metric alarm"
            ));
        }
        let Some(arn) = found
            .metric_alarms()
            .iter()
            .find_map(|alarm| alarm.alarm_arn())
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
        tags::name_taken_adoptable(&cx.stack, &desired.id, &what, pairs).map_or(Ok(()), Err)
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let props = AlarmProps::from_props(&desired.props)?;
        put(
            op,
            &props,
            Some(cloudwatch_tags(tags::for_create(op, &props.tags))?),
        )
        .await?;
        Ok(props.name)
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        let props = AlarmProps::from_props(&desired.props)?;
        let live = AlarmProps::from_props(&observed.props)?;
        // The whole alarm is written again: PutMetricAlarm has no partial update.
        let but_tags = AlarmChanges {
            tags: false,
            ..AlarmProps::changed(changes)
        };
        if but_tags != AlarmChanges::default() {
            put(op, &props, None).await?;
        }
        let arn = observed
            .extra
            .get("arn")
            .ok_or_else(|| AwsError::missing("DescribeAlarms", "AlarmArn"))?;
        tags::sync(
            &CloudWatch(&op.cx.clients.cloudwatch),
            arn,
            &live.tags,
            &props.tags,
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
async fn put(op: &OpCx<'_>, props: &AlarmProps, tags: Option<Vec<Tag>>) -> Result<(), AwsError> {
    const PUT: &str = "PutMetricAlarm";
    let topics = |topics: &BTreeSet<Value>| -> Result<Vec<String>, AwsError> {
        topics.iter().map(|topic| op.resolve(topic)).collect()
    };
    let threshold = props.threshold.parse::<f64>().map_err(|_| {
        AwsError::new(
            ErrorKind::Other,
            PUT,
            format!("threshold `{}` is not a number", props.threshold),
        )
    })?;
    let int = |what: &str, value: i64| crate::aws::errors::int32(PUT, what, value);
    let metric = &props.metric;
    let period = metric
        .period
        .map(|period| int("period", period))
        .transpose()?;
    let mut call = op
        .cx
        .clients
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(&props.name)
        .set_alarm_description(props.description.clone())
        .actions_enabled(true)
        .set_alarm_actions(Some(topics(&props.notify)?))
        .set_ok_actions(Some(topics(&props.notify_ok)?))
        .threshold(threshold)
        .comparison_operator(ComparisonOperator::from(props.comparison.as_str()))
        .evaluation_periods(int("evaluation_periods", props.evaluation_periods)?)
        .set_datapoints_to_alarm(
            props
                .datapoints_to_alarm
                .map(|count| int("datapoints_to_alarm", count))
                .transpose()?,
        )
        .treat_missing_data(&props.missing_data)
        .set_tags(tags);
    match &metric.expression {
        Some(expression) => {
            let mut queries = vec![
                MetricDataQuery::builder()
                    .id("result")
                    .expression(expression)
                    .set_label(metric.label.clone())
                    .return_data(true)
                    .build(),
            ];
            for (id, one) in metric.metrics.iter().flatten() {
                queries.push(
                    MetricDataQuery::builder()
                        .id(id)
                        .metric_stat(
                            MetricStat::builder()
                                .metric(
                                    Metric::builder()
                                        .namespace(&one.namespace)
                                        .metric_name(&one.metric)
                                        .set_dimensions(Some(sdk_dimensions(&one.dimensions)?))
                                        .build(),
                                )
                                .set_period(period)
                                .stat(&one.statistic)
                                .build(),
                        )
                        .return_data(false)
                        .build(),
                );
            }
            call = call.set_metrics(Some(queries));
        }
        None => {
            let text = |what: &str, value: &Option<String>| {
                value.clone().ok_or_else(|| {
                    AwsError::new(ErrorKind::Other, PUT, format!("the metric has no {what}"))
                })
            };
            let statistic = text("statistic", &metric.statistic)?;
            call = call
                .namespace(text("namespace", &metric.namespace)?)
                .metric_name(text("metric", &metric.metric)?)
                .set_dimensions(Some(sdk_dimensions(
                    metric.dimensions.as_ref().unwrap_or(&BTreeMap::new()),
                )?))
                .set_period(period);
            call = if crate::base::known::percentile(&statistic) {
                call.extended_statistic(statistic)
            } else {
                call.statistic(Statistic::from(statistic.as_str()))
            };
        }
    }
    call.send().await.aws(PUT)?;
    Ok(())
}

/// A metric's dimensions as CloudWatch takes them: each value known by now.
fn sdk_dimensions(dimensions: &BTreeMap<String, Value>) -> Result<Vec<Dimension>, AwsError> {
    dimensions
        .iter()
        .map(|(name, value)| {
            let value = value.as_str().ok_or_else(|| {
                AwsError::new(
                    ErrorKind::Other,
                    "PutMetricAlarm",
                    format!("dimension `{name}` is {value}, not yet known"),
                )
            })?;
            Ok(Dimension::builder().name(name).value(value).build())
        })
        .collect()
}

fn dimensions(dimensions: &[Dimension]) -> BTreeMap<String, Value> {
    dimensions
        .iter()
        .map(|dimension| {
            (
                dimension.name().unwrap_or_default().to_string(),
                Value::str(dimension.value().unwrap_or_default()),
            )
        })
        .collect()
}

fn stat_of(metric: Option<&Metric>, statistic: &str) -> Stat {
    Stat {
        namespace: metric
            .and_then(Metric::namespace)
            .unwrap_or_default()
            .to_string(),
        metric: metric
            .and_then(Metric::metric_name)
            .unwrap_or_default()
            .to_string(),
        statistic: statistic.to_string(),
        dimensions: dimensions(metric.map(Metric::dimensions).unwrap_or_default()),
    }
}

/// A live alarm as the desired side writes it.
fn observed(
    id: ResourceId,
    alarm: &MetricAlarm,
    pairs: &[(String, String)],
) -> Result<Observed, AwsError> {
    let missing = |field: &str| AwsError::missing("DescribeAlarms", field);
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
            AlarmMetric {
                expression: result.expression().map(str::to_string),
                label: result.label().map(str::to_string),
                period: stats
                    .iter()
                    .find_map(|query| query.metric_stat().and_then(MetricStat::period))
                    .map(i64::from),
                metrics: Some(
                    stats
                        .iter()
                        .filter_map(|query| {
                            let stat = query.metric_stat()?;
                            Some((
                                query.id().unwrap_or_default().to_string(),
                                stat_of(stat.metric(), stat.stat().unwrap_or_default()),
                            ))
                        })
                        .collect(),
                ),
                ..AlarmMetric::default()
            }
        }
        None => AlarmMetric {
            namespace: Some(alarm.namespace().unwrap_or_default().to_string()),
            metric: Some(alarm.metric_name().unwrap_or_default().to_string()),
            statistic: Some(
                alarm
                    .statistic()
                    .map(|stat| stat.as_str().to_string())
                    .or_else(|| alarm.extended_statistic().map(str::to_string))
                    .unwrap_or_default(),
            ),
            dimensions: Some(dimensions(alarm.dimensions())),
            period: alarm.period().map(i64::from),
            ..AlarmMetric::default()
        },
    };
    let topics = |arns: &[String]| arns.iter().map(|arn| Value::Phys(arn.clone())).collect();
    let borrowed = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let name = alarm.alarm_name().ok_or_else(|| missing("AlarmName"))?;
    let props = AlarmProps {
        name: name.to_string(),
        description: alarm.alarm_description().map(str::to_string),
        metric,
        threshold: threshold_text(alarm.threshold().ok_or_else(|| missing("Threshold"))?),
        comparison: alarm
            .comparison_operator()
            .ok_or_else(|| missing("ComparisonOperator"))?
            .as_str()
            .to_string(),
        evaluation_periods: alarm
            .evaluation_periods()
            .ok_or_else(|| missing("EvaluationPeriods"))?
            .into(),
        datapoints_to_alarm: alarm.datapoints_to_alarm().map(i64::from),
        // AWS leaves it out when it is the default.
        missing_data: alarm.treat_missing_data().unwrap_or("missing").to_string(),
        notify: topics(alarm.alarm_actions()),
        notify_ok: topics(alarm.ok_actions()),
        tags: tags::observed_tag_map(borrowed),
    };
    Ok(Observed::new(id, name, props.into_props()))
}

use crate::aws::permissions::{On, Permission};

/// The IAM permissions this kind's calls need (`edgectl policy`); the suite's
/// `policy` test runs each shipped manifest with no more than these.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        actions: &[
            "cloudwatch:DescribeAlarms",
            "cloudwatch:PutMetricAlarm",
            "cloudwatch:ListTagsForResource",
        ],
        on: On::Any,
    },
    // Tags are written on the manifest's alarms only (an alarm made with them, `edgectl
    // adopt`'s): a tag write on `*` would let any alarm be tagged as the stack's.
    Permission {
        actions: &["cloudwatch:TagResource", "cloudwatch:UntagResource"],
        on: On::Named {
            kind: "alarm",
            arn: "arn:{partition}:cloudwatch:{region}:*:alarm:{name}",
        },
    },
    Permission {
        actions: &["cloudwatch:DeleteAlarms"],
        on: On::Owned,
    },
];

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
