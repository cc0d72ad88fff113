//! What the crate logs through `tracing` under the target `security`: the
//! liftoff summary and warnings, and one escaped line per CSP violation.
//! One subscriber serves the whole binary; each test reads the lines it
//! caused. (`tests/log_bridge.rs` is a binary of its own: it needs a process
//! where no tracing subscriber was ever installed.)

#[path = "../common/mod.rs"]
mod common;
mod liftoff;
mod nonce_cache;
mod refusals;
mod violations;

use common::capture::captured;
