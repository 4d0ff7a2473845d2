//! Building the no_main programs (workspace members with their own link
//! settings: programs/rawinit, programs/async_echo_nostd) from a test.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace's root, where `programs/` and `target/` are (in a
/// checkout; an unpacked crate has neither beside it).
fn workspace() -> &'static Path {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir.parent().unwrap_or(crate_dir)
}

/// Whether `programs/<member>` is here: it is in the repository, not in the
/// published crate (a workspace member with its own link settings cannot
/// be packaged inside another crate). Says so when it is not.
pub fn in_the_repository(member: &str) -> bool {
    let here = workspace().join("programs").join(member).join("Cargo.toml");
    if here.exists() {
        return true;
    }
    eprintln!("SKIPPED: programs/{member} is not in the published crate; run these tests from the repository");
    false
}

/// Installs `target`'s standard library if a fresh rustup install lacks
/// it (`rustup target add`), or stops with a message that says what to run.
pub fn ensure_target(target: &str) {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let libdir = Command::new(&rustc)
        .args(["--print", "target-libdir", "--target", target])
        .output()
        .expect("rustc --print target-libdir");
    let libdir = PathBuf::from(String::from_utf8_lossy(&libdir.stdout).trim());
    let installed = std::fs::read_dir(&libdir)
        .map(|d| {
            d.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("libcore-"))
        })
        .unwrap_or(false);
    if installed {
        return;
    }
    eprintln!("the {target} target is missing; running `rustup target add {target}`");
    let added = Command::new("rustup")
        .args(["target", "add", target])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        added,
        "the no_main programs are built for {target}, whose standard library is not \
         installed, and `rustup target add {target}` failed (no rustup, or no network). \
         Install it, then run the tests again."
    );
}

/// Builds `programs/<member>` with `--profile minimal` for `target` (in
/// `target/<target_dir>`, its own target dir, so the outer cargo's lock is
/// not in the way) and returns the path of its binary `bin`.
pub fn build(member: &str, bin: &str, target: &str, target_dir: &str) -> PathBuf {
    ensure_target(target);
    let root = workspace();
    let target_dir = root.join("target").join(target_dir);
    let status = Command::new(env!("CARGO"))
        .current_dir(root.join("programs").join(member))
        .args([
            "build",
            "--quiet",
            "--profile",
            "minimal",
            "--target",
            target,
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        // The program links with its own settings (programs/.cargo): the
        // system cc on x86_64, rust-lld (on PATH) elsewhere.
        .env_remove(format!(
            "CARGO_TARGET_{}_LINKER",
            target.to_uppercase().replace('-', "_")
        ))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .status()
        .unwrap_or_else(|e| panic!("cargo build for programs/{member}: {e}"));
    assert!(status.success(), "building programs/{member} failed");
    target_dir.join(target).join("minimal").join(bin)
}
