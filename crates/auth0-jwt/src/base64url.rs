//! Strict base64url (RFC 4648 §5) without padding, as JWS compact serialization needs.
//!
//! Rejects `=` padding, the standard alphabet's `+` and `/`, whitespace and any other
//! byte outside the URL-safe alphabet, impossible lengths (`len % 4 == 1`) and
//! non-canonical encodings whose unused trailing bits are not zero — so each byte string
//! has exactly one accepted encoding and a token cannot be altered without changing its
//! signing input.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// URL-safe alphabet, no padding on encode, padding forbidden on decode, trailing bits
/// must be zero.
const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_allow_trailing_bits(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// Why a base64url string was refused. Carries no input bytes (the input may be a token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base64Error {
    /// A byte outside the base64url alphabet (`=`, `+`, `/`, whitespace, …).
    InvalidByte,
    /// A length no unpadded encoding can have (`len % 4 == 1`).
    InvalidLength,
    /// Unused bits in the last character are not zero (non-canonical encoding).
    NonCanonical,
}

impl Base64Error {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Base64Error::InvalidByte => {
                "byte outside the base64url alphabet (padding, '+', '/', whitespace?)"
            }
            Base64Error::InvalidLength => "impossible base64url length",
            Base64Error::NonCanonical => "non-canonical base64url (trailing bits set)",
        }
    }
}

/// Marks a byte outside the alphabet in [`DECODE`].
const INVALID: u8 = 0xFF;

/// Byte → 6-bit value for the URL-safe alphabet, [`INVALID`] elsewhere.
const DECODE: [u8; 256] = {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Decodes `input` into a new vector.
pub(crate) fn decode(input: &[u8]) -> Result<Vec<u8>, Base64Error> {
    let mut out = Vec::new();
    decode_into(input, &mut out)?;
    Ok(out)
}

/// Decodes `input`, appending to `out` (lets callers reuse one buffer).
pub(crate) fn decode_into(input: &[u8], out: &mut Vec<u8>) -> Result<(), Base64Error> {
    let start = out.len();
    out.resize(start + decoded_len_estimate(input.len()), 0);
    let result = decode_slice(input, out.get_mut(start..).unwrap_or_default());
    out.truncate(start + result.unwrap_or(0));
    result.map(|_| ())
}

/// Marks a character outside the alphabet in the [`SHIFTED`] tables: bits no valid
/// group of four characters (24 bits) ever sets.
const BAD: u32 = 0xFF00_0000;

/// For each position in a group of four characters, character → its bits already in
/// place in the group's three bytes read as a little-endian `u32` (first byte lowest),
/// [`BAD`] outside the alphabet. A group is then four lookups and three ORs, and its
/// bytes are the low three of the result.
const SHIFTED: [[u32; 256]; 4] = {
    let mut tables = [[BAD; 256]; 4];
    let mut c = 0;
    while c < 256 {
        let v = DECODE[c] as u32;
        if DECODE[c] != INVALID {
            // Bytes: x0 = a << 2 | b >> 4, x1 = b << 4 | c >> 2, x2 = c << 6 | d.
            tables[0][c] = v << 2;
            tables[1][c] = v >> 4 | (v & 0x0F) << 12;
            tables[2][c] = (v >> 2) << 8 | (v & 0x03) << 22;
            tables[3][c] = v << 16;
        }
        c += 1;
    }
    tables
};

/// The three bytes of four characters (little-endian), [`BAD`] bits set if one is
/// not base64url.
#[inline(always)]
fn group(src: &[u8]) -> u32 {
    let [t0, t1, t2, t3] = &SHIFTED;
    match src {
        [a, b, c, d, ..] => {
            t0[usize::from(*a)] | t1[usize::from(*b)] | t2[usize::from(*c)] | t3[usize::from(*d)]
        }
        _ => BAD,
    }
}

/// Decodes `input` into the start of `out`, returning the decoded length. `out` must
/// hold at least [`decoded_len_estimate`]`(input.len())` bytes; bytes of `out` past
/// the decoded length may be overwritten.
///
/// Eight characters (six bytes) per step, one table lookup per character, one
/// 8-byte store (its last two bytes are overwritten by the next step, or fall in
/// the slack `decoded_len_estimate` leaves), the validity of every character folded
/// into one test at the end, so the hot loop has no branch but its own. This is
/// the token path's busiest loop (all ~750 characters of a token go through it).
pub(crate) fn decode_slice(input: &[u8], out: &mut [u8]) -> Result<usize, Base64Error> {
    let full = input.len() / 4 * 4;
    let tail_len = match input.len() % 4 {
        2 => 1,
        3 => 2,
        _ => 0,
    };
    let body_len = full / 4 * 3;
    let len = body_len + tail_len;
    if out.len() < decoded_len_estimate(input.len()) {
        // Callers size `out` with `decoded_len_estimate`; should that ever break, the
        // input is refused rather than truncated.
        return Err(Base64Error::InvalidLength);
    }
    let (body, tail) = input.split_at(full);

    let mut bad = 0u32;
    let mut at = 0;
    let mut src8 = body.chunks_exact(8);
    for src in &mut src8 {
        let (n1, n2) = (group(src), group(src.get(4..).unwrap_or_default()));
        bad |= n1 | n2;
        // Six bytes, then two that the next step (or the slack) absorbs; `BAD`
        // bits of `n1` land in `n2`'s bytes, which are garbage then anyway.
        let bytes = (u64::from(n1) | u64::from(n2) << 24).to_le_bytes();
        let Some(dst) = out.get_mut(at..at + 8) else {
            return Err(Base64Error::InvalidLength);
        };
        dst.copy_from_slice(&bytes);
        at += 6;
    }
    // At most one group of four is left over.
    let src = src8.remainder();
    if !src.is_empty() {
        let n = group(src);
        bad |= n;
        let Some(dst) = out.get_mut(at..at + 4) else {
            return Err(Base64Error::InvalidLength);
        };
        dst.copy_from_slice(&n.to_le_bytes());
    }
    let Some(out_tail) = out.get_mut(body_len..len) else {
        return Err(Base64Error::InvalidLength);
    };
    // Valid values are below 64; INVALID has the top bits set.
    let mut seen = if bad & BAD != 0 { INVALID } else { 0 };
    let mut last = [0u8; 3];
    for (value, &x) in last.iter_mut().zip(tail) {
        *value = DECODE[usize::from(x)];
        seen |= *value;
    }
    if seen & 0xC0 != 0 {
        return Err(Base64Error::InvalidByte);
    }
    let [a, b, c] = last;
    match out_tail {
        [] if tail.len() == 1 => return Err(Base64Error::InvalidLength),
        [] => {}
        [x] => {
            // Two characters carry 12 bits for one byte: the low 4 must be zero.
            if b & 0x0F != 0 {
                return Err(Base64Error::NonCanonical);
            }
            *x = a << 2 | b >> 4;
        }
        [x, y] => {
            // Three characters carry 18 bits for two bytes: the low 2 must be zero.
            if c & 0x03 != 0 {
                return Err(Base64Error::NonCanonical);
            }
            *x = a << 2 | b >> 4;
            *y = b << 4 | c >> 2;
        }
        _ => return Err(Base64Error::InvalidLength),
    }
    Ok(len)
}

/// Upper bound of the decoded size of `len` base64url characters.
pub(crate) fn decoded_len_estimate(len: usize) -> usize {
    len / 4 * 3 + 3
}

/// Encodes without padding.
pub(crate) fn encode(bytes: &[u8]) -> String {
    ENGINE.encode(bytes)
}

/// Encodes without padding, appending to `out`.
pub(crate) fn encode_into(bytes: &[u8], out: &mut String) {
    ENGINE.encode_string(bytes, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for len in 0..40 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let enc = encode(&data);
            assert!(!enc.contains('='));
            assert_eq!(decode(enc.as_bytes()).unwrap(), data);
        }
    }

    #[test]
    fn rejects_padding_and_standard_alphabet() {
        assert_eq!(decode(b"QQ=="), Err(Base64Error::InvalidByte));
        assert_eq!(decode(b"QQ="), Err(Base64Error::InvalidByte));
        assert_eq!(decode(b"+/+/"), Err(Base64Error::InvalidByte));
        assert_eq!(decode(b"QU Ji"), Err(Base64Error::InvalidByte));
        assert_eq!(decode(b"QUJi\n"), Err(Base64Error::InvalidByte));
        assert_eq!(decode(b"-_-_").unwrap(), vec![0xfb, 0xff, 0xbf]);
    }

    #[test]
    fn rejects_impossible_length() {
        assert_eq!(decode(b"QUJiQ"), Err(Base64Error::InvalidLength));
    }

    #[test]
    fn rejects_non_canonical_trailing_bits() {
        // "QQ" is the canonical encoding of "A"; "QR" differs only in unused bits.
        assert_eq!(decode(b"QQ").unwrap(), b"A");
        assert_eq!(decode(b"QR"), Err(Base64Error::NonCanonical));
        assert_eq!(decode(b"QUI").unwrap(), b"AB");
        assert_eq!(decode(b"QUJ"), Err(Base64Error::NonCanonical));
    }

    /// The hand-written decoder agrees with the `base64` crate's strict engine.
    #[test]
    fn matches_the_base64_crate() {
        let reference = |input: &[u8]| {
            ENGINE.decode(input).map_err(|e| match e {
                base64::DecodeError::InvalidByte(..) | base64::DecodeError::InvalidPadding => {
                    Base64Error::InvalidByte
                }
                base64::DecodeError::InvalidLength(_) => Base64Error::InvalidLength,
                base64::DecodeError::InvalidLastSymbol { .. } => Base64Error::NonCanonical,
            })
        };
        let chars = b"AQgw_-zZ09+/=. \n\x80\xff";
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = (next() % 41) as usize;
            // Mostly valid characters, now and then a bad one.
            let input: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    if r % 16 == 0 {
                        chars[(r >> 8) as usize % chars.len()]
                    } else {
                        chars[(r >> 8) as usize % 6]
                    }
                })
                .collect();
            let ours = decode(&input);
            let theirs = reference(&input);
            match (&ours, &theirs) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{input:?}"),
                (Err(_), Err(_)) => {}
                _ => panic!("{input:?}: {ours:?} vs {theirs:?}"),
            }
            // Single-fault inputs report the same reason.
            if input.iter().all(|c| DECODE[usize::from(*c)] != INVALID) {
                assert_eq!(ours.clone().err(), theirs.clone().err(), "{input:?}");
            }
        }
    }

    #[test]
    fn decode_into_appends() {
        let mut buf = b"x".to_vec();
        decode_into(b"QUI", &mut buf).unwrap();
        assert_eq!(buf, b"xAB");
        let mut s = String::from("p.");
        encode_into(b"AB", &mut s);
        assert_eq!(s, "p.QUI");
    }
}
