//! Browser adapters and the JS-facing API. Everything here owns JS objects; the protocol logic
//! lives in [`crate::core`].

pub mod bindings;
pub mod features;
pub mod listener;
