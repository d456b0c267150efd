//! Browser adapters and the JS-facing API. Everything here owns JS objects; the protocol logic
//! lives in [`crate::core`].

pub mod bindings;
pub mod driver;
pub mod features;
pub mod js_events;
pub mod js_socket;
pub mod listener;
pub mod options;
pub mod socket;
pub mod transport;
pub mod typescript;
