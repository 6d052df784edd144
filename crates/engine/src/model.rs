//! What the engine reasons about: resources by logical id, their properties as plain
//! values, and how a property's change is applied (in place, or by replacement).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

/// A resource's logical id, `<kind>.<name>` (`subnet.public-1`) or just `<kind>` (`vpc`).
/// It is stored on the resource as the `edgectl:id` tag.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ResourceId(String);

impl ResourceId {
    pub fn new(kind: &str, name: &str) -> Self {
        Self(format!("{kind}.{name}"))
    }

    pub fn singleton(kind: &str) -> Self {
        Self(kind.to_string())
    }

    pub fn parse(text: &str) -> Self {
        Self(text.to_string())
    }

    pub fn kind(&self) -> &str {
        self.0
            .split_once('.')
            .map_or(self.0.as_str(), |(kind, _)| kind)
    }

    /// One of the resource's attributes as a reference of its own (`database.main@endpoint`):
    /// another resource refers to it like to a physical id, and it is known, like one,
    /// once the resource exists (observed, or published by its create).
    pub fn attribute(&self, name: &str) -> Self {
        Self(format!("{}@{name}", self.0))
    }

    /// The resource an attribute belongs to (itself for a plain id).
    pub fn owner(&self) -> Self {
        self.0
            .split_once('@')
            .map_or_else(|| self.clone(), |(owner, _)| Self(owner.to_string()))
    }

    /// The part after the kind (`public-1` in `subnet.public-1`), or the kind itself.
    pub fn name(&self) -> &str {
        self.0
            .split_once('.')
            .map_or(self.0.as_str(), |(_, name)| name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a value keeps the live one (see [`Value::KeepLive`]), for the plan's note.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Why(pub &'static str);

/// A property value, normalised so that equal meaning compares equal.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    /// Another resource of the stack, by logical id.
    Ref(ResourceId),
    /// A physical id no resource of the stack has (something edgectl does not own).
    Phys(String),
    /// A value that exists only once apply has created something.
    Unknown,
    List(Vec<Value>),
    Set(BTreeSet<Value>),
    /// The live value when there is one, else this one: a container image whose tag came
    /// from a variable's default keeps the image a service runs now (CI owns the tag).
    /// The second part says why, for the plan's note.
    #[serde(skip)]
    KeepLive(Box<Value>, Why),
    /// Whatever AWS chose when the manifest left it unsaid (the key of an encryption
    /// AWS manages): any live value matches, and a create sends nothing.
    #[serde(skip)]
    AwsDefault,
    Map(BTreeMap<String, Value>),
    /// Text built from literal parts (`Str`) and other resources' physical ids or
    /// attributes (`Ref`): `"https://" + distribution.cdn@domain_name`. Compared as the
    /// text it makes once every part is known ([`Value::render`]); an operation sees only
    /// that text (the walk renders it when the parts exist).
    Template(Vec<Value>),
}

impl Value {
    pub fn str(text: impl Into<String>) -> Self {
        Value::Str(text.into())
    }

    pub fn map<const N: usize>(entries: [(&str, Value); N]) -> Self {
        Value::Map(
            entries
                .into_iter()
                .map(|(key, value)| (key.to_string(), value))
                .collect(),
        )
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(map) => Some(map),
            _ => None,
        }
    }

    pub fn items(&self) -> Box<dyn Iterator<Item = &Value> + '_> {
        match self {
            Value::Set(set) => Box::new(set.iter()),
            Value::List(list) => Box::new(list.iter()),
            _ => Box::new(std::iter::empty()),
        }
    }

    /// Every resource this value refers to, at any depth.
    pub fn refs(&self, out: &mut Vec<ResourceId>) {
        match self {
            // An attribute orders after its resource.
            Value::Ref(id) => out.push(id.owner()),
            Value::List(items) => items.iter().for_each(|item| item.refs(out)),
            Value::Set(items) => items.iter().for_each(|item| item.refs(out)),
            Value::Map(map) => map.values().for_each(|item| item.refs(out)),
            Value::KeepLive(item, _) => item.refs(out),
            Value::Template(parts) => parts.iter().for_each(|part| part.refs(out)),
            _ => {}
        }
    }

    /// Whether a template is left anywhere in the value.
    pub fn has_template(&self) -> bool {
        match self {
            Value::Template(_) => true,
            Value::List(items) => items.iter().any(Value::has_template),
            Value::Set(items) => items.iter().any(Value::has_template),
            Value::Map(map) => map.values().any(Value::has_template),
            Value::KeepLive(item, _) => item.has_template(),
            _ => false,
        }
    }

    /// Every template whose parts are all known (through `known`, a physical id or
    /// attribute by logical id) as the text it makes; the others as they are.
    pub fn render(&self, known: &dyn Fn(&ResourceId) -> Option<String>) -> Value {
        match self {
            Value::Template(parts) => {
                let mut text = String::new();
                for part in parts {
                    match part {
                        Value::Str(literal) => text.push_str(literal),
                        Value::Ref(id) => match known(id) {
                            Some(value) => text.push_str(&value),
                            None => return self.clone(),
                        },
                        _ => return self.clone(),
                    }
                }
                Value::Str(text)
            }
            Value::List(items) => {
                Value::List(items.iter().map(|item| item.render(known)).collect())
            }
            Value::Set(items) => Value::Set(items.iter().map(|item| item.render(known)).collect()),
            Value::Map(map) => Value::Map(
                map.iter()
                    .map(|(key, item)| (key.clone(), item.render(known)))
                    .collect(),
            ),
            Value::KeepLive(item, why) => Value::KeepLive(Box::new(item.render(known)), *why),
            other => other.clone(),
        }
    }

    /// Settles `KeepLive` parts against the live value `old`; returns why, when a part
    /// kept a live value different from its fallback.
    pub fn settle(&self, old: &Value) -> (Value, Option<&'static str>) {
        match (self, old) {
            (Value::KeepLive(fallback, _), Value::Null | Value::Unknown) => {
                ((**fallback).clone(), None)
            }
            (Value::KeepLive(fallback, why), live) => {
                (live.clone(), (**fallback != *live).then_some(why.0))
            }
            (Value::AwsDefault, live) => (live.clone(), None),
            (Value::Map(map), Value::Map(live)) => {
                let mut kept = None;
                let settled = map
                    .iter()
                    .map(|(key, item)| {
                        let (value, kept_here) = item.settle(live.get(key).unwrap_or(&Value::Null));
                        kept = kept.or(kept_here);
                        (key.clone(), value)
                    })
                    .collect();
                (Value::Map(settled), kept)
            }
            (Value::List(items), Value::List(live)) => {
                let mut kept = None;
                let settled = items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| {
                        let (value, kept_here) =
                            item.settle(live.get(index).unwrap_or(&Value::Null));
                        kept = kept.or(kept_here);
                        value
                    })
                    .collect();
                (Value::List(settled), kept)
            }
            (other, _) => (other.settle_fallback(), None),
        }
    }

    /// The value with every `KeepLive` replaced by its fallback (nothing live to keep).
    fn settle_fallback(&self) -> Value {
        match self {
            Value::KeepLive(fallback, _) => fallback.settle_fallback(),
            Value::AwsDefault => Value::Null,
            Value::List(items) => Value::List(items.iter().map(Value::settle_fallback).collect()),
            Value::Map(map) => Value::Map(
                map.iter()
                    .map(|(key, item)| (key.clone(), item.settle_fallback()))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Replaces references to `id` by `Unknown` (its physical id is about to change).
    pub fn forget(&self, id: &ResourceId) -> Value {
        match self {
            Value::Ref(other) if other.owner() == *id => Value::Unknown,
            Value::List(items) => Value::List(items.iter().map(|item| item.forget(id)).collect()),
            Value::Template(parts) => {
                Value::Template(parts.iter().map(|part| part.forget(id)).collect())
            }
            Value::Set(items) => Value::Set(items.iter().map(|item| item.forget(id)).collect()),
            Value::Map(map) => Value::Map(
                map.iter()
                    .map(|(key, item)| (key.clone(), item.forget(id)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Turns physical ids that belong to the stack into references.
    pub fn resolve(&mut self, index: &BTreeMap<String, ResourceId>) {
        match self {
            Value::Phys(physical) => {
                if let Some(id) = index.get(physical.as_str()) {
                    *self = Value::Ref(id.clone());
                }
            }
            Value::List(items) => items.iter_mut().for_each(|item| item.resolve(index)),
            Value::Set(items) => {
                *items = std::mem::take(items)
                    .into_iter()
                    .map(|mut item| {
                        item.resolve(index);
                        item
                    })
                    .collect();
            }
            Value::Map(map) => map.values_mut().for_each(|item| item.resolve(index)),
            _ => {}
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("(none)"),
            Value::Bool(flag) => write!(f, "{flag}"),
            Value::Int(number) => write!(f, "{number}"),
            Value::Str(text) => write!(f, "{text:?}"),
            Value::Ref(id) => write!(f, "{id}"),
            Value::Phys(physical) => write!(f, "{physical} (not in this stack)"),
            Value::Unknown => f.write_str("(known after apply)"),
            Value::KeepLive(fallback, _) => write!(f, "{fallback} (unless live)"),
            Value::AwsDefault => f.write_str("(AWS default)"),
            Value::Template(parts) => {
                f.write_str("\"")?;
                for part in parts {
                    match part {
                        Value::Str(text) => {
                            let quoted = format!("{text:?}");
                            f.write_str(&quoted[1..quoted.len() - 1])?;
                        }
                        Value::Ref(id) => write!(f, "${{{id}}}")?,
                        other => write!(f, "${{{other}}}")?,
                    }
                }
                f.write_str("\"")?;
                if parts.iter().all(|part| matches!(part, Value::Str(_))) {
                    Ok(())
                } else {
                    f.write_str(" (known after apply)")
                }
            }
            Value::List(_) | Value::Set(_) => {
                f.write_str("[")?;
                for (index, item) in self.items().enumerate() {
                    if index > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Map(map) => {
                f.write_str("{")?;
                for (index, (key, item)) in map.iter().enumerate() {
                    if index > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{key}: {item}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// How a change to a property reaches AWS, and what a reference in it means for ordering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Updated in place; a reference here does not stop the referenced resource's deletion.
    InPlace,
    /// Updated in place, but while it refers to a resource that resource cannot be deleted
    /// (a security group named in another group's rule): replacing the referenced resource
    /// replaces this one, so the reference is removed first.
    Blocking,
    /// Immutable: a change replaces the resource.
    Replace,
}

impl Mode {
    /// Whether a reference held in a property of this mode must be removed before the
    /// referenced resource can be deleted.
    pub fn blocks_delete(self) -> bool {
        matches!(self, Mode::Blocking | Mode::Replace)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub value: Value,
    pub mode: Mode,
}

pub type Props = BTreeMap<String, Field>;

/// Builds a property map: `props([("cidr", Value::str(..), Mode::Replace)])`.
pub fn props<const N: usize>(entries: [(&str, Value, Mode); N]) -> Props {
    entries
        .into_iter()
        .map(|(name, value, mode)| (name.to_string(), Field { value, mode }))
        .collect()
}

/// A dependency: `id` must exist before this resource, and (when `blocking`) this resource
/// must be gone or no longer refer to it before `id` is deleted.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dep {
    pub id: ResourceId,
    pub blocking: bool,
}

/// Dependencies implied by the references in `props`, plus explicit ordering-only ones.
pub fn deps_of(props: &Props, after: &[ResourceId]) -> Vec<Dep> {
    let mut deps: BTreeMap<ResourceId, bool> = after.iter().map(|id| (id.clone(), true)).collect();
    for field in props.values() {
        let mut refs = Vec::new();
        field.value.refs(&mut refs);
        for id in refs {
            let blocking = deps.entry(id).or_insert(false);
            *blocking |= field.mode.blocks_delete();
        }
    }
    deps.into_iter()
        .map(|(id, blocking)| Dep { id, blocking })
        .collect()
}

/// What the manifest asks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Desired {
    pub id: ResourceId,
    pub props: Props,
    /// Resources that must exist first although no property refers to them
    /// (a NAT gateway needs the VPC's internet gateway attached).
    pub after: Vec<ResourceId>,
}

impl Desired {
    pub fn deps(&self) -> Vec<Dep> {
        deps_of(&self.props, &self.after)
    }

    pub fn value(&self, name: &str) -> &Value {
        self.props
            .get(name)
            .map_or(&Value::Null, |field| &field.value)
    }
}

/// The key of `Observed::extra` under which a kind says something a plan should show of
/// a live resource that is no change (an email subscription waiting for confirmation).
pub const NOTE: &str = "note";

/// What is live in AWS, found by the stack's ownership tags.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    pub id: ResourceId,
    pub physical_id: String,
    pub props: Props,
    pub after: Vec<ResourceId>,
    /// Why the live resource cannot be kept (a failed NAT gateway): it is replaced.
    pub broken: Option<String>,
    /// Adapter-private details needed to update or delete (association ids, ...).
    pub extra: BTreeMap<String, String>,
    /// Of several live resources with one logical id, one the stack can do without (a KMS
    /// key a killed apply left without its alias): the diff keeps another.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub spare: bool,
    /// What other resources may refer to besides the physical id (a database's endpoint
    /// and managed secret), as [`ResourceId::attribute`] references.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    /// Marked `retain: true` where it lives (how, the kind's side knows: `aws::tags`):
    /// destroy and removal from the manifest leave it in place.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retained: bool,
}

impl Observed {
    pub fn new(id: ResourceId, physical_id: impl Into<String>, props: Props) -> Self {
        Self {
            id,
            physical_id: physical_id.into(),
            props,
            after: Vec::new(),
            broken: None,
            extra: BTreeMap::new(),
            spare: false,
            attributes: BTreeMap::new(),
            retained: false,
        }
    }

    pub fn deps(&self) -> Vec<Dep> {
        deps_of(&self.props, &self.after)
    }

    pub fn value(&self, name: &str) -> &Value {
        self.props
            .get(name)
            .map_or(&Value::Null, |field| &field.value)
    }

    /// The resource without what its kind says of it for people ([`NOTE`]: a rollout in
    /// progress counting its tasks), which changes while the resource does not: what a
    /// saved plan compares and fingerprints.
    pub fn without_note(&self) -> Self {
        let mut quiet = self.clone();
        quiet.extra.remove(NOTE);
        quiet
    }

    /// A detail its kind recorded when it read the resource (an ARN, a name): an error
    /// when absent, never an empty string acted on.
    pub fn detail(&self, key: &str) -> Result<&str, super::error::Error> {
        self.extra.get(key).map(String::as_str).ok_or_else(|| {
            super::error::Error::new(
                super::error::ErrorKind::Other,
                "read",
                format!("`{}` was read without its `{key}`", self.id),
            )
        })
    }
}

/// Every id a live reference may name: each resource's physical id, and its attributes
/// (see [`ResourceId::attribute`]).
pub fn live_ids<'a>(observed: impl IntoIterator<Item = &'a Observed>) -> Vec<(ResourceId, String)> {
    observed
        .into_iter()
        .flat_map(|resource| {
            std::iter::once((resource.id.clone(), resource.physical_id.clone())).chain(
                resource
                    .attributes
                    .iter()
                    .map(|(name, value)| (resource.id.attribute(name), value.clone())),
            )
        })
        .collect()
}

/// What an operation does to its resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Create,
    Update,
    Delete,
}

impl Phase {
    pub fn verb(self) -> (&'static str, &'static str) {
        match self {
            Phase::Create => ("creating", "created"),
            Phase::Update => ("updating", "updated"),
            Phase::Delete => ("deleting", "deleted"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_renders_once_its_parts_are_known() {
        let balancer = ResourceId::new("load_balancer", "alb");
        let template = Value::Template(vec![
            Value::str("http://"),
            Value::Ref(balancer.attribute("dns_name")),
            Value::str("/api"),
        ]);
        let mut refs = Vec::new();
        template.refs(&mut refs);
        assert_eq!(refs, std::slice::from_ref(&balancer));
        let nothing = |_: &ResourceId| None;
        assert_eq!(template.render(&nothing), template);
        assert_eq!(
            template.to_string(),
            "\"http://${load_balancer.alb@dns_name}/api\" (known after apply)"
        );
        let live = |id: &ResourceId| {
            (id.as_str() == "load_balancer.alb@dns_name")
                .then(|| "alb-1.elb.amazonaws.com".to_string())
        };
        let map = Value::map([("URL", template.clone())]);
        assert_eq!(
            map.render(&live),
            Value::map([("URL", Value::str("http://alb-1.elb.amazonaws.com/api"))])
        );
        assert!(map.has_template() && !map.render(&live).has_template());
        // Replacing the load balancer leaves the template unknown whatever is live.
        let forgotten = template.forget(&balancer);
        assert_eq!(forgotten.render(&live), forgotten);
    }

    #[test]
    fn an_attribute_orders_after_its_resource_and_reads_back_as_itself() {
        let database = ResourceId::new("database", "main");
        let endpoint = database.attribute("endpoint");
        assert_eq!(endpoint.as_str(), "database.main@endpoint");
        assert_eq!(endpoint.owner(), database);

        let value = Value::map([("host", Value::Ref(endpoint.clone()))]);
        let mut refs = Vec::new();
        value.refs(&mut refs);
        assert_eq!(refs, std::slice::from_ref(&database));
        // Replacing the database makes its attributes unknown.
        assert_eq!(
            value.forget(&database),
            Value::map([("host", Value::Unknown)])
        );

        // A live physical id reads as the reference only as `Phys` (text equal to a
        // resource's id or attribute stays text: a template renders to compare with it).
        let index: BTreeMap<String, ResourceId> = [
            ("db.example.com".to_string(), endpoint.clone()),
            ("main".to_string(), database.clone()),
        ]
        .into();
        let mut live = Value::List(vec![
            Value::str("db.example.com"),
            Value::Phys("main".into()),
        ]);
        live.resolve(&index);
        assert_eq!(
            live,
            Value::List(vec![
                Value::str("db.example.com"),
                Value::Ref(database.clone())
            ])
        );
    }
}
