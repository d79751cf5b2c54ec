//! The query parameters that narrow a Management API list: each
//! collection's table of typed filters (`filters`), the condition a given
//! filter sets on records, `GET /clients`' `q` on the clients' grants, and
//! Auth0's `400` `invalid_query_string` for a value it cannot read.

use http::StatusCode;
use serde_json::{Value, json};

use crate::server::{Req, Resp, api_error};

/// How one query parameter of a list narrows it.
#[derive(Clone, Copy)]
pub(crate) enum Filter {
    /// Records whose `field` is any of the values: the parameter repeated
    /// (an array, as the Fern-generated SDKs send one), each value also a
    /// comma-separated list.
    AnyOf(&'static str, &'static str),
    /// Records whose `field` contains the value, ignoring case.
    Contains(&'static str, &'static str),
    /// Records whose `field` is exactly the one value (never split: a URI
    /// may hold commas).
    Exact(&'static str, &'static str),
    /// A boolean; a record without `field` (or with `null`) has `default`,
    /// the value Auth0 gives it.
    Bool {
        param: &'static str,
        field: &'static str,
        default: bool,
    },
    /// One of `allowed`; a record without `field` has `default`.
    OneOf {
        param: &'static str,
        field: &'static str,
        allowed: &'static [&'static str],
        default: Option<&'static str>,
    },
}

/// The filters Auth0 documents for each collection's list.
pub(crate) fn filters(noun: &str) -> &'static [Filter] {
    use Filter::{AnyOf, Bool, Contains, Exact, OneOf};
    match noun {
        "connections" => &[AnyOf("strategy", "strategy"), AnyOf("name", "name")],
        "client_grants" => &[
            AnyOf("audience", "audience"),
            AnyOf("client_id", "client_id"),
            Bool {
                param: "allow_any_organization",
                field: "allow_any_organization",
                default: false,
            },
            OneOf {
                param: "subject_type",
                field: "subject_type",
                allowed: &["client", "user"],
                default: Some("client"),
            },
            OneOf {
                param: "default_for",
                field: "default_for",
                allowed: &["third_party_clients"],
                default: None,
            },
        ],
        "roles" => &[Contains("name_filter", "name")],
        "resource_servers" => &[AnyOf("identifiers", "identifier")],
        "clients" => &[
            AnyOf("app_type", "app_type"),
            Bool {
                param: "is_first_party",
                field: "is_first_party",
                default: true,
            },
            Bool {
                param: "is_global",
                field: "global",
                default: false,
            },
            Exact("external_client_id", "external_client_id"),
        ],
        _ => &[],
    }
}

/// A filter that was given, ready to test records.
pub(crate) enum Condition {
    AnyOf(&'static str, Vec<String>),
    /// The wanted text, lowercased.
    Contains(&'static str, String),
    /// `field` (or `default` when absent or `null`) equals `wanted`.
    Equals {
        field: &'static str,
        wanted: Value,
        default: Value,
    },
}

impl Condition {
    pub(crate) fn matches(&self, record: &Value) -> bool {
        match self {
            Self::AnyOf(field, values) => values
                .iter()
                .flat_map(|v| v.split(','))
                .any(|w| record[*field] == w),
            Self::Contains(field, wanted) => record[*field]
                .as_str()
                .is_some_and(|n| n.to_lowercase().contains(wanted.as_str())),
            Self::Equals {
                field,
                wanted,
                default,
            } => match &record[*field] {
                Value::Null => default == wanted,
                found => found == wanted,
            },
        }
    }
}

/// Auth0's `400` for a query parameter it cannot read.
pub(crate) fn invalid_query(message: &str, param: &str) -> Resp {
    api_error(
        StatusCode::BAD_REQUEST,
        &format!("Query validation error: '{message}' on property {param}."),
        "invalid_query_string",
    )
}

impl Filter {
    fn param(self) -> &'static str {
        match self {
            Self::AnyOf(param, _) | Self::Contains(param, _) | Self::Exact(param, _) => param,
            Self::Bool { param, .. } | Self::OneOf { param, .. } => param,
        }
    }

    /// The condition this filter sets when the request gives it; a `400`
    /// for a value of the wrong type, outside the enum, or repeated where
    /// Auth0 takes one value.
    pub(crate) fn condition(self, req: &Req) -> Result<Option<Condition>, Resp> {
        let param = self.param();
        let mut values = req.query_values(param);
        let (field, wanted, default) = match self {
            _ if values.is_empty() => return Ok(None),
            Self::AnyOf(_, field) => return Ok(Some(Condition::AnyOf(field, values))),
            Self::Contains(_, field) => {
                return Ok(values
                    .pop()
                    .map(|value| Condition::Contains(field, value.to_lowercase())));
            }
            Self::Exact(_, field) => (field, json!(single(values, param, "string")?), Value::Null),
            Self::Bool { field, default, .. } => {
                let wanted = match single(values, param, "boolean")?.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(invalid_query(
                            "Expected type boolean but found type string",
                            param,
                        ));
                    }
                };
                (field, json!(wanted), json!(default))
            }
            Self::OneOf {
                field,
                allowed,
                default,
                ..
            } => {
                let value = single(values, param, "string")?;
                if !allowed.contains(&value.as_str()) {
                    return Err(invalid_query(
                        &format!("No enum match for: \"{value}\""),
                        param,
                    ));
                }
                (field, json!(value), json!(default))
            }
        };
        Ok(Some(Condition::Equals {
            field,
            wanted,
            default,
        }))
    }
}

/// The one value of a parameter Auth0 types `expected`; the `400` Auth0
/// answers to a repeated one (an array).
fn single(mut values: Vec<String>, param: &str, expected: &str) -> Result<String, Resp> {
    match (values.pop(), values.is_empty()) {
        (Some(value), true) => Ok(value),
        _ => Err(invalid_query(
            &format!("Expected type {expected} but found type array"),
            param,
        )),
    }
}

/// The `q` of `GET /clients`: the two queries Auth0 permits, on the
/// clients' grants.
pub(crate) enum ClientGrantQuery {
    /// `client_grant.organization_id:{id}`.
    Organization,
    /// `client_grant.allow_any_organization:true`.
    AnyOrganization,
}

impl ClientGrantQuery {
    /// `q` when given; a `400` for any other query, for `q` with another
    /// filter, or without `take` (checkpoint paging) — Auth0's restrictions.
    pub(crate) fn parse(req: &Req, filtered: bool) -> Result<Option<Self>, Resp> {
        let values = req.query_values("q");
        if values.iter().all(|q| q.trim().is_empty()) {
            return Ok(None);
        }
        let q = single(values, "q", "string")?;
        let parsed = match q.trim().split_once(':') {
            Some(("client_grant.allow_any_organization", "true")) => Self::AnyOrganization,
            Some(("client_grant.organization_id", id))
                if !id.is_empty() && !id.contains(char::is_whitespace) =>
            {
                Self::Organization
            }
            _ => {
                return Err(invalid_query(
                    "Permitted queries are client_grant.organization_id:{organization_id} and client_grant.allow_any_organization:true",
                    "q",
                ));
            }
        };
        if filtered {
            return Err(invalid_query(
                "q cannot be used in combination with other filters",
                "q",
            ));
        }
        let given = |name: &str| req.query_values(name).iter().any(|v| !v.is_empty());
        if !given("take") || given("page") || given("per_page") {
            return Err(invalid_query(
                "q requires the from and take paging parameters (checkpoint pagination)",
                "q",
            ));
        }
        Ok(Some(parsed))
    }

    pub(crate) fn matches(&self, grant: &Value) -> bool {
        match self {
            // Grants are associated with organizations by
            // `POST /organizations/{id}/client-grants`, which the tenant
            // does not emulate: no grant is.
            Self::Organization => false,
            Self::AnyOrganization => grant["allow_any_organization"] == true,
        }
    }
}
