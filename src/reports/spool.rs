//! The on-disk spool: batches the database could not take wait here, in
//! order, until it answers again. One append-only file of records, each a
//! 24-byte header (magic `RSP1`, payload length, report count, CRC-32 of the
//! rest, spool time in ms) and a JSON payload; a sidecar file holds how far
//! replay got. A record is consumed only after its batch committed (replay
//! is idempotent: the batch id is written in the same transaction), and the
//! file is truncated once everything in it is stored. The directory is
//! locked for the life of the process: a second instance cannot use it.
//!
//! Damage (a record torn by a kill mid-write, a flipped bit) costs only the
//! damaged record: the reader resynchronises at the next intact record (its
//! magic, length and checksum all agree), counts the reports the damaged
//! record's header claims (when the header can be read; otherwise the bytes
//! lost are reported, their reports unknown), and at start the damaged file
//! is moved aside as `spool.dat.damaged-<time>` (the newest
//! [`KEEP_DAMAGED`] are kept) while a clean file with every intact record
//! takes its place.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};

use super::browser::{BrowserKey, BrowserSample};
use super::report::{NewCspReport, ViolationKey};

const MAGIC: &[u8; 4] = b"RSP1";
const HEADER: u64 = 24;
/// The most a record may claim (a batch of 2,000 bounded reports is far below).
const MAX_PAYLOAD: u32 = 256 << 20;
/// Damaged spool files kept for inspection; older ones are deleted.
pub(crate) const KEEP_DAMAGED: usize = 3;
/// The data file's name, and the prefix of its damaged copies.
const DATA: &str = "spool.dat";
const DAMAGED_PREFIX: &str = "spool.dat.damaged-";

/// One violation key of a spooled batch.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct SpooledGroup {
    pub(crate) key: ViolationKey,
    pub(crate) hits: i64,
    /// The first report, a sample while the key has room.
    pub(crate) report: NewCspReport,
    pub(crate) at: DateTime<Utc>,
}

/// One key of a spooled batch's other browser reports (COEP, NEL...).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct SpooledBrowserGroup {
    pub(crate) key: BrowserKey,
    pub(crate) hits: i64,
    /// The first report, a sample while the key has room.
    pub(crate) sample: BrowserSample,
    pub(crate) at: DateTime<Utc>,
}

/// A batch as spooled: its id (written with it, so a replay applies it once) and its groups.
/// A batch of CSP reports only is written as before the other types came
/// (`browser` left out), so older spools read the same.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct SpooledBatch {
    pub(crate) id: String,
    pub(crate) groups: Vec<SpooledGroup>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) browser: Vec<SpooledBrowserGroup>,
}

impl SpooledBatch {
    pub(crate) fn reports(&self) -> u64 {
        let csp: u64 = self.groups.iter().map(|g| g.hits.max(0) as u64).sum();
        csp + self.browser.iter().map(|g| g.hits.max(0) as u64).sum::<u64>()
    }
}

/// Why the spool could not be opened or written.
#[derive(Debug)]
pub(crate) enum SpoolError {
    /// Another process holds the directory's lock.
    Locked(PathBuf),
    /// The spool would grow beyond `spool_max_bytes`.
    Full,
    Io(std::io::Error),
}

impl std::fmt::Display for SpoolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SpoolError::Locked(dir) => write!(
                f,
                "{} is in use by another running instance; give each instance a `security.reports.spool_dir` \
                 of its own",
                dir.display()
            ),
            SpoolError::Full => f.write_str("the spool is full (`security.reports.spool_max_bytes`)"),
            SpoolError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl From<std::io::Error> for SpoolError {
    fn from(e: std::io::Error) -> Self {
        SpoolError::Io(e)
    }
}

/// What a start found in the spool of an earlier run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Recovered {
    /// Reports in intact records, to replay.
    pub(crate) reports: u64,
    /// Records skipped as torn or corrupted (unreadable ones included).
    pub(crate) corrupt_records: u64,
    /// The reports the skipped records' headers claim.
    pub(crate) corrupt_reports: u64,
    /// Skipped records whose header is unreadable too, and their bytes: their reports are not known.
    pub(crate) unreadable_records: u64,
    pub(crate) unreadable_bytes: u64,
    /// Where the damaged file was moved.
    pub(crate) kept: Option<PathBuf>,
}

impl Recovered {
    /// The line a start logs (WARN) when the spool held anything.
    pub(crate) fn summary(&self, dir: &Path) -> String {
        let mut line = format!(
            "CSP report spool {}: {} report(s) from an earlier run to store; {} torn or corrupted record(s) skipped \
             ({} report(s)",
            dir.display(),
            self.reports,
            self.corrupt_records,
            self.corrupt_reports
        );
        if self.corrupt_records > 0 {
            line.push_str(", as their headers claim");
        }
        if self.unreadable_records > 0 {
            line.push_str(&format!(
                "; {} of them unreadable, {} byte(s) whose reports are not known",
                self.unreadable_records, self.unreadable_bytes
            ));
        }
        line.push(')');
        if let Some(kept) = &self.kept {
            line.push_str(&format!("; the damaged file is kept as {}", kept.display()));
        }
        line
    }
}

/// The next record to replay.
pub(crate) enum Next {
    Batch {
        batch: SpooledBatch,
        reports: u64,
        end: u64,
    },
    /// Skipped (torn, corrupted): `reports` as its header claims (0 when unreadable).
    Corrupt {
        reports: u64,
        end: u64,
    },
}

/// An open, locked spool.
pub(crate) struct Spool {
    dir: PathBuf,
    data: File,
    _lock: File,
    max_bytes: u64,
    /// Bytes in the data file.
    len: u64,
    /// Where replay resumes (everything before it is stored).
    offset: u64,
    /// Reports in the records after `offset`.
    pending: u64,
    /// When the oldest pending record was spooled.
    oldest: Option<DateTime<Utc>>,
}

struct Header {
    payload: u32,
    reports: u32,
    crc: u32,
    at_ms: i64,
}

fn checksum(payload_len: u32, reports: u32, at_ms: i64, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&payload_len.to_le_bytes());
    h.update(&reports.to_le_bytes());
    h.update(&at_ms.to_le_bytes());
    h.update(payload);
    h.finalize()
}

/// The header's fields, whatever its magic says.
fn fields(b: &[u8; HEADER as usize]) -> Header {
    let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let mut at = [0u8; 8];
    at.copy_from_slice(&b[16..24]);
    Header { payload: u32_at(4), reports: u32_at(8), crc: u32_at(12), at_ms: i64::from_le_bytes(at) }
}

/// The header, if it starts with the magic and claims a payload within bounds.
fn parse_header(b: &[u8; HEADER as usize]) -> Option<Header> {
    let h = fields(b);
    (&b[0..4] == MAGIC && h.payload <= MAX_PAYLOAD).then_some(h)
}

/// One record's bytes: header and payload.
fn encode(batch: &SpooledBatch, at_ms: i64) -> Result<Vec<u8>, SpoolError> {
    let payload = serde_json::to_vec(batch).map_err(|e| SpoolError::Io(std::io::Error::other(e)))?;
    if payload.len() as u64 > u64::from(MAX_PAYLOAD) {
        return Err(SpoolError::Full);
    }
    let reports = batch.reports().min(u64::from(u32::MAX)) as u32;
    let mut record = Vec::with_capacity(HEADER as usize + payload.len());
    record.extend_from_slice(MAGIC);
    record.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    record.extend_from_slice(&reports.to_le_bytes());
    record.extend_from_slice(&checksum(payload.len() as u32, reports, at_ms, &payload).to_le_bytes());
    record.extend_from_slice(&at_ms.to_le_bytes());
    record.extend_from_slice(&payload);
    Ok(record)
}

/// What the reader finds at an offset.
enum Found {
    /// A record whose magic, length, checksum and JSON are all right.
    Intact { batch: SpooledBatch, reports: u64, at_ms: i64, end: u64 },
    /// A damaged record: it ends at the next intact record (or where its
    /// intact header says). `claimed`: the reports its header claims, `None`
    /// when the header cannot be read either.
    Damaged { claimed: Option<u64>, end: u64 },
}

/// The 24 header bytes at `at`, if the file holds that many there.
fn header_at<R: Read + Seek>(r: &mut R, at: u64, len: u64) -> std::io::Result<Option<[u8; HEADER as usize]>> {
    if len.saturating_sub(at) < HEADER {
        return Ok(None);
    }
    r.seek(SeekFrom::Start(at))?;
    let mut b = [0u8; HEADER as usize];
    r.read_exact(&mut b)?;
    Ok(Some(b))
}

/// Whether a record marker at `at` checks out: magic, a length that fits the file, and the checksum
/// (read in pieces, so a damaged length never makes the reader allocate what it claims).
fn marker_at<R: Read + Seek>(r: &mut R, at: u64, len: u64) -> std::io::Result<bool> {
    let Some(h) = header_at(r, at, len)?.as_ref().and_then(parse_header) else { return Ok(false) };
    if len - at - HEADER < u64::from(h.payload) {
        return Ok(false);
    }
    let mut crc = crc32fast::Hasher::new();
    crc.update(&h.payload.to_le_bytes());
    crc.update(&h.reports.to_le_bytes());
    crc.update(&h.at_ms.to_le_bytes());
    let mut left = u64::from(h.payload);
    let mut buf = vec![0u8; 64 << 10];
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        r.read_exact(&mut buf[..n])?;
        crc.update(&buf[..n]);
        left -= n as u64;
    }
    Ok(crc.finalize() == h.crc)
}

/// The first offset from `from` on where an intact record marker starts, or `len`.
fn resync<R: Read + Seek>(r: &mut R, from: u64, len: u64) -> std::io::Result<u64> {
    const CHUNK: usize = 64 << 10;
    let mut buf = vec![0u8; CHUNK];
    let mut start = from;
    while start + HEADER <= len {
        let n = (len - start).min(CHUNK as u64) as usize;
        r.seek(SeekFrom::Start(start))?;
        r.read_exact(&mut buf[..n])?;
        let candidates: Vec<u64> = buf[..n]
            .windows(MAGIC.len())
            .enumerate()
            .filter(|(_, w)| *w == MAGIC)
            .map(|(i, _)| start + i as u64)
            .collect();
        for at in candidates {
            if marker_at(r, at, len)? {
                return Ok(at);
            }
        }
        if start + n as u64 >= len {
            break;
        }
        // The next chunk overlaps by a magic's length less one, so no marker is split.
        start += (n - (MAGIC.len() - 1)) as u64;
    }
    Ok(len)
}

/// The record at `at` of a file of `len` bytes, if any.
/// Most reports one record can hold: a writer's batch (`sink::BATCH`, 2,000)
/// plus what the queue's overflow adds to it (`queue::OVERFLOW_BATCH`, 256);
/// a test in `sink` keeps the three in step.
pub(crate) const MAX_RECORD_REPORTS: u64 = 2_256;

fn found_at<R: Read + Seek>(r: &mut R, at: u64, len: u64) -> std::io::Result<Option<Found>> {
    if at >= len {
        return Ok(None);
    }
    let header = header_at(r, at, len)?;
    if let Some(h) = header.as_ref().and_then(parse_header)
        && len - at - HEADER >= u64::from(h.payload)
    {
        let mut payload = vec![0u8; h.payload as usize];
        r.read_exact(&mut payload)?;
        if checksum(h.payload, h.reports, h.at_ms, &payload) == h.crc
            && let Ok(batch) = serde_json::from_slice::<SpooledBatch>(&payload)
        {
            let end = at + HEADER + u64::from(h.payload);
            return Ok(Some(Found::Intact { batch, reports: u64::from(h.reports), at_ms: h.at_ms, end }));
        }
    }
    let next = resync(r, at + 1, len)?;
    let Some(b) = header else { return Ok(Some(Found::Damaged { claimed: None, end: next })) };
    let h = fields(&b);
    if u64::from(h.reports) > MAX_RECORD_REPORTS {
        // A count no record can hold (a flipped high bit): not trusted.
        return Ok(Some(Found::Damaged { claimed: None, end: next }));
    }
    let claimed_end = at + HEADER + u64::from(h.payload);
    Ok(Some(if &b[0..4] == MAGIC {
        // The magic holds: trust the count; a shorter length ends the record early
        // (what lies between is read on its own).
        Found::Damaged { claimed: Some(u64::from(h.reports)), end: claimed_end.min(next) }
    } else if claimed_end == next {
        // Only the magic is wrong: the length leads exactly to the next record.
        Found::Damaged { claimed: Some(u64::from(h.reports)), end: next }
    } else {
        Found::Damaged { claimed: None, end: next }
    }))
}

/// Reads a whole spool file (`bytes`) as a start does, for the fuzz target:
/// the intact records' reports, and the damaged ones' count. Never panics;
/// every byte belongs to exactly one record, intact or damaged. It also reads
/// three intact records with `bytes` XORed over them, so the fuzzer reaches
/// past the checksum.
///
/// ```
/// assert_eq!(rocket_security::reports::fuzz_spool_reader(b"RSP1 not a record"), (0, 1));
/// ```
#[doc(hidden)]
pub fn fuzz_spool_reader(bytes: &[u8]) -> (u64, u64) {
    let batch = |i: usize| SpooledBatch {
        id: format!("b{i}"),
        groups: vec![SpooledGroup {
            key: ViolationKey::default(),
            hits: 1 + i as i64,
            report: NewCspReport::default(),
            at: DateTime::<Utc>::default(),
        }],
        browser: vec![],
    };
    let mut damaged: Vec<u8> = (0..3).flat_map(|i| encode(&batch(i), 0).unwrap_or_default()).collect();
    for (b, mask) in damaged.iter_mut().zip(bytes) {
        *b ^= mask;
    }
    read_all(&damaged);
    read_all(bytes)
}

/// Every record of `bytes`: (reports in intact ones, damaged ones).
fn read_all(bytes: &[u8]) -> (u64, u64) {
    let len = bytes.len() as u64;
    let mut r = std::io::Cursor::new(bytes);
    let (mut at, mut reports, mut damaged) = (0u64, 0u64, 0u64);
    while let Some(found) = found_at(&mut r, at, len).unwrap_or_else(|e| panic!("reading memory: {e}")) {
        let end = match found {
            Found::Intact { reports: n, end, .. } => {
                reports += n;
                end
            }
            Found::Damaged { end, .. } => {
                damaged += 1;
                end
            }
        };
        assert!(end > at && end <= len, "a record from {at} must end after it, within {len}: {end}");
        at = end;
    }
    (reports, damaged)
}

/// Writes `offset` to the sidecar, durably (the file, then the rename).
fn write_offset(dir: &Path, offset: u64) -> std::io::Result<()> {
    let tmp = dir.join("spool.offset.tmp");
    let mut f = File::create(&tmp)?;
    f.write_all(offset.to_string().as_bytes())?;
    f.sync_all()?;
    std::fs::rename(tmp, dir.join("spool.offset"))?;
    // The rename itself, durable.
    File::open(dir)?.sync_all()
}

/// Moves the damaged data file aside and puts a file of its `intact` records
/// (byte ranges) in its place; returns the copy's path. Each step leaves a
/// file the next start reads correctly: until the final rename the damaged
/// file is still `spool.dat` (offset 0 replays it from its start, the batch
/// ids skip what was stored).
fn move_aside(dir: &Path, data: &mut File, intact: &[(u64, u64)]) -> std::io::Result<PathBuf> {
    let stamp = Utc::now().format("%Y%m%dT%H%M%S%.3fZ").to_string();
    let mut kept = dir.join(format!("{DAMAGED_PREFIX}{stamp}"));
    let mut n = 1;
    while kept.exists() {
        kept = dir.join(format!("{DAMAGED_PREFIX}{stamp}-{n}"));
        n += 1;
    }
    if std::fs::hard_link(dir.join(DATA), &kept).is_err() {
        std::fs::copy(dir.join(DATA), &kept)?;
    }
    let tmp = dir.join("spool.dat.tmp");
    let mut clean = File::create(&tmp)?;
    for &(from, to) in intact {
        data.seek(SeekFrom::Start(from))?;
        std::io::copy(&mut Read::by_ref(data).take(to - from), &mut clean)?;
    }
    clean.sync_all()?;
    write_offset(dir, 0)?;
    std::fs::rename(&tmp, dir.join(DATA))?;
    File::open(dir)?.sync_all()?;
    // The newest few copies are kept (their names sort by time).
    let mut copies: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(DAMAGED_PREFIX))
        .map(|e| e.path())
        .collect();
    copies.sort();
    for old in copies.iter().take(copies.len().saturating_sub(KEEP_DAMAGED)) {
        std::fs::remove_file(old)?;
    }
    Ok(kept)
}

impl Spool {
    /// Opens (creating) the spool in `dir`, locked for this process, and
    /// checks what an earlier run left: damaged records are counted, and a
    /// damaged file is moved aside for a clean one of its intact records.
    pub(crate) fn open(dir: &Path, max_bytes: u64) -> Result<(Spool, Recovered), SpoolError> {
        std::fs::create_dir_all(dir)?;
        let lock = OpenOptions::new().create(true).truncate(false).write(true).open(dir.join("spool.lock"))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(SpoolError::Locked(dir.to_path_buf())),
            Err(std::fs::TryLockError::Error(e)) => return Err(SpoolError::Io(e)),
        }
        let open_data = || OpenOptions::new().create(true).truncate(false).read(true).append(true).open(dir.join(DATA));
        let mut data = open_data()?;
        let mut len = data.metadata()?.len();
        let mut offset = std::fs::read_to_string(dir.join("spool.offset"))
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .filter(|o| *o <= len)
            .unwrap_or(0);
        if offset > 0 && offset < len && !marker_at(&mut data, offset, len)? {
            // The offset does not start a record (a sidecar from another state of
            // the file): replay from the start; batch ids skip what was stored.
            offset = 0;
        }
        let mut recovered = Recovered::default();
        let mut oldest = None;
        let mut intact = vec![];
        let mut at = offset;
        while let Some(found) = found_at(&mut data, at, len)? {
            match found {
                Found::Intact { reports, at_ms, end, .. } => {
                    recovered.reports += reports;
                    if oldest.is_none() {
                        oldest = Utc.timestamp_millis_opt(at_ms).single();
                    }
                    intact.push((at, end));
                    at = end;
                }
                Found::Damaged { claimed, end } => {
                    recovered.corrupt_records += 1;
                    match claimed {
                        Some(n) => recovered.corrupt_reports += n,
                        None => {
                            recovered.unreadable_records += 1;
                            recovered.unreadable_bytes += end - at;
                        }
                    }
                    at = end;
                }
            }
        }
        if recovered.corrupt_records > 0 {
            recovered.kept = Some(move_aside(dir, &mut data, &intact)?);
            data = open_data()?;
            len = data.metadata()?.len();
            offset = 0;
        }
        let spool = Spool {
            dir: dir.to_path_buf(),
            data,
            _lock: lock,
            max_bytes,
            len,
            offset,
            pending: recovered.reports,
            oldest,
        };
        Ok((spool, recovered))
    }

    /// Appends `batch`; refuses when the spool would pass its bound.
    pub(crate) fn append(&mut self, batch: &SpooledBatch) -> Result<(), SpoolError> {
        let now = Utc::now();
        let record = encode(batch, now.timestamp_millis())?;
        let size = record.len() as u64;
        if self.len + size > self.max_bytes {
            return Err(SpoolError::Full);
        }
        if let Err(e) = self.data.write_all(&record).and_then(|()| self.data.sync_data()) {
            // A partial write is cut off, so the file stays a sequence of whole records.
            let _ = self.data.set_len(self.len);
            return Err(e.into());
        }
        self.len += size;
        self.pending += batch.reports().min(u64::from(u32::MAX));
        self.oldest.get_or_insert(now);
        Ok(())
    }

    /// The record replay is at, if any.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn next(&mut self) -> Result<Option<Next>, SpoolError> {
        self.read(self.offset)
    }

    /// Where replay is: the first record not stored yet.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// The record at `at` (an offset replay is at, or a record's `end`), if
    /// any; a record damaged since the start is skipped to the next intact one.
    pub(crate) fn read(&mut self, at: u64) -> Result<Option<Next>, SpoolError> {
        Ok(found_at(&mut self.data, at, self.len)?.map(|found| match found {
            Found::Intact { batch, reports, end, .. } => Next::Batch { batch, reports, end },
            Found::Damaged { claimed, end } => Next::Corrupt { reports: claimed.unwrap_or(0), end },
        }))
    }

    /// Marks everything before `end` as stored or skipped (its `reports`
    /// leave the pending count); an empty spool is truncated. Returns the
    /// reports still pending when the file empties (records damaged since
    /// the start that claimed less than they held), for the caller to count.
    pub(crate) fn consumed(&mut self, end: u64, reports: u64) -> Result<u64, SpoolError> {
        self.pending = self.pending.saturating_sub(reports);
        if end >= self.len {
            // Offset 0 is made durable before the file is emptied: a crash in
            // between replays from the start, which the batch ids make harmless;
            // the other order could leave an offset pointing into later records.
            write_offset(&self.dir, 0)?;
            self.data.set_len(0)?;
            self.len = 0;
            self.offset = 0;
            self.oldest = None;
            Ok(std::mem::take(&mut self.pending))
        } else {
            write_offset(&self.dir, end)?;
            self.offset = end;
            self.oldest = self.peek_time();
            Ok(0)
        }
    }

    fn peek_time(&mut self) -> Option<DateTime<Utc>> {
        match header_at(&mut self.data, self.offset, self.len) {
            Ok(Some(b)) => parse_header(&b).and_then(|h| Utc.timestamp_millis_opt(h.at_ms).single()),
            _ => None,
        }
    }

    /// Shows the spool's gauges in the counters (the spool is their one source).
    pub(crate) fn publish(&self, c: &super::stats::Counters) {
        use std::sync::atomic::Ordering;
        c.spooled.store(self.pending(), Ordering::Relaxed);
        c.spool_bytes.store(self.bytes(), Ordering::Relaxed);
        c.spool_oldest_ms.store(self.oldest().map_or(0, |t| t.timestamp_millis()), Ordering::Relaxed);
    }

    /// Reports waiting in the spool.
    pub(crate) fn pending(&self) -> u64 {
        self.pending
    }

    /// Bytes on disk.
    pub(crate) fn bytes(&self) -> u64 {
        self.len
    }

    /// When the oldest waiting record was spooled.
    pub(crate) fn oldest(&self) -> Option<DateTime<Utc>> {
        self.oldest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(id: &str, hits: i64) -> SpooledBatch {
        SpooledBatch {
            id: id.into(),
            groups: vec![SpooledGroup {
                key: ViolationKey {
                    document_uri: "https://example.com/".into(),
                    effective_directive: "img-src".into(),
                    blocked: "cdn.example".into(),
                    ..Default::default()
                },
                hits,
                report: NewCspReport { report_format: "csp-report".into(), ..Default::default() },
                at: Utc.timestamp_millis_opt(1_700_000_000_000).unwrap(),
            }],
            browser: vec![],
        }
    }

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("rs-spool-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn drain(s: &mut Spool) -> Vec<Result<SpooledBatch, u64>> {
        let mut out = vec![];
        while let Some(n) = s.next().unwrap() {
            match n {
                Next::Batch { batch, reports, end } => {
                    s.consumed(end, reports).unwrap();
                    out.push(Ok(batch));
                }
                Next::Corrupt { reports, end } => {
                    s.consumed(end, reports).unwrap();
                    out.push(Err(reports));
                }
            }
        }
        out
    }

    #[test]
    fn batches_come_back_in_order_and_the_file_is_truncated() {
        let d = dir("order");
        let (mut s, rec) = Spool::open(&d, 1 << 20).unwrap();
        assert_eq!(rec, Recovered::default());
        s.append(&batch("a", 2)).unwrap();
        s.append(&batch("b", 3)).unwrap();
        assert_eq!(s.pending(), 5);
        assert!(s.oldest().is_some());
        assert_eq!(drain(&mut s), vec![Ok(batch("a", 2)), Ok(batch("b", 3))]);
        assert_eq!((s.pending(), s.bytes(), s.oldest()), (0, 0, None));
        assert_eq!(std::fs::metadata(d.join("spool.dat")).unwrap().len(), 0);
    }

    #[test]
    fn browser_reports_travel_in_the_batch_and_csp_only_records_are_unchanged() {
        let csp_only = serde_json::to_string(&batch("a", 1)).unwrap();
        assert!(!csp_only.contains("browser"), "{csp_only}");
        let mut mixed = batch("m", 2);
        mixed.browser.push(SpooledBrowserGroup {
            key: BrowserKey {
                report_type: "coep".into(),
                subject: "https://cdn.example/a.js".into(),
                ..Default::default()
            },
            hits: 3,
            sample: BrowserSample { body: r#"{"type":"coep","body":{}}"#.into(), ..Default::default() },
            at: Utc.timestamp_millis_opt(1_700_000_000_000).unwrap(),
        });
        assert_eq!(mixed.reports(), 5);
        let d = dir("browser");
        let (mut s, _) = Spool::open(&d, 1 << 20).unwrap();
        s.append(&mixed).unwrap();
        assert_eq!(s.pending(), 5);
        assert_eq!(drain(&mut s), vec![Ok(mixed)]);
    }

    #[test]
    fn a_restart_replays_what_was_not_consumed() {
        let d = dir("restart");
        {
            let (mut s, _) = Spool::open(&d, 1 << 20).unwrap();
            s.append(&batch("a", 1)).unwrap();
            s.append(&batch("b", 4)).unwrap();
            let Some(Next::Batch { reports, end, .. }) = s.next().unwrap() else { panic!("a") };
            s.consumed(end, reports).unwrap();
        }
        let (mut s, rec) = Spool::open(&d, 1 << 20).unwrap();
        assert_eq!(rec, Recovered { reports: 4, ..Default::default() });
        assert_eq!(drain(&mut s), vec![Ok(batch("b", 4))]);
    }

    /// The damaged copies in `d`.
    fn copies(d: &Path) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(DAMAGED_PREFIX))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_torn_last_record_is_counted_and_the_file_moved_aside() {
        let d = dir("torn");
        {
            let (mut s, _) = Spool::open(&d, 1 << 20).unwrap();
            s.append(&batch("a", 1)).unwrap();
            s.append(&batch("b", 7)).unwrap();
        }
        let f = OpenOptions::new().write(true).open(d.join("spool.dat")).unwrap();
        let len = f.metadata().unwrap().len();
        f.set_len(len - 5).unwrap();
        let (mut s, rec) = Spool::open(&d, 1 << 20).unwrap();
        let kept = copies(&d);
        assert_eq!(
            rec,
            Recovered {
                reports: 1,
                corrupt_records: 1,
                corrupt_reports: 7,
                kept: Some(kept[0].clone()),
                ..Default::default()
            }
        );
        assert_eq!(std::fs::metadata(&kept[0]).unwrap().len(), len - 5, "the damaged file as it was");
        assert_eq!(drain(&mut s), vec![Ok(batch("a", 1))]);
    }

    #[test]
    fn a_corrupted_record_is_skipped_and_the_next_one_kept() {
        let d = dir("corrupt");
        {
            let (mut s, _) = Spool::open(&d, 1 << 20).unwrap();
            s.append(&batch("a", 2)).unwrap();
            s.append(&batch("b", 3)).unwrap();
        }
        let mut bytes = std::fs::read(d.join("spool.dat")).unwrap();
        bytes[HEADER as usize + 3] ^= 0xff; // inside the first payload
        std::fs::write(d.join("spool.dat"), bytes).unwrap();
        let (mut s, rec) = Spool::open(&d, 1 << 20).unwrap();
        assert_eq!((rec.reports, rec.corrupt_records, rec.corrupt_reports), (3, 1, 2));
        assert_eq!(drain(&mut s), vec![Ok(batch("b", 3))]);
    }

    /// Issue 29: one flipped bit in a record's magic truncated the whole file
    /// (15 of 16 batches lost, counted as 0).
    #[test]
    fn a_flipped_bit_in_one_magic_costs_that_record_only() {
        for k in [0usize, 7, 15] {
            let d = dir(&format!("magic-{k}"));
            let mut starts = vec![];
            {
                let (mut s, _) = Spool::open(&d, 1 << 20).unwrap();
                for i in 0..16 {
                    starts.push(s.bytes());
                    s.append(&batch(&format!("b{i:02}"), 1 + i as i64)).unwrap();
                }
            }
            let mut bytes = std::fs::read(d.join("spool.dat")).unwrap();
            bytes[starts[k] as usize + 2] ^= 0x04; // one bit of the magic
            std::fs::write(d.join("spool.dat"), &bytes).unwrap();
            let (mut s, rec) = Spool::open(&d, 1 << 20).unwrap();
            let kept = copies(&d);
            assert_eq!(kept.len(), 1);
            let (all, lost): (u64, u64) = ((1..=16).sum(), 1 + k as u64);
            assert_eq!((rec.reports, rec.corrupt_records, rec.corrupt_reports), (all - lost, 1, lost));
            assert_eq!((rec.unreadable_records, rec.kept.as_ref()), (0, Some(&kept[0])));
            assert_eq!(
                rec.summary(&d),
                format!(
                    "CSP report spool {}: {} report(s) from an earlier run to store; 1 torn or corrupted record(s) \
                     skipped ({lost} report(s), as their headers claim); the damaged file is kept as {}",
                    d.display(),
                    all - lost,
                    kept[0].display()
                )
            );
            assert_eq!(std::fs::read(&kept[0]).unwrap(), bytes, "the damaged file, unchanged");
            assert_eq!(s.pending(), all - lost);
            let expected: Vec<_> =
                (0..16).filter(|i| *i != k).map(|i| Ok(batch(&format!("b{i:02}"), 1 + i as i64))).collect();
            assert_eq!(drain(&mut s), expected);
            drop(s);
            // The clean file is what a restart reads: nothing more to replay, nothing damaged.
            let (_, rec) = Spool::open(&d, 1 << 20).unwrap();
            assert_eq!(rec, Recovered::default());
        }
    }

    #[test]
    fn a_record_whose_header_is_unreadable_is_reported_by_its_bytes() {
        let d = dir("unreadable");
        let mut starts = vec![];
        {
            let (mut s, _) = Spool::open(&d, 1 << 20).unwrap();
            for i in 0..3 {
                starts.push(s.bytes());
                s.append(&batch(&format!("b{i}"), 2)).unwrap();
            }
        }
        let mut bytes = std::fs::read(d.join("spool.dat")).unwrap();
        let (from, to) = (starts[1] as usize, starts[2] as usize);
        bytes[from..from + HEADER as usize].fill(0);
        std::fs::write(d.join("spool.dat"), &bytes).unwrap();
        let (mut s, rec) = Spool::open(&d, 1 << 20).unwrap();
        assert_eq!(
            (rec.reports, rec.corrupt_records, rec.corrupt_reports, rec.unreadable_records, rec.unreadable_bytes),
            (4, 1, 0, 1, (to - from) as u64)
        );
        assert_eq!(
            rec.summary(&d),
            format!(
                "CSP report spool {}: 4 report(s) from an earlier run to store; 1 torn or corrupted record(s) skipped \
                 (0 report(s), as their headers claim; 1 of them unreadable, {} byte(s) whose reports are not known); \
                 the damaged file is kept as {}",
                d.display(),
                to - from,
                copies(&d)[0].display()
            )
        );
        assert_eq!(drain(&mut s), vec![Ok(batch("b0", 2)), Ok(batch("b2", 2))]);
    }

    #[test]
    fn only_the_newest_damaged_copies_are_kept() {
        let d = dir("copies");
        for i in 0..(KEEP_DAMAGED + 2) {
            {
                let (mut s, _) = Spool::open(&d, 1 << 20).unwrap();
                s.append(&batch(&format!("b{i}"), 1)).unwrap();
            }
            let mut bytes = std::fs::read(d.join("spool.dat")).unwrap();
            bytes[0] ^= 1;
            std::fs::write(d.join("spool.dat"), &bytes).unwrap();
            let (_, rec) = Spool::open(&d, 1 << 20).unwrap();
            assert_eq!(copies(&d).last(), rec.kept.as_ref());
        }
        assert_eq!(copies(&d).len(), KEEP_DAMAGED);
    }

    #[test]
    fn a_record_damaged_while_running_is_skipped_and_its_reports_returned() {
        let d = dir("running");
        let (mut s, _) = Spool::open(&d, 1 << 20).unwrap();
        s.append(&batch("a", 2)).unwrap();
        let second = s.bytes();
        s.append(&batch("b", 3)).unwrap();
        s.append(&batch("c", 4)).unwrap();
        // Another handle damages the second record's header beyond reading.
        let mut f = OpenOptions::new().write(true).open(d.join("spool.dat")).unwrap();
        f.seek(SeekFrom::Start(second)).unwrap();
        f.write_all(&[0u8; HEADER as usize]).unwrap();
        assert_eq!(s.pending(), 9);
        let Some(Next::Batch { reports: 2, end, .. }) = s.next().unwrap() else { panic!("a") };
        assert_eq!(s.consumed(end, 2).unwrap(), 0);
        let Some(Next::Corrupt { reports: 0, end }) = s.next().unwrap() else { panic!("the damaged record") };
        assert_eq!(s.consumed(end, 0).unwrap(), 0);
        let Some(Next::Batch { batch: c, reports: 4, end }) = s.next().unwrap() else { panic!("c") };
        assert_eq!(c, batch("c", 4));
        assert_eq!(s.consumed(end, 4).unwrap(), 3, "the damaged record's reports, left over");
        assert_eq!((s.pending(), s.bytes()), (0, 0));
    }

    /// Every single-bit flip anywhere in a file of three records: the two
    /// records the flip did not touch come back, once each, in order; the
    /// touched one never does.
    #[test]
    fn any_single_bit_flip_costs_only_the_record_it_hits() {
        let records: Vec<Vec<u8>> =
            (0..3).map(|i| encode(&batch(&format!("b{i}"), 1 + i), 1_700_000_000_000).unwrap()).collect();
        let file: Vec<u8> = records.concat();
        let mut start = 0;
        let bounds: Vec<(usize, usize)> = records
            .iter()
            .map(|r| {
                start += r.len();
                (start - r.len(), start)
            })
            .collect();
        for byte in 0..file.len() {
            for bit in 0..8 {
                let mut bytes = file.clone();
                bytes[byte] ^= 1 << bit;
                let len = bytes.len() as u64;
                let mut r = std::io::Cursor::new(&bytes[..]);
                let (mut at, mut intact, mut damaged) = (0, vec![], 0);
                while let Some(found) = found_at(&mut r, at, len).unwrap() {
                    at = match found {
                        Found::Intact { batch, end, .. } => {
                            intact.push(batch.id);
                            end
                        }
                        Found::Damaged { end, .. } => {
                            damaged += 1;
                            end
                        }
                    };
                }
                let hit = bounds.iter().position(|(a, b)| (*a..*b).contains(&byte)).unwrap();
                let expected: Vec<String> = (0..3).filter(|i| *i != hit).map(|i| format!("b{i}")).collect();
                assert_eq!(intact, expected, "bit {bit} of byte {byte}");
                assert!((1..=2).contains(&damaged), "bit {bit} of byte {byte}: {damaged} damaged");
            }
        }
    }

    #[test]
    fn the_fuzz_entry_reads_what_a_start_reads() {
        let records: Vec<Vec<u8>> = (0..2).map(|i| encode(&batch(&format!("b{i}"), 5), 1).unwrap()).collect();
        assert_eq!(fuzz_spool_reader(&records.concat()), (10, 0));
        assert_eq!(fuzz_spool_reader(&[b"garbage".as_slice(), &records[1]].concat()), (5, 1));
        assert_eq!(fuzz_spool_reader(b""), (0, 0));
    }

    #[test]
    fn a_full_spool_refuses_and_stays_intact() {
        let one = {
            let (mut s, _) = Spool::open(&dir("one"), 1 << 20).unwrap();
            s.append(&batch("a", 1)).unwrap();
            s.bytes()
        };
        let d = dir("full");
        let (mut s, _) = Spool::open(&d, one + one / 2).unwrap();
        s.append(&batch("a", 1)).unwrap();
        assert!(matches!(s.append(&batch("b", 1)), Err(SpoolError::Full)));
        assert_eq!(drain(&mut s), vec![Ok(batch("a", 1))]);
    }

    #[test]
    fn a_second_opener_of_the_directory_is_refused() {
        let d = dir("locked");
        let (_s, _) = Spool::open(&d, 1 << 20).unwrap();
        let err = Spool::open(&d, 1 << 20).err().expect("locked");
        assert!(err.to_string().contains("is in use by another running instance"), "{err}");
    }
}
