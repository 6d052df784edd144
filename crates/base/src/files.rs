//! Opening a file edgectl reads (a manifest, a file of a synced folder) without ever
//! blocking on or reading what is not a regular file: the open itself does not wait (a
//! FIFO's open would wait for a writer), and what was opened is checked to be a regular
//! file before anything is read, so a path swapped for something else between a listing
//! and the open is refused too.

use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
use std::path::Path;

/// Whether a symlink at the path itself is followed (a manifest named through one), or
/// refused (a synced folder's files, which are listed with symlinks left out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Links {
    Follow,
    Refuse,
}

/// `path` opened for reading, and what it is, when it is a regular file; else an error
/// of kind `InvalidInput` saying what it is.
pub fn open_regular(path: &Path, links: Links) -> io::Result<(File, Metadata)> {
    let mut flags = libc::O_NONBLOCK;
    if links == Links::Refuse {
        flags |= libc::O_NOFOLLOW;
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(|error| match error.raw_os_error() {
            // O_NOFOLLOW on a symlink.
            Some(libc::ELOOP) if links == Links::Refuse => io::Error::new(
                io::ErrorKind::InvalidInput,
                "it is a symlink, which is never followed",
            ),
            _ => error,
        })?;
    let metadata = file.metadata()?;
    let kind = metadata.file_type();
    if kind.is_file() {
        return Ok((file, metadata));
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("it is {}, not a regular file", what(&kind)),
    ))
}

/// What an entry that is not a regular file is, in words: "a FIFO", "a folder".
pub fn what(kind: &std::fs::FileType) -> &'static str {
    if kind.is_dir() {
        "a folder"
    } else if kind.is_symlink() {
        "a symlink"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_open_and_a_fifo_never_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("stack.yaml");
        std::fs::write(&file, "stack: demo\n").unwrap();
        assert!(open_regular(&file, Links::Refuse).is_ok());

        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        // No writer: a blocking open would wait here for ever.
        let error = open_regular(&fifo, Links::Follow).unwrap_err();
        assert_eq!(error.to_string(), "it is a FIFO, not a regular file");

        let error = open_regular(dir.path(), Links::Follow).unwrap_err();
        assert_eq!(error.to_string(), "it is a folder, not a regular file");
        let error = open_regular(Path::new("/dev/null"), Links::Follow).unwrap_err();
        assert_eq!(error.to_string(), "it is a device, not a regular file");

        let link = dir.path().join("link.yaml");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert!(open_regular(&link, Links::Follow).is_ok());
        let error = open_regular(&link, Links::Refuse).unwrap_err();
        assert_eq!(
            error.to_string(),
            "it is a symlink, which is never followed"
        );
    }
}
