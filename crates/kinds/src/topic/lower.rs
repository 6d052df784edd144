//! SNS topics' and subscriptions' typed properties, and their lowering.

use std::collections::BTreeMap;

use super::manifest::Topic;
use crate::aws::ids::{subscription_id, topic_id};
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::lower::uses::{KeyUser, Uses};
use crate::manifest::Manifest;

crate::engine::properties! {
    /// An SNS topic.
    pub struct TopicProps (changes: TopicChanges) {
        pub name: String => Replace,
        pub display_name: Option<String> => InPlace,
        /// The key by reference, or nothing (no encryption).
        pub kms_key: Value => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

crate::engine::properties! {
    /// A subscription to one of the stack's topics: all of it makes a new one.
    pub struct SubscriptionProps (changes: SubscriptionChanges) {
        /// By reference.
        pub topic: Value => Replace,
        pub protocol: String => Replace,
        pub endpoint: String => Replace,
    }
}

pub fn desired(topics: &[Topic], manifest: &Manifest, uses: &mut Uses) -> Vec<Desired> {
    let mut out = Vec::new();
    for topic in topics {
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
