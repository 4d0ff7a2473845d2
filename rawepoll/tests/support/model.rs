//! A model of epoll's readiness rules, and a runner that applies the same
//! operations to the kernel and to the model, checking after every step.
//! Shared by tests/model.rs (proptest) and fuzz/fuzz_targets/ops.rs.
//!
//! The pool: eventfds and unix stream socketpairs (watched end A; the
//! operations act on the peer end B). The model follows the kernel's rules
//! (fs/eventpoll.c): a registration is put on the ready list by a wake-up
//! of its file, or by ADD/MOD while the file is ready; `wait` reports a
//! listed registration if its file is ready *now*; level-triggered ones
//! stay listed, edge-triggered ones leave the list, one-shot ones are
//! disarmed until MOD.

use std::sync::atomic::{AtomicU64, Ordering};

use rawepoll::{Epoll, Errno, EventFd, Events, Interest, OwnedFd, Timeout, Token};
use rustix::net::{socketpair, AddressFamily, Shutdown, SocketFlags, SocketType};

pub const EVENTFDS: usize = 3;
pub const SOCKETS: usize = 2;
pub const SLOTS: usize = EVENTFDS + SOCKETS;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Level,
    Edge,
    Oneshot,
    OneshotEdge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Add {
        slot: usize,
        mode: Mode,
        rdhup: bool,
        token: u64,
    },
    Modify {
        slot: usize,
        mode: Mode,
        rdhup: bool,
        token: u64,
    },
    Delete {
        slot: usize,
    },
    /// eventfd: add 1; socket: the peer sends one byte.
    Write {
        slot: usize,
    },
    /// eventfd: drain; socket: read everything pending on A.
    Read {
        slot: usize,
    },
    /// Socket: the peer shuts down its writing half.
    ShutdownPeer {
        slot: usize,
    },
    /// Delete (if registered), close, and open a fresh file in the slot.
    CloseAfterDelete {
        slot: usize,
    },
    Wait,
}

fn interest(mode: Mode, rdhup: bool) -> Interest {
    let mut i = Interest::READABLE;
    if rdhup {
        i |= Interest::READ_CLOSED;
    }
    match mode {
        Mode::Level => {}
        Mode::Edge => i |= Interest::EDGE,
        Mode::Oneshot => i |= Interest::ONESHOT,
        Mode::OneshotEdge => i |= Interest::ONESHOT | Interest::EDGE,
    }
    i
}

enum File {
    Event(EventFd),
    Socket { a: OwnedFd, b: OwnedFd },
}

impl File {
    fn new(slot: usize) -> File {
        if slot < EVENTFDS {
            File::Event(EventFd::new().unwrap())
        } else {
            let (a, b) = socketpair(
                AddressFamily::UNIX,
                SocketType::STREAM,
                SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
                None,
            )
            .unwrap();
            File::Socket { a, b }
        }
    }

    fn watched(&self) -> rustix::fd::BorrowedFd<'_> {
        use rustix::fd::AsFd;
        match self {
            File::Event(e) => e.as_fd(),
            File::Socket { a, .. } => a.as_fd(),
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Reg {
    mode: Mode,
    rdhup: bool,
    token: u64,
    armed: bool,
    /// On the kernel's ready list.
    listed: bool,
}

struct Slot {
    file: File,
    /// eventfd count, or bytes pending on A.
    pending_data: u64,
    peer_shut: bool,
    reg: Option<Reg>,
}

impl Slot {
    fn ready(&self) -> bool {
        self.pending_data > 0 || self.peer_shut
    }

    fn flags(&self, reg: &Reg) -> u32 {
        let mut f = Interest::READABLE.bits();
        if self.peer_shut && reg.rdhup {
            f |= Interest::READ_CLOSED.bits();
        }
        f
    }

    /// A wake-up of the file reached the registration.
    fn wake(&mut self) {
        if let Some(reg) = &mut self.reg {
            if reg.armed {
                reg.listed = true;
            }
        }
    }
}

/// The kernel and the model, side by side.
pub struct Harness {
    epoll: Epoll,
    slots: Vec<Slot>,
    pub steps: u64,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    pub fn new() -> Harness {
        Harness {
            epoll: Epoll::new().unwrap(),
            slots: (0..SLOTS)
                .map(|s| Slot {
                    file: File::new(s),
                    pending_data: 0,
                    peer_shut: false,
                    reg: None,
                })
                .collect(),
            steps: 0,
        }
    }

    /// Applies `op` to both and panics, with the op, on any difference.
    pub fn step(&mut self, op: Op) {
        self.steps += 1;
        match op {
            Op::Add {
                slot,
                mode,
                rdhup,
                token,
            } => {
                let s = &mut self.slots[slot];
                let got = self
                    .epoll
                    .add(s.file.watched(), Token(token), interest(mode, rdhup));
                if s.reg.is_some() {
                    assert_eq!(got, Err(Errno::EXIST), "{op:?}");
                } else {
                    assert_eq!(got, Ok(()), "{op:?}");
                    let ready = s.ready();
                    s.reg = Some(Reg {
                        mode,
                        rdhup,
                        token,
                        armed: true,
                        listed: ready,
                    });
                }
            }
            Op::Modify {
                slot,
                mode,
                rdhup,
                token,
            } => {
                let s = &mut self.slots[slot];
                let got = self
                    .epoll
                    .modify(s.file.watched(), Token(token), interest(mode, rdhup));
                let ready = s.ready();
                match &mut s.reg {
                    None => assert_eq!(got, Err(Errno::NOENT), "{op:?}"),
                    Some(reg) => {
                        assert_eq!(got, Ok(()), "{op:?}");
                        let listed = reg.listed || ready;
                        *reg = Reg {
                            mode,
                            rdhup,
                            token,
                            armed: true,
                            listed,
                        };
                    }
                }
            }
            Op::Delete { slot } => {
                let s = &mut self.slots[slot];
                let got = self.epoll.delete(s.file.watched());
                if s.reg.take().is_some() {
                    assert_eq!(got, Ok(()), "{op:?}");
                } else {
                    assert_eq!(got, Err(Errno::NOENT), "{op:?}");
                }
            }
            Op::Write { slot } => {
                let s = &mut self.slots[slot];
                match &s.file {
                    File::Event(e) => {
                        e.notify().unwrap();
                        s.pending_data += 1;
                        s.wake();
                    }
                    File::Socket { b, .. } => {
                        if !s.peer_shut {
                            assert_eq!(rustix::io::write(b, b"x"), Ok(1), "{op:?}");
                            s.pending_data += 1;
                            s.wake();
                        }
                    }
                }
            }
            Op::Read { slot } => {
                let s = &mut self.slots[slot];
                match &s.file {
                    File::Event(e) => assert_eq!(e.drain().unwrap(), s.pending_data, "{op:?}"),
                    File::Socket { a, .. } => {
                        let mut buf = [0u8; 256];
                        let mut total = 0;
                        loop {
                            match rustix::io::read(a, &mut buf) {
                                Ok(0) => break,
                                Ok(n) => total += n as u64,
                                Err(Errno::AGAIN) => break,
                                Err(e) => panic!("{op:?}: {e}"),
                            }
                        }
                        assert_eq!(total, s.pending_data, "{op:?}");
                    }
                }
                s.pending_data = 0;
            }
            Op::ShutdownPeer { slot } => {
                let s = &mut self.slots[slot];
                if let File::Socket { b, .. } = &s.file {
                    if !s.peer_shut {
                        rustix::net::shutdown(b, Shutdown::Write).unwrap();
                        s.peer_shut = true;
                        s.wake();
                    }
                }
            }
            Op::CloseAfterDelete { slot } => {
                let s = &mut self.slots[slot];
                if s.reg.take().is_some() {
                    self.epoll.delete(s.file.watched()).unwrap();
                }
                *s = Slot {
                    file: File::new(slot),
                    pending_data: 0,
                    peer_shut: false,
                    reg: None,
                };
            }
            Op::Wait => self.check_wait(),
        }
    }

    fn check_wait(&mut self) {
        let mut events = Events::<8>::new();
        let n = self.epoll.wait(&mut events, Timeout::ZERO).unwrap();
        let mut got: Vec<(u64, u32)> = events
            .iter()
            .map(|e| (e.token().0, e.raw_flags()))
            .collect();
        got.sort_unstable();
        assert_eq!(n, got.len());

        let mut want = Vec::new();
        for s in &mut self.slots {
            let ready = s.ready();
            let flags = match &s.reg {
                Some(reg) => s.flags(reg),
                None => 0,
            };
            if let Some(reg) = &mut s.reg {
                if reg.listed && ready {
                    want.push((reg.token, flags));
                    match reg.mode {
                        Mode::Level => {} // stays listed
                        Mode::Edge => reg.listed = false,
                        Mode::Oneshot | Mode::OneshotEdge => {
                            reg.listed = false;
                            reg.armed = false;
                        }
                    }
                } else {
                    // Listed but no longer ready: dropped from the list.
                    reg.listed = false;
                }
            }
        }
        want.sort_unstable();
        assert_eq!(got, want, "wait after {} steps (token, flags)", self.steps);
        WAITS_CHECKED.fetch_add(1, Ordering::Relaxed);
        EVENTS_CHECKED.fetch_add(want.len() as u64, Ordering::Relaxed);
    }

    /// Sockets in the pool, for generators that target them.
    pub fn socket_slots() -> std::ops::Range<usize> {
        EVENTFDS..SLOTS
    }
}

/// Waits checked and events compared, over every harness in the process.
pub static WAITS_CHECKED: AtomicU64 = AtomicU64::new(0);
pub static EVENTS_CHECKED: AtomicU64 = AtomicU64::new(0);

/// Decodes an operation from bytes (for the fuzzer): every byte string
/// maps to some sequence, so no input is wasted.
pub fn decode(data: &[u8]) -> Vec<Op> {
    let mut ops = Vec::new();
    let mut it = data.iter().copied();
    while let Some(b) = it.next() {
        let slot = (b as usize >> 3) % SLOTS;
        let arg = it.next().unwrap_or(0);
        let mode = match arg & 3 {
            0 => Mode::Level,
            1 => Mode::Edge,
            2 => Mode::Oneshot,
            _ => Mode::OneshotEdge,
        };
        let rdhup = arg & 4 != 0;
        let token = u64::from(arg) << 56 | slot as u64;
        ops.push(match b & 7 {
            0 => Op::Add {
                slot,
                mode,
                rdhup,
                token,
            },
            1 => Op::Modify {
                slot,
                mode,
                rdhup,
                token,
            },
            2 => Op::Delete { slot },
            3 => Op::Write { slot },
            4 => Op::Read { slot },
            5 => Op::ShutdownPeer { slot },
            6 => Op::CloseAfterDelete { slot },
            _ => Op::Wait,
        });
    }
    ops.push(Op::Wait);
    ops
}
