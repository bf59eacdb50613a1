//! Quoted-printable bodies decoded as mail-parser decodes a part that runs to
//! the end of the message (`decode_quoted_printable_mime` with no boundary),
//! byte for byte, but with the stretches between `=`, CR and LF copied at
//! once: its decoder pushes every byte on its own, which was a tenth of parsing
//! over the corpus. Checked against it by a property test.

use mail_parser::decoders::quoted_printable::HEX_MAP;

#[derive(Clone, Copy, PartialEq)]
enum State {
    Text,
    /// After `=`.
    Equals,
    /// After `=` and one hex digit, whose value this is.
    FirstDigit(u8),
}

/// The decoded bytes, or `None` where mail-parser gives up on the part
/// (a second `=` inside an escape) and takes its recovery path.
pub(crate) fn decode(body: &[u8]) -> Option<Vec<u8>> {
    let hex = |b: u8| u8::try_from(HEX_MAP[usize::from(b)]).ok();
    let mut out = Vec::with_capacity(body.len());
    let mut state = State::Text;
    // Whitespace bytes at the end of `out` that a line end takes off again.
    let mut trailing_space = 0;
    // Line ends come out as LF until a CR has been read anywhere before them.
    let mut line_end: &[u8] = b"\n";
    let mut i = 0;
    while i < body.len() {
        if state == State::Text {
            let run_end = memchr::memchr3(b'=', b'\n', b'\r', &body[i..]).map_or(body.len(), |at| i + at);
            let run = &body[i..run_end];
            if !run.is_empty() {
                out.extend_from_slice(run);
                let spaces = run.iter().rev().take_while(|b| b.is_ascii_whitespace()).count();
                trailing_space = if spaces == run.len() { trailing_space + spaces } else { spaces };
                i = run_end;
                continue;
            }
        }
        let b = body[i];
        match b {
            // The common escape, `=` and two hex digits, in one step.
            b'=' if state == State::Text
                && let (Some(high), Some(low)) = (body.get(i + 1).and_then(|&h| hex(h)), body.get(i + 2).and_then(|&l| hex(l))) =>
            {
                out.push(high << 4 | low);
                trailing_space = 0;
                i += 3;
                continue;
            }
            b'=' if state == State::Text => state = State::Equals,
            b'=' => return None,
            b'\n' => {
                if state == State::Equals {
                    // A soft line break.
                    state = State::Text;
                } else {
                    out.truncate(out.len().saturating_sub(trailing_space));
                    out.extend_from_slice(line_end);
                }
                trailing_space = 0;
            }
            b'\r' => line_end = b"\r\n",
            _ => match state {
                // Not reached: text bytes are copied as runs above.
                State::Text => {
                    out.push(b);
                    trailing_space = if b.is_ascii_whitespace() { trailing_space + 1 } else { 0 };
                }
                State::Equals => match hex(b) {
                    Some(high) => state = State::FirstDigit(high),
                    // Whitespace after `=` is passed over.
                    None if b.is_ascii_whitespace() => {}
                    None => {
                        out.extend_from_slice(&[b'=', b]);
                        trailing_space = 0;
                        state = State::Text;
                    }
                },
                State::FirstDigit(high) => {
                    match hex(b) {
                        Some(low) => out.push(high << 4 | low),
                        // As mail-parser writes it: `=`, the byte read before this one, and this one.
                        None => out.extend_from_slice(&[b'=', body[i - 1], b]),
                    }
                    trailing_space = 0;
                    state = State::Text;
                }
            },
        }
        i += 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// mail-parser's decoder for a part that runs to the end of the message.
    fn mail_parsers(body: &[u8]) -> Option<Vec<u8>> {
        let mut stream = mail_parser::parsers::MessageStream::new(body);
        let (end, bytes) = stream.decode_quoted_printable_mime(b"");
        (end != usize::MAX).then(|| bytes.into_owned())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 5000, ..ProptestConfig::default() })]
        #[test]
        fn decodes_as_mail_parser_does(body in prop::collection::vec(prop::sample::select(&b"==\n\r \t\x0b\x0cAaFf09Gg.x\xe9"[..]), 0..40)) {
            prop_assert_eq!(decode(&body), mail_parsers(&body), "{:?}", String::from_utf8_lossy(&body));
        }

        #[test]
        fn decodes_text_with_escapes_as_mail_parser_does(parts in prop::collection::vec(prop::sample::select(vec![
            "Hello world", " ", "  \t", "=\n", "=\r\n", "=20", "=3D", "=E9", "=e9", "=4", "=G1", "= \n", "=\t\r\n", "\n", "\r\n", "\r", "=A\nB", "=A \n", "==",
        ]), 0..24)) {
            let body = parts.concat().into_bytes();
            prop_assert_eq!(decode(&body), mail_parsers(&body), "{:?}", String::from_utf8_lossy(&body));
        }
    }

    #[test]
    fn soft_breaks_join_lines_and_escapes_decode() {
        assert_eq!(
            decode(b"Caf=C3=A9 au lait, a very long line=\r\n that goes on  \r\nnext").unwrap(),
            "Café au lait, a very long line that goes on\r\nnext".as_bytes()
        );
        assert_eq!(decode(b"a == b"), None);
    }
}
