//! What a user names on the command line, turned into log files: paths, globs, directories,
//! and compressed files (gzip, zstd, bzip2, xz), recognised by their content.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::bufread::GzDecoder;
use zstd::stream::read::Decoder as ZstdDecoder;

use super::members::{Bzip2Stream, Members, XzStream};
use super::read_ahead::ReadAhead;
use super::spool::{Held, Spool};
use crate::error::{Error, Result};

/// How a file's bytes are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Bzip2,
    Xz,
}

/// The bytes [`Compression::from_magic`] looks at.
pub const MAGIC_LEN: usize = 10;

impl Compression {
    /// Recognises the codec from the first [`MAGIC_LEN`] bytes of a file (its magic number).
    /// bzip2's `BZh` is followed by a block size and a block or end-of-stream marker before it
    /// counts: a plain log may start with `BZh` (a host name). A zstd file may open with a
    /// skippable frame (magic `0x184D2A5?`).
    pub fn from_magic(head: &[u8]) -> Compression {
        const BZ_BLOCK: [u8; 6] = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
        const BZ_END: [u8; 6] = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];
        let codecs = [Compression::Gzip, Compression::Zstd, Compression::Xz];
        if let Some(codec) = codecs.into_iter().find(|c| c.opens(head, false)) {
            return codec;
        }
        match head {
            [b'B', b'Z', b'h', b'1'..=b'9', marker @ ..]
                if marker.starts_with(&BZ_BLOCK) || marker.starts_with(&BZ_END) =>
            {
                Compression::Bzip2
            }
            _ => Compression::None,
        }
    }

    /// Whether `bytes` starts with this codec's magic number, or with as much of it as
    /// `bytes` holds when `partial` (a buffer may end inside it). bzip2's `BZh` alone; see
    /// [`from_magic`](Self::from_magic) for the rest of a bzip2 file's check.
    pub(crate) fn opens(self, bytes: &[u8], partial: bool) -> bool {
        let starts = |magic: &[u8]| bytes.starts_with(magic) || partial && magic.starts_with(bytes);
        match self {
            Compression::None => false,
            Compression::Gzip => starts(&[0x1f, 0x8b]),
            // A frame, or a skippable frame (magic `0x184D2A5?`).
            Compression::Zstd => {
                starts(&[0x28, 0xb5, 0x2f, 0xfd])
                    || bytes.first().is_some_and(|b| b & 0xf0 == 0x50)
                        && starts(&[bytes[0], 0x2a, 0x4d, 0x18])
            }
            Compression::Bzip2 => starts(b"BZh"),
            Compression::Xz => starts(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "plain",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Bzip2 => "bzip2",
            Compression::Xz => "xz",
        }
    }

    /// Plain files can be split into byte ranges; compressed streams must be read whole.
    pub fn is_splittable(self) -> bool {
        self == Compression::None
    }
}

/// A file that is not a log logsql reads, recognised by content: read as text, each gave
/// one bogus row of binary header bytes, without a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsupported {
    Lz4,
    Lzma,
    Tar,
}

/// The decoded bytes [`Unsupported::archive`] looks at: a tar archive's first header.
const TAR_HEAD: usize = 512;

impl Unsupported {
    /// Recognises lz4 (a frame, or the legacy format) and lzma (`.lzma`, its usual
    /// properties byte and a dictionary size below 16 MiB) from a file's first bytes.
    pub fn from_magic(head: &[u8]) -> Option<Unsupported> {
        const LZ4: [u8; 4] = [0x04, 0x22, 0x4d, 0x18];
        const LZ4_LEGACY: [u8; 4] = [0x02, 0x21, 0x4c, 0x18];
        if head.starts_with(&LZ4) || head.starts_with(&LZ4_LEGACY) {
            Some(Unsupported::Lz4)
        } else if head.starts_with(&[0x5d, 0, 0]) {
            Some(Unsupported::Lzma)
        } else {
            None
        }
    }

    /// Recognises a tar archive from its first decoded bytes: a 512-byte header with `ustar`
    /// at offset 257 and a checksum that adds up (text that says `mustard` there does not).
    pub fn archive(decoded: &[u8]) -> Option<Unsupported> {
        let header = decoded.get(..TAR_HEAD)?;
        if &header[257..262] != b"ustar" {
            return None;
        }
        // The checksum: octal digits at 148..156, the sum of the header's bytes with those
        // eight counted as spaces.
        let field = std::str::from_utf8(&header[148..156]).ok()?;
        let field = field.trim_matches(|c: char| c == ' ' || c == '\0');
        let claimed = u32::from_str_radix(field, 8).ok()?;
        let sum: u32 = header
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u32::from(b)
                }
            })
            .sum();
        (sum == claimed).then_some(Unsupported::Tar)
    }

    /// What to tell the user about `file`, one line, with a command that reads it.
    pub fn message(self, file: &str) -> String {
        let (what, tool) = match self {
            Unsupported::Tar => ("is a tar archive: extract it first", "tar -xOf"),
            Unsupported::Lz4 => ("lz4-compressed", "lz4 -dc"),
            Unsupported::Lzma => ("lzma-compressed", "xz -dc"),
        };
        let what = match self {
            Unsupported::Tar => what.to_string(),
            _ => format!("{what}; logsql reads gzip, zstd, bzip2 and xz: decompress it first"),
        };
        let command = if file == STDIN_NAME {
            format!("... | {} | logsql - ...", tool.trim_end_matches('f'))
        } else {
            format!("{tool} {file} | logsql - ...")
        };
        format!("{file}: {what}, e.g. `{command}`")
    }
}

/// Up to `len` bytes from the start of `reader`; an error ends them (damage is the scan's to
/// report).
fn head_of(reader: impl Read, len: usize) -> Vec<u8> {
    let mut head = Vec::with_capacity(len);
    let _ = reader.take(len as u64).read_to_end(&mut head);
    head
}

/// Opens `path` and decodes it; every multi-member/multi-frame stream is read to its end.
pub fn open_decoded(path: &Path, compression: Compression) -> io::Result<Box<dyn Read + Send>> {
    decode(File::open(path)?, compression)
}

/// Decodes `file`'s bytes, member after member (see [`Members`]): the data ends cleanly after
/// the last complete member, whatever follows it.
fn decode(
    file: impl Read + Send + 'static,
    compression: Compression,
) -> io::Result<Box<dyn Read + Send>> {
    /// Input read per refill of the buffer (zstd's own size for zstd).
    const BUFFER: usize = 1 << 16;
    Ok(match compression {
        Compression::None => Box::new(file),
        Compression::Gzip => {
            let input = BufReader::with_capacity(BUFFER, file);
            Box::new(Members::<GzDecoder<_>>::new(input, compression)?)
        }
        Compression::Zstd => {
            let input = BufReader::with_capacity(zstd::zstd_safe::DCtx::in_size(), file);
            Box::new(Members::<ZstdDecoder<_>>::new(input, compression)?)
        }
        Compression::Bzip2 => {
            let input = BufReader::with_capacity(BUFFER, file);
            Box::new(Members::<Bzip2Stream<_>>::new(input, compression)?)
        }
        Compression::Xz => {
            let input = BufReader::with_capacity(BUFFER, file);
            Box::new(Members::<XzStream<_>>::new(input, compression)?)
        }
    })
}

/// The name piped input goes by, in messages and in `_file`.
pub const STDIN_NAME: &str = "<stdin>";

/// One file of a log table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFile {
    /// Where the bytes are (for stdin, a spooled temporary file).
    pub path: PathBuf,
    /// How the user knows it: the path as given, or `<stdin>`.
    pub name: String,
    pub compression: Compression,
    /// Piped input still being copied when the table was planned: read from the start as
    /// it grows, never split (see [`Spool`]).
    pub spool: Option<Spool>,
    /// A spool's file, kept while this file is read by path (its spool may be dropped
    /// first: see [`Held`]).
    pub held: Option<Held>,
}

impl LogFile {
    /// Checks that `path` is a readable file and recognises its compression. A path that is
    /// not a regular file (a named pipe such as `<(zcat x.gz)` or `/dev/stdin`) can be read
    /// only once, so it is spooled like piped input.
    pub fn open(path: &Path, name: impl Into<String>) -> Result<LogFile> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            return Err(Error::IsDirectory(path.to_path_buf()));
        }
        if !meta.is_file() {
            let spool = File::open(path)
                .and_then(Spool::start)
                .map_err(|e| Error::io(path, e))?;
            return LogFile::spooled(spool, name);
        }
        // Enough for the compression's magic number and, in a plain file, a tar header.
        let head = File::open(path).map_err(|e| Error::io(path, e))?;
        let head = head_of(head, TAR_HEAD);
        let file = LogFile {
            path: path.to_path_buf(),
            name: name.into(),
            compression: Compression::from_magic(&head),
            spool: None,
            held: None,
        };
        file.refuse_unsupported(&head)?;
        Ok(file)
    }

    /// Fails on a file that is lz4 or lzma, or a tar archive (compressed or not), given the
    /// file's first [`TAR_HEAD`] bytes; a compressed file's decoded ones are read here.
    fn refuse_unsupported(&self, head: &[u8]) -> Result<()> {
        let kind = match self.compression {
            Compression::None => {
                Unsupported::from_magic(head).or_else(|| Unsupported::archive(head))
            }
            _ => self
                .reader()
                .ok()
                .and_then(|decoded| Unsupported::archive(&head_of(decoded, TAR_HEAD))),
        };
        match kind {
            Some(kind) => Err(Error::Unsupported {
                file: self.name.clone(),
                kind,
            }),
            None => Ok(()),
        }
    }

    /// The file a spool fills, known as `name`; its compression is recognised from its first
    /// bytes (waiting for them).
    pub fn spooled(spool: Spool, name: impl Into<String>) -> Result<LogFile> {
        let name = name.into();
        // Six bytes tell every codec but bzip2 (whose marker comes after them): waiting for
        // more than a short first line holds, on a pipe that pauses, would wait for nothing.
        let mut head = Vec::with_capacity(MAGIC_LEN);
        spool
            .reader()
            .and_then(|mut r| {
                (&mut r).take(6).read_to_end(&mut head)?;
                if head.starts_with(b"BZh") {
                    r.take((MAGIC_LEN - 6) as u64).read_to_end(&mut head)?;
                }
                Ok(())
            })
            .map_err(|e| Error::io(&name, e))?;
        let compression = Compression::from_magic(&head);
        // Not a tar archive: its header comes after a first line's worth of bytes.
        if let (Compression::None, Some(kind)) = (compression, Unsupported::from_magic(&head)) {
            return Err(Error::Unsupported { file: name, kind });
        }
        Ok(LogFile {
            path: spool.path().to_path_buf(),
            name,
            compression,
            held: Some(spool.held()),
            spool: Some(spool),
        })
    }

    /// This file as a scan planned now reads it: a spool whose copy is whole is an ordinary
    /// file from then on (split across cores like any other).
    pub fn settled(&self) -> LogFile {
        let mut file = self.clone();
        if file.spool.as_ref().is_some_and(Spool::is_whole) {
            file.spool = None;
        }
        file
    }

    /// This file once its spool, if any, is complete: for a scan that needs the whole file
    /// before it starts (time-range pruning seeks in it).
    pub fn completed(&self) -> Result<LogFile> {
        if let Some(spool) = &self.spool {
            spool.wait().map_err(|e| self.io_error(e))?;
        }
        Ok(self.settled())
    }

    /// An I/O error naming the file as the user knows it: `<stdin>` or the path given, not
    /// a temporary copy.
    pub(crate) fn io_error(&self, error: io::Error) -> Error {
        Error::io(&self.name, error)
    }

    /// Whether the file can be read in byte ranges: a plain file whose size is known.
    pub fn is_splittable(&self) -> bool {
        self.compression.is_splittable() && self.spool.is_none()
    }

    /// The decoded bytes of the whole file.
    pub fn reader(&self) -> Result<Box<dyn Read + Send>> {
        let decoded = match &self.spool {
            Some(spool) => spool.reader().and_then(|r| decode(r, self.compression)),
            None => open_decoded(&self.path, self.compression),
        };
        decoded.map_err(|e| self.io_error(e))
    }

    /// The decoded bytes of the whole file, for reading it all: a compressed file is decoded
    /// on a thread of its own, ahead of the reader (see [`ReadAhead`]).
    pub fn stream(&self) -> Result<Box<dyn Read + Send>> {
        let decoded = self.reader()?;
        if self.compression.is_splittable() {
            return Ok(decoded); // a plain file, or a spool (whose copy has a thread already)
        }
        let ahead = ReadAhead::new(decoded).map_err(|e| self.io_error(e))?;
        Ok(Box::new(ahead))
    }
}

/// Which files of a directory to take.
#[derive(Debug, Clone, Default)]
pub struct DirFilter {
    /// Glob on file names (e.g. `access.log*`); `None` takes every file.
    pub include: Option<glob::Pattern>,
}

impl DirFilter {
    pub fn new(include: Option<&str>) -> Result<DirFilter> {
        let include = include
            .map(|p| {
                let hint = bracket_hint(p.contains('['));
                glob::Pattern::new(p)
                    .map_err(|e| Error::BadInput(format!("bad --include pattern '{p}': {e}{hint}")))
            })
            .transpose()?;
        Ok(DirFilter { include })
    }

    fn includes(&self, name: &str) -> bool {
        self.include.as_ref().is_none_or(|p| p.matches(name))
    }

    /// The error for walks that met `files` files (dot-files aside) and took none: all left
    /// out by `--include`, or none at all. `place` is what the user named, `within` where
    /// the files are.
    fn nothing_taken(&self, place: &str, within: &'static str, files: usize) -> Error {
        match &self.include {
            Some(pattern) if files > 0 => Error::NothingIncluded {
                place: place.to_string(),
                within,
                files,
                pattern: pattern.as_str().to_string(),
            },
            _ => Error::BadInput(format!("{place}: no log files {within}")),
        }
    }
}

/// Expands what the user named into files, in a stable order: a path is taken as is, a
/// directory is walked recursively (files filtered by `filter`, sorted by path), a pattern with
/// `*`, `?` or `[` that is not an existing path is expanded as a glob (sorted), the
/// directories it matches walked as if named (as the shell's unquoted glob names them).
///
/// A file reached twice (named twice, through a symbolic link, as `/var/log/containers` links
/// into `/var/log/pods`, or through a hard link) is taken once, under the name it was first
/// reached by: its lines would otherwise be counted twice. Symbolic links to directories are followed, each
/// directory walked once, so a link loop ends.
pub fn expand_paths(args: &[PathBuf], filter: &DirFilter) -> Result<Vec<PathBuf>> {
    let found = expand(args, filter)?;
    Ok(found.files.into_iter().map(|(path, _)| path).collect())
}

/// [`expand_paths`], each file with the index of the directory or glob in `args` that found
/// it (`None`: named itself).
fn expand(args: &[PathBuf], filter: &DirFilter) -> Result<Found> {
    let mut found = Found::default();
    for (index, arg) in args.iter().enumerate() {
        found.arg = Some(index);
        let text = arg.to_string_lossy();
        if !arg.exists() && text.contains(['*', '?', '[']) {
            found.glob(&text, filter)?;
        } else if arg.is_dir() {
            let (met, seen) = (found.met, found.seen);
            // A directory walked already (named twice) has shown its files.
            if found.walk(arg, filter)? && found.met == met {
                let place = arg.display().to_string();
                let within = "in this directory";
                return Err(filter.nothing_taken(&place, within, found.seen - seen));
            }
        } else {
            found.arg = None;
            found.file(arg.clone());
        }
    }
    Ok(found)
}

/// What a pattern with `[` that failed or matched nothing adds, when `likely`: `[` opens a
/// class (`app[12].log`), so a `[` in a file's name must be written `[[]`.
fn bracket_hint(likely: bool) -> &'static str {
    if likely {
        "; a literal '[' is written '[[]' in a pattern"
    } else {
        ""
    }
}

/// Whether `pattern`, its `[` read as literal, matches a file: the user meant the `[` of
/// a name (`app[prod]/*.log`).
fn matches_with_literal_brackets(pattern: &str) -> bool {
    pattern.contains('[')
        && glob::glob(&pattern.replace('[', "[[]")).is_ok_and(|mut paths| paths.any(|p| p.is_ok()))
}

/// Whether `path`, a match of `pattern`, is one the shell would not give: one where a
/// wildcard (`*`, `?`, `[...]`, `**`) matched a leading dot. Only a dot the pattern spells
/// matches one (`.*`), as a directory walk skips dot-files, and `.` and `..` are never
/// matched (as bash's `globskipdots`): `.*` would walk the directory again, or its parent.
/// (glob's own `require_literal_leading_dot` also drops what `.*` matches, and panics on a
/// name that is not UTF-8.)
fn hidden_from_pattern(pattern: &str, path: &Path) -> bool {
    let parts = |raw: &[u8]| -> Vec<Vec<u8>> {
        let parts = raw
            .split(|&b| std::path::is_separator(b as char))
            .filter(|part| !part.is_empty());
        // Leading `.` names say nothing: glob drops them from its matches, or keeps one.
        let parts = parts.skip_while(|part| *part == b".");
        parts.map(<[u8]>::to_vec).collect()
    };
    let pattern = parts(pattern.as_bytes());
    let path = parts(path.as_os_str().as_encoded_bytes());
    if matched_a_dot_entry(&pattern, &path) {
        return true;
    }
    // `.` names no other file: glob keeps some and drops others.
    let names = |parts: Vec<Vec<u8>>| -> Vec<Vec<u8>> {
        parts.into_iter().filter(|part| part != b".").collect()
    };
    wildcard_matched_dot(&names(pattern), &names(path))
}

/// Whether `path` holds a `.` or `..` the pattern does not spell at its place, the names of
/// both without leading `.`s. Names align one to one before the first `**` and after the
/// last; between them, a `.` or `..` the pattern spells there. glob drops a leading `.`
/// that `.*` matched (`.*/top.log` matches `top.log`), so a name out of place (one that
/// lacks the dot its pattern spells, a path too short) counts as one too.
fn matched_a_dot_entry(pattern: &[Vec<u8>], path: &[Vec<u8>]) -> bool {
    let special = |name: &[u8]| name == b"." || name == b"..";
    let head = pattern.iter().take_while(|p| *p != b"**").count();
    let tail = pattern.iter().rev().take_while(|p| *p != b"**").count();
    let too_short = if head == pattern.len() {
        path.len() != pattern.len()
    } else {
        path.len() < head + tail
    };
    if too_short {
        return true;
    }
    let misplaced = |(p, name): (&Vec<u8>, &Vec<u8>)| {
        special(name) && p != name || p.starts_with(b".") && !name.starts_with(b".")
    };
    let front = pattern.iter().zip(path).take(head);
    let back = pattern.iter().rev().zip(path.iter().rev()).take(tail);
    if front.chain(back).any(misplaced) {
        return true;
    }
    if head == pattern.len() {
        return false;
    }
    let spelled = &pattern[head..pattern.len() - tail];
    let middle = &path[head..path.len() - tail];
    middle
        .iter()
        .any(|name| special(name) && !spelled.contains(name))
}

/// Whether a wildcard among `pattern`'s names matched a leading dot in `path`'s.
fn wildcard_matched_dot(pattern: &[Vec<u8>], path: &[Vec<u8>]) -> bool {
    let dotted = |name: &[u8]| name.starts_with(b".");
    let spelled = |p: &Vec<u8>, name: &Vec<u8>| !dotted(name) || dotted(p);
    // Names before the first `**` and after the last one match one to one; `**` matches
    // any number of names, a dotted one only if the pattern spells a dot between them.
    let head = pattern.iter().take_while(|p| *p != b"**").count();
    let tail = pattern.iter().rev().take_while(|p| *p != b"**").count();
    let front = pattern.iter().zip(path).take(head);
    let back = pattern.iter().rev().zip(path.iter().rev()).take(tail);
    if front.chain(back).any(|(p, name)| !spelled(p, name)) {
        return true;
    }
    if head == pattern.len() {
        return false;
    }
    let middle = path
        .get(head..path.len().saturating_sub(tail))
        .unwrap_or_default();
    let spells_a_dot = pattern[head..pattern.len() - tail]
        .iter()
        .any(|p| dotted(p));
    !spells_a_dot && middle.iter().any(|name| dotted(name))
}

/// The files found so far, and what has been seen: files by [`FileId`], directories by real
/// path.
#[derive(Default)]
struct Found {
    /// Each file, with the index of the directory or glob that found it (`None`: named).
    files: Vec<(PathBuf, Option<usize>)>,
    /// The argument being expanded, if a directory or glob.
    arg: Option<usize>,
    real_files: std::collections::HashSet<FileId>,
    real_dirs: std::collections::HashSet<PathBuf>,
    /// Files the walks met that the filter takes, and files globs matched, each time met.
    met: usize,
    /// Files the walks met, dot-files aside, whether the filter takes them or not.
    seen: usize,
}

impl Found {
    /// Takes `path` unless its real file is taken already. A path that cannot be resolved
    /// (missing) is kept, for opening it to report the error.
    fn file(&mut self, path: PathBuf) {
        let new = match file_id(&path) {
            Ok(real) => self.real_files.insert(real),
            Err(_) => true,
        };
        if new {
            self.files.push((path, self.arg));
        }
    }

    /// Takes what `pattern` matches, sorted: its files, and its directories walked. Fails
    /// if it takes nothing: a quoted glob that reads no file is a mistake, not an empty log.
    fn glob(&mut self, pattern: &str, filter: &DirFilter) -> Result<()> {
        let paths = glob::glob(pattern).map_err(|e| {
            let hint = bracket_hint(pattern.contains('['));
            Error::BadInput(format!("bad pattern '{pattern}': {e}{hint}"))
        })?;
        let mut matched: Vec<PathBuf> = paths.filter_map(|p| p.ok()).collect();
        matched.sort();
        let (met, seen) = (self.met, self.seen);
        // A directory walked already (matched or named twice) has shown its files.
        let mut walked_before = false;
        for path in matched {
            if hidden_from_pattern(pattern, &path) {
                continue;
            } else if path.is_dir() {
                walked_before |= !self.walk(&path, filter)?;
            } else if path.is_file() {
                self.met += 1;
                self.file(path);
            }
        }
        if self.met == met && !walked_before {
            if self.seen > seen {
                let within = "in the directories it matches";
                return Err(filter.nothing_taken(pattern, within, self.seen - seen));
            }
            let hint = bracket_hint(matches_with_literal_brackets(pattern));
            return Err(Error::BadInput(format!("no files match '{pattern}'{hint}")));
        }
        Ok(())
    }

    /// Walks `dir` recursively, unless walked already; returns whether it walked it.
    fn walk(&mut self, dir: &Path, filter: &DirFilter) -> Result<bool> {
        let real = std::fs::canonicalize(dir).map_err(|e| Error::io(dir, e))?;
        if !self.real_dirs.insert(real) {
            return Ok(false);
        }
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| Error::io(dir, e))?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if path.is_dir() {
                if !name.starts_with('.') {
                    self.walk(&path, filter)?;
                }
            } else if path.is_file() && !name.starts_with('.') {
                self.seen += 1;
                if filter.includes(&name) {
                    self.met += 1;
                    self.file(path);
                }
            }
        }
        Ok(true)
    }
}

/// What tells a file from another: on Unix its device and inode, which its hard links share;
/// elsewhere its real path.
#[cfg(unix)]
type FileId = (u64, u64);
#[cfg(not(unix))]
type FileId = PathBuf;

/// The [`FileId`] of the file `path` leads to (through symbolic links).
fn file_id(path: &Path) -> io::Result<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path)?;
        Ok((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::canonicalize(path)
    }
}

/// A file a directory walk or a glob found that logsql does not read (a tar archive of old
/// logs beside the logs): left out of the table, for the caller to name, rather than
/// failing the query over every other file. Named itself, such a file is an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOut {
    /// The file, as found.
    pub file: String,
    /// What it is.
    pub kind: Unsupported,
}

impl std::fmt::Display for LeftOut {
    /// What it is and how to read it, as the error for the file named would say.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.kind.message(&self.file))
    }
}

/// The files [`find_log_files`] found: those to read, and those it left out.
#[derive(Debug, Clone, Default)]
pub struct LogFiles {
    pub files: Vec<LogFile>,
    pub left_out: Vec<LeftOut>,
}

/// [`expand_paths`], then each file checked and its compression recognised; files are named
/// as found. A file logsql does not read is an error when named, and [`LeftOut`] when a
/// walk or glob found it; a directory or glob all of whose files are left out is an error,
/// as one without files is.
pub fn find_log_files(args: &[PathBuf], filter: &DirFilter) -> Result<LogFiles> {
    let mut found = LogFiles::default();
    let mut taken = vec![false; args.len()];
    // The argument each left-out file came from.
    let mut left_by = Vec::new();
    for (path, arg) in expand(args, filter)?.files {
        match (LogFile::open(&path, path.display().to_string()), arg) {
            (Err(Error::Unsupported { file, kind }), Some(arg)) => {
                found.left_out.push(LeftOut { file, kind });
                left_by.push(arg);
            }
            (opened, arg) => {
                found.files.push(opened?);
                if let Some(arg) = arg {
                    taken[arg] = true;
                }
            }
        }
    }
    if let Some(&arg) = left_by.iter().find(|&&arg| !taken[arg]) {
        let of_arg = found.left_out.iter().zip(&left_by);
        let left_out: Vec<_> = of_arg
            .filter(|(_, &by)| by == arg)
            .map(|(l, _)| l)
            .collect();
        return Err(nothing_readable(&args[arg], &left_out));
    }
    Ok(found)
}

/// The error for `arg`, a directory or glob whose every file is `left_out`: it reads
/// nothing, as one without files, and the user learns why.
fn nothing_readable(arg: &Path, left_out: &[&LeftOut]) -> Error {
    let within = if arg.is_dir() {
        "in this directory"
    } else {
        "matching it"
    };
    let more = match left_out.len() {
        1 => String::new(),
        n => format!(" (and {} more it does not read)", n - 1),
    };
    Error::BadInput(format!(
        "{}: no log files {within} that logsql reads: {}{more}",
        arg.display(),
        left_out[0]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers() {
        assert_eq!(
            Compression::from_magic(&[0x1f, 0x8b, 8, 0]),
            Compression::Gzip
        );
        assert_eq!(
            Compression::from_magic(&[0x28, 0xb5, 0x2f, 0xfd, 0]),
            Compression::Zstd
        );
        assert_eq!(
            Compression::from_magic(b"BZh91AY&SY\x00"),
            Compression::Bzip2
        );
        let empty_bzip2 = [b'B', b'Z', b'h', b'9', 0x17, 0x72, 0x45, 0x38, 0x50, 0x90];
        assert_eq!(Compression::from_magic(&empty_bzip2), Compression::Bzip2);
        // A log whose first host name starts with BZh is a log.
        assert_eq!(Compression::from_magic(b"BZhost GET"), Compression::None);
        assert_eq!(Compression::from_magic(b"BZh9 - - [x"), Compression::None);
        // A zstd file that opens with a skippable frame.
        assert_eq!(
            Compression::from_magic(&[0x50, 0x2a, 0x4d, 0x18, 8, 0, 0, 0]),
            Compression::Zstd
        );
        assert_eq!(
            Compression::from_magic(&[0xfd, b'7', b'z', b'X', b'Z', 0]),
            Compression::Xz
        );
        assert_eq!(Compression::from_magic(b"1.2.3.4 - -"), Compression::None);
        assert_eq!(Compression::from_magic(b""), Compression::None);
        let lz4 = [0x04, 0x22, 0x4d, 0x18, 0x60];
        assert_eq!(Unsupported::from_magic(&lz4), Some(Unsupported::Lz4));
        let lzma = [0x5d, 0, 0, 0x80, 0];
        assert_eq!(Unsupported::from_magic(&lzma), Some(Unsupported::Lzma));
        assert_eq!(Unsupported::from_magic(b"1.2.3.4 - -"), None);
        // Text with `ustar` in place (`/honey-mustard` at byte 256) is not an archive; with
        // a checksum that adds up, it is.
        let mut tar = vec![b'x'; 512];
        tar[256..263].copy_from_slice(b"mustard");
        assert_eq!(Unsupported::archive(&tar), None);
        tar[148..156].fill(b' ');
        let sum: u32 = tar.iter().map(|&b| u32::from(b)).sum();
        tar[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        assert_eq!(Unsupported::archive(&tar), Some(Unsupported::Tar));
        assert_eq!(Unsupported::archive(&tar[..511]), None);
    }

    #[test]
    fn directory_walk_filters_and_sorts() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "access.log.2",
            "access.log",
            "error.log",
            ".hidden",
            "sub/access.log.1",
        ] {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"x\n").unwrap();
        }
        let all = expand_paths(&[dir.path().to_path_buf()], &DirFilter::default()).unwrap();
        let names: Vec<String> = all
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "access.log",
                "access.log.2",
                "error.log",
                "sub/access.log.1"
            ]
        );
        let filter = DirFilter::new(Some("access.log*")).unwrap();
        assert_eq!(
            expand_paths(&[dir.path().to_path_buf()], &filter)
                .unwrap()
                .len(),
            3
        );
        let pattern = dir.path().join("access.log*");
        assert_eq!(
            expand_paths(&[pattern], &DirFilter::default())
                .unwrap()
                .len(),
            2
        );
        let none = dir.path().join("nothing*");
        assert!(expand_paths(&[none], &DirFilter::default())
            .unwrap_err()
            .to_string()
            .contains("no files match"));
    }

    /// A glob's directories are walked as if named (`--include` and dot-files apply in them);
    /// its files are taken as named.
    #[test]
    fn a_glob_walks_the_directories_it_matches() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["top.log", "x/a.log", "x/.a.log", "x/b.txt", "y/a.log"] {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"x\n").unwrap();
        }
        let names = |pattern: &str, include: Option<&str>| -> Vec<String> {
            let filter = DirFilter::new(include).unwrap();
            expand_paths(&[dir.path().join(pattern)], &filter)
                .unwrap()
                .iter()
                .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
                .collect()
        };
        assert_eq!(
            names("*", None),
            ["top.log", "x/a.log", "x/b.txt", "y/a.log"]
        );
        assert_eq!(names("[xy]", Some("*.log")), ["x/a.log", "y/a.log"]);
        assert_eq!(names("*", Some("a.log")), ["top.log", "x/a.log", "y/a.log"]);
        // A dot-file, as in the shell, only when the pattern spells its dot.
        std::fs::write(dir.path().join(".top.log"), b"x\n").unwrap();
        assert_eq!(names("*.log", None), ["top.log"]);
        for hidden in ["?top.log", "[.]top.log"] {
            let pattern = dir.path().join(hidden);
            assert!(expand_paths(&[pattern], &DirFilter::default()).is_err());
        }
        assert_eq!(names("*/*a.log", None), ["x/a.log", "y/a.log"]);
        assert_eq!(names(".*", None), [".top.log"]);
        assert_eq!(names("**/*.log", None), ["top.log", "x/a.log", "y/a.log"]);
        std::fs::create_dir_all(dir.path().join(".d")).unwrap();
        std::fs::write(dir.path().join(".d/c.log"), b"x\n").unwrap();
        assert_eq!(names(".d/*", None), [".d/c.log"]);
        assert_eq!(names(".*/*.log", None), [".d/c.log"]);
        assert_eq!(names("**/.d/*", None), [".d/c.log"]);
        let unspelled = dir.path().join("**/c.log");
        assert!(expand_paths(&[unspelled], &DirFilter::default()).is_err());
        // `.*` matches `.` and `..` too: neither the directory again nor its parent is walked.
        assert_eq!(names("x/.*", None), ["x/.a.log"]);
    }

    /// A `.` or `..` the glob gave is taken only where the pattern spells it at that place,
    /// however glob writes its matches (a leading `./` dropped or kept, one `.` that `.*`
    /// matched dropped).
    #[test]
    fn dot_entries_are_taken_only_where_the_pattern_spells_them() {
        let hidden = |pattern: &str, path: &str| hidden_from_pattern(pattern, Path::new(path));
        for (pattern, walked) in [
            ("./.*", "./."),
            ("./.*", "./.."),
            (".*", "./.."),
            ("./x/.*", "x/."),
            ("./x/.*", "x/.."),
            ("x/.*", "x/."),
            ("x/../x/.*", "x/../x/.."),
            ("../p/x/.*", "../p/x/.."),
            ("x/./.*", "x/./."),
            (".*/top.log", "top.log"),
            (".*/*", ".dot.log"),
            (".*/**/a.log", "x/a.log"),
            (".*/**/a.log", "./../p/x/a.log"),
        ] {
            assert!(hidden(pattern, walked), "{pattern} took {walked}");
        }
        for (pattern, taken) in [
            ("./.*", ".dot.log"),
            ("./x/.*", "x/.h.log"),
            ("x/../x/.*", "x/../x/.h.log"),
            ("../p/x/.*", "../p/x/.h.log"),
            ("x/./.*", "x/./.h.log"),
            ("**/.h.log", "x/.h.log"),
            ("./**/.h.log", "x/.h.log"),
            ("*/..", "x/.."),
            ("../**/x", "../p/x"),
        ] {
            assert!(!hidden(pattern, taken), "{pattern} left out {taken}");
        }
    }

    /// A file logsql does not read is left out of a walk or glob, and named as such; named
    /// itself, or all a directory holds, it is an error.
    #[test]
    fn a_walk_leaves_out_a_file_logsql_does_not_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("d")).unwrap();
        std::fs::write(dir.path().join("d/app.log"), b"x\n").unwrap();
        let lz4 = dir.path().join("d/old.log.lz4");
        std::fs::write(&lz4, [0x04, 0x22, 0x4d, 0x18, 0x60]).unwrap();
        let find = |arg: &str| find_log_files(&[dir.path().join(arg)], &DirFilter::default());
        for arg in ["d", "d/*"] {
            let found = find(arg).unwrap();
            let names: Vec<_> = found.files.iter().map(|f| &f.name).collect();
            assert_eq!(names, [&dir.path().join("d/app.log").display().to_string()]);
            let lz4 = lz4.display().to_string();
            let left_out = [LeftOut {
                file: lz4,
                kind: Unsupported::Lz4,
            }];
            assert_eq!(found.left_out, left_out);
        }
        assert!(matches!(find("d/*.lz4"), Err(Error::BadInput(_))));
        assert!(matches!(
            find("d/old.log.lz4"),
            Err(Error::Unsupported { .. })
        ));
        std::fs::remove_file(dir.path().join("d/app.log")).unwrap();
        let error = find("d").unwrap_err().to_string();
        assert!(
            error.contains("no log files in this directory that logsql reads: "),
            "{error}"
        );
    }

    /// An `--include` that leaves out every file says so, not that there are no files.
    #[test]
    fn an_include_that_takes_nothing_says_how_many_files_it_left_out() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a/access.log", "a/error.log", "a/.hidden"] {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"x\n").unwrap();
        }
        let message = |arg: &str, include: &str| {
            let filter = DirFilter::new(Some(include)).unwrap();
            let arg = dir.path().join(arg);
            let error = expand_paths(std::slice::from_ref(&arg), &filter)
                .unwrap_err()
                .to_string();
            error.replace(&arg.display().to_string(), "ARG")
        };
        assert_eq!(
            message("a", "*.gz"),
            "ARG: 2 files in this directory, but none matches --include '*.gz'"
        );
        assert_eq!(
            message("a", "a/access.log"),
            "ARG: 2 files in this directory, but none matches --include 'a/access.log' \
             (--include matches file names, not paths)"
        );
        assert_eq!(
            message("[a]", "*.gz"),
            "ARG: 2 files in the directories it matches, but none matches --include '*.gz'"
        );
        std::fs::create_dir_all(dir.path().join("empty")).unwrap();
        assert_eq!(message("empty", "*"), "ARG: no log files in this directory");
    }

    /// A `[` meant literally (in a file's name) gets a hint to write it `[[]`.
    #[test]
    fn a_literal_bracket_gets_a_hint() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("app[prod]")).unwrap();
        std::fs::write(dir.path().join("app[prod]/access.log"), b"x\n").unwrap();
        let error = |pattern: &str| {
            let arg = dir.path().join(pattern);
            expand_paths(&[arg], &DirFilter::default())
                .unwrap_err()
                .to_string()
        };
        let hint = "a literal '[' is written '[[]' in a pattern";
        assert!(error("app[prod]/*.log").contains(hint));
        assert!(error("app[prod/*.log").contains(hint));
        assert!(!error("app[xy]/*.log").contains(hint));
        assert!(!error("nothing*").contains(hint));
        let escaped = dir.path().join("app[[]prod]/*.log");
        assert_eq!(
            expand_paths(&[escaped], &DirFilter::default())
                .unwrap()
                .len(),
            1
        );
        let include = DirFilter::new(Some("access[.log")).unwrap_err().to_string();
        assert!(include.contains(hint), "{include}");
    }

    /// A file reached through a link (as `/var/log/containers` links into `/var/log/pods`, or
    /// a hard link), or named twice, is read once; a link back up the tree does not loop.
    #[cfg(unix)]
    #[test]
    fn linked_and_repeated_files_are_taken_once() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("pods/web")).unwrap();
        std::fs::create_dir_all(root.join("containers")).unwrap();
        std::fs::write(root.join("pods/web/0.log"), b"x\n").unwrap();
        symlink(root.join("pods/web/0.log"), root.join("containers/web.log")).unwrap();
        symlink(root, root.join("pods/loop")).unwrap();
        let found = expand_paths(&[root.to_path_buf()], &DirFilter::default()).unwrap();
        assert_eq!(found, [root.join("containers/web.log")]);
        let twice = [
            root.join("pods/web"),
            root.join("pods/web/0.log"),
            root.join("pods/web"),
        ];
        let found = expand_paths(&twice, &DirFilter::default()).unwrap();
        assert_eq!(found, [root.join("pods/web/0.log")]);
        std::fs::hard_link(root.join("pods/web/0.log"), root.join("pods/web/1.log")).unwrap();
        let found = expand_paths(&[root.join("pods/web")], &DirFilter::default()).unwrap();
        assert_eq!(found, [root.join("pods/web/0.log")]);
        let hard = [root.join("pods/web/1.log"), root.join("pods/web/0.log")];
        let found = expand_paths(&hard, &DirFilter::default()).unwrap();
        assert_eq!(found, [root.join("pods/web/1.log")]);
    }

    /// A named pipe (`<(zcat x.gz)`) is read once, into a spool, not once per use.
    #[cfg(unix)]
    #[test]
    fn a_named_pipe_is_spooled() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(fifo, b"one\ntwo\n").unwrap())
        };
        let file = LogFile::open(&fifo, "pipe").unwrap();
        writer.join().unwrap();
        assert!(file.spool.is_some());
        for _ in 0..2 {
            let mut text = String::new();
            file.reader().unwrap().read_to_string(&mut text).unwrap();
            assert_eq!(text, "one\ntwo\n");
        }
    }

    /// Piped input is one stream while its copy goes on, and an ordinary file once it is
    /// complete; gzip on stdin is recognised from its first bytes.
    #[test]
    fn spooled_input_settles_into_a_plain_file() {
        let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
        struct Fed(std::sync::mpsc::Receiver<Vec<u8>>);
        impl Read for Fed {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let piece = self.0.recv().unwrap_or_default();
                buf[..piece.len()].copy_from_slice(&piece);
                Ok(piece.len())
            }
        }
        tx.send(b"line one\n".to_vec()).unwrap();
        let file = LogFile::spooled(Spool::start(Fed(rx)).unwrap(), "<stdin>").unwrap();
        assert_eq!(
            (file.compression, file.name.as_str()),
            (Compression::None, "<stdin>")
        );
        assert!(!file.is_splittable() && !file.settled().is_splittable());
        drop(tx);
        file.spool.as_ref().unwrap().wait().unwrap();
        let settled = file.settled();
        assert!(settled.is_splittable() && settled.spool.is_none());
        let mut text = String::new();
        settled.reader().unwrap().read_to_string(&mut text).unwrap();
        assert_eq!(text, "line one\n");

        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, b"zipped\n").unwrap();
        let gz: &'static [u8] = Box::leak(gz.finish().unwrap().into_boxed_slice());
        let file = LogFile::spooled(Spool::start(gz).unwrap(), "<stdin>").unwrap();
        assert_eq!(file.compression, Compression::Gzip);
        let mut text = String::new();
        file.stream().unwrap().read_to_string(&mut text).unwrap();
        assert_eq!(text, "zipped\n");
    }
}
