//! Minimal PEM (RFC 7468) decoding: one `-----BEGIN <label>-----` block to DER.
//!
//! Text before the first block (e.g. OpenSSL's human-readable dump) is ignored;
//! RFC 1421 headers (`Proc-Type:` …, i.e. encrypted keys) are refused.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Why PEM text was refused. Never contains key bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PemError {
    /// No `-----BEGIN …-----` line.
    NoBegin,
    /// No matching `-----END …-----` line.
    NoEnd,
    /// The body is not standard base64 (or has RFC 1421 headers, e.g. an encrypted key).
    Base64,
}

impl PemError {
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            PemError::NoBegin => "no PEM BEGIN line",
            PemError::NoEnd => "no matching PEM END line",
            PemError::Base64 => "PEM body is not valid base64 (encrypted keys are not supported)",
        }
    }
}

/// A decoded PEM block.
pub(crate) struct Pem {
    /// The label, e.g. `PUBLIC KEY`.
    pub(crate) label: String,
    /// The DER contents.
    pub(crate) der: Vec<u8>,
}

impl std::fmt::Debug for Pem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The DER may be a private key.
        f.debug_struct("Pem")
            .field("label", &self.label)
            .field("der", &format_args!("<{} bytes>", self.der.len()))
            .finish()
    }
}

/// Decodes the first PEM block of `text`.
pub(crate) fn decode(text: &str) -> Result<Pem, PemError> {
    const BEGIN: &str = "-----BEGIN ";
    const DASHES: &str = "-----";
    let start = text.find(BEGIN).ok_or(PemError::NoBegin)?;
    let after_begin = &text[start + BEGIN.len()..];
    let label_end = after_begin.find(DASHES).ok_or(PemError::NoBegin)?;
    let label = &after_begin[..label_end];
    if label.contains(['\r', '\n']) {
        return Err(PemError::NoBegin);
    }
    let body_and_rest = &after_begin[label_end + DASHES.len()..];
    let end_marker = format!("-----END {label}-----");
    let body_end = body_and_rest.find(&end_marker).ok_or(PemError::NoEnd)?;
    let body = &body_and_rest[..body_end];
    if body.contains(':') {
        return Err(PemError::Base64);
    }
    let compact: Vec<u8> = body.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let der = STANDARD.decode(&compact).map_err(|_| PemError::Base64)?;
    Ok(Pem {
        label: label.to_owned(),
        der,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_block() {
        let pem =
            decode("junk\n-----BEGIN PUBLIC KEY-----\nAAEC\r\nAw==\n-----END PUBLIC KEY-----\n")
                .unwrap();
        assert_eq!(pem.label, "PUBLIC KEY");
        assert_eq!(pem.der, [0, 1, 2, 3]);
        assert!(!format!("{pem:?}").contains('['));
    }

    #[test]
    fn errors() {
        assert_eq!(decode("").err(), Some(PemError::NoBegin));
        assert_eq!(
            decode("-----BEGIN X-----\nAAEC\n").err(),
            Some(PemError::NoEnd)
        );
        assert_eq!(
            decode("-----BEGIN X-----\nAAEC\n-----END Y-----").err(),
            Some(PemError::NoEnd)
        );
        assert_eq!(
            decode("-----BEGIN X-----\n!!!!\n-----END X-----").err(),
            Some(PemError::Base64)
        );
        assert_eq!(
            decode("-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\n\nAAEC\n-----END X-----").err(),
            Some(PemError::Base64)
        );
        assert_eq!(decode("-----BEGIN X").err(), Some(PemError::NoBegin));
    }
}
