//! A caller waiting for the outcome of `connect()` or `close()`.
use crate::prelude::*;

/// Told exactly once: with the outcome, or with `None` if the socket is dropped before there is
/// one (so a JS promise rejects instead of staying pending for ever). A callback rather than a
/// channel: the JS class settles its Promise directly, and futures' oneshot channel is linked
/// only by the Rust API, which waits on one.
pub(crate) struct Waiter<T>(Option<Box<dyn FnOnce(Option<T>)>>);

impl<T> Waiter<T> {
    pub(crate) fn new(tell: Box<dyn FnOnce(Option<T>)>) -> Self {
        Waiter(Some(tell))
    }

    /// Tells the outcome. Call it with no `RefCell` borrowed: it may run JS.
    pub(crate) fn tell(mut self, outcome: T) {
        if let Some(tell) = self.0.take() {
            tell(Some(outcome));
        }
    }

    /// Drops the waiter without telling it anything: for a call that failed before it started,
    /// whose caller reports that failure itself.
    pub(crate) fn dismiss(mut self) {
        self.0 = None;
    }
}

impl<T> Drop for Waiter<T> {
    fn drop(&mut self) {
        if let Some(tell) = self.0.take() {
            tell(None);
        }
    }
}
