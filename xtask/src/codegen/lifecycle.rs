//! `cargo xtask codegen lifecycle <management-api-oas.json>`: extracts each
//! operation's release lifecycle (`x-release-lifecycle`: GA, EA = early
//! access, beta) from Auth0's untouched OpenAPI description into
//! `spec/management/lifecycle.json` (operationId → lifecycle), which the
//! generator reads to say so in each operation's rustdoc.
//!
//! The exported description (`auth0-management-openapi.json`) drops the
//! extension, and Auth0's source names operations differently
//! (`get_actions` and `x-operation-group`/`x-operation-name`), so the two
//! are joined on method and path template (parameter names ignored).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::root;

/// The extracted table, relative to the workspace root.
pub(crate) const LIFECYCLE: &str = "spec/management/lifecycle.json";

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

/// `/roles/{id}` → `/roles/{}`.
fn shape(template: &str) -> String {
    template
        .split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// (METHOD, path shape) → the operation object, for every operation.
fn operations(spec: &Value) -> Result<BTreeMap<(String, String), &Value>, String> {
    let paths = spec["paths"]
        .as_object()
        .ok_or("the description has no paths")?;
    let mut out = BTreeMap::new();
    for (path, item) in paths {
        for method in METHODS {
            if let Some(op) = item.get(*method) {
                out.insert((method.to_ascii_uppercase(), shape(path)), op);
            }
        }
    }
    Ok(out)
}

/// Writes `spec/management/lifecycle.json` from the source OAS at `source`.
pub(crate) fn extract(source: &str) -> Result<(), String> {
    let read = |path: &std::path::Path| -> Result<Value, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("could not read {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))
    };
    let source = read(std::path::Path::new(source))?;
    let exported = read(&root().join(super::SPEC))?;
    let from_source = operations(&source)?;
    let mut table = serde_json::Map::new();
    for (key, op) in operations(&exported)? {
        let id = op["operationId"]
            .as_str()
            .ok_or("an exported operation has no operationId")?;
        let Some(src) = from_source.get(&key) else {
            return Err(format!(
                "{} {} ({id}) is not in the source description",
                key.0, key.1
            ));
        };
        if let Some(lifecycle) = src["x-release-lifecycle"].as_str() {
            table.insert(id.to_owned(), Value::String(lifecycle.to_owned()));
        }
    }
    table.sort_keys();
    let mut text = serde_json::to_string_pretty(&Value::Object(table))
        .map_err(|e| format!("could not encode the table: {e}"))?;
    text.push('\n');
    let out = root().join(LIFECYCLE);
    std::fs::write(&out, text).map_err(|e| format!("could not write {}: {e}", out.display()))?;
    eprintln!("xtask: wrote {}", out.display());
    Ok(())
}

/// The table `extract` wrote: operationId → `GA`, `EA` or `beta`.
pub(crate) fn load() -> Result<BTreeMap<String, String>, String> {
    let path = root().join(LIFECYCLE);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("could not read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not a table: {e}", path.display()))
}
