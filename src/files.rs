//! Writing key and certificate files: atomically (a temporary file renamed into place), with
//! the right mode from the start (0600 for keys), and never over an existing file unless asked.

use std::io::Write;
use std::path::{Path, PathBuf};

use thiserror::Error;

#[derive(Debug, Error)]
pub enum FileError {
    #[error("{} already exists: pass --force to overwrite it, or choose another path", .0.display())]
    Exists(PathBuf),
    #[error("cannot write {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Who may read a file we write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 0600: private keys, PKCS#12 bundles.
    Private,
    /// 0644: certificates.
    Public,
}

pub fn read(path: &Path) -> Result<String, FileError> {
    std::fs::read_to_string(path).map_err(|source| FileError::Read { path: path.to_path_buf(), source })
}

/// Refuses early, before anything is generated or written, if `path` exists and `force` is off.
pub fn check_free(path: &Path, force: bool) -> Result<(), FileError> {
    if !force && path.exists() {
        return Err(FileError::Exists(path.to_path_buf()));
    }
    Ok(())
}

pub fn write(path: &Path, contents: &[u8], mode: Mode, force: bool) -> Result<(), FileError> {
    let error = |source| FileError::Write { path: path.to_path_buf(), source };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(error)?;
    // tempfile creates the file 0600, so a key is never readable by others, not even briefly.
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(error)?;
    file.write_all(contents).and_then(|_| file.as_file().sync_all()).map_err(error)?;
    #[cfg(unix)]
    if mode == Mode::Public {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o644)).map_err(error)?;
    }
    let persisted = if force { file.persist(path).map(|_| ()) } else { file.persist_noclobber(path).map(|_| ()) };
    persisted.map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            FileError::Exists(path.to_path_buf())
        } else {
            error(e.error)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_private_and_never_clobbered() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("sub/k.key");
        write(&key, b"secret", Mode::Private, false).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert!(matches!(write(&key, b"other", Mode::Private, false), Err(FileError::Exists(_))));
        assert_eq!(std::fs::read(&key).unwrap(), b"secret");
        write(&key, b"other", Mode::Private, true).unwrap();
        assert_eq!(std::fs::read(&key).unwrap(), b"other");
        let cert = dir.path().join("c.crt");
        write(&cert, b"cert", Mode::Public, false).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&cert).unwrap().permissions().mode() & 0o777, 0o644);
        }
    }
}
