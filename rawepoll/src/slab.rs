//! The one generational slab of the workspace: [`Slab`], under
//! [`Registry`](crate::Registry), [`TimerSet`](crate::TimerSet)'s handles
//! and rawepoll-rt's sources.

use core::fmt;

use crate::interest::Token;

/// The top bit of every generation, so that every token a slab hands out
/// [`is_registry`](Token::is_registry), apart from the small tokens a
/// program picks for fds of its own; under it 31 bits that count the
/// slot's reuses and wrap.
pub(crate) const TAG: u32 = (Token::REGISTRY_BIT >> 32) as u32;

/// Up to `N` values, each under a [`Token`] that goes stale when the value
/// is removed: slot index in the low 32 bits, the slot's generation in the
/// high 32 ([`Token::from_parts`]). A token of a removed value never
/// names the value that reuses its slot, so an event still queued for it
/// is recognized as stale. No allocation; a new slab is all zeros (when
/// `Option<T>`'s `None` is, as for wakers and references), so a `static`
/// one costs nothing in the file.
///
/// Insert, remove and lookup are O(1): free slots form a list, and slots
/// never used yet are counted, not listed.
///
/// # Example
///
/// ```
/// use rawepoll::slab::Slab;
/// let mut slab = Slab::<&str, 2>::new();
/// let a = slab.insert("a").unwrap();
/// let b = slab.insert("b").unwrap();
/// assert_eq!(slab.insert("c"), Err("c")); // full: handed back
/// assert_eq!(slab.remove(a), Some("a"));
/// let c = slab.insert("c").unwrap(); // a's slot, a new generation
/// assert_eq!(c.index(), a.index());
/// assert_eq!((slab.get(a), slab.get(c), slab.get(b)), (None, Some(&"c"), Some(&"b")));
/// assert!(a.is_registry());
/// ```
pub struct Slab<T, const N: usize> {
    /// Slots `unused..N` have never held a value.
    pub(crate) unused: u32,
    /// The first free slot that held a value, plus one (0: none).
    pub(crate) free: u32,
    pub(crate) len: u32,
    pub(crate) slots: [Slot<T>; N],
}

pub(crate) struct Slot<T> {
    /// The high word of the slot's tokens: the tag bit and 31 bits of
    /// generation; 0 in a slot never used (no token has it), set to the
    /// first generation, the tag alone, when the slot is first used.
    pub(crate) generation: u32,
    /// While free: the next free slot, plus one (0: none).
    next_free: u32,
    value: Option<T>,
}

impl<T> Slot<T> {
    pub(crate) const VACANT: Slot<T> = Slot {
        generation: 0,
        next_free: 0,
        value: None,
    };

    fn token(&self, index: usize) -> Token {
        Token::from_parts(index as u32, self.generation)
    }
}

impl<T, const N: usize> Slab<T, N> {
    pub(crate) const CHECK_N: () = assert!(
        N > 0 && N < u32::MAX as usize,
        "Slab<T, N>: N must be between 1 and u32::MAX - 1"
    );

    /// An empty slab. `const`, for a `static`.
    #[must_use]
    pub const fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::CHECK_N;
        Slab {
            unused: 0,
            free: 0,
            len: 0,
            slots: [const { Slot::VACANT }; N],
        }
    }

    /// How many values it holds.
    #[inline]
    #[must_use]
    pub const fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether it holds no value.
    #[inline]
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `N`.
    #[inline]
    #[must_use]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// The token the next [`insert`](Slab::insert) will return, or `None`
    /// when the slab is full: for a value that must be registered under
    /// its token before it is stored (and not stored if that fails).
    #[inline]
    #[must_use]
    pub fn next_token(&self) -> Option<Token> {
        let index = self.next_index()?;
        let generation = if self.free != 0 {
            self.slots[index].generation
        } else {
            TAG // a slot never used: the first generation
        };
        Some(Token::from_parts(index as u32, generation))
    }

    fn next_index(&self) -> Option<usize> {
        if self.free != 0 {
            Some(self.free as usize - 1)
        } else if (self.unused as usize) < N {
            Some(self.unused as usize)
        } else {
            None
        }
    }

    /// Stores `value` and returns its token (the one
    /// [`next_token`](Slab::next_token) announced); hands it back when all
    /// `N` slots hold values.
    ///
    /// # Errors
    ///
    /// `value` itself when the slab is full.
    #[inline]
    pub fn insert(&mut self, value: T) -> Result<Token, T> {
        let Some(index) = self.next_index() else {
            return Err(value);
        };
        let slot = &mut self.slots[index];
        if self.free != 0 {
            self.free = slot.next_free;
        } else {
            self.unused += 1;
            slot.generation = TAG;
        }
        slot.value = Some(value);
        self.len += 1;
        Ok(slot.token(index))
    }

    /// The slot of `token` if its generation is the token's (it may be
    /// vacant: its value was removed and the slot not yet reused).
    #[inline]
    fn slot(&self, token: Token) -> Option<&Slot<T>> {
        let slot = self.slots.get(token.index() as usize)?;
        (slot.generation == token.generation()).then_some(slot)
    }

    /// [`slot`](Self::slot), mutably.
    #[inline]
    fn slot_mut(&mut self, token: Token) -> Option<&mut Slot<T>> {
        let slot = self.slots.get_mut(token.index() as usize)?;
        (slot.generation == token.generation()).then_some(slot)
    }

    /// Takes the value `token` names, if it still does; the token and
    /// every other issued for that slot go stale.
    #[inline]
    pub fn remove(&mut self, token: Token) -> Option<T> {
        let free = self.free;
        let slot = self.slot_mut(token)?;
        let value = slot.value.take()?;
        slot.generation = slot.generation.wrapping_add(1) | TAG;
        slot.next_free = free;
        self.free = token.index() + 1;
        self.len -= 1;
        Some(value)
    }

    /// The value `token` names, if it still does.
    #[inline]
    #[must_use]
    pub fn get(&self, token: Token) -> Option<&T> {
        self.slot(token)?.value.as_ref()
    }

    /// The value `token` names, mutably, if it still does.
    #[inline]
    pub fn get_mut(&mut self, token: Token) -> Option<&mut T> {
        self.slot_mut(token)?.value.as_mut()
    }

    /// The value in slot `index`, whatever its generation: for a structure
    /// that links its values by slot (the timer heap), where the link is
    /// the check.
    #[inline]
    pub(crate) fn at(&self, index: usize) -> Option<&T> {
        self.slots.get(index)?.value.as_ref()
    }

    /// The current token of slot `index` (`index` < `N`).
    #[inline]
    pub(crate) fn token_at(&self, index: usize) -> Token {
        Token::from_parts(
            index as u32,
            self.slots.get(index).map_or(0, |s| s.generation),
        )
    }

    /// Whether `token` names a value.
    #[inline]
    #[must_use]
    pub fn contains(&self, token: Token) -> bool {
        self.get(token).is_some()
    }

    /// Every value with its token, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (Token, &T)> + '_ {
        self.slots[..self.unused as usize]
            .iter()
            .enumerate()
            .filter_map(|(i, slot)| Some((slot.token(i), slot.value.as_ref()?)))
    }

    /// Every value with its token, mutably, in slot order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Token, &mut T)> + '_ {
        self.slots[..self.unused as usize]
            .iter_mut()
            .enumerate()
            .filter_map(|(i, slot)| {
                let token = slot.token(i);
                Some((token, slot.value.as_mut()?))
            })
    }
}

impl<T, const N: usize> Default for Slab<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: fmt::Debug, const N: usize> fmt::Debug for Slab<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generation_wraps_within_its_31_bits_and_keeps_the_tag() {
        let mut slab = Slab::<u8, 1>::new();
        let first = slab.insert(0).unwrap();
        assert_eq!(first.generation(), TAG);
        assert_eq!(slab.remove(first), Some(0));
        slab.slots[0].generation = u32::MAX; // the last generation before the wrap
        let old = slab.insert(1).unwrap();
        assert_eq!(old.generation(), u32::MAX);
        assert_eq!(slab.remove(old), Some(1));
        let new = slab.insert(2).unwrap();
        assert_eq!(new.generation(), TAG);
        assert!(new.is_registry());
        assert_eq!((slab.get(old), slab.get(new)), (None, Some(&2)));
    }

    #[test]
    fn tokens_of_other_shapes_name_nothing() {
        let mut slab = Slab::<u8, 4>::new();
        let t = slab.insert(1).unwrap();
        assert!(slab.get(Token(7)).is_none()); // a small token of one's own
        assert!(slab.get(Token::from_parts(9, t.generation())).is_none()); // past N
        assert!(slab.get(Token::from_parts(1, t.generation())).is_none()); // never used
        assert!(slab.get(Token::from_parts(0, t.generation() + 1)).is_none()); // a later one
        assert_eq!(slab.get(t), Some(&1));
    }
}
