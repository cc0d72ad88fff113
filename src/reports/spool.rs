//! The on-disk spool: batches the database could not take wait here, in
//! order, until it answers again. One append-only file of records, each a
//! 24-byte header (magic `RSP1`, payload length, report count, CRC-32 of the
//! rest, spool time in ms) and a JSON payload; a sidecar file holds how far
//! replay got. A record is consumed only after its batch committed (replay
//! is idempotent: the batch id is written in the same transaction), a torn
//! or corrupted record is skipped and counted, and the file is truncated
//! once everything in it is stored. The directory is locked for the life of
//! the process: a second instance cannot use it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};

use crate::db::record::{NewCspReport, ViolationKey};

const MAGIC: &[u8; 4] = b"RSP1";
const HEADER: u64 = 24;
/// The most a record may claim (a batch of 2,000 bounded reports is far below).
const MAX_PAYLOAD: u32 = 256 << 20;

/// One violation key of a spooled batch.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct SpooledGroup {
    pub(crate) key: ViolationKey,
    pub(crate) hits: i64,
    /// The first report, a sample while the key has room.
    pub(crate) report: NewCspReport,
    pub(crate) at: DateTime<Utc>,
}

/// A batch as spooled: its id (written with it, so a replay applies it once) and its groups.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct SpooledBatch {
    pub(crate) id: String,
    pub(crate) groups: Vec<SpooledGroup>,
}

impl SpooledBatch {
    pub(crate) fn reports(&self) -> u64 {
        self.groups.iter().map(|g| g.hits.max(0) as u64).sum()
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
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Recovered {
    /// Reports in intact records, to replay.
    pub(crate) reports: u64,
    /// Records skipped as torn or corrupted, and the reports their headers claimed.
    pub(crate) corrupt_records: u64,
    pub(crate) corrupt_reports: u64,
}

/// The next record to replay.
pub(crate) enum Next {
    Batch {
        batch: SpooledBatch,
        reports: u64,
        end: u64,
    },
    /// Skipped (checksum or JSON wrong): `reports` as its header claims.
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

fn parse_header(b: &[u8; HEADER as usize]) -> Option<Header> {
    if &b[0..4] != MAGIC {
        return None;
    }
    let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let mut at = [0u8; 8];
    at.copy_from_slice(&b[16..24]);
    let h = Header { payload: u32_at(4), reports: u32_at(8), crc: u32_at(12), at_ms: i64::from_le_bytes(at) };
    (h.payload <= MAX_PAYLOAD).then_some(h)
}

/// A record as read: its header and payload, or (torn, unreadable) the reports its header claimed.
type Record = Result<(Header, Vec<u8>), u64>;

/// The record at `offset` of `file` (`len` bytes): `Ok(None)` at the end,
/// `Err(reports)` when it is torn (the file ends inside it) or has no valid header.
fn read_at(file: &mut File, offset: u64, len: u64) -> std::io::Result<Option<Record>> {
    if offset >= len {
        return Ok(None);
    }
    if len - offset < HEADER {
        return Ok(Some(Err(0)));
    }
    file.seek(SeekFrom::Start(offset))?;
    let mut b = [0u8; HEADER as usize];
    file.read_exact(&mut b)?;
    let Some(h) = parse_header(&b) else { return Ok(Some(Err(0))) };
    if len - offset - HEADER < u64::from(h.payload) {
        return Ok(Some(Err(u64::from(h.reports))));
    }
    let mut payload = vec![0u8; h.payload as usize];
    file.read_exact(&mut payload)?;
    Ok(Some(Ok((h, payload))))
}

impl Spool {
    /// Opens (creating) the spool in `dir`, locked for this process, and
    /// checks what an earlier run left: a torn tail is cut off and counted.
    pub(crate) fn open(dir: &Path, max_bytes: u64) -> Result<(Spool, Recovered), SpoolError> {
        std::fs::create_dir_all(dir)?;
        let lock = OpenOptions::new().create(true).truncate(false).write(true).open(dir.join("spool.lock"))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(SpoolError::Locked(dir.to_path_buf())),
            Err(std::fs::TryLockError::Error(e)) => return Err(SpoolError::Io(e)),
        }
        let data =
            OpenOptions::new().create(true).truncate(false).read(true).append(true).open(dir.join("spool.dat"))?;
        let len = data.metadata()?.len();
        let mut offset = std::fs::read_to_string(dir.join("spool.offset"))
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .filter(|o| *o <= len)
            .unwrap_or(0);
        let mut data = data;
        if offset > 0 && offset < len && !matches!(read_at(&mut data, offset, len)?, Some(Ok(_))) {
            // The offset does not start a record (a sidecar from another state of
            // the file): replay from the start; batch ids skip what was stored.
            offset = 0;
        }
        let mut spool =
            Spool { dir: dir.to_path_buf(), data, _lock: lock, max_bytes, len, offset, pending: 0, oldest: None };
        let mut recovered = Recovered::default();
        let mut at = offset;
        let mut end = offset;
        while let Some(record) = read_at(&mut spool.data, at, len)? {
            match record {
                Ok((h, payload)) => {
                    let next = at + HEADER + u64::from(h.payload);
                    let intact = checksum(h.payload, h.reports, h.at_ms, &payload) == h.crc
                        && serde_json::from_slice::<SpooledBatch>(&payload).is_ok();
                    if intact {
                        recovered.reports += u64::from(h.reports);
                        if spool.oldest.is_none() {
                            spool.oldest = Utc.timestamp_millis_opt(h.at_ms).single();
                        }
                    } else {
                        // Skipped at replay; counted here, once.
                        recovered.corrupt_records += 1;
                        recovered.corrupt_reports += u64::from(h.reports);
                    }
                    at = next;
                    end = next;
                }
                Err(claimed) => {
                    // Torn (killed mid-write) or unreadable from here on: cut it off.
                    recovered.corrupt_records += 1;
                    recovered.corrupt_reports += claimed;
                    break;
                }
            }
        }
        if end < len {
            spool.data.set_len(end)?;
            spool.len = end;
        }
        spool.pending = recovered.reports;
        Ok((spool, recovered))
    }

    /// Appends `batch`; refuses when the spool would pass its bound.
    pub(crate) fn append(&mut self, batch: &SpooledBatch) -> Result<(), SpoolError> {
        let payload = serde_json::to_vec(batch).map_err(|e| SpoolError::Io(std::io::Error::other(e)))?;
        let size = HEADER + payload.len() as u64;
        if payload.len() as u64 > u64::from(MAX_PAYLOAD) || self.len + size > self.max_bytes {
            return Err(SpoolError::Full);
        }
        let reports = batch.reports().min(u64::from(u32::MAX)) as u32;
        let now = Utc::now();
        let at_ms = now.timestamp_millis();
        let mut record = Vec::with_capacity(size as usize);
        record.extend_from_slice(MAGIC);
        record.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        record.extend_from_slice(&reports.to_le_bytes());
        record.extend_from_slice(&checksum(payload.len() as u32, reports, at_ms, &payload).to_le_bytes());
        record.extend_from_slice(&at_ms.to_le_bytes());
        record.extend_from_slice(&payload);
        if let Err(e) = self.data.write_all(&record).and_then(|()| self.data.sync_data()) {
            // A partial write is cut off, so the file stays a sequence of whole records.
            let _ = self.data.set_len(self.len);
            return Err(e.into());
        }
        self.len += size;
        self.pending += u64::from(reports);
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

    /// The record at `at` (an offset replay is at, or a record's `end`), if any.
    pub(crate) fn read(&mut self, at: u64) -> Result<Option<Next>, SpoolError> {
        let Some(record) = read_at(&mut self.data, at, self.len)? else { return Ok(None) };
        Ok(Some(match record {
            Ok((h, payload)) => {
                let end = at + HEADER + u64::from(h.payload);
                let reports = u64::from(h.reports);
                let batch = (checksum(h.payload, h.reports, h.at_ms, &payload) == h.crc)
                    .then(|| serde_json::from_slice::<SpooledBatch>(&payload).ok())
                    .flatten();
                match batch {
                    Some(batch) => Next::Batch { batch, reports, end },
                    None => Next::Corrupt { reports, end },
                }
            }
            // Cut off at open; a write that failed was cut off too.
            Err(reports) => Next::Corrupt { reports, end: self.len },
        }))
    }

    /// Marks everything before `end` as stored (its `reports` leave the
    /// pending count); an empty spool is truncated.
    pub(crate) fn consumed(&mut self, end: u64, reports: u64) -> Result<(), SpoolError> {
        self.pending = self.pending.saturating_sub(reports);
        if end >= self.len {
            // Offset 0 is made durable before the file is emptied: a crash in
            // between replays from the start, which the batch ids make harmless;
            // the other order could leave an offset pointing into later records.
            self.write_offset(0)?;
            self.data.set_len(0)?;
            self.len = 0;
            self.offset = 0;
            self.pending = 0;
            self.oldest = None;
        } else {
            self.write_offset(end)?;
            self.offset = end;
            self.oldest = self.peek_time();
        }
        Ok(())
    }

    fn write_offset(&self, offset: u64) -> std::io::Result<()> {
        let tmp = self.dir.join("spool.offset.tmp");
        let mut f = File::create(&tmp)?;
        f.write_all(offset.to_string().as_bytes())?;
        f.sync_all()?;
        std::fs::rename(tmp, self.dir.join("spool.offset"))?;
        // The rename itself, durable.
        File::open(&self.dir)?.sync_all()
    }

    fn peek_time(&mut self) -> Option<DateTime<Utc>> {
        match read_at(&mut self.data, self.offset, self.len) {
            Ok(Some(Ok((h, _)))) => Utc.timestamp_millis_opt(h.at_ms).single(),
            _ => None,
        }
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
        assert_eq!(rec, Recovered { reports: 4, corrupt_records: 0, corrupt_reports: 0 });
        assert_eq!(drain(&mut s), vec![Ok(batch("b", 4))]);
    }

    #[test]
    fn a_torn_last_record_is_cut_off_and_counted() {
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
        assert_eq!(rec, Recovered { reports: 1, corrupt_records: 1, corrupt_reports: 7 });
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
        assert_eq!(rec, Recovered { reports: 3, corrupt_records: 1, corrupt_reports: 2 });
        assert_eq!(drain(&mut s), vec![Err(2), Ok(batch("b", 3))]);
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
