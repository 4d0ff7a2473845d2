//! Event sources: kernel objects that turn timers, signals, wake-ups and
//! process exits into readable file descriptors, each registered like any fd.

pub mod eventfd;
