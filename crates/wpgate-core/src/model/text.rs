//! A decoded text file: UTF-8, or decoded lossily with the first invalid line recorded
//! (`packet.encoding`).

use std::sync::Arc;

/// A text file decoded for parsing: invalid UTF-8 is replaced (and reported by callers
/// that care, via `invalid_utf8_line`).
#[derive(Debug, Clone)]
pub struct TextFile {
    pub path: String,
    pub text: Arc<str>,
    pub raw: Arc<[u8]>,
    /// 1-based line of the first invalid UTF-8 byte, if any.
    pub invalid_utf8_line: Option<usize>,
}

impl TextFile {
    pub fn decode(path: &str, raw: Vec<u8>) -> TextFile {
        let (text, bad) = match String::from_utf8(raw) {
            Ok(s) => {
                let raw: Arc<[u8]> = Arc::from(s.as_bytes());
                (s, (None, raw))
            }
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let bytes = e.into_bytes();
                let line = bytes[..valid].iter().filter(|&&b| b == b'\n').count() + 1;
                let s = String::from_utf8_lossy(&bytes).into_owned();
                (s, (Some(line), Arc::from(bytes)))
            }
        };
        TextFile {
            path: path.to_string(),
            text: Arc::from(text),
            raw: bad.1,
            invalid_utf8_line: bad.0,
        }
    }
}
