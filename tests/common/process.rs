//! What the out-of-process tests (tests/browser, tests/faults) share: the
//! example binaries cargo built, free ports, fresh directories, and waiting
//! for a child process to listen.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `target/<profile>/examples/<name>`, built by `cargo test --all-features`.
pub fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let profile = exe.parent().and_then(Path::parent).expect("target/<profile>/deps/<test>");
    let binary = profile.join("examples").join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: `cargo test --all-features` builds it (or `cargo build --example {name} --all-features`)",
        binary.display()
    );
    binary
}

/// A port free at the time of asking.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// A fresh, empty directory `<target tmp>/<suite>/<name>`.
pub fn fresh_dir(suite: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(suite).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("test directory");
    dir
}

/// Waits until something listens on 127.0.0.1:`port`; panics with `what`
/// after `limit`.
pub fn wait_for_port(port: u16, limit: Duration, what: impl Fn() -> String) {
    let deadline = Instant::now() + limit;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{} did not listen within {limit:?}", what());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A `redis-server` of the test's own on `port` (stopped when dropped), for
/// tests that stop Redis: the machine's own is left alone.
pub struct OwnRedis(std::process::Child);

impl OwnRedis {
    pub fn start(port: u16) -> OwnRedis {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server (Debian's redis-server package; scripts/test.sh installs it)");
        wait_for_port(port, Duration::from_secs(30), || "redis-server".into());
        OwnRedis(child)
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
