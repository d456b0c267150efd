//! The sans-IO core: protocol logic with no web imports.
//!
//! Everything here is plain Rust on `std` alone so that it can be tested natively with a simulated
//! clock, and so that the wasm binary stays small. Nothing in this module reads a clock, draws
//! entropy or touches I/O: time arrives as `u64` milliseconds in every `handle_*` call, randomness
//! comes from a PRNG seeded by the caller, and outputs are pulled with `poll_*` methods (the
//! quinn-proto style). The browser adapters in `crate::web` only move bytes and timers.
//!
//! Untrusted input (bytes from the network) never panics: decoders return typed errors. The lint
//! attributes below make the compiler hold us to that outside of tests.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]
#![forbid(unsafe_code)]

pub mod backoff;
pub mod batch;
pub mod close_code;
mod closing;
pub mod codec;
pub mod connection;
pub mod error;
pub mod fallback;
pub mod fifo;
pub mod float;
pub mod frame;
pub mod http_wire;
/// The JSON validator, for the Rust API's JSON text of unknown origin (`send_batchable`,
/// `encode_message`, `decode_message`). Only with `std`: the JS build (`npm-package`) takes JSON
/// only from the browser's `JSON.stringify` and checks received JSON with `JSON.parse`, so
/// neither the validator nor its error texts and variants are in its wasm (issue 9: 0.3 / 0.4 KB
/// gzipped less).
#[cfg(feature = "std")]
pub mod json_check;
pub mod payload;
pub mod queue;
pub mod rng;
pub mod sent_tail;
pub mod session;
pub mod text;
pub mod transport_kind;
pub mod upgrade;

pub use backoff::BackoffConfig;
pub use batch::{BatchConfig, BatchError, Batcher};
#[cfg(feature = "std")]
pub use codec::{decode_message, encode_message};
pub use codec::{CodecError, CodecLimits, DecodedMessage};
pub use connection::{
    Action, Connection, ConnectionConfig, Event, HeartbeatConfig, State, Stats, TimerChange,
};
pub use error::CoreError;
pub use fallback::FallbackPlan;
pub use frame::{encode_frame, Frame, FrameDecoder, FrameError};
#[cfg(feature = "std")]
pub use json_check::{validate_json, JsonError};
pub use payload::Payload;
pub use queue::{OverflowPolicy, QueueConfig, QueueError, SendQueue};
pub use rng::SplitMix64;
pub use session::{PeerProtocol, SessionConfig, SessionQuery};
pub use transport_kind::{TransportKind, TransportSet};
