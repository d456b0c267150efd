//! Browser adapters and the JS-facing API. Everything here owns JS objects; the protocol logic
//! lives in [`crate::core`].

pub mod bindings;
pub mod driver;
pub mod events;
pub mod features;
pub(crate) mod handoff;
mod held_sends;
pub mod js_events;
pub mod js_socket;
pub mod listener;
pub mod options;
#[cfg(feature = "std")]
mod options_check;
pub mod socket;
mod token;
pub mod transport;
pub mod typescript;
mod waiter;
