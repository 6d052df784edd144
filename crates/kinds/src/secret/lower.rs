//! The stack's Secrets Manager secrets (never their values): their typed properties and
//! lowering.

use std::collections::BTreeMap;

use super::manifest::Secret;
use crate::aws::ids::secret_id;
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::lower::uses::{KeyUser, Uses};
use crate::manifest::Manifest;

crate::engine::properties! {
    /// A Secrets Manager secret (never its value).
    pub struct SecretProps (changes: SecretChanges) {
        pub name: String => Replace,
        pub description: String => InPlace,
        /// The key by reference, or nothing (Secrets Manager's own).
        pub kms_key: Value => InPlace,
        /// How a value is made, used once, when one is; never compared (see `normalize`).
        pub generate: Option<Generate> => InPlace,
        /// Whether it has a current value (`AWSCURRENT`): desired when one is generated,
        /// else whatever it is.
        pub has_value: Option<bool> => InPlace,
        /// Kept in a tag of its own (`RECOVERY_TAG`): a destroy has only the live secret.
        pub recovery_window_days: i64 => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

crate::engine::record! {
    /// How Secrets Manager generates a value (`GetRandomPassword`).
    pub struct Generate {
        pub length: i64,
        pub exclude_punctuation: bool,
    }
}

pub fn desired(secrets: &[Secret], manifest: &Manifest, uses: &mut Uses) -> Vec<Desired> {
    secrets
        .iter()
        .map(|secret| {
            let props = SecretProps {
                name: secret.name.clone(),
                description: secret.description.clone(),
                kms_key: secret.kms_key.as_ref().map_or(Value::Null, |key| {
                    uses.key(&secret_id(&secret.key), key, KeyUser::Via("secretsmanager"))
                }),
                // Used once, when the secret is created; never compared.
                generate: secret.generate.map(|generate| Generate {
                    length: generate.length,
                    exclude_punctuation: generate.exclude_punctuation,
                }),
                // A current value (`AWSCURRENT`): generated at the create, or when a
                // secret made without one must have one; never read, compared as "has
                // one".
                has_value: secret.generate.is_some().then_some(true),
                // Kept in a tag of its own (`edgectl:recovery-window-days`): a destroy has
                // only the live secret to go by.
                recovery_window_days: secret.recovery_window_days,
                tags: tags::managed_tag_map(
                    &manifest.tags,
                    &Default::default(),
                    &secret.name,
                    secret.retain,
                ),
            };
            Desired {
                id: secret_id(&secret.key),
                props: props.into_props(),
                after: Vec::new(),
            }
        })
        .collect()
}
