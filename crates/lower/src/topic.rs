//! Lowering: SNS topics and their subscriptions.

use crate::aws::sns::{subscription_id, topic_id};
use crate::aws::tags;
use crate::engine::model::{Desired, Mode, Value, props};
use crate::manifest::Manifest;

pub fn desired(manifest: &Manifest) -> Vec<Desired> {
    let mut out = Vec::new();
    for topic in &manifest.topics {
        out.push(Desired {
            id: topic_id(&topic.key),
            props: props([
                ("name", Value::str(&topic.name), Mode::Replace),
                (
                    "display_name",
                    topic.display_name.as_ref().map_or(Value::Null, Value::str),
                    Mode::InPlace,
                ),
                (
                    "kms_key",
                    topic
                        .kms_key
                        .as_ref()
                        .map_or(Value::Null, super::key::key_value),
                    Mode::InPlace,
                ),
                (
                    "tags",
                    tags::desired_tags(&manifest.tags, &topic.name),
                    Mode::InPlace,
                ),
            ]),
            after: Vec::new(),
        });
        for subscription in &topic.subscriptions {
            out.push(Desired {
                id: subscription_id(&topic.key, &subscription.protocol, &subscription.endpoint),
                props: props([
                    ("topic", Value::Ref(topic_id(&topic.key)), Mode::Replace),
                    (
                        "protocol",
                        Value::str(&subscription.protocol),
                        Mode::Replace,
                    ),
                    (
                        "endpoint",
                        Value::str(&subscription.endpoint),
                        Mode::Replace,
                    ),
                ]),
                after: Vec::new(),
            });
        }
    }
    out
}
