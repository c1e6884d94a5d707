//! Small facts about this process's signal dispositions, shared by the P0 client (Ctrl-C while
//! waiting) and the launcher (what a child inherits).

use nix::sys::signal::Signal;

/// Whether `signal`'s disposition is SIG_IGN (read without changing it). A signal ignored when
/// `p0` started (`nohup`, a background job) must stay ignored for the child, as it would be
/// were the command run alone; installing a handler of our own would lose that on exec.
pub fn is_ignored(signal: Signal) -> bool {
    use nix::libc;
    // SAFETY: a null new action only reads the current one into `current`.
    unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal as libc::c_int, std::ptr::null(), &mut current) == 0
            && current.sa_sigaction == libc::SIG_IGN
    }
}
