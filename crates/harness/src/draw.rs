//! Drawing inputs from a check's seeded generator ([`crate::seed`]): words, text with
//! characters beyond ASCII, bytes of every value, bytes that are not UTF-8. Exercise
//! modules build their own inputs (file names, payloads) from these.

use fastrand::Rng;

/// Lower-case letters and digits, `len` of them: safe in any file name or shell.
pub fn word(rng: &mut Rng, len: usize) -> String {
    (0..len)
        .map(|_| {
            let i = rng.u8(..36);
            char::from(if i < 26 { b'a' + i } else { b'0' + i - 26 })
        })
        .collect()
}

/// A word of 3 to 10 characters.
pub fn short_word(rng: &mut Rng) -> String {
    let len = rng.usize(3..=10);
    word(rng, len)
}

/// Characters that take 2, 3 and 4 bytes in UTF-8, for text that is not ASCII.
const WIDE: &[char] = &[
    'é', 'ß', 'ø', 'Ж', 'λ', 'ש', 'ع', '中', '文', '好', '世', 'ア', '한', '€', '🦀', '🚀', '🎉',
];

/// A character of 2 to 4 bytes.
pub fn wide_char(rng: &mut Rng) -> char {
    WIDE[rng.usize(..WIDE.len())]
}

/// Text of `chars` characters mixing ASCII letters and wider characters, at least one of
/// each.
pub fn unicode_text(rng: &mut Rng, chars: usize) -> String {
    let chars = chars.max(2);
    let wide_at = rng.usize(..chars);
    let mut text: String = (0..chars)
        .map(|i| {
            if i == wide_at || rng.bool() {
                wide_char(rng)
            } else {
                rng.alphabetic()
            }
        })
        .collect();
    if text.is_ascii() {
        text.push(wide_char(rng));
    }
    if text.chars().all(|c| !c.is_ascii()) {
        text.push('a');
    }
    text
}

/// `len` bytes of any value.
pub fn bytes(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    rng.fill(&mut bytes);
    bytes
}

/// A byte that never appears in UTF-8 (0xC0, 0xC1, 0xF5..=0xFF), or a continuation byte
/// (0x80..=0xBF) where no character started.
pub fn invalid_utf8_byte(rng: &mut Rng) -> u8 {
    match rng.u8(..3) {
        0 => rng.u8(0xF5..=0xFF),
        1 => rng.u8(0xC0..=0xC1),
        _ => rng.u8(0x80..=0xBF),
    }
}

/// ASCII letters around one byte that makes the whole invalid UTF-8, and where that
/// byte is: `(bytes, index)`.
pub fn not_utf8(rng: &mut Rng) -> (Vec<u8>, usize) {
    let (before_len, after_len) = (rng.usize(1..=6), rng.usize(1..=6));
    let before = word(rng, before_len);
    let after = word(rng, after_len);
    let mut bytes = before.clone().into_bytes();
    bytes.push(invalid_utf8_byte(rng));
    bytes.extend_from_slice(after.as_bytes());
    (bytes, before.len())
}

/// `from` with its items in a new order.
pub fn shuffled<T>(rng: &mut Rng, mut from: Vec<T>) -> Vec<T> {
    rng.shuffle(&mut from);
    from
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawn_inputs_have_their_shape() {
        let mut rng = Rng::with_seed(3);
        for _ in 0..200 {
            let text = unicode_text(&mut rng, 6);
            assert!(!text.is_ascii() && text.chars().any(|c| c.is_ascii()));
            let (bytes, at) = not_utf8(&mut rng);
            assert!(std::str::from_utf8(&bytes).is_err());
            assert!(std::str::from_utf8(&bytes[..at]).is_ok());
            assert!(word(&mut rng, 8).chars().all(|c| c.is_ascii_alphanumeric()));
        }
    }
}
