//! Reads that a kind built outside this crate (`kinds/`) shares between its adapters, one
//! value per type, made on first use and dropped with the command's [`super::Reads`]
//! (afresh for `converge`). A kind keeps its `OnceCell`s in a type of its own and asks
//! for it: `cx.reads.kinds.get::<NamespaceReads>()`; nothing here knows the kinds.

use std::any::{Any, TypeId};
use std::sync::OnceLock;

/// How many kinds may keep reads at once; a kind past it is a programming error, said at
/// its first read.
const SLOTS: usize = 32;

type Slot = OnceLock<(TypeId, Box<dyn Any + Send + Sync>)>;

pub struct KindReads {
    slots: Box<[Slot]>,
}

impl Default for KindReads {
    fn default() -> Self {
        Self {
            slots: (0..SLOTS).map(|_| OnceLock::new()).collect(),
        }
    }
}

impl KindReads {
    /// The reads of type `T`, made empty on first use. Slots fill in order and never
    /// empty, so two first uses at once (of the same type or not) each find theirs.
    pub fn get<T: Default + Send + Sync + 'static>(&self) -> &T {
        let wanted = TypeId::of::<T>();
        for slot in self.slots.iter() {
            let (kind, reads) = slot.get_or_init(|| (wanted, Box::new(T::default())));
            if *kind == wanted {
                return reads
                    .downcast_ref::<T>()
                    .expect("a slot holds a value of the type it was made for");
            }
        }
        panic!("more than {SLOTS} kinds keep reads: raise kind_reads::SLOTS");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct One(std::sync::atomic::AtomicUsize);

    #[derive(Default)]
    struct Two(String);

    #[test]
    fn each_type_has_one_value_made_on_first_use() {
        let reads = KindReads::default();
        reads
            .get::<One>()
            .0
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(reads.get::<Two>().0, "");
        assert_eq!(
            reads
                .get::<One>()
                .0
                .load(std::sync::atomic::Ordering::SeqCst),
            1
        );
        // A fresh set of reads has read nothing.
        let fresh = KindReads::default();
        assert_eq!(
            fresh
                .get::<One>()
                .0
                .load(std::sync::atomic::Ordering::SeqCst),
            0
        );
    }
}
