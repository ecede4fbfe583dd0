//! Reading the small files a user names (targets, expected tables, history,
//! logs): regular files only, bounded in size, UTF-8, with errors that say
//! which file. A device or a FIFO (`/dev/zero`) is refused, never read forever.

use std::fs::File;
use std::io::Read;

use crate::exit::Error;

/// SMALL_FILE_LIMIT bounds a configuration file (1 MiB).
pub const SMALL_FILE_LIMIT: u64 = 1 << 20;

/// read_small reads a regular file of at most [`SMALL_FILE_LIMIT`] bytes.
pub fn read_small(path: &str) -> Result<String, Error> {
    read_bounded(path, SMALL_FILE_LIMIT)
}

/// read_bounded reads a regular file of at most `limit` bytes.
pub fn read_bounded(path: &str, limit: u64) -> Result<String, Error> {
    let f = open_regular(path)?;
    let mut bytes = Vec::new();
    f.take(limit + 1).read_to_end(&mut bytes).map_err(|e| Error::input(format!("cannot read {path}: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(Error::input(format!("{path}: larger than {limit} bytes")));
    }
    String::from_utf8(bytes).map_err(|_| Error::input(format!("{path}: not UTF-8 text")))
}

/// open_regular opens a file for reading, refusing anything that is not a
/// regular file (devices, FIFOs, directories).
pub fn open_regular(path: &str) -> Result<File, Error> {
    let f = File::open(path).map_err(|e| Error::input(format!("cannot open {path}: {e}")))?;
    let meta = f.metadata().map_err(|e| Error::input(format!("cannot read {path}: {e}")))?;
    if !meta.is_file() {
        return Err(Error::input(format!("{path}: not a regular file")));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_big_files_are_refused() {
        let e = read_small("/dev/zero").expect_err("device");
        assert_eq!(e.to_string(), "/dev/zero: not a regular file");
        let dir = std::env::temp_dir().join(format!("navikit-files-{}", std::process::id()));
        std::fs::write(&dir, "p95<5s\n").expect("write");
        let p = dir.display().to_string();
        assert_eq!(read_small(&p).expect("read"), "p95<5s\n");
        assert!(read_bounded(&p, 3).expect_err("too big").to_string().ends_with("larger than 3 bytes"));
        let _ = std::fs::remove_file(&dir);
    }
}
