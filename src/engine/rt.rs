//! Real-time setup: SCHED_FIFO, CPU pinning, locked memory and a bounded allocator, when
//! permitted.

/// Tries SCHED_FIFO at `priority` for the calling thread. Returns what was granted, for the
/// caller to log once.
pub fn try_sched_fifo(priority: u32) -> Result<(), std::io::Error> {
    crate::sys::set_sched_fifo(priority)
}

/// What `lock_memory` locked.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    /// Bytes locked in all.
    pub bytes: u64,
    /// Address ranges (lines of `/proc/self/maps`) locked.
    pub ranges: u32,
    /// Ranges the kernel refused (the first error is returned as well).
    pub refused: u32,
}

/// Locks the memory the real-time path runs from, so it never takes a page fault: the code
/// and writable data of the executable and its libraries (and any other file mapped now, such
/// as the sim board's register file), the heap and the main stack as they are now, and the
/// stack of each calling real-time thread (`lock_own_stack`). Nothing mapped later is locked
/// (no `MCL_FUTURE`), so a hostile client that makes the daemon take a large buffer cannot
/// grow the locked set; read-only data and the reservations of the allocator's arenas are
/// not locked either. Returns what was locked, or the first error.
pub fn lock_memory() -> Result<Locked, std::io::Error> {
    let maps = std::fs::read_to_string("/proc/self/maps")?;
    let mut locked = Locked::default();
    let mut first_error = None;
    for line in maps.lines() {
        let Some(m) = Mapping::parse(line) else {
            continue;
        };
        let wanted = match m.path {
            "[heap]" | "[stack]" => true,
            p if p.starts_with('/') => m.perms.contains('x') || m.perms.contains('w'),
            _ => false,
        };
        if !wanted || m.perms.starts_with("---") {
            continue;
        }
        match mlock(m.start, m.end) {
            Ok(()) => {
                locked.bytes += (m.end - m.start) as u64;
                locked.ranges += 1;
            }
            Err(e) => {
                locked.refused += 1;
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) if locked.ranges == 0 => Err(e),
        _ => Ok(locked),
    }
}

/// Locks the calling thread's stack mapping (call it from a real-time thread, before its
/// loop, after touching the stack once).
pub fn lock_own_stack() -> Result<u64, std::io::Error> {
    let marker = 0u8;
    let here = std::ptr::addr_of!(marker) as usize;
    let maps = std::fs::read_to_string("/proc/self/maps")?;
    let m = maps
        .lines()
        .filter_map(Mapping::parse)
        .find(|m| (m.start..m.end).contains(&here))
        .ok_or_else(|| std::io::Error::other("the thread's stack is not in /proc/self/maps"))?;
    mlock(m.start, m.end)?;
    Ok((m.end - m.start) as u64)
}

/// One line of `/proc/self/maps`.
struct Mapping<'a> {
    start: usize,
    end: usize,
    perms: &'a str,
    path: &'a str,
}

impl<'a> Mapping<'a> {
    fn parse(line: &'a str) -> Option<Mapping<'a>> {
        let mut f = line.split_whitespace();
        let (start, end) = f.next()?.split_once('-')?;
        let perms = f.next()?;
        let path = f.nth(3).unwrap_or("");
        Some(Mapping {
            start: usize::from_str_radix(start, 16).ok()?,
            end: usize::from_str_radix(end, 16).ok()?,
            perms,
            path,
        })
    }
}

fn mlock(start: usize, end: usize) -> Result<(), std::io::Error> {
    crate::sys::mlock(start, end)
}

/// Keeps the allocator from holding on to memory a hostile client made it take: buffers of
/// 128 KiB and more get mappings of their own, returned to the system when freed (a fixed
/// threshold; glibc would otherwise raise it to the size of the first large buffer freed, and
/// every later one would stay resident), free memory at the top of the heap is returned, and
/// the threads share at most two arenas. Call it first thing, before any thread starts.
pub fn bound_allocator() {
    crate::sys::bound_allocator(128 * 1024, 128 * 1024, 2);
}

/// Number of CPUs this process may run on.
pub fn cpu_count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Pins the calling thread to `cpu`. The engine and the supervisor sit on different CPUs so
/// the supervisor (higher priority, periodic) never preempts the engine in the middle of a
/// phase, which would lengthen one phase of every pulse and unbalance its charge.
pub fn pin_to_cpu(cpu: usize) -> Result<(), std::io::Error> {
    crate::sys::pin_to_cpu(cpu)
}

/// The CPUs for the engine and the supervisor: the last and the first, when there are two or
/// more; `None` on a single CPU.
pub fn thread_cpus() -> Option<(usize, usize)> {
    let n = cpu_count();
    (n >= 2).then(|| (n - 1, 0))
}
