//! Task board parser: arbitrary bytes (lossy), default id pattern; spans must be char ranges;
//! the board rule runs against no packets.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wpgate_core::rules::Emitter;
use wpgate_core::Policy;

fn policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(Policy::embedded)
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let policy = policy();
    let Ok(re) = wpgate_core::model::board::id_regex(&policy.board) else {
        return;
    };
    let board = wpgate_core::model::board::parse_board("docs/TASK_BOARD.md", &text, &re);
    for e in &board.entries {
        assert!(e.span.start <= e.span.end && text.get(e.span.start..e.span.end).is_some());
        let _ = wpgate_core::rules::board::entry_status(e, &policy.board);
    }
    let mut out = Emitter::new(policy);
    wpgate_core::rules::board::check_board(&board, &[], &policy.board, &mut out);
    let _ = out.finish();
});
