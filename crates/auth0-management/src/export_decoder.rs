//! The one decoder of users export files: fed the file in chunks as they
//! arrive (a download) or at once (a file in memory), it decompresses gzip
//! (multi-member; a file that is not gzip is read as it is) and cuts
//! NDJSON lines or CSV records (RFC 4180, by `csv-core`; Auth0's `'`
//! prefix on strings removed) incrementally, handing out one user at a
//! time.
//!
//! Memory stays bounded whatever the file's size: the unread compressed
//! chunk, one decompression step (flate2 writes at most its 32 KiB buffer
//! per step), and the row being cut, which may not pass
//! [`MAX_ROW_BYTES`] nor, in CSV, [`MAX_FIELDS`] fields (the header row)
//! or the header's count (any other row): an empty field is one input byte
//! but a kept field end. Work stays linear in the file's size: a line
//! arriving in many chunks is searched for its end once, not from its
//! start again with each chunk.

use std::io::Write as _;

use bytes::{Buf as _, Bytes};
use serde_json::{Map, Value};

use crate::jobs::{ExportFormat, ExportedUser, JobError};

/// The longest line or record accepted (16 MiB): a user is a few KiB; a
/// longer row means a file that is not an export.
pub(crate) const MAX_ROW_BYTES: usize = 16 * 1024 * 1024;

/// The most fields a CSV header row may have: Auth0 exports at most 30
/// fields in CSV ("Bulk Export User Data"); a wider header means a file
/// that is not an export. Other rows may not have more fields than the
/// header.
pub(crate) const MAX_FIELDS: usize = 1024;

/// The bounds a decoder holds a file to: [`MAX_ROW_BYTES`] and
/// [`MAX_FIELDS`] for every export; smaller ones let the fuzz harness reach
/// them with small inputs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The longest row, in bytes.
    pub(crate) row_bytes: usize,
    /// The most fields of a CSV header.
    pub(crate) fields: usize,
}

impl Limits {
    /// The bounds of every export file.
    pub(crate) const EXPORT: Self = Self {
        row_bytes: MAX_ROW_BYTES,
        fields: MAX_FIELDS,
    };
}

/// The UTF-8 byte order mark, which csv-core removes from a file's start.
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// What [`ExportDecoder::next_user`] found.
#[derive(Debug)]
pub(crate) enum Step {
    /// The next user.
    User(ExportedUser),
    /// Every fed byte is used: feed the next chunk (or say there is none).
    NeedInput,
    /// The file is finished.
    End,
}

enum Codec {
    /// Fewer than two bytes seen: gzip or not is still open.
    Unknown(Vec<u8>),
    Plain,
    Gzip(Box<flate2::write::MultiGzDecoder<Vec<u8>>>),
}

struct Csv {
    reader: csv_core::Reader,
    /// The header row (column titles), once read.
    names: Option<Vec<String>>,
    out: Vec<u8>,
    out_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    /// The line the record being cut starts on; `None` until a byte of it
    /// (not a blank line before it) is read.
    record_line: Option<u64>,
    /// csv-core has been handed input.
    began: bool,
}

/// See the [module docs](self).
pub(crate) struct ExportDecoder {
    format: ExportFormat,
    limits: Limits,
    codec: Codec,
    /// The compressed chunk being consumed.
    input: Bytes,
    /// No chunk will follow `input`.
    input_done: bool,
    /// The decompressor has been finished (after `input_done`).
    flushed: bool,
    /// Decompressed bytes not yet cut into rows, from `start`.
    plain: Vec<u8>,
    start: usize,
    /// NDJSON lines read.
    line: u64,
    /// NDJSON: the bytes after `start` already searched, holding no newline.
    scanned: usize,
    csv: Csv,
}

impl ExportDecoder {
    pub(crate) fn new(format: ExportFormat) -> Self {
        Self::with_limits(format, Limits::EXPORT)
    }

    /// A decoder holding the file to other bounds than an export's.
    pub(crate) fn with_limits(format: ExportFormat, limits: Limits) -> Self {
        Self {
            format,
            limits,
            codec: Codec::Unknown(Vec::with_capacity(2)),
            input: Bytes::new(),
            input_done: false,
            flushed: false,
            plain: Vec::new(),
            start: 0,
            line: 0,
            scanned: 0,
            csv: Csv {
                reader: csv_core::Reader::new(),
                names: None,
                // A row may fill `row_bytes`: one byte more tells it is longer.
                out: vec![0; limits.row_bytes.saturating_add(1).min(1024)],
                out_len: 0,
                ends: vec![0; 32],
                ends_len: 0,
                record_line: None,
                began: false,
            },
        }
    }

    /// The next chunk of the file; only after [`Step::NeedInput`].
    pub(crate) fn feed(&mut self, chunk: Bytes) {
        debug_assert!(self.input.is_empty());
        self.input = chunk;
    }

    /// No more chunks: the file ended.
    pub(crate) fn end_of_input(&mut self) {
        self.input_done = true;
    }

    /// What the decoder holds now, for the fuzz harness's bounds: the
    /// decompressed bytes not yet cut, the CSV row buffer and its field
    /// ends.
    #[cfg(feature = "fuzzing")]
    pub(crate) fn held(&self) -> (usize, usize, usize) {
        (
            self.plain.len() - self.start,
            self.csv.out.len(),
            self.csv.ends.len(),
        )
    }

    /// The next user, or what the decoder needs first.
    pub(crate) fn next_user(&mut self) -> Result<Step, JobError> {
        loop {
            let at_end = self.flushed;
            let row = match self.format {
                ExportFormat::Json => self.next_json(at_end)?,
                ExportFormat::Csv => self.next_csv(at_end)?,
            };
            if let Some(user) = row {
                return Ok(Step::User(user));
            }
            if at_end {
                return Ok(Step::End);
            }
            if !self.decompress()? {
                return Ok(Step::NeedInput);
            }
        }
    }

    /// Moves decompressed bytes into `plain`; false when nothing can be
    /// done until the next chunk is fed.
    fn decompress(&mut self) -> Result<bool, JobError> {
        // Drop what was cut already before adding more.
        if self.start > 0 && (self.start == self.plain.len() || self.start >= 64 * 1024) {
            self.plain.drain(..self.start);
            self.start = 0;
        }
        if self.input.is_empty() {
            if !self.input_done {
                return Ok(false);
            }
            match &mut self.codec {
                Codec::Unknown(head) => {
                    // A file of fewer than two bytes: not gzip.
                    self.plain.extend_from_slice(head);
                    self.codec = Codec::Plain;
                }
                Codec::Plain => {}
                Codec::Gzip(gz) => {
                    // A truncated file fails here.
                    gz.try_finish().map_err(JobError::Decompress)?;
                    self.plain.append(gz.get_mut());
                }
            }
            self.flushed = true;
            return Ok(true);
        }
        match &mut self.codec {
            Codec::Unknown(head) => {
                let take = (2 - head.len()).min(self.input.len());
                head.extend_from_slice(&self.input[..take]);
                self.input.advance(take);
                if head.len() == 2 {
                    let head = std::mem::take(head);
                    if head == [0x1f, 0x8b] {
                        let mut gz = flate2::write::MultiGzDecoder::new(Vec::new());
                        gz.write_all(&head).map_err(JobError::Decompress)?;
                        self.codec = Codec::Gzip(Box::new(gz));
                    } else {
                        self.plain.extend_from_slice(&head);
                        self.codec = Codec::Plain;
                    }
                }
            }
            Codec::Plain => {
                self.plain.extend_from_slice(&self.input);
                self.input.clear();
            }
            Codec::Gzip(gz) => {
                // One step: at most one buffer of output, so a small chunk
                // that inflates a lot is taken a piece at a time.
                let used = gz.write(&self.input).map_err(JobError::Decompress)?;
                gz.flush().map_err(JobError::Decompress)?;
                self.input.advance(used);
                self.plain.append(gz.get_mut());
                if used == 0 && !self.input.is_empty() {
                    return Err(JobError::Decompress(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "data after the end of the gzip stream",
                    )));
                }
            }
        }
        Ok(true)
    }

    fn too_long(line: u64, max: usize) -> JobError {
        JobError::MalformedLine {
            line,
            reason: format!("a row longer than {max} bytes"),
        }
    }

    /// A CSV row with more fields than the header (`header`: its count), or
    /// a header with more than [`MAX_FIELDS`] (`max`).
    fn too_many_fields(line: u64, header: Option<usize>, max: usize) -> JobError {
        let reason = match header {
            Some(n) => format!("more than {n} fields where the header has {n}"),
            None => format!("a header of more than {max} fields"),
        };
        JobError::MalformedLine { line, reason }
    }

    /// One NDJSON user; at the end of the file, the last line may lack its
    /// newline.
    fn next_json(&mut self, at_end: bool) -> Result<Option<ExportedUser>, JobError> {
        loop {
            let rest = &self.plain[self.start..];
            let (text, used) = match memchr_newline(&rest[self.scanned..]) {
                Some(i) => (&rest[..self.scanned + i], self.scanned + i + 1),
                None if at_end && !rest.is_empty() => (rest, rest.len()),
                None => {
                    if rest.len() > self.limits.row_bytes {
                        return Err(Self::too_long(self.line + 1, self.limits.row_bytes));
                    }
                    self.scanned = rest.len();
                    return Ok(None);
                }
            };
            // The line is taken (`start` moves past it below).
            self.scanned = 0;
            self.line += 1;
            let line = self.line;
            if text.len() > self.limits.row_bytes {
                return Err(Self::too_long(line, self.limits.row_bytes));
            }
            let text = text.trim_ascii();
            if text.is_empty() {
                self.start += used;
                continue;
            }
            // serde_json's messages may quote the input: keep only the kind
            // and the column.
            let user = match serde_json::from_slice::<Value>(text) {
                Ok(Value::Object(fields)) => Ok(ExportedUser::new(fields)),
                Ok(_) => Err(JobError::MalformedLine {
                    line,
                    reason: "not a JSON object".to_owned(),
                }),
                Err(e) => Err(JobError::MalformedLine {
                    line,
                    reason: format!(
                        "invalid JSON ({:?} error at column {})",
                        e.classify(),
                        e.column()
                    ),
                }),
            };
            self.start += used;
            return user.map(Some);
        }
    }

    /// One CSV user (the header row is read first, once).
    fn next_csv(&mut self, at_end: bool) -> Result<Option<ExportedUser>, JobError> {
        use csv_core::ReadRecordResult as R;
        let csv = &mut self.csv;
        let limits = self.limits;
        loop {
            // Field ends kept for the row: no more than it may have.
            let max_fields = csv.names.as_ref().map_or(limits.fields, Vec::len);
            let ends_room = csv.ends.len().min(max_fields);
            let input = &self.plain[self.start..];
            // An empty input tells csv-core the data ended: only say so at
            // the end of the file.
            if input.is_empty() && !at_end {
                return Ok(None);
            }
            // csv-core removes a UTF-8 BOM from the input of its first call
            // only: hand it the whole BOM (or what is not one), however the
            // file's first bytes arrive.
            if !csv.began && !at_end && input.len() < UTF8_BOM.len() && UTF8_BOM.starts_with(input)
            {
                return Ok(None);
            }
            csv.began = true;
            let line_before = csv.reader.line();
            let (result, nin, nout, nend) = csv.reader.read_record(
                input,
                &mut csv.out[csv.out_len..],
                &mut csv.ends[csv.ends_len..ends_room],
            );
            if csv.record_line.is_none() {
                // csv-core skips the blank lines before a record: it starts
                // at the first byte that is not a line end.
                let read = &input[..nin];
                if let Some(at) = read.iter().position(|b| !matches!(b, b'\r' | b'\n')) {
                    let blank = read[..at].iter().filter(|b| **b == b'\n').count();
                    csv.record_line = Some(line_before + blank as u64);
                }
            }
            let record_line = csv.record_line.unwrap_or_else(|| csv.reader.line());
            self.start += nin;
            csv.out_len += nout;
            csv.ends_len += nend;
            match result {
                R::InputEmpty => {
                    if !at_end {
                        return Ok(None);
                    }
                }
                R::OutputFull => {
                    if csv.out.len() > limits.row_bytes {
                        return Err(Self::too_long(record_line, limits.row_bytes));
                    }
                    let grown = (csv.out.len() * 2).min(limits.row_bytes.saturating_add(1));
                    csv.out.resize(grown, 0);
                }
                R::OutputEndsFull => {
                    // Room for `max_fields` ends and the row goes on: it has
                    // another field.
                    if csv.ends_len >= max_fields {
                        return Err(Self::too_many_fields(
                            record_line,
                            csv.names.as_ref().map(Vec::len),
                            limits.fields,
                        ));
                    }
                    let grown = (csv.ends.len() * 2).min(max_fields);
                    csv.ends.resize(grown, 0);
                }
                R::Record => {
                    let (out_len, ends_len) = (csv.out_len, csv.ends_len);
                    csv.out_len = 0;
                    csv.ends_len = 0;
                    csv.record_line = None;
                    let line = record_line;
                    if out_len > limits.row_bytes {
                        return Err(Self::too_long(line, limits.row_bytes));
                    }
                    let mut cells = Vec::with_capacity(ends_len);
                    let mut from = 0;
                    for &end in &csv.ends[..ends_len] {
                        cells.push(&csv.out[from..end.min(out_len)]);
                        from = end;
                    }
                    let Some(names) = &csv.names else {
                        let names: Result<Vec<String>, _> = cells
                            .iter()
                            .map(|c| String::from_utf8(unescape_cell(c).to_vec()))
                            .collect();
                        let names = names.map_err(|_| JobError::MalformedLine {
                            line,
                            reason: "the header row is not UTF-8".to_owned(),
                        })?;
                        check_unique(&names, line)?;
                        csv.names = Some(names);
                        continue;
                    };
                    if cells.len() != names.len() {
                        return Err(JobError::MalformedLine {
                            line,
                            reason: format!(
                                "{} fields where the header has {}",
                                cells.len(),
                                names.len()
                            ),
                        });
                    }
                    let mut fields = Map::new();
                    for ((column, name), cell) in (1..).zip(names).zip(cells) {
                        let Ok(cell) = std::str::from_utf8(unescape_cell(cell)) else {
                            // By position: a title is the file's content.
                            return Err(JobError::MalformedLine {
                                line,
                                reason: format!("column {column} is not UTF-8"),
                            });
                        };
                        // An empty cell is a field the user does not have.
                        if !cell.is_empty() {
                            fields.insert(name.clone(), Value::String(cell.to_owned()));
                        }
                    }
                    return Ok(Some(ExportedUser::new(fields)));
                }
                R::End => return Ok(None),
            }
        }
    }
}

/// A header naming a column twice: a user is a map of column titles, so
/// one of the two values would be lost. Auth0 writes each field once. The
/// error names the columns by position (1-based), not by their titles.
fn check_unique(names: &[String], line: u64) -> Result<(), JobError> {
    let mut seen = std::collections::HashMap::with_capacity(names.len());
    for (column, name) in (1..).zip(names) {
        if let Some(first) = seen.insert(name.as_str(), column) {
            return Err(JobError::MalformedLine {
                line,
                reason: format!("columns {first} and {column} of the header have the same title"),
            });
        }
    }
    Ok(())
}

/// A CSV cell without Auth0's formula-injection escape: Auth0 prefixes
/// every string of a CSV export with `'` (OWASP's mitigation; numbers,
/// booleans and its ISO 8601 dates are left bare), so one leading `'` is
/// its escaping, not the value (`"'auth0|123"` is the id `auth0|123`, and
/// a value that starts with a quote arrives as `''…`). Titles are read the
/// same way, so a column is found by its name whether or not it was
/// escaped.
fn unescape_cell(cell: &[u8]) -> &[u8] {
    cell.strip_prefix(b"'").unwrap_or(cell)
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    let found = bytes.iter().position(|b| *b == b'\n');
    #[cfg(test)]
    tests::SEARCHED.with(|n| n.set(n.get() + found.map_or(bytes.len(), |i| i + 1)));
    found
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::cell::Cell;

    use super::*;

    thread_local! {
        /// Bytes the NDJSON newline search has looked at on this thread.
        pub(super) static SEARCHED: Cell<usize> = const { Cell::new(0) };
    }

    /// Feeds `file` in `chunk`-byte pieces (a download), collecting the
    /// users until the end or the first error.
    fn decode_in_chunks(
        format: ExportFormat,
        file: &[u8],
        chunk: usize,
    ) -> Result<Vec<ExportedUser>, JobError> {
        let mut decoder = ExportDecoder::new(format);
        let mut pieces = file.chunks(chunk);
        let mut users = Vec::new();
        loop {
            match decoder.next_user()? {
                Step::User(user) => users.push(user),
                Step::End => return Ok(users),
                Step::NeedInput => match pieces.next() {
                    Some(piece) => decoder.feed(Bytes::copy_from_slice(piece)),
                    None => decoder.end_of_input(),
                },
            }
        }
    }

    /// A CSV header naming a column twice is refused before any user (a
    /// user keyed by title would keep only one of the two values); titles
    /// are compared as read, Auth0's `'` removed. Through the public
    /// decoder, as a user reads an export file.
    #[test]
    fn export_csv_header_naming_a_column_twice_is_refused() {
        use crate::jobs::ExportFile;
        for header in ["user_id,email,email", "user_id,email,'email"] {
            let file = format!("{header}\n'auth0|1,'a@example.com,'b@example.com\n");
            let users: Vec<_> = ExportFile::new(file.into(), ExportFormat::Csv)
                .users()
                .collect();
            assert_eq!(users.len(), 1, "{header}: {users:?}");
            let err = users[0].as_ref().unwrap_err();
            assert!(
                matches!(err, JobError::MalformedLine { line: 1, .. }),
                "{header}: {err:?}"
            );
            assert!(
                err.to_string().contains("columns 2 and 3"),
                "{header}: {err}"
            );
        }
        // Titles differing in case are different columns.
        let file = "user_id,email,Email\n'auth0|1,'a@x,'b@x\n";
        let users: Vec<_> = ExportFile::new(file.into(), ExportFormat::Csv)
            .users()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(users[0].get("Email"), Some(&Value::from("b@x")));
    }

    /// Every user of `file`, or the first error, through the public
    /// decoder of a file in memory.
    fn decode_file(file: Vec<u8>, format: ExportFormat) -> Result<Vec<ExportedUser>, JobError> {
        crate::jobs::ExportFile::new(file.into(), format)
            .users()
            .collect()
    }

    /// A CSV file starting with a UTF-8 byte order mark (as Excel writes
    /// them) reads its first column by its title whether or not it is
    /// gzipped: csv-core removes the mark from its first input only, which
    /// held just the file's first two bytes when the file was not gzip.
    #[test]
    fn export_csv_byte_order_mark_is_not_part_of_the_first_title() {
        let text = "\u{feff}user_id,email\n'auth0|1,'a@example.com\n";
        let users = decode_file(text.as_bytes().to_vec(), ExportFormat::Csv).unwrap();
        assert_eq!(users[0].user_id(), Some("auth0|1"));
        assert_eq!(users[0].fields().len(), 2);
    }

    /// An error names the line its record starts on, blank lines before it
    /// not counted as its own, however the file arrives (the whole file
    /// named the line after the previous record).
    #[test]
    fn export_csv_error_names_the_records_line_after_blank_lines() {
        let text = "user_id,email\n\n\r\n'auth0|1,a,extra\n";
        let err = decode_file(text.as_bytes().to_vec(), ExportFormat::Csv).unwrap_err();
        assert!(
            matches!(err, JobError::MalformedLine { line: 4, .. }),
            "{err:?}"
        );
        let text = b"\n\nuser_id,\xff\n";
        let err = decode_file(text.to_vec(), ExportFormat::Csv).unwrap_err();
        assert!(
            matches!(err, JobError::MalformedLine { line: 3, .. }),
            "{err:?}"
        );
    }

    /// A CSV row of exactly [`MAX_ROW_BYTES`] decodes, followed by another
    /// row or not; one byte more is refused (a row that filled the buffer
    /// was refused as "longer than" the bound before its line end was
    /// seen).
    #[test]
    fn export_csv_row_of_exactly_the_bound_decodes() {
        let id = "'auth0|1,";
        let name = "x".repeat(MAX_ROW_BYTES - (id.len() - 1));
        let text = format!("user_id,name\n{id}{name}\n'auth0|2,'b\n");
        let users = decode_file(text.into_bytes(), ExportFormat::Csv).unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(users[1].user_id(), Some("auth0|2"));
        let text = format!("user_id,name\n{id}{name}x\n'auth0|2,'b\n");
        let err = decode_file(text.into_bytes(), ExportFormat::Csv).unwrap_err();
        assert!(
            matches!(err, JobError::MalformedLine { line: 2, .. }),
            "{err:?}"
        );
    }

    /// A cell that is not UTF-8 is named by its column's position, not its
    /// title: errors keep no content of the file.
    #[test]
    fn export_csv_not_utf8_error_keeps_no_title() {
        let text = b"user_id,hidden_title\n'auth0|1,\xff\n".to_vec();
        let err = decode_file(text, ExportFormat::Csv).unwrap_err();
        assert!(
            !format!("{err} {err:?}").contains("hidden_title"),
            "{err:?}"
        );
        assert!(err.to_string().contains("column 2"), "{err}");
    }

    /// A line arriving a byte at a time is searched for its end once: the
    /// work is linear in the line, not quadratic (each byte was searched
    /// again with every later chunk).
    #[test]
    fn export_ndjson_line_in_tiny_chunks_is_searched_once() {
        let name = "x".repeat(16 * 1024);
        let file =
            format!("{{\"user_id\":\"auth0|1\",\"name\":\"{name}\"}}\n{{\"user_id\":\"auth0|2\"}}");
        SEARCHED.with(|n| n.set(0));
        let users = decode_in_chunks(ExportFormat::Json, file.as_bytes(), 1).unwrap();
        let searched = SEARCHED.with(Cell::get);
        assert_eq!(users.len(), 2);
        assert_eq!(users[0].get("name"), Some(&Value::from(name)));
        assert_eq!(users[1].user_id(), Some("auth0|2"));
        assert!(
            searched <= file.len(),
            "{searched} bytes searched for a file of {}",
            file.len()
        );
    }
}
