//! Lowering: the stack's Secrets Manager secrets (never their values).

use super::uses::{KeyUser, Uses};
use crate::aws::ids::secret_id;
use crate::aws::secretsmanager::{Generate, SecretProps};
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;

pub fn desired(manifest: &Manifest, uses: &mut Uses) -> Vec<Desired> {
    manifest
        .secrets
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
