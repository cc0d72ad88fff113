//! A TCP proxy in front of a database server, to make the server disappear
//! and come back during a test.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use rocket::tokio::io::copy_bidirectional;
use rocket::tokio::net::{TcpListener, TcpStream};
use rocket::tokio::task::JoinHandle;

/// A TCP proxy to `target` that can be stopped (dropping every connection)
/// and started again on the same port: the database "disappears".
pub struct Proxy {
    pub addr: SocketAddr,
    target: SocketAddr,
    task: Option<JoinHandle<()>>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Proxy {
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
    pub async fn stop(&mut self) {
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

    pub async fn restart(&mut self) {
        let listener = TcpListener::bind(self.addr).await.unwrap();
        self.task = Some(self.serve(listener));
    }
}

/// `url` with its host:port replaced by `addr`.
pub fn via(url: &str, addr: SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap();
    let creds = authority.rsplit_once('@').map(|(c, _)| format!("{c}@")).unwrap_or_default();
    format!("{scheme}://{creds}{addr}/{path}")
}

pub fn target(url: &str) -> SocketAddr {
    let rest = url.split_once("://").unwrap().1;
    let host = rest.split('/').next().unwrap().rsplit('@').next().unwrap();
    host.parse().unwrap()
}

/// `url` through `proxy`; MySQL is kept on TCP (mysql_async would otherwise
/// switch a loopback connection to the server's Unix socket, bypassing the proxy).
pub fn proxied(url: &str, proxy: &Proxy) -> String {
    let mut u = via(url, proxy.addr);
    if u.starts_with("mysql") {
        u.push_str(if u.contains('?') { "&prefer_socket=false" } else { "?prefer_socket=false" });
    }
    u
}
