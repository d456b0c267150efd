// Native only: proptest is a host dev-dependency, and on wasm32 this heap is the real allocator.
#![cfg(not(target_arch = "wasm32"))]
//! The wasm build's allocator (`src/allocator/heap.rs`), run natively on a simulated memory: blocks
//! are disjoint, aligned and keep their contents; freed memory is reused, so a steady workload
//! stops growing the heap; a memory that cannot grow gives null, never a trap.
//!
//! The module is compiled into this test by path: the crate registers it only on wasm32, as the
//! global allocator, and exports nothing of it.

#[path = "../src/allocator/heap.rs"]
#[allow(dead_code)]
mod heap;

use heap::{Heap, Memory, PAGE};
use proptest::prelude::*;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::mem::MaybeUninit;
use std::rc::Rc;

/// One wasm page, so that a `Vec` of them starts on a page boundary as wasm memory does.
#[repr(C, align(65536))]
struct Page([u8; PAGE]);

/// A wasm-like memory: pages appended to a `Vec` reserved up front (so addresses never move), up
/// to a fixed limit. Untouched pages cost no RAM.
struct SimMemory {
    pages: Vec<MaybeUninit<Page>>,
    /// Shared with the test: where the pages start and how many bytes have been grown.
    extent: Rc<Cell<(usize, usize)>>,
}

impl Memory for SimMemory {
    fn grow(&mut self, pages: usize) -> Option<usize> {
        let len = self.pages.len();
        if pages > self.pages.capacity() - len {
            return None;
        }
        // SAFETY: within capacity; the elements are MaybeUninit, so need no initialising.
        unsafe { self.pages.set_len(len + pages) };
        self.extent
            .set((self.pages.as_ptr() as usize, (len + pages) * PAGE));
        Some(self.pages.as_ptr() as usize + len * PAGE)
    }
}

/// A heap over a simulated memory, with a record of its live blocks to check it against.
struct Checked {
    heap: Heap<SimMemory>,
    extent: Rc<Cell<(usize, usize)>>,
    /// Live blocks by address: (size, align, fill byte).
    live: BTreeMap<usize, (usize, usize, u8)>,
    live_bytes: usize,
    peak_bytes: usize,
}

impl Checked {
    fn new(limit_pages: usize) -> Self {
        let extent = Rc::new(Cell::new((0, 0)));
        let pages = Vec::with_capacity(limit_pages);
        Checked {
            heap: Heap::new(SimMemory {
                pages,
                extent: extent.clone(),
            }),
            extent,
            live: BTreeMap::new(),
            live_bytes: 0,
            peak_bytes: 0,
        }
    }

    /// Bytes the heap has grown memory by.
    fn grown(&self) -> usize {
        self.extent.get().1
    }

    /// Where the simulated memory's grown pages are: [start, end).
    fn bounds(&self) -> (usize, usize) {
        let (start, grown) = self.extent.get();
        (start, start + grown)
    }

    /// Checks a fresh block (or null) against the live ones, and fills it.
    fn record(&mut self, ptr: *mut u8, size: usize, align: usize, fill: u8) -> Option<usize> {
        if ptr.is_null() {
            return None;
        }
        let at = ptr as usize;
        assert_eq!(
            at % align,
            0,
            "block {at:#x} of {size} B not aligned to {align}"
        );
        let (start, end) = self.bounds();
        assert!(
            at >= start && at + size <= end,
            "block {at:#x}+{size} outside memory"
        );
        if let Some((&before, &(len, ..))) = self.live.range(..=at).next_back() {
            assert!(
                before + len <= at,
                "block {at:#x} overlaps live {before:#x}+{len}"
            );
        }
        if let Some((&after, _)) = self.live.range(at..).next() {
            assert!(
                at + size <= after,
                "block {at:#x}+{size} overlaps live {after:#x}"
            );
        }
        // SAFETY: the block is the heap's answer for `size` bytes.
        unsafe { std::ptr::write_bytes(ptr, fill, size) };
        self.live.insert(at, (size, align, fill));
        self.live_bytes += size;
        self.peak_bytes = self.peak_bytes.max(self.live_bytes);
        Some(at)
    }

    fn alloc(&mut self, size: usize, align: usize, fill: u8) -> Option<usize> {
        let ptr = self.heap.alloc(size, align);
        self.record(ptr, size, align, fill)
    }

    /// Checks a live block still holds its fill (its ends, and a byte every 509 between: a
    /// whole-block scan makes the random workload too slow in a debug build).
    fn check(&self, at: usize) {
        let (size, _, fill) = self.live[&at];
        // SAFETY: a live block of `size` bytes.
        let bytes = unsafe { std::slice::from_raw_parts(at as *const u8, size) };
        let ends = bytes.iter().take(256).chain(bytes.iter().rev().take(256));
        let kept = ends.chain(bytes.iter().step_by(509)).all(|&b| b == fill);
        assert!(kept, "block {at:#x}+{size} was overwritten");
    }

    /// Checks the block, forgets it, and returns (size, align, fill).
    fn forget(&mut self, at: usize) -> (usize, usize, u8) {
        self.check(at);
        let (size, align, fill) = self.live.remove(&at).expect("a live block");
        self.live_bytes -= size;
        (size, align, fill)
    }

    fn free(&mut self, at: usize) {
        let (size, align, _) = self.forget(at);
        // SAFETY: a live block with the layout it was allocated with.
        unsafe { self.heap.dealloc(at as *mut u8, size, align) };
    }

    /// Resizes a live block; checks the kept prefix; fills it anew. None when the heap is full
    /// (the old block then stays live).
    fn realloc(&mut self, at: usize, new_size: usize, fill: u8) -> Option<usize> {
        self.check(at);
        let (size, align, old_fill) = self.live[&at];
        // SAFETY: a live block with its layout.
        let ptr = unsafe { self.heap.realloc(at as *mut u8, size, align, new_size) };
        if ptr.is_null() {
            return None;
        }
        self.live.remove(&at);
        self.live_bytes -= size;
        // SAFETY: the new block holds at least the bytes both sizes share.
        let kept = unsafe { std::slice::from_raw_parts(ptr, size.min(new_size)) };
        assert!(
            kept.iter().all(|&b| b == old_fill),
            "realloc lost the contents"
        );
        self.record(ptr, new_size, align, fill)
    }
}

#[test]
fn small_and_large_blocks_are_aligned_disjoint_and_keep_their_contents() {
    let mut h = Checked::new(1024);
    let mut blocks = Vec::new();
    let sizes = [
        1,
        7,
        16,
        17,
        100,
        1000,
        4096,
        32768,
        32769,
        65536,
        65537,
        300_000,
        1 << 20,
    ];
    for (i, &size) in sizes.iter().cycle().take(200).enumerate() {
        let align = 1 << (i % 8);
        blocks.push(h.alloc(size, align, i as u8).expect("memory to spare"));
    }
    for at in blocks {
        h.free(at);
    }
}

#[test]
fn any_power_of_two_alignment_up_to_16_mib_is_honoured() {
    let mut h = Checked::new(2048);
    for shift in 0..=24 {
        for size in [1, 1000, 40_000, 100_000] {
            let at = h
                .alloc(size, 1 << shift, shift as u8)
                .expect("memory to spare");
            if shift % 2 == 0 {
                h.free(at);
            }
        }
    }
}

#[test]
fn freed_blocks_are_reused() {
    let mut h = Checked::new(1024);
    let a = h.alloc(100, 8, 1).unwrap();
    h.free(a);
    assert_eq!(
        h.alloc(100, 8, 2),
        Some(a),
        "a freed small block serves the next of its class"
    );
    // A large block, freed, serves smaller large blocks and small pages without growing memory.
    let big = h.alloc(4 << 20, 8, 3).unwrap();
    let grown = h.grown();
    h.free(big);
    let mut again = Vec::new();
    for i in 0..40 {
        again.push(h.alloc(60_000, 8, i).unwrap());
    }
    for i in 0..1000 {
        again.push(h.alloc(1000, 8, i as u8).unwrap());
    }
    assert_eq!(
        h.grown(),
        grown,
        "memory grew although a freed 4 MiB block could serve"
    );
    for at in again {
        h.free(at);
    }
    // The 40 freed pages merge again: a 40-page block fits there without growing memory.
    let grown = h.grown();
    let big2 = h.alloc(40 * PAGE, 8, 4).unwrap();
    assert_eq!(h.grown(), grown, "freed pages did not merge back");
    h.free(big2);
}

#[test]
fn a_free_span_at_the_end_of_memory_is_extended_not_left_behind() {
    let mut h = Checked::new(1024);
    let a = h.alloc(16 * PAGE, 8, 1).unwrap();
    h.free(a);
    let b = h.alloc(32 * PAGE, 8, 2).unwrap();
    assert_eq!(b, a, "the larger block starts where the freed one did");
    assert_eq!(
        h.grown(),
        32 * PAGE,
        "memory grew by only what the freed span lacked"
    );
    h.free(b);
}

#[test]
fn realloc_keeps_contents_and_stays_in_place_when_the_block_fits() {
    let mut h = Checked::new(1024);
    let a = h.alloc(20, 4, 1).unwrap();
    assert_eq!(
        h.realloc(a, 32, 2),
        Some(a),
        "20 → 32 B fits the 32 B block"
    );
    let b = h.realloc(a, 33, 3).unwrap();
    assert_ne!(b, a, "33 B needs the 64 B class");
    let big = h.realloc(b, 200_000, 4).unwrap(); // small → large
    assert_eq!(
        h.realloc(big, 190_000, 5),
        Some(big),
        "same page count: in place"
    );
    assert_eq!(
        h.realloc(big, 70_000, 6),
        Some(big),
        "fewer pages: in place, tail freed"
    );
    // The freed tail (2 pages) serves the next large block without growing.
    let grown = h.grown();
    let tail = h.alloc(100_000, 8, 7).unwrap();
    assert_eq!(tail, big + 2 * PAGE);
    assert_eq!(h.grown(), grown);
    let bigger = h.realloc(big, 3 << 20, 8).unwrap(); // large → larger: moves, keeps contents
    let small = h.realloc(bigger, 10, 9).unwrap(); // large → small
    h.free(small);
    h.free(tail);
}

#[test]
fn a_memory_that_cannot_grow_gives_null_and_the_heap_recovers() {
    let mut h = Checked::new(40);
    assert_eq!(h.alloc(41 * PAGE, 8, 1), None, "more than memory can hold");
    assert_eq!(
        h.alloc(100, 1 << 30, 1),
        None,
        "an alignment memory cannot reach"
    );
    let mut blocks = Vec::new();
    while let Some(at) = h.alloc(3000, 8, blocks.len() as u8) {
        blocks.push(at);
    }
    assert!(
        h.grown() <= 40 * PAGE && blocks.len() >= 600,
        "{} blocks",
        blocks.len()
    );
    let last = *blocks.last().unwrap();
    assert_eq!(
        h.realloc(last, 40 * PAGE, 2),
        None,
        "the old block stays live on failure"
    );
    for at in blocks.drain(..) {
        h.free(at);
    }
    // Small blocks keep their pages, but what is freed serves their class again.
    for i in 0..600 {
        blocks.push(
            h.alloc(4000, 8, i as u8)
                .expect("freed blocks of the class are reused"),
        );
    }
    for at in blocks {
        h.free(at);
    }
}

/// Sizes spread over every class and up to 2 MiB, as a socket sees: mostly small, some large.
fn size_for(seed: u64) -> usize {
    let shift = (seed % 22) as u32; // 2^0 … 2^21
    let base = 1usize << shift;
    base + (seed >> 8) as usize % base
}

#[test]
fn a_steady_workload_stops_growing_memory() {
    let mut h = Checked::new(2048);
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    // The same multiset of sizes every round, allocated and freed in a different order.
    let sizes: Vec<usize> = (0..300).map(|_| size_for(next())).collect();
    let mut after_round = Vec::new();
    for round in 0..60 {
        let mut live = Vec::new();
        let mut order = sizes.clone();
        for i in (1..order.len()).rev() {
            order.swap(i, next() as usize % (i + 1));
        }
        for (i, &size) in order.iter().enumerate() {
            live.push(h.alloc(size, 1 << (i % 4), round as u8).unwrap());
            // Free as it goes, so that blocks of different ages interleave.
            if next() % 3 == 0 {
                let at = live.swap_remove(next() as usize % live.len());
                h.free(at);
            }
        }
        for at in live {
            h.free(at);
        }
        after_round.push(h.grown());
    }
    let (warm, end) = (after_round[9], after_round[59]);
    assert!(
        end <= warm + 4 * (2 << 20),
        "memory kept growing: {after_round:?}"
    );
    assert!(
        end <= 4 * h.peak_bytes + (2 << 20),
        "{end} B for a peak of {} B",
        h.peak_bytes
    );
}

#[derive(Debug, Clone)]
enum Op {
    Alloc { size_seed: u64, align_shift: u32 },
    Free(usize),
    Realloc(usize, u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<u64>(), 0u32..18).prop_map(|(size_seed, align_shift)| Op::Alloc { size_seed, align_shift }),
        3 => any::<usize>().prop_map(Op::Free),
        1 => (any::<usize>(), any::<u64>()).prop_map(|(i, s)| Op::Realloc(i, s)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// A long random mix of allocs, frees and reallocs, small and large, any alignment up to
    /// 128 KiB, with at most 8 MiB live: blocks never overlap, stay aligned and keep their
    /// contents, and memory stays within a constant factor of the peak of live bytes.
    #[test]
    fn random_workloads_stay_correct_and_bounded(ops in prop::collection::vec(op(), 1..3000)) {
        let mut h = Checked::new(4096);
        let mut live: Vec<usize> = Vec::new();
        for (n, op) in ops.into_iter().enumerate() {
            let fill = n as u8;
            match op {
                Op::Alloc { size_seed, align_shift } => {
                    let size = size_for(size_seed);
                    if h.live_bytes + size <= 8 << 20 {
                        live.push(h.alloc(size, 1 << align_shift, fill).expect("memory to spare"));
                    }
                }
                Op::Free(i) if !live.is_empty() => {
                    let at = live.swap_remove(i % live.len());
                    h.free(at);
                }
                Op::Realloc(i, seed) if !live.is_empty() => {
                    let i = i % live.len();
                    let (size, new_size) = (h.live[&live[i]].0, size_for(seed));
                    if h.live_bytes + new_size.saturating_sub(size) <= 8 << 20 {
                        live[i] = h.realloc(live[i], new_size, fill).expect("memory to spare");
                    }
                }
                _ => {}
            }
        }
        prop_assert!(h.grown() <= 4 * h.peak_bytes + (4 << 20),
            "{} B grown for a peak of {} B live", h.grown(), h.peak_bytes);
        for at in live {
            h.free(at);
        }
    }
}
