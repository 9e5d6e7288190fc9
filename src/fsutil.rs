//! Private files and directories: 0700 directories, 0600 files, atomic
//! replacement and a warning for files that others can read.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

#[cfg(unix)]
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

/// Creates `dir` and its parents; a directory sdtoken creates gets mode 0700.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| io::Error::new(e.kind(), format!("failed to create `{}`: {e}", dir.display())))
}

/// Opens (or creates with mode 0600) a file for locking or appending.
pub fn open_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path).map_err(|e| io::Error::new(e.kind(), format!("failed to open `{}`: {e}", path.display())))
}

/// Takes an exclusive lock on `file`, waiting at most `limit`. A process that
/// stopped while holding the lock would otherwise block every later one.
///
/// A free lock is taken at once. A held one is waited for in a blocking call on
/// a helper thread, so the waiter wakes as soon as the holder lets go. After
/// `limit` the waiter gives up, and the helper thread stays blocked until the
/// lock is free or the process exits. The helper locks a duplicate of `file`'s
/// descriptor, so a lock it takes late belongs to `file`.
pub fn lock_within(file: &File, limit: std::time::Duration) -> io::Result<()> {
    match file.try_lock() {
        Ok(()) => return Ok(()),
        Err(fs::TryLockError::WouldBlock) => {}
        Err(fs::TryLockError::Error(e)) => return Err(e),
    }
    let duplicate = file.try_clone()?;
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::Builder::new().name("lock-wait".to_string()).spawn(move || {
        let _ = sender.send(duplicate.lock());
    })?;
    match receiver.recv_timeout(limit) {
        Ok(result) => result,
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("another sdtoken process has held the lock for {} s", limit.as_secs()),
        )),
    }
}

/// Replaces `path` with `bytes`: a 0600 temporary file in the same directory,
/// fsync, then rename, so readers see the old or the new file and never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = write_then_rename(&temp, path, bytes);
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.map_err(|e| io::Error::new(e.kind(), format!("failed to write `{}`: {e}", path.display())))
}

fn write_then_rename(temp: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(temp, path)?;
    if let Some(dir) = path.parent()
        && let Ok(dir) = File::open(dir)
    {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Warns on stderr when group or others can read `path`.
pub fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    if let Ok(meta) = fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        crate::output::warn(&format!(
            "`{}` is readable by other users (mode {:o}); run `chmod 600 {}`",
            path.display(),
            meta.permissions().mode() & 0o777,
            path.display()
        ));
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn lock_within_gives_up_on_held_lock() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("x.lock");
        let holder = open_private(&path).unwrap();
        holder.lock().unwrap();
        let waiter = open_private(&path).unwrap();
        let err = lock_within(&waiter, std::time::Duration::from_millis(100)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        drop(holder);
        lock_within(&waiter, std::time::Duration::from_millis(100)).unwrap();
    }

    #[test]
    fn write_atomic_creates_private_file_and_dir() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("sub").join("secrets.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let file_mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        let dir_mode = fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777;
        assert_eq!(file_mode, 0o600);
        assert_eq!(dir_mode, 0o700);
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temporary files were left behind");
    }
}
