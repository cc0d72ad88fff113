//! Any body of a `crash` report: read, keyed, bounded and sampled
//! without a panic, every stored field within its column's bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rocket_security::reports::{fuzz_browser_report, ReportType};

fuzz_target!(|data: &[u8]| fuzz_browser_report(ReportType::Crash, data));
