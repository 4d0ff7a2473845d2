//! The C memory functions the compiler emits calls to (`memcpy` for moves
//! and slice copies, `memset` for zeroed buffers, `memcmp`/`bcmp` for slice
//! comparisons, `strlen` for `CStr::from_ptr`), which a program without
//! libc must provide itself. The copying ones use x86_64's `rep movsb` /
//! `rep stosb`, elsewhere volatile byte loops: either way the compiler
//! cannot turn them back into calls to themselves. Small and plain rather
//! than fast: a program that copies megabytes on aarch64 wants a tuned
//! `memcpy`. Unused ones cost nothing: the linker drops them.

#[cfg(target_arch = "x86_64")]
use core::arch::asm;
use core::ffi::{c_int, c_void};

// The signatures are C's (`void *`, `int`), as the compiler declares the
// symbols it calls; the bodies work on bytes.

/// # Safety
/// As C's `memcpy`: `n` bytes valid at both, not overlapping.
#[no_mangle]
pub unsafe extern "C" fn memcpy(dest: *mut c_void, src: *const c_void, n: usize) -> *mut c_void {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the caller's contract; rep movsb copies forward, n bytes.
    unsafe {
        asm!("rep movsb", inout("rcx") n => _, inout("rdi") dest => _, inout("rsi") src => _,
             options(nostack, preserves_flags));
    }
    #[cfg(not(target_arch = "x86_64"))]
    for i in 0..n {
        // SAFETY: the caller's contract: i < n, within both buffers.
        unsafe {
            let byte = src.cast::<u8>().add(i).read_volatile();
            dest.cast::<u8>().add(i).write_volatile(byte);
        }
    }
    dest
}

/// # Safety
/// As C's `memmove`: `n` bytes valid at both, which may overlap.
#[no_mangle]
pub unsafe extern "C" fn memmove(dest: *mut c_void, src: *const c_void, n: usize) -> *mut c_void {
    if (dest as usize).wrapping_sub(src as usize) >= n {
        // SAFETY: no harmful overlap for a forward copy.
        return unsafe { memcpy(dest, src, n) };
    }
    // Overlapping with dest after src: copy backwards (direction flag set
    // for the copy, cleared again as the ABI requires).
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the caller's contract; n > 0 here, so the last bytes exist.
    unsafe {
        asm!("std", "rep movsb", "cld",
             inout("rcx") n => _, inout("rdi") dest.cast::<u8>().add(n - 1) => _,
             inout("rsi") src.cast::<u8>().add(n - 1) => _,
             options(nostack));
    }
    #[cfg(not(target_arch = "x86_64"))]
    for i in (0..n).rev() {
        // SAFETY: the caller's contract: i < n, within both buffers;
        // backwards, so no byte is overwritten before it is read.
        unsafe {
            let byte = src.cast::<u8>().add(i).read_volatile();
            dest.cast::<u8>().add(i).write_volatile(byte);
        }
    }
    dest
}

/// # Safety
/// As C's `memset`: `n` bytes valid at `dest`.
#[no_mangle]
pub unsafe extern "C" fn memset(dest: *mut c_void, c: c_int, n: usize) -> *mut c_void {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the caller's contract; rep stosb stores AL n times.
    unsafe {
        asm!("rep stosb", inout("rcx") n => _, inout("rdi") dest => _, in("al") c as u8,
             options(nostack, preserves_flags));
    }
    #[cfg(not(target_arch = "x86_64"))]
    for i in 0..n {
        // SAFETY: the caller's contract: i < n, within the buffer.
        unsafe { dest.cast::<u8>().add(i).write_volatile(c as u8) };
    }
    dest
}

/// # Safety
/// As C's `memcmp`: `n` bytes valid at both.
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const c_void, b: *const c_void, n: usize) -> c_int {
    let (a, b) = (a.cast::<u8>(), b.cast::<u8>());
    for i in 0..n {
        // SAFETY: i < n, within both buffers.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    0
}

/// # Safety
/// As C's `bcmp`.
#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const c_void, b: *const c_void, n: usize) -> c_int {
    // SAFETY: same contract as memcmp.
    unsafe { memcmp(a, b, n) }
}

/// # Safety
/// As C's `strlen`: `s` is NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn strlen(s: *const core::ffi::c_char) -> usize {
    let mut n = 0;
    // SAFETY: the string is NUL-terminated, so every byte up to it exists.
    while unsafe { *s.add(n) } != 0 {
        n += 1;
    }
    n
}

/// The unwinding personality routine, which the precompiled `core` names
/// in its unwind tables (on every architecture in a debug build, where
/// nothing collects the tables' references away; on ARM in any build, from
/// `.ARM.extab` of `__udivmoddi4`), though with `panic = "abort"` nothing
/// ever unwinds and it is never called. (Not in this crate's own unit-test
/// build, which links std's.)
#[cfg(not(test))]
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}

/// `getauxval`, which aarch64's compiler-builtins calls to probe for LSE
/// atomics (in a constructor these programs never run, and from its
/// outline atomic helpers): "no such entry", so the helpers take their
/// load-/store-exclusive path, which every ARMv8 core has.
#[cfg(target_arch = "aarch64")]
#[no_mangle]
pub extern "C" fn getauxval(_type: core::ffi::c_ulong) -> core::ffi::c_ulong {
    0
}
