//! Faults from outside: the network (10,000 concurrent posts, slow, huge and
//! malformed bodies, against a real server process) and the database (down,
//! cut mid-query through a TCP proxy, on every backend). Each test bounds its
//! time and asserts behaviour, not speed.

#[path = "../common/backends.rs"]
mod backends;
mod database;
mod host;
#[path = "../common/process.rs"]
mod process;
#[path = "../common/proxy.rs"]
mod proxy;
mod showcase;
mod sockets;
#[cfg(feature = "postgres")]
mod spool;
