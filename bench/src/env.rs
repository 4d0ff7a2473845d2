//! The environment a figure was measured in, recorded with every run:
//! what makes two runs comparable or not.

use std::fs;

/// `(name, value)` pairs, in a fixed order.
pub fn collect() -> Vec<(String, String)> {
    let read = |path: &str| fs::read_to_string(path).map(|s| s.trim().to_string()).ok();
    let mut env = Vec::new();
    let uname = rustix::system::uname();
    env.push((
        "kernel".into(),
        uname.release().to_string_lossy().into_owned(),
    ));
    env.push((
        "machine".into(),
        uname.machine().to_string_lossy().into_owned(),
    ));
    let cpuinfo = read("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or_else(|| "unknown".to_string(), |m| m.trim().to_string());
    env.push(("cpu_model".into(), model));
    let flags = cpuinfo
        .lines()
        .find(|l| l.starts_with("flags"))
        .unwrap_or("");
    let tsc = flags.contains(" constant_tsc") && flags.contains(" nonstop_tsc");
    env.push(("constant_tsc".into(), tsc.to_string()));
    env.push((
        "cpus_online".into(),
        read("/sys/devices/system/cpu/online").unwrap_or_else(|| "unknown".into()),
    ));
    env.push((
        "smt".into(),
        read("/sys/devices/system/cpu/smt/active").unwrap_or_else(|| "unknown".into()),
    ));
    env.push((
        "governor".into(),
        read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")
            .unwrap_or_else(|| "none".into()),
    ));
    let cmdline = read("/proc/cmdline").unwrap_or_default();
    let mitigations = cmdline
        .split_whitespace()
        .find_map(|w| w.strip_prefix("mitigations="))
        .unwrap_or("(default)")
        .to_string();
    env.push(("mitigations_cmdline".into(), mitigations));
    if let Ok(dir) = fs::read_dir("/sys/devices/system/cpu/vulnerabilities") {
        let mut vulns: Vec<(String, String)> = dir
            .flatten()
            .map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let value = read(&e.path().to_string_lossy()).unwrap_or_default();
                (format!("vulnerability.{name}"), value)
            })
            .collect();
        vulns.sort();
        env.extend(vulns);
    }
    // PR_GET_TIMERSLACK: what a short sleep of the workloads really lasts.
    let slack = rustix::thread::current_timer_slack();
    env.push((
        "timer_slack_ns".into(),
        slack.map_or_else(|e| format!("unknown ({e})"), |s| s.to_string()),
    ));
    env
}
