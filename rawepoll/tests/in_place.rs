//! The in-place heap constructors (`src/boxed.rs`, with `sys.rs` the only
//! `unsafe` of the crate): every field written once through raw pointers,
//! then taken as initialized. Small enough to run under Miri too
//! (`cargo +nightly miri test -p rawepoll --features std --test in_place`,
//! in CI), which checks that nothing uninitialized is read and that the
//! values are the ones `new()` makes.
#![cfg(feature = "std")]

use rawepoll::{EventFd, Registry, SharedRegistry, Token};

#[test]
fn a_boxed_shared_registry_is_empty_and_whole() {
    // No system call: its epoll is made on first use.
    let registry = SharedRegistry::<EventFd, 512>::new_boxed();
    assert_eq!(registry.capacity(), 512);
    assert_eq!(registry.len(), 0);
    assert_eq!(registry.stale_events(), 0);
    assert!(!registry.contains(Token::from_parts(0, 0x8000_0000)));
    assert!(!registry.contains(Token::from_parts(511, 0x8000_0000)));
    assert!(registry.lock(Token::from_parts(3, 0x8000_0000)).is_err());
    assert!(format!("{registry:?}").contains("len: 0"));
}

#[test]
fn a_boxed_registry_is_empty_and_whole() {
    // epoll_create1 (Miri has a shim for it).
    let registry = Registry::<EventFd, 512>::new_boxed().unwrap();
    assert_eq!(registry.capacity(), 512);
    assert_eq!(registry.len(), 0);
    assert!(registry.is_empty());
    assert_eq!(registry.stale_events(), 0);
    assert_eq!(registry.iter().count(), 0);
    assert!(registry.get(Token::from_parts(0, 0x8000_0000)).is_none());
    assert!(format!("{registry:?}").contains("len: 0"));
}
