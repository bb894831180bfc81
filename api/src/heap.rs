//! Keeping the API's resident memory down under login load (glibc only).
//!
//! Every password hash takes argon2's 19 MiB of working memory. glibc serves a block that
//! large with its own mapping, but when such a block is freed it raises its mmap threshold to
//! that size and its trim threshold to twice it (up to 32 and 64 MiB): from then on each hash
//! is carved out of a thread's heap arena, and each arena that ever hashed keeps tens of MiB
//! it no longer uses. Measured: API RSS 137 MB after the pipeline runs, of which 5 MB in use.
//! Fixing the threshold at glibc's own starting value switches that adaptation off, so large
//! blocks always go back to the system when freed (RSS 38–40 MB after the same runs).

/// Call once, early in `main`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn return_large_blocks_to_the_system() {
    /// glibc's initial mmap threshold.
    const MMAP_THRESHOLD: libc::c_int = 128 * 1024;
    // SAFETY: mallopt takes no pointers and only sets an allocator parameter; glibc makes it
    // safe to call while other threads allocate.
    #[allow(unsafe_code)]
    let set = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) };
    if set != 1 {
        tracing::warn!(
            "could not fix the allocator's mmap threshold: RSS may stay high after logins"
        );
    }
}

/// Other C libraries do not adapt their threshold this way: nothing to do.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn return_large_blocks_to_the_system() {}
