//! `compare A.json B.json`: two runs' figures side by side, row by row,
//! with the ratio B/A, marked where the difference is larger than the two
//! runs' own spread (their relative standard deviations added), and the
//! environment entries that differ.

use serde_json::Value;

/// What identifies a row across runs.
fn key(row: &Value) -> String {
    let s = |k: &str| {
        row.get(k)
            .map_or_else(String::new, |v| v.to_string().replace('"', ""))
    };
    format!(
        "workload={} op={} mode={} threads={} fds={}",
        s("workload"),
        s("op"),
        s("mode"),
        s("threads"),
        s("fds")
    )
}

fn load(path: &str) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("{path}: not a rawepoll-bench --json document: {e}"))
}

/// The lines `compare` prints, and how many rows differ beyond the spread.
pub fn compare(a_path: &str, b_path: &str) -> Result<(Vec<String>, usize), String> {
    let (a, b) = (load(a_path)?, load(b_path)?);
    let mut out = Vec::new();
    let env = |d: &Value| {
        d.get("environment")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (ea, eb) = (env(&a), env(&b));
    for (k, va) in &ea {
        let vb = eb.get(k).cloned().unwrap_or(Value::Null);
        if *va != vb {
            out.push(format!("environment {k}: {va} -> {vb}"));
        }
    }
    let rows = |d: &Value| {
        d.get("perfbench")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (ra, rb) = (rows(&a), rows(&b));
    if ra.is_empty() {
        return Err(format!("{a_path}: no perfbench figures"));
    }
    let mut differ = 0;
    for row_a in &ra {
        let k = key(row_a);
        let Some(row_b) = rb.iter().find(|r| key(r) == k) else {
            out.push(format!("compare {k} only in {a_path}"));
            continue;
        };
        let num = |r: &Value, f: &str| r.get(f).and_then(Value::as_f64).unwrap_or(0.0);
        let (x, y) = (num(row_a, "rawepoll_ops"), num(row_b, "rawepoll_ops"));
        let spread = num(row_a, "rawepoll_rsd_pct") + num(row_b, "rawepoll_rsd_pct");
        let ratio = if x > 0.0 { y / x } else { f64::NAN };
        let beyond = ratio.is_finite() && ((ratio - 1.0).abs() * 100.0) > spread;
        differ += usize::from(beyond);
        out.push(format!(
            "compare {k} a={x:.0} b={y:.0} ratio={ratio:.3} spread={spread:.1}%{}",
            if beyond { " DIFFERS" } else { "" }
        ));
    }
    Ok((out, differ))
}
