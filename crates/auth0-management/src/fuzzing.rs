//! Fuzzing harness (feature `fuzzing`, not part of the supported API).
//!
//! Called by the `pagination` fuzz target under `fuzz/` and by
//! `tests/fuzz_corpus.rs`, which replays the checked-in corpus on stable.
//! Panics (the fuzzer's "crash") when a property does not hold.

use serde_json::Value;

use crate::error::Error;
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
