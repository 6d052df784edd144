//! References to live attributes (`${load_balancers.alb.dns_name}`, checked by
//! `manifest::refs`) become templates: literal text, and references to the physical id or
//! attribute that holds the value (`load_balancer.alb@dns_name`). What the manifest knows
//! already (a bucket's name, a database's port) is literal text. The engine renders a
//! template once its parts exist; the reference orders the resource after them.

use super::{Env, Kinds};
use crate::engine::model::{Desired, Value};
use crate::manifest::Manifest;
use crate::manifest::refs::{Part, Reference, has_references, parts};

/// Every string with a reference, in every resource, as a template.
pub fn templates(manifest: &Manifest, env: &Env, kinds: &Kinds<'_>, resources: &mut [Desired]) {
    let scope = Scope {
        manifest,
        env,
        kinds,
    };
    for resource in resources {
        for field in resource.props.values_mut() {
            field.value = rewrite(&scope, &field.value);
        }
    }
}

/// What a reference is read against: the manifest, the facts, the registered kinds.
struct Scope<'a> {
    manifest: &'a Manifest,
    env: &'a Env,
    kinds: &'a Kinds<'a>,
}

fn rewrite(scope: &Scope<'_>, value: &Value) -> Value {
    match value {
        Value::Str(text) if has_references(text) => {
            template(scope.manifest, scope.env, scope.kinds, text)
        }
        Value::List(items) => Value::List(items.iter().map(|item| rewrite(scope, item)).collect()),
        Value::Set(items) => Value::Set(items.iter().map(|item| rewrite(scope, item)).collect()),
        Value::Map(map) => Value::Map(
            map.iter()
                .map(|(key, item)| (key.clone(), rewrite(scope, item)))
                .collect(),
        ),
        Value::KeepLive(item, why) => Value::KeepLive(Box::new(rewrite(scope, item)), *why),
        other => other.clone(),
    }
}

/// A string of the manifest as a value: itself, or a template when it holds references
/// (text only when every part is known already).
pub fn template(manifest: &Manifest, env: &Env, kinds: &Kinds<'_>, text: &str) -> Value {
    let mut pieces: Vec<Value> = Vec::new();
    for part in parts(text) {
        let more = match part {
            Part::Text(literal) => vec![Value::Str(literal)],
            Part::Ref(reference) => attribute(manifest, env, kinds, &reference),
            // `manifest::refs::check` refused it already.
            Part::Malformed(inner) => vec![Value::Str(format!("${{{inner}}}"))],
        };
        for piece in more {
            match (pieces.last_mut(), piece) {
                (Some(Value::Str(last)), Value::Str(next)) => last.push_str(&next),
                (_, piece) => pieces.push(piece),
            }
        }
    }
    match pieces.as_slice() {
        [] => Value::str(""),
        [Value::Str(only)] => Value::Str(only.clone()),
        _ => Value::Template(pieces),
    }
}

/// What one reference stands for: a reference to the resource's physical id or one of its
/// attributes, or literal text the manifest knows.
fn attribute(
    manifest: &Manifest,
    env: &Env,
    kinds: &Kinds<'_>,
    reference: &Reference,
) -> Vec<Value> {
    let Reference {
        section,
        key,
        attribute,
    } = reference;
    let literal = |text: &str| vec![Value::str(text)];
    let found = kinds
        .iter()
        .find(|(known, _)| *known == section)
        .and_then(|(_, kind)| kind.reference(manifest, env, key, attribute));
    // Checked before lowering (`manifest::refs::check`): a miss here is a declared
    // resource the section's decoding dropped, already reported.
    found.unwrap_or_else(|| literal(&reference.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::refs::{CLOSE, OPEN};

    #[test]
    fn references_to_live_attributes_become_templates() {
        let manifest = crate::manifest::parse(
            "m.yaml",
            "stack: demo\nregion: eu-west-1\nnetwork:\n  cidr: 10.0.0.0/16\n  zones: 2\n  subnets:\n    public: [10.0.0.0/24, 10.0.1.0/24]\n",
            &Default::default(),
        )
        .unwrap();
        let env = Env {
            region: "eu-west-1".into(),
            zones: Vec::new(),
        };
        let marked = |text: &str| {
            text.replace("${", &OPEN.to_string())
                .replace('}', &CLOSE.to_string())
        };
        let subnet = |index| Value::Ref(crate::aws::ids::subnet_id("public", index));
        /// A kind answering for its section's references as the network does.
        struct Subnets;
        impl crate::Lowering for Subnets {
            fn desired(&self, _: &Manifest, _: &Env, _: &mut crate::uses::Uses) -> Vec<Desired> {
                Vec::new()
            }
            fn reference(&self, _: &Manifest, _: &Env, _: &str, _: &str) -> Option<Vec<Value>> {
                let subnet = |index| Value::Ref(crate::aws::ids::subnet_id("public", index));
                Some(vec![subnet(0), Value::str(","), subnet(1)])
            }
        }
        assert_eq!(
            template(
                &manifest,
                &env,
                &[("network", &Subnets)],
                &marked("subnets=${network.public.ids};")
            ),
            Value::Template(vec![
                Value::str("subnets="),
                subnet(0),
                Value::str(","),
                subnet(1),
                Value::str(";"),
            ])
        );
        // A section no kind answers for stays as written (the manifest's checks refuse
        // it before lowering).
        assert_eq!(
            template(
                &manifest,
                &env,
                &[],
                &marked("${load_balancers.alb.dns_name}")
            ),
            Value::str("${load_balancers.alb.dns_name}")
        );
    }
}
