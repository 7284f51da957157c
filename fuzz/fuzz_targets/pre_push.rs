//! Pre-push stdin parser: arbitrary bytes (lossy). An accepted line has four fields and
//! full hex object ids; an error names `pre-push stdin` and a line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match wpgate_core::git::parse_pre_push(&text) {
        Ok(updates) => {
            for u in updates {
                for sha in [&u.local_sha, &u.remote_sha] {
                    assert!(sha.len() == 40 || sha.len() == 64);
                    assert!(sha.bytes().all(|b| b.is_ascii_hexdigit()));
                }
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains("pre-push stdin"), "{msg}");
        }
    }
});
