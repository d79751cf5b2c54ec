//! Every operation of the OpenAPI description is in the generated
//! operations table (and the crate's unit test `every_operation_has_a_method`
//! names each one's typed method, so it compiles only if all exist).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use auth0_management::generated::OPERATIONS;
use serde_json::Value;

const SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../spec/management/auth0-management-openapi.json"
);

#[test]
fn the_operations_table_is_the_spec() {
    let text = std::fs::read_to_string(SPEC)
        .unwrap_or_else(|e| panic!("the API description is missing at {SPEC}: {e}"));
    let spec: Value = serde_json::from_str(&text).unwrap();
    let mut from_spec = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if let Some(id) = op["operationId"].as_str() {
                from_spec.insert((id.to_owned(), method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    let generated: BTreeSet<(String, String, String)> = OPERATIONS
        .iter()
        .map(|(id, m, p)| (id.to_string(), m.to_string(), p.to_string()))
        .collect();
    assert_eq!(from_spec.len(), 452);
    assert_eq!(OPERATIONS.len(), 452, "duplicates in the table");
    let missing: Vec<_> = from_spec.difference(&generated).collect();
    let extra: Vec<_> = generated.difference(&from_spec).collect();
    assert!(missing.is_empty(), "not generated: {missing:?}");
    assert!(extra.is_empty(), "not in the spec: {extra:?}");
}
