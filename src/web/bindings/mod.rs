//! Hand-written bindings for browser APIs that `web-sys` lacks or only has behind
//! `web_sys_unstable_apis` (which would force every user of the crate to set a cfg flag), and for
//! hot-path calls that `web-sys` would split into several.

pub mod close_when_open;
pub mod message;
pub mod promise;
pub mod property;
pub mod text_encoder;
pub(crate) mod timer;
#[cfg(feature = "websocket-stream")]
pub mod websocket_stream;
#[cfg(feature = "webtransport")]
pub mod webtransport;
