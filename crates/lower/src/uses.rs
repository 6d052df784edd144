//! What one kind's resources ask of another kind's, as typed references: the using kind's
//! lowering records each use where it makes the reference, and the used kind's lowering,
//! run after every other, grants what was asked. A kind that encrypts with the stack's
//! KMS key says so in its own lowering (`uses.key(key, KeyUser::Via("s3"))`); the key's
//! policy is built from the uses, and names no kind.

use std::collections::{BTreeMap, BTreeSet};

use crate::aws::kms::key_id;
use crate::engine::model::{ResourceId, Value};
use crate::manifest::keys::KeyRef;

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
    keys: BTreeMap<ResourceId, BTreeSet<KeyUser>>,
}

impl Uses {
    /// `key` as a value (the stack's key by reference, another by its ARN or alias),
    /// recording that `user` encrypts with it when it is the stack's.
    pub fn key(&mut self, key: &KeyRef, user: KeyUser) -> Value {
        match key {
            KeyRef::Stack(name) => {
                let id = key_id(name);
                self.keys.entry(id.clone()).or_default().insert(user);
                Value::Ref(id)
            }
            KeyRef::Other(arn) => Value::Phys(arn.clone()),
        }
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
        assert_eq!(
            uses.key(&ours, KeyUser::Via("s3")),
            Value::Ref(key_id("data"))
        );
        uses.key(&ours, KeyUser::Logs);
        uses.key(&ours, KeyUser::Via("s3"));
        let arn = "arn:aws:kms:us-east-1:123456789012:key/abc";
        assert_eq!(
            uses.key(&KeyRef::Other(arn.into()), KeyUser::Via("sns")),
            Value::Phys(arn.into())
        );
        assert_eq!(
            uses.key_users(&key_id("data")).collect::<Vec<_>>(),
            [KeyUser::Via("s3"), KeyUser::Logs]
        );
        assert_eq!(uses.key_users(&key_id("other")).count(), 0);
    }
}
