#![cfg(not(target_arch = "wasm32"))]
//! The core must stay sans-IO: no browser bindings anywhere under src/core, so it builds and is
//! tested natively and the browser adapters stay the only web-specific code.

use std::fs;
use std::path::{Path, PathBuf};

const FORBIDDEN: &[&str] = &["web_sys", "js_sys", "wasm_bindgen", "web-sys", "js-sys"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn core_has_no_web_imports() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join("core");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("mod.rs")),
        "src/core/mod.rs not found under {}",
        root.display()
    );
    let mut offences = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            for word in FORBIDDEN {
                if line.contains(word) {
                    offences.push(format!("{}:{}: {word}", file.display(), n + 1));
                }
            }
        }
    }
    assert!(
        offences.is_empty(),
        "src/core must not use browser bindings:\n{}",
        offences.join("\n")
    );
}
