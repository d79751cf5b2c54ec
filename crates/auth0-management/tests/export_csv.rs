//! Users export files in CSV as Auth0 writes them, and hostile or broken
//! files (CSV and NDJSON), read through the public decoder ([`ExportFile`],
//! the one a download uses).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write as _;

use auth0_management::jobs::{ExportFile, ExportFormat, ExportedUser, JobError};
use serde_json::json;

/// The gzip of `text`, as storage serves an export file.
fn gzip(text: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(text).unwrap();
    encoder.finish().unwrap()
}

/// Every user of `file`, or the first error.
fn decode(file: Vec<u8>, format: ExportFormat) -> Result<Vec<ExportedUser>, JobError> {
    ExportFile::new(file.into(), format).users().collect()
}

/// Auth0 escapes CSV exports against formula injection (OWASP): every
/// string is wrapped in double quotes and prefixed with `'`; numbers,
/// booleans and Auth0's ISO 8601 dates are not ("Bulk Export User Data",
/// *Supported file formats*). The prefix is Auth0's escaping, not the
/// user's data: `user_id()` must be an id the API accepts.
#[test]
fn auth0s_csv_injection_prefix_is_not_part_of_the_values() {
    let file = concat!(
        "user_id,email,email_verified,created_at,logins_count,name\n",
        "\"'auth0|5f7c8ec7c33c6c004bbafe82\",\"'jane@example.com\",true,",
        "2024-01-02T03:04:05.678Z,3,\"'Jane \"\"JD\"\" Doe\"\n",
        // A name that really starts with a quote keeps it.
        "\"'auth0|2\",\"'b@example.com\",false,2024-01-02T03:04:05.678Z,0,\"''quoted'\"\n",
    );
    let users: Vec<_> = ExportFile::new(file.into(), ExportFormat::Csv)
        .users()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(users[0].user_id(), Some("auth0|5f7c8ec7c33c6c004bbafe82"));
    assert_eq!(users[0].get("email"), Some(&json!("jane@example.com")));
    assert_eq!(users[0].get("name"), Some(&json!("Jane \"JD\" Doe")));
    assert_eq!(users[0].get("email_verified"), Some(&json!("true")));
    assert_eq!(
        users[0].get("created_at"),
        Some(&json!("2024-01-02T03:04:05.678Z"))
    );
    assert_eq!(users[0].get("logins_count"), Some(&json!("3")));
    assert_eq!(users[1].user_id(), Some("auth0|2"));
    assert_eq!(users[1].get("name"), Some(&json!("'quoted'")));
}

/// `text` gzipped with its end cut off: a download that broke off inside
/// the last row, whose end never comes.
fn cut_gzip(text: &[u8]) -> Vec<u8> {
    let mut file = gzip(text);
    // The 8-byte trailer and the end of the deflate stream.
    file.truncate(file.len() - 16);
    file
}

/// An empty field is one byte of the file but a field end the decoder
/// keeps until the row ends: a row of millions of commas (a few KiB
/// gzipped) must not make it keep millions of them, nor read such a row
/// on to the end of the file. A row may not have more fields than the
/// header: the first one past it ends the export with a typed error right
/// there, not the broken-off download millions of fields later.
#[test]
fn a_row_of_millions_of_empty_fields_is_refused_at_the_headers_count() {
    let mut text = b"user_id,email\n'auth0|1,a@example.com\n'auth0|2".to_vec();
    text.resize(text.len() + 4 * 1024 * 1024, b',');
    let users: Vec<_> = ExportFile::new(cut_gzip(&text).into(), ExportFormat::Csv)
        .users()
        .collect();
    assert_eq!(users.len(), 2, "{users:?}");
    assert_eq!(users[0].as_ref().unwrap().user_id(), Some("auth0|1"));
    let err = users[1].as_ref().unwrap_err();
    assert!(
        matches!(err, JobError::MalformedLine { line: 3, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("where the header has 2"), "{err}");
}

/// The header row, which sets the count for the others, is itself capped:
/// Auth0 exports at most 30 fields in CSV, so a header of millions of
/// empty titles is not an export, and is refused at the cap instead of
/// kept.
#[test]
fn a_header_of_millions_of_fields_is_refused() {
    let mut text = b"user_id,email".to_vec();
    text.resize(text.len() + 4 * 1024 * 1024, b',');
    let err = decode(cut_gzip(&text), ExportFormat::Csv).unwrap_err();
    assert!(
        matches!(err, JobError::MalformedLine { line: 1, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("header of more than"), "{err}");
}

/// The caps are exact: a header of 1,024 fields and rows of exactly the
/// header's count (with `\n` or `\r\n`, the last one without its line
/// end, empty fields included) decode; one field more is refused.
#[test]
fn rows_at_the_field_caps_decode_and_one_more_field_is_refused() {
    let names: Vec<String> = (0..1024).map(|i| format!("f{i}")).collect();
    let header = names.join(",");
    let full_row = |id: &str| {
        let mut cells = vec![String::new(); 1024];
        cells[0] = format!("'{id}");
        cells[1023] = "'last".to_owned();
        cells.join(",")
    };
    for end in ["\n", "\r\n"] {
        let text = format!(
            "{header}{end}{}{end}{}",
            full_row("auth0|1"),
            full_row("auth0|2")
        );
        for file in [text.clone().into_bytes(), gzip(text.as_bytes())] {
            let users = decode(file, ExportFormat::Csv).unwrap();
            assert_eq!(users.len(), 2);
            assert_eq!(users[1].get("f0"), Some(&json!("auth0|2")));
            assert_eq!(users[1].get("f1023"), Some(&json!("last")));
            assert_eq!(users[1].fields().len(), 2);
        }
    }

    let wide = format!("{header},f1024\n");
    let err = decode(wide.into_bytes(), ExportFormat::Csv).unwrap_err();
    assert!(
        matches!(err, JobError::MalformedLine { line: 1, .. }),
        "{err:?}"
    );

    let text = "user_id,email\n'auth0|1,a@x\n'auth0|2,b@x,\n";
    let err = decode(text.as_bytes().to_vec(), ExportFormat::Csv).unwrap_err();
    assert!(
        matches!(err, JobError::MalformedLine { line: 3, .. }),
        "{err:?}"
    );
}

/// `text` cut into `piece`-byte gzip members, one after the other: a valid
/// (multi-member) gzip file the decoder inflates a member at a time, so a
/// line reaches it in pieces of that size. Each member is written by hand
/// (RFC 1952 around one stored deflate block, RFC 1951 §3.2.4): an
/// encoder's setup per byte would be most of the test's time.
fn gzip_members(text: &[u8], piece: usize) -> Vec<u8> {
    let mut file = Vec::new();
    for piece in text.chunks(piece) {
        let len = u16::try_from(piece.len()).unwrap();
        let mut crc = flate2::Crc::new();
        crc.update(piece);
        // ID1 ID2, CM = deflate, no flags, no MTIME, XFL, OS unknown.
        file.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
        // BFINAL, BTYPE = stored; LEN and NLEN.
        file.push(1);
        file.extend_from_slice(&len.to_le_bytes());
        file.extend_from_slice(&(!len).to_le_bytes());
        file.extend_from_slice(piece);
        file.extend_from_slice(&crc.sum().to_le_bytes());
        file.extend_from_slice(&(piece.len() as u32).to_le_bytes());
    }
    file
}

/// A long NDJSON line that arrives in many small pieces (one byte at a
/// time included) decodes the same whatever the pieces' size, next to
/// short lines, blank lines, `\r\n` and a last line without its newline.
#[test]
fn a_long_ndjson_line_in_tiny_pieces_decodes_the_same_as_whole() {
    // Longer than one step of the decompressor (32 KiB).
    let long = "x".repeat(40 * 1024);
    let text = format!(
        "{{\"user_id\":\"auth0|1\"}}\n\n{{\"user_id\":\"auth0|2\",\"name\":\"{long}\"}}\r\n\
         \r\n{{\"user_id\":\"auth0|3\"}}"
    );
    let whole = decode(text.clone().into_bytes(), ExportFormat::Json).unwrap();
    let ids: Vec<_> = whole.iter().map(|u| u.user_id().unwrap()).collect();
    assert_eq!(ids, ["auth0|1", "auth0|2", "auth0|3"]);
    assert_eq!(whole[1].get("name"), Some(&json!(long)));
    for piece in [1, 7, 4096, 40_000] {
        let users = decode(gzip_members(text.as_bytes(), piece), ExportFormat::Json).unwrap();
        assert_eq!(users, whole, "in pieces of {piece} bytes");
    }
}
