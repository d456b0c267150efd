//! The npm package's wasm: universal-socket linked as a dependency into a cdylib of its own, so
//! that LTO sees the whole program (see `Cargo.toml`). Its `#[wasm_bindgen]` exports are the
//! crate's; nothing is added here.
#![no_std]

// Linked for its exports (an unused dependency would not be).
pub use universal_socket;
