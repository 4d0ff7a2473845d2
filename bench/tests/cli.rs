//! rawepoll-bench run as a user runs it: every perf workload option gives
//! a figure line, the ratio against perf is computed from what perf
//! printed, and `--json` holds the environment and the figures.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Output};

fn bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rawepoll-bench"))
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            // Built for a foreign CPU and run under qemu-user, a test cannot
            // exec the binary (ENOEXEC): .ci/arch-matrix tests the libraries.
            panic!("cannot run rawepoll-bench ({e}): it is a host tool, tested on the host")
        })
}

/// The `key=value` fields of each `perfbench` line.
fn lines(o: &Output) -> Vec<HashMap<String, String>> {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("perfbench "))
        .map(|l| {
            l.split_whitespace()
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn ops(line: &HashMap<String, String>) -> f64 {
    line["rawepoll_ops"].parse().unwrap()
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("rawepoll-bench-{}-{name}", std::process::id()))
}

#[test]
fn every_wait_mode_runs_and_counts_operations() {
    for (extra, mode) in [
        (&[][..], "lt"),
        (&["-E"][..], "et"),
        (&["-S"][..], "oneshot"),
        (&["-m", "-N", "2"][..], "lt"),
        (&["-R", "-n"][..], "lt"),
        (&["-B"][..], "lt"),
    ] {
        let mut args = vec![
            "perfbench",
            "wait",
            "-t",
            "2",
            "-f",
            "8",
            "-r",
            "1",
            "--no-perf",
        ];
        args.extend_from_slice(extra);
        let out = lines(&bench(&args));
        assert_eq!(out.len(), 1, "{args:?}");
        let l = &out[0];
        assert_eq!(
            (
                l["workload"].as_str(),
                l["threads"].as_str(),
                l["fds"].as_str(),
                l["mode"].as_str()
            ),
            ("wait", "2", "8", mode),
            "{args:?}"
        );
        assert!(ops(l) > 100.0, "{args:?}: {l:?}");
        assert_eq!((l["perf_ops"].as_str(), l["ratio"].as_str()), ("NA", "NA"));
    }
}

#[test]
fn ctl_counts_add_mod_and_del() {
    for extra in [&[][..], &["-R", "-N", "1"][..]] {
        let mut args = vec![
            "perfbench",
            "ctl",
            "-t",
            "2",
            "-f",
            "8",
            "-r",
            "1",
            "--no-perf",
        ];
        args.extend_from_slice(extra);
        let out = lines(&bench(&args));
        let kinds: Vec<&str> = out.iter().map(|l| l["op"].as_str()).collect();
        assert_eq!(kinds, ["add", "mod", "del"], "{args:?}");
        for l in &out {
            assert!(ops(l) > 100.0, "{args:?}: {l:?}");
        }
        if extra.is_empty() {
            // In turn on every fd, each operation succeeds as often.
            let (a, d) = (ops(&out[0]), ops(&out[2]));
            assert!((a - d).abs() <= 2.0 * 8.0, "add {a} del {d}");
        }
    }
}

#[test]
fn the_ratio_is_against_what_perf_printed() {
    // A stand-in for perf that prints perf's own summary lines.
    let fake = temp("perf.sh");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho \"$*\" > \"$0.args\"\n\
         echo 'Averaged 1000 ADD operations (+- 1.00%)'\n\
         echo 'Averaged 2000 MOD operations (+- 2.00%)'\n\
         echo 'Averaged 4000 DEL operations (+- 4.00%)'\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let json = temp("ctl.json");
    let o = bench(&[
        "perfbench",
        "ctl",
        "-t",
        "1",
        "-f",
        "4",
        "-r",
        "1",
        "-R",
        "--perf",
        fake.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    let out = lines(&o);
    let args = std::fs::read_to_string(format!("{}.args", fake.display())).unwrap();
    assert_eq!(
        args.trim(),
        "bench epoll ctl -t 1 -f 4 -r 1 -R",
        "perf got perf's options"
    );
    for (l, theirs) in out.iter().zip([1000.0, 2000.0, 4000.0]) {
        assert_eq!(l["perf_ops"], format!("{theirs:.0}"));
        let ratio: f64 = l["ratio"].parse().unwrap();
        assert!((ratio - ops(l) / theirs).abs() < 0.001, "{l:?}");
    }
    let doc = std::fs::read_to_string(&json).unwrap();
    for key in [
        "\"environment\"",
        "\"kernel\"",
        "\"cpu_model\"",
        "\"mitigations_cmdline\"",
        "\"timer_slack_ns\"",
        "\"perf_command\": \"perf bench epoll ctl -t 1 -f 4 -r 1 -R\"",
        "\"perf_ops\": 2000.000",
        "\"perf_rsd_pct\": 4.000",
    ] {
        assert!(doc.contains(key), "{key} not in {doc}");
    }
    for f in [
        fake.clone(),
        json,
        PathBuf::from(format!("{}.args", fake.display())),
    ] {
        let _ = std::fs::remove_file(f);
    }
}

#[test]
fn a_missing_perf_is_said_and_the_figures_still_come() {
    let o = bench(&[
        "perfbench",
        "wait",
        "-t",
        "1",
        "-f",
        "2",
        "-r",
        "1",
        "--perf",
        "/nonexistent/perf",
    ]);
    let out = lines(&o);
    assert_eq!(out[0]["perf_ops"], "NA");
    assert!(String::from_utf8_lossy(&o.stderr).contains("perf not run"));
}

#[test]
fn bad_options_exit_2_with_the_usage() {
    let o = bench(&["perfbench", "ctl", "-E"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("unknown option \"-E\" for ctl") && err.contains("usage:"),
        "{err}"
    );
}

#[test]
fn compare_marks_what_differs_beyond_the_spread() {
    let doc = |kernel: &str, wait: f64, rsd: f64, add: f64| {
        format!(
            "{{\"environment\": {{\"kernel\": \"{kernel}\", \"cpu_model\": \"x\"}},\n\
             \"perf_command\": \"perf bench epoll wait\",\n\
             \"perfbench\": [\n\
             {{\"workload\": \"wait\", \"op\": \"wait\", \"mode\": \"lt\", \"threads\": 1, \"fds\": 64, \
               \"rawepoll_ops\": {wait}, \"rawepoll_rsd_pct\": {rsd}}},\n\
             {{\"workload\": \"ctl\", \"op\": \"add\", \"mode\": \"lt\", \"threads\": 1, \"fds\": 64, \
               \"rawepoll_ops\": {add}, \"rawepoll_rsd_pct\": 1.0}}]}}"
        )
    };
    let (a, b) = (temp("a.json"), temp("b.json"));
    // wait: 10% faster with 3% + 3% of spread: it differs. ctl add: 1%
    // apart within 1% + 1%: it does not.
    std::fs::write(&a, doc("6.1.0", 100_000.0, 3.0, 50_000.0)).unwrap();
    std::fs::write(&b, doc("6.12.0", 110_000.0, 3.0, 50_500.0)).unwrap();
    let o = bench(&["compare", a.to_str().unwrap(), b.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a difference beyond the spread: {text}"
    );
    assert!(
        text.contains("environment kernel: \"6.1.0\" -> \"6.12.0\""),
        "{text}"
    );
    assert!(
        text.contains("compare workload=wait op=wait mode=lt threads=1 fds=64 a=100000 b=110000 ratio=1.100 spread=6.0% DIFFERS"),
        "{text}"
    );
    let add = text.lines().find(|l| l.contains("op=add")).unwrap();
    assert!(add.ends_with("ratio=1.010 spread=2.0%"), "{add}");
    // The same file twice: nothing differs.
    let same = bench(&["compare", a.to_str().unwrap(), a.to_str().unwrap()]);
    assert_eq!(same.status.code(), Some(0));
    // Not a document: a clear error, exit 2.
    std::fs::write(&b, "not json").unwrap();
    let bad = bench(&["compare", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a rawepoll-bench --json document"));
    let _ = std::fs::remove_file(a);
    let _ = std::fs::remove_file(b);
}

#[test]
fn a_real_run_compares_with_itself() {
    let json = temp("self.json");
    let o = bench(&[
        "perfbench",
        "wait",
        "-t",
        "1",
        "-f",
        "4",
        "-r",
        "1",
        "--no-perf",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let c = bench(&["compare", json.to_str().unwrap(), json.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&c.stdout);
    assert!(c.status.success() && text.contains("ratio=1.000"), "{text}");
    let _ = std::fs::remove_file(json);
}

#[test]
fn latency_gives_each_rows_distribution_with_the_empty_loop() {
    let o = bench(&["latency", "-n", "2000"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.rsplitn(5, ' ').filter(|w| !w.is_empty()).collect())
        .collect();
    assert_eq!(rows.len(), 8, "{text}");
    for name in [
        "empty loop",
        "rawepoll wait, 1 ready",
        "rustix epoll_ctl MOD",
        "eventfd",
    ] {
        assert!(text.contains(name), "{name} not in {text}");
    }
    for line in text.lines().skip(1) {
        let nums: Vec<f64> = line
            .split_whitespace()
            .rev()
            .take(4)
            .map(|w| w.parse().unwrap())
            .collect();
        let (max, p999, p99, p50) = (nums[0], nums[1], nums[2], nums[3]);
        assert!(p50 <= p99 && p99 <= p999 && p999 <= max, "{line}");
    }
    let bad = bench(&["latency", "-n", "5"]);
    assert_eq!(bad.status.code(), Some(2));
}
