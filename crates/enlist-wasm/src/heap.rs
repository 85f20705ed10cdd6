//! The wasm build's memory allocator: power-of-two size classes with one free
//! list each, carved from memory the module grows and never gives back.
//!
//! Rust's default allocator on `wasm32-unknown-unknown` (dlmalloc) is about
//! 4.6 KB of the gzipped wasm; this one is a few hundred bytes, and the
//! package's usage suits it: a handful of long-lived buffers reused from call
//! to call (the input, extra and output buffers) and, per call, short-lived
//! strings and vectors that are freed before the call returns. A block freed
//! to its class is reused by the next request of that class, so repeated
//! calls of the same size run in the same memory. The price is up to 2× the
//! requested size per block, blocks are not split or merged (memory freed in
//! one class serves only that class), and memory is never returned to the
//! host (WebAssembly memory cannot shrink anyway). So a process that
//! validates a 50 MB document once keeps that memory for later large calls;
//! small calls never need more than their own classes' peak.
//!
//! The logic ([`Heap`]) takes its memory from a [`Grow`] source, so it is
//! tested natively on an aligned arena (`tests` below) as well as used for
//! real in wasm, where `WasmPages` grows the module's memory. Requests
//! whose alignment exceeds [`MAX_ALIGN`] fail (null), which Rust turns into
//! an allocation error; no type in this crate or its dependencies asks for
//! more than 16.
//!
//! ```
//! use enlist_wasm::heap::{class_of, block_size};
//! assert_eq!(class_of(1, 1), Some(4)); // the smallest block: 16 bytes
//! assert_eq!(class_of(17, 8), Some(5));
//! assert_eq!(block_size(5), 32);
//! ```

use std::cell::Cell;

/// The smallest block: 16 bytes (room for the free list's link, and the
/// alignment of every Rust type here).
pub const MIN_CLASS: u32 = 4;
/// The largest block: 2 GiB.
pub const MAX_CLASS: u32 = 31;
/// Blocks of this size or more start on a multiple of it; smaller blocks on
/// a multiple of their own size. So every block of a class is aligned to
/// `min(block size, MAX_ALIGN)`, and a request needing more fails.
pub const MAX_ALIGN: usize = 4096;
/// WebAssembly's page size.
pub const PAGE: usize = 65536;

/// The class (log2 of the block size) that fits `size` bytes aligned to
/// `align`, or `None` when no class does.
///
/// ```
/// use enlist_wasm::heap::class_of;
/// assert_eq!(class_of(16, 16), Some(4));
/// assert_eq!(class_of(4097, 8), Some(13));
/// assert_eq!(class_of(8, 8192), None); // alignment beyond MAX_ALIGN
/// ```
pub fn class_of(size: usize, align: usize) -> Option<u32> {
    if align > MAX_ALIGN {
        return None;
    }
    let need = size.max(align).max(1);
    let class = (usize::BITS - (need - 1).leading_zeros()).max(MIN_CLASS);
    (class <= MAX_CLASS).then_some(class)
}

/// The size of a block of `class`.
///
/// ```
/// assert_eq!(enlist_wasm::heap::block_size(4), 16);
/// ```
pub fn block_size(class: u32) -> usize {
    1 << class
}

/// Where a [`Heap`] gets more memory.
pub trait Grow {
    /// Adds `pages` pages of [`PAGE`] bytes and returns the address of the
    /// first, or `None` when the host refuses. Successive calls need not be
    /// contiguous.
    fn grow(&self, pages: usize) -> Option<usize>;
}

/// The allocator's state: the bump region still to carve, and one free list
/// head per class (each free block's first word links to the next).
pub struct Heap<G> {
    source: G,
    next: Cell<usize>,
    end: Cell<usize>,
    free: [Cell<usize>; MAX_CLASS as usize + 1],
    /// While set, blocks are zeroed as they are freed ([`Heap::set_scrub`]).
    scrub: Cell<bool>,
}

impl<G: Grow> Heap<G> {
    /// An empty heap over `source`.
    pub const fn new(source: G) -> Self {
        Heap {
            source,
            next: Cell::new(0),
            end: Cell::new(0),
            free: [const { Cell::new(0) }; MAX_CLASS as usize + 1],
            scrub: Cell::new(false),
        }
    }

    /// While `on`, every block freed (or left behind by a reallocation that
    /// moves) is overwritten with zeros first, all of it, so that nothing it
    /// held survives in free memory: [`scrubbing`] turns it on around the
    /// operations that handle an API key.
    pub fn set_scrub(&self, on: bool) {
        self.scrub.set(on);
    }

    /// A block for `size` bytes aligned to `align`, or null.
    ///
    /// # Safety
    /// The heap's memory must be valid to read and write (what [`Grow`]
    /// hands out).
    pub unsafe fn allocate(&self, size: usize, align: usize) -> *mut u8 {
        match class_of(size, align) {
            // SAFETY: forwarded from the caller.
            Some(class) => unsafe { self.take(class) },
            None => std::ptr::null_mut(),
        }
    }

    /// Returns a block to its class's free list.
    ///
    /// # Safety
    /// `ptr` came from [`Heap::allocate`] (or [`Heap::reallocate`]) of this
    /// heap with the same `size` and `align`, and is not used again.
    pub unsafe fn release(&self, ptr: *mut u8, size: usize, align: usize) {
        if let Some(class) = class_of(size, align) {
            // Only the build with `build_request` handles API keys.
            if cfg!(not(feature = "client")) && self.scrub.get() {
                // SAFETY: the whole block is ours (a same-class reallocation
                // may have used more of it than `size`).
                unsafe { std::ptr::write_bytes(ptr, 0, block_size(class)) };
            }
            let head = &self.free[class as usize];
            // SAFETY: the block is ours and at least 16 bytes, aligned to 16.
            unsafe { (ptr as *mut usize).write(head.get()) };
            head.set(ptr as usize);
        }
    }

    /// Resizes a block: the same block when the new size is of the same
    /// class, else a new one with the contents copied and the old one
    /// released. Null (and the old block untouched) when out of memory.
    ///
    /// # Safety
    /// As for [`Heap::release`] with the old `size`.
    pub unsafe fn reallocate(
        &self,
        ptr: *mut u8,
        size: usize,
        align: usize,
        new_size: usize,
    ) -> *mut u8 {
        let (Some(old), Some(new)) = (class_of(size, align), class_of(new_size, align)) else {
            return std::ptr::null_mut();
        };
        if old == new {
            return ptr;
        }
        // SAFETY: forwarded from the caller; the blocks do not overlap.
        unsafe {
            let moved = self.take(new);
            if !moved.is_null() {
                std::ptr::copy_nonoverlapping(ptr, moved, size.min(new_size));
                self.release(ptr, size, align);
            }
            moved
        }
    }

    /// A block of `class`: the head of its free list, else carved from the
    /// bump region (grown when short).
    unsafe fn take(&self, class: u32) -> *mut u8 {
        let head = &self.free[class as usize];
        let block = head.get();
        if block != 0 {
            // SAFETY: a free block holds the link to the next one.
            head.set(unsafe { (block as *const usize).read() });
            return block as *mut u8;
        }
        let size = block_size(class);
        let align = size.min(MAX_ALIGN);
        let carve = |next: usize| {
            let start = next.checked_add(align - 1)? & !(align - 1);
            Some((start, start.checked_add(size)?))
        };
        let (start, end) = match carve(self.next.get()) {
            Some((start, end)) if end <= self.end.get() => (start, end),
            _ => {
                // Enough pages for the block wherever the new memory starts.
                let Some(pages) = size.checked_add(align).map(|n| n.div_ceil(PAGE)) else {
                    return std::ptr::null_mut();
                };
                let Some(base) = self.source.grow(pages) else {
                    return std::ptr::null_mut();
                };
                // Contiguous with the region: keep carving it; else start over
                // at the new memory (the rest of the old region is lost).
                let Some(end) = pages.checked_mul(PAGE).and_then(|n| n.checked_add(base)) else {
                    return std::ptr::null_mut();
                };
                if base != self.end.get() {
                    self.next.set(base);
                }
                self.end.set(end);
                match carve(self.next.get()) {
                    Some((start, end)) if end <= self.end.get() => (start, end),
                    _ => return std::ptr::null_mut(),
                }
            }
        };
        self.next.set(end);
        start as *mut u8
    }
}

/// The module's own memory, grown with `memory.grow`.
#[cfg(target_arch = "wasm32")]
pub struct WasmPages;

#[cfg(target_arch = "wasm32")]
impl Grow for WasmPages {
    fn grow(&self, pages: usize) -> Option<usize> {
        let old = core::arch::wasm32::memory_grow(0, pages);
        if old == usize::MAX {
            return None;
        }
        old.checked_mul(PAGE)
    }
}

/// Runs `f` with the wasm allocator zeroing every block freed meanwhile
/// ([`Heap::set_scrub`]): the copies of an API key that building a request
/// makes (the parsed settings, the key's own string, header values, buffers
/// outgrown) are gone from wasm memory when `f` returns; only what is still
/// alive remains, and the caller wipes that. Natively (tests) it just runs
/// `f`.
///
/// ```
/// assert_eq!(enlist_wasm::heap::scrubbing(|| 2 + 2), 4);
/// ```
pub fn scrubbing<T>(f: impl FnOnce() -> T) -> T {
    #[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
    {
        global::set_scrub(true);
        let out = f();
        global::set_scrub(false);
        out
    }
    #[cfg(not(all(target_arch = "wasm32", not(target_feature = "atomics"))))]
    f()
}

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
mod global {
    use super::{Heap, WasmPages};
    use std::alloc::{GlobalAlloc, Layout};

    struct Allocator(Heap<WasmPages>);

    // SAFETY: without the atomics feature a wasm module runs on one thread.
    unsafe impl Sync for Allocator {}

    // SAFETY: `Heap` hands out disjoint blocks of at least the requested size
    // and alignment, or null.
    unsafe impl GlobalAlloc for Allocator {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // SAFETY: the heap's memory is the module's own.
            unsafe { self.0.allocate(layout.size(), layout.align()) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: `GlobalAlloc`'s contract is `release`'s.
            unsafe { self.0.release(ptr, layout.size(), layout.align()) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            // SAFETY: `GlobalAlloc`'s contract is `reallocate`'s.
            unsafe {
                self.0
                    .reallocate(ptr, layout.size(), layout.align(), new_size)
            }
        }
    }

    #[global_allocator]
    static ALLOCATOR: Allocator = Allocator(Heap::new(WasmPages));

    pub(super) fn set_scrub(on: bool) {
        ALLOCATOR.0.set_scrub(on);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Up to `limit` pages from one aligned host allocation, handed out in
    /// order, except that each grow after the first skips `gap` pages (to
    /// test non-contiguous growth).
    struct Arena {
        base: usize,
        used: Cell<usize>,
        limit: usize,
        gap: usize,
    }

    impl Arena {
        fn new(limit: usize, gap: usize) -> Arena {
            let layout = std::alloc::Layout::from_size_align(limit * PAGE, PAGE).unwrap();
            // SAFETY: non-zero size; leaked on purpose (the test's lifetime).
            let base = unsafe { std::alloc::alloc_zeroed(layout) } as usize;
            assert_ne!(base, 0);
            Arena {
                base,
                used: Cell::new(0),
                limit,
                gap,
            }
        }
    }

    impl Grow for &Arena {
        fn grow(&self, pages: usize) -> Option<usize> {
            let skip = if self.used.get() == 0 { 0 } else { self.gap };
            let at = self.used.get() + skip;
            (at + pages <= self.limit).then(|| {
                self.used.set(at + pages);
                self.base + at * PAGE
            })
        }
    }

    /// A small deterministic generator (xorshift).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> usize {
            (self.next() % n) as usize
        }
    }

    #[test]
    fn classes() {
        assert_eq!(class_of(0, 1), Some(4));
        assert_eq!(class_of(16, 1), Some(4));
        assert_eq!(class_of(17, 1), Some(5));
        assert_eq!(class_of(4, 32), Some(5));
        assert_eq!(class_of(1 << 31, 8), Some(31));
        assert_eq!(class_of((1 << 31) + 1, 8), None);
        assert_eq!(class_of(usize::MAX, 8), None);
        assert_eq!(class_of(8, MAX_ALIGN), Some(12));
        assert_eq!(class_of(8, MAX_ALIGN * 2), None);
    }

    /// Random allocations, frees and resizes: every block is aligned, lies
    /// in the arena, overlaps no live block and keeps its contents.
    fn exercise(gap: usize, seed: u64) {
        let arena = Arena::new(256, gap);
        let heap = Heap::new(&arena);
        let mut rng = Rng(seed);
        // start → (size, align, fill byte)
        let mut live: BTreeMap<usize, (usize, usize, u8)> = BTreeMap::new();
        // Whole blocks (the class's size, not just the bytes asked for)
        // must not overlap.
        let extent = |size: usize, align: usize| block_size(class_of(size, align).unwrap());
        let check_free_of_overlap =
            |live: &BTreeMap<usize, (usize, usize, u8)>, at: usize, size: usize, align: usize| {
                if let Some((&s, &(n, a, _))) = live.range(..=at).next_back() {
                    assert!(s + extent(n, a) <= at, "{at:#x} overlaps {s:#x}+{n}");
                }
                if let Some((&s, _)) = live.range(at + 1..).next() {
                    assert!(
                        at + extent(size, align) <= s,
                        "{at:#x}+{size} overlaps {s:#x}"
                    );
                }
            };
        let verify = |at: usize, size: usize, fill: u8| {
            // SAFETY: a live block of `size` bytes.
            let bytes = unsafe { std::slice::from_raw_parts(at as *const u8, size) };
            assert!(
                bytes.iter().all(|&b| b == fill),
                "block {at:#x} was overwritten"
            );
        };
        for step in 0..20_000u32 {
            let fill = (step % 251) as u8;
            match rng.below(10) {
                0..=4 => {
                    let size = match rng.below(10) {
                        0 => rng.below(70_000),
                        1..=3 => rng.below(2_000),
                        _ => rng.below(100),
                    };
                    let align = 1 << rng.below(5);
                    // SAFETY: the arena is valid memory.
                    let p = unsafe { heap.allocate(size, align) };
                    if p.is_null() {
                        continue; // arena full
                    }
                    let at = p as usize;
                    assert_eq!(at % align, 0);
                    assert!(
                        at >= arena.base
                            && at + extent(size, align) <= arena.base + arena.limit * PAGE
                    );
                    check_free_of_overlap(&live, at, size, align);
                    // SAFETY: a fresh block of `size` bytes.
                    unsafe { std::ptr::write_bytes(p, fill, size) };
                    live.insert(at, (size, align, fill));
                }
                5..=7 if !live.is_empty() => {
                    let key = *live.keys().nth(rng.below(live.len() as u64)).unwrap();
                    let (size, align, old_fill) = live.remove(&key).unwrap();
                    verify(key, size, old_fill);
                    // SAFETY: allocated above with this size and alignment.
                    unsafe { heap.release(key as *mut u8, size, align) };
                }
                8..=9 if !live.is_empty() => {
                    let key = *live.keys().nth(rng.below(live.len() as u64)).unwrap();
                    let (size, align, old_fill) = live.remove(&key).unwrap();
                    let new_size = rng.below(5_000);
                    // SAFETY: allocated above with this size and alignment.
                    let p = unsafe { heap.reallocate(key as *mut u8, size, align, new_size) };
                    if p.is_null() {
                        live.insert(key, (size, align, old_fill));
                        continue;
                    }
                    let at = p as usize;
                    assert_eq!(at % align, 0);
                    verify(at, size.min(new_size), old_fill);
                    check_free_of_overlap(&live, at, new_size, align);
                    // SAFETY: the resized block has `new_size` bytes.
                    unsafe { std::ptr::write_bytes(p, fill, new_size) };
                    live.insert(at, (new_size, align, fill));
                }
                _ => {}
            }
        }
        for (&at, &(size, _, fill)) in &live {
            verify(at, size, fill);
        }
    }

    #[test]
    fn random_use_keeps_blocks_apart_and_intact() {
        for seed in 1..=4 {
            exercise(0, seed);
        }
    }

    #[test]
    fn growth_that_is_not_contiguous() {
        exercise(3, 7);
    }

    #[test]
    fn scrubbing_zeroes_what_is_freed_and_outgrown() {
        let arena = Arena::new(4, 0);
        let heap = Heap::new(&arena);
        let word = std::mem::size_of::<usize>();
        // SAFETY: the arena is valid memory; blocks are used within their size.
        unsafe {
            let read = |p: *mut u8, n: usize| std::slice::from_raw_parts(p, n).to_vec();
            // Unscrubbed: the contents outlive the free (past the link word).
            let a = heap.allocate(64, 8);
            std::ptr::write_bytes(a, 0xAB, 64);
            heap.release(a, 64, 8);
            assert!(read(a, 64)[word..].iter().all(|&b| b == 0xAB));
            // Scrubbed: a free, and a reallocation that moves, leave zeros;
            // a shrink within the class, then a free, zeroes the whole block.
            heap.set_scrub(true);
            let b = heap.allocate(64, 8);
            std::ptr::write_bytes(b, 0xCD, 64);
            let c = heap.reallocate(b, 64, 8, 1000);
            assert_ne!(b, c);
            assert!(read(b, 64)[word..].iter().all(|&x| x == 0));
            assert!(read(c, 64).iter().all(|&x| x == 0xCD));
            std::ptr::write_bytes(c, 0xEF, 1000);
            let d = heap.reallocate(c, 1000, 8, 600);
            assert_eq!(c, d);
            heap.release(d, 600, 8);
            assert!(read(c, 1024)[word..].iter().all(|&x| x == 0));
            heap.set_scrub(false);
        }
    }

    #[test]
    fn freed_blocks_are_reused() {
        let arena = Arena::new(4, 0);
        let heap = Heap::new(&arena);
        // SAFETY: the arena is valid memory; blocks are released as allocated.
        unsafe {
            let a = heap.allocate(100, 8);
            heap.release(a, 100, 8);
            assert_eq!(heap.allocate(120, 8), a, "same class, same block");
            // Growing within the class keeps the block.
            assert_eq!(heap.reallocate(a, 120, 8, 128), a);
        }
    }

    #[test]
    fn out_of_memory_is_null() {
        let arena = Arena::new(2, 0);
        let heap = Heap::new(&arena);
        // SAFETY: the arena is valid memory.
        unsafe {
            assert!(heap.allocate(3 * PAGE, 8).is_null());
            let small = heap.allocate(10, 8);
            assert!(!small.is_null());
            small.write(7);
            assert!(heap.reallocate(small, 10, 8, 3 * PAGE).is_null());
            assert_eq!(small.read(), 7, "the old block is untouched");
        }
    }
}
