//! What the sections a registered kind decodes itself (`kinds/`) decoded, kept for the
//! kind's lowering ([`Sections`]); the manifest reads them through `schema::Section`, and
//! never names them.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a section decoded, as its kind's own type.
pub type Decoded = Arc<dyn Any + Send + Sync>;

/// The entries a section decoded as a list of `T` (a section of named entries): what its
/// `Section` methods read of their own decoding; none when it is not one.
pub fn entries<T: Any>(decoded: &Decoded) -> &[T] {
    decoded.downcast_ref::<Vec<T>>().map_or(&[], Vec::as_slice)
}

/// What each registered section decoded, by its key.
#[derive(Clone, Default)]
pub struct Sections(BTreeMap<&'static str, Decoded>);

impl Sections {
    pub fn insert(&mut self, key: &'static str, decoded: Decoded) {
        self.0.insert(key, decoded);
    }

    /// What the section `key` decoded, when the manifest has it and it is a `T`.
    pub fn get<T: Any>(&self, key: &str) -> Option<&T> {
        self.0.get(key)?.downcast_ref()
    }

    /// The entries the section `key` decoded as a list of `T` (a section of named
    /// entries); none when the manifest has no such section.
    pub fn list<T: Any>(&self, key: &str) -> &[T] {
        self.get::<Vec<T>>(key).map_or(&[], Vec::as_slice)
    }
}

impl std::fmt::Debug for Sections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// Two manifests are equal where they decoded the same sections to the same values (each
/// section's value is compared as the one shared decoding).
impl PartialEq for Sections {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(&other.0)
                .all(|((a, x), (b, y))| a == b && Arc::ptr_eq(x, y))
    }
}
