//! The vendored Management API description
//! (`spec/management/auth0-management-openapi.json`): which operation a
//! request is, so an operation the tenant does not emulate answers a `501`
//! that names it, and a path Auth0 does not have answers `404`; and the
//! top level of JSON request bodies, checked against the operation's schema
//! as Auth0 checks it (unknown properties, required ones, types).

use std::sync::OnceLock;

use serde_json::Value;

/// The description, compiled in; parsed on the first unemulated request.
const DESCRIPTION: &str = include_str!("../../../spec/management/auth0-management-openapi.json");

/// One operation of the description.
pub(crate) struct Operation {
    method: String,
    /// The path template below `/api/v2`, split at `/`.
    segments: Vec<String>,
    /// Its `operationId`, e.g. `logs_list`.
    pub(crate) id: String,
    /// Its path template, e.g. `/logs/{id}`.
    pub(crate) template: String,
    /// The JSON request body's schema, references resolved at the top.
    body: Option<Value>,
}

fn operations() -> &'static [Operation] {
    static OPERATIONS: OnceLock<Vec<Operation>> = OnceLock::new();
    OPERATIONS.get_or_init(|| {
        let Ok(spec) = serde_json::from_str::<Value>(DESCRIPTION) else {
            return Vec::new();
        };
        let Some(paths) = spec.get("paths").and_then(Value::as_object) else {
            return Vec::new();
        };
        let resolve = |schema: &Value| -> Value {
            match schema.get("$ref").and_then(Value::as_str) {
                Some(reference) => reference
                    .strip_prefix("#/")
                    .and_then(|p| spec.pointer(&format!("/{p}")))
                    .cloned()
                    .unwrap_or(Value::Null),
                None => schema.clone(),
            }
        };
        let mut out = Vec::new();
        for (template, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, operation) in item {
                let Some(id) = operation.get("operationId").and_then(Value::as_str) else {
                    continue;
                };
                out.push(Operation {
                    method: method.to_ascii_uppercase(),
                    segments: template
                        .trim_start_matches('/')
                        .split('/')
                        .map(str::to_owned)
                        .collect(),
                    id: id.to_owned(),
                    template: template.clone(),
                    body: operation
                        .pointer("/requestBody/content/application~1json/schema")
                        .map(resolve),
                });
            }
        }
        out
    })
}

/// The operation `method` + `segments` (the decoded path below `/api/v2/`)
/// calls: the template with the most literal segments wins (`/users/{id}`
/// loses to `/users/me` style literals).
pub(crate) fn find(method: &str, segments: &[&str]) -> Option<&'static Operation> {
    operations()
        .iter()
        .filter(|op| op.method == method && op.segments.len() == segments.len())
        .filter_map(|op| {
            let mut literals = 0;
            for (template, actual) in op.segments.iter().zip(segments) {
                if template.starts_with('{') && template.ends_with('}') {
                    continue;
                }
                if template != actual {
                    return None;
                }
                literals += 1;
            }
            Some((literals, op))
        })
        .max_by_key(|(literals, _)| *literals)
        .map(|(_, op)| op)
}

/// The JSON type name of a value, as Auth0's validation messages say it.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Checks the top level of `body` against the operation's request schema:
/// an object, no property the schema does not list, every required one
/// present, each of the declared type (`null` only where `nullable`). The
/// error is Auth0's message.
pub(crate) fn check_body(operation: &Operation, body: &Value) -> Result<(), String> {
    let Some(schema) = &operation.body else {
        return Ok(());
    };
    let Value::Object(fields) = body else {
        return Err(format!(
            "Payload validation error: 'Expected type object but found type {}'.",
            type_name(body)
        ));
    };
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Ok(());
    };
    if let Some(unknown) = fields.keys().find(|k| !properties.contains_key(*k)) {
        return Err(format!(
            "Payload validation error: 'Additional properties not allowed: {unknown}'."
        ));
    }
    for required in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !fields.contains_key(required) {
            return Err(format!(
                "Payload validation error: 'Missing required property: {required}'."
            ));
        }
    }
    for (name, value) in fields {
        let Some(declared) = properties.get(name) else {
            continue;
        };
        let Some(expected) = declared.get("type").and_then(Value::as_str) else {
            continue;
        };
        let found = type_name(value);
        let fits = found == expected
            || (expected == "number" && found == "integer")
            || (found == "null" && declared.get("nullable") == Some(&Value::Bool(true)));
        if !fits {
            return Err(format!(
                "Payload validation error: 'Expected type {expected} but found type {found}' on property {name}."
            ));
        }
    }
    Ok(())
}

/// True if some operation of the description has this path, whatever the
/// method.
pub(crate) fn has_path(segments: &[&str]) -> bool {
    ["GET", "POST", "PATCH", "PUT", "DELETE"]
        .iter()
        .any(|method| find(method, segments).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_found_by_method_and_path() {
        assert_eq!(
            find("GET", &["logs"]).map(|o| o.id.as_str()),
            Some("logs_list")
        );
        let role_users = find("GET", &["roles", "rol_1", "users"]).unwrap();
        assert_eq!(role_users.template, "/roles/{id}/users");
        assert!(find("GET", &["no-such-thing"]).is_none());
        assert!(has_path(&["users", "auth0|1"]));
        assert!(!has_path(&["users", "auth0|1", "nope", "nope"]));
    }

    #[test]
    fn bodies_are_checked_at_the_top_level() {
        let create = find("POST", &["users"]).unwrap();
        let ok = serde_json::json!({ "connection": "db", "email": "a@b.c", "name": null });
        assert_eq!(check_body(create, &ok), Ok(()));
        let unknown = serde_json::json!({ "connection": "db", "colour": "red" });
        assert_eq!(
            check_body(create, &unknown).unwrap_err(),
            "Payload validation error: 'Additional properties not allowed: colour'."
        );
        let missing = serde_json::json!({ "email": "a@b.c" });
        assert!(
            check_body(create, &missing)
                .unwrap_err()
                .contains("connection")
        );
        let wrong = serde_json::json!({ "connection": 7 });
        assert!(
            check_body(create, &wrong)
                .unwrap_err()
                .contains("Expected type string but found type integer")
        );
        let not_nullable = serde_json::json!({ "connection": null });
        assert!(check_body(create, &not_nullable).is_err());
        assert!(check_body(create, &serde_json::json!([])).is_err());
    }
}
