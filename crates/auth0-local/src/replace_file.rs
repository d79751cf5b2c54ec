//! Files written whole or not at all: a new file in the same folder, renamed
//! over the old one. A reader sees the old file or the whole new one, never
//! a half-written one, and a symbolic link planted at the path is replaced,
//! never written through.

use std::io::{self, Write as _};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes `contents` to `path` by renaming a new file over it; on Unix the
/// new file has the permission bits `mode` (less the umask) from the moment
/// it exists. Nothing is left behind when it fails.
#[cfg_attr(not(unix), allow(unused_variables))]
pub(crate) fn replace(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    // Unique in this process (two tenants may write into one folder at
    // once) and across processes (the process id).
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(
        ".{}.{}.tmp",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let temporary = path.with_file_name(name);
    // A leftover of a crashed run with the same process id.
    let _ = std::fs::remove_file(&temporary);
    let mut options = std::fs::OpenOptions::new();
    // `create_new` does not follow a symbolic link at `temporary` either.
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(contents)?;
        file.sync_all()
    });
    let result = written.and_then(|()| std::fs::rename(&temporary, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}
