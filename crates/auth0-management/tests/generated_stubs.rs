//! Every WireMock stub Auth0 uses to test its own generated SDKs
//! (auth0-python and go-auth0) against the generated response types: each
//! stub's response body must decode into its operation's type and encode
//! back to the same JSON (fields with `null` dropped, numbers compared as
//! numbers).
//!
//! Neither stub set carries request-body patterns (checked below), so
//! request bodies are covered by the typed end-to-end calls in
//! `tests/management/generated.rs` instead.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use auth0_management::generated::{OPERATIONS, round_trip_response};
use serde_json::Value;

const STUBS: &[&str] = &[
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../spec/management/wiremock/auth0-python-wiremock-mappings.json"
    ),
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../spec/management/wiremock/go-auth0-wiremock-mappings.json"
    ),
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../spec/management/wiremock/go-auth0-beta-wiremock-mappings.json"
    ),
];

/// Stubs whose operation the API description (2026-06-25) does not have:
/// the newest SDKs already call it (go-auth0, 2026-07-13); see
/// `spec/management/README.md`. Reachable through
/// `ManagementClient::execute`.
const NOT_IN_SPEC: &[&str] = &["GET /organizations/{}/roles/{}/members"];

/// Stubs whose response disagrees with the API description, with the
/// reason; they are checked to still disagree, so a fixed spec or stub
/// shows up here.
const KNOWN_DISAGREEMENTS: &[(&str, &str)] = &[];

/// `/roles/{id}` → `/roles/{}`, so stub and spec templates compare equal
/// whatever the parameters are called.
fn shape(template: &str) -> String {
    template
        .split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// JSON with `null` members removed and every number as `f64`.
fn normalize(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), normalize(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(normalize).collect()),
        Value::Number(n) => serde_json::json!(n.as_f64().unwrap()),
        other => other.clone(),
    }
}

#[test]
fn every_stub_response_decodes_into_its_generated_type_and_back() {
    let ops: BTreeMap<(String, String), &str> = OPERATIONS
        .iter()
        .map(|(id, method, path)| ((method.to_string(), shape(path)), *id))
        .collect();
    auth0_management::record_untyped(true);
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut seen_disagreements = Vec::new();
    let mut covered = std::collections::BTreeSet::new();
    let mut not_in_spec = Vec::new();
    let mut newer_fields = 0;
    for file in STUBS {
        let text = std::fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("golden fixtures missing at {file}: {e}"));
        let json: Value = serde_json::from_str(&text).unwrap();
        for m in json["mappings"].as_array().unwrap() {
            let req = &m["request"];
            assert!(
                req.get("bodyPatterns").is_none(),
                "a stub now has a body pattern: check request bodies too"
            );
            let method = req["method"].as_str().unwrap().to_owned();
            let template = shape(req["urlPathTemplate"].as_str().unwrap());
            let Some(&id) = ops.get(&(method.clone(), template.clone())) else {
                // The stubs are a few weeks newer than the description:
                // checked against `NOT_IN_SPEC` below.
                not_in_spec.push(format!("{method} {template}"));
                continue;
            };
            covered.insert(id);
            let body = m["response"]["body"].as_str().unwrap_or_default();
            let name = m["name"].as_str().unwrap_or_default();
            auth0_management::take_untyped();
            let result = round_trip_response(id, body).expect("every operation is in the table");
            let untyped = auth0_management::take_untyped();
            let outcome = match result {
                Ok(None) => Ok(()),
                Ok(Some(back)) => {
                    let original: Value = serde_json::from_str(body).unwrap();
                    if normalize(&original) != normalize(&back) {
                        Err(format!("re-encoded differently: {back}"))
                    } else if let Some(other) =
                        untyped.iter().find(|u| !u.starts_with("extra fields"))
                    {
                        Err(format!("decoded without a type: {other}"))
                    } else {
                        if !untyped.is_empty() {
                            // Fields the stubs' newer API has and the spec
                            // does not: kept in `extra`, as they should be.
                            newer_fields += 1;
                        }
                        Ok(())
                    }
                }
                Err(e) => Err(format!("does not decode: {e}")),
            };
            checked += 1;
            match (outcome, KNOWN_DISAGREEMENTS.iter().find(|(k, _)| *k == id)) {
                (Ok(()), None) => {}
                (Ok(()), Some(_)) => {
                    failures.push(format!("{id}: listed as a disagreement but passes"))
                }
                (Err(_), Some(_)) => seen_disagreements.push(id),
                (Err(e), None) => failures.push(format!("{id} ({name}): {e}")),
            }
        }
    }
    eprintln!(
        "{checked} stubs checked over {} operations, {} known disagreements, {} stubs for operations the spec does not have, {newer_fields} stubs with fields newer than the spec (kept in `extra`)",
        covered.len(),
        seen_disagreements.len(),
        not_in_spec.len()
    );
    assert_eq!(checked + not_in_spec.len(), 429 + 428 + 451, "stubs read");
    not_in_spec.sort();
    not_in_spec.dedup();
    assert_eq!(not_in_spec, NOT_IN_SPEC, "stubs without an operation");
    assert_eq!(covered.len(), OPERATIONS.len(), "operations without a stub");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
