//! A tiny, strict DER reader: just enough for SubjectPublicKeyInfo and PKCS#1
//! `RSAPublicKey`.
//!
//! Only definite, minimally encoded lengths up to 4 bytes are accepted; every read is
//! bounds-checked so garbage input yields an error, never a panic.

/// Why DER input was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DerError {
    /// Input ended inside a tag, length or value.
    Truncated,
    /// A different tag than the structure requires.
    UnexpectedTag,
    /// Indefinite length, non-minimal length encoding, or a length over 4 bytes.
    BadLength,
    /// Bytes left over after the structure.
    TrailingData,
    /// An INTEGER that is empty, negative or not minimally encoded.
    BadInteger,
    /// A BIT STRING with unused bits (keys are whole bytes) or no content.
    BadBitString,
    /// A NULL with content.
    BadNull,
}

impl DerError {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DerError::Truncated => "truncated DER",
            DerError::UnexpectedTag => "unexpected DER tag",
            DerError::BadLength => "invalid DER length",
            DerError::TrailingData => "trailing data after DER structure",
            DerError::BadInteger => "invalid DER INTEGER",
            DerError::BadBitString => "invalid DER BIT STRING",
            DerError::BadNull => "invalid DER NULL",
        }
    }
}

pub(crate) const TAG_INTEGER: u8 = 0x02;
pub(crate) const TAG_BIT_STRING: u8 = 0x03;
pub(crate) const TAG_NULL: u8 = 0x05;
pub(crate) const TAG_OID: u8 = 0x06;
pub(crate) const TAG_SEQUENCE: u8 = 0x30;

/// A cursor over DER bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Fails unless all input was consumed.
    pub(crate) fn finish(&self) -> Result<(), DerError> {
        if self.data.is_empty() {
            Ok(())
        } else {
            Err(DerError::TrailingData)
        }
    }

    /// Reads one element with tag `tag`, returning its content.
    pub(crate) fn read(&mut self, tag: u8) -> Result<&'a [u8], DerError> {
        let (&actual, rest) = self.data.split_first().ok_or(DerError::Truncated)?;
        if actual != tag {
            return Err(DerError::UnexpectedTag);
        }
        let (&first, mut rest) = rest.split_first().ok_or(DerError::Truncated)?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            // 0x80 is BER's indefinite length; more than 4 length bytes is absurd here.
            if n == 0 || n > 4 {
                return Err(DerError::BadLength);
            }
            let (len_bytes, after) = rest.split_at_checked(n).ok_or(DerError::Truncated)?;
            if len_bytes.first() == Some(&0) {
                return Err(DerError::BadLength);
            }
            let len = len_bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            if len < 0x80 {
                // Must have used the short form.
                return Err(DerError::BadLength);
            }
            rest = after;
            len
        };
        let (content, after) = rest.split_at_checked(len).ok_or(DerError::Truncated)?;
        self.data = after;
        Ok(content)
    }

    /// Reads a SEQUENCE and returns a reader over its content.
    pub(crate) fn sequence(&mut self) -> Result<Reader<'a>, DerError> {
        self.read(TAG_SEQUENCE).map(Reader::new)
    }

    /// Reads a non-negative INTEGER, returning its big-endian magnitude without the sign
    /// padding byte (may be empty for zero).
    pub(crate) fn positive_integer(&mut self) -> Result<&'a [u8], DerError> {
        let content = self.read(TAG_INTEGER)?;
        match content {
            [] => Err(DerError::BadInteger),
            [first, ..] if first & 0x80 != 0 => Err(DerError::BadInteger),
            [0, second, ..] if second & 0x80 == 0 => Err(DerError::BadInteger),
            [0, rest @ ..] => Ok(rest),
            _ => Ok(content),
        }
    }

    /// Reads an OBJECT IDENTIFIER, returning its encoded content.
    pub(crate) fn oid(&mut self) -> Result<&'a [u8], DerError> {
        self.read(TAG_OID)
    }

    /// Reads a NULL.
    pub(crate) fn null(&mut self) -> Result<(), DerError> {
        if self.read(TAG_NULL)?.is_empty() {
            Ok(())
        } else {
            Err(DerError::BadNull)
        }
    }

    /// Reads a BIT STRING made of whole bytes, returning those bytes.
    pub(crate) fn bit_string_bytes(&mut self) -> Result<&'a [u8], DerError> {
        match self.read(TAG_BIT_STRING)? {
            [0, bytes @ ..] => Ok(bytes),
            _ => Err(DerError::BadBitString),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_lengths() {
        let mut r = Reader::new(&[0x30, 0x02, 0x05, 0x00]);
        let mut seq = r.sequence().unwrap();
        seq.null().unwrap();
        seq.finish().unwrap();
        r.finish().unwrap();

        let mut long = vec![0x04, 0x81, 0x80];
        long.extend(std::iter::repeat_n(7u8, 0x80));
        let mut r = Reader::new(&long);
        assert_eq!(r.read(0x04).unwrap().len(), 0x80);
        assert!(r.is_empty());
    }

    #[test]
    fn rejects_non_minimal_and_indefinite_lengths() {
        assert_eq!(
            Reader::new(&[0x30, 0x81, 0x02, 0x05, 0x00])
                .sequence()
                .err(),
            Some(DerError::BadLength)
        );
        assert_eq!(
            Reader::new(&[0x30, 0x82, 0x00, 0x02, 0x05, 0x00])
                .sequence()
                .err(),
            Some(DerError::BadLength)
        );
        assert_eq!(
            Reader::new(&[0x30, 0x80, 0x05, 0x00, 0x00, 0x00])
                .sequence()
                .err(),
            Some(DerError::BadLength)
        );
        assert_eq!(
            Reader::new(&[0x30, 0x85, 1, 0, 0, 0, 0]).sequence().err(),
            Some(DerError::BadLength)
        );
    }

    #[test]
    fn integers() {
        assert_eq!(
            Reader::new(&[0x02, 0x01, 0x03]).positive_integer(),
            Ok(&[3u8][..])
        );
        assert_eq!(
            Reader::new(&[0x02, 0x02, 0x00, 0x80]).positive_integer(),
            Ok(&[0x80u8][..])
        );
        assert_eq!(
            Reader::new(&[0x02, 0x02, 0x00, 0x01]).positive_integer(),
            Err(DerError::BadInteger)
        );
        assert_eq!(
            Reader::new(&[0x02, 0x01, 0x80]).positive_integer(),
            Err(DerError::BadInteger)
        );
        assert_eq!(
            Reader::new(&[0x02, 0x00]).positive_integer(),
            Err(DerError::BadInteger)
        );
    }

    #[test]
    fn bit_strings_and_nulls() {
        assert_eq!(
            Reader::new(&[0x03, 0x02, 0x00, 0xAA]).bit_string_bytes(),
            Ok(&[0xAAu8][..])
        );
        assert_eq!(
            Reader::new(&[0x03, 0x02, 0x01, 0xAA]).bit_string_bytes(),
            Err(DerError::BadBitString)
        );
        assert_eq!(
            Reader::new(&[0x03, 0x00]).bit_string_bytes(),
            Err(DerError::BadBitString)
        );
        assert_eq!(
            Reader::new(&[0x05, 0x01, 0x00]).null(),
            Err(DerError::BadNull)
        );
    }

    #[test]
    fn garbage_never_panics() {
        // Every prefix of a valid structure, and a pseudo-random byte soup.
        let valid = [
            0x30, 0x0a, 0x02, 0x03, 0x01, 0x00, 0x01, 0x06, 0x03, 0x2b, 0x65, 0x70,
        ];
        for end in 0..valid.len() {
            let mut r = Reader::new(&valid[..end]);
            let _ = r.sequence().and_then(|mut s| s.positive_integer());
        }
        let mut x: u32 = 0x1234_5678;
        for _ in 0..2000 {
            let bytes: Vec<u8> = (0..(x % 40))
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            let mut r = Reader::new(&bytes);
            let _ = r.sequence().and_then(|mut s| {
                s.sequence()?.oid()?;
                s.bit_string_bytes()
            });
            let _ = Reader::new(&bytes).positive_integer();
        }
    }

    #[test]
    fn wrong_tag_and_truncation() {
        assert_eq!(
            Reader::new(&[0x31, 0x00]).sequence().err(),
            Some(DerError::UnexpectedTag)
        );
        assert_eq!(Reader::new(&[]).sequence().err(), Some(DerError::Truncated));
        assert_eq!(
            Reader::new(&[0x30]).sequence().err(),
            Some(DerError::Truncated)
        );
        assert_eq!(
            Reader::new(&[0x30, 0x05, 0x00]).sequence().err(),
            Some(DerError::Truncated)
        );
        assert_eq!(
            Reader::new(&[0x30, 0x82, 0x01]).sequence().err(),
            Some(DerError::Truncated)
        );
        assert_eq!(Reader::new(&[]).finish(), Ok(()));
        let mut r = Reader::new(&[0x05, 0x00, 0x00]);
        r.null().unwrap();
        assert_eq!(r.finish(), Err(DerError::TrailingData));
    }
}
