//! The tracing output of a test binary: one process-wide subscriber writing
//! into a shared buffer, installed on first use; each test reads the lines it
//! caused.
#![allow(dead_code)]

use std::sync::OnceLock;

/// A shared in-memory log sink for a tracing subscriber.
#[derive(Clone, Default)]
pub struct Buffer(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The output of the process-wide subscriber, installed on first use.
pub fn captured() -> Buffer {
    static BUFFER: OnceLock<Buffer> = OnceLock::new();
    BUFFER
        .get_or_init(|| {
            let buffer = Buffer::default();
            let writer = buffer.clone();
            tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).init();
            buffer
        })
        .clone()
}
