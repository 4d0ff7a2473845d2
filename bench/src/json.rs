//! The `--json` document: the environment, perf's command line and every
//! figure. Written by hand: a few objects of strings and numbers.

use std::fmt::Write;

use crate::perf::Figure;

/// One figure of a run.
pub struct Row {
    pub workload: String,
    pub op: String,
    pub mode: String,
    pub threads: usize,
    pub fds: usize,
    pub secs: f64,
    pub rawepoll_ops: f64,
    /// The relative standard deviation over the threads, %.
    pub rawepoll_rsd: f64,
    pub perf: Option<Figure>,
}

/// A JSON string literal.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn number(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.3}")
    } else {
        "null".into()
    }
}

/// The whole document.
pub fn document(env: &[(String, String)], perf_args: &[String], rows: &[Row]) -> String {
    let mut out = String::from("{\n  \"environment\": {\n");
    for (i, (k, v)) in env.iter().enumerate() {
        let comma = if i + 1 < env.len() { "," } else { "" };
        let _ = writeln!(out, "    {}: {}{comma}", string(k), string(v));
    }
    out += "  },\n  \"perf_command\": ";
    out += &string(&format!("perf {}", perf_args.join(" ")));
    out += ",\n  \"perfbench\": [\n";
    for (i, r) in rows.iter().enumerate() {
        let (perf_ops, perf_rsd, ratio) = match r.perf {
            Some(f) if f.ops > 0.0 => {
                (number(f.ops), number(f.rsd), number(r.rawepoll_ops / f.ops))
            }
            _ => ("null".into(), "null".into(), "null".into()),
        };
        let comma = if i + 1 < rows.len() { "," } else { "" };
        let _ = writeln!(
            out,
            "    {{\"workload\": {}, \"op\": {}, \"mode\": {}, \"threads\": {}, \"fds\": {}, \
             \"seconds\": {}, \"rawepoll_ops\": {}, \"rawepoll_rsd_pct\": {}, \"perf_ops\": {}, \
             \"perf_rsd_pct\": {}, \"ratio\": {}}}{comma}",
            string(&r.workload),
            string(&r.op),
            string(&r.mode),
            r.threads,
            r.fds,
            number(r.secs),
            number(r.rawepoll_ops),
            number(r.rawepoll_rsd),
            perf_ops,
            perf_rsd,
            ratio
        );
    }
    out += "  ]\n}\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        assert_eq!(string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }
}
