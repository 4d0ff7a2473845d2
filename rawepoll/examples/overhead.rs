//! What does an epoll call cost through rawepoll, on this machine, next to
//! the bare system call, libc, rustix, mio and polling?
//!
//! ```text
//! cargo run --release --example overhead
//! cargo run --release --example overhead -- --rounds 31 --batch-ms 50 --csv
//! ```
//!
//! For each operation it measures every library interleaved in one
//! process: A B C A B C … rounds with the order rotating, each a batch of
//! calls lasting about `--batch-ms`. It prints the median ns per call with
//! the min–max spread over the rounds, and two ratios measured in the same
//! rounds: to the bare inlined system call (`getppid`, the floor) and to
//! libc's function for the same operation. Absolute numbers drift with the
//! machine's load; the ratios are what to compare.
//!
//! Options: `--rounds N` (default 21), `--batch-ms MS` (default 20),
//! `--csv` (machine-readable output), `--only NAME` (groups containing NAME).
//! `--calls N --case GROUP/VARIANT` makes exactly N calls of one variant and
//! measures nothing: for instruction counts under callgrind
//! (`.ci/callgrind`).

#[path = "../benches/cases.rs"]
#[allow(dead_code)]
mod cases;

use std::process::ExitCode;
use std::time::{Duration, Instant};

struct Options {
    rounds: usize,
    batch: Duration,
    csv: bool,
    only: Option<String>,
    calls: Option<(u64, String)>,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        rounds: 21,
        batch: Duration::from_millis(20),
        csv: false,
        only: None,
        calls: None,
    };
    let mut count = None;
    let mut case = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--rounds" => {
                o.rounds = value("--rounds")?
                    .parse()
                    .map_err(|e| format!("--rounds: {e}"))?;
                if o.rounds == 0 {
                    return Err("--rounds must be at least 1".into());
                }
            }
            "--batch-ms" => {
                let ms: u64 = value("--batch-ms")?
                    .parse()
                    .map_err(|e| format!("--batch-ms: {e}"))?;
                o.batch = Duration::from_millis(ms.max(1));
            }
            "--csv" => o.csv = true,
            "--only" => o.only = Some(value("--only")?),
            "--calls" => {
                count = Some(
                    value("--calls")?
                        .parse::<u64>()
                        .map_err(|e| format!("--calls: {e}"))?,
                )
            }
            "--case" => case = Some(value("--case")?),
            "-h" | "--help" => {
                println!("usage: overhead [--rounds N] [--batch-ms MS] [--csv] [--only GROUP]");
                println!("       overhead --calls N --case GROUP/VARIANT");
                std::process::exit(0);
            }
            other => return Err(format!("unknown option {other:?} (try --help)")),
        }
    }
    match (count, case) {
        (Some(n), Some(c)) => o.calls = Some((n, c)),
        (None, None) => {}
        _ => return Err("--calls and --case go together".into()),
    }
    Ok(o)
}

/// Calls per batch so that one batch lasts about `batch`.
fn calibrate(run: &mut dyn FnMut(), batch: Duration) -> u64 {
    let mut n = 1u64;
    loop {
        let start = Instant::now();
        for _ in 0..n {
            run();
        }
        let took = start.elapsed();
        if took >= batch / 4 || n >= 1 << 30 {
            let per = took.as_secs_f64() / n as f64;
            return ((batch.as_secs_f64() / per) as u64).max(1);
        }
        n *= 4;
    }
}

struct Row {
    name: &'static str,
    median: f64,
    min: f64,
    max: f64,
}

fn measure(variants: &mut [cases::Variant], o: &Options) -> Vec<Row> {
    let iters: Vec<u64> = variants
        .iter_mut()
        .map(|v| calibrate(&mut v.run, o.batch))
        .collect();
    let mut samples = vec![Vec::with_capacity(o.rounds); variants.len()];
    for round in 0..o.rounds {
        for k in 0..variants.len() {
            let i = (k + round) % variants.len();
            let run = &mut variants[i].run;
            let start = Instant::now();
            for _ in 0..iters[i] {
                run();
            }
            samples[i].push(start.elapsed().as_nanos() as f64 / iters[i] as f64);
        }
    }
    variants
        .iter()
        .zip(samples)
        .map(|(v, mut s)| {
            s.sort_by(f64::total_cmp);
            Row {
                name: v.name,
                median: s[s.len() / 2],
                min: s[0],
                max: s[s.len() - 1],
            }
        })
        .collect()
}

/// Exactly `n` calls of one variant, for callgrind's differential count.
fn run_calls(n: u64, case: &str) -> Result<(), String> {
    let (group, variant) = case.split_once('/').ok_or("--case is GROUP/VARIANT")?;
    if group == "syscall" {
        // The floor: the harness around a bare inlined syscall.
        let mut bare = cases::bare_syscall();
        for _ in 0..n {
            (bare.run)();
        }
        return Ok(());
    }
    let build = cases::GROUPS
        .iter()
        .find(|(name, _)| *name == group)
        .ok_or(format!("no group {group:?}"))?
        .1;
    let mut g = build();
    let v = g
        .variants
        .iter_mut()
        .find(|v| v.name == variant)
        .ok_or(format!("no variant {variant:?} in {group}"))?;
    for _ in 0..n {
        (v.run)();
    }
    Ok(())
}

/// A group's name, and rawepoll's cost over rustix's and over libc's.
type Ratios = (&'static str, Option<f64>, Option<f64>);

fn main() -> ExitCode {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("overhead: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some((n, case)) = &o.calls {
        return match run_calls(*n, case) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("overhead: {e}");
                ExitCode::from(2)
            }
        };
    }
    if o.csv {
        println!("group,variant,median_ns,min_ns,max_ns,ratio_to_bare_syscall,ratio_to_libc");
    } else {
        println!(
            "{} rounds, ~{} ms batches, interleaved; ratios from the same rounds",
            o.rounds,
            o.batch.as_millis()
        );
        println!(
            "  ns/op    median nanoseconds per call over the rounds (min–max: the spread)\n  \
             ×bare    this call / a bare inlined getppid syscall: the floor of any system call\n  \
             ×libc    this call / libc's function for the same operation (– where libc has none)\n"
        );
    }
    // (group, rawepoll / rustix, rawepoll / libc) for the summary line.
    let mut summary: Vec<Ratios> = Vec::new();
    for group in cases::all() {
        if o.only
            .as_deref()
            .is_some_and(|only| !group.name.contains(only))
        {
            continue;
        }
        let mut variants = vec![cases::bare_syscall()];
        variants.extend(group.variants);
        let rows = measure(&mut variants, &o);
        let bare = rows[0].median;
        let libc = rows.iter().find(|r| r.name == "libc").map(|r| r.median);
        if !o.csv {
            println!("{} — {}", group.name, group.about);
            println!(
                "  {:<32} {:>10} {:>21} {:>8} {:>8}",
                "", "ns/op", "min–max", "×bare", "×libc"
            );
        }
        let median_of = |prefix: &str| {
            rows.iter()
                .find(|r| r.name.starts_with(prefix))
                .map(|r| r.median)
        };
        if let Some(ours) = median_of("rawepoll") {
            summary.push((
                group.name,
                median_of("rustix").map(|r| ours / r),
                libc.map(|l| ours / l),
            ));
        }
        for (i, r) in rows.iter().enumerate() {
            // Row 0 is the bare syscall: a ratio to libc means nothing there.
            let vs_libc = libc.filter(|_| i > 0).map(|l| r.median / l);
            if o.csv {
                println!(
                    "{},{},{:.1},{:.1},{:.1},{:.3},{}",
                    group.name,
                    r.name,
                    r.median,
                    r.min,
                    r.max,
                    r.median / bare,
                    vs_libc.map_or(String::new(), |v| format!("{v:.3}"))
                );
            } else {
                println!(
                    "  {:<32} {:>10.1} {:>10.1}–{:<10.1} {:>8.2} {:>8}",
                    r.name,
                    r.median,
                    r.min,
                    r.max,
                    r.median / bare,
                    vs_libc.map_or("–".into(), |v| format!("{v:.2}"))
                );
            }
        }
        if !o.csv {
            println!();
        }
    }
    if !o.csv && !summary.is_empty() {
        let line = |pick: fn(&Ratios) -> Option<f64>| {
            summary
                .iter()
                .filter_map(|g| pick(g).map(|r| format!("{} {r:.2}x", g.0)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!("summary (lower is better; 1.00x is the same cost):");
        println!("rawepoll vs rustix: {}", line(|g| g.1));
        println!("rawepoll vs libc:   {}", line(|g| g.2));
    }
    ExitCode::SUCCESS
}
