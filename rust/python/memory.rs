//! Advice to the kernel about fresh memory: the binding layer's other `unsafe` (beside
//! `method.rs`).
#![allow(unsafe_code)]

/// The huge-page size of x86-64 (and of aarch64 with 4 KiB pages).
pub const HUGE_PAGE: usize = 2 << 20;

/// Asks the kernel to back the huge-page-aligned part of `v`'s buffer with huge pages
/// (transparent huge pages in "madvise" mode back only regions so marked): the first touch
/// of fresh memory then faults once per 2 MiB rather than once per 4 KiB, and a fault costs
/// microseconds in a virtual machine. Call it before writing the buffer. Linux only; a
/// no-op elsewhere or where the kernel declines.
pub fn advise_huge_pages<T>(v: &Vec<T>) {
    #[cfg(target_os = "linux")]
    {
        let start = v.as_ptr() as usize;
        let end = start + v.capacity() * std::mem::size_of::<T>();
        let (lo, hi) = (
            start.next_multiple_of(HUGE_PAGE),
            end / HUGE_PAGE * HUGE_PAGE,
        );
        if hi > lo {
            // SAFETY: [lo, hi) lies inside the vector's allocation, and MADV_HUGEPAGE
            // changes how the kernel backs those pages, never their contents.
            unsafe { libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_HUGEPAGE) };
        }
    }
}
