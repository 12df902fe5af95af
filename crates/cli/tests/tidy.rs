//! Tidy checks over the whole source tree (rust-analyzer's habit): every Rust file starts with a
//! `//!` module doc, no crate uses `unsafe`, and no test is `#[ignore]`d.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn workspace_files() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let mut files = Vec::new();
    rust_files(&crates, &mut files);
    assert!(files.len() > 20, "found the sources under {}", crates.display());
    files
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let missing: Vec<_> = workspace_files()
        .into_iter()
        .filter(|f| !std::fs::read_to_string(f).unwrap().trim_start().starts_with("//!"))
        .collect();
    assert!(missing.is_empty(), "files without a //! doc: {missing:#?}");
}

#[test]
fn no_unsafe_code() {
    let offenders: Vec<_> = workspace_files()
        .into_iter()
        .filter(|f| f.file_name().is_some_and(|n| n != "tidy.rs"))
        .filter(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .any(|l| l.contains("unsafe ") && !l.trim_start().starts_with("//"))
        })
        .collect();
    assert!(offenders.is_empty(), "unsafe code in: {offenders:#?}");
}

#[test]
fn no_ignored_tests() {
    let needle = ["#[", "ignore"].concat();
    let offenders: Vec<_> = workspace_files()
        .into_iter()
        .filter(|f| std::fs::read_to_string(f).unwrap().lines().any(|l| l.trim_start().starts_with(&needle)))
        .collect();
    assert!(offenders.is_empty(), "ignored tests in: {offenders:#?}");
}
