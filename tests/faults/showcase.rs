//! The showcase's key: the sample `Rocket.toml` holds none, so a release
//! launch refuses naming `secret_key`; debug makes a key of its directory's
//! own and keeps it.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process;

fn showcase(dir: &std::path::Path, profile: Option<&str>, port: u16) -> std::process::Child {
    let log = std::fs::File::create(dir.join("showcase.log")).expect("log file");
    let mut cmd = Command::new(process::example_binary("showcase"));
    cmd.current_dir(dir)
        .env("ROCKET_PORT", port.to_string())
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env_remove("ROCKET_PROFILE")
        .env_remove("ROCKET_SECRET_KEY")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log);
    if let Some(p) = profile {
        cmd.env("ROCKET_PROFILE", p);
    }
    cmd.spawn().expect("start the showcase")
}

/// The response head of `GET path` from the showcase on `port`.
fn head(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    raw.split("\r\n\r\n").next().unwrap_or_default().to_string() + "\r\n"
}

#[test]
fn a_release_launch_with_the_sample_config_refuses_naming_secret_key() {
    let dir = process::fresh_dir("faults", "showcase-release");
    let mut child = showcase(&dir, Some("release"), process::free_port());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the release showcase did not exit: {}", std::fs::read_to_string(dir.join("showcase.log")).unwrap());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = std::fs::read_to_string(dir.join("showcase.log")).unwrap();
    assert!(!status.success(), "{log}");
    assert!(
        log.contains(
            "invalid configuration: `secret_key`: session expiry encrypts its cookie with Rocket's `secret_key`, \
             which is not set; add `secret_key = \"...\"` (generate one with `openssl rand -base64 64 | tr -d '\\n'`)"
        ),
        "the refusal names secret_key: {log}"
    );
    assert!(log.contains("a deployment brings its own, e.g. ROCKET_SECRET_KEY="), "{log}");
    assert!(!dir.join(rocket_security::core::DEVELOPMENT_KEY_FILE).exists(), "no key is made in release");
}

#[test]
fn a_debug_launch_makes_a_key_of_its_own_and_keeps_it_across_restarts() {
    let dir = process::fresh_dir("faults", "showcase-debug-key");
    let key_file = dir.join(rocket_security::core::DEVELOPMENT_KEY_FILE);
    let mut keys = vec![];
    for _ in 0..2 {
        let port = process::free_port();
        let mut child = showcase(&dir, None, port);
        process::wait_for_port(port, Duration::from_secs(30), || {
            std::fs::read_to_string(dir.join("showcase.log")).unwrap_or_default()
        });
        let (login, icon) = (head(port, "/login"), head(port, "/favicon.ico"));
        let _ = child.kill();
        let _ = child.wait();
        keys.push(std::fs::read_to_string(&key_file).expect("the key file"));
        assert!(login.starts_with("HTTP/1.1 200 OK"), "{login}");
        assert!(
            login.to_ascii_lowercase().contains("\r\ncache-control: no-store, max-age=0\r\n"),
            "login is no-store: {login}"
        );
        assert!(icon.starts_with("HTTP/1.1 200 OK"), "no 404 in the console: {icon}");
        assert!(icon.to_ascii_lowercase().contains("\r\ncontent-type: image/svg+xml\r\n"), "{icon}");
    }
    assert_eq!(keys[0], keys[1], "the same key after a restart");
    assert_eq!(keys[0].len(), 88, "64 bytes in base64");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
