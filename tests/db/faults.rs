//! Faults give typed errors, never panics, and the pool recovers by itself.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rocket::tokio::io::copy_bidirectional;
use rocket::tokio::net::{TcpListener, TcpStream};
use rocket::tokio::task::JoinHandle;
use rocket_security::db::{DbError, PasswordExpiry, SecurityPool};

use crate::backends::{all, unique};

/// A TCP proxy to `target` that can be stopped (dropping every connection)
/// and started again on the same port: the database "disappears".
struct Proxy {
    addr: SocketAddr,
    target: SocketAddr,
    task: Option<JoinHandle<()>>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut p = Proxy { addr, target, task: None, conns: Arc::default() };
        p.task = Some(p.serve(listener));
        p
    }

    fn serve(&self, listener: TcpListener) -> JoinHandle<()> {
        let (target, conns) = (self.target, self.conns.clone());
        rocket::tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let conn = rocket::tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                conns.lock().unwrap().push(conn);
            }
        })
    }

    /// Stops listening and cuts every open connection; returns once both are gone.
    async fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
            let _ = t.await;
        }
        let conns: Vec<_> = self.conns.lock().unwrap().drain(..).collect();
        for c in conns {
            c.abort();
            let _ = c.await;
        }
    }

    async fn restart(&mut self) {
        let listener = TcpListener::bind(self.addr).await.unwrap();
        self.task = Some(self.serve(listener));
    }
}

/// `url` with its host:port replaced by `addr`.
fn via(url: &str, addr: SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap();
    let creds = authority.rsplit_once('@').map(|(c, _)| format!("{c}@")).unwrap_or_default();
    format!("{scheme}://{creds}{addr}/{path}")
}

fn target(url: &str) -> SocketAddr {
    let rest = url.split_once("://").unwrap().1;
    let host = rest.split('/').next().unwrap().rsplit('@').next().unwrap();
    host.parse().unwrap()
}

fn pool(url: &str, timeout: u64) -> SecurityPool {
    SecurityPool::new(&rocket_db_pools::Config {
        url: url.to_string(),
        min_connections: None,
        max_connections: 2,
        connect_timeout: timeout,
        idle_timeout: None,
        extensions: None,
    })
    .unwrap()
}

async fn down(url: &str) {
    let p = pool(url, 1);
    let err = p.conn().await.unwrap_err();
    assert!(matches!(err, DbError::Unavailable(_)), "{url}: {err}");
    assert!(err.is_unavailable());
}

#[cfg(feature = "postgres")]
#[rocket::async_test]
async fn a_postgres_server_that_is_down_gives_unavailable_not_a_panic() {
    down("postgres://postgres@127.0.0.1:1/test").await;
}

#[cfg(feature = "mysql")]
#[rocket::async_test]
async fn a_mysql_server_that_is_down_gives_unavailable_not_a_panic() {
    down("mysql://root@127.0.0.1:1/test").await;
}

#[rocket::async_test]
async fn an_exhausted_pool_times_out_with_unavailable() {
    for db in all().await {
        let p = pool(&db.url, 1);
        let _a = p.conn().await.unwrap();
        let _b = p.conn().await.unwrap();
        let started = std::time::Instant::now();
        let err = p.conn().await.unwrap_err();
        assert!(matches!(err, DbError::Unavailable(_)), "{}: {err}", db.name);
        assert!(started.elapsed() < Duration::from_secs(5), "{}: bounded by connect_timeout", db.name);
    }
}

#[rocket::async_test]
async fn queries_recover_without_restart_when_the_server_comes_back() {
    for db in all().await.into_iter().filter(|d| d.name != "sqlite") {
        let mut proxy = Proxy::start(target(&db.url)).await;
        let mut url = via(&db.url, proxy.addr);
        if db.name == "mysql" {
            // mysql_async switches a loopback TCP connection to the server's Unix
            // socket by default, which would bypass the proxy.
            url.push_str(if url.contains('?') { "&prefer_socket=false" } else { "?prefer_socket=false" });
        }
        let p = pool(&url, 2);
        let user = unique("user");
        {
            let mut conn = p.conn().await.unwrap();
            PasswordExpiry::never_expire(&mut conn, &user, chrono::Utc::now()).await.unwrap();
        }
        proxy.stop().await;
        // The pooled connection is dead and no new one can be made.
        let failed = match p.conn().await {
            Err(e) => e,
            Ok(mut conn) => match PasswordExpiry::find(&mut conn, &user).await {
                Err(e) => e,
                Ok(row) => panic!("{}: a query through the stopped proxy succeeded: {row:?}", db.name),
            },
        };
        assert!(failed.is_unavailable() || matches!(failed, DbError::Query(_)), "{}: {failed}", db.name);

        proxy.restart().await;
        let mut recovered = None;
        for _ in 0..20 {
            if let Ok(mut conn) = p.conn().await {
                if let Ok(row) = PasswordExpiry::find(&mut conn, &user).await {
                    recovered = row;
                    break;
                }
            }
            rocket::tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(recovered.map(|r| r.user_id), Some(user), "{}: same pool works again", db.name);
    }
}
