//! rawinit, the init in programs/rawinit, run for real: exit codes, signal
//! forwarding, reaping, process groups, subreaping, the child's signal
//! state and fds, and idleness. The PID-1 scenarios run under
//! `unshare --pid --fork --mount-proc` (root only; skipped loudly
//! otherwise). rawinit is built for x86_64 and run natively unless
//! `RAWINIT_TARGET` and `RAWINIT_RUNNER` name another target and its
//! emulator: `.ci/rawinit-arches` runs this suite against rawinit built for
//! i686, aarch64, armv7 and riscv64 under qemu-user.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

mod support {
    pub mod no_main;
}
use support::no_main;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// The target rawinit is built for: x86_64 by default, run natively.
/// `RAWINIT_TARGET` (with `RAWINIT_RUNNER`, e.g. `qemu-aarch64`) runs this
/// whole suite against rawinit built for another architecture, under
/// qemu-user: `.ci/rawinit-arches` does it for i686, aarch64, armv7 and
/// riscv64.
fn target() -> String {
    std::env::var("RAWINIT_TARGET").unwrap_or_else(|_| "x86_64-unknown-linux-musl".into())
}

/// The emulator for a foreign target (`RAWINIT_RUNNER`), as an absolute
/// path (execv and chroot need one), or `None` to run rawinit natively.
fn runner() -> Option<&'static Path> {
    static RUNNER: OnceLock<Option<PathBuf>> = OnceLock::new();
    RUNNER
        .get_or_init(|| {
            let name = std::env::var_os("RAWINIT_RUNNER").filter(|r| !r.is_empty())?;
            let name = PathBuf::from(name);
            if name.is_absolute() {
                return Some(name);
            }
            let path = std::env::var_os("PATH").unwrap_or_default();
            let found = std::env::split_paths(&path)
                .map(|d| d.join(&name))
                .find(|p| p.exists());
            Some(found.unwrap_or_else(|| panic!("RAWINIT_RUNNER {name:?} is not on PATH")))
        })
        .as_deref()
}

/// Skips a test that cannot run under an emulator, saying why.
fn skip_under_runner(why: &str) -> bool {
    if runner().is_some() {
        eprintln!("\n*** SKIPPED under {}: {why} ***\n", target());
        return true;
    }
    false
}

/// What `rawinit -s` writes on stderr: nothing on Linux, a warning under an
/// emulator that refuses `PR_SET_CHILD_SUBREAPER` (qemu-user 7 answers
/// EINVAL, and EINVAL for `PR_GET_CHILD_SUBREAPER` too).
fn dash_s_stderr() -> &'static str {
    static STDERR: OnceLock<String> = OnceLock::new();
    STDERR.get_or_init(|| {
        let o = init()
            .args(["-s", "true"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(
            stderr.is_empty()
                || (runner().is_some() && stderr.contains("cannot become a child subreaper")),
            "rawinit -s true: {stderr}"
        );
        stderr
    })
}

/// Skips a test of subreaping under an emulator that refuses it.
fn skip_without_subreaper() -> bool {
    if dash_s_stderr().is_empty() {
        return false;
    }
    eprintln!(
        "\n*** SKIPPED under {}: the emulator refuses PR_SET_CHILD_SUBREAPER ***\n",
        target()
    );
    true
}

/// The command line that starts rawinit: its path, after the emulator's
/// for a foreign target.
fn init_argv() -> Vec<&'static std::ffi::OsStr> {
    runner()
        .into_iter()
        .chain([rawinit()])
        .map(Path::as_os_str)
        .collect()
}

/// rawinit as a command, with the signals the tests send at their default
/// action (see `init_cmd`).
fn init() -> Command {
    let argv = init_argv();
    let mut cmd = init_cmd(argv[0]);
    cmd.args(&argv[1..]);
    cmd
}

fn outside_the_repository() -> bool {
    !no_main::in_the_repository("rawinit")
}

/// Builds rawinit once (its own target dir, so the outer cargo's lock is
/// not in the way) and returns the binary's path.
fn rawinit() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| no_main::build("rawinit", "rawinit", &target(), "rawinit-test"))
}

/// A command whose process starts with the signals the tests send at
/// their default action. rawinit hands the caller's ignored signals on to
/// its child (as tini does), and a test run from a background job of a
/// non-interactive shell starts with SIGINT and SIGQUIT ignored (nohup adds
/// SIGHUP): forwarded, they would be ignored by the child and the test would
/// wait for nothing.
fn init_cmd(program: impl AsRef<std::ffi::OsStr>) -> Command {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(program);
    // SAFETY: signal(2) is async-signal-safe; this runs in the forked child
    // before exec.
    unsafe {
        cmd.pre_exec(|| {
            for sig in [
                libc::SIGHUP,
                libc::SIGINT,
                libc::SIGQUIT,
                libc::SIGTERM,
                libc::SIGUSR1,
                libc::SIGUSR2,
                libc::SIGTSTP,
                libc::SIGTTIN,
                libc::SIGTTOU,
                // A shell starts rawinit with SIGPIPE at its default action
                // (killing); the test harness ignores it.
                libc::SIGPIPE,
            ] {
                libc::signal(sig, libc::SIG_DFL);
            }
            Ok(())
        });
    }
    cmd
}

fn run(args: &[&str]) -> Output {
    let mut child = init()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_timeout(&mut child, Duration::from_secs(20));
    child.wait_with_output().unwrap()
}

fn wait_timeout(child: &mut Child, limit: Duration) {
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("rawinit did not exit within {limit:?}: it hangs");
        }
        sleep(Duration::from_millis(5));
    }
}

fn code(o: &Output) -> i32 {
    o.status
        .code()
        .unwrap_or_else(|| panic!("killed: {:?}", o.status))
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

fn skip_unless_root(what: &str) -> bool {
    if !is_root() {
        eprintln!("\n*** SKIPPED {what}: needs root for unshare --pid ***\n");
        return true;
    }
    false
}

/// The pid of a process whose parent is `parent`, once there is one.
fn child_of(parent: u32) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let children = std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children"))
            .unwrap_or_default();
        if let Some(pid) = children.split_whitespace().next() {
            return pid.parse().unwrap();
        }
        assert!(Instant::now() < deadline, "pid {parent} never got a child");
        sleep(Duration::from_millis(5));
    }
}

fn status_field(pid: u32, name: &str) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(name))
        .map(|l| l[name.len()..].trim().to_string())
}

#[test]
fn exit_codes_pass_through() {
    if outside_the_repository() {
        return;
    }
    for c in [0, 1, 2, 127, 255] {
        let o = run(&["-s", "--", "sh", "-c", &format!("exit {c}")]);
        assert_eq!(code(&o), c, "{}", String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn a_child_killed_by_a_signal_gives_128_plus_n() {
    if outside_the_repository() {
        return;
    }
    assert_eq!(code(&run(&["-s", "sh", "-c", "kill -TERM $$"])), 143);
    assert_eq!(code(&run(&["-s", "sh", "-c", "kill -KILL $$"])), 137);
}

#[test]
fn exec_failures_give_127_and_126_with_a_message() {
    if outside_the_repository() {
        return;
    }
    let o = run(&["-s", "no-such-program-rawinit"]);
    assert_eq!(code(&o), 127);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("cannot execute no-such-program-rawinit: No such file or directory"),
        "{err}"
    );
    let o = run(&["-s", "/no/such/path"]);
    assert_eq!(code(&o), 127);

    let dir = std::env::temp_dir().join(format!("rawinit-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("not-executable");
    std::fs::write(&file, "#!/bin/sh\nexit 0\n").unwrap();
    let o = run(&["-s", file.to_str().unwrap()]);
    assert_eq!(code(&o), 126);
    assert!(String::from_utf8_lossy(&o.stderr).contains("Permission denied"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn remapped_exit_codes() {
    if outside_the_repository() {
        return;
    }
    assert_eq!(code(&run(&["-s", "-e", "3", "sh", "-c", "exit 3"])), 0);
    assert_eq!(
        code(&run(&["-s", "-e3", "-e", "4", "sh", "-c", "exit 4"])),
        0
    );
    assert_eq!(code(&run(&["-s", "-e", "3", "sh", "-c", "exit 5"])), 5);
    // Only exit codes, never signals.
    assert_eq!(
        code(&run(&["-s", "-e", "143", "sh", "-c", "kill -TERM $$"])),
        143
    );
}

#[test]
fn usage_errors_help_and_version() {
    if outside_the_repository() {
        return;
    }
    for bad in [
        &["-x", "true"][..],
        &["-e"],
        &["-e", "256", "true"],
        &["-e", "x", "true"],
        &[],
        &["-s"],
        &["--bogus", "true"],
        &["-p"],
        &["-p", "BOGUS", "true"],
        &["-p", "64", "true"],
        &["-r"],
        &["-r", "15", "true"],
        &["-r", "15:65", "true"],
        &["-r", "0:1", "true"],
    ] {
        let o = run(bad);
        assert_eq!(code(&o), 2, "{bad:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.starts_with("rawinit: ") && err.contains("--help"),
            "{bad:?}: {err}"
        );
    }
    let o = run(&["--help"]);
    assert_eq!(code(&o), 0);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("usage: rawinit"));
    let o = run(&["-h"]);
    assert_eq!(code(&o), 0);
    let o = run(&["--version"]);
    assert_eq!(
        (code(&o), String::from_utf8_lossy(&o.stdout).trim()),
        (0, "rawinit 0.1.0")
    );
    assert_eq!(code(&run(&["-V"])), 0);
}

#[test]
fn not_pid_1_without_s_warns_and_still_runs() {
    if outside_the_repository() {
        return;
    }
    let o = run(&["sh", "-c", "exit 7"]);
    assert_eq!(code(&o), 7);
    assert!(String::from_utf8_lossy(&o.stderr).contains("warning: not PID 1 and no -s"));
    let o = run(&["-s", "true"]);
    assert_eq!(String::from_utf8_lossy(&o.stderr), dash_s_stderr());
}

/// Runs rawinit as PID 1 of a new pid namespace; returns the unshare
/// process, whose exit code is rawinit's (`child_of` it is rawinit).
fn spawn_pid1(args: &[&str]) -> Child {
    init_cmd("unshare")
        .args(["--pid", "--fork", "--mount-proc"])
        .args(init_argv())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(mut child: Child) -> Output {
    wait_timeout(&mut child, Duration::from_secs(20));
    child.wait_with_output().unwrap()
}

#[test]
fn signals_from_outside_reach_the_child_of_pid_1() {
    if outside_the_repository() {
        return;
    }
    if skip_unless_root("signals to PID 1") {
        return;
    }
    for (sig, n) in [
        ("TERM", 15),
        ("INT", 2),
        ("HUP", 1),
        ("USR1", 10),
        ("USR2", 12),
    ] {
        let child = spawn_pid1(&["sleep", "30"]);
        let init = child_of(child.id());
        child_of(init); // the child runs: the signals are blocked by now
        let s = Command::new("kill")
            .args([&format!("-{sig}"), &init.to_string()])
            .status()
            .unwrap();
        assert!(s.success());
        let o = finish(child);
        assert_eq!(
            code(&o),
            128 + n,
            "SIG{sig}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn kill_term_1_from_inside_reaches_the_child() {
    if outside_the_repository() {
        return;
    }
    if skip_unless_root("kill -TERM 1") {
        return;
    }
    let child = spawn_pid1(&["sh", "-c", "kill -TERM 1; sleep 10"]);
    assert_eq!(code(&finish(child)), 143);
}

#[test]
fn a_hundred_orphans_leave_no_zombie() {
    if outside_the_repository() {
        return;
    }
    if skip_unless_root("orphan reaping as PID 1") {
        return;
    }
    // 100 orphans (their parent subshells exit at once), all exiting
    // together: their SIGCHLDs coalesce. Then count zombies in the
    // namespace; the child's exit code is that count.
    let script = "for i in $(seq 100); do (sleep 0.3 &); done; sleep 1.5; \
                  z=0; for s in /proc/[0-9]*/status; do grep -q '^State:.*Z' $s 2>/dev/null && z=$((z+1)); done; \
                  ps=$(ls -d /proc/[0-9]* | wc -l); echo \"zombies=$z processes=$ps\"; exit $z";
    let child = spawn_pid1(&["sh", "-c", script]);
    let o = finish(child);
    println!("{}", String::from_utf8_lossy(&o.stdout).trim());
    assert_eq!(
        code(&o),
        0,
        "zombies left: {}",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn coalesced_sigchld_with_a_main_child_exiting_127_does_not_hang() {
    if outside_the_repository() {
        return;
    }
    if skip_unless_root("coalesced SIGCHLD as PID 1") {
        return;
    }
    for _ in 0..5 {
        let child = spawn_pid1(&[
            "sh",
            "-c",
            "for i in $(seq 50); do (true &); done; exit 127",
        ]);
        assert_eq!(code(&finish(child)), 127);
    }
}

/// Whether `pid` is alive (running, not a zombie); SIGKILL for it if so,
/// so that no test leaves it behind.
fn kill_if_alive(pid: u32) -> bool {
    let state = status_field(pid, "State:");
    let alive = state.as_deref().is_some_and(|s| !s.starts_with('Z'));
    if alive {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    alive
}

/// rawinit -s [-g] running `sh` with a background grandchild; TERM to
/// rawinit; returns whether the grandchild survived.
fn grandchild_survives(group: bool) -> bool {
    grandchild_survives_with(if group { Some(("-g", None)) } else { None })
}

/// As `grandchild_survives`, with group forwarding asked for by a flag or
/// by tini's environment variable.
fn grandchild_survives_with(group: Option<(&str, Option<&str>)>) -> bool {
    let tag = group.map_or("none", |g| g.0);
    let dir = std::env::temp_dir().join(format!("rawinit-g-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pidfile = dir.join("pid");
    let script = format!("sleep 30 & echo $! > {}; wait", pidfile.display());
    let mut args = vec!["-s"];
    let mut cmd = init();
    match group {
        Some((flag, None)) => args.push(flag),
        Some((var, Some(value))) => drop(cmd.env(var, value)),
        None => {}
    }
    args.extend(["sh", "-c", &script]);
    let mut init = cmd.args(&args).stdin(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let grandchild: u32 = loop {
        if let Ok(s) = std::fs::read_to_string(&pidfile) {
            if let Ok(p) = s.trim().parse() {
                break p;
            }
        }
        assert!(Instant::now() < deadline, "the grandchild never started");
        sleep(Duration::from_millis(5));
    };
    Command::new("kill")
        .args(["-TERM", &init.id().to_string()])
        .status()
        .unwrap();
    wait_timeout(&mut init, Duration::from_secs(10));
    assert_eq!(init.wait().unwrap().code(), Some(143));
    sleep(Duration::from_millis(100));
    let alive = kill_if_alive(grandchild);
    std::fs::remove_dir_all(&dir).unwrap();
    alive
}

/// rawinit -s ARGS running `sh` whose background grandchild sleeps while
/// the child exits 4 at once; returns whether the grandchild outlived
/// rawinit.
fn grandchild_outlives_the_child(args: &[&str]) -> bool {
    let dir = std::env::temp_dir().join(format!(
        "rawinit-exit-{}-{}",
        std::process::id(),
        args.join("").replace(':', "_")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let pidfile = dir.join("pid");
    let script = format!("sleep 30 & echo $! > {}; exit 4", pidfile.display());
    let child = init()
        .arg("-s")
        .args(args)
        .args(["sh", "-c", &script])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    assert_eq!(code_within(child, Duration::from_secs(10)), 4);
    let grandchild: u32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    sleep(Duration::from_millis(200));
    let alive = kill_if_alive(grandchild);
    std::fs::remove_dir_all(&dir).unwrap();
    alive
}

#[test]
fn in_group_mode_the_rest_of_the_group_gets_term_when_the_child_exits() {
    if outside_the_repository() {
        return;
    }
    // dumb-init's behaviour in its (default) group mode.
    assert!(
        !grandchild_outlives_the_child(&["-g"]),
        "-g: the child's group should get SIGTERM when the child exits"
    );
    assert!(
        grandchild_outlives_the_child(&[]),
        "without -g nothing is sent when the child exits"
    );
    // TERM goes through -r like any signal rawinit sends: dropped here.
    assert!(
        grandchild_outlives_the_child(&["-g", "-r", "15:0"]),
        "-r 15:0 drops the TERM sent to the group"
    );
}

#[test]
fn rawinit_leaves_the_callers_directory_and_the_child_keeps_it() {
    if outside_the_repository() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("rawinit-cwd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut init = init()
        .args(["-s", "--", "sh", "-c", "pwd; sleep 2"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child_of(init.id());
    let mut line = String::new();
    let mut out = std::io::BufReader::new(init.stdout.take().unwrap());
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    // The child has printed its directory, so rawinit is past its start.
    let init_cwd = std::fs::read_link(format!("/proc/{}/cwd", init.id())).unwrap();
    let _ = Command::new("kill")
        .args(["-TERM", &init.id().to_string()])
        .status();
    let _ = init.wait();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(init_cwd, Path::new("/"));
    assert_eq!(Path::new(line.trim()), dir);
}

#[test]
fn dash_g_kills_the_grandchild_and_without_it_the_grandchild_survives() {
    if outside_the_repository() {
        return;
    }
    assert!(
        !grandchild_survives(true),
        "-g: the grandchild should have got SIGTERM"
    );
    assert!(
        grandchild_survives(false),
        "without -g only the child gets the signal"
    );
}

#[test]
fn tinis_environment_variables() {
    if outside_the_repository() {
        return;
    }
    let with_env = |vars: &[(&str, &str)], args: &[&str]| {
        let mut cmd = init();
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.args(args).stdin(Stdio::null()).output().unwrap()
    };
    let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();
    // TINI_SUBREAPER is -s: no warning about orphans.
    let o = with_env(&[("TINI_SUBREAPER", "")], &["true"]);
    assert_eq!((code(&o), stderr(&o)), (0, dash_s_stderr().to_string()));
    // TINI_VERBOSITY=0: no warnings; 2: -v.
    let o = with_env(&[("TINI_VERBOSITY", "0")], &["true"]);
    assert_eq!((code(&o), stderr(&o)), (0, String::new()));
    let o = with_env(&[("TINI_VERBOSITY", "0")], &["-s", "true"]);
    assert_eq!((code(&o), stderr(&o)), (0, String::new()));
    let o = with_env(&[("TINI_VERBOSITY", "2")], &["-s", "sh", "-c", "exit 5"]);
    assert_eq!(code(&o), 5);
    assert!(
        stderr(&o).contains("rawinit: started sh as pid"),
        "{}",
        stderr(&o)
    );
    // TINI_KILL_PROCESS_GROUP is -g.
    assert!(
        !grandchild_survives_with(Some(("TINI_KILL_PROCESS_GROUP", Some("1")))),
        "TINI_KILL_PROCESS_GROUP: the grandchild should have got SIGTERM"
    );
}

#[test]
fn dash_w_warns_when_an_orphan_is_reaped() {
    if outside_the_repository() || skip_without_subreaper() {
        return;
    }
    let script = "sh -c 'sleep 0.05 &'; sleep 0.5";
    let o = run(&["-s", "-w", "-v", "sh", "-c", script]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 0, "{err}");
    let after = |prefix: &str| {
        err.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .map(str::to_string)
    };
    let child = after("rawinit: started sh as pid ").expect("the -v line");
    let zombie = after("rawinit: warning: reaped zombie pid ").expect("the -w line");
    assert_ne!(
        child, zombie,
        "the warning is for the orphan, not the child: {err}"
    );
    let o = run(&["-s", "sh", "-c", script]);
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// rawinit started in the background by a shell that then exits; the
/// child writes "usr1" to a file if it gets SIGUSR1. Returns what it wrote
/// within `wait`, and kills it.
fn parent_dies(args: &[&str], wait: Duration) -> String {
    let dir = std::env::temp_dir().join(format!("rawinit-p-{}-{}", std::process::id(), args.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let got = dir.join("got");
    let pidfile = dir.join("pid");
    let child = "trap 'echo usr1 > \"$GOT\"; exit 0' USR1; echo $$ > \"$PIDFILE.tmp\"; \
                 mv \"$PIDFILE.tmp\" \"$PIDFILE\"; while :; do sleep 0.05; done";
    let parent = "\"$0\" \"$@\" -- sh -c \"$CHILD\" & \
                  while [ ! -e \"$PIDFILE\" ]; do sleep 0.01; done";
    let status = init_cmd("sh")
        .args(["-c", parent])
        .args(init_argv())
        .args(args)
        .env("GOT", &got)
        .env("PIDFILE", &pidfile)
        .env("CHILD", child)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + wait;
    let text = loop {
        let text = std::fs::read_to_string(&got).unwrap_or_default();
        if !text.is_empty() || Instant::now() > deadline {
            break text;
        }
        sleep(Duration::from_millis(10));
    };
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
    std::fs::remove_dir_all(&dir).unwrap();
    text.trim().to_string()
}

#[test]
fn dash_p_forwards_a_signal_when_the_parent_dies() {
    if outside_the_repository() {
        return;
    }
    assert_eq!(
        parent_dies(&["-s", "-p", "SIGUSR1"], Duration::from_secs(10)),
        "usr1"
    );
    assert_eq!(
        parent_dies(&["-s"], Duration::from_millis(500)),
        "",
        "no -p: no signal"
    );
}

/// rawinit with `args` around a child that exits 10 on SIGUSR1, 15 on
/// SIGTERM and 2 on SIGINT; `signals` are sent to rawinit, 200 ms apart,
/// once the child is ready. Returns rawinit's exit code.
fn rewritten(args: &[&str], signals: &[&str]) -> i32 {
    let script = "trap 'exit 10' USR1; trap 'exit 15' TERM; trap 'exit 2' INT; \
                  echo ready; while :; do sleep 0.05; done";
    let mut init = init()
        .args(args)
        .args(["-s", "--", "sh", "-c", script])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = [0u8; 6];
    init.stdout.take().unwrap().read_exact(&mut ready).unwrap();
    assert_eq!(&ready, b"ready\n");
    for sig in signals {
        Command::new("kill")
            .args([&format!("-{sig}"), &init.id().to_string()])
            .status()
            .unwrap();
        sleep(Duration::from_millis(200));
    }
    code_within(init, Duration::from_secs(10))
}

#[test]
fn dash_r_rewrites_or_drops_a_signal_as_dumb_init_does() {
    if outside_the_repository() {
        return;
    }
    assert_eq!(rewritten(&[], &["TERM"]), 15, "unchanged without -r");
    assert_eq!(
        rewritten(&["-r", "15:10"], &["TERM"]),
        10,
        "TERM forwarded as USR1"
    );
    assert_eq!(
        rewritten(&["-r15:0"], &["TERM", "INT"]),
        2,
        "TERM dropped, INT through"
    );
}

#[test]
fn dash_s_makes_rawinit_the_parent_of_orphans() {
    if outside_the_repository() || skip_without_subreaper() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("rawinit-s-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pidfile = dir.join("pid");
    // The inner sh exits at once, orphaning its background sleep.
    let script = format!(
        "sh -c 'sleep 30 & echo $! > {}'; sleep 30",
        pidfile.display()
    );
    let mut init = init().args(["-s", "sh", "-c", &script]).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let orphan: u32 = loop {
        if let Some(p) = std::fs::read_to_string(&pidfile)
            .ok()
            .and_then(|s| s.trim().parse().ok())
        {
            break p;
        }
        assert!(Instant::now() < deadline);
        sleep(Duration::from_millis(5));
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ppid = status_field(orphan, "PPid:").unwrap();
        if ppid == init.id().to_string() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "orphan's parent is {ppid}, not rawinit {}",
            init.id()
        );
        sleep(Duration::from_millis(5));
    }
    let _ = Command::new("kill")
        .args(["-KILL", &orphan.to_string()])
        .status();
    let _ = init.kill();
    let _ = init.wait();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Runs `argv` with SIGUSR1 blocked and SIGUSR2 ignored, as a caller (a
/// shell, a container runtime) might hand them over; returns its stdout.
/// std's `Command` resets the mask after `pre_exec`, so this forks itself.
fn stdout_with_signal_state(argv: &[&str]) -> String {
    use std::ffi::CString;
    let args: Vec<CString> = argv.iter().map(|a| CString::new(*a).unwrap()).collect();
    let mut ptrs: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let mut fds = [0; 2];
    // SAFETY: plain libc calls; between fork and exec the child makes only
    // async-signal-safe calls (dup2, close, sigprocmask, signal, execv,
    // _exit) on memory prepared before the fork.
    unsafe {
        assert_eq!(libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC), 0);
        let pid = libc::fork();
        assert!(pid >= 0);
        if pid == 0 {
            libc::dup2(fds[1], 1);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGUSR1);
            libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
            libc::signal(libc::SIGUSR2, libc::SIG_IGN);
            libc::execv(ptrs[0], ptrs.as_ptr());
            libc::_exit(99);
        }
        libc::close(fds[1]);
        let mut out = Vec::new();
        let mut file = <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fds[0]);
        file.read_to_end(&mut out).unwrap();
        let mut status = 0;
        libc::waitpid(pid, &mut status, 0);
        String::from_utf8(out).unwrap()
    }
}

#[test]
fn the_child_gets_the_callers_signal_mask_and_ignored_signals() {
    if outside_the_repository() {
        return;
    }
    // grep itself reads its own status (a shell would reset its mask).
    let grep = ["/bin/grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"];
    let direct = stdout_with_signal_state(&grep);
    let mut through_args: Vec<&str> = init_argv().iter().map(|a| a.to_str().unwrap()).collect();
    through_args.push("-s");
    through_args.extend(grep);
    let through = stdout_with_signal_state(&through_args);
    assert!(direct.contains("SigBlk:\t0000000000000200"), "{direct}"); // SIGUSR1 is bit 9
    assert!(
        direct.contains("SigIgn:\t") && direct.contains("800"),
        "{direct}"
    ); // SIGUSR2, bit 11
    if runner().is_some() {
        // qemu-user catches every signal on the host to emulate it, so the
        // host's execve of the (native) grep resets what the guest had
        // ignored: only the mask can be compared there.
        let blocked = |s: &str| {
            s.lines()
                .find(|l| l.starts_with("SigBlk"))
                .map(str::to_owned)
        };
        assert_eq!(blocked(&through), blocked(&direct));
        return;
    }
    assert_eq!(through, direct);
}

#[test]
fn the_child_sees_no_fd_of_rawinit() {
    if outside_the_repository() {
        return;
    }
    // The same fds as when run directly (0, 1, 2 and whatever the test
    // runner passes down): rawinit's epoll and signalfd are CLOEXEC.
    let script = "ls /proc/$$/fd";
    let direct = Command::new("sh")
        .args(["-c", script])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let o = run(&["-s", "sh", "-c", script]);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&direct.stdout)
    );
    let links = run(&["-s", "sh", "-c", "ls -l /proc/$$/fd"]);
    let links = String::from_utf8_lossy(&links.stdout);
    assert!(
        !links.contains("eventpoll") && !links.contains("signalfd"),
        "{links}"
    );
}

#[test]
fn no_wake_ups_while_idle() {
    if outside_the_repository() {
        return;
    }
    let mut init = init().args(["-s", "sleep", "5"]).spawn().unwrap();
    child_of(init.id());
    sleep(Duration::from_millis(300));
    let switches = |field| {
        status_field(init.id(), field)
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    let (v0, n0) = (
        switches("voluntary_ctxt_switches:"),
        switches("nonvoluntary_ctxt_switches:"),
    );
    sleep(Duration::from_secs(2));
    let (v1, n1) = (
        switches("voluntary_ctxt_switches:"),
        switches("nonvoluntary_ctxt_switches:"),
    );
    println!(
        "rawinit context switches over 2 s idle: voluntary {v0} -> {v1}, involuntary {n0} -> {n1}"
    );
    assert_eq!(v1, v0, "rawinit woke up while idle");
    let _ = Command::new("kill")
        .args(["-TERM", &init.id().to_string()])
        .status();
    let _ = init.wait();
}

#[test]
fn job_control_signals_are_forwarded() {
    if outside_the_repository() {
        return;
    }
    // SIGTSTP stops the child (rawinit itself never stops), SIGCONT resumes
    // it, SIGTERM ends it.
    let mut init = init().args(["-s", "sleep", "30"]).spawn().unwrap();
    let child = child_of(init.id());
    let state = |pid| status_field(pid, "State:").unwrap_or_default();
    let wait_state = |pid, want: char| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !state(pid).starts_with(want) {
            assert!(
                Instant::now() < deadline,
                "pid {pid} state {} never {want}",
                state(pid)
            );
            sleep(Duration::from_millis(5));
        }
    };
    let kill = |sig: &str| {
        Command::new("kill")
            .args([sig, &init.id().to_string()])
            .status()
            .unwrap()
    };
    kill("-TSTP");
    wait_state(child, 'T');
    // Sleeping, or running while it handles the child's SIGCHLD: anything
    // but stopped.
    let own = state(init.id());
    assert!(!own.starts_with('T'), "rawinit itself must not stop: {own}");
    kill("-CONT");
    wait_state(child, 'S');
    kill("-TERM");
    wait_timeout(&mut init, Duration::from_secs(10));
    assert_eq!(init.wait().unwrap().code(), Some(143));
}

#[test]
fn verbose_says_what_it_forwards_and_reaps() {
    if outside_the_repository() {
        return;
    }
    let mut init = init()
        .args(["-s", "-v", "sleep", "30"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child_of(init.id());
    Command::new("kill")
        .args(["-USR1", &init.id().to_string()])
        .status()
        .unwrap();
    wait_timeout(&mut init, Duration::from_secs(10));
    let mut err = String::new();
    init.stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.contains("forwarded signal 10 to pid"), "{err}");
    assert!(
        err.contains("reaped pid") && err.contains("exit code 138"),
        "{err}"
    );
}

#[test]
fn runs_on_a_machine_with_no_libc_at_all() {
    if outside_the_repository() {
        return;
    }
    if skip_unless_root("chroot") || skip_under_runner("the emulator is not in the chroot") {
        return;
    }
    // A root file system holding nothing but rawinit: no libc, no loader.
    let root = std::env::temp_dir().join(format!("rawinit-chroot-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    std::fs::copy(rawinit(), root.join("rawinit")).unwrap();
    // chroot(8) lives in /usr/sbin, which a user's PATH may lack.
    let chroot = ["/usr/sbin/chroot", "/sbin/chroot"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or("chroot");
    let o = Command::new(chroot)
        .arg(&root)
        .args(["/rawinit", "-s", "/rawinit", "--version"])
        .output()
        .unwrap();
    std::fs::remove_dir_all(&root).unwrap();
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "rawinit 0.1.0");
}

/// Waits for `child` with a limit and returns its exit code; a hang fails.
fn code_within(mut child: Child, limit: Duration) -> i32 {
    wait_timeout(&mut child, limit);
    code(&child.wait_with_output().unwrap())
}

#[test]
fn verbose_with_a_broken_stderr_neither_livelocks_nor_kills_the_child() {
    if outside_the_repository() {
        return;
    }
    // `rawinit -s -v -- sh -c 'sleep 1; exit 7' 2>&1 | true`: every message
    // raises SIGPIPE in rawinit itself, which must neither be forwarded to
    // the child (it would kill it) nor stop the reaping. Without -s, the
    // warning about orphans comes first: it must not kill rawinit either.
    for args in [&["-s", "-v"][..], &["-v"], &[]] {
        let mut child = init()
            .args(args)
            .args(["--", "sh", "-c", "sleep 1; exit 7"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stderr.take()); // nobody reads: writes answer EPIPE
        assert_eq!(code_within(child, Duration::from_secs(10)), 7, "{args:?}");
    }
}

#[test]
fn an_ignored_sigchld_from_the_caller_does_not_hang_rawinit() {
    use std::os::unix::process::CommandExt;
    if outside_the_repository() {
        return;
    }
    let ignore_sigchld = || {
        // SAFETY: signal(2) is async-signal-safe; this runs in the forked
        // child before exec.
        unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) };
        Ok(())
    };
    // SAFETY: the closure only calls an async-signal-safe function.
    let child = unsafe {
        init()
            .args(["-s", "--", "sh", "-c", "exit 3"])
            .stdin(Stdio::null())
            .pre_exec(ignore_sigchld)
            .spawn()
            .unwrap()
    };
    assert_eq!(code_within(child, Duration::from_secs(10)), 3);

    // And the child still gets SIGCHLD ignored, as the caller had it.
    // SAFETY: as above.
    let out = unsafe {
        init()
            .args(["-s", "--", "cat", "/proc/self/status"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .pre_exec(ignore_sigchld)
            .output()
            .unwrap()
    };
    let status = String::from_utf8_lossy(&out.stdout);
    let ignored = status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .map(|v| u64::from_str_radix(v.trim(), 16).unwrap())
        .expect("SigIgn line");
    assert_ne!(ignored & (1 << (libc::SIGCHLD - 1)), 0, "{status}");
}

#[test]
fn a_script_without_a_shebang_runs_with_bin_sh() {
    use std::os::unix::fs::PermissionsExt;
    if outside_the_repository() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("rawinit-noexec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("s");
    std::fs::write(&script, "echo \"$0 $1\"\nexit 5\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    // By path…
    let o = init()
        .current_dir(&dir)
        .args(["-s", "--", "./s", "one"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(code(&o), 5, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "./s one");
    // …and found through PATH.
    let o = init()
        .env("PATH", format!("{}:/usr/bin:/bin", dir.display()))
        .args(["-s", "--", "s", "two"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(code(&o), 5, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        format!("{} two", script.display())
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn no_orphan_warning_when_already_a_subreaper() {
    use std::os::unix::process::CommandExt;
    if outside_the_repository() || skip_without_subreaper() {
        return;
    }
    // SAFETY: prctl is async-signal-safe; the attribute survives execve.
    let o = unsafe {
        init()
            .args(["--", "true"])
            .stdin(Stdio::null())
            .pre_exec(|| {
                libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
                Ok(())
            })
            .output()
            .unwrap()
    };
    assert_eq!(code(&o), 0);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn starts_under_qemu_user() {
    if outside_the_repository() || skip_under_runner("already under an emulator") {
        return;
    }
    // qemu-user refuses PR_SET_CHILD_SUBREAPER (EINVAL): rawinit says it
    // cannot reap orphans there, and runs its program all the same.
    let Ok(o) = init_cmd("qemu-x86_64")
        .arg(rawinit())
        .args(["-s", "--", "sh", "-c", "exit 3"])
        .stdin(Stdio::null())
        .output()
    else {
        eprintln!("SKIPPED: no qemu-x86_64 (Debian's qemu-user; .ci/run installs it)");
        return;
    };
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 3, "{stderr}");
    assert!(
        stderr.contains("cannot become a child subreaper"),
        "{stderr}"
    );
}

// --- The board init: PID 1 with no command --------------------------------
//
// In a pid namespace `reboot(2)` ends the namespace's init with a signal
// (SIGINT for halt and power off, SIGHUP for restart), which unshare
// reports as 128+N: the whole shutdown runs for real, without a machine.
// `.ci/board` boots real kernels under qemu-system for the rest.

/// rawinit as the board init of a pid namespace, reading `inittab` (where
/// `LOG` stands for a log file every entry writes to, as its terminal).
struct Board {
    /// unshare; `None` once `finish` has waited for it.
    child: Option<Child>,
    init: u32,
    dir: PathBuf,
    started: Instant,
}

impl Board {
    fn start(name: &str, inittab: &str) -> Board {
        let dir = std::env::temp_dir().join(format!("rawinit-board-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("log");
        std::fs::write(&log, "").unwrap();
        let tab = dir.join("inittab");
        std::fs::write(&tab, inittab.replace("LOG", log.to_str().unwrap())).unwrap();
        let stderr = std::fs::File::create(dir.join("stderr")).unwrap();
        let child = init_cmd("unshare")
            .args(["--pid", "--fork", "--mount-proc"])
            .args(init_argv())
            .env("RAWINIT_INITTAB", &tab)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let init = child_of(child.id());
        Board {
            child: Some(child),
            init,
            dir,
            started: Instant::now(),
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap()
    }

    /// What rawinit said on its console (stderr).
    fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.join("stderr")).unwrap()
    }

    /// Waits (up to 15 s) until the log holds `line` `n` times.
    fn wait_for(&self, line: &str, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.log().lines().filter(|l| *l == line).count() < n {
            assert!(
                Instant::now() < deadline,
                "{line:?} not {n} times in the log: {:?}; rawinit said: {}",
                self.log(),
                self.stderr()
            );
            sleep(Duration::from_millis(20));
        }
    }

    fn signal(&self, sig: &str) {
        let s = Command::new("kill")
            .args([&format!("-{sig}"), &self.init.to_string()])
            .status()
            .unwrap();
        assert!(s.success());
    }

    /// Waits for the namespace to end: unshare's 128+N, rawinit's
    /// stderr, the log, and how long since `since`.
    fn finish(mut self, since: Instant) -> (i32, String, String, Duration) {
        let mut child = self.child.take().unwrap();
        wait_timeout(&mut child, Duration::from_secs(20));
        let elapsed = since.elapsed();
        let status = child.wait().unwrap();
        let (log, stderr) = (
            std::fs::read_to_string(self.dir.join("log")).unwrap(),
            std::fs::read_to_string(self.dir.join("stderr")).unwrap(),
        );
        let _ = std::fs::remove_dir_all(&self.dir);
        // unshare ends the way its child did: a signal is 128+N here.
        use std::os::unix::process::ExitStatusExt;
        let code = status
            .code()
            .or(status.signal().map(|s| 128 + s))
            .unwrap_or(-1);
        (code, stderr, log, elapsed)
    }
}

impl Drop for Board {
    /// A test that failed half-way leaves no namespace behind: its init
    /// is killed (and with it every process in it).
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-KILL", &self.init.to_string()])
                .status();
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn skip_board(what: &str) -> bool {
    outside_the_repository() || skip_unless_root(what)
}

#[test]
fn board_boots_in_busybox_order_respawns_with_back_off_and_powers_off() {
    if skip_board("the board init") {
        return;
    }
    let board = Board::start(
        "order",
        "# busybox order: sysinit, wait, then once and respawn\n\
         LOG::sysinit:/bin/echo sysinit-1\n\
         LOG::sysinit:/bin/sh -c 'sleep 0.3; echo sysinit-2'\n\
         not a line\n\
         LOG::wait:/bin/echo wait-1\n\
         LOG::frobnicate:/bin/true\n\
         LOG::once:/bin/echo once-1\n\
         LOG::respawn:/bin/sh -c 'echo respawn-run; exit 1'\n\
         LOG::ctrlaltdel:/bin/echo ctrlaltdel-1\n\
         LOG::shutdown:/bin/echo shutdown-1\n\
         LOG::shutdown:/bin/sh -c 'sleep 0.2; echo shutdown-2'\n",
    );
    board.wait_for("respawn-run", 4); // restarts after 0.5, 1 and 2 s
    let first_three = board.started.elapsed();
    board.signal("INT"); // Ctrl-Alt-Del
    board.wait_for("ctrlaltdel-1", 1);
    board.signal("USR2");
    let (code, stderr, log, _) = board.finish(Instant::now());
    assert_eq!(
        code, 130,
        "power off ends the namespace's init with SIGINT: {stderr}"
    );
    let lines: Vec<&str> = log.lines().filter(|l| *l != "respawn-run").collect();
    assert_eq!(
        lines,
        [
            "sysinit-1",
            "sysinit-2",
            "wait-1",
            "once-1",
            "ctrlaltdel-1",
            "shutdown-1",
            "shutdown-2"
        ],
        "{log}"
    );
    assert!(
        first_three >= Duration::from_millis(3300),
        "three restarts with growing delays (0.5 + 1 + 2 s) took {first_three:?}"
    );
    for expected in [
        "line 4: not id:runlevels:action:process, skipped",
        "line 6: unknown action, skipped",
        "exited with 1 after",
        "again in 500 ms",
        "again in 1000 ms",
        "again in 2000 ms",
        "rawinit: power off",
        "rawinit: sent SIGTERM to all processes",
    ] {
        assert!(stderr.contains(expected), "{expected:?} not in: {stderr}");
    }
}

#[test]
fn board_signals_halt_reboot_and_a_service_that_ignores_term_is_killed() {
    if skip_board("the board init's shutdown signals") {
        return;
    }
    for (sig, code, said) in [("USR1", 130, "halt"), ("TERM", 129, "reboot")] {
        let board = Board::start(
            sig,
            "LOG::once:/bin/sh -c 'trap \"\" TERM; echo stubborn; exec sleep 100'\n\
             LOG::once:/bin/sh -c 'trap \"echo polite-term; exit 0\" TERM; echo polite; while :; do sleep 0.05; done'\n",
        );
        board.wait_for("stubborn", 1);
        board.wait_for("polite", 1);
        let since = Instant::now();
        board.signal(sig);
        let (got, stderr, log, took) = board.finish(since);
        assert_eq!(got, code, "SIG{sig}: {stderr}");
        assert!(stderr.contains(&format!("rawinit: {said}")), "{stderr}");
        assert!(stderr.contains("sent SIGKILL to all processes"), "{stderr}");
        assert!(
            log.contains("polite-term"),
            "SIGTERM reached the service: {log}"
        );
        assert!(
            took < Duration::from_secs(4),
            "a service that ignores SIGTERM held the shutdown {took:?} (grace: 2 s)"
        );
    }
}

#[test]
fn board_reaps_orphans_and_sleeps_while_idle() {
    if skip_board("the board init's reaping") {
        return;
    }
    let board = Board::start(
        "orphans",
        "LOG::once:/bin/sh -c 'for i in $(seq 50); do (sleep 0.2 &); done; sleep 1; \
         z=0; for s in /proc/[0-9]*/status; do grep -q \"^State:.*Z\" $s 2>/dev/null && z=$((z+1)); done; \
         echo zombies=$z; exec sleep 100'\n",
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    while !board.log().contains("zombies=") {
        assert!(
            Instant::now() < deadline,
            "no count: {} {}",
            board.log(),
            board.stderr()
        );
        sleep(Duration::from_millis(20));
    }
    assert!(board.log().contains("zombies=0"), "{}", board.log());
    // Idle: nothing to restart, no watchdog: PID 1 does not wake up.
    let switches = || status_field(board.init, "voluntary_ctxt_switches:").unwrap();
    let before = switches();
    sleep(Duration::from_secs(3));
    let after = switches();
    assert_eq!(before, after, "PID 1 woke up while idle");
    board.signal("USR2");
    assert_eq!(board.finish(Instant::now()).0, 130);
}

#[test]
fn board_sighup_reloads_the_inittab_and_sigquit_execs_restart() {
    if skip_board("the board init's reload") {
        return;
    }
    let board = Board::start(
        "reload",
        "LOG::respawn:/bin/sh -c 'trap \"echo a-term; exit 0\" TERM; echo a-up; while :; do sleep 0.05; done'\n\
         LOG::respawn:/bin/sh -c 'echo kept-up; exec sleep 100'\n",
    );
    board.wait_for("a-up", 1);
    board.wait_for("kept-up", 1);
    let log = board.dir.join("log");
    std::fs::write(
        board.dir.join("inittab"),
        format!(
            "{l}::respawn:/bin/sh -c 'echo kept-up; exec sleep 100'\n\
             {l}::respawn:/bin/sh -c 'echo b-up; exec sleep 100'\n\
             {l}::restart:/bin/sh -c 'echo restarted; exit 7'\n",
            l = log.display()
        ),
    )
    .unwrap();
    board.signal("HUP");
    board.wait_for("b-up", 1);
    board.wait_for("a-term", 1);
    sleep(Duration::from_millis(700));
    let log_now = board.log();
    assert_eq!(
        log_now.matches("kept-up").count(),
        1,
        "a kept service is not restarted: {log_now}"
    );
    assert_eq!(
        log_now.matches("a-up").count(),
        1,
        "a removed service is not restarted: {log_now}"
    );
    // SIGQUIT: the shutdown, then the restart entry replaces PID 1; it
    // exits 7, which ends the namespace.
    board.signal("QUIT");
    let (code, stderr, log, _) = board.finish(Instant::now());
    assert_eq!(code, 7, "{stderr}");
    assert!(log.ends_with("restarted\n"), "{log}");
    assert!(stderr.contains("rawinit: restart"), "{stderr}");
}
