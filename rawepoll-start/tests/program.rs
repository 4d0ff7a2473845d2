//! A real no_main program on rawepoll-start, built and run as a user would
//! (its files written to a fresh directory, `cargo build` for the static
//! x86_64 musl target with the README's link settings): the command line
//! and the environment arrive, `Args::skip` leaves the tail, the C memory
//! functions copy, move and fill correctly, the exit status is what `main`
//! returned, and a panic prints `panicked` and exits 101.
//!
//! The musl target is added with rustup if it is missing. Skipped, loudly,
//! where the program cannot be built: not on an x86_64 Linux host, with no
//! musl target and no rustup to add it, or without a C compiler to link.

use std::path::{Path, PathBuf};
use std::process::Command;

const MAIN_RS: &str = r#"#![no_std]
#![no_main]

use core::hint::black_box;
use rawepoll_start::{stdout, Args, Env};

rawepoll_start::main!(main);

fn main(args: Args, env: Env) -> i32 {
    for arg in args.iter() {
        stdout(b"arg ");
        stdout(arg);
        stdout(b"\n");
    }
    stdout(b"FOO=");
    stdout(env.get(b"FOO").unwrap_or(b"<unset>"));
    stdout(b"\nFO=");
    stdout(env.get(b"FO").unwrap_or(b"<unset>"));
    stdout(b"\nrest");
    for arg in args.skip(2) {
        stdout(b" ");
        stdout(arg);
    }
    stdout(b"\nbeyond ");
    stdout(if args.skip(99).is_empty() { b"empty\n" } else { b"not empty\n" });
    if args.get(1) == Some(b"panic") {
        panic!("asked to");
    }
    // memset, memcpy, memmove (both directions) and memcmp, with lengths
    // the compiler cannot see.
    let mut buf = [black_box(0u8); 600];
    let src: [u8; 600] = core::array::from_fn(|i| i as u8);
    let n = black_box(513);
    buf[..n].copy_from_slice(&src[..n]);
    buf.copy_within(0..black_box(300), 100);
    buf.copy_within(black_box(150)..450, 20);
    let mut expect = [0u8; 600];
    for i in 0..n {
        expect[i] = i as u8;
    }
    for i in (100..400).rev() {
        expect[i] = expect[i - 100];
    }
    for i in 20..320 {
        expect[i] = expect[i + 130];
    }
    if black_box(&buf[..]) != black_box(&expect[..]) {
        stdout(b"memory functions wrong\n");
        return 3;
    }
    stdout(b"memory ok\n");
    args.len() as i32 + 40
}
"#;

const CARGO_TOML: &str = r#"[package]
name = "start-fixture"
version = "0.1.0"
edition = "2021"

[dependencies]
rawepoll-start = { path = "CRATE" }

[profile.dev]
panic = "abort"

[profile.release]
panic = "abort"
opt-level = "s"
lto = true

[workspace]
"#;

const CONFIG_TOML: &str = r#"[build]
target = "x86_64-unknown-linux-musl"

[target.x86_64-unknown-linux-musl]
linker = "cc"
rustflags = [
    "-C", "link-self-contained=no",
    "-C", "relocation-model=static",
    "-C", "target-feature=+crt-static",
    "-C", "link-arg=-nostartfiles",
    "-C", "link-arg=-nostdlib",
    "-C", "link-arg=-Wl,--gc-sections",
]
"#;

/// Whether the musl target is there, added with rustup if it was missing
/// (once for both tests, which run at once).
fn musl_target_installed() -> bool {
    static INSTALLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *INSTALLED.get_or_init(|| {
        let Ok(sysroot) = Command::new("rustc").args(["--print", "sysroot"]).output() else {
            return false;
        };
        let sysroot = String::from_utf8_lossy(&sysroot.stdout).trim().to_owned();
        if Path::new(&sysroot)
            .join("lib/rustlib/x86_64-unknown-linux-musl")
            .exists()
        {
            return true;
        }
        // A fresh rustup install: add the target, as the README promises.
        let added = Command::new("rustup")
            .args(["target", "add", "x86_64-unknown-linux-musl"])
            .status()
            .is_ok_and(|s| s.success());
        if !added {
            println!(
                "SKIPPED: no x86_64-unknown-linux-musl target, and `rustup target add` failed"
            );
        }
        added
    })
}

/// Builds the fixture (debug and release: the memory functions are called
/// in both), or says why it cannot be built here.
fn build(profile: &str) -> Option<PathBuf> {
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        println!("SKIPPED: the fixture is built for x86_64 Linux");
        return None;
    }
    if !musl_target_installed() {
        return None;
    }
    if Command::new("cc").arg("--version").output().is_err() {
        println!("SKIPPED: no C compiler (cc) to drive the link");
        return None;
    }
    // One directory per profile: the two tests run at once.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("start-fixture-{profile}"));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join(".cargo")).unwrap();
    let krate = env!("CARGO_MANIFEST_DIR");
    std::fs::write(dir.join("Cargo.toml"), CARGO_TOML.replace("CRATE", krate)).unwrap();
    std::fs::write(dir.join(".cargo/config.toml"), CONFIG_TOML).unwrap();
    std::fs::write(dir.join("src/main.rs"), MAIN_RS).unwrap();
    let mut cmd = Command::new(env!("CARGO"));
    cmd.arg("build").current_dir(&dir);
    if profile == "release" {
        cmd.arg("--release");
    }
    // The fixture's own link settings, whatever the outer build was given.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd.status().expect("cargo build of the fixture");
    assert!(status.success(), "the fixture program did not build");
    Some(
        dir.join("target/x86_64-unknown-linux-musl")
            .join(profile)
            .join("start-fixture"),
    )
}

fn run(bin: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin)
        .args(args)
        .env_clear()
        .env("FOO", "bar=baz")
        .env("FOOD", "not this one")
        .output()
        .unwrap();
    (
        out.status.code().expect("exited, not killed"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn check(profile: &str) {
    let Some(bin) = build(profile) else { return };
    let (code, out, err) = run(&bin, &["one", "two words", "three"]);
    assert_eq!(err, "");
    let name = bin.to_str().unwrap();
    assert_eq!(
        out,
        format!(
            "arg {name}\narg one\narg two words\narg three\nFOO=bar=baz\nFO=<unset>\n\
             rest two words three\nbeyond empty\nmemory ok\n"
        )
    );
    assert_eq!(code, 4 + 40, "exit status: main's answer");

    let (code, out, err) = run(&bin, &["panic"]);
    assert!(out.ends_with("rest\nbeyond empty\n"), "{out}");
    assert_eq!((code, err.as_str()), (101, "panicked\n"));
}

#[test]
fn debug_build() {
    check("debug");
}

#[test]
fn release_build() {
    check("release");
}
