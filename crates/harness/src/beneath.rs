//! Files in a check's folder, as the harness reads and writes them once a program under
//! test has run there: the folder is opened once, when the check makes it, and every path
//! below it is walked one component at a time without following a symbolic link. The
//! harness runs with the grader's rights; a program that planted a link (`inbox/a.txt ->
//! ~/.ssh/id_ed25519`, or `inbox -> ~`) must not get it to read or write through it.
//!
//! Also [`private_folder`]: a folder for the reference programs and peers, outside the
//! part of the file system any program under test can see or change.

use std::collections::BTreeSet;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::bytes;
use crate::check::Failure;

/// A check's folder, opened once. Paths given to its methods are relative, without `..`.
pub struct Beneath {
    root: PathBuf,
    #[cfg(target_os = "linux")]
    fd: std::os::fd::OwnedFd,
}

/// What a relative path names, the link not followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink,
    Other,
}

/// Why something in a check's folder could not be read as asked.
#[derive(Debug)]
pub enum Refused {
    /// A component was a symbolic link (to the target shown, escaped).
    Link {
        path: String,
        target: String,
    },
    /// It is there but not a file (a folder, a FIFO, a socket).
    NotAFile {
        path: String,
        kind: Kind,
    },
    Io(io::Error),
}

impl From<io::Error> for Refused {
    fn from(e: io::Error) -> Self {
        Refused::Io(e)
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Link { path, target } => write!(
                f,
                "`{path}` is a symbolic link (to {target}), not a file: the harness does \
                 not follow links a program made"
            ),
            Refused::NotAFile { path, kind } => write!(f, "`{path}` is a {kind:?}, not a file"),
            Refused::Io(e) => write!(f, "{e}"),
        }
    }
}

impl Beneath {
    /// Open the folder `root` the check has just made (before any program ran in it).
    pub fn open(root: &Path) -> io::Result<Beneath> {
        Ok(Beneath {
            root: root.to_path_buf(),
            #[cfg(target_os = "linux")]
            fd: linux::open_dir(&rustix::fs::CWD, root.as_os_str())?,
        })
    }

    /// The folder's path, for a program's command line.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The whole contents of the file at `rel`; a link anywhere on the way is refused.
    pub fn read(&self, rel: &str) -> Result<Vec<u8>, Refused> {
        #[cfg(target_os = "linux")]
        return linux::read(self, rel);
        #[cfg(not(target_os = "linux"))]
        {
            // No sandbox off Linux: the program is the student's own, on their own files.
            let path = self.root.join(plain(rel)?);
            if std::fs::symlink_metadata(&path)?.file_type().is_symlink() {
                return Err(self.link(rel));
            }
            Ok(std::fs::read(path)?)
        }
    }

    /// The names in the folder at `rel` ("" for the check's folder itself), sorted; empty
    /// when it is not there, or is a link.
    pub fn names(&self, rel: &str) -> BTreeSet<String> {
        #[cfg(target_os = "linux")]
        return linux::names(self, rel).unwrap_or_default();
        #[cfg(not(target_os = "linux"))]
        std::fs::read_dir(self.root.join(rel))
            .map(|list| {
                list.filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What `rel` is, a link not followed; None when nothing is there.
    pub fn kind(&self, rel: &str) -> Option<Kind> {
        #[cfg(target_os = "linux")]
        return linux::kind(self, rel).ok();
        #[cfg(not(target_os = "linux"))]
        std::fs::symlink_metadata(self.root.join(rel))
            .ok()
            .map(|m| match m.file_type() {
                t if t.is_symlink() => Kind::Symlink,
                t if t.is_dir() => Kind::Dir,
                t if t.is_file() => Kind::File,
                _ => Kind::Other,
            })
    }

    /// The size of the file at `rel`, if it is a file (not a link).
    pub fn file_len(&self, rel: &str) -> Option<u64> {
        #[cfg(target_os = "linux")]
        return linux::file_len(self, rel).ok();
        #[cfg(not(target_os = "linux"))]
        std::fs::symlink_metadata(self.root.join(rel))
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len())
    }

    /// Write `bytes` to a new file at `rel` (replacing a file, never through a link).
    pub fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        #[cfg(target_os = "linux")]
        return linux::write(self, rel, bytes);
        #[cfg(not(target_os = "linux"))]
        std::fs::write(self.root.join(plain(rel)?), bytes)
    }

    /// Make the folder `rel`.
    pub fn create_dir(&self, rel: &str) -> io::Result<()> {
        #[cfg(target_os = "linux")]
        return linux::create_dir(self, rel);
        #[cfg(not(target_os = "linux"))]
        std::fs::create_dir(self.root.join(plain(rel)?))
    }

    /// Remove the empty folder `rel` (a link in its place is not removed: an error).
    pub fn remove_dir(&self, rel: &str) -> io::Result<()> {
        #[cfg(target_os = "linux")]
        return linux::remove(self, rel, true);
        #[cfg(not(target_os = "linux"))]
        std::fs::remove_dir(self.root.join(plain(rel)?))
    }

    /// A link found at `rel`, in words.
    fn link(&self, rel: &str) -> Refused {
        #[cfg(target_os = "linux")]
        let target = linux::link_target(self, rel);
        #[cfg(not(target_os = "linux"))]
        let target = std::fs::read_link(self.root.join(rel))
            .map(|t| t.as_os_str().as_encoded_bytes().to_vec())
            .ok();
        Refused::Link {
            path: bytes::escape(rel.as_bytes()),
            target: match target {
                Some(t) => format!("\"{}\"", bytes::escape(&t)),
                None => "somewhere".to_string(),
            },
        }
    }
}

/// The components of `rel`: plain names only (no root, no `..`), the harness's own paths.
fn checked(rel: &str) -> io::Result<Vec<&std::ffi::OsStr>> {
    Path::new(rel)
        .components()
        .filter(|c| *c != Component::CurDir)
        .map(|c| match c {
            Component::Normal(name) => Ok(name),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{rel}: only names below a check's folder"),
            )),
        })
        .collect()
}

/// `rel` as a relative path of plain names (where no walk below a folder is needed).
#[cfg(not(target_os = "linux"))]
fn plain(rel: &str) -> io::Result<PathBuf> {
    Ok(checked(rel)?.into_iter().collect())
}

/// A received file read back from a check's folder: a link (or anything but a file) is a
/// failure that names it; what the file holds is the check's business.
pub fn received(folder: &Beneath, rel: &str, what: &str) -> Result<Vec<u8>, Failure> {
    folder.read(rel).map_err(|refused| match refused {
        Refused::Link { path, target } => Failure::expected(
            format!("{what} saved as a file, `{path}`"),
            format!(
                "the received file `{path}` is a symbolic link (to {target}): a receiver \
                 writes the file itself"
            ),
        ),
        other => Failure::expected(
            format!("{what} saved as `{}`", bytes::escape(rel.as_bytes())),
            format!("it cannot be read: {other}"),
        ),
    })
}

/// A temporary folder no program under test can see or change: for the reference
/// programs' and peers' own files (the reference receiver's DIR). Beside this process's
/// scratch folder, not in it: in namespaces a program's view holds the scratch folder
/// only; as another user, this folder is the harness's alone (mode 700).
pub fn private_folder() -> io::Result<tempfile::TempDir> {
    let beside = crate::sandbox::setup()
        .and_then(|s| s.scratch.as_ref())
        .and_then(|scratch| scratch.parent())
        .map_or_else(std::env::temp_dir, Path::to_path_buf);
    tempfile::Builder::new()
        .prefix("netlab-private-")
        .tempdir_in(beside)
}

#[cfg(target_os = "linux")]
mod linux {
    //! The walk, with rustix: `openat(O_NOFOLLOW)` for every component.

    use std::collections::BTreeSet;
    use std::ffi::OsStr;
    use std::fs::File;
    use std::io::{self, Read, Write};
    use std::os::fd::{AsFd, OwnedFd};

    use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat};
    use rustix::io::Errno;

    use super::{Beneath, Kind, Refused, checked};

    pub(super) fn open_dir(at: &impl AsFd, name: &OsStr) -> io::Result<OwnedFd> {
        Ok(rustix::fs::openat(
            at,
            name,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?)
    }

    /// The folder holding `rel`'s last component, opened, and that component; a link on
    /// the way is ELOOP (or ENOTDIR), as O_NOFOLLOW makes it.
    fn parent<'a>(folder: &Beneath, rel: &'a str) -> io::Result<(OwnedFd, Option<&'a OsStr>)> {
        let parts = checked(rel)?;
        let mut dir = folder.fd.try_clone()?;
        let Some((last, on_the_way)) = parts.split_last() else {
            return Ok((dir, None));
        };
        for name in on_the_way {
            dir = open_dir(&dir, name)?;
        }
        Ok((dir, Some(last)))
    }

    fn stat(folder: &Beneath, rel: &str) -> io::Result<Stat> {
        let (dir, last) = parent(folder, rel)?;
        Ok(match last {
            Some(name) => rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW)?,
            None => rustix::fs::fstat(&dir)?,
        })
    }

    fn kind_of(stat: &Stat) -> Kind {
        match FileType::from_raw_mode(stat.st_mode) {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Symlink,
            _ => Kind::Other,
        }
    }

    pub(super) fn kind(folder: &Beneath, rel: &str) -> io::Result<Kind> {
        Ok(kind_of(&stat(folder, rel)?))
    }

    pub(super) fn file_len(folder: &Beneath, rel: &str) -> io::Result<u64> {
        let stat = stat(folder, rel)?;
        match kind_of(&stat) {
            Kind::File => Ok(stat.st_size as u64),
            _ => Err(io::Error::other("not a file")),
        }
    }

    /// Which component of `rel` is the link that stopped a walk (the first one).
    fn first_link(folder: &Beneath, rel: &str) -> Option<String> {
        let parts = checked(rel).ok()?;
        (1..=parts.len())
            .map(|n| {
                parts[..n]
                    .iter()
                    .map(|p| p.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .find(|prefix| kind(folder, prefix).is_ok_and(|k| k == Kind::Symlink))
    }

    pub(super) fn read(folder: &Beneath, rel: &str) -> Result<Vec<u8>, Refused> {
        let opened = parent(folder, rel).and_then(|(dir, last)| {
            let name = last.ok_or_else(|| io::Error::other("no file named"))?;
            // Non-blocking: a FIFO planted there must not hang the check.
            Ok(rustix::fs::openat(
                &dir,
                name,
                OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
                Mode::empty(),
            )?)
        });
        let fd = match opened {
            Ok(fd) => fd,
            Err(e) if matches!(e.raw_os_error(), Some(code) if code == Errno::LOOP.raw_os_error() || code == Errno::NOTDIR.raw_os_error()) =>
            {
                return Err(match first_link(folder, rel) {
                    Some(link) => folder.link(&link),
                    None => Refused::Io(e),
                });
            }
            Err(e) => return Err(Refused::Io(e)),
        };
        let kind = kind_of(&rustix::fs::fstat(&fd).map_err(io::Error::from)?);
        if kind != Kind::File {
            return Err(Refused::NotAFile {
                path: crate::bytes::escape(rel.as_bytes()),
                kind,
            });
        }
        let mut bytes = Vec::new();
        File::from(fd).read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    pub(super) fn names(folder: &Beneath, rel: &str) -> io::Result<BTreeSet<String>> {
        let (dir, last) = parent(folder, rel)?;
        let dir = match last {
            Some(name) => open_dir(&dir, name)?,
            None => dir,
        };
        let mut names = BTreeSet::new();
        for entry in rustix::fs::Dir::read_from(&dir)? {
            let entry = entry?;
            let name = entry.file_name().to_bytes();
            if name != b"." && name != b".." {
                names.insert(String::from_utf8_lossy(name).into_owned());
            }
        }
        Ok(names)
    }

    pub(super) fn write(folder: &Beneath, rel: &str, bytes: &[u8]) -> io::Result<()> {
        let (dir, last) = parent(folder, rel)?;
        let name = last.ok_or_else(|| io::Error::other("no file named"))?;
        let fd = rustix::fs::openat(
            &dir,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o666),
        )?;
        File::from(fd).write_all(bytes)
    }

    pub(super) fn create_dir(folder: &Beneath, rel: &str) -> io::Result<()> {
        let (dir, last) = parent(folder, rel)?;
        let name = last.ok_or_else(|| io::Error::other("no folder named"))?;
        Ok(rustix::fs::mkdirat(&dir, name, Mode::from_raw_mode(0o777))?)
    }

    pub(super) fn remove(folder: &Beneath, rel: &str, dir_too: bool) -> io::Result<()> {
        let (dir, last) = parent(folder, rel)?;
        let name = last.ok_or_else(|| io::Error::other("nothing named"))?;
        let flags = if dir_too {
            AtFlags::REMOVEDIR
        } else {
            AtFlags::empty()
        };
        Ok(rustix::fs::unlinkat(&dir, name, flags)?)
    }

    pub(super) fn link_target(folder: &Beneath, rel: &str) -> Option<Vec<u8>> {
        let (dir, last) = parent(folder, rel).ok()?;
        let target = rustix::fs::readlinkat(&dir, last?, Vec::new()).ok()?;
        Some(target.into_bytes())
    }
}
