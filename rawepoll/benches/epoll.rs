//! rawepoll against rustix, libc, mio and polling, with criterion.
//!
//! `cargo bench --bench epoll` (HTML reports with plots in
//! target/criterion/report/index.html). Each group is one operation; its
//! variants line up in the group's plot. The cases live in cases.rs,
//! shared with `cargo run --release --example overhead`.

use criterion::{criterion_group, criterion_main, Criterion};

#[allow(dead_code)]
mod cases;

fn bench(c: &mut Criterion) {
    let mut bare = cases::bare_syscall();
    c.bench_function("syscall/getppid", |b| b.iter(|| (bare.run)()));
    for group in cases::all() {
        let mut g = c.benchmark_group(group.name);
        for mut v in group.variants {
            g.bench_function(v.name, |b| b.iter(|| (v.run)()));
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
