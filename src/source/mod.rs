//! Event sources: kernel objects that turn wake-ups, timers, signals and
//! process exits into readable file descriptors, each registered like any fd.

pub(crate) mod eventfd;
pub(crate) mod pidfd;
pub(crate) mod signalfd;
pub(crate) mod timerfd;
