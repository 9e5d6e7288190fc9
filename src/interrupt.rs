//! Signals at a prompt. The hidden token prompt turns the terminal's echo off,
//! and the confirmation prompt hides the cursor. A signal's default action
//! would end sdtoken with both left that way. `guard` runs a prompt with
//! handlers that restore the terminal settings saved before it, show the
//! cursor and exit with 128+N: 130 for Ctrl-C. Nothing has been stored or sent
//! at that point, because every prompt comes before the step it confirms.

/// Runs `prompt` so that SIGINT, SIGTERM, SIGQUIT or SIGHUP during it restores
/// the terminal and exits with 128+N.
#[cfg(unix)]
pub fn guard<T>(prompt: impl FnOnce() -> T) -> T {
    unix::guard(prompt)
}

/// Runs `prompt`. NOTE: the terminal is restored after a signal at a prompt on Unix only.
#[cfg(not(unix))]
pub fn guard<T>(prompt: impl FnOnce() -> T) -> T {
    prompt()
}

#[cfg(unix)]
mod unix {
    use std::mem::MaybeUninit;
    use std::os::fd::AsRawFd;
    use std::sync::atomic::{AtomicI32, AtomicPtr, Ordering};

    const SIGNALS: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGQUIT, libc::SIGHUP];

    /// The terminal settings from before the prompt; null when they could not be read.
    static SAVED: AtomicPtr<libc::termios> = AtomicPtr::new(std::ptr::null_mut());
    /// The terminal's file descriptor; -1 outside a prompt.
    static TERMINAL: AtomicI32 = AtomicI32::new(-1);

    pub fn guard<T>(prompt: impl FnOnce() -> T) -> T {
        // The console library reads from stdin when it is a terminal, else from
        // /dev/tty. Both name the controlling terminal at an interactive prompt.
        let tty = std::fs::File::options().read(true).write(true).open("/dev/tty").ok();
        let fd = tty.as_ref().map_or(libc::STDIN_FILENO, |f| f.as_raw_fd());
        save_settings(fd);
        let previous = install();
        let result = prompt();
        restore_handlers(previous);
        TERMINAL.store(-1, Ordering::SeqCst);
        drop(tty);
        result
    }

    fn save_settings(fd: libc::c_int) {
        let mut settings = MaybeUninit::<libc::termios>::zeroed();
        // SAFETY: tcgetattr(3) fills the termios struct it is given.
        if unsafe { libc::tcgetattr(fd, settings.as_mut_ptr()) } != 0 {
            return;
        }
        // SAFETY: tcgetattr succeeded, so the struct is initialised. The box is
        // leaked on purpose: a handler may read it until the process ends, and
        // a process shows at most a few prompts.
        let saved = Box::into_raw(Box::new(unsafe { settings.assume_init() }));
        SAVED.store(saved, Ordering::SeqCst);
        TERMINAL.store(fd, Ordering::SeqCst);
    }

    /// Installs `on_signal` for each signal that is not ignored, and returns the previous actions.
    fn install() -> Vec<(libc::c_int, libc::sigaction)> {
        let mut previous = Vec::new();
        for signal in SIGNALS {
            // SAFETY: a zeroed sigaction is a valid "default action, empty mask" value,
            // and sigaction(2) only reads `action` and writes `old`.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as *const () as libc::sighandler_t;
                libc::sigemptyset(&mut action.sa_mask);
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(signal, std::ptr::null(), &mut old) != 0 || old.sa_sigaction == libc::SIG_IGN {
                    // A signal that sdtoken was started with ignored (`nohup`) stays ignored.
                    continue;
                }
                if libc::sigaction(signal, &action, &mut old) == 0 {
                    previous.push((signal, old));
                }
            }
        }
        previous
    }

    fn restore_handlers(previous: Vec<(libc::c_int, libc::sigaction)>) {
        for (signal, old) in previous {
            // SAFETY: `old` is the action sigaction(2) returned for this signal.
            unsafe { libc::sigaction(signal, &old, std::ptr::null_mut()) };
        }
    }

    /// Restores the terminal, shows the cursor, ends the prompt's line and exits.
    /// It calls only tcsetattr(3), write(2) and _exit(2), which are async-signal-safe.
    extern "C" fn on_signal(signal: libc::c_int) {
        const SHOW_CURSOR_AND_NEWLINE: &[u8] = b"\x1b[?25h\n";
        let fd = TERMINAL.load(Ordering::SeqCst);
        let saved = SAVED.load(Ordering::SeqCst);
        // SAFETY: `saved` points to a leaked, initialised termios when it is not null.
        unsafe {
            if fd >= 0 && !saved.is_null() {
                libc::tcsetattr(fd, libc::TCSANOW, saved);
            }
            libc::write(libc::STDERR_FILENO, SHOW_CURSOR_AND_NEWLINE.as_ptr().cast(), SHOW_CURSOR_AND_NEWLINE.len());
            libc::_exit(128 + signal);
        }
    }
}
