//! A first-in, first-out queue on two `Vec`s, for the SDK's queues: the core's actions, events,
//! send queue and resend buffer; the driver's inbox; the WebSocket adapter's unsent messages, the
//! HTTP transports' send queue and the stream writers' log; the JS class's held sends.
//!
//! Why not `VecDeque`: each element type a `VecDeque` holds links its own ring-buffer code
//! (`grow` with the wrap-around copy, `pop_front`, a `Drop` over two slices, the range checks of
//! `drain`), and the JS build had seven element types. Both `Vec`s keep their capacity, so after
//! a burst a queue holds up to about twice its high-water mark (a `VecDeque`, once). Two stacks need only `Vec::push` and `Vec::pop`, whose
//! growth is shared by every element type: `back` takes what is pushed, `front` holds what is
//! next, reversed, and is refilled from `back` when it runs out (each item moves once: amortised
//! O(1), as a `VecDeque`). Nothing here can panic.

use crate::prelude::*;

/// A FIFO queue: push at the back (or, for a message going back to the head of the line, at the
/// front), pop at the front.
pub struct Fifo<T> {
    /// The oldest items, newest first: `front.last()` is the next out.
    front: Vec<T>,
    /// The newest items, oldest first.
    back: Vec<T>,
}

impl<T: core::fmt::Debug> core::fmt::Debug for Fifo<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T> Default for Fifo<T> {
    fn default() -> Self {
        Fifo::new()
    }
}

impl<T> Fifo<T> {
    /// An empty queue (allocates nothing).
    pub const fn new() -> Self {
        Fifo {
            front: Vec::new(),
            back: Vec::new(),
        }
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.front.len() + self.back.len()
    }

    /// Whether the queue is empty.
    pub fn is_empty(&self) -> bool {
        self.front.is_empty() && self.back.is_empty()
    }

    /// Adds `item` last.
    pub fn push_back(&mut self, item: T) {
        self.back.push(item);
    }

    /// Adds `item` first: it is the next one out.
    pub fn push_front(&mut self, item: T) {
        self.front.push(item);
    }

    /// Takes the first item.
    pub fn pop_front(&mut self) -> Option<T> {
        if self.front.is_empty() {
            while let Some(item) = self.back.pop() {
                self.front.push(item);
            }
        }
        self.front.pop()
    }

    /// The first item.
    pub fn front(&self) -> Option<&T> {
        self.front.last().or_else(|| self.back.first())
    }

    /// The items, first to last.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.front.iter().rev().chain(self.back.iter())
    }

    /// The first item for which `matches` holds, to change in place.
    pub fn find_mut(&mut self, mut matches: impl FnMut(&T) -> bool) -> Option<&mut T> {
        for item in self.front.iter_mut().rev() {
            if matches(item) {
                return Some(item);
            }
        }
        self.back.iter_mut().find(|item| matches(item))
    }

    /// Everything, first to last, leaving the queue empty.
    pub fn take_all(&mut self) -> Vec<T> {
        let mut all = Vec::with_capacity(self.len());
        while let Some(item) = self.front.pop() {
            all.push(item);
        }
        // `back` is in order already: appended whole.
        all.append(&mut self.back);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::Fifo;
    use std::collections::VecDeque;

    /// Every operation, in a long pseudo-random mix, agrees with `VecDeque`.
    #[test]
    fn behaves_as_a_vecdeque() {
        let mut fifo = Fifo::new();
        let mut model = VecDeque::new();
        let mut x: u32 = 12345;
        for n in 0..20_000u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            match (x >> 16) % 7 {
                0..=2 => {
                    fifo.push_back(n);
                    model.push_back(n);
                }
                3 => {
                    fifo.push_front(n);
                    model.push_front(n);
                }
                4 | 5 => assert_eq!(fifo.pop_front(), model.pop_front()),
                _ => {
                    if let Some(item) = fifo.find_mut(|v| v % 3 == 0) {
                        *item += 1;
                    }
                    if let Some(item) = model.iter_mut().find(|v| **v % 3 == 0) {
                        *item += 1;
                    }
                }
            }
            assert_eq!(fifo.len(), model.len());
            assert_eq!(fifo.is_empty(), model.is_empty());
            assert_eq!(fifo.front(), model.front());
            if n % 997 == 0 {
                assert!(fifo.iter().eq(model.iter()));
            }
        }
        assert_eq!(fifo.take_all(), model.drain(..).collect::<Vec<_>>());
        assert!(fifo.is_empty());
        assert_eq!(fifo.pop_front(), None);
    }

    #[test]
    fn take_all_keeps_the_order_across_both_halves() {
        let mut fifo = Fifo::new();
        fifo.push_back(1);
        fifo.push_back(2);
        assert_eq!(fifo.pop_front(), Some(1));
        fifo.push_back(3);
        fifo.push_front(0);
        assert_eq!(fifo.take_all(), vec![0, 2, 3]);
    }
}
