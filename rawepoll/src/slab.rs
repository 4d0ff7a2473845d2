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

/// The generation after `generation`: 31 bits that wrap, the tag kept.
#[inline]
pub(crate) const fn next_generation(generation: u32) -> u32 {
    generation.wrapping_add(1) | TAG
}

/// Which slot of `N` to use next: released slots first (a list linked
/// through the slots themselves), then slots never used, counted rather
/// than listed. All zeros when nothing is used. The one free list of the
/// workspace: [`Slab`] keeps one inline, and
/// [`SharedRegistry`](crate::SharedRegistry), whose slots live under
/// locks of their own, keeps one under its free-list lock.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FreeList {
    /// Slots `unused..N` have never been used.
    pub(crate) unused: u32,
    /// The first released slot, plus one (0: none).
    pub(crate) head: u32,
}

impl FreeList {
    pub(crate) const EMPTY: FreeList = FreeList { unused: 0, head: 0 };

    /// The slot the next [`take`](Self::take) gives, and whether it was
    /// ever used; `None` when all `n` are in use.
    #[inline]
    pub(crate) fn peek(self, n: usize) -> Option<(usize, bool)> {
        if self.head != 0 {
            Some((self.head as usize - 1, true))
        } else if (self.unused as usize) < n {
            Some((self.unused as usize, false))
        } else {
            None
        }
    }

    /// Takes the slot [`peek`](Self::peek) names; `next_free` reads the
    /// link a released slot holds (what [`release`](Self::release) gave
    /// it).
    #[inline]
    pub(crate) fn take(
        &mut self,
        n: usize,
        next_free: impl FnOnce(usize) -> u32,
    ) -> Option<(usize, bool)> {
        let (index, used) = self.peek(n)?;
        if used {
            self.head = next_free(index);
        } else {
            self.unused += 1;
        }
        Some((index, used))
    }

    /// Puts slot `index` back; returns the link to store in it.
    #[inline]
    #[must_use]
    pub(crate) fn release(&mut self, index: usize) -> u32 {
        let link = self.head;
        self.head = index as u32 + 1;
        link
    }
}

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
    pub(crate) free: FreeList,
    pub(crate) len: u32,
    pub(crate) slots: [Slot<T>; N],
}

pub(crate) struct Slot<T> {
    /// The high word of the slot's tokens: the tag bit and 31 bits of
    /// generation; 0 in a slot never used (no token has it), set to the
    /// first generation, the tag alone, when the slot is first used.
    pub(crate) generation: u32,
    /// While free: the [`FreeList`]'s link.
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
            free: FreeList::EMPTY,
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
        let (index, used) = self.free.peek(N)?;
        let generation = if used {
            self.slots[index].generation
        } else {
            TAG // a slot never used: the first generation
        };
        Some(Token::from_parts(index as u32, generation))
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
        let slots = &mut self.slots;
        let Some((index, used)) = self.free.take(N, |i| slots[i].next_free) else {
            return Err(value);
        };
        let slot = &mut slots[index];
        if !used {
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
        let index = token.index() as usize;
        let slot = self.slot_mut(token)?;
        let value = slot.value.take()?;
        slot.generation = next_generation(slot.generation);
        let link = self.free.release(index);
        self.slots[index].next_free = link;
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
        self.slots[..self.free.unused as usize]
            .iter()
            .enumerate()
            .filter_map(|(i, slot)| Some((slot.token(i), slot.value.as_ref()?)))
    }

    /// Every value with its token, mutably, in slot order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Token, &mut T)> + '_ {
        self.slots[..self.free.unused as usize]
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
