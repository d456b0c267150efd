//! The wasm build's global allocator: [`heap::Heap`] over the wasm memory, in place of dlmalloc.
//!
//! Registered only on wasm32 (see `lib.rs`); native builds keep the system allocator. The host
//! tests (`tests/allocator.rs`) run `heap.rs` on a simulated memory.

// The heap assumes one thread (see the `Sync` impl below): refuse a threaded build outright.
#[cfg(target_feature = "atomics")]
compile_error!("src/allocator assumes single-threaded wasm; build without the atomics feature");

mod heap;

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use heap::{Heap, Memory, PAGE};

/// The wasm linear memory, grown with `memory.grow`.
struct WasmMemory;

impl Memory for WasmMemory {
    fn grow(&mut self, pages: usize) -> Option<usize> {
        // `memory.grow` returns the previous size in pages, or usize::MAX when it cannot grow.
        match core::arch::wasm32::memory_grow(0, pages) {
            usize::MAX => None,
            old => Some(old * PAGE),
        }
    }
}

/// The heap behind `#[global_allocator]`.
struct WasmAllocator(UnsafeCell<Heap<WasmMemory>>);

// SAFETY: this build targets wasm32-unknown-unknown without the `atomics` feature: there is one
// thread, so the heap is never reached from two threads. Nor is it re-entered: the heap itself
// never allocates, and nothing it calls (memory.grow) runs other code.
unsafe impl Sync for WasmAllocator {}

#[global_allocator]
static ALLOCATOR: WasmAllocator = WasmAllocator(UnsafeCell::new(Heap::new(WasmMemory)));

// SAFETY: `Heap` hands out distinct blocks of at least the size and alignment asked for, and null
// when memory cannot grow; each call has the heap to itself (see the `Sync` impl above).
unsafe impl GlobalAlloc for WasmAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: one thread, no re-entry: this is the only reference to the heap right now.
        unsafe { (*self.0.get()).alloc(layout.size(), layout.align()) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above; `ptr` and `layout` come from `alloc`, as GlobalAlloc requires.
        unsafe { (*self.0.get()).dealloc(ptr, layout.size(), layout.align()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        unsafe { (*self.0.get()).realloc(ptr, layout.size(), layout.align(), new_size) }
    }
}
