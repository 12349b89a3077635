//! Real-time setup of the calling thread: SCHED_FIFO and locked memory, when permitted.

/// Tries SCHED_FIFO at `priority` for the calling thread. Returns what was granted, for the
/// caller to log once.
pub fn try_sched_fifo(priority: u32) -> Result<(), std::io::Error> {
    let param = libc::sched_param {
        sched_priority: priority as libc::c_int,
    };
    // SAFETY: pthread_self() is the calling thread; `param` is a valid sched_param.
    let rc = unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::from_raw_os_error(rc))
    }
}

/// Locks the process in memory so pages once touched are never paged out.
pub fn try_mlockall() -> Result<(), std::io::Error> {
    // SAFETY: mlockall takes flags only.
    // MCL_ONFAULT: lock pages as they are touched instead of prefaulting every mapping (thread
    // stacks, allocator arenas), which would inflate the RSS many times over.
    let rc = unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE | libc::MCL_ONFAULT) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Number of CPUs this process may run on.
pub fn cpu_count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Pins the calling thread to `cpu`. The engine and the supervisor sit on different CPUs so
/// the supervisor (higher priority, periodic) never preempts the engine in the middle of a
/// phase, which would lengthen one phase of every pulse and unbalance its charge.
pub fn pin_to_cpu(cpu: usize) -> Result<(), std::io::Error> {
    // SAFETY: a zeroed cpu_set_t is valid; CPU_SET writes within it for cpu < CPU_SETSIZE.
    let rc = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// The CPUs for the engine and the supervisor: the last and the first, when there are two or
/// more; `None` on a single CPU.
pub fn thread_cpus() -> Option<(usize, usize)> {
    let n = cpu_count();
    (n >= 2).then(|| (n - 1, 0))
}
