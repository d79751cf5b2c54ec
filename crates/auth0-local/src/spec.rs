//! The vendored Management API description
//! (`spec/management/auth0-management-openapi.json`): which operation a
//! request is, so an operation the tenant does not emulate answers a `501`
//! that names it, and a path Auth0 does not have answers `404`.

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
}
