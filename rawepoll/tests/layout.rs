//! The kernel's `struct epoll_event` layout, checked again at run time on the
//! target the tests run on (x86_64, i686, aarch64 under qemu, ...).

use core::mem::{align_of, offset_of, size_of};
use rawepoll::event::RAW_EVENT_LAYOUT;
use rawepoll::{RawEvent, Token};

#[test]
fn layout_matches_the_kernel_for_this_architecture() {
    // Written by hand on purpose: the library asserts RawEvent against
    // linux-raw-sys's binding at compile time, and this is the independent
    // check of both against the kernel's eventpoll.h (packed on x86_64 only),
    // on the CPU the tests run on.
    let expected = if cfg!(target_arch = "x86_64") {
        (12, 1, 0, 4)
    } else if cfg!(target_arch = "x86") {
        (12, 4, 0, 4)
    } else {
        (16, 8, 0, 8)
    };
    let actual = (
        size_of::<RawEvent>(),
        align_of::<RawEvent>(),
        offset_of!(RawEvent, events),
        offset_of!(RawEvent, data),
    );
    assert_eq!(actual, expected);
    assert_eq!(RAW_EVENT_LAYOUT, expected);
}

#[test]
fn layout_matches_rustix() {
    assert_eq!(
        size_of::<RawEvent>(),
        size_of::<rustix::event::epoll::Event>()
    );
    assert_eq!(
        align_of::<RawEvent>(),
        align_of::<rustix::event::epoll::Event>()
    );
}

#[test]
fn bytes_are_where_the_kernel_puts_them() {
    let raw = RawEvent::new(0x8000_0001, Token(0x0102_0304_0506_0708));
    let size = size_of::<RawEvent>();
    // SAFETY: RawEvent is plain old data with no padding read here beyond
    // what we compare (the padding bytes on 16-byte layouts are skipped).
    let bytes = unsafe { core::slice::from_raw_parts(&raw as *const RawEvent as *const u8, size) };
    assert_eq!(&bytes[0..4], &0x8000_0001u32.to_ne_bytes());
    let data_at = size - 8;
    assert_eq!(&bytes[data_at..], &0x0102_0304_0506_0708u64.to_ne_bytes());
}

#[test]
fn raw_event_accessors_copy_fields() {
    let raw = RawEvent::new(u32::MAX, Token(u64::MAX));
    assert_eq!(raw.events(), u32::MAX);
    assert_eq!(raw.token(), Token(u64::MAX));
    let event = raw.event();
    assert_eq!(event.raw_flags(), u32::MAX);
    assert_eq!(event.token(), Token(u64::MAX));
    assert!(format!("{raw:?}").contains("0xffffffff"));
}
