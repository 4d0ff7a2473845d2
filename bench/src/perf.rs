//! The same workload through `perf bench epoll` itself, where perf is
//! installed: its command line from the same options, its summary parsed.

use std::process::Command;

use crate::workload::Options;

/// What perf reported: `wait`, operations/sec averaged over the threads;
/// `ctl`, the ADD, MOD and DEL operations averaged over the threads. With
/// the relative standard deviation (%) perf printed beside each.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Figure {
    pub ops: f64,
    pub rsd: f64,
}

/// perf's arguments for `workload` (`wait` or `ctl`) with `o`.
pub fn args(workload: &str, o: &Options) -> Vec<String> {
    let mut a: Vec<String> = ["bench", "epoll", workload]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
    a.extend([
        "-t".into(),
        o.threads.to_string(),
        "-f".into(),
        o.fds.to_string(),
        "-r".into(),
        o.secs.to_string(),
    ]);
    let flags: &[(bool, &str)] = &[
        (o.noaffinity, "-n"),
        (o.randomize, "-R"),
        (workload == "wait" && o.edge, "-E"),
        (workload == "wait" && o.oneshot, "-S"),
        (workload == "wait" && o.multiq, "-m"),
        (workload == "wait" && o.nonblocking, "-B"),
    ];
    a.extend(
        flags
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, f)| (*f).to_string()),
    );
    if o.nested > 0 {
        a.extend(["-N".into(), o.nested.to_string()]);
    }
    a
}

/// Runs `perf bench epoll WORKLOAD` and returns its figures (one for
/// `wait`, three for `ctl`), or why not.
pub fn run(perf: &str, workload: &str, o: &Options) -> Result<Vec<Figure>, String> {
    let out = Command::new(perf)
        .args(args(workload, o))
        .output()
        .map_err(|e| format!("{perf}: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("{perf} exited with {}: {}", out.status, err.trim()));
    }
    let figures = parse(&text);
    if figures.is_empty() {
        return Err(format!(
            "no 'Averaged' line in perf's output: {}",
            text.trim()
        ));
    }
    Ok(figures)
}

/// The figures of perf's summary lines: `Averaged N operations/sec (+-
/// X%)` or `Averaged N ADD operations (+- X%)`, in order.
pub fn parse(text: &str) -> Vec<Figure> {
    text.lines()
        .filter_map(|line| {
            let rest = line.trim().strip_prefix("Averaged ")?;
            let ops: f64 = rest.split_whitespace().next()?.parse().ok()?;
            let rsd = rest
                .split("(+-")
                .nth(1)
                .and_then(|r| r.trim().split('%').next())
                .and_then(|r| r.trim().parse().ok())
                .unwrap_or(0.0);
            Some(Figure { ops, rsd })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfs_summaries_parse() {
        let wait =
            "Run summary [PID 1]: 1 threads monitoring on 8 file-descriptors for 1 secs.\n\n\
                    [thread  0] fdmap: 0x1 ... 0x2 [ 54706 ops/sec ]\n\n\
                    Averaged 54706 operations/sec (+- 0.00%), total secs = 1\n";
        assert_eq!(
            parse(wait),
            [Figure {
                ops: 54706.0,
                rsd: 0.0
            }]
        );
        let ctl = "Averaged 72712 ADD operations (+- 1.50%)\n\
                   Averaged 72711 MOD operations (+- 0.00%)\n\
                   Averaged 72710 DEL operations (+- 0.25%)\n";
        let f = parse(ctl);
        assert_eq!(f.len(), 3);
        assert_eq!(
            (f[0].ops, f[0].rsd, f[2].ops, f[2].rsd),
            (72712.0, 1.5, 72710.0, 0.25)
        );
    }

    #[test]
    fn perfs_command_line_mirrors_the_options() {
        let o = Options {
            threads: 2,
            fds: 16,
            secs: 3,
            noaffinity: true,
            randomize: false,
            nested: 2,
            edge: true,
            oneshot: false,
            multiq: true,
            nonblocking: false,
        };
        assert_eq!(
            args("wait", &o).join(" "),
            "bench epoll wait -t 2 -f 16 -r 3 -n -E -m -N 2"
        );
        assert_eq!(
            args("ctl", &o).join(" "),
            "bench epoll ctl -t 2 -f 16 -r 3 -n -N 2"
        );
    }
}
