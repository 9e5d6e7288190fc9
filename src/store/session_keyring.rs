//! Gives the calling thread (and the threads it starts afterwards) its own
//! session keyring when it has none.
//!
//! Shells started without PAM's `pam_keyinit` (containers, `docker exec`, many
//! CI runners) share the user-session keyring, where the keyutils store gets
//! "access denied" and may leave a half-written key. Joining a new anonymous
//! session keyring fixes that; entries stay reachable from other processes
//! through the per-user persistent keyring, which the store links into every
//! session keyring it opens.

const KEYCTL_GET_KEYRING_ID: libc::c_long = 0;
const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
const KEYCTL_GET_PERSISTENT: libc::c_long = 22;
const KEY_SPEC_SESSION_KEYRING: libc::c_long = -3;
const KEY_SPEC_USER_SESSION_KEYRING: libc::c_long = -5;

/// Joins a new session keyring if the current one is the user-session keyring.
/// The join changes the credentials of the calling thread only, so it must run
/// on the thread that later starts the store calls' helper threads. Fails when
/// the persistent keyring is missing too, because entries would then vanish
/// when the process exits.
pub fn ensure() -> Result<(), String> {
    let session = keyring_id(KEY_SPEC_SESSION_KEYRING)?;
    let user_session = keyring_id(KEY_SPEC_USER_SESSION_KEYRING)?;
    if session != user_session {
        return Ok(());
    }
    // SAFETY: KEYCTL_JOIN_SESSION_KEYRING with a null name takes no pointers
    // that the kernel writes to; it only changes this thread's session keyring.
    let id = unsafe { libc::syscall(libc::SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, std::ptr::null::<libc::c_char>()) };
    if id < 0 {
        return Err(format!("joining a session keyring failed: {}", std::io::Error::last_os_error()));
    }
    tracing::debug!("joined a new session keyring");
    // SAFETY: KEYCTL_GET_PERSISTENT takes a uid (-1: this process's) and a keyring
    // id, writes no memory, and links the persistent keyring into that keyring.
    let persistent =
        unsafe { libc::syscall(libc::SYS_keyctl, KEYCTL_GET_PERSISTENT, -1 as libc::c_long, KEY_SPEC_SESSION_KEYRING) };
    if persistent < 0 {
        return Err(format!(
            "the process has no session keyring, and the per-user persistent keyring is unavailable ({}), \
             so entries would not outlive the process",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

fn keyring_id(special: libc::c_long) -> Result<libc::c_long, String> {
    // SAFETY: KEYCTL_GET_KEYRING_ID takes two integers and writes no memory.
    let id = unsafe { libc::syscall(libc::SYS_keyctl, KEYCTL_GET_KEYRING_ID, special, 0 as libc::c_long) };
    if id < 0 {
        return Err(format!("the kernel keyring is not usable: {}", std::io::Error::last_os_error()));
    }
    Ok(id)
}
