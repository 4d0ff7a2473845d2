//! Registries built in place on the heap (feature `std`): however large
//! `N`, the slot array never passes through the stack, where
//! `Box::new(Registry::new()?)` puts it in a debug build and overflows a
//! thread's stack. With `sys`, the only module with `unsafe` code: each
//! constructor writes every field once through raw field pointers, then
//! takes the value as initialized.

use core::sync::atomic::{AtomicU32, AtomicUsize};
use std::boxed::Box;

use rustix::fd::AsFd;
use rustix_futex_sync::{Mutex as Lock, OnceLock as Once};

use crate::registry::shared::{SharedRegistry, Slot as SharedSlot};
use crate::registry::Registry;
use crate::slab::{FreeList, Slab, Slot as SlabSlot};
use crate::{Epoll, Result};

impl<S: AsFd, const N: usize> Registry<S, N> {
    /// `epoll_create1(EPOLL_CLOEXEC)`—A registry built in place on the
    /// heap: however large `N`, it never passes through the stack
    /// (`Box::new(Registry::new()?)` does, in a debug build, and overflows
    /// a thread's stack for a large `N`).
    ///
    /// # Errors
    ///
    /// As [`Epoll::new`].
    ///
    /// # Example
    ///
    /// ```
    /// use rawepoll::{EventFd, Registry};
    /// # fn main() -> rawepoll::Result<()> {
    /// // 768 KiB of slots, built from a 256 KiB stack.
    /// let registry = std::thread::Builder::new()
    ///     .stack_size(256 << 10)
    ///     .spawn(|| Registry::<EventFd, 65536>::new_boxed())
    ///     .unwrap()
    ///     .join()
    ///     .unwrap()?;
    /// assert_eq!(registry.capacity(), 65536);
    /// # Ok(()) }
    /// ```
    pub fn new_boxed() -> Result<Box<Self>> {
        #[allow(clippy::let_unit_value)]
        let () = Slab::<S, N>::CHECK_N;
        let epoll = Epoll::new()?;
        let mut boxed = Box::<Self>::new_uninit();
        let p = boxed.as_mut_ptr();
        // SAFETY: `p` points to memory allocated for a `Self` and not yet
        // initialized. Every field is written exactly once, through raw
        // field pointers (no reference to uninitialized memory is made),
        // the slab's slot array element by element (each a few words: no
        // stack temporary of the whole), with the values `with_epoll`
        // gives them (`Slab::new`: counters 0, every slot vacant). Then
        // every field is initialized, and `assume_init` is sound.
        unsafe {
            core::ptr::addr_of_mut!((*p).stale).write(0);
            core::ptr::addr_of_mut!((*p).owner).write(crate::registry::current_process());
            core::ptr::addr_of_mut!((*p).epoll).write(epoll);
            let slab = core::ptr::addr_of_mut!((*p).sources);
            core::ptr::addr_of_mut!((*slab).free).write(FreeList::EMPTY);
            core::ptr::addr_of_mut!((*slab).len).write(0);
            let slots = core::ptr::addr_of_mut!((*slab).slots).cast::<SlabSlot<S>>();
            for i in 0..N {
                slots.add(i).write(SlabSlot::VACANT);
            }
            Ok(boxed.assume_init())
        }
    }
}

impl<S: AsFd, const N: usize> SharedRegistry<S, N> {
    /// An empty registry built in place on the heap: however large `N`,
    /// it never passes through the stack (`Box::new(SharedRegistry::new())`
    /// may, in a debug build, and overflow a thread's stack). No system
    /// call: the epoll is created on first use.
    #[must_use]
    pub fn new_boxed() -> Box<Self> {
        #[allow(clippy::let_unit_value)]
        let () = Self::CHECK_N;
        let mut boxed = Box::<Self>::new_uninit();
        let p = boxed.as_mut_ptr();
        // SAFETY: `p` points to memory allocated for a `Self` and not yet
        // initialized. Every field is written exactly once below, through
        // raw field pointers (no reference to uninitialized memory is
        // made), the array element by element with `Slot::vacant()`, each a
        // few words: no stack temporary of the whole. After the writes every
        // byte of every field is initialized, as `new()` would make it, so
        // `assume_init` is sound.
        unsafe {
            core::ptr::addr_of_mut!((*p).epoll).write(Once::new());
            core::ptr::addr_of_mut!((*p).free).write(Lock::new(FreeList::EMPTY));
            core::ptr::addr_of_mut!((*p).len).write(AtomicUsize::new(0));
            core::ptr::addr_of_mut!((*p).stale).write(AtomicUsize::new(0));
            core::ptr::addr_of_mut!((*p).owner).write(AtomicU32::new(0));
            let slots = core::ptr::addr_of_mut!((*p).slots).cast::<SharedSlot<S>>();
            for i in 0..N {
                slots.add(i).write(SharedSlot::vacant());
            }
            boxed.assume_init()
        }
    }
}
