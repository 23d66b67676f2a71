//! Run-time CPU dispatch for the kernels of schedules and search: the core's one `unsafe`.
//! Pass a closure marked `#[inline(always)]`: otherwise it is compiled as a separate function
//! for the baseline CPU and the AVX2 build gains nothing.

/// Runs `f` compiled for AVX-512 (F and DQ, whose 64-bit multiplies the SplitMix mixer of
/// `noise` and the samplers needs) or AVX2 where the CPU has it (checked at run time, so the
/// wheel runs on any x86-64), portably elsewhere. The kernels perform the same IEEE operations
/// either way (Rust never contracts to FMA), so the bits never differ.
#[inline(always)]
pub(crate) fn vectorized<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512dq")
    {
        // SAFETY: the CPU supports AVX-512 F and DQ, checked just above.
        #[allow(unsafe_code)]
        return unsafe { with_avx512(f) };
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        #[allow(unsafe_code)]
        return unsafe { with_avx2(f) };
    }
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx2")]
fn with_avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}
