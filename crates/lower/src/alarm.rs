//! Lowering: CloudWatch alarms, the shorthand's and the full form's alike. A load
//! balancer's or target group's dimension is its ARN suffix, known once it exists.

use crate::aws::cloudwatch::alarm_id;
use crate::aws::sns::topic_id;
use crate::aws::tags;
use crate::engine::model::{Desired, Mode, Value, props};
use crate::manifest::Manifest;
use crate::manifest::alarms::{Dimension, Metric, Stat};

use super::load_balancer::load_balancer_id;
use super::target_group::target_group_id;

pub fn desired(manifest: &Manifest) -> Vec<Desired> {
    manifest
        .alarms
        .iter()
        .map(|alarm| {
            let topics = |keys: &[String]| {
                Value::Set(keys.iter().map(|key| Value::Ref(topic_id(key))).collect())
            };
            Desired {
                id: alarm_id(&alarm.id),
                props: props([
                    ("name", Value::str(&alarm.name), Mode::Replace),
                    (
                        "description",
                        alarm.description.as_ref().map_or(Value::Null, Value::str),
                        Mode::InPlace,
                    ),
                    ("metric", metric(&alarm.metric), Mode::InPlace),
                    (
                        "threshold",
                        Value::str(threshold_text(alarm.threshold)),
                        Mode::InPlace,
                    ),
                    ("comparison", Value::str(&alarm.comparison), Mode::InPlace),
                    (
                        "evaluation_periods",
                        Value::Int(alarm.evaluation_periods),
                        Mode::InPlace,
                    ),
                    (
                        "datapoints_to_alarm",
                        alarm.datapoints_to_alarm.map_or(Value::Null, Value::Int),
                        Mode::InPlace,
                    ),
                    (
                        "missing_data",
                        Value::str(&alarm.missing_data),
                        Mode::InPlace,
                    ),
                    ("notify", topics(&alarm.notify), Mode::InPlace),
                    ("notify_ok", topics(&alarm.notify_ok), Mode::InPlace),
                    (
                        "tags",
                        tags::desired_tags(&manifest.tags, &alarm.name),
                        Mode::InPlace,
                    ),
                ]),
                after: Vec::new(),
            }
        })
        .collect()
}

/// A threshold as CloudWatch answers it, so that `80` and `80.0` compare equal.
pub fn threshold_text(value: f64) -> String {
    format!("{value}")
}

fn metric(metric: &Metric) -> Value {
    match metric {
        Metric::Single { stat: one, period } => {
            let Value::Map(mut map) = stat(one) else {
                return Value::Null;
            };
            map.insert("period".into(), Value::Int(*period));
            Value::Map(map)
        }
        Metric::Math {
            expression,
            label,
            metrics,
            period,
        } => Value::map([
            ("expression", Value::str(expression)),
            ("label", Value::str(label)),
            ("period", Value::Int(*period)),
            (
                "metrics",
                Value::Map(
                    metrics
                        .iter()
                        .map(|(id, one)| (id.clone(), stat(one)))
                        .collect(),
                ),
            ),
        ]),
    }
}

fn stat(stat: &Stat) -> Value {
    Value::map([
        ("namespace", Value::str(&stat.namespace)),
        ("metric", Value::str(&stat.metric)),
        ("statistic", Value::str(&stat.statistic)),
        (
            "dimensions",
            Value::Map(
                stat.dimensions
                    .iter()
                    .map(|(name, value)| (name.clone(), dimension(value)))
                    .collect(),
            ),
        ),
    ])
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
