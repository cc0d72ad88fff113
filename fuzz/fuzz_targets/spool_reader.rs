//! Any bytes as a spool file (torn, bit-flipped, forged): the reader a start
//! runs never panics, never loops, and every byte ends up in exactly one
//! record, intact or damaged (the entry point asserts it).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = rocket_security::reports::fuzz_spool_reader(data);
});
