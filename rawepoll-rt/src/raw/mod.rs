//! The runtime's `unsafe` building blocks, each behind a safe API, and the
//! only place in the crate with `unsafe` code (embassy-executor's `raw`
//! module is the model):
//!
//! * [`wake`]: the wakers' vtables over `'static` hub and task flags, so a
//!   `Waker` can be kept anywhere, on any thread, for any time;
//! * [`tasks`]: the [`TaskSet`](crate::TaskSet), whose tasks live in
//!   `UnsafeCell`s in place, pinned, each polled only under its `POLLING`
//!   state.
//!
//! Every block has its `// SAFETY:` comment.
#![allow(unsafe_code)]

pub(crate) mod tasks;
pub(crate) mod wake;
