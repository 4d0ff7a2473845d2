//! perf bench epoll's two workloads, run through rawepoll: the same
//! threads, fds, writes, sleeps and counting as `tools/perf/bench/
//! epoll-wait.c` and `epoll-ctl.c`, so that the figures compare.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use rawepoll::{Epoll, Errno, EventFd, Events, Interest, Timeout, Token};

/// perf's options for both workloads (`-t -f -r -n -R -N`, and for
/// `wait` `-E -S -m -B`).
#[derive(Clone, Debug)]
pub struct Options {
    /// `-t`: worker threads (perf: the CPUs, less one for `wait`'s writer).
    pub threads: usize,
    /// `-f`: fds per thread.
    pub fds: usize,
    /// `-r`: seconds to run.
    pub secs: u64,
    /// `-n`: no CPU affinity (perf pins worker i to CPU i).
    pub noaffinity: bool,
    /// `-R`: random writes (`wait`) or random operations (`ctl`).
    pub randomize: bool,
    /// `-N`: epolls nested above the one the fds are in (at most 4).
    pub nested: usize,
    /// `-E`: edge-triggered.
    pub edge: bool,
    /// `-S`: one-shot, re-armed with `MOD`.
    pub oneshot: bool,
    /// `-m`: an epoll per thread rather than one for all.
    pub multiq: bool,
    /// `-B`: `epoll_wait` with timeout 0.
    pub nonblocking: bool,
}

impl Options {
    /// The mode word of the report: `lt`, `et`, `oneshot` (or both).
    pub fn mode(&self) -> &'static str {
        match (self.edge, self.oneshot) {
            (false, false) => "lt",
            (true, false) => "et",
            (false, true) => "oneshot",
            (true, true) => "et+oneshot",
        }
    }
}

/// Per-thread counts, and the run's length.
pub struct Outcome {
    /// `wait`: operations per second, per thread. `ctl`: ADD, MOD and DEL
    /// operations (totals, as perf reports them), per thread.
    pub per_thread: Vec<[f64; 3]>,
    pub runtime: Duration,
}

/// The token of the fd that tells workers to stop.
const STOP: Token = Token(u64::MAX);

fn pin(i: usize, noaffinity: bool) {
    if noaffinity {
        return;
    }
    let cpus = thread::available_parallelism().map_or(1, |n| n.get());
    let mut set = rustix::thread::CpuSet::new();
    set.set(i % cpus);
    // Best effort, as a container may refuse.
    let _ = rustix::thread::sched_setaffinity(None, &set);
}

/// Raises RLIMIT_NOFILE as perf does (`fds * threads * 2 + 50`).
fn raise_nofile(o: &Options) {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let want = (o.fds * o.threads * 2 + 50) as u64;
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current.is_some_and(|c| c < want) {
        limit.current = Some(want);
        if limit.maximum.is_some_and(|m| m < want) {
            limit.maximum = Some(want);
        }
        let _ = setrlimit(Resource::Nofile, limit);
    }
}

/// `-N`: `nested` epolls chained above `epoll`, registered for EPOLLHUP as
/// perf does (EPOLLHUP, which epoll reports whatever the mask: an empty one); they must live as long as the run.
fn nest(epoll: &Epoll, nested: usize) -> Result<Vec<Epoll>, Errno> {
    let chain: Vec<Epoll> = (0..nested.min(4))
        .map(|_| Epoll::new())
        .collect::<Result<_, _>>()?;
    for i in (1..chain.len()).rev() {
        chain[i - 1].add(&chain[i], Token(i as u64), Interest::empty())?;
    }
    if let Some(first) = chain.first() {
        epoll.add(first, Token(0), Interest::empty())?;
    }
    Ok(chain)
}

/// A xorshift generator: the shuffles and random picks need no quality.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, (self.next() % (i as u64 + 1)) as usize);
        }
    }
}

/// `perf bench epoll wait`: `threads` workers, each with `fds` eventfds in
/// one shared epoll (or its own, `-m`), each waiting for one event at a
/// time and reading the fd (re-adding it with `-E`, as perf does, and
/// re-arming it with `-S`); one writer thread writing to every fd in turn,
/// then sleeping 500 ns. An operation is one pass of a worker's loop.
pub fn wait(o: &Options) -> Result<Outcome, Errno> {
    raise_nofile(o);
    let mut interest = Interest::READABLE;
    if o.edge {
        interest |= Interest::EDGE;
    }
    if o.oneshot {
        interest |= Interest::ONESHOT;
    }
    let shared = Arc::new(Epoll::new()?);
    let mut keep = Vec::new();
    if !o.multiq {
        keep.push(nest(&shared, o.nested)?);
    }
    let stop = Arc::new(EventFd::new()?);
    let fds: Arc<Vec<EventFd>> = Arc::new(
        (0..o.threads * o.fds)
            .map(|_| EventFd::new())
            .collect::<Result<_, _>>()?,
    );
    let epolls: Vec<Arc<Epoll>> = (0..o.threads)
        .map(|_| {
            if o.multiq {
                let epoll = Epoll::new()?;
                keep.push(nest(&epoll, o.nested)?);
                Ok(Arc::new(epoll))
            } else {
                Ok(Arc::clone(&shared))
            }
        })
        .collect::<Result<_, Errno>>()?;
    for (t, epoll) in epolls.iter().enumerate() {
        for i in t * o.fds..(t + 1) * o.fds {
            epoll.add(&fds[i], Token(i as u64), interest)?;
        }
        if o.multiq || t == 0 {
            epoll.add(&*stop, STOP, Interest::READABLE)?;
        }
    }
    let done = Arc::new(AtomicBool::new(false));
    let counts: Arc<Vec<AtomicU64>> = Arc::new((0..o.threads).map(|_| AtomicU64::new(0)).collect());
    let start = Arc::new(Barrier::new(o.threads + 1));
    let timeout = if o.nonblocking {
        Timeout::ZERO
    } else {
        Timeout::NEVER
    };
    let workers: Vec<_> = epolls
        .iter()
        .enumerate()
        .map(|(t, epoll)| {
            let (epoll, fds, done, counts, start) = (
                Arc::clone(epoll),
                Arc::clone(&fds),
                Arc::clone(&done),
                Arc::clone(&counts),
                Arc::clone(&start),
            );
            let (noaffinity, edge, oneshot) = (o.noaffinity, o.edge, o.oneshot);
            thread::spawn(move || -> Result<(), Errno> {
                pin(t, noaffinity);
                start.wait();
                let mut events = Events::<1>::new();
                let mut ops = 0u64;
                while !done.load(Ordering::Relaxed) {
                    let n = epoll.wait_uninterrupted(&mut events, timeout)?;
                    if let Some(event) = events.iter().next().filter(|_| n > 0) {
                        if event.token() == STOP {
                            break;
                        }
                        let fd = &fds[event.token().0 as usize];
                        while !done.load(Ordering::Relaxed) {
                            match fd.drain() {
                                Err(Errno::AGAIN) => continue,
                                _ => break,
                            }
                        }
                        if edge {
                            // perf re-adds the fd (EEXIST, ignored).
                            let _ =
                                epoll.add(fd, event.token(), Interest::READABLE | Interest::EDGE);
                        }
                        if oneshot {
                            let _ = epoll.modify(
                                fd,
                                event.token(),
                                Interest::READABLE | Interest::ONESHOT,
                            );
                        }
                    }
                    ops += 1;
                    counts[t].store(ops, Ordering::Relaxed);
                }
                Ok(())
            })
        })
        .collect();
    start.wait();
    let began = Instant::now();
    let wdone = Arc::new(AtomicBool::new(false));
    let writer = {
        let (fds, wdone) = (Arc::clone(&fds), Arc::clone(&wdone));
        let (threads, per, randomize) = (o.threads, o.fds, o.randomize);
        thread::spawn(move || {
            let mut order: Vec<Vec<usize>> = (0..threads)
                .map(|t| (t * per..(t + 1) * per).collect())
                .collect();
            let mut rng = Rng(0x2545_f491_4f6c_dd1d);
            while !wdone.load(Ordering::Relaxed) {
                if randomize {
                    rng.shuffle(&mut order);
                }
                for fds_of in &mut order {
                    if randomize {
                        rng.shuffle(fds_of);
                    }
                    for &i in fds_of.iter() {
                        while !wdone.load(Ordering::Relaxed) {
                            match fds[i].notify() {
                                Err(Errno::AGAIN) => continue,
                                _ => break,
                            }
                        }
                    }
                }
                thread::sleep(Duration::from_nanos(500));
            }
        })
    };
    thread::sleep(Duration::from_secs(o.secs));
    done.store(true, Ordering::Relaxed);
    let runtime = began.elapsed();
    let snapshot: Vec<u64> = counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    // Every worker wakes on the stop fd (level-triggered, never read).
    stop.notify()?;
    wdone.store(true, Ordering::Relaxed);
    let _ = writer.join();
    for w in workers {
        match w.join() {
            Ok(result) => result?,
            Err(_) => return Err(Errno::IO),
        }
    }
    drop(keep);
    let secs = runtime.as_secs_f64();
    Ok(Outcome {
        per_thread: snapshot
            .iter()
            .map(|&ops| [ops as f64 / secs, 0.0, 0.0])
            .collect(),
        runtime,
    })
}

/// `perf bench epoll ctl`: `threads` workers on one epoll, each with `fds`
/// eventfds, doing ADD, MOD (to `EPOLLOUT`) and DEL on each fd in turn (or
/// `-R`: a random operation on a random fd, half the fds added first),
/// then sleeping 250 ns; the successful operations of each kind counted.
pub fn ctl(o: &Options) -> Result<Outcome, Errno> {
    raise_nofile(o);
    let epoll = Arc::new(Epoll::new()?);
    let _nested = nest(&epoll, o.nested)?;
    let done = Arc::new(AtomicBool::new(false));
    let start = Arc::new(Barrier::new(o.threads + 1));
    let workers: Vec<_> = (0..o.threads)
        .map(|t| -> Result<_, Errno> {
            let fds: Vec<EventFd> = (0..o.fds)
                .map(|_| EventFd::new())
                .collect::<Result<_, _>>()?;
            if o.randomize {
                for (i, fd) in fds.iter().enumerate().step_by(2) {
                    epoll.add(fd, Token(i as u64), Interest::READABLE)?;
                }
            }
            let (epoll, done, start) = (Arc::clone(&epoll), Arc::clone(&done), Arc::clone(&start));
            let (noaffinity, randomize) = (o.noaffinity, o.randomize);
            Ok(thread::spawn(move || {
                pin(t, noaffinity);
                start.wait();
                let mut ops = [0u64; 3];
                let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ t as u64);
                let op = |kind: usize, i: usize, ops: &mut [u64; 3]| {
                    let (fd, token) = (&fds[i], Token(i as u64));
                    let ok = match kind {
                        0 => epoll.add(fd, token, Interest::READABLE).is_ok(),
                        1 => epoll.modify(fd, token, Interest::WRITABLE).is_ok(),
                        _ => epoll.delete(fd).is_ok(),
                    };
                    ops[kind] += u64::from(ok);
                };
                while !done.load(Ordering::Relaxed) {
                    if randomize {
                        let i = (rng.next() % fds.len() as u64) as usize;
                        op((rng.next() % 3) as usize, i, &mut ops);
                    } else {
                        for i in 0..fds.len() {
                            for kind in 0..3 {
                                op(kind, i, &mut ops);
                            }
                        }
                    }
                    thread::sleep(Duration::from_nanos(250));
                }
                ops
            }))
        })
        .collect::<Result<_, _>>()?;
    start.wait();
    let began = Instant::now();
    thread::sleep(Duration::from_secs(o.secs));
    done.store(true, Ordering::Relaxed);
    let runtime = began.elapsed();
    let mut per_thread = Vec::new();
    for w in workers {
        let ops = w.join().map_err(|_| Errno::IO)?;
        per_thread.push(ops.map(|n| n as f64));
    }
    Ok(Outcome {
        per_thread,
        runtime,
    })
}

/// The mean and the relative standard deviation (%) of `values`.
pub fn mean_rsd(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let n = values.clone().count() as f64;
    if n == 0.0 {
        return (0.0, 0.0);
    }
    let mean = values.clone().sum::<f64>() / n;
    if n < 2.0 || mean == 0.0 {
        return (mean, 0.0);
    }
    let var = values.map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt() / mean * 100.0)
}
