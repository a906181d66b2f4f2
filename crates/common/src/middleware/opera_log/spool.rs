//! The operation log's spool: a local append-only file of JSON lines (one [`OperaLogRecord`]
//! each) where rows wait while they cannot be written to the sink, and the offset file that says
//! how far it has been replayed.
//!
//! Layout: in `OPERA_LOG_SPOOL_DIR`, each process takes the first slot `n` whose data file
//! `opera-log.{n}.spool` it can lock ([`File::try_lock`], released when the process ends), so
//! two replicas sharing the directory never share a file; `opera-log.{n}.offset` holds the byte
//! offset of the first line not yet replayed (20 digits and a newline, rewritten in place and
//! synced after each replayed chunk). Once every line is replayed, the offset is set to 0 and
//! the data file emptied (in that order, under the append lock: a crash in between replays rows
//! the sink de-duplicates, never loses one).
//!
//! Appends are one `write` of whole lines under a `std::sync::Mutex` (no await while holding
//! it); they are synced in batches ([`Spool::sync`]), not per row. Replay reads go through the
//! same locked handle, a block at a time under that mutex. A torn last line (a crash in the
//! middle of a write) is cut off when the file is opened. On opening, the lines not yet
//! replayed of any other slot's file that no running process holds (a replica that is gone)
//! are moved to the end of ours and that file emptied, so fewer processes on a shared directory
//! still replay every row.
//!
//! This module owns the files; what goes into them and when it is replayed is the queue's
//! business.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::OperaLogRecord;

/// Slots tried before giving up (processes sharing one spool directory).
const MAX_SLOTS: usize = 256;

/// Rows replayed from the spool per sink call.
pub(super) const REPLAY_CHUNK: usize = 500;

/// Bytes read at most per replayed chunk (besides the row limit).
const CHUNK_MAX_BYTES: u64 = 8 * 1024 * 1024;

/// Block size of the scans at open (torn tail, pending lines).
const SCAN_BLOCK: usize = 64 * 1024;

/// Bytes read per locked read while replaying.
const READ_BLOCK: usize = 256 * 1024;

/// Where the spool lives and how large it may grow (`OPERA_LOG_SPOOL_DIR`,
/// `OPERA_LOG_SPOOL_MAX_BYTES`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolConfig {
    /// The directory holding the slots (created when missing).
    pub dir: PathBuf,
    /// Largest size of this process's spool file; rows beyond it are dropped and counted.
    pub max_bytes: u64,
}

impl SpoolConfig {
    /// The spool of `OPERA_LOG_SPOOL_DIR` and `OPERA_LOG_SPOOL_MAX_BYTES`.
    pub fn from_settings(settings: &fba_core_conf::OperaLogSettings) -> Self {
        Self {
            dir: settings.spool_dir.clone(),
            max_bytes: settings.spool_max_bytes,
        }
    }
}

/// The spool could not be opened or read at start-up.
#[derive(Debug, thiserror::Error)]
#[error("operation-log spool {}: {source}", path.display())]
pub struct SpoolError {
    /// The file or directory concerned.
    pub path: PathBuf,
    /// The OS error.
    #[source]
    pub source: io::Error,
}

impl SpoolError {
    fn at(path: &Path) -> impl FnOnce(io::Error) -> Self + '_ {
        move |source| Self {
            path: path.to_owned(),
            source,
        }
    }
}

/// One process's spool file, shared by the senders (appends when the queue is full) and the
/// writer task (appends, replay, truncation).
#[derive(Debug)]
pub(super) struct Spool {
    path: PathBuf,
    max_bytes: u64,
    appender: Mutex<Appender>,
    /// Mirror of `Appender::len` for readers that do not need the lock.
    len: AtomicU64,
    /// Lines written and not yet replayed.
    pending: AtomicU64,
    /// Appended since the last sync.
    dirty: AtomicBool,
    /// Rows are being spooled (set on the first append of an episode, cleared when drained).
    spooling: AtomicBool,
    /// A handle on the same file to sync without holding the append lock.
    sync_handle: File,
}

#[derive(Debug)]
struct Appender {
    /// Opened for appending; holds the slot's lock.
    file: File,
    /// Bytes in the file.
    len: u64,
    /// A failed write left a partial line: the next append starts with a newline.
    needs_newline: bool,
}

/// What an append did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Appended {
    /// Rows written to the file.
    pub(super) rows: u64,
    /// Rows that did not fit under the size bound, or that a failed write lost.
    pub(super) dropped: u64,
    /// The file's size after the append (the end of the last row written).
    pub(super) end: u64,
    /// This append started a spooling episode (the spool held nothing before).
    pub(super) started: bool,
}

/// What opening found from earlier runs.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Recovered {
    /// Lines not yet replayed (adopted ones included).
    pub(super) pending: u64,
    /// Torn last lines cut off (ours and adopted files').
    pub(super) torn: u64,
    /// The offset file could not be trusted: replay starts at 0 and checks every chunk.
    pub(super) suspect_offset: bool,
    /// Lines moved here from spool files no running process holds.
    pub(super) adopted: u64,
    /// Chunks starting before this offset may hold rows already written: ask the sink.
    pub(super) uncertain_until: u64,
}

/// The replay position, owned by the writer task.
#[derive(Debug)]
pub(super) struct Cursor {
    offset_file: File,
    offset: u64,
}

/// Lines read from the spool for one replay step.
#[derive(Debug, Default)]
pub(super) struct Chunk {
    /// The rows, in file order.
    pub(super) rows: Vec<OperaLogRecord>,
    /// For each row: the offset just after its line, and the lines read up to there.
    pub(super) marks: Vec<(u64, u64)>,
    /// The offset after the last line read.
    pub(super) end: u64,
    /// Lines read (rows and unreadable lines).
    pub(super) lines: u64,
    /// Lines that were not a row (skipped).
    pub(super) bad: u64,
}

impl Spool {
    /// Takes the first free slot of `config.dir`, cuts a torn last line and reads the replay
    /// offset.
    ///
    /// # Errors
    /// [`SpoolError`] when the directory or a file cannot be created, locked or read, or every
    /// slot is taken.
    pub(super) fn open(config: &SpoolConfig) -> Result<(Self, Cursor, Recovered), SpoolError> {
        std::fs::create_dir_all(&config.dir).map_err(SpoolError::at(&config.dir))?;
        let (slot, path, mut file) = take_slot(&config.dir)?;
        let offset_path = config.dir.join(format!("opera-log.{slot}.offset"));
        let mut offset_file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&offset_path)
            .map_err(SpoolError::at(&offset_path))?;
        let own = left_over(&mut file, Some(&mut offset_file)).map_err(SpoolError::at(&path))?;
        let (mut len, offset) = (own.len, own.offset);
        let mut recovered = Recovered {
            torn: u64::from(own.torn),
            suspect_offset: own.suspect,
            ..Recovered::default()
        };
        if len > offset {
            // The first chunk may have been written before the offset was saved.
            recovered.uncertain_until = if own.suspect { len } else { offset + 1 };
        }
        adopt_orphans(&config.dir, slot, &mut file, &mut len, &mut recovered)?;
        recovered.pending = count_lines(&mut file, offset, len).map_err(SpoolError::at(&path))?;
        let sync_handle = file.try_clone().map_err(SpoolError::at(&path))?;
        let spool = Self {
            path,
            max_bytes: config.max_bytes,
            appender: Mutex::new(Appender {
                file,
                len,
                needs_newline: false,
            }),
            len: AtomicU64::new(len),
            pending: AtomicU64::new(recovered.pending),
            dirty: AtomicBool::new(false),
            spooling: AtomicBool::new(len > offset),
            sync_handle,
        };
        let cursor = Cursor {
            offset_file,
            offset,
        };
        Ok((spool, cursor, recovered))
    }

    /// The data file of this process's slot.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Lines written and not yet replayed.
    pub(super) fn pending(&self) -> u64 {
        self.pending.load(Ordering::Relaxed)
    }

    /// Bytes in the file.
    pub(super) fn len(&self) -> u64 {
        self.len.load(Ordering::Acquire)
    }

    /// Appends `rows` as JSON lines in one write; rows that would take the file beyond its
    /// bound are not written (counted in [`Appended::dropped`]).
    pub(super) fn append(&self, rows: &[OperaLogRecord]) -> Appended {
        let mut lines = Vec::with_capacity(rows.len() * 512);
        let mut ends = Vec::with_capacity(rows.len());
        let mut unserialisable = 0;
        for row in rows {
            let start = lines.len();
            if serde_json::to_writer(&mut lines, row).is_err() {
                lines.truncate(start);
                unserialisable += 1;
                continue;
            }
            lines.push(b'\n');
            ends.push(lines.len());
        }
        let mut out = Appended {
            dropped: unserialisable,
            ..Appended::default()
        };
        let mut app = self.lock();
        let lead = usize::from(app.needs_newline);
        let room = self
            .max_bytes
            .saturating_sub(app.len)
            .saturating_sub(lead as u64);
        let fit = ends.partition_point(|end| (*end as u64) <= room);
        out.dropped += (ends.len() - fit) as u64;
        out.end = app.len;
        if fit == 0 {
            return out;
        }
        let bytes = &lines[..ends[fit - 1]];
        let result = if lead == 1 {
            let mut joined = Vec::with_capacity(bytes.len() + 1);
            joined.push(b'\n');
            joined.extend_from_slice(bytes);
            app.file.write_all(&joined)
        } else {
            app.file.write_all(bytes)
        };
        match result {
            Ok(()) => {
                app.len += (bytes.len() + lead) as u64;
                app.needs_newline = false;
                out.rows = fit as u64;
                out.end = app.len;
                self.len.store(app.len, Ordering::Release);
                self.pending.fetch_add(fit as u64, Ordering::Relaxed);
                self.dirty.store(true, Ordering::Release);
                out.started = !self.spooling.swap(true, Ordering::AcqRel);
            }
            Err(e) => {
                // Take the partial write back; failing that, keep the file's real size and end
                // the partial line with the next append (it is then skipped as unreadable).
                if app.file.set_len(app.len).is_err() {
                    if let Ok(meta) = app.file.metadata() {
                        app.len = meta.len();
                        self.len.store(app.len, Ordering::Release);
                    }
                    app.needs_newline = true;
                }
                tracing::error!(path = %self.path.display(), error = %e, rows = fit, "opera log: writing to the spool failed");
                out.dropped += fit as u64;
                out.end = app.len;
            }
        }
        out
    }

    /// Syncs the file's data when something was appended since the last sync.
    ///
    /// # Errors
    /// The OS error of `fdatasync` (the data stays marked unsynced).
    pub(super) fn sync(&self) -> io::Result<()> {
        if !self.dirty.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        self.sync_handle.sync_data().inspect_err(|_| {
            self.dirty.store(true, Ordering::Release);
        })
    }

    /// Whether something was appended since the last sync.
    pub(super) fn is_dirty(&self) -> bool {
        self.dirty.load(Ordering::Acquire)
    }

    /// Reads at `offset` through the locked handle, under the append lock (the handle appends
    /// at the end whatever its position, and another handle could not read a file locked on
    /// every platform).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let mut app = self.lock();
        read_at(&mut app.file, offset, buf)
    }

    fn lock(&self) -> MutexGuard<'_, Appender> {
        self.appender.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Cursor {
    /// The offset of the first line not yet replayed.
    pub(super) fn offset(&self) -> u64 {
        self.offset
    }

    /// Whether the spool holds lines after the cursor.
    pub(super) fn has_pending(&self, spool: &Spool) -> bool {
        spool.len() > self.offset
    }

    /// Reads up to `max_rows` complete lines after the cursor (without moving it). Lines that
    /// are not a row are counted in [`Chunk::bad`] and logged.
    ///
    /// # Errors
    /// An OS error reading the file.
    pub(super) fn read_chunk(&mut self, spool: &Spool, max_rows: usize) -> io::Result<Chunk> {
        let end = spool.len();
        let mut chunk = Chunk {
            end: self.offset,
            ..Chunk::default()
        };
        if end <= self.offset {
            return Ok(chunk);
        }
        let mut reader = BufReader::with_capacity(
            READ_BLOCK,
            SpoolReader {
                spool,
                pos: self.offset,
                end,
            },
        );
        let mut line = Vec::new();
        while chunk.rows.len() < max_rows && chunk.end - self.offset < CHUNK_MAX_BYTES {
            line.clear();
            let n = reader.read_until(b'\n', &mut line)?;
            // The end, or a line a failed write left unfinished (finished by the next append).
            if n == 0 || line.last() != Some(&b'\n') {
                break;
            }
            chunk.end += n as u64;
            chunk.lines += 1;
            match serde_json::from_slice::<OperaLogRecord>(&line[..n - 1]) {
                Ok(row) => {
                    chunk.rows.push(row);
                    chunk.marks.push((chunk.end, chunk.lines));
                }
                Err(e) => {
                    chunk.bad += 1;
                    tracing::error!(path = %spool.path.display(), offset = chunk.end - n as u64, error = %e, "opera log: unreadable spool line skipped");
                }
            }
        }
        Ok(chunk)
    }

    /// Moves the cursor to `offset`, past `lines` lines, and records it in the offset file.
    ///
    /// # Errors
    /// An OS error writing or syncing the offset file (the cursor has moved all the same: a
    /// restart then replays from the older offset, de-duplicating).
    pub(super) fn advance(&mut self, spool: &Spool, offset: u64, lines: u64) -> io::Result<()> {
        self.offset = offset;
        let _ = spool
            .pending
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |p| {
                Some(p.saturating_sub(lines))
            });
        self.persist(offset)
    }

    /// When every line is replayed (and nothing was appended meanwhile), empties the file and
    /// sets the offset to 0; returns whether it did.
    ///
    /// # Errors
    /// An OS error writing the offset or truncating the file (the spool is left as it was).
    pub(super) fn finish_if_drained(&mut self, spool: &Spool) -> io::Result<bool> {
        let mut app = spool.lock();
        if app.len != self.offset {
            return Ok(false);
        }
        spool.spooling.store(false, Ordering::Release);
        if app.len == 0 {
            return Ok(true);
        }
        self.persist(0)?;
        if let Err(e) = app.file.set_len(0) {
            let _ = self.persist(self.offset);
            spool.spooling.store(true, Ordering::Release);
            return Err(e);
        }
        app.len = 0;
        app.needs_newline = false;
        spool.len.store(0, Ordering::Release);
        spool.pending.store(0, Ordering::Relaxed);
        self.offset = 0;
        Ok(true)
    }

    fn persist(&mut self, offset: u64) -> io::Result<()> {
        write_offset(&mut self.offset_file, offset)
    }
}

/// Opens and locks the first free slot's data file.
fn take_slot(dir: &Path) -> Result<(usize, PathBuf, File), SpoolError> {
    for slot in 0..MAX_SLOTS {
        let path = dir.join(format!("opera-log.{slot}.spool"));
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(SpoolError::at(&path))?;
        match file.try_lock() {
            Ok(()) => return Ok((slot, path, file)),
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => return Err(SpoolError::at(&path)(e)),
        }
    }
    Err(SpoolError::at(dir)(io::Error::other(format!(
        "all {MAX_SLOTS} spool slots are locked by other processes"
    ))))
}

/// `Read` over `[pos, end)` of the spool, one locked read at a time.
struct SpoolReader<'a> {
    spool: &'a Spool,
    pos: u64,
    end: u64,
}

impl Read for SpoolReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = usize::try_from(self.end.saturating_sub(self.pos))
            .unwrap_or(usize::MAX)
            .min(buf.len());
        if want == 0 {
            return Ok(0);
        }
        let n = self.spool.read_at(self.pos, &mut buf[..want])?;
        self.pos += n as u64;
        Ok(n)
    }
}

fn read_at(file: &mut File, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    file.seek(SeekFrom::Start(offset))?;
    file.read(buf)
}

/// Writes `offset` into an offset file (20 digits and a newline, in place) and syncs it.
fn write_offset(file: &mut File, offset: u64) -> io::Result<()> {
    file.seek(SeekFrom::Start(0))?;
    file.write_all(format!("{offset:020}\n").as_bytes())?;
    file.sync_data()
}

/// The state a spool file was left in.
struct LeftOver {
    /// Its length, a torn last line cut off.
    len: u64,
    /// The replay offset of its offset file (0 when missing or not to be trusted).
    offset: u64,
    /// A torn last line was cut off.
    torn: bool,
    /// The offset file held something that is not a line start of the file.
    suspect: bool,
}

/// Cuts a torn last line off `file` and reads the replay offset from `offset_file`.
fn left_over(file: &mut File, offset_file: Option<&mut File>) -> io::Result<LeftOver> {
    let mut len = file.metadata()?.len();
    let cut = torn_tail(file, len)?;
    let torn = cut < len;
    if torn {
        file.set_len(cut)?;
        len = cut;
    }
    let mut text = String::new();
    if let Some(offset_file) = offset_file {
        offset_file.read_to_string(&mut text)?;
    }
    let (mut offset, mut suspect) = match text.trim() {
        "" => (0, false),
        t => t.parse::<u64>().map_or((0, true), |o| (o, false)),
    };
    if offset > len || !at_line_start(file, offset)? {
        offset = 0;
        suspect = true;
    }
    Ok(LeftOver {
        len,
        offset,
        torn,
        suspect,
    })
}

/// The slot of a data file name (`opera-log.{slot}.spool`).
fn slot_of(name: &std::ffi::OsStr) -> Option<usize> {
    name.to_str()?
        .strip_prefix("opera-log.")?
        .strip_suffix(".spool")?
        .parse()
        .ok()
}

/// Moves the lines not yet replayed of the spool files no running process holds (a replica
/// that is gone, with fewer processes on the directory now) to the end of ours (`file`, `len`
/// bytes), syncs them, then empties those files. Their first chunk (every line when their
/// offset is suspect) is marked for the already-written check.
fn adopt_orphans(
    dir: &Path,
    own: usize,
    file: &mut File,
    len: &mut u64,
    recovered: &mut Recovered,
) -> Result<(), SpoolError> {
    for entry in std::fs::read_dir(dir).map_err(SpoolError::at(dir))? {
        let entry = entry.map_err(SpoolError::at(dir))?;
        let Some(slot) = slot_of(&entry.file_name()).filter(|s| *s != own) else {
            continue;
        };
        let path = entry.path();
        let mut other = match OpenOptions::new().read(true).write(true).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(SpoolError::at(&path)(e)),
        };
        match other.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => continue,
            Err(std::fs::TryLockError::Error(e)) => return Err(SpoolError::at(&path)(e)),
        }
        let offset_path = dir.join(format!("opera-log.{slot}.offset"));
        let mut offset_file = match OpenOptions::new().read(true).write(true).open(&offset_path) {
            Ok(f) => Some(f),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(SpoolError::at(&offset_path)(e)),
        };
        let left = left_over(&mut other, offset_file.as_mut()).map_err(SpoolError::at(&path))?;
        recovered.torn += u64::from(left.torn);
        if left.len > left.offset {
            let start = *len;
            let copied = copy_lines(&mut other, left.offset, left.len, file, start, left.suspect)
                .and_then(|c| file.sync_data().map(|()| c));
            let (lines, check_until) = match copied {
                Ok(c) => c,
                Err(e) => {
                    let _ = file.set_len(start);
                    return Err(SpoolError::at(&path)(e));
                }
            };
            *len += left.len - left.offset;
            recovered.adopted += lines;
            recovered.uncertain_until = recovered.uncertain_until.max(check_until);
        }
        // Emptied once its rows are safe in ours: the offset first, then the data.
        if let Some(offset_file) = offset_file.as_mut() {
            write_offset(offset_file, 0).map_err(SpoolError::at(&offset_path))?;
        }
        other.set_len(0).map_err(SpoolError::at(&path))?;
    }
    Ok(())
}

/// Appends `[from, to)` of `src` (whole lines) to `dst`, whose length is `at`; returns the
/// lines copied and the offset in `dst` after the first [`REPLAY_CHUNK`] of them (after all of
/// them when `check_all`).
fn copy_lines(
    src: &mut File,
    from: u64,
    to: u64,
    dst: &mut File,
    at: u64,
    check_all: bool,
) -> io::Result<(u64, u64)> {
    let mut buf = vec![0u8; SCAN_BLOCK];
    let (mut pos, mut lines) = (from, 0u64);
    let mut check_until = at + (to - from);
    while pos < to {
        let want = usize::try_from(to - pos)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = read_at(src, pos, &mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
        }
        dst.write_all(&buf[..n])?;
        for (i, byte) in buf[..n].iter().enumerate() {
            if *byte == b'\n' {
                lines += 1;
                if lines == REPLAY_CHUNK as u64 && !check_all {
                    check_until = at + (pos - from) + i as u64 + 1;
                }
            }
        }
        pos += n as u64;
    }
    Ok((lines, check_until))
}

/// The length without a torn last line: after the last newline (`len` when the file ends with
/// one or is empty).
fn torn_tail(file: &mut File, len: u64) -> io::Result<u64> {
    let mut buf = vec![0u8; SCAN_BLOCK];
    let mut end = len;
    while end > 0 {
        let start = end.saturating_sub(SCAN_BLOCK as u64);
        let block = &mut buf[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(block)?;
        if end == len && block.last() == Some(&b'\n') {
            return Ok(len);
        }
        if let Some(i) = block.iter().rposition(|b| *b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// Whether `offset` starts a line (0, or just after a newline).
fn at_line_start(file: &mut File, offset: u64) -> io::Result<bool> {
    if offset == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::Start(offset - 1))?;
    let mut byte = [0u8; 1];
    file.read_exact(&mut byte)?;
    Ok(byte[0] == b'\n')
}

/// Newlines in `[from, to)`.
fn count_lines(file: &mut File, from: u64, to: u64) -> io::Result<u64> {
    let mut buf = vec![0u8; SCAN_BLOCK];
    let mut lines = 0u64;
    let mut pos = from;
    while pos < to {
        let want = usize::try_from(to - pos)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = read_at(file, pos, &mut buf[..want])?;
        if n == 0 {
            break;
        }
        lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        pos += n as u64;
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::middleware::opera_log::fixtures::{self, temp_dir};

    /// A row whose args and cost must survive the JSON round trip.
    fn row(id: &str) -> OperaLogRecord {
        OperaLogRecord {
            args: Some(serde_json::json!({"json": {"z": 1.797_693_134_862_315_7e308}})),
            cost_time: 1.25,
            ..fixtures::row(id)
        }
    }

    #[test]
    fn rows_round_trip_and_replay_moves_the_persisted_offset() {
        let dir = temp_dir();
        let config = SpoolConfig {
            dir: dir.clone(),
            max_bytes: 1 << 20,
        };
        let rows = vec![row("a"), row("b"), row("c")];
        {
            let (spool, mut cursor, recovered) = Spool::open(&config).unwrap();
            assert_eq!(recovered, Recovered::default());
            let appended = spool.append(&rows);
            assert_eq!((appended.rows, appended.dropped), (3, 0));
            assert!(appended.started);
            assert!(!spool.append(&[]).started);
            spool.sync().unwrap();
            let chunk = cursor.read_chunk(&spool, 2).unwrap();
            assert_eq!(chunk.rows, rows[..2]);
            cursor.advance(&spool, chunk.end, chunk.lines).unwrap();
            assert_eq!(spool.pending(), 1);
        }
        // Reopened: the replayed rows are not read again.
        let (spool, mut cursor, recovered) = Spool::open(&config).unwrap();
        assert_eq!(recovered.pending, 1);
        let chunk = cursor.read_chunk(&spool, 10).unwrap();
        assert_eq!(chunk.rows, rows[2..]);
        cursor.advance(&spool, chunk.end, chunk.lines).unwrap();
        assert!(cursor.finish_if_drained(&spool).unwrap());
        assert_eq!((spool.len(), cursor.offset(), spool.pending()), (0, 0, 0));
        drop((spool, cursor));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_corrupt_offset_replays_from_the_start_and_says_so() {
        let dir = temp_dir();
        let config = SpoolConfig {
            dir: dir.clone(),
            max_bytes: 1 << 20,
        };
        {
            let (spool, _, _) = Spool::open(&config).unwrap();
            spool.append(&[row("a"), row("b")]);
        }
        std::fs::write(dir.join("opera-log.0.offset"), "7\n").unwrap();
        let (spool, mut cursor, recovered) = Spool::open(&config).unwrap();
        assert!(recovered.suspect_offset);
        assert_eq!(recovered.pending, 2);
        assert_eq!(cursor.read_chunk(&spool, 10).unwrap().rows.len(), 2);
        drop((spool, cursor));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
