#![cfg(not(target_arch = "wasm32"))]
//! A bounded, deterministic fuzz run of the two decoders that see untrusted bytes
//! (`decode_message` and `FrameDecoder`), as an ordinary test because `cargo fuzz` needs nightly.
//!
//! A counting global allocator records the largest single allocation made while decoding, so
//! the test proves two things for 200k random and mutated-valid inputs: nothing panics, and a
//! hostile length field never causes an allocation beyond the configured limit.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use universal_socket::core::{
    decode_message, encode_frame, encode_message, CodecLimits, Frame, FrameDecoder, SplitMix64,
};

struct Counting;

thread_local! {
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn record(size: usize) {
    let _ = TRACKING.try_with(|t| {
        if t.get() {
            let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
        }
    });
}

// SAFETY: every call is forwarded unchanged to the system allocator; we only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns the largest single allocation it made on this thread.
fn largest_allocation(f: impl FnOnce()) -> usize {
    LARGEST.with(|l| l.set(0));
    TRACKING.with(|t| t.set(true));
    f();
    TRACKING.with(|t| t.set(false));
    LARGEST.with(|l| l.get())
}

const CASES: usize = 200_000;
const MAX_FRAME: usize = 64 * 1024;
const MAX_INPUT: usize = 4096;

struct Gen {
    rng: SplitMix64,
    codec_seeds: Vec<Vec<u8>>,
    frame_seeds: Vec<Vec<u8>>,
}

impl Gen {
    fn new(seed: u64) -> Self {
        let json = [
            "{}",
            "[]",
            "null",
            "{\"text\":\"hello\",\"n\":[1,2.5e3,-0,true,false,null]}",
            "\"\\u00e9\\n\\\"\"",
            "[[[[{\"a\":{\"b\":[]}}]]]]",
            "-12.5e-7",
        ];
        let codec_seeds = json
            .iter()
            .enumerate()
            .map(|(i, j)| encode_message(["chat", "", "聊天", "🚀"][i % 4], j).unwrap())
            .collect();
        let frames = [
            Frame::Text("hello".into()),
            Frame::Text("{\"type\":\"chat\"}".into()),
            Frame::Binary(vec![0, 1, 2, 255]),
            Frame::Binary(Vec::new()),
            Frame::Close {
                code: 1000,
                reason: "bye".into(),
            },
        ];
        let mut frame_seeds: Vec<Vec<u8>> =
            frames.iter().map(|f| encode_frame(f).unwrap()).collect();
        frame_seeds.push(frame_seeds.concat());
        Self {
            rng: SplitMix64::new(seed),
            codec_seeds,
            frame_seeds,
        }
    }

    fn below(&mut self, n: usize) -> usize {
        (self.rng.next_u64() % n.max(1) as u64) as usize
    }

    fn random_bytes(&mut self) -> Vec<u8> {
        let len = if self.below(50) == 0 {
            self.below(MAX_INPUT)
        } else {
            self.below(64)
        };
        (0..len).map(|_| self.rng.next_u64() as u8).collect()
    }

    fn mutate(&mut self, mut b: Vec<u8>) -> Vec<u8> {
        for _ in 0..=self.below(4) {
            match self.below(7) {
                0 if !b.is_empty() => {
                    let i = self.below(b.len());
                    b[i] ^= 1 << self.below(8);
                }
                1 if !b.is_empty() => {
                    let i = self.below(b.len());
                    b[i] = self.rng.next_u64() as u8;
                }
                2 => {
                    let n = self.below(b.len() + 1);
                    b.truncate(n);
                }
                3 => {
                    let i = self.below(b.len() + 1);
                    b.insert(i, self.rng.next_u64() as u8);
                }
                4 if b.len() >= 5 => {
                    // Hostile length: overwrite a 4-byte big-endian field somewhere near the start.
                    let at = self.below(2);
                    let len = match self.below(3) {
                        0 => u32::MAX,
                        1 => (MAX_FRAME as u32).wrapping_add(self.below(1000) as u32),
                        _ => self.rng.next_u64() as u32,
                    };
                    b[at..at + 4].copy_from_slice(&len.to_be_bytes());
                }
                5 => {
                    let extra = self.random_bytes();
                    b.extend(extra);
                }
                _ => {
                    let i = self.below(self.frame_seeds.len());
                    let more = self.frame_seeds[i].clone();
                    b.extend(more);
                }
            }
        }
        b
    }

    fn codec_input(&mut self) -> Vec<u8> {
        if self.below(3) == 0 {
            self.random_bytes()
        } else {
            let i = self.below(self.codec_seeds.len());
            let seed = self.codec_seeds[i].clone();
            self.mutate(seed)
        }
    }

    fn frame_input(&mut self) -> Vec<u8> {
        if self.below(3) == 0 {
            self.random_bytes()
        } else {
            let i = self.below(self.frame_seeds.len());
            let seed = self.frame_seeds[i].clone();
            self.mutate(seed)
        }
    }
}

#[test]
fn fuzz_decode_message() {
    let mut g = Gen::new(0x5eed_c0de);
    let limits = CodecLimits::default();
    let mut ok = 0usize;
    let mut largest = 0usize;
    for _ in 0..CASES {
        let input = g.codec_input();
        largest = largest.max(largest_allocation(|| {
            if decode_message(&input, &limits).is_ok() {
                ok += 1;
            }
        }));
    }
    // Decoding borrows from the input: it must not allocate at all.
    assert_eq!(largest, 0, "decode_message allocated {largest} bytes");
    assert!(
        ok > 0,
        "no input decoded successfully: the mutator is too destructive"
    );
}

#[test]
fn fuzz_frame_decoder() {
    let mut g = Gen::new(0x00f4_a3e5);
    let mut frames = 0usize;
    let mut errors = 0usize;
    let mut largest = 0usize;
    for _ in 0..CASES {
        let input = g.frame_input();
        let mut cuts: Vec<usize> = (0..g.below(6)).map(|_| g.below(input.len() + 1)).collect();
        cuts.push(0);
        cuts.push(input.len());
        cuts.sort_unstable();
        largest = largest.max(largest_allocation(|| {
            let mut d = FrameDecoder::new(MAX_FRAME);
            for w in cuts.windows(2) {
                d.push(&input[w[0]..w[1]]);
                while let Some(r) = d.next_frame() {
                    match r {
                        Ok(_) => frames += 1,
                        Err(e) => {
                            errors += 1;
                            assert!(d.error().is_some());
                            assert!(matches!(e.close_code(), 1002 | 1007 | 1009));
                            break;
                        }
                    }
                }
            }
        }));
    }
    assert!(frames > 0 && errors > 0, "frames {frames}, errors {errors}");
    // The buffer only ever holds bytes that arrived (inputs are at most MAX_INPUT plus seeds),
    // never what a header announces.
    assert!(
        largest <= 2 * MAX_INPUT + 1024,
        "largest allocation {largest} bytes"
    );
}

#[test]
fn announced_length_is_never_preallocated() {
    // A header announcing exactly the maximum is legal; only what has arrived is buffered.
    let mut header = vec![1u8];
    header.extend_from_slice(&(MAX_FRAME as u32).to_be_bytes());
    let largest = largest_allocation(|| {
        let mut d = FrameDecoder::new(MAX_FRAME);
        d.push(&header);
        d.push(&[7; 100]);
        assert!(d.next_frame().is_none());
    });
    assert!(
        largest < 1024,
        "allocated {largest} bytes for a 105-byte prefix"
    );
    // One more than the maximum is refused as soon as the header is complete.
    let mut d = FrameDecoder::new(MAX_FRAME);
    let mut header = vec![0u8];
    header.extend_from_slice(&(MAX_FRAME as u32 + 1).to_be_bytes());
    d.push(&header);
    assert!(d.next_frame().unwrap().is_err());
}
