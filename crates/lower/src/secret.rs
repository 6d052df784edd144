//! Lowering: the stack's Secrets Manager secrets (never their values).

use crate::aws::secretsmanager::secret_id;
use crate::aws::tags;
use crate::engine::model::{Desired, Mode, Value, props};
use crate::manifest::Manifest;

pub fn desired(manifest: &Manifest) -> Vec<Desired> {
    manifest
        .secrets
        .iter()
        .map(|secret| Desired {
            id: secret_id(&secret.key),
            props: props([
                ("name", Value::str(&secret.name), Mode::Replace),
                (
                    "description",
                    Value::str(&secret.description),
                    Mode::InPlace,
                ),
                (
                    "kms_key",
                    secret
                        .kms_key
                        .as_ref()
                        .map_or(Value::Null, super::key::key_value),
                    Mode::InPlace,
                ),
                // Used once, when the secret is created; never compared.
                (
                    "generate",
                    secret.generate.map_or(Value::Null, |generate| {
                        Value::map([
                            ("length", Value::Int(generate.length)),
                            (
                                "exclude_punctuation",
                                Value::Bool(generate.exclude_punctuation),
                            ),
                        ])
                    }),
                    Mode::InPlace,
                ),
                // A current value (`AWSCURRENT`): generated at the create, or when a secret
                // made without one must have one; never read, compared as "has one".
                (
                    "has_value",
                    if secret.generate.is_some() {
                        Value::Bool(true)
                    } else {
                        Value::Null
                    },
                    Mode::InPlace,
                ),
                // Kept in a tag of its own (`edgectl:recovery-window-days`): a destroy has
                // only the live secret to go by.
                (
                    "recovery_window_days",
                    Value::Int(secret.recovery_window_days),
                    Mode::InPlace,
                ),
                (
                    "tags",
                    tags::managed_tags(
                        &manifest.tags,
                        &Default::default(),
                        &secret.name,
                        secret.retain,
                    ),
                    Mode::InPlace,
                ),
            ]),
            after: Vec::new(),
        })
        .collect()
}
