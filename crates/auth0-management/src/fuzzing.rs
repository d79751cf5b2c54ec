//! Fuzzing harness (feature `fuzzing`, not part of the supported API).
//!
//! Called by the `pagination` and `export` fuzz targets under `fuzz/` and
//! by `tests/fuzz_corpus.rs`, which replays the checked-in corpora on
//! stable.
//! Panics (the fuzzer's "crash") when a property does not hold.

use std::io::Write as _;

use bytes::Bytes;
use serde_json::Value;

use crate::error::Error;
use crate::export_decoder::{ExportDecoder, Limits, Step};
use crate::jobs::{ExportFile, ExportFormat, ExportedUser, JobError};
use crate::models::UserResponseSchema as User;
use crate::pagination::Page;

/// The items key the harness decodes pages with (the input may use it or not).
const ITEMS_KEY: &str = "users";

/// The reading of a paging count the decoder documents: a non-negative
/// number, fractions truncated; anything else is absent.
fn expected_count(value: Option<&Value>) -> Option<u64> {
    let n = value?.as_number()?;
    if let Some(u) = n.as_u64() {
        return Some(u);
    }
    let f = n.as_f64()?;
    // Below 1.8e19 every truncated value fits in a u64.
    (0.0..1.8e19).contains(&f).then(|| f.trunc() as u64)
}

/// Whether any object in the document names a member twice. The tree
/// keeps the last value; the page decoder reads the body in one pass and
/// refuses a typed field given twice (`InvalidPage`). Both are allowed by
/// RFC 8259 §4 ("names SHOULD be unique"), so such inputs are only checked
/// for not panicking.
fn has_duplicate_keys(data: &[u8]) -> bool {
    struct Check;
    impl<'de> serde::de::DeserializeSeed<'de> for Check {
        type Value = bool;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> serde::de::Visitor<'de> for Check {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_str<E>(self, _: &str) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_unit<E>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
            let mut dup = false;
            while let Some(d) = seq.next_element_seed(Check)? {
                dup |= d;
            }
            Ok(dup)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
            let mut seen = std::collections::HashSet::new();
            let mut dup = false;
            while let Some(key) = map.next_key::<String>()? {
                dup |= !seen.insert(key);
                dup |= map.next_value_seed(Check)?;
            }
            Ok(dup)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(data);
    serde::de::DeserializeSeed::deserialize(Check, &mut de).unwrap_or(true)
}

/// Target `pagination`: Management list pages ([`Page::from_slice`]).
///
/// For any JSON document: a bare array is a page of exactly those items; an
/// object is a page of the items under the key (none when absent or `null`)
/// with `start`/`limit`/`total` read as documented and a non-empty string
/// `next`; an items member that is not an array, or any other document, is
/// `InvalidPage`. Decoding into the generated `UserResponseSchema` model accepts a page only
/// when every item decodes on its own, and each decoded user survives a
/// serialize/deserialize round trip (through `serde_json::Value`).
pub fn pagination(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if has_duplicate_keys(data) {
        let _ = Page::<Value>::from_slice(data, ITEMS_KEY);
        let _ = Page::<User>::from_slice(data, ITEMS_KEY);
        return;
    }
    let page = Page::<Value>::from_slice(data, ITEMS_KEY);
    let items: Option<Vec<Value>> = match &value {
        Value::Array(items) => {
            let page = match &page {
                Ok(page) => page,
                Err(e) => panic!("bare array refused: {e}"),
            };
            assert_eq!((page.start, page.limit, page.total), (None, None, None));
            assert_eq!(page.next, None);
            Some(items.clone())
        }
        Value::Object(map) => {
            let items = match map.get(ITEMS_KEY) {
                None | Some(Value::Null) => Some(Vec::new()),
                Some(Value::Array(items)) => Some(items.clone()),
                Some(_) => None,
            };
            match (&page, &items) {
                (Ok(page), Some(_)) => {
                    assert_eq!(page.start, expected_count(map.get("start")));
                    assert_eq!(page.limit, expected_count(map.get("limit")));
                    assert_eq!(page.total, expected_count(map.get("total")));
                    let next = map.get("next").and_then(Value::as_str);
                    assert_eq!(page.next.as_deref(), next.filter(|s| !s.is_empty()));
                }
                (Err(Error::InvalidPage { .. }), None) => {}
                (Ok(_), None) => panic!("items that are not an array accepted"),
                (Err(e), _) => panic!("page refused: {e}"),
            }
            items
        }
        _ => {
            assert!(
                matches!(page, Err(Error::InvalidPage { .. })),
                "a scalar accepted as a page"
            );
            None
        }
    };
    if let (Ok(page), Some(items)) = (&page, &items) {
        assert_eq!(&page.items, items);
    }

    let users = Page::<User>::from_slice(data, ITEMS_KEY);
    let Some(items) = items else {
        assert!(users.is_err());
        return;
    };
    let each: Result<Vec<User>, _> = items
        .iter()
        .map(|item| serde_json::from_value::<User>(item.clone()))
        .collect();
    match (users, each) {
        (Ok(page), Ok(each)) => {
            assert!(
                page.items == each,
                "page items differ from items decoded one by one"
            );
            // Through `Value`, not text: serde_json's default float parsing is
            // best-effort (1 ulp off at times without its `float_roundtrip`
            // feature), which is not what this checks.
            for user in &page.items {
                let value = match serde_json::to_value(user) {
                    Ok(value) => value,
                    Err(e) => panic!("a decoded user does not serialize: {e}"),
                };
                match serde_json::from_value::<User>(value.clone()) {
                    Ok(again) => assert!(&again == user, "user round trip differs: {value}"),
                    Err(e) => panic!("a serialized user does not decode: {e}"),
                }
            }
        }
        (Err(Error::InvalidPage { .. }), Err(_)) => {}
        (Ok(_), Err(e)) => panic!("page decoded an item that does not decode: {e}"),
        (Err(e), _) => panic!("page refused items that decode, or with {e}"),
    }
}

/// The bounds half of the `export` inputs are decoded under, small enough
/// for the fuzzer's inputs to reach.
const SMALL: Limits = Limits {
    row_bytes: 48,
    fields: 4,
};

/// What one decoding of an export file gave, in order: its users, then the
/// error that ended it, if any.
#[derive(Debug, PartialEq)]
enum Outcome {
    User(ExportedUser),
    Malformed { line: u64, reason: String },
    Decompress(String),
}

/// Target `export`: users export files, through the one decoder behind
/// [`ExportFile`] and downloads.
///
/// The first byte picks the format (bit 0: CSV, else NDJSON), whether the
/// harness gzips the rest (bit 1; bit 2: as many small gzip members), the
/// bounds (bit 3: 48-byte rows and 4 fields, else the export's) and the
/// seed of the chunk sizes (bits 4–7). The file decodes to the same users
/// and the same error fed whole (through the public [`ExportFile`] at the
/// export's bounds), a byte at a time and in chunks of sizes picked by the
/// seed; nothing panics; whenever the decoder waits for input it holds no
/// more decompressed bytes than a row may have, a row buffer of at most
/// one byte more, and field ends for at most the header's fields; an error
/// is a `MalformedLine` (a positive line and a short reason, never the
/// line's content) or `Decompress`. When the decompressed text is known (the
/// harness gzipped it, or it is not gzip), the users and the error's line
/// are those of a reference: NDJSON lines cut at `\n`, blank ones skipped,
/// each a JSON object of at most the row bound; CSV records read by
/// csv-core in one call, a header of distinct titles (Auth0's `'` removed)
/// within the field bound, rows of exactly the header's count, within the
/// row bound, UTF-8, empty cells left out; an error on the line the record
/// starts on, blank lines before it not counted as its own.
pub fn export(data: &[u8]) {
    let Some((&flags, payload)) = data.split_first() else {
        return;
    };
    let format = if flags & 1 == 0 {
        ExportFormat::Json
    } else {
        ExportFormat::Csv
    };
    let limits = if flags & 8 == 0 {
        Limits::EXPORT
    } else {
        SMALL
    };
    let file = match flags & 6 {
        2 => gzip(payload),
        6 => gzip_members(payload, 1 + usize::from(flags >> 4)),
        _ => payload.to_vec(),
    };
    let whole = if flags & 8 == 0 {
        ExportFile::new(Bytes::copy_from_slice(&file), format)
            .users()
            .map(|user| match user {
                Ok(user) => Outcome::User(user),
                Err(e) => outcome_of_error(&e),
            })
            .collect()
    } else {
        decode_in_chunks(&file, format, limits, || usize::MAX)
    };
    let bytewise = decode_in_chunks(&file, format, limits, || 1);
    assert_same(&bytewise, &whole, "fed a byte at a time");
    let mut seed = u32::from(flags >> 4) << 16 | 0x9e37;
    let chunked = decode_in_chunks(&file, format, limits, || {
        // xorshift32
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        1 + (seed % 97) as usize
    });
    assert_same(&chunked, &whole, "fed in chunks");

    for outcome in &whole {
        if let (Outcome::User(user), ExportFormat::Csv) = (outcome, format) {
            assert!(
                user.fields().len() <= limits.fields,
                "a row past the fields bound"
            );
            let bytes: usize = user
                .fields()
                .values()
                .map(|v| match v {
                    Value::String(s) if !s.is_empty() => s.len(),
                    _ => panic!("a CSV value that is not a non-empty string"),
                })
                .sum();
            assert!(bytes <= limits.row_bytes, "a row past the bytes bound");
        }
    }
    let known = flags & 2 != 0 || !payload.starts_with(&[0x1f, 0x8b]);
    if known {
        let expected = match format {
            ExportFormat::Csv => csv_reference(payload, limits),
            _ => ndjson_reference(payload, limits),
        };
        assert_eq!(whole.len(), expected.len(), "{whole:?} where {expected:?}");
        for (got, want) in whole.iter().zip(&expected) {
            match (got, want) {
                (Outcome::User(got), Ok(want)) => assert!(got == want, "users differ"),
                (Outcome::Malformed { line, .. }, Err(want)) => assert_eq!(line, want),
                _ => panic!("{got:?} where the reference has {want:?}"),
            }
        }
    }
}

/// `got` is `whole`'s outcome. But where the compressed data is corrupt:
/// the bytes inflated before the corruption reach the rows in steps of
/// other sizes (flate2 drops the step's output with its error), so which
/// error comes first, the corruption's or a row's it garbled, depends on the
/// chunks; then both end in an error, and the users before the first error
/// agree.
fn assert_same(got: &[Outcome], whole: &[Outcome], how: &str) {
    let corrupt = |o: &[Outcome]| matches!(o.last(), Some(Outcome::Decompress(_)));
    if !corrupt(got) && !corrupt(whole) {
        assert_eq!(got, whole, "{how}");
        return;
    }
    let users = |o: &[Outcome]| o.iter().filter(|o| matches!(o, Outcome::User(_))).count();
    let both = users(got).min(users(whole));
    assert_eq!(got[..both], whole[..both], "{how}, before the corruption");
    for o in [got, whole] {
        assert!(
            !matches!(o.last(), Some(Outcome::User(_)) | None),
            "{how}: a corrupt file ends without an error"
        );
    }
}

/// The users of `file` fed in chunks of the sizes `size` picks, up to the
/// end or the first error, the decoder's bounds checked whenever it waits.
fn decode_in_chunks(
    file: &[u8],
    format: ExportFormat,
    limits: Limits,
    mut size: impl FnMut() -> usize,
) -> Vec<Outcome> {
    let mut decoder = ExportDecoder::with_limits(format, limits);
    let mut rest = file;
    let mut outcomes = Vec::new();
    loop {
        match decoder.next_user() {
            Ok(Step::User(user)) => outcomes.push(Outcome::User(user)),
            Ok(Step::End) => return outcomes,
            Ok(Step::NeedInput) => {
                let (uncut, row, ends) = decoder.held();
                assert!(uncut <= limits.row_bytes, "{uncut} bytes held uncut");
                assert!(row <= limits.row_bytes + 1, "a row buffer of {row} bytes");
                assert!(ends <= limits.fields.max(32), "{ends} field ends held");
                if rest.is_empty() {
                    decoder.end_of_input();
                } else {
                    let n = size().clamp(1, rest.len());
                    decoder.feed(Bytes::copy_from_slice(&rest[..n]));
                    rest = &rest[n..];
                }
            }
            Err(e) => {
                outcomes.push(outcome_of_error(&e));
                return outcomes;
            }
        }
    }
}

/// The error as compared; only the variants the decoder documents.
fn outcome_of_error(e: &JobError) -> Outcome {
    match e {
        JobError::MalformedLine { line, reason } => {
            assert!(*line >= 1, "line {line}");
            // The longest reason names two numbers; never the line itself.
            assert!(
                reason.len() <= 80 && reason.is_ascii(),
                "a reason of {} bytes",
                reason.len()
            );
            Outcome::Malformed {
                line: *line,
                reason: reason.clone(),
            }
        }
        JobError::Decompress(e) => Outcome::Decompress(format!("{:?}", e.kind())),
        other => panic!("an error the decoder does not make: {other:?}"),
    }
}

/// `text` gzipped in one member.
fn gzip(text: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let written = encoder.write_all(text);
    match written.and_then(|()| encoder.finish()) {
        Ok(file) => file,
        Err(e) => panic!("gzip into memory: {e}"),
    }
}

/// `text` in gzip members of `piece` bytes each (one stored deflate block
/// per member, RFC 1952 and RFC 1951 §3.2.4).
fn gzip_members(text: &[u8], piece: usize) -> Vec<u8> {
    let mut file = Vec::new();
    for piece in text.chunks(piece) {
        let len = piece.len() as u16;
        let mut crc = flate2::Crc::new();
        crc.update(piece);
        file.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255, 1]);
        file.extend_from_slice(&len.to_le_bytes());
        file.extend_from_slice(&(!len).to_le_bytes());
        file.extend_from_slice(piece);
        file.extend_from_slice(&crc.sum().to_le_bytes());
        file.extend_from_slice(&(piece.len() as u32).to_le_bytes());
    }
    file
}

/// The NDJSON reference: users, then the line of the error, if any.
fn ndjson_reference(text: &[u8], limits: Limits) -> Vec<Result<ExportedUser, u64>> {
    let mut expected = Vec::new();
    for (line, text) in (1..).zip(text.split(|b| *b == b'\n')) {
        if text.len() > limits.row_bytes {
            expected.push(Err(line));
            break;
        }
        let text = text.trim_ascii();
        if text.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Value>(text) {
            Ok(Value::Object(fields)) => expected.push(Ok(ExportedUser::new(fields))),
            _ => {
                expected.push(Err(line));
                break;
            }
        }
    }
    expected
}

/// The CSV reference: the records of csv-core read in one call each with
/// room for the whole text, then the export's rules.
fn csv_reference(text: &[u8], limits: Limits) -> Vec<Result<ExportedUser, u64>> {
    use csv_core::ReadRecordResult as R;
    let mut reader = csv_core::Reader::new();
    let mut out = vec![0; text.len() + 1];
    let mut ends = vec![0; text.len() + 2];
    let mut input = text;
    let mut names: Option<Vec<String>> = None;
    let mut expected = Vec::new();
    let mut first = true;
    // What the record read so far holds (its last field ends in the call
    // after the input ran out).
    let (mut nout, mut nend) = (0, 0);
    let mut line = 0;
    loop {
        // The record starts after csv-core's BOM (first call) and the blank
        // lines it skips.
        let bom = if first && input.starts_with(b"\xef\xbb\xbf") {
            3
        } else {
            0
        };
        first = false;
        let blank = input[bom..]
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .filter(|b| **b == b'\n')
            .count();
        if nout == 0 && nend == 0 {
            line = reader.line() + blank as u64;
        }
        let (result, nin, more_out, more_ends) =
            reader.read_record(input, &mut out[nout..], &mut ends[nend..]);
        input = &input[nin..];
        nout += more_out;
        nend += more_ends;
        match result {
            R::InputEmpty => continue,
            R::End => return expected,
            R::OutputFull | R::OutputEndsFull => panic!("room for the whole text"),
            R::Record => {}
        }
        let mut cells = Vec::with_capacity(nend);
        let mut from = 0;
        for &end in &ends[..nend] {
            let cell = &out[from..end];
            cells.push(std::str::from_utf8(cell.strip_prefix(b"'").unwrap_or(cell)));
            from = end;
        }
        let record: Result<Vec<&str>, _> = cells.into_iter().collect();
        let fits = nout <= limits.row_bytes;
        (nout, nend) = (0, 0);
        let user = match (&names, record) {
            (None, Ok(titles)) if fits && titles.len() <= limits.fields => {
                let unique: std::collections::HashSet<&str> = titles.iter().copied().collect();
                if unique.len() == titles.len() {
                    names = Some(titles.iter().map(|t| (*t).to_owned()).collect());
                    continue;
                }
                None
            }
            (Some(names), Ok(cells)) if fits && cells.len() == names.len() => {
                let fields = names
                    .iter()
                    .zip(cells)
                    .filter(|(_, cell)| !cell.is_empty())
                    .map(|(name, cell)| (name.clone(), Value::from(cell)))
                    .collect();
                Some(ExportedUser::new(fields))
            }
            _ => None,
        };
        match user {
            Some(user) => expected.push(Ok(user)),
            None => {
                expected.push(Err(line));
                return expected;
            }
        }
    }
}
