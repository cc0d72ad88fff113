//! Any request body, in any of the three formats: the parser and the
//! normalisation never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rocket_security::reports::{classify_blocked, parse, ReportFormat};

fuzz_target!(|data: &[u8]| {
    for format in [ReportFormat::CspReport, ReportFormat::ReportsJson, ReportFormat::Json] {
        if let Ok(parsed) = parse(data, format) {
            for r in &parsed.reports {
                let _ = classify_blocked(r.blocked_uri.as_deref());
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = classify_blocked(Some(text));
    }
});
