//! The `topics` section: SNS topics the stack's alarms notify, with their subscriptions.
//!
//! ```yaml
//! topics:
//!   alerts:
//!     display_name: HappyRobot alerts
//!     subscriptions:
//!       - email: oncall@example.com
//!       - https: https://hooks.example.com/alerts
//! ```

use crate::manifest::Manifest;
use crate::manifest::decode::{Decoder, Entry, plain_name_field};
use crate::manifest::keys::{KeyRef, key_ref};
use crate::manifest::yaml::Node;

const TOPIC: &[&str] = &["name", "display_name", "kms_key", "subscriptions"];
/// The protocols a subscription may use, with what its endpoint must look like.
pub const PROTOCOLS: &[(&str, &str)] = &[
    ("email", "an address (`oncall@example.com`)"),
    ("email-json", "an address (`oncall@example.com`)"),
    ("https", "an `https://` URL"),
    ("http", "an `http://` URL"),
    ("sms", "a phone number in E.164 form (`+34600000000`)"),
    ("sqs", "a queue's ARN"),
    ("lambda", "a function's ARN"),
];

#[derive(Clone, Debug, PartialEq)]
pub struct Topic {
    pub key: String,
    /// Its SNS name; `<stack>-<key>` unless written.
    pub name: String,
    pub display_name: Option<String>,
    /// A customer managed key; `None`: not encrypted.
    pub kms_key: Option<KeyRef>,
    pub subscriptions: Vec<Subscription>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Subscription {
    pub protocol: String,
    pub endpoint: String,
}

pub fn decode(decoder: &mut Decoder, node: &Node, manifest: &Manifest) -> Vec<Topic> {
    let stack = &manifest.stack;
    let keys = manifest.declared.names("keys");
    let mut out = Vec::new();
    for Entry {
        key,
        fields,
        section,
        ..
    } in decoder.entries(node, "topics", TOPIC)
    {
        // SNS: 1-256 letters, digits, `-` and `_` (FIFO topics are not supported).
        let default = format!("{stack}-{}", key.value);
        let Some(name) = plain_name_field(
            decoder,
            &fields,
            default,
            256,
            "topic",
            " (FIFO topics are not supported)",
        ) else {
            continue;
        };
        let display_name = fields
            .get("display_name")
            .and_then(|node| decoder.string(node, "display_name"))
            .map(|text| text.value);
        let kms_key = fields
            .get("kms_key")
            .and_then(|node| key_ref(decoder, node, keys));
        let mut subscriptions: Vec<Subscription> = Vec::new();
        if let Some(list) = fields.get("subscriptions") {
            for item in decoder.list(list) {
                let pairs = decoder.named(item, &format!("{section}.subscriptions"));
                if pairs.len() != 1 {
                    decoder.error(
                        item.pos,
                        "a subscription is one protocol and its endpoint",
                        "write `- email: oncall@example.com` or `- https: https://hooks.example.com/alerts`",
                    );
                    continue;
                }
                let (protocol, value) = &pairs[0];
                let Some(&(_, shape)) = PROTOCOLS.iter().find(|(name, _)| *name == protocol.value)
                else {
                    let names = PROTOCOLS.iter().map(|(name, _)| *name);
                    let help = match crate::manifest::diag::suggest(&protocol.value, names.clone())
                    {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => format!(
                            "use one of {}",
                            names
                                .map(|name| format!("`{name}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    decoder.error(
                        protocol.pos,
                        format!("`{}` is not a protocol SNS delivers to", protocol.value),
                        help,
                    );
                    continue;
                };
                let Some(endpoint) = decoder.string(value, &protocol.value) else {
                    continue;
                };
                let fits = match protocol.value.as_str() {
                    "email" | "email-json" => endpoint.value.contains('@'),
                    "https" => endpoint.value.starts_with("https://"),
                    "http" => endpoint.value.starts_with("http://"),
                    "sms" => {
                        endpoint.value.starts_with('+')
                            && endpoint.value[1..].chars().all(|c| c.is_ascii_digit())
                    }
                    _ => endpoint.value.starts_with("arn:"),
                };
                if !fits {
                    decoder.error(
                        endpoint.pos,
                        format!(
                            "`{}` is not an endpoint for `{}`",
                            endpoint.value, protocol.value
                        ),
                        format!("a `{}` subscription takes {shape}", protocol.value),
                    );
                    continue;
                }
                let subscription = Subscription {
                    protocol: protocol.value.clone(),
                    endpoint: endpoint.value,
                };
                if subscriptions.contains(&subscription) {
                    decoder.error(
                        protocol.pos,
                        format!(
                            "`{}: {}` is subscribed twice",
                            subscription.protocol, subscription.endpoint
                        ),
                        "remove one: SNS keeps one subscription per endpoint",
                    );
                    continue;
                }
                subscriptions.push(subscription);
            }
        }
        out.push(Topic {
            key: key.value.clone(),
            name,
            display_name,
            kms_key,
            subscriptions,
        });
    }
    out
}
