//! Tuning of the C allocator for this workload. Column buffers grow to megabytes and are all
//! freed at every flush of a part. By default glibc serves blocks that large with their own
//! `mmap` and unmaps them on `free`, so every part pays again for page faults and for zeroing
//! fresh pages. With a higher mmap threshold they come from the heap, and the next part reuses
//! the same pages. Peak memory stays what the buffer budget allows; `tools/measure_memory.sh`
//! measures it.

/// Blocks below this size come from the heap.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: i32 = 64 << 20;
/// Free memory at the top of the heap is kept up to this size.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: i32 = 128 << 20;

/// Apply the tuning; call once, before the first allocation of any size.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is called before other threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}
