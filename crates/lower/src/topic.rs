//! Lowering: SNS topics and their subscriptions.

use super::uses::{KeyUser, Uses};
use crate::aws::ids::{subscription_id, topic_id};
use crate::aws::sns::{SubscriptionProps, TopicProps};
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;

pub fn desired(manifest: &Manifest, uses: &mut Uses) -> Vec<Desired> {
    let mut out = Vec::new();
    for topic in &manifest.topics {
        let props = TopicProps {
            name: topic.name.clone(),
            display_name: topic.display_name.clone(),
            kms_key: topic.kms_key.as_ref().map_or(Value::Null, |key| {
                uses.key(&topic_id(&topic.key), key, KeyUser::Via("sns"))
            }),
            tags: tags::desired_tag_map(&manifest.tags, &topic.name),
        };
        out.push(Desired {
            id: topic_id(&topic.key),
            props: props.into_props(),
            after: Vec::new(),
        });
        for subscription in &topic.subscriptions {
            let props = SubscriptionProps {
                topic: Value::Ref(topic_id(&topic.key)),
                protocol: subscription.protocol.clone(),
                endpoint: subscription.endpoint.clone(),
            };
            out.push(Desired {
                id: subscription_id(&topic.key, &subscription.protocol, &subscription.endpoint),
                props: props.into_props(),
                after: Vec::new(),
            });
        }
    }
    out
}
