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
    /// The line the record being cut starts on.
    record_line: u64,
}

/// See the [module docs](self).
pub(crate) struct ExportDecoder {
    format: ExportFormat,
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
        Self {
            format,
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
                out: vec![0; 1024],
                out_len: 0,
                ends: vec![0; 32],
                ends_len: 0,
                record_line: 1,
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

    fn too_long(line: u64) -> JobError {
        JobError::MalformedLine {
            line,
            reason: format!("a row longer than {MAX_ROW_BYTES} bytes"),
        }
    }

    /// A CSV row with more fields than the header (`header`: its count), or
    /// a header with more than [`MAX_FIELDS`].
    fn too_many_fields(line: u64, header: Option<usize>) -> JobError {
        let reason = match header {
            Some(n) => format!("more than {n} fields where the header has {n}"),
            None => format!("a header of more than {MAX_FIELDS} fields"),
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
                    if rest.len() > MAX_ROW_BYTES {
                        return Err(Self::too_long(self.line + 1));
                    }
                    self.scanned = rest.len();
                    return Ok(None);
                }
            };
            // The line is taken (`start` moves past it below).
            self.scanned = 0;
            self.line += 1;
            let line = self.line;
            if text.len() > MAX_ROW_BYTES {
                return Err(Self::too_long(line));
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
        loop {
            // Field ends kept for the row: no more than it may have.
            let max_fields = csv.names.as_ref().map_or(MAX_FIELDS, Vec::len);
            let ends_room = csv.ends.len().min(max_fields);
            let input = &self.plain[self.start..];
            // An empty input tells csv-core the data ended: only say so at
            // the end of the file.
            if input.is_empty() && !at_end {
                return Ok(None);
            }
            if csv.out_len == 0 && csv.ends_len == 0 {
                csv.record_line = csv.reader.line();
            }
            let (result, nin, nout, nend) = csv.reader.read_record(
                input,
                &mut csv.out[csv.out_len..],
                &mut csv.ends[csv.ends_len..ends_room],
            );
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
                    if csv.out.len() >= MAX_ROW_BYTES {
                        return Err(Self::too_long(csv.record_line));
                    }
                    let grown = csv.out.len() * 2;
                    csv.out.resize(grown, 0);
                }
                R::OutputEndsFull => {
                    // Room for `max_fields` ends and the row goes on: it has
                    // another field.
                    if csv.ends_len >= max_fields {
                        return Err(Self::too_many_fields(
                            csv.record_line,
                            csv.names.as_ref().map(Vec::len),
                        ));
                    }
                    let grown = (csv.ends.len() * 2).min(max_fields);
                    csv.ends.resize(grown, 0);
                }
                R::Record => {
                    let (out_len, ends_len) = (csv.out_len, csv.ends_len);
                    csv.out_len = 0;
                    csv.ends_len = 0;
                    let line = csv.record_line;
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
                        csv.names = Some(names.map_err(|_| JobError::MalformedLine {
                            line: 1,
                            reason: "the header row is not UTF-8".to_owned(),
                        })?);
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
                    for (name, cell) in names.iter().zip(cells) {
                        let Ok(cell) = std::str::from_utf8(unescape_cell(cell)) else {
                            return Err(JobError::MalformedLine {
                                line,
                                reason: format!("column `{name}` is not UTF-8"),
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
