//! After `fork`, the child's registry shares its parent's epoll (one open
//! file): a child's `remove` must not delete the parent's registration.
//! Before, the parent still listed the source but got no more events, and
//! its `modify` answered `ENOENT` (smol-rs/polling#37 is the same bug).
//! Real forks, in a test binary of their own.

use rawepoll::{EventFd, Events, Interest, Registry, SharedRegistry, Timeout};

/// Forks; the child runs `child` (no allocation, no lock another thread
/// could hold) and exits 0 if it returned true; the parent waits for it.
fn in_a_forked_child(child: impl FnOnce() -> bool) {
    // SAFETY: the child calls only `child` (system calls through the
    // registry, no allocation) and `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let ok = child();
        // SAFETY: ends the child without running the parent's destructors.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the child failed: {status:#x}"
    );
}

#[test]
fn a_forked_childs_remove_leaves_the_parents_registration() {
    let mut registry = Registry::<EventFd, 4>::new().unwrap();
    let token = registry
        .insert(EventFd::new().unwrap(), Interest::READABLE)
        .map_err(|e| e.errno())
        .unwrap();
    in_a_forked_child(|| {
        // The child's copy forgets it and closes its copy of the fd.
        let removed = registry.remove(token);
        removed.is_some() && !registry.contains(token)
    });
    assert!(registry.contains(token));
    registry.get(token).unwrap().notify().unwrap();
    let mut events = Events::<4>::new();
    assert_eq!(
        registry.wait(&mut events, Timeout::from_millis(1000)),
        Ok(1)
    );
    assert_eq!(events.get(0).unwrap().token(), token);
    assert_eq!(registry.modify(token, Interest::READABLE), Ok(()));
    // In the parent, remove still deletes: no more events after it.
    let fd = registry.remove(token).unwrap();
    fd.notify().unwrap();
    assert_eq!(registry.wait(&mut events, Timeout::ZERO), Ok(0));
}

#[test]
fn a_forked_childs_shared_remove_leaves_the_parents_registration() {
    let registry = SharedRegistry::<EventFd, 4>::new();
    let token = registry
        .insert(EventFd::new().unwrap(), Interest::READABLE)
        .map_err(|e| e.errno())
        .unwrap();
    in_a_forked_child(|| registry.remove(token).is_ok() && !registry.contains(token));
    assert!(registry.contains(token));
    registry.lock(token).unwrap().notify().unwrap();
    let mut events = Events::<4>::new();
    assert_eq!(
        registry.wait(&mut events, Timeout::from_millis(1000)),
        Ok(1)
    );
    assert_eq!(events.get(0).unwrap().token(), token);
    assert_eq!(registry.modify(token, Interest::READABLE), Ok(()));
    let fd = registry.remove(token).unwrap();
    fd.notify().unwrap();
    assert_eq!(registry.wait(&mut events, Timeout::ZERO), Ok(0));
}
