//! The C memory functions the compiler emits calls to (`memcpy` for slice
//! copies, `memset` for zeroed buffers, `strlen` for `CStr::from_ptr`),
//! which a program without libc must provide itself. The copying ones use
//! x86_64's `rep movsb` / `rep stosb`, so the compiler cannot turn them
//! back into calls to themselves.

use core::arch::asm;
use core::ffi::{c_int, c_void};

// The signatures are C's (`void *`, `int`), as the compiler declares the
// symbols it calls; the bodies work on bytes.

/// # Safety
/// As C's `memcpy`: `n` bytes valid at both, not overlapping.
#[no_mangle]
pub unsafe extern "C" fn memcpy(dest: *mut c_void, src: *const c_void, n: usize) -> *mut c_void {
    // SAFETY: the caller's contract; rep movsb copies forward, n bytes.
    unsafe {
        asm!("rep movsb", inout("rcx") n => _, inout("rdi") dest => _, inout("rsi") src => _,
             options(nostack, preserves_flags));
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
    // SAFETY: the caller's contract; n > 0 here, so the last bytes exist.
    unsafe {
        asm!("std", "rep movsb", "cld",
             inout("rcx") n => _, inout("rdi") dest.cast::<u8>().add(n - 1) => _,
             inout("rsi") src.cast::<u8>().add(n - 1) => _,
             options(nostack));
    }
    dest
}

/// # Safety
/// As C's `memset`: `n` bytes valid at `dest`.
#[no_mangle]
pub unsafe extern "C" fn memset(dest: *mut c_void, c: c_int, n: usize) -> *mut c_void {
    // SAFETY: the caller's contract; rep stosb stores AL n times.
    unsafe {
        asm!("rep stosb", inout("rcx") n => _, inout("rdi") dest => _, in("al") c as u8,
             options(nostack, preserves_flags));
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
