//! Event sources: kernel objects that turn wake-ups, timers, signals and
//! process exits into readable file descriptors, each registered like any fd.

pub mod eventfd;
pub mod pidfd;
pub mod signalfd;
pub mod timerfd;
