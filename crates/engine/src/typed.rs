//! A kind's properties as a Rust type: declared once with [`properties!`](crate::properties),
//! built by the kind's lowering and its observe, read by its adapter. The engine keeps
//! working on the generic [`Props`] (the diff, plan files, the renderer); the conversion
//! both ways is generated per kind, and reading back fails with an error naming the
//! property, never a default. A misspelt property is a compile error.

use std::collections::{BTreeMap, BTreeSet};

use super::error::{Error, ErrorKind};
use super::model::{Field, Mode, Props, Value};

/// A property that is not what its kind declares: absent, or of another type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    pub property: String,
    pub expected: &'static str,
    pub found: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "property `{}` is {}, not {}",
            self.property, self.found, self.expected
        )
    }
}

impl From<Mismatch> for Error {
    fn from(mismatch: Mismatch) -> Self {
        Error::new(ErrorKind::Other, "read properties", mismatch.to_string())
    }
}

/// A value a typed property may hold, and how it reads as the engine's [`Value`].
pub trait Prop: Sized {
    /// What the type is called in an error ("a string").
    const EXPECTED: &'static str;

    fn into_value(self) -> Value;

    /// `None` when `value` is not of this type.
    fn from_value(value: &Value) -> Option<Self>;
}

impl Prop for String {
    const EXPECTED: &'static str = "a string";

    fn into_value(self) -> Value {
        Value::Str(self)
    }

    fn from_value(value: &Value) -> Option<Self> {
        value.as_str().map(str::to_string)
    }
}

impl Prop for bool {
    const EXPECTED: &'static str = "a flag";

    fn into_value(self) -> Value {
        Value::Bool(self)
    }

    fn from_value(value: &Value) -> Option<Self> {
        value.as_bool()
    }
}

impl Prop for i64 {
    const EXPECTED: &'static str = "a number";

    fn into_value(self) -> Value {
        Value::Int(self)
    }

    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Int(number) => Some(*number),
            _ => None,
        }
    }
}

impl Prop for u32 {
    const EXPECTED: &'static str = "a number from 0 to 4294967295";

    fn into_value(self) -> Value {
        Value::Int(i64::from(self))
    }

    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Int(number) => u32::try_from(*number).ok(),
            _ => None,
        }
    }
}

/// Any value, kept as the engine has it: a reference to another resource, or what only
/// the adapter interprets.
impl Prop for Value {
    const EXPECTED: &'static str = "a value";

    fn into_value(self) -> Value {
        self
    }

    fn from_value(value: &Value) -> Option<Self> {
        Some(value.clone())
    }
}

/// Absent is `Null`.
impl<T: Prop> Prop for Option<T> {
    const EXPECTED: &'static str = T::EXPECTED;

    fn into_value(self) -> Value {
        self.map_or(Value::Null, Prop::into_value)
    }

    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Null => Some(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// In order: a list.
impl<T: Prop> Prop for Vec<T> {
    const EXPECTED: &'static str = "a list";

    fn into_value(self) -> Value {
        Value::List(self.into_iter().map(Prop::into_value).collect())
    }

    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::List(items) => items.iter().map(T::from_value).collect(),
            _ => None,
        }
    }
}

/// Without order: a set.
impl<T: Prop + Ord> Prop for BTreeSet<T> {
    const EXPECTED: &'static str = "a set";

    fn into_value(self) -> Value {
        Value::Set(self.into_iter().map(Prop::into_value).collect())
    }

    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Set(items) => items.iter().map(T::from_value).collect(),
            _ => None,
        }
    }
}

impl<T: Prop> Prop for BTreeMap<String, T> {
    const EXPECTED: &'static str = "a map";

    fn into_value(self) -> Value {
        Value::Map(
            self.into_iter()
                .map(|(key, item)| (key, item.into_value()))
                .collect(),
        )
    }

    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Map(map) => map
                .iter()
                .map(|(key, item)| Some((key.clone(), T::from_value(item)?)))
                .collect(),
            _ => None,
        }
    }
}

/// A kind's properties: the struct [`properties!`](crate::properties) declares.
pub trait Properties: Sized {
    fn into_props(self) -> Props;

    /// The properties read back from the engine's map: an error naming the first one that
    /// is absent or of another type.
    fn from_props(props: &Props) -> Result<Self, Mismatch>;
}

/// One property of `props`, as its declared type.
pub fn read<T: Prop>(props: &Props, name: &str) -> Result<T, Mismatch> {
    let mismatch = |found: String| Mismatch {
        property: name.to_string(),
        expected: T::EXPECTED,
        found,
    };
    match props.get(name) {
        Some(field) => {
            T::from_value(&field.value).ok_or_else(|| mismatch(format!("`{}`", field.value)))
        }
        // Absent reads as `Null`: `None` for an `Option`, a mismatch for anything else.
        None => T::from_value(&Value::Null).ok_or_else(|| mismatch("absent".to_string())),
    }
}

/// One property as the engine keeps it.
pub fn field<T: Prop>(value: T, mode: Mode) -> Field {
    Field {
        value: value.into_value(),
        mode,
    }
}

/// Declares a kind's properties once, as a struct, each field with how its change reaches
/// AWS (`InPlace`, `Blocking`, `Replace`; see [`Mode`]) and, where the engine's name is
/// one Rust keeps (`type`), that name (`pub kind as "type": String => Replace`), and
/// implements [`Properties`]
/// for it; and a struct of flags (`changes: ...`) saying which of them a plan's step
/// changes (`DashboardProps::changed(changes).widgets`), so that an update names what
/// changed by field, not by string. A property only some resources of the kind have is
/// `Option<T> => Mode (optional)`: left out of the map when `None`, so that plans do not
/// show it as `(none)` on the others.
///
/// ```ignore
/// properties! {
///     /// A CloudWatch dashboard.
///     pub struct DashboardProps (changes: DashboardChanges) {
///         pub name: String => Replace,
///         pub widgets: Vec<Value> => InPlace,
///     }
/// }
/// ```
#[macro_export]
macro_rules! properties {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident (changes: $changes:ident) {
            $(
                $(#[$field_meta:meta])*
                $field_vis:vis $field:ident $(as $key:literal)? : $type:ty => $mode:ident
                    $(($optional:ident))?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        $vis struct $name {
            $(
                $(#[$field_meta])*
                $field_vis $field: $type,
            )*
        }

        /// Which properties a plan's step changes.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        #[allow(dead_code, reason = "a kind reads the flags its update acts on")]
        $vis struct $changes {
            $(pub $field: bool,)*
        }

        impl $changes {
            /// The names of the properties flagged, in the order declared (for people:
            /// a plan's note on what waits).
            #[allow(dead_code, reason = "a kind that says nothing of its changes reads none")]
            pub fn names(&self) -> Vec<&'static str> {
                let mut names = Vec::new();
                $(
                    if self.$field {
                        names.push($crate::__property_key!($field $(, $key)?));
                    }
                )*
                names
            }
        }

        impl $name {
            /// Which of these properties `changes` (a step's) touch.
            #[allow(dead_code, reason = "a kind without updates reads none")]
            pub fn changed(changes: &[$crate::diff::Change]) -> $changes {
                let mut changed = $changes::default();
                for change in changes {
                    $(
                        if change.field == $crate::__property_key!($field $(, $key)?) {
                            changed.$field = true;
                        }
                    )*
                }
                changed
            }
        }

        impl $crate::typed::Properties for $name {
            fn into_props(self) -> $crate::model::Props {
                let mut props = $crate::model::Props::new();
                $(
                    let field = $crate::typed::field(self.$field, $crate::model::Mode::$mode);
                    if !($crate::__property_optional!($($optional)?)
                        && field.value == $crate::model::Value::Null)
                    {
                        props.insert(
                            $crate::__property_key!($field $(, $key)?).to_string(),
                            field,
                        );
                    }
                )*
                props
            }

            fn from_props(
                props: &$crate::model::Props,
            ) -> Result<Self, $crate::typed::Mismatch> {
                Ok(Self {
                    $($field: $crate::typed::read(
                        props,
                        $crate::__property_key!($field $(, $key)?),
                    )?,)*
                })
            }
        }
    };
}

/// Whether a property is left out of the engine's map when `None` (`=> InPlace (optional)`):
/// one only some resources of a kind have, which a plan should not show as `(none)` on
/// the others. Absent reads back as `None`.
#[doc(hidden)]
#[macro_export]
macro_rules! __property_optional {
    () => {
        false
    };
    (optional) => {
        true
    };
}

/// The name a property has in the engine's map: its field's, or the one `as "..."` gives
/// (a name Rust keeps for itself, `type`).
#[doc(hidden)]
#[macro_export]
macro_rules! __property_key {
    ($field:ident) => {
        stringify!($field)
    };
    ($field:ident, $key:literal) => {
        $key
    };
}

/// Declares a value inside a property (a capacity provider's weight and base), as a
/// struct read and written as the engine's map of its fields, and implements [`Prop`] for
/// it. A field may take its map name with `as "..."`, as in
/// [`properties!`](crate::properties); an `Option` field that is `None` is `Null` in the
/// map, or left out of it when marked `=> optional` (a field only some variants have: a
/// WAF rule's rate limit, a redirect's status). A field absent from the map reads as
/// `Null`. Ordered, so that a set of them compares as the engine's set does.
#[macro_export]
macro_rules! record {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[$field_meta:meta])*
                $field_vis:vis $field:ident $(as $key:literal)? : $type:ty
                    $(=> $optional:ident)?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
        $vis struct $name {
            $(
                $(#[$field_meta])*
                $field_vis $field: $type,
            )*
        }

        impl $crate::typed::Prop for $name {
            const EXPECTED: &'static str = concat!("a map of ", stringify!($($field),*));

            fn into_value(self) -> $crate::model::Value {
                let mut map = ::std::collections::BTreeMap::new();
                $(
                    let value = $crate::typed::Prop::into_value(self.$field);
                    if !($crate::__property_optional!($($optional)?)
                        && value == $crate::model::Value::Null)
                    {
                        map.insert($crate::__property_key!($field $(, $key)?).to_string(), value);
                    }
                )*
                $crate::model::Value::Map(map)
            }

            /// A field absent from the map reads as `Null`: `None` for an `Option`, a
            /// mismatch for anything else.
            fn from_value(value: &$crate::model::Value) -> Option<Self> {
                let map = value.as_map()?;
                let null = $crate::model::Value::Null;
                Some(Self {
                    $($field: $crate::typed::Prop::from_value(
                        map.get($crate::__property_key!($field $(, $key)?)).unwrap_or(&null),
                    )?,)*
                })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ResourceId;

    crate::properties! {
        /// What a test kind declares.
        struct Sample (changes: SampleChanges) {
            name: String => Replace,
            enabled: bool => InPlace,
            size: u32 => InPlace,
            subnets: BTreeSet<Value> => Blocking,
            rules: Vec<BTreeMap<String, String>> => InPlace,
            description: Option<String> => InPlace,
            kind as "type": String => Replace,
            label: Option<String> => InPlace (optional),
        }
    }

    crate::record! {
        struct Rule {
            port: i64,
            from: String,
            note: Option<String> => optional,
            kind as "type": Option<String>,
        }
    }

    #[test]
    fn a_record_reads_back_from_its_map_and_nothing_else() {
        let rule = Rule {
            port: 443,
            from: "alb".into(),
            note: None,
            kind: None,
        };
        // A `None` is `Null` in the map, or absent from it when `=> optional`; either
        // reads back as `None`.
        let value = rule.clone().into_value();
        assert_eq!(
            value,
            Value::map([
                ("from", Value::str("alb")),
                ("port", Value::Int(443)),
                ("type", Value::Null)
            ])
        );
        assert_eq!(Rule::from_value(&value), Some(rule.clone()));
        assert_eq!(
            Rule::from_value(&Value::map([
                ("from", Value::str("alb")),
                ("port", Value::Int(443))
            ])),
            Some(rule)
        );
        let noted = Value::map([
            ("from", Value::str("alb")),
            ("note", Value::str("public")),
            ("port", Value::Int(443)),
            ("type", Value::str("ingress")),
        ]);
        let noted_rule = Rule::from_value(&noted).unwrap();
        assert_eq!(noted_rule.note.as_deref(), Some("public"));
        // `kind as "type"`: read and written under the map's name.
        assert_eq!(noted_rule.kind.as_deref(), Some("ingress"));
        assert_eq!(noted_rule.into_value(), noted);
        assert_eq!(
            Rule::from_value(&Value::map([("port", Value::Int(443))])),
            None
        );
        let mut props = Props::new();
        props.insert("rules".into(), field(vec![Value::str("x")], Mode::InPlace));
        assert_eq!(
            read::<BTreeSet<Rule>>(&props, "rules")
                .unwrap_err()
                .to_string(),
            "property `rules` is `[\"x\"]`, not a set"
        );
    }

    fn sample() -> Sample {
        Sample {
            name: "web".into(),
            enabled: true,
            size: 20,
            subnets: [Value::Ref(ResourceId::new("subnet", "private-1"))].into(),
            rules: vec![[("port".to_string(), "443".to_string())].into()],
            description: None,
            kind: "CNAME".into(),
            label: None,
        }
    }

    #[test]
    fn properties_round_trip_through_the_engine_s_map() {
        let props = sample().into_props();
        assert_eq!(props["name"].mode, Mode::Replace);
        assert_eq!(props["subnets"].mode, Mode::Blocking);
        assert_eq!(props["description"].value, Value::Null);
        assert_eq!(Sample::from_props(&props), Ok(sample()));
        // `kind as "type"`: the engine's name for it, one Rust keeps.
        assert_eq!(props["type"].value, Value::str("CNAME"));
        // `(optional)`: a `None` left out of the map, read back as `None`; a value kept.
        assert!(!props.contains_key("label"));
        let labelled = Sample {
            label: Some("edge".into()),
            ..sample()
        };
        let labelled_props = labelled.clone().into_props();
        assert_eq!(labelled_props["label"].value, Value::str("edge"));
        assert_eq!(Sample::from_props(&labelled_props), Ok(labelled));
        assert_eq!(
            props.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "description",
                "enabled",
                "name",
                "rules",
                "size",
                "subnets",
                "type"
            ]
        );
    }

    #[test]
    fn a_step_s_changes_read_as_flags_by_field() {
        let change = |field: &str| crate::diff::Change {
            field: field.into(),
            old: Value::Int(10),
            new: Value::Int(20),
            forces_replacement: false,
        };
        let changed = Sample::changed(&[change("size"), change("type")]);
        assert!(changed.size && changed.kind && !changed.name && !changed.rules);
        assert_eq!(changed.names(), ["size", "type"]);
    }

    #[test]
    fn a_property_absent_or_of_another_type_is_an_error_never_a_default() {
        let mut props = sample().into_props();
        props.remove("name");
        assert_eq!(
            Sample::from_props(&props).unwrap_err().to_string(),
            "property `name` is absent, not a string"
        );
        let mut props = sample().into_props();
        props.get_mut("size").unwrap().value = Value::Int(-1);
        assert_eq!(
            Sample::from_props(&props).unwrap_err().to_string(),
            "property `size` is `-1`, not a number from 0 to 4294967295"
        );
        let mut props = sample().into_props();
        props.get_mut("rules").unwrap().value = Value::List(vec![Value::str("443")]);
        assert_eq!(
            Sample::from_props(&props).unwrap_err().property,
            "rules".to_string()
        );
    }
}
