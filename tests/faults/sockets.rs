//! Over real sockets on loopback, against the report endpoint of
//! `examples/bench_server.rs` (the `reports` stack: SQLite sink, no rate
//! limit) run as its own process, so that 10,000 client sockets and 10,000
//! server sockets each have a process's file descriptors to themselves.
//! Bounded in time; they assert behaviour, not speed.

use crate::process;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rocket::tokio::io::{AsyncReadExt, AsyncWriteExt};
use rocket::tokio::net::TcpStream;
use rocket::tokio::sync::Barrier;
use rocket::tokio::time::timeout;

struct Server {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Server {
    fn start(name: &str) -> Server {
        let dir = process::fresh_dir("faults", name);
        let port = process::free_port();
        let child = Command::new(process::example_binary("bench_server"))
            .current_dir(&dir)
            .env("BENCH_STACK", "reports")
            .env("BENCH_DB", format!("sqlite://{}", dir.join("reports.db").display()))
            .env("ROCKET_PORT", port.to_string())
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_SECURITY", "{reports={body_timeout_ms=500,queue_size=20000}}")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The guard exists before anything can fail: a panic below still kills the server.
        let server = Server { child, port, dir };
        process::wait_for_port(port, Duration::from_secs(30), || "bench_server".into());
        server
    }

    async fn connect(&self) -> TcpStream {
        TcpStream::connect(("127.0.0.1", self.port)).await.unwrap()
    }

    /// The collector's counters, once its queue is empty (at most 30 s).
    async fn settled(&self) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (status, body) = exchange(self.connect().await, get("/security/reports/api")).await;
            assert_eq!(status, 200, "{body}");
            let data: serde_json::Value = serde_json::from_str(&body).unwrap();
            if data["stats"]["queued"] == 0 || Instant::now() > deadline {
                return data;
            }
            rocket::tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").into_bytes()
}

fn post(content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "POST /security/csp-report HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn report(page: usize) -> String {
    format!(
        "{{\"csp-report\":{{\"document-uri\":\"http://127.0.0.1/page/{page}\",\"effective-directive\":\"img-src\",\
         \"blocked-uri\":\"https://cdn.example/x.png\",\"disposition\":\"enforce\"}}}}"
    )
}

/// Reads one whole answer (the server closes the connection): status and body.
async fn answer(mut stream: TcpStream) -> (u16, String) {
    let mut buf = Vec::new();
    let _ = timeout(Duration::from_secs(30), stream.read_to_end(&mut buf)).await.expect("an answer within 30 s");
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

async fn exchange(mut stream: TcpStream, request: Vec<u8>) -> (u16, String) {
    stream.write_all(&request).await.unwrap();
    answer(stream).await
}

/// The soft limit on open files of this process, from /proc.
fn open_files_limit() -> u64 {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .unwrap_or(u64::MAX)
}

#[rocket::async_test]
async fn ten_thousand_concurrent_report_posts_are_all_answered_and_accounted_for() {
    const N: usize = 10_000;
    let limit = open_files_limit();
    assert!(
        limit > N as u64 + 500,
        "this test holds {N} sockets open at once; the open-files limit is {limit}: run `ulimit -n 20000` first \
         (.ci/run raises it to the hard limit)"
    );
    let server = Server::start("concurrent");
    let run = async {
        // Every connection is open before any request is sent (a failure
        // here fails the test at once); then all 10,000 requests go out together.
        let mut streams = Vec::with_capacity(N);
        for _ in 0..N {
            streams.push(server.connect().await);
        }
        let barrier = Arc::new(Barrier::new(N));
        let mut tasks = Vec::with_capacity(N);
        for (i, stream) in streams.into_iter().enumerate() {
            let barrier = barrier.clone();
            tasks.push(rocket::tokio::spawn(async move {
                barrier.wait().await;
                exchange(stream, post("application/csp-report", &report(i % 50))).await.0
            }));
        }
        let mut statuses = std::collections::BTreeMap::new();
        for t in tasks {
            *statuses.entry(t.await.unwrap()).or_insert(0) += 1;
        }
        statuses
    };
    let statuses = timeout(Duration::from_secs(120), run).await.expect("all answers within 120 s");
    assert_eq!(statuses, [(204, N)].into_iter().collect());
    let data = server.settled().await;
    let s = &data["stats"];
    assert_eq!((s["received"].as_u64(), s["accepted"].as_u64()), (Some(N as u64), Some(N as u64)), "{s}");
    // The queue (20,000) holds them all: every report is stored, none dropped.
    assert_eq!(s["stored"], N, "{s}");
    assert_eq!(s["dropped"], serde_json::json!({}), "{s}");
    let hits: i64 = data["violations"].as_array().unwrap().iter().map(|v| v["hits"].as_i64().unwrap()).sum();
    assert_eq!((data["violations"].as_array().unwrap().len(), hits), (50, N as i64));
}

#[rocket::async_test]
async fn a_slow_body_gets_408_and_other_requests_are_served_meanwhile() {
    let server = Server::start("slow");
    let mut slow = server.connect().await;
    let head = "POST /security/csp-report HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/csp-report\r\n\
                Content-Length: 200\r\nConnection: close\r\n\r\n{\"csp-report\":";
    // The server's body timer starts once it has the head: start ours first.
    let started = Instant::now();
    slow.write_all(head.as_bytes()).await.unwrap();
    // Meanwhile the server answers everyone else.
    assert_eq!(exchange(server.connect().await, get("/")).await.0, 200);
    assert_eq!(exchange(server.connect().await, post("application/csp-report", &report(1))).await.0, 204);
    // The slow client gets 408 once body_timeout_ms (500 ms) has passed.
    let (status, _) = answer(slow).await;
    assert_eq!(status, 408);
    assert!(started.elapsed() >= Duration::from_millis(450), "{:?}", started.elapsed());
    let s = &server.settled().await["stats"];
    assert_eq!((s["received"].as_u64(), s["stored"].as_u64()), (Some(1), Some(1)), "{s}");
}

#[rocket::async_test]
async fn huge_bodies_get_413_without_being_read_whole() {
    let server = Server::start("huge");
    // Declared too large: refused before the body is read.
    let mut stream = server.connect().await;
    stream
        .write_all(
            b"POST /security/csp-report HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/csp-report\r\n\
              Content-Length: 104857600\r\nConnection: close\r\n\r\n{\"csp-report\":",
        )
        .await
        .unwrap();
    assert_eq!(answer(stream).await.0, 413);
    // No length, chunked: read up to the 64 KiB limit, then refused.
    let mut stream = server.connect().await;
    stream
        .write_all(
            b"POST /security/csp-report HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/csp-report\r\n\
              Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
    let chunk = format!("{:x}\r\n{}\r\n", 8192, "a".repeat(8192));
    let (mut read, mut write) = stream.into_split();
    let writer = rocket::tokio::spawn(async move {
        // 1 MiB offered; the server stops reading long before.
        for _ in 0..128 {
            if write.write_all(chunk.as_bytes()).await.is_err() {
                break;
            }
        }
    });
    let mut buf = Vec::new();
    let _ = timeout(Duration::from_secs(30), read.read_to_end(&mut buf)).await.expect("an answer");
    writer.abort();
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 413 "), "{text}");
    // Nothing was counted, and the endpoint still works.
    assert_eq!(exchange(server.connect().await, post("application/csp-report", &report(2))).await.0, 204);
    let s = &server.settled().await["stats"];
    assert_eq!((s["received"].as_u64(), s["stored"].as_u64()), (Some(1), Some(1)), "{s}");
}

#[rocket::async_test]
async fn malformed_bodies_over_the_wire_get_400_and_nothing_is_counted() {
    let server = Server::start("malformed");
    let cases: [(&str, &[u8]); 5] = [
        ("application/csp-report", b"{\"csp-report\":"),
        ("application/csp-report", b"\xff\xfe\x00garbage"),
        ("application/reports+json", b"{\"not\":\"an array\"}"),
        ("application/json", b"[1, 2, 3"),
        ("application/csp-report", b""),
    ];
    for (content_type, body) in cases {
        let mut request = format!(
            "POST /security/csp-report HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        let (status, _) = exchange(server.connect().await, request).await;
        assert_eq!(status, 400, "{content_type} {:?}", String::from_utf8_lossy(body));
    }
    // A body shorter than its declared length: the client gives up, nothing breaks.
    let mut stream = server.connect().await;
    stream
        .write_all(
            b"POST /security/csp-report HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/csp-report\r\n\
              Content-Length: 500\r\n\r\n{\"csp-report\":{}}",
        )
        .await
        .unwrap();
    drop(stream);
    assert_eq!(exchange(server.connect().await, get("/")).await.0, 200);
    let s = &server.settled().await["stats"];
    assert_eq!((s["received"].as_u64(), s["accepted"].as_u64()), (Some(0), Some(0)), "{s}");
}
