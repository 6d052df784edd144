//! Lowering: CloudWatch alarms, the shorthand's and the full form's alike. A load
//! balancer's or target group's dimension is its ARN suffix, known once it exists.

use std::collections::{BTreeMap, BTreeSet};

use super::manifest::{Alarm, Dimension, Metric, Stat as ManifestStat};
use crate::aws::ids::{alarm_id, load_balancer_id, target_group_id, topic_id};
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;

crate::engine::properties! {
    /// A metric alarm: what its lowering builds and its observe reads.
    pub struct AlarmProps (changes: AlarmChanges) {
        pub name: String => Replace,
        pub description: Option<String> => InPlace,
        pub metric: AlarmMetric => InPlace,
        /// As CloudWatch answers it ([`threshold_text`]), so that `80` and `80.0` agree.
        pub threshold: String => InPlace,
        /// `GreaterThanThreshold`, ...
        pub comparison: String => InPlace,
        pub evaluation_periods: i64 => InPlace,
        pub datapoints_to_alarm: Option<i64> => InPlace,
        /// `missing`, `breaching`, `notBreaching` or `ignore`.
        pub missing_data: String => InPlace,
        /// Topics by reference.
        pub notify: BTreeSet<Value> => InPlace,
        pub notify_ok: BTreeSet<Value> => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

crate::engine::record! {
    /// What an alarm watches over `period` seconds: one metric's statistic (`namespace`,
    /// `metric`, `statistic`, `dimensions`), or metric math (`expression`, `label` and
    /// the `metrics` it names).
    #[derive(Default)]
    pub struct AlarmMetric {
        pub namespace: Option<String> => optional,
        pub metric: Option<String> => optional,
        pub statistic: Option<String> => optional,
        /// A value may be another resource's attribute (a load balancer's ARN suffix).
        pub dimensions: Option<BTreeMap<String, Value>> => optional,
        pub expression: Option<String> => optional,
        pub label: Option<String> => optional,
        pub metrics: Option<BTreeMap<String, Stat>> => optional,
        pub period: Option<i64> => optional,
    }
}

crate::engine::record! {
    /// One metric's statistic, in metric math.
    pub struct Stat {
        pub namespace: String,
        pub metric: String,
        pub statistic: String,
        pub dimensions: BTreeMap<String, Value>,
    }
}

/// A threshold as CloudWatch answers it, so that `80` and `80.0` compare equal.
pub fn threshold_text(value: f64) -> String {
    format!("{value}")
}

pub fn desired(alarms: &[Alarm], manifest: &Manifest) -> Vec<Desired> {
    alarms
        .iter()
        .map(|alarm| {
            let topics =
                |keys: &[String]| keys.iter().map(|key| Value::Ref(topic_id(key))).collect();
            let props = AlarmProps {
                name: alarm.name.clone(),
                description: alarm.description.clone(),
                metric: metric(&alarm.metric),
                threshold: threshold_text(alarm.threshold),
                comparison: alarm.comparison.clone(),
                evaluation_periods: alarm.evaluation_periods,
                datapoints_to_alarm: alarm.datapoints_to_alarm,
                missing_data: alarm.missing_data.clone(),
                notify: topics(&alarm.notify),
                notify_ok: topics(&alarm.notify_ok),
                tags: tags::desired_tag_map(&manifest.tags, &alarm.name),
            };
            Desired {
                id: alarm_id(&alarm.id),
                props: props.into_props(),
                after: Vec::new(),
            }
        })
        .collect()
}

fn metric(metric: &Metric) -> AlarmMetric {
    match metric {
        Metric::Single { stat: one, period } => AlarmMetric {
            namespace: Some(one.namespace.clone()),
            metric: Some(one.metric.clone()),
            statistic: Some(one.statistic.clone()),
            dimensions: Some(dimensions(one)),
            period: Some(*period),
            ..AlarmMetric::default()
        },
        Metric::Math {
            expression,
            label,
            metrics,
            period,
        } => AlarmMetric {
            expression: Some(expression.clone()),
            label: Some(label.clone()),
            period: Some(*period),
            metrics: Some(
                metrics
                    .iter()
                    .map(|(id, one)| (id.clone(), stat(one)))
                    .collect(),
            ),
            ..AlarmMetric::default()
        },
    }
}

fn stat(one: &ManifestStat) -> Stat {
    Stat {
        namespace: one.namespace.clone(),
        metric: one.metric.clone(),
        statistic: one.statistic.clone(),
        dimensions: dimensions(one),
    }
}

fn dimensions(one: &ManifestStat) -> BTreeMap<String, Value> {
    one.dimensions
        .iter()
        .map(|(name, value)| (name.clone(), dimension(value)))
        .collect()
}

fn dimension(value: &Dimension) -> Value {
    match value {
        Dimension::Text(text) => Value::str(text),
        Dimension::LoadBalancer(key) => Value::Template(vec![Value::Ref(
            load_balancer_id(key).attribute("arn_suffix"),
        )]),
        Dimension::TargetGroup(service) => Value::Template(vec![Value::Ref(
            target_group_id(service).attribute("arn_suffix"),
        )]),
    }
}
