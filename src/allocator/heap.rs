//! The allocator's logic, free of wasm: size classes for small blocks, page spans for large ones.
//!
//! It replaces dlmalloc (Rust std's wasm32 allocator) in the wasm build to save bytes (about
//! 2.6 KB gzipped in the size study), and is written for a socket that runs for days: memory freed
//! is reused, so a steady workload stops growing the heap once it has reached its peak.
//!
//! - **Small blocks** (up to 32 KiB, after rounding the size up to the alignment): rounded up to a
//!   power of two (16 B … 32 KiB, 12 classes), each class with a free list threaded through its
//!   free blocks. A class with an empty list carves a new block from a 64 KiB page shared by all
//!   classes (a bump pointer); a block is aligned to its own size, so any alignment up to 32 KiB
//!   is honoured. Blocks stay in their class once carved, so the memory held by small blocks is
//!   at most the sum over classes of each class's peak, plus the padding of partly used pages.
//! - **Large blocks** (messages can be MiBs): whole 64 KiB pages taken from a list of free spans,
//!   sorted by address, first fit, with the remainder split off and freed spans merged with their
//!   neighbours, so freed memory serves blocks of any size, small pages included. Any power-of-two
//!   alignment is honoured by taking the first aligned run inside a span. When no span fits, the
//!   heap grows by just what is missing: a free span at the end of memory is extended rather than
//!   left behind.
//!
//! `GlobalAlloc` passes the layout back on `dealloc` and `realloc`, so blocks need no header: the
//! class or page count is derived again from the size and alignment. Memory is asked for through
//! [`Memory`], so the host tests run this same code on a simulated memory.

/// The unit in which memory grows, and the granule of large blocks: a wasm page.
pub const PAGE: usize = 65536;

/// The smallest block: room for a free list's link, and a common alignment.
const MIN_BLOCK: usize = 16;

/// The number of small classes: 16 B (2^4) to 32 KiB (2^15).
const CLASSES: usize = 12;

/// Where the heap's pages come from.
pub trait Memory {
    /// Adds `pages` pages of memory and returns the address of the first, or `None` when memory
    /// cannot grow. Pages come after those added before (wasm memory only grows at its end), but
    /// the heap does not rely on it beyond merging adjacent free spans.
    fn grow(&mut self, pages: usize) -> Option<usize>;
}

/// A free span of pages, written at its own first page.
struct Span {
    /// Its length, in pages.
    pages: usize,
    /// The next free span (higher address), or null.
    next: *mut Span,
}

/// The allocator's state; every method takes `&mut self`, so one heap is never used from two
/// places at once.
pub struct Heap<M> {
    memory: M,
    /// Per small class, the first free block (each free block holds the address of the next).
    free: [*mut u8; CLASSES],
    /// Where the next small block is carved (the shared page's first unused byte) …
    bump: usize,
    /// … and how many bytes of that page are left.
    left: usize,
    /// The free spans, sorted by address.
    spans: *mut Span,
    /// The page just past the last grown region: a free span ending there can be extended.
    top: usize,
}

/// The block a layout gets: `Small(class)` or `Large(pages)`, derived again on free.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    Small(usize),
    Large(usize),
}

/// Which block serves `size` bytes aligned to `align` (a power of two).
fn block(size: usize, align: usize) -> Block {
    let bytes = size.max(align).max(MIN_BLOCK);
    if bytes <= PAGE / 2 {
        Block::Small(bytes.next_power_of_two().trailing_zeros() as usize - 4)
    } else {
        // `Layout` keeps size ≤ isize::MAX, so this cannot overflow.
        Block::Large(bytes.div_ceil(PAGE))
    }
}

impl<M: Memory> Heap<M> {
    /// An empty heap that grows through `memory` on first use.
    pub const fn new(memory: M) -> Self {
        Heap {
            memory,
            free: [core::ptr::null_mut(); CLASSES],
            bump: 0,
            left: 0,
            spans: core::ptr::null_mut(),
            top: 0,
        }
    }

    /// A block of at least `size` bytes aligned to `align` (a power of two), or null when memory
    /// cannot grow.
    pub fn alloc(&mut self, size: usize, align: usize) -> *mut u8 {
        match block(size, align) {
            Block::Small(class) => self.alloc_small(class),
            Block::Large(pages) => match self.take_pages(pages, (align / PAGE).max(1)) {
                Some(page) => (page * PAGE) as *mut u8,
                None => core::ptr::null_mut(),
            },
        }
    }

    /// Frees a block from [`Heap::alloc`] (or [`Heap::realloc`]) with the size and alignment it
    /// was asked for.
    ///
    /// # Safety
    /// `ptr` is a live block of this heap, allocated with this `size` and `align`.
    pub unsafe fn dealloc(&mut self, ptr: *mut u8, size: usize, align: usize) {
        match block(size, align) {
            Block::Small(class) => {
                // SAFETY: the block is at least 16 bytes, aligned to 16, and no longer in use.
                unsafe { ptr.cast::<*mut u8>().write(self.free[class]) };
                self.free[class] = ptr;
            }
            // SAFETY: the caller gives back pages this heap handed out.
            Block::Large(pages) => unsafe { self.free_pages(ptr as usize / PAGE, pages) },
        }
    }

    /// Resizes a block: in place when the new size is served by the same block (or by fewer pages
    /// of a large block, whose tail is freed), else by moving it. Null when it cannot grow (the
    /// old block is then untouched).
    ///
    /// # Safety
    /// As for [`Heap::dealloc`]; `ptr` must not be used after a non-null return.
    pub unsafe fn realloc(
        &mut self,
        ptr: *mut u8,
        size: usize,
        align: usize,
        new_size: usize,
    ) -> *mut u8 {
        let (old, new) = (block(size, align), block(new_size, align));
        if old == new {
            return ptr;
        }
        if let (Block::Large(had), Block::Large(keep)) = (old, new) {
            if keep < had {
                // SAFETY: the tail pages belong to this block, which keeps only its head.
                unsafe { self.free_pages(ptr as usize / PAGE + keep, had - keep) };
                return ptr;
            }
        }
        let moved = self.alloc(new_size, align);
        if !moved.is_null() {
            // SAFETY: both blocks are live, distinct, and at least this long.
            unsafe {
                core::ptr::copy_nonoverlapping(ptr, moved, size.min(new_size));
                self.dealloc(ptr, size, align);
            }
        }
        moved
    }

    /// A block of the small `class`: the class's last freed block, else a new one carved from
    /// the shared page (a new page when this one has no room).
    fn alloc_small(&mut self, class: usize) -> *mut u8 {
        let head = self.free[class];
        if !head.is_null() {
            // SAFETY: a free block holds the address of the next free block of its class.
            self.free[class] = unsafe { head.cast::<*mut u8>().read() };
            return head;
        }
        let bytes = MIN_BLOCK << class;
        // Padding up to the block's own alignment (< bytes, and the page is 64 KiB aligned).
        let mut pad = self.bump.wrapping_neg() & (bytes - 1);
        if pad + bytes > self.left {
            // The rest of this page is too small: it is left unused (less than 32 KiB).
            match self.take_pages(1, 1) {
                Some(page) => (self.bump, self.left, pad) = (page * PAGE, PAGE, 0),
                None => return core::ptr::null_mut(),
            }
        }
        let at = self.bump + pad;
        self.bump = at.wrapping_add(bytes);
        self.left -= pad + bytes;
        at as *mut u8
    }

    /// `pages` free pages starting at a multiple of `align` pages (its first page number), from
    /// the first free span that holds them, growing memory when none does.
    fn take_pages(&mut self, pages: usize, align: usize) -> Option<usize> {
        loop {
            let mut link: *mut *mut Span = &mut self.spans;
            // The length of the last free span if it ends where memory ends, else 0.
            let mut tail = 0;
            // SAFETY: the spans are free pages of this heap, each holding a `Span`.
            unsafe {
                while !(*link).is_null() {
                    let span = *link;
                    let (start, len) = (span as usize / PAGE, (*span).pages);
                    let at = start.next_multiple_of(align);
                    if at + pages <= start + len {
                        let rest = start + len - (at + pages);
                        let mut next = (*span).next;
                        if rest > 0 {
                            let after = ((at + pages) * PAGE) as *mut Span;
                            after.write(Span { pages: rest, next });
                            next = after;
                        }
                        if at > start {
                            (*span).pages = at - start;
                            (*span).next = next;
                        } else {
                            *link = next;
                        }
                        return Some(at);
                    }
                    tail = if start + len == self.top { len } else { 0 };
                    link = &mut (*span).next;
                }
            }
            // A run of `pages + align - 1` pages holds an aligned run of `pages`, and the tail span
            // (shorter than that, or it would have been taken) is extended by what it lacks.
            let grow = pages + align - 1 - tail;
            let first = self.memory.grow(grow)? / PAGE;
            self.top = first + grow;
            // SAFETY: the pages just grown are this heap's and unused.
            unsafe { self.free_pages(first, grow) };
        }
    }

    /// Returns `pages` pages from page `first` to the free spans, merging with the span ending
    /// just before and the one starting just after.
    ///
    /// # Safety
    /// The pages are this heap's and no longer in use (nor already free).
    unsafe fn free_pages(&mut self, first: usize, pages: usize) {
        let mut link: *mut *mut Span = &mut self.spans;
        let mut before: *mut Span = core::ptr::null_mut();
        // SAFETY: the spans are free pages of this heap, each holding a `Span`; the freed pages
        // are the caller's to give.
        unsafe {
            while !(*link).is_null() && (*link as usize / PAGE) < first {
                before = *link;
                link = &mut (*before).next;
            }
            let (mut len, mut next) = (pages, *link);
            if !next.is_null() && next as usize / PAGE == first + pages {
                len += (*next).pages;
                next = (*next).next;
            }
            if !before.is_null() && before as usize / PAGE + (*before).pages == first {
                (*before).pages += len;
                (*before).next = next;
            } else {
                let span = (first * PAGE) as *mut Span;
                span.write(Span { pages: len, next });
                *link = span;
            }
        }
    }
}
