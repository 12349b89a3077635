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
