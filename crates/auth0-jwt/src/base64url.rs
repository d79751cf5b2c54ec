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

fn map_err(e: base64::DecodeError) -> Base64Error {
    match e {
        base64::DecodeError::InvalidByte(..) | base64::DecodeError::InvalidPadding => {
            Base64Error::InvalidByte
        }
        base64::DecodeError::InvalidLength(_) => Base64Error::InvalidLength,
        base64::DecodeError::InvalidLastSymbol(..) => Base64Error::NonCanonical,
    }
}

/// Decodes `input` into a new vector.
pub(crate) fn decode(input: &[u8]) -> Result<Vec<u8>, Base64Error> {
    let mut out = Vec::with_capacity(decoded_len_estimate(input.len()));
    decode_into(input, &mut out)?;
    Ok(out)
}

/// Decodes `input`, appending to `out` (lets callers reuse one buffer).
pub(crate) fn decode_into(input: &[u8], out: &mut Vec<u8>) -> Result<(), Base64Error> {
    ENGINE.decode_vec(input, out).map_err(map_err)
}

/// Decodes `input` into the start of `out`, returning the decoded length. `out` must
/// hold at least [`decoded_len_estimate`]`(input.len())` bytes.
pub(crate) fn decode_slice(input: &[u8], out: &mut [u8]) -> Result<usize, Base64Error> {
    ENGINE.decode_slice(input, out).map_err(|e| match e {
        base64::DecodeSliceError::DecodeError(e) => map_err(e),
        // Callers size `out` with `decoded_len_estimate`, which is never too small;
        // should that ever break, the input is refused rather than truncated.
        base64::DecodeSliceError::OutputSliceTooSmall => Base64Error::InvalidLength,
    })
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
