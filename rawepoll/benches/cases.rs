//! The benchmark cases, shared by the criterion benches (benches/epoll.rs)
//! and the self-contained overhead tool (examples/overhead.rs): each group
//! is one operation, each variant the same operation through one library.
//!
//! Every variant does exactly one operation per call on fds set up once;
//! nothing allocates inside a call. Variants are boxed closures, so each
//! pays the same indirect call.

use std::hint::black_box;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use rawepoll::{Epoll, EventFd, Events, Interest, RawEvent, Timeout, TimerFd, Token};
use rustix::event::epoll;

/// One way to do a group's operation.
pub struct Variant {
    pub name: &'static str,
    pub run: Box<dyn FnMut()>,
}

/// One operation, done by each library.
pub struct Group {
    pub name: &'static str,
    pub about: &'static str,
    pub variants: Vec<Variant>,
}

fn variant(name: &'static str, run: impl FnMut() + 'static) -> Variant {
    Variant {
        name,
        run: Box::new(run),
    }
}

/// The floor: `getppid`, a system call that does nothing, inlined by rustix.
pub fn bare_syscall() -> Variant {
    variant("getppid (bare inlined syscall)", || {
        black_box(rustix::process::getppid());
    })
}

/// `n` eventfds with a pending count (level-triggered readable forever).
fn ready_eventfds(n: usize) -> Vec<Arc<EventFd>> {
    (0..n)
        .map(|_| {
            let e = EventFd::new().unwrap();
            e.notify().unwrap();
            Arc::new(e)
        })
        .collect()
}

fn rawepoll_with(fds: &[Arc<EventFd>], interest: Interest) -> Epoll {
    let ep = Epoll::new().unwrap();
    for (i, fd) in fds.iter().enumerate() {
        ep.add(&**fd, Token(i as u64), interest).unwrap();
    }
    ep
}

fn libc_epoll_with(fds: &[Arc<EventFd>]) -> OwnedFd {
    // SAFETY: epoll_create1 returns a new fd we own (checked below).
    let epfd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    assert!(epfd >= 0);
    for (i, fd) in fds.iter().enumerate() {
        let mut ev = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: i as u64,
        };
        // SAFETY: valid fds and a valid epoll_event.
        let r = unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_ADD, fd.as_raw_fd(), &mut ev) };
        assert_eq!(r, 0);
    }
    // SAFETY: epfd is a fresh fd nobody else owns.
    unsafe { std::os::fd::FromRawFd::from_raw_fd(epfd) }
}

fn polling_with(fds: &[Arc<EventFd>]) -> polling::Poller {
    let poller = polling::Poller::new().unwrap();
    for (i, fd) in fds.iter().enumerate() {
        // SAFETY: each fd outlives the poller (both live in the closure).
        unsafe {
            poller
                .add_with_mode(
                    fd.as_raw_fd(),
                    polling::Event::readable(i),
                    polling::PollMode::Level,
                )
                .unwrap();
        }
    }
    poller
}

/// epoll_wait with `ready` level-triggered eventfds ready, timeout 0.
fn wait_group(name: &'static str, about: &'static str, ready: usize) -> Group {
    const CAP: usize = 64;
    let mut variants = Vec::new();

    let fds = ready_eventfds(ready.max(1));
    if ready == 0 {
        for fd in &fds {
            fd.drain().unwrap();
        }
    }

    let ep = rawepoll_with(&fds, Interest::READABLE);
    let mut events = Box::new(Events::<CAP>::new());
    let keep = fds.clone();
    variants.push(variant("rawepoll", move || {
        let _ = &keep;
        let n = ep.wait(&mut events, Timeout::ZERO).unwrap();
        black_box(n);
    }));

    let ep = rawepoll_with(&fds, Interest::READABLE);
    let mut slice = vec![MaybeUninit::<RawEvent>::uninit(); CAP].into_boxed_slice();
    let keep = fds.clone();
    variants.push(variant("rawepoll (slice)", move || {
        let _ = &keep;
        let got = ep.wait_slice(&mut slice, Timeout::ZERO).unwrap();
        black_box(got.len());
    }));

    let ep = rawepoll_with(&fds, Interest::READABLE);
    let mut buf = Box::new([MaybeUninit::<epoll::Event>::uninit(); CAP]);
    let keep = fds.clone();
    variants.push(variant("rustix", move || {
        let _ = &keep;
        let zero = rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        let (got, _) = epoll::wait(&ep, &mut *buf, Some(&zero)).unwrap();
        black_box(got.len());
    }));

    let epfd = libc_epoll_with(&fds);
    let mut levents = Box::new([libc::epoll_event { events: 0, u64: 0 }; CAP]);
    let keep = fds.clone();
    variants.push(variant("libc", move || {
        let _ = &keep;
        // SAFETY: a valid epoll fd and a buffer of CAP events.
        let n = unsafe { libc::epoll_wait(epfd.as_raw_fd(), levents.as_mut_ptr(), CAP as i32, 0) };
        assert!(n >= 0);
        black_box(n);
    }));

    let epfd = libc_epoll_with(&fds);
    let mut levents = Box::new([libc::epoll_event { events: 0, u64: 0 }; CAP]);
    let keep = fds.clone();
    variants.push(variant("libc epoll_pwait", move || {
        let _ = &keep;
        // SAFETY: a valid epoll fd, a buffer of CAP events, no mask.
        let n = unsafe {
            libc::epoll_pwait(
                epfd.as_raw_fd(),
                levents.as_mut_ptr(),
                CAP as i32,
                0,
                core::ptr::null(),
            )
        };
        assert!(n >= 0);
        black_box(n);
    }));

    let poller = polling_with(&fds);
    let mut pevents = polling::Events::new();
    let keep = fds.clone();
    variants.push(variant("polling (level)", move || {
        let _ = &keep;
        pevents.clear();
        let n = poller.wait(&mut pevents, Some(Duration::ZERO)).unwrap();
        black_box(n);
    }));

    if ready <= 1 {
        // mio is edge-triggered only: an empty wait is what it can do
        // alike; with one ready fd, a mio user re-registers to be told again.
        let mut poll = mio::Poll::new().unwrap();
        let raw = fds[0].as_raw_fd();
        poll.registry()
            .register(
                &mut mio::unix::SourceFd(&raw),
                mio::Token(0),
                mio::Interest::READABLE,
            )
            .unwrap();
        let mut mevents = mio::Events::with_capacity(CAP);
        // Consume the first edge.
        poll.poll(&mut mevents, Some(Duration::ZERO)).unwrap();
        let keep = fds.clone();
        if ready == 0 {
            variants.push(variant("mio (edge)", move || {
                let _ = &keep;
                poll.poll(&mut mevents, Some(Duration::ZERO)).unwrap();
                black_box(mevents.iter().count());
            }));
        } else {
            variants.push(variant("mio (reregister + poll)", move || {
                let _ = &keep;
                poll.registry()
                    .reregister(
                        &mut mio::unix::SourceFd(&raw),
                        mio::Token(0),
                        mio::Interest::READABLE,
                    )
                    .unwrap();
                poll.poll(&mut mevents, Some(Duration::ZERO)).unwrap();
                black_box(mevents.iter().count());
            }));
        }
    }
    Group {
        name,
        about,
        variants,
    }
}

fn ctl_mod_group() -> Group {
    let fds = ready_eventfds(1);
    let mut variants = Vec::new();

    let ep = rawepoll_with(&fds, Interest::READABLE);
    let fd = Arc::clone(&fds[0]);
    variants.push(variant("rawepoll", move || {
        ep.modify(&*fd, Token(0), Interest::READABLE).unwrap();
    }));

    let ep = rawepoll_with(&fds, Interest::READABLE);
    let fd = Arc::clone(&fds[0]);
    variants.push(variant("rustix", move || {
        epoll::modify(
            &ep,
            &*fd,
            epoll::EventData::new_u64(0),
            epoll::EventFlags::IN,
        )
        .unwrap();
    }));

    let epfd = libc_epoll_with(&fds);
    let fd = Arc::clone(&fds[0]);
    variants.push(variant("libc", move || {
        let mut ev = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: 0,
        };
        // SAFETY: valid fds and event.
        let r = unsafe {
            libc::epoll_ctl(
                epfd.as_raw_fd(),
                libc::EPOLL_CTL_MOD,
                fd.as_raw_fd(),
                &mut ev,
            )
        };
        assert_eq!(r, 0);
    }));

    let poll = mio::Poll::new().unwrap();
    let fd = Arc::clone(&fds[0]);
    let raw = fd.as_raw_fd();
    poll.registry()
        .register(
            &mut mio::unix::SourceFd(&raw),
            mio::Token(0),
            mio::Interest::READABLE,
        )
        .unwrap();
    variants.push(variant("mio (reregister)", move || {
        let _ = &fd;
        poll.registry()
            .reregister(
                &mut mio::unix::SourceFd(&raw),
                mio::Token(0),
                mio::Interest::READABLE,
            )
            .unwrap();
    }));

    let poller = polling_with(&fds);
    let fd = Arc::clone(&fds[0]);
    variants.push(variant("polling", move || {
        poller
            .modify_with_mode(&*fd, polling::Event::readable(0), polling::PollMode::Level)
            .unwrap();
    }));

    Group {
        name: "ctl_mod",
        about: "epoll_ctl(MOD) of a registered eventfd",
        variants,
    }
}

fn ctl_add_del_group() -> Group {
    let fds = ready_eventfds(1);
    let mut variants = Vec::new();

    let ep = Epoll::new().unwrap();
    let fd = Arc::clone(&fds[0]);
    variants.push(variant("rawepoll", move || {
        ep.add(&*fd, Token(0), Interest::READABLE).unwrap();
        ep.delete(&*fd).unwrap();
    }));

    let ep = Epoll::new().unwrap();
    let fd = Arc::clone(&fds[0]);
    variants.push(variant("rustix", move || {
        epoll::add(
            &ep,
            &*fd,
            epoll::EventData::new_u64(0),
            epoll::EventFlags::IN,
        )
        .unwrap();
        epoll::delete(&ep, &*fd).unwrap();
    }));

    let epfd = libc_epoll_with(&[]);
    let fd = Arc::clone(&fds[0]);
    variants.push(variant("libc", move || {
        let mut ev = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: 0,
        };
        // SAFETY: valid fds and event; DEL ignores the event pointer.
        unsafe {
            assert_eq!(
                libc::epoll_ctl(
                    epfd.as_raw_fd(),
                    libc::EPOLL_CTL_ADD,
                    fd.as_raw_fd(),
                    &mut ev
                ),
                0
            );
            assert_eq!(
                libc::epoll_ctl(
                    epfd.as_raw_fd(),
                    libc::EPOLL_CTL_DEL,
                    fd.as_raw_fd(),
                    &mut ev
                ),
                0
            );
        }
    }));

    let poll = mio::Poll::new().unwrap();
    let fd = Arc::clone(&fds[0]);
    let raw = fd.as_raw_fd();
    variants.push(variant("mio", move || {
        let _ = &fd;
        let mut source = mio::unix::SourceFd(&raw);
        poll.registry()
            .register(&mut source, mio::Token(0), mio::Interest::READABLE)
            .unwrap();
        poll.registry().deregister(&mut source).unwrap();
    }));

    let poller = polling::Poller::new().unwrap();
    let fd = Arc::clone(&fds[0]);
    variants.push(variant("polling", move || {
        // SAFETY: the fd is deleted before it could be closed.
        unsafe {
            poller
                .add_with_mode(
                    fd.as_raw_fd(),
                    polling::Event::readable(0),
                    polling::PollMode::Level,
                )
                .unwrap();
        }
        poller.delete(&*fd).unwrap();
    }));

    Group {
        name: "ctl_add_del",
        about: "epoll_ctl(ADD) then epoll_ctl(DEL) of an eventfd",
        variants,
    }
}

/// Pins the calling thread to one CPU (if the machine has it), so that a
/// round trip always crosses the same two CPUs instead of depending on
/// where the scheduler happens to put the threads.
fn pin_to_cpu(cpu: usize) {
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    let _ = rustix::thread::sched_setaffinity(None, &set);
}

/// A wake-up sent to a thread blocked in a wait, and one sent back: the
/// round trip of two cross-thread wake-ups. Both threads run on CPU 0:
/// the round trip is then the libraries' system calls plus two context
/// switches, the same every run. (Across two CPUs of a VM it is dominated
/// by the hypervisor's wake-up of the idle CPU, ~50 us here, alike for
/// every library, and bimodal when left to the scheduler.)
fn wake_round_trip_group() -> Group {
    let mut variants = Vec::new();
    let peer_cpu = 0;
    pin_to_cpu(0);

    // rawepoll: an EventFd per side, edge-triggered: every notify is a new
    // edge, so nobody needs to drain it (mio's Waker works the same way).
    let side = || {
        let ep = Epoll::new().unwrap();
        let efd = Arc::new(EventFd::new().unwrap());
        ep.add(&*efd, Token(0), Interest::READABLE | Interest::EDGE)
            .unwrap();
        (ep, efd)
    };
    let (main_ep, main_efd) = side();
    let (peer_ep, peer_efd) = side();
    let back = Arc::clone(&main_efd);
    let peer_wake = Arc::clone(&peer_efd);
    let _keep_peer = Arc::clone(&peer_efd);
    thread::spawn(move || {
        pin_to_cpu(peer_cpu);
        let _ = &peer_efd;
        let mut events = Events::<1>::new();
        loop {
            peer_ep.wait(&mut events, Timeout::NEVER).unwrap();
            back.notify().unwrap();
        }
    });
    let mut events = Events::<1>::new();
    variants.push(variant("rawepoll EventFd (edge)", move || {
        let _ = &main_efd;
        peer_wake.notify().unwrap();
        main_ep.wait(&mut events, Timeout::NEVER).unwrap();
    }));

    // mio: a Waker per side.
    let mut main_poll = mio::Poll::new().unwrap();
    let main_waker = Arc::new(mio::Waker::new(main_poll.registry(), mio::Token(0)).unwrap());
    let mut peer_poll = mio::Poll::new().unwrap();
    let peer_waker = Arc::new(mio::Waker::new(peer_poll.registry(), mio::Token(0)).unwrap());
    let back = Arc::clone(&main_waker);
    thread::spawn(move || {
        pin_to_cpu(peer_cpu);
        let mut events = mio::Events::with_capacity(1);
        loop {
            peer_poll.poll(&mut events, None).unwrap();
            if !events.is_empty() {
                back.wake().unwrap();
            }
        }
    });
    let mut mevents = mio::Events::with_capacity(1);
    variants.push(variant("mio Waker", move || {
        let _ = &main_waker;
        peer_waker.wake().unwrap();
        loop {
            main_poll.poll(&mut mevents, None).unwrap();
            if !mevents.is_empty() {
                break;
            }
        }
    }));

    // polling: Poller::notify per side.
    let main_poller = Arc::new(polling::Poller::new().unwrap());
    let peer_poller = Arc::new(polling::Poller::new().unwrap());
    let back = Arc::clone(&main_poller);
    let peer = Arc::clone(&peer_poller);
    thread::spawn(move || {
        pin_to_cpu(peer_cpu);
        let mut events = polling::Events::new();
        loop {
            events.clear();
            peer.wait(&mut events, None).unwrap();
            back.notify().unwrap();
        }
    });
    let mut pevents = polling::Events::new();
    variants.push(variant("polling notify", move || {
        peer_poller.notify().unwrap();
        pevents.clear();
        main_poller.wait(&mut pevents, None).unwrap();
    }));

    Group {
        name: "wake_round_trip",
        about: "wake a thread blocked in a wait, and be woken back",
        variants,
    }
}

fn timerfd_group() -> Group {
    let mut variants = Vec::new();

    let timer = TimerFd::new().unwrap();
    let ep = Epoll::new().unwrap();
    ep.add(&timer, Token(0), Interest::READABLE).unwrap();
    let mut events = Events::<1>::new();
    variants.push(variant("rawepoll TimerFd", move || {
        timer.set_after(Duration::from_nanos(1)).unwrap();
        ep.wait(&mut events, Timeout::NEVER).unwrap();
        assert_eq!(timer.read_expirations().unwrap(), 1);
    }));

    use rustix::time::{
        timerfd_create, timerfd_settime, Itimerspec, TimerfdClockId, TimerfdFlags,
        TimerfdTimerFlags, Timespec,
    };
    let tfd = timerfd_create(
        TimerfdClockId::Monotonic,
        TimerfdFlags::CLOEXEC | TimerfdFlags::NONBLOCK,
    )
    .unwrap();
    let ep = epoll::create(epoll::CreateFlags::CLOEXEC).unwrap();
    epoll::add(
        &ep,
        &tfd,
        epoll::EventData::new_u64(0),
        epoll::EventFlags::IN,
    )
    .unwrap();
    let mut buf = [MaybeUninit::<epoll::Event>::uninit(); 1];
    let spec = Itimerspec {
        it_interval: Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        },
        it_value: Timespec {
            tv_sec: 0,
            tv_nsec: 1,
        },
    };
    variants.push(variant("rustix timerfd", move || {
        timerfd_settime(&tfd, TimerfdTimerFlags::empty(), &spec).unwrap();
        epoll::wait(&ep, &mut buf, None).unwrap();
        let mut count = [0u8; 8];
        rustix::io::read(&tfd, &mut count).unwrap();
        assert_eq!(u64::from_ne_bytes(count), 1);
    }));

    Group {
        name: "timerfd_expiry",
        about: "arm a 1 ns timer, wait for it, read its expiration count",
        variants,
    }
}

/// 64 events already in the buffer handed to their sources: no system
/// call, only the registries' bookkeeping, against a hand-written loop
/// over a plain `Vec` indexed by token (no generation check).
fn dispatch_group() -> Group {
    use rawepoll::{Registry, SharedRegistry};
    let mut variants = Vec::new();

    let mut reg = Registry::<EventFd, 64>::new().unwrap();
    for e in ready_eventfds(64) {
        let e = Arc::try_unwrap(e).ok().unwrap();
        reg.insert(e, Interest::READABLE).unwrap();
    }
    let mut events = Events::<64>::new();
    assert_eq!(reg.wait(&mut events, Timeout::ZERO).unwrap(), 64);
    let reg = std::rc::Rc::new(std::cell::RefCell::new(reg));
    let events = std::rc::Rc::new(events);

    // The baseline: what a loop without a registry does.
    let slab: Vec<usize> = (0..64).collect();
    let (plain_events, plain_ep) = {
        let fds = ready_eventfds(64);
        let ep = rawepoll_with(&fds, Interest::READABLE);
        let mut ev = Events::<64>::new();
        assert_eq!(ep.wait(&mut ev, Timeout::ZERO).unwrap(), 64);
        (ev, (ep, fds))
    };
    variants.push(variant("plain Vec by token (no check)", move || {
        let _keep = &plain_ep;
        let mut sum = 0usize;
        for e in black_box(&plain_events) {
            sum = sum.wrapping_add(slab[e.token().0 as usize]);
        }
        black_box(sum);
    }));

    let (r, ev) = (reg.clone(), events.clone());
    variants.push(variant("rawepoll Registry::dispatch", move || {
        let mut sum = 0u64;
        r.borrow_mut().dispatch(black_box(&ev), |_, token, _| {
            sum = sum.wrapping_add(token.0);
        });
        black_box(sum);
    }));
    let (r, ev) = (reg, events);
    variants.push(variant("rawepoll Registry::try_dispatch", move || {
        let mut sum = 0u64;
        let n = r
            .borrow_mut()
            .try_dispatch(black_box(&ev), |_, token, _| {
                sum = sum.wrapping_add(token.0);
                Ok::<(), ()>(())
            })
            .unwrap();
        black_box((sum, n));
    }));

    let shared = Box::new(SharedRegistry::<EventFd, 64>::new());
    for e in ready_eventfds(64) {
        let e = Arc::try_unwrap(e).ok().unwrap();
        shared.insert(e, Interest::READABLE).unwrap();
    }
    let mut sev = Events::<64>::new();
    assert_eq!(shared.wait(&mut sev, Timeout::ZERO).unwrap(), 64);
    variants.push(variant("rawepoll SharedRegistry::dispatch", move || {
        let mut sum = 0u64;
        shared.dispatch(black_box(&sev), |guard, _| {
            sum = sum.wrapping_add(guard.token().0);
        });
        black_box(sum);
    }));

    Group {
        name: "dispatch_64",
        about: "hand 64 events already in the buffer to their sources (no system call)",
        variants,
    }
}

/// The groups, in the order they are reported, each built on demand (the
/// wake-up group starts threads).
/// Builds one group.
pub type BuildGroup = fn() -> Group;

pub const GROUPS: [(&str, BuildGroup); 8] = [
    ("wait_0_ready", || {
        wait_group("wait_0_ready", "epoll_wait, timeout 0, nothing ready", 0)
    }),
    ("wait_1_ready", || {
        wait_group(
            "wait_1_ready",
            "epoll_wait, timeout 0, 1 ready level-triggered eventfd",
            1,
        )
    }),
    ("wait_64_ready", || {
        wait_group(
            "wait_64_ready",
            "epoll_wait, timeout 0, 64 ready eventfds",
            64,
        )
    }),
    ("ctl_mod", ctl_mod_group),
    ("ctl_add_del", ctl_add_del_group),
    ("wake_round_trip", wake_round_trip_group),
    ("timerfd_expiry", timerfd_group),
    ("dispatch_64", dispatch_group),
];

/// Every group.
pub fn all() -> Vec<Group> {
    GROUPS.iter().map(|(_, build)| build()).collect()
}
