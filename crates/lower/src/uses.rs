//! What one kind's resources ask of another kind's, as typed references: the using kind's
//! lowering records each use where it makes the reference, and the used kind's lowering,
//! run after every other, grants what was asked. A kind that encrypts with a KMS key says
//! so in its own lowering (`uses.key(&id, key, KeyUser::Via("s3"))`): the stack key's
//! policy is built from the uses and names no kind, and a role that reads the resource
//! asks which key to decrypt with (`uses.key_of(&id)`), not the resource's section.
//! Likewise a bucket's policy lets in the distributions that read it through their
//! Origin Access Control and the load balancers that log to it, as they recorded. And a
//! resource that needs what another kind makes for one of its resources (a service, the
//! mount targets of the file systems it mounts) orders after that family
//! (`uses.after_family`), whatever lowers it.

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

/// A DNS record another kind needs written in one of the manifest's zones (a
/// certificate's validation record), which the zones' lowering makes.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Its logical id (`aws::ids::record_id`), which what needs it orders after.
    pub id: ResourceId,
    /// The zone's key.
    pub zone: String,
    pub name: Value,
    /// `CNAME`, ...
    pub kind: &'static str,
    pub ttl: i64,
    pub value: Value,
    /// A record of that name and value someone else wrote satisfies it (ACM's
    /// validation records, shared by every certificate of a name in the account).
    pub shareable: bool,
}

/// A distribution serving one of the stack's buckets, as the bucket's sync invalidates
/// it: where it serves the bucket from, and its root object (which answers for `/`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Served {
    /// The distribution, by reference.
    pub distribution: Value,
    pub origin_path: String,
    pub root_object: String,
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
    /// Resources that order after every resource of a family: (kind, name prefix).
    after_families: BTreeMap<ResourceId, BTreeSet<(&'static str, String)>>,
    /// Resources that order after others, as the kind that makes the others says.
    after: BTreeMap<ResourceId, BTreeSet<ResourceId>>,
    /// The records other kinds need in the manifest's zones.
    records: Vec<Record>,
    /// The stack's buckets by key: the distributions serving each.
    served: BTreeMap<String, BTreeSet<Served>>,
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

    /// Records that `resource` orders after every resource of `kind` whose name starts
    /// with `prefix` (`aws::ids::mount_targets_of`), however many the lowering makes.
    pub fn after_family(&mut self, resource: &ResourceId, (kind, prefix): (&'static str, String)) {
        self.after_families
            .entry(resource.clone())
            .or_default()
            .insert((kind, prefix));
    }

    /// Records that `resource` (another kind's) orders after `before` (one of the
    /// recording kind's): a service after the listeners that forward to it.
    pub fn after(&mut self, resource: &ResourceId, before: ResourceId) {
        self.after
            .entry(resource.clone())
            .or_default()
            .insert(before);
    }

    /// Adds to each resource of `desired` what it was recorded to order after (the
    /// members of its families, the resources named for it) that `desired` holds, once
    /// every kind is lowered.
    pub fn order(&self, desired: &mut [crate::engine::model::Desired]) {
        let mut families: Vec<(ResourceId, Vec<ResourceId>)> = self
            .after_families
            .iter()
            .map(|(resource, families)| {
                let members = desired
                    .iter()
                    .map(|member| &member.id)
                    .filter(|id| {
                        families.iter().any(|(kind, prefix)| {
                            id.kind() == *kind && id.name().starts_with(prefix.as_str())
                        })
                    })
                    .cloned()
                    .collect();
                (resource.clone(), members)
            })
            .collect();
        families.extend(self.after.iter().map(|(resource, before)| {
            let present = before
                .iter()
                .filter(|id| desired.iter().any(|member| member.id == **id))
                .cloned()
                .collect();
            (resource.clone(), present)
        }));
        for (resource, members) in families {
            if let Some(found) = desired.iter_mut().find(|item| item.id == resource) {
                for member in members {
                    if !found.after.contains(&member) {
                        found.after.push(member);
                    }
                }
            }
        }
    }

    /// Records that a distribution serves the stack's bucket `bucket` (its key).
    pub fn served(&mut self, bucket: &str, by: Served) {
        self.served
            .entry(bucket.to_string())
            .or_default()
            .insert(by);
    }

    /// The distributions serving the stack's bucket `bucket` (its key).
    pub fn servers(&self, bucket: &str) -> BTreeSet<Served> {
        self.served.get(bucket).cloned().unwrap_or_default()
    }

    /// Records that a DNS record is needed in one of the manifest's zones.
    pub fn record(&mut self, record: Record) {
        self.records.push(record);
    }

    /// The records other kinds need, in the order they asked.
    pub fn records(&self) -> &[Record] {
        &self.records
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
    fn a_resource_orders_after_every_member_of_the_families_it_recorded() {
        let desired = |kind: &str, name: &str| crate::engine::model::Desired {
            id: ResourceId::new(kind, name),
            props: Default::default(),
            after: Vec::new(),
        };
        let mut out = vec![
            desired("service", "api"),
            desired("mount_target", "data.eu-west-1a"),
            desired("mount_target", "data.eu-west-1b"),
            desired("mount_target", "other.eu-west-1a"),
            desired("file_system", "data"),
        ];
        let mut uses = Uses::default();
        uses.after_family(
            &ResourceId::new("service", "api"),
            ("mount_target", "data.".into()),
        );
        uses.after_family(
            &ResourceId::new("service", "gone"),
            ("mount_target", "data.".into()),
        );
        uses.after(
            &ResourceId::new("file_system", "data"),
            ResourceId::new("service", "api"),
        );
        uses.after(
            &ResourceId::new("file_system", "data"),
            ResourceId::new("listener", "absent"),
        );
        uses.order(&mut out);
        assert_eq!(
            out[0].after,
            [
                ResourceId::new("mount_target", "data.eu-west-1a"),
                ResourceId::new("mount_target", "data.eu-west-1b")
            ]
        );
        assert!(out[1..4].iter().all(|item| item.after.is_empty()));
        // Named: only what the lowering made.
        assert_eq!(out[4].after, [ResourceId::new("service", "api")]);
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
