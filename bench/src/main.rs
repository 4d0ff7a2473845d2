//! rawepoll-bench: epoll benchmarks on rawepoll.
//!
//! ```text
//! rawepoll-bench perfbench wait [-t N] [-f N] [-r SECS] [-E] [-S] [-m] [-N N] [-R] [-B] [-n]
//! rawepoll-bench perfbench ctl  [-t N] [-f N] [-r SECS] [-N N] [-R] [-n]
//!     [--perf PATH | --no-perf] [--json FILE]
//! rawepoll-bench compare A.json B.json
//! rawepoll-bench latency [-n CALLS]
//! ```
//!
//! `perfbench` runs `perf bench epoll`'s workloads through rawepoll, with
//! perf's options and their meaning, then (where `perf` is installed) the
//! same workload through perf in the same run, and prints one line per
//! figure:
//!
//! ```text
//! perfbench workload=wait threads=1 fds=64 mode=lt rawepoll_ops=A perf_ops=B ratio=A/B
//! perfbench workload=ctl threads=1 fds=64 op=add rawepoll_ops=A perf_ops=B ratio=A/B
//! ```
//!
//! `wait` figures are operations per second, `ctl` figures operations
//! over the run, each averaged over the threads, as perf reports them.
//! `--json FILE` writes the figures and the environment (kernel, CPU,
//! mitigations, governor, SMT, timer slack) to FILE. `compare A.json
//! B.json` prints each figure of both runs with the ratio B/A, marks
//! `DIFFERS` where it is beyond the runs' own spread (exit status 1 when
//! any is), and lists the environment entries that differ.

mod compare;
mod env;
mod json;
mod latency;
mod perf;
mod workload;

use std::process::ExitCode;

use workload::Options;

const USAGE: &str = "usage: rawepoll-bench perfbench wait|ctl [-t THREADS] [-f FDS] [-r SECS] \
[-E] [-S] [-m] [-B] [-N NESTED] [-R] [-n] [--perf PATH | --no-perf] [--json FILE]
       rawepoll-bench compare A.json B.json
       rawepoll-bench latency [-n CALLS]";

struct Args {
    workload: String,
    options: Options,
    perf: Option<String>,
    json: Option<String>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    match args.next().as_deref() {
        Some("perfbench") => {}
        Some("-h" | "--help") => return Err(String::new()),
        Some(other) => return Err(format!("unknown command {other:?}")),
        None => return Err("no command".into()),
    }
    let workload = match args.next() {
        Some(w) if w == "wait" || w == "ctl" => w,
        Some(w) => return Err(format!("unknown workload {w:?} (wait or ctl)")),
        None => return Err("no workload (wait or ctl)".into()),
    };
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut o = Options {
        // perf's defaults: the CPUs, less one for wait's writer; 64 fds; 8 s.
        threads: if workload == "wait" {
            cpus.saturating_sub(1).max(1)
        } else {
            cpus
        },
        fds: 64,
        secs: 8,
        noaffinity: false,
        randomize: false,
        nested: 0,
        edge: false,
        oneshot: false,
        multiq: false,
        nonblocking: false,
    };
    let mut perf = Some("perf".to_string());
    let mut json = None;
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            let v = args.next().ok_or(format!("{name} needs a value"))?;
            v.parse()
                .map_err(|_| format!("{name}: not a number: {v:?}"))
        };
        match arg.as_str() {
            "-t" | "--threads" => o.threads = number("-t")?,
            "-f" | "--nfds" => o.fds = number("-f")?,
            "-r" | "--runtime" => o.secs = number("-r")? as u64,
            "-N" | "--nested" => o.nested = number("-N")?,
            "-n" | "--noaffinity" => o.noaffinity = true,
            "-R" | "--randomize" => o.randomize = true,
            "-E" | "--edge" if workload == "wait" => o.edge = true,
            "-S" | "--oneshot" if workload == "wait" => o.oneshot = true,
            "-m" | "--multiq" if workload == "wait" => o.multiq = true,
            "-B" | "--nonblocking" if workload == "wait" => o.nonblocking = true,
            "--perf" => perf = Some(args.next().ok_or("--perf needs a path")?),
            "--no-perf" => perf = None,
            "--json" => json = Some(args.next().ok_or("--json needs a file")?),
            other => return Err(format!("unknown option {other:?} for {workload}")),
        }
    }
    if o.threads == 0 || o.fds == 0 || o.secs == 0 {
        return Err("-t, -f and -r must be at least 1".into());
    }
    Ok(Args {
        workload,
        options: o,
        perf,
        json,
    })
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().map(String::as_str) == Some("compare") {
        let [_, a, b] = argv.as_slice() else {
            eprintln!("rawepoll-bench: compare takes two files\n{USAGE}");
            return ExitCode::from(2);
        };
        return match compare::compare(a, b) {
            Ok((lines, differ)) => {
                for l in lines {
                    println!("{l}");
                }
                if differ > 0 {
                    ExitCode::FAILURE
                } else {
                    ExitCode::SUCCESS
                }
            }
            Err(e) => {
                eprintln!("rawepoll-bench: {e}");
                ExitCode::from(2)
            }
        };
    }
    if argv.first().map(String::as_str) == Some("latency") {
        let n = match argv.get(1..).unwrap_or_default() {
            [] => 200_000,
            [flag, v] if flag == "-n" => match v.parse::<usize>() {
                Ok(n) if n >= 1000 => n,
                _ => {
                    eprintln!("rawepoll-bench: -n takes a count of at least 1000\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            _ => {
                eprintln!("rawepoll-bench: latency takes only -n CALLS\n{USAGE}");
                return ExitCode::from(2);
            }
        };
        return match latency::run(n) {
            Ok((empty, rows)) => {
                println!(
                    "{:<32} {:>8} {:>8} {:>8} {:>10}  (ns per call, {} calls each, the empty loop's p50 subtracted)",
                    "latency", "p50", "p99", "p99.9", "max", n
                );
                for r in std::iter::once(&empty).chain(&rows) {
                    println!(
                        "{:<32} {:>8.0} {:>8.0} {:>8.0} {:>10.0}",
                        r.name, r.p50, r.p99, r.p999, r.max
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("rawepoll-bench: latency: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let args = match parse(argv.into_iter()) {
        Ok(a) => a,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("rawepoll-bench: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rawepoll-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let o = &args.options;
    let outcome = match args.workload.as_str() {
        "wait" => workload::wait(o),
        _ => workload::ctl(o),
    }
    .map_err(|e| format!("the {} workload failed: {e}", args.workload))?;
    let perf = match &args.perf {
        Some(path) => match perf::run(path, &args.workload, o) {
            Ok(figures) => Some(figures),
            Err(e) => {
                eprintln!("rawepoll-bench: perf not run ({e}); rawepoll's figures only");
                None
            }
        },
        None => None,
    };
    let ops_names: &[&str] = if args.workload == "wait" {
        &["wait"]
    } else {
        &["add", "mod", "del"]
    };
    let mut rows = Vec::new();
    for (k, op) in ops_names.iter().enumerate() {
        let (mean, rsd) = workload::mean_rsd(outcome.per_thread.iter().map(|t| t[k]));
        let theirs = perf.as_ref().and_then(|f| f.get(k)).copied();
        let mut line = format!(
            "perfbench workload={} threads={} fds={}",
            args.workload, o.threads, o.fds
        );
        if args.workload == "wait" {
            line += &format!(" mode={}", o.mode());
        } else {
            line += &format!(" op={op}");
        }
        line += &format!(" rawepoll_ops={mean:.0}");
        match theirs {
            Some(f) if f.ops > 0.0 => {
                line += &format!(" perf_ops={:.0} ratio={:.3}", f.ops, mean / f.ops);
            }
            _ => line += " perf_ops=NA ratio=NA",
        }
        println!("{line}");
        rows.push(json::Row {
            workload: args.workload.clone(),
            op: (*op).to_string(),
            mode: o.mode().to_string(),
            threads: o.threads,
            fds: o.fds,
            secs: outcome.runtime.as_secs_f64(),
            rawepoll_ops: mean,
            rawepoll_rsd: rsd,
            perf: theirs,
        });
    }
    if let Some(path) = &args.json {
        let text = json::document(&env::collect(), &perf::args(&args.workload, o), &rows);
        std::fs::write(path, text).map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(line: &str) -> Result<Args, String> {
        parse(line.split_whitespace().map(str::to_string))
    }

    #[test]
    fn options_take_perfs_names_and_meaning() {
        let a = parsed("perfbench wait -t 3 -f 16 -r 2 -E -S -m -B -N 2 -R -n --no-perf").unwrap();
        let o = &a.options;
        assert_eq!((o.threads, o.fds, o.secs, o.nested), (3, 16, 2, 2));
        assert!(o.edge && o.oneshot && o.multiq && o.nonblocking && o.randomize && o.noaffinity);
        assert_eq!((o.mode(), a.perf), ("et+oneshot", None));
        let c = parsed("perfbench ctl --threads 2 --nfds 8 --json out.json").unwrap();
        assert_eq!(
            (c.options.threads, c.options.fds, c.json.as_deref()),
            (2, 8, Some("out.json"))
        );
    }

    #[test]
    fn bad_command_lines_are_refused_with_a_reason() {
        for (line, why) in [
            ("", "no command"),
            ("perfbench", "no workload"),
            ("perfbench sleep", "unknown workload"),
            ("perfbench ctl -E", "unknown option \"-E\" for ctl"),
            ("perfbench wait -t", "-t needs a value"),
            ("perfbench wait -f many", "not a number"),
            ("perfbench wait -r 0", "at least 1"),
        ] {
            let e = parsed(line).err().unwrap_or_default();
            assert!(e.contains(why), "{line:?}: {e:?}");
        }
    }
}
