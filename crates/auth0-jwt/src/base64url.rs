//! Strict base64url (RFC 4648 §5) without padding, as JWS compact serialization needs.
//!
//! Rejects `=` padding, the standard alphabet's `+` and `/`, whitespace and any other
//! byte outside the URL-safe alphabet, impossible lengths (`len % 4 == 1`) and
//! non-canonical encodings whose unused trailing bits are not zero — so each byte string
//! has exactly one accepted encoding and a token cannot be altered without changing its
//! signing input.

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::{DecodeError, DecodeSliceError, Engine as _, alphabet};

/// No padding on encode, padding forbidden on decode, trailing bits must be zero.
const CONFIG: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_encode_padding(false)
    .with_decode_allow_trailing_bits(false)
    .with_decode_padding_mode(DecodePaddingMode::RequireNone);

/// The URL-safe alphabet with [`CONFIG`] (encoding, and the decoder's
/// scalar twin in the tests).
const ENGINE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, CONFIG);

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

/// The decoder of the token path: the `base64` crate's SIMD engine (AVX2 or
/// NEON, picked at run time, its scalar engine otherwise) with [`ENGINE`]'s
/// strict configuration. It replaced a hand-written table decoder: on a
/// 720-character token part it decodes 2–3× faster (same machine, same run).
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "aarch64", target_feature = "neon")
))]
static DECODER: std::sync::LazyLock<base64::engine::Simd> =
    std::sync::LazyLock::new(|| base64::engine::Simd::url_safe(CONFIG));

/// Elsewhere the scalar engine.
#[cfg(not(any(
    target_arch = "x86_64",
    all(target_arch = "aarch64", target_feature = "neon")
)))]
static DECODER: GeneralPurpose = ENGINE;

/// Decodes `input` into the start of `out`, returning the decoded length. `out` must
/// hold at least [`decoded_len_estimate`]`(input.len())` bytes; bytes of `out` past
/// the decoded length may be overwritten. This is the token path's busiest
/// loop (all ~750 characters of a token go through it). Inputs shorter than
/// the SIMD engine's own threshold (64 characters: an HMAC or ECDSA P-256
/// signature, a header) go to [`decode_short`] instead.
pub(crate) fn decode_slice(input: &[u8], out: &mut [u8]) -> Result<usize, Base64Error> {
    if input.len() < SHORT {
        return decode_short(input, out);
    }
    DECODER.decode_slice(input, out).map_err(|e| match e {
        DecodeSliceError::DecodeError(e) => reason(e),
        // Callers size `out` with `decoded_len_estimate`; should that ever
        // break, the input is refused rather than truncated.
        DecodeSliceError::OutputSliceTooSmall => Base64Error::InvalidLength,
    })
}

/// Inputs shorter than this go to [`decode_short`] (the SIMD engine's own
/// threshold: below it, it calls its scalar engine).
const SHORT: usize = 64;

/// Marks a byte outside the alphabet in [`DECODE`] (no 6-bit value has these
/// bits).
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

/// The decoder for inputs under [`SHORT`] characters: four table lookups
/// and a few shifts per group of four characters, every character's validity
/// folded into one test at the end. The `base64` crate's scalar engine
/// (which the SIMD engine calls for such inputs) spent ~390 instructions on
/// the 43-character signature of an HS256 token, this one ~240 (callgrind,
/// jwt bench `HS256` profile; figures in `benches/README.md`). The `base64url` fuzz target and
/// `tests::matches_the_scalar_engine` hold it to the `base64` crate's
/// verdicts, byte for byte.
fn decode_short(input: &[u8], out: &mut [u8]) -> Result<usize, Base64Error> {
    // A byte outside the alphabet is reported before an impossible length
    // (`len % 4 == 1`), as the `base64` crate does: that length leaves one
    // character over, which is checked and decodes to nothing.
    let tail_len = (input.len() % 4).saturating_sub(1);
    let body_len = input.len() / 4 * 3;
    let len = body_len + tail_len;
    let (Some(body), Some(out)) = (input.get(..input.len() / 4 * 4), out.get_mut(..len)) else {
        return Err(Base64Error::InvalidLength);
    };
    let (out_body, out_tail) = out.split_at_mut(body_len);
    let value = |c: u8| u32::from(DECODE[usize::from(c)]);
    // Bits above the low six of any value: only `INVALID` sets them.
    let mut bad = 0u32;
    for (src, dst) in body.chunks_exact(4).zip(out_body.chunks_exact_mut(3)) {
        let &[a, b, c, d] = src else { continue };
        let [a, b, c, d] = [value(a), value(b), value(c), value(d)];
        bad |= a | b | c | d;
        let [_, x, y, z] = (a << 18 | b << 12 | c << 6 | d).to_be_bytes();
        dst.copy_from_slice(&[x, y, z]);
    }
    let tail = input.get(body.len()..).unwrap_or_default();
    let mut last = [0u32; 3];
    for (v, &c) in last.iter_mut().zip(tail) {
        *v = value(c);
        bad |= *v;
    }
    if bad & !0x3F != 0 {
        return Err(Base64Error::InvalidByte);
    }
    if tail.len() == 1 {
        return Err(Base64Error::InvalidLength);
    }
    let [a, b, c] = last;
    let n = a << 18 | b << 12 | c << 6;
    let [_, x, y, z] = n.to_be_bytes();
    match out_tail {
        [] => {}
        // Two characters carry 12 bits for one byte: the low 4 must be zero.
        [first] if y == 0 => *first = x,
        // Three characters carry 18 bits for two bytes: the low 2 must be zero.
        [first, second] if z == 0 => (*first, *second) = (x, y),
        _ => return Err(Base64Error::NonCanonical),
    }
    Ok(len)
}

/// Why the `base64` crate refused an input, in this module's terms.
fn reason(e: DecodeError) -> Base64Error {
    match e {
        DecodeError::InvalidByte(..) | DecodeError::InvalidPadding => Base64Error::InvalidByte,
        DecodeError::InvalidLength(_) => Base64Error::InvalidLength,
        DecodeError::InvalidLastSymbol { .. } => Base64Error::NonCanonical,
    }
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

    /// Both decoders (the table one under 64 characters, the SIMD one
    /// above) agree with the `base64` crate's scalar engine, verdicts
    /// included, on lengths that take the vector loop and its scalar tail.
    #[test]
    fn matches_the_scalar_engine() {
        let reference = |input: &[u8]| ENGINE.decode(input).map_err(reason);
        let chars = b"AQgw_-zZ09+/=. \n\x80\xff";
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = (next() % 161) as usize;
            // Mostly valid characters, now and then a bad one.
            let input: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    if r % 64 == 0 {
                        chars[(r >> 8) as usize % chars.len()]
                    } else {
                        chars[(r >> 8) as usize % 6]
                    }
                })
                .collect();
            let ours = decode(&input);
            let theirs = reference(&input);
            assert_eq!(ours, theirs, "{input:?}");
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
