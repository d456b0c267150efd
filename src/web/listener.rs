//! An event listener that is removed when dropped (the gloo-events pattern).
//!
//! Every JS closure the SDK creates is owned by one of these, so replacing or closing a connection
//! drops its listeners and their closures together: no closure is ever leaked on purpose, and a
//! stale transport can no longer call back into Rust.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Event, EventTarget};

/// Live listener count, so tests can prove that connect/close cycles do not accumulate listeners.
static LIVE: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// Number of [`EventListener`]s currently attached.
pub fn live_listeners() -> usize {
    LIVE.load(core::sync::atomic::Ordering::Relaxed)
}

/// Owns a closure attached to `target` for `event_type`; `Drop` detaches it first, then frees it.
pub struct EventListener {
    target: EventTarget,
    event_type: &'static str,
    callback: Closure<dyn FnMut(Event)>,
}

impl EventListener {
    /// Attaches `callback`. The callback should capture a channel sender or a `Weak`, never the
    /// object that owns this listener (that would be a reference cycle).
    pub fn new(
        target: &EventTarget,
        event_type: &'static str,
        callback: impl FnMut(Event) + 'static,
    ) -> Self {
        Self::attach(target, event_type, Closure::new(callback))
    }

    /// The part of [`EventListener::new`] that does not depend on the callback's type, kept out
    /// of line: one copy instead of one per callback (issue 9: size).
    #[inline(never)]
    fn attach(
        target: &EventTarget,
        event_type: &'static str,
        callback: Closure<dyn FnMut(Event)>,
    ) -> Self {
        // Fails only for a non-EventTarget, which the type rules out; a failure leaves nothing attached.
        let _ =
            target.add_event_listener_with_callback(event_type, callback.as_ref().unchecked_ref());
        LIVE.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        EventListener {
            target: target.clone(),
            event_type,
            callback,
        }
    }
}

impl Drop for EventListener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback(
            self.event_type,
            self.callback.as_ref().unchecked_ref(),
        );
        LIVE.fetch_sub(1, core::sync::atomic::Ordering::Relaxed);
    }
}
