//! The operating-system calls stimd makes through `libc` (and the one SQLite control call
//! rusqlite has no safe wrapper for), each behind a safe function.
//!
//! Owns every `unsafe` block of the library: the rest of the crate is `#![deny(unsafe_code)]`.
//! Each block says why it is sound in a `// SAFETY:` line. Never allocates in the functions the
//! engine calls in its loop (`now_ns`, `sleep_until_ns`).

#![allow(unsafe_code)]

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::ptr::NonNull;
use std::sync::atomic::AtomicU64;

// ---- clock ---------------------------------------------------------------------------------

/// Nanoseconds of `CLOCK_MONOTONIC`.
pub fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Sleeps until `CLOCK_MONOTONIC` reads `deadline_ns` (`TIMER_ABSTIME`), resuming after
/// signals. Returns at once if the deadline has passed.
pub fn sleep_until_ns(deadline_ns: u64) {
    let ts = libc::timespec {
        tv_sec: (deadline_ns / 1_000_000_000) as libc::time_t,
        tv_nsec: (deadline_ns % 1_000_000_000) as libc::c_long,
    };
    loop {
        // SAFETY: `ts` is a valid timespec; a null remainder is allowed with TIMER_ABSTIME.
        let rc = unsafe {
            libc::clock_nanosleep(
                libc::CLOCK_MONOTONIC,
                libc::TIMER_ABSTIME,
                &ts,
                std::ptr::null_mut(),
            )
        };
        if rc != libc::EINTR {
            return;
        }
    }
}

// ---- real-time setup -----------------------------------------------------------------------

/// SCHED_FIFO at `priority` for the calling thread.
pub fn set_sched_fifo(priority: u32) -> io::Result<()> {
    let param = libc::sched_param {
        sched_priority: priority as libc::c_int,
    };
    // SAFETY: pthread_self() is the calling thread; `param` is a valid sched_param.
    let rc = unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(rc))
    }
}

/// Locks the address range `start..end` (as `/proc/self/maps` lists it) into memory.
pub fn mlock(start: usize, end: usize) -> io::Result<()> {
    // SAFETY: mlock only changes the residency of an address range; it reads or writes no
    // memory itself, and an unmapped range is refused with ENOMEM.
    let rc = unsafe { libc::mlock(start as *const libc::c_void, end.saturating_sub(start)) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Fixed allocator thresholds (see `engine::rt::bound_allocator`). glibc only.
pub fn bound_allocator(mmap_threshold: i32, trim_threshold: i32, arena_max: i32) {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt takes two integers and changes only allocator tuning.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, mmap_threshold);
        libc::mallopt(libc::M_TRIM_THRESHOLD, trim_threshold);
        libc::mallopt(libc::M_ARENA_MAX, arena_max);
    }
    #[cfg(not(target_env = "gnu"))]
    let _ = (mmap_threshold, trim_threshold, arena_max);
}

/// Pins the calling thread to `cpu`.
pub fn pin_to_cpu(cpu: usize) -> io::Result<()> {
    if cpu >= libc::CPU_SETSIZE as usize {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: a zeroed cpu_set_t is valid; CPU_SET writes within it for cpu < CPU_SETSIZE
    // (checked above); sched_setaffinity reads exactly size_of::<cpu_set_t>() bytes of it.
    let rc = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

// ---- process figures (benchmarks) ----------------------------------------------------------

/// User plus system CPU seconds of this process.
pub fn process_cpu_seconds() -> f64 {
    // SAFETY: an all-zero rusage is a valid value (integers and timevals).
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable rusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(ru.ru_utime) + t(ru.ru_stime)
}

/// Clock ticks per second (the unit of `/proc/*/stat` times), at least 1.
pub fn clock_ticks_per_second() -> i64 {
    // SAFETY: sysconf has no preconditions.
    let ticks: libc::c_long = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    // `c_long` is 32 bits on armv7.
    (ticks as i64).max(1)
}

// ---- hardware watchdog ---------------------------------------------------------------------

/// `WDIOC_SETTIMEOUT` = `_IOWR('W', 6, int)`, the same on every Linux architecture we build.
const WDIOC_SETTIMEOUT: u32 = 0xC004_5706;

/// Sets a watchdog device's timeout; returns the timeout the driver chose.
pub fn watchdog_set_timeout(file: &File, timeout_s: u32) -> io::Result<u32> {
    let mut t: libc::c_int = timeout_s.min(i32::MAX as u32) as libc::c_int;
    // SAFETY: WDIOC_SETTIMEOUT reads and writes one int we own; the fd is open while `file`
    // is borrowed.
    let r = unsafe { libc::ioctl(file.as_raw_fd(), WDIOC_SETTIMEOUT as _, &mut t) };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(t.max(0) as u32)
}

// ---- shared-memory file --------------------------------------------------------------------

/// A `MAP_SHARED`, read-write mapping of a file of exactly `N` 64-bit words, seen as
/// `[AtomicU64; N]` and unmapped on drop. What the words mean is the caller's business (the sim
/// board's register file names them); this module only knows that atomic integers are valid
/// for any bytes another process may leave in the file.
pub struct SharedWords<const N: usize> {
    ptr: NonNull<[AtomicU64; N]>,
}

// SAFETY: the mapping is only reached through `&[AtomicU64; N]`, and atomics may be shared
// with and sent to any thread; the mapping itself is not tied to the thread that made it.
unsafe impl<const N: usize> Send for SharedWords<N> {}
// SAFETY: as above: every access from any thread is an atomic operation.
unsafe impl<const N: usize> Sync for SharedWords<N> {}

impl<const N: usize> SharedWords<N> {
    /// Bytes in the mapped file: `N` words of 8 bytes.
    pub const BYTES: usize = std::mem::size_of::<[AtomicU64; N]>();

    /// Maps `f`, which must be exactly `BYTES` long (`InvalidData` otherwise; `N` = 0 is
    /// `InvalidInput`). The file's contents are not checked: any bytes are valid words.
    pub fn map(f: &File) -> io::Result<SharedWords<N>> {
        if N == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot map zero words",
            ));
        }
        if f.metadata()?.len() != Self::BYTES as u64 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the file does not have the mapped words' size",
            ));
        }
        // SAFETY: a fresh shared mapping of a file of exactly `BYTES` (> 0) bytes; the fd may be
        // closed afterwards (the mapping keeps the file).
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                Self::BYTES,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                f.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(p.cast::<[AtomicU64; N]>())
            .ok_or_else(|| io::Error::other("mmap returned null"))?;
        Ok(SharedWords { ptr })
    }

    /// The mapped words, shared with every other process that maps the file.
    pub fn words(&self) -> &[AtomicU64; N] {
        // SAFETY: the mapping is live until drop and `BYTES` long (the file had that size when
        // mapped; a process that truncated it later would make an access fault with SIGBUS,
        // never read out of bounds); it is page-aligned, which
        // satisfies `AtomicU64`'s 8-byte alignment; `AtomicU64` has the size and bit validity
        // of `u64`, so whatever bytes the file holds are valid values; and this process only
        // ever accesses them atomically through the returned reference.
        unsafe { self.ptr.as_ref() }
    }
}

impl<const N: usize> Drop for SharedWords<N> {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly what `map` mapped, once; no reference from `words`
        // outlives `self`.
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), Self::BYTES);
        }
    }
}

// ---- SQLite --------------------------------------------------------------------------------

/// Sets `SQLITE_FCNTL_PERSIST_WAL` on the main database of `conn` (keep the WAL on close);
/// returns SQLite's result code.
pub fn sqlite_persist_wal(conn: &rusqlite::Connection, on: bool) -> std::ffi::c_int {
    let mut flag: std::ffi::c_int = on.into();
    // SAFETY: the handle is valid while `conn` is borrowed (and not used by another thread:
    // `Connection` is not `Sync`), and SQLITE_FCNTL_PERSIST_WAL takes a pointer to an int that
    // outlives the call.
    unsafe {
        rusqlite::ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            rusqlite::ffi::SQLITE_FCNTL_PERSIST_WAL,
            (&mut flag as *mut std::ffi::c_int).cast(),
        )
    }
}

/// Makes a FIFO at `path` (tests of how configuration files are opened).
pub fn mkfifo(path: &std::ffi::CStr) -> io::Result<()> {
    // SAFETY: `path` is NUL-terminated; mkfifo only reads it.
    if unsafe { libc::mkfifo(path.as_ptr(), 0o600) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

// ---- users and groups ----------------------------------------------------------------------

/// The gid of the group called `group`, if it exists.
pub fn group_id(group: &str) -> Option<u32> {
    let c = std::ffi::CString::new(group).ok()?;
    let mut buf = vec![0 as libc::c_char; 16_384];
    // SAFETY: plain-old-data out parameter (all-zero is a valid `group`).
    let mut gr: libc::group = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::group = std::ptr::null_mut();
    // SAFETY: `c` is NUL-terminated, `buf` holds the stated number of bytes, `gr` and `out`
    // are valid for writes; getgrnam_r is thread-safe.
    let r = unsafe { libc::getgrnam_r(c.as_ptr(), &mut gr, buf.as_mut_ptr(), buf.len(), &mut out) };
    (r == 0 && !out.is_null()).then_some(gr.gr_gid)
}

/// Every group of the user `uid` (primary and supplementary), if the user exists.
pub fn groups_of_user(uid: u32) -> Option<Vec<u32>> {
    let mut buf = vec![0 as libc::c_char; 16_384];
    // SAFETY: plain-old-data out parameter (all-zero is a valid `passwd`).
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: `buf` holds the stated number of bytes, `pw` and `out` are valid for writes;
    // getpwuid_r is thread-safe.
    let r = unsafe { libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), buf.len(), &mut out) };
    if r != 0 || out.is_null() {
        return None;
    }
    // SAFETY: on success pw_name points into `buf`, NUL-terminated.
    let name = unsafe { std::ffi::CStr::from_ptr(pw.pw_name) }.to_owned();
    let primary = pw.pw_gid;
    let mut n: libc::c_int = 64;
    loop {
        let mut groups = vec![0 as libc::gid_t; n as usize];
        let before = n;
        // SAFETY: `groups` holds `n` entries; getgrouplist writes at most that many and
        // updates `n`; `name` is NUL-terminated.
        let r = unsafe { libc::getgrouplist(name.as_ptr(), primary, groups.as_mut_ptr(), &mut n) };
        if r >= 0 {
            groups.truncate(n.max(0) as usize);
            return Some(groups);
        }
        if n <= before || n > 65_536 {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_monotonic_clock_advances_and_sleeps_to_a_deadline() {
        let a = now_ns();
        sleep_until_ns(a + 2_000_000);
        assert!(now_ns() >= a + 2_000_000);
        sleep_until_ns(0);
    }

    #[test]
    fn shared_words_map_only_a_file_of_their_size() {
        use std::sync::atomic::Ordering;
        let path = std::env::temp_dir().join(format!("stimd-words-{}", std::process::id()));
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        assert!(SharedWords::<2>::map(&f).is_err(), "empty file");
        f.set_len(SharedWords::<2>::BYTES as u64).unwrap();
        assert!(SharedWords::<0>::map(&f).is_err(), "zero words");
        let a = SharedWords::<2>::map(&f).unwrap();
        let b = SharedWords::<2>::map(&f).unwrap();
        a.words()[1].store(u64::MAX, Ordering::Release);
        assert_eq!(b.words()[1].load(Ordering::Acquire), u64::MAX);
        drop((a, b));
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_cpu_out_of_range_is_refused() {
        assert!(pin_to_cpu(usize::MAX).is_err());
        assert!(clock_ticks_per_second() >= 1);
    }
}
