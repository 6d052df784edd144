//! What one kind's resources ask of another kind's, as typed references: the using kind's
//! lowering records each use where it makes the reference, and the used kind's lowering,
//! run after every other, grants what was asked. A kind that encrypts with a KMS key says
//! so in its own lowering (`uses.key(&id, key, KeyUser::Via("s3"))`): the stack key's
//! policy is built from the uses and names no kind, and a role that reads the resource
//! asks which key to decrypt with (`uses.key_of(&id)`), not the resource's section.
//! Likewise a bucket's policy lets in the distributions that read it through their
//! Origin Access Control and the load balancers that log to it, as they recorded.

use crate::aws::ids::key_id;
use crate::engine::model::{ResourceId, Value};
use crate::manifest::keys::KeyRef;
use std::collections::{BTreeMap, BTreeSet};

/// Who uses a customer managed key, as its key policy must say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyUser {
    /// A service acting for the account's principals, by its endpoint prefix (`s3`,
    /// `secretsmanager`): the policy's `kms:ViaService` condition.
    Via(&'static str),
    /// CloudWatch Logs, which encrypts as its own service principal, for the account's
    /// log groups in the region.
    Logs,
}

/// The uses recorded while lowering.
#[derive(Debug, Default)]
pub struct Uses {
    /// The stack's keys: who encrypts with each.
    keys: BTreeMap<ResourceId, BTreeSet<KeyUser>>,
    /// Each resource under a customer managed key: that key, as a value.
    encrypted: BTreeMap<ResourceId, Value>,
    /// The stack's buckets by key: the distributions reading each through CloudFront.
    bucket_readers: BTreeMap<String, BTreeSet<Value>>,
    /// Buckets by name: the prefixes load balancers write access logs under.
    log_deliveries: BTreeMap<String, BTreeSet<String>>,
}

impl Uses {
    /// `key` as a value (the stack's key by reference, another by its ARN or alias),
    /// recording that `resource` is encrypted with it by `user`.
    pub fn key(&mut self, resource: &ResourceId, key: &KeyRef, user: KeyUser) -> Value {
        let value = match key {
            KeyRef::Stack(name) => {
                let id = key_id(name);
                self.keys.entry(id.clone()).or_default().insert(user);
                Value::Ref(id)
            }
            KeyRef::Other(arn) => Value::Phys(arn.clone()),
        };
        self.encrypted.insert(resource.clone(), value.clone());
        value
    }

    /// The customer managed key `resource` is encrypted with, when one is: what a role
    /// reading it must be let decrypt with.
    pub fn key_of(&self, resource: &ResourceId) -> Option<&Value> {
        self.encrypted.get(resource)
    }

    /// Records that `distribution` (a reference) reads the stack's bucket `bucket` (its
    /// key) through its Origin Access Control.
    pub fn bucket_reader(&mut self, bucket: &str, distribution: Value) {
        self.bucket_readers
            .entry(bucket.to_string())
            .or_default()
            .insert(distribution);
    }

    /// Records that a load balancer writes its access logs to the bucket named `bucket`,
    /// under `prefix`.
    pub fn log_delivery(&mut self, bucket: &str, prefix: &str) {
        self.log_deliveries
            .entry(bucket.to_string())
            .or_default()
            .insert(prefix.trim_matches('/').to_string());
    }

    /// The distributions reading the stack's bucket `bucket` (its key).
    pub fn bucket_readers(&self, bucket: &str) -> BTreeSet<Value> {
        self.bucket_readers.get(bucket).cloned().unwrap_or_default()
    }

    /// The access log prefixes under the bucket named `bucket`.
    pub fn log_deliveries(&self, bucket: &str) -> BTreeSet<String> {
        self.log_deliveries.get(bucket).cloned().unwrap_or_default()
    }

    /// Who uses the stack's key `id`.
    pub fn key_users(&self, id: &ResourceId) -> impl Iterator<Item = KeyUser> + '_ {
        self.keys.get(id).into_iter().flatten().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stack_key_s_users_are_recorded_and_another_key_is_only_named() {
        let mut uses = Uses::default();
        let ours = KeyRef::Stack("data".into());
        let site = ResourceId::new("bucket", "site");
        assert_eq!(
            uses.key(&site, &ours, KeyUser::Via("s3")),
            Value::Ref(key_id("data"))
        );
        uses.key(&ResourceId::new("log_group", "web"), &ours, KeyUser::Logs);
        uses.key(
            &ResourceId::new("bucket", "logs"),
            &ours,
            KeyUser::Via("s3"),
        );
        let arn = "arn:aws:kms:us-east-1:123456789012:key/abc";
        let alerts = ResourceId::new("topic", "alerts");
        assert_eq!(
            uses.key(&alerts, &KeyRef::Other(arn.into()), KeyUser::Via("sns")),
            Value::Phys(arn.into())
        );
        assert_eq!(
            uses.key_users(&key_id("data")).collect::<Vec<_>>(),
            [KeyUser::Via("s3"), KeyUser::Logs]
        );
        assert_eq!(uses.key_users(&key_id("other")).count(), 0);
        // What each resource is encrypted with, another's key too.
        assert_eq!(uses.key_of(&site), Some(&Value::Ref(key_id("data"))));
        assert_eq!(uses.key_of(&alerts), Some(&Value::Phys(arn.into())));
        assert_eq!(uses.key_of(&ResourceId::new("bucket", "plain")), None);
    }

    #[test]
    fn a_bucket_s_readers_and_log_writers_are_recorded_by_bucket() {
        let mut uses = Uses::default();
        let cdn = Value::Ref(ResourceId::new("distribution", "cdn"));
        uses.bucket_reader("site", cdn.clone());
        uses.bucket_reader("site", cdn.clone());
        uses.log_delivery("demo-logs", "/alb/");
        uses.log_delivery("demo-logs", "nlb");
        assert_eq!(uses.bucket_readers("site"), [cdn].into());
        assert!(uses.bucket_readers("logs").is_empty());
        assert_eq!(
            uses.log_deliveries("demo-logs"),
            ["alb".to_string(), "nlb".to_string()].into()
        );
        assert!(uses.log_deliveries("site").is_empty());
    }
}
