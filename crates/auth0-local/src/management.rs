//! A stateful slice of the Management API v2: users (with the `q` search
//! subset, by-email lookup and Auth0's 1,000-result paging window),
//! connections, clients, client grants, resource servers and roles. Every
//! other operation answers `501` naming itself.

use std::collections::HashMap;

use http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::list_filters::{ClientGrantQuery, Condition, filters, invalid_query};
use crate::routes::{has_audience, verify_own_token};
use crate::server::{Req, Resp, api_error, decode_segment, json, no_content};
use crate::tenant::{Shared, Store, lock, now_iso, random_hex, random_id};

/// Auth0 returns at most this many results of one search, whatever the
/// paging (the "1,000-result window").
const RESULT_WINDOW: usize = 1_000;
/// The largest `per_page` Auth0 accepts.
const MAX_PER_PAGE: usize = 100;
/// `per_page` when only `page` is given (and for users, always).
const DEFAULT_PER_PAGE: usize = 50;

/// A resource collection stored as JSON records.
#[derive(Clone, Copy)]
struct Collection {
    /// The path segment: `client-grants`.
    path: &'static str,
    /// The scope noun and the list key: `client_grants`.
    noun: &'static str,
    /// The field holding a record's id.
    id_field: &'static str,
    /// Fields a PATCH may not change.
    read_only: &'static [&'static str],
}

const COLLECTIONS: &[Collection] = &[
    Collection {
        path: "connections",
        noun: "connections",
        id_field: "id",
        read_only: &["id", "name", "strategy"],
    },
    Collection {
        path: "clients",
        noun: "clients",
        id_field: "client_id",
        read_only: &["client_id", "tenant"],
    },
    Collection {
        path: "client-grants",
        noun: "client_grants",
        id_field: "id",
        read_only: &["id", "client_id", "audience"],
    },
    Collection {
        path: "resource-servers",
        noun: "resource_servers",
        id_field: "id",
        read_only: &["id", "identifier", "is_system"],
    },
    Collection {
        path: "roles",
        noun: "roles",
        id_field: "id",
        read_only: &["id"],
    },
];

fn records<'a>(store: &'a mut Store, noun: &str) -> &'a mut Vec<Value> {
    match noun {
        "connections" => &mut store.connections,
        "clients" => &mut store.clients,
        "client_grants" => &mut store.client_grants,
        "resource_servers" => &mut store.resource_servers,
        _ => &mut store.roles,
    }
}

pub(crate) fn bad_request(message: &str) -> Resp {
    api_error(StatusCode::BAD_REQUEST, message, "invalid_body")
}

/// An operation the tenant does not emulate: `501` naming it (from the
/// vendored API description); a path Auth0 does not have: `404`.
pub(crate) fn not_implemented(req: &Req, segments: &[&str]) -> Resp {
    match crate::spec::find(req.method.as_str(), segments) {
        Some(operation) => api_error(
            StatusCode::NOT_IMPLEMENTED,
            &format!(
                "auth0-local does not emulate {} ({} /api/v2{})",
                operation.id, req.method, operation.template
            ),
            "not_implemented",
        ),
        None if crate::spec::has_path(segments) => api_error(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!("{} is not allowed on this path", req.method),
            "method_not_allowed",
        ),
        None => api_error(StatusCode::NOT_FOUND, "Not Found", "not_found"),
    }
}

/// The `403` Auth0 answers when the token lacks `needed`.
pub(crate) fn require_scope(scopes: &[&str], needed: &str) -> Result<(), Resp> {
    if scopes.contains(&needed) {
        return Ok(());
    }
    Err(api_error(
        StatusCode::FORBIDDEN,
        &format!("Insufficient scope, expected any of: {needed}"),
        "insufficient_scope",
    ))
}

/// The JSON body, checked at the top level against the operation's schema
/// in the vendored description; the `400` Auth0 answers otherwise.
pub(crate) fn checked_body(req: &Req, segments: &[&str]) -> Result<Value, Resp> {
    let body = req.json_body()?;
    if let Some(operation) = crate::spec::find(req.method.as_str(), segments) {
        crate::spec::check_body(operation, &body).map_err(|message| bad_request(&message))?;
    }
    Ok(body)
}

/// Dispatches `/api/v2/…`; writes are logged (`crate::logs`).
pub(crate) fn route(shared: &Shared, req: &Req) -> Resp {
    let response = route_inner(shared, req);
    crate::logs::api_operation(shared, req, &response);
    response
}

fn route_inner(shared: &Shared, req: &Req) -> Resp {
    let Some(token) = req.bearer() else {
        return api_error(
            StatusCode::UNAUTHORIZED,
            "Missing authentication",
            "missing_authentication",
        );
    };
    let Some(claims) = verify_own_token(shared, token) else {
        return api_error(StatusCode::UNAUTHORIZED, "Invalid token", "invalid_token");
    };
    if !has_audience(&claims, &shared.management_audience()) {
        return api_error(StatusCode::UNAUTHORIZED, "Bad audience", "invalid_token");
    }
    let scopes: Vec<&str> = claims
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or("")
        .split(' ')
        .collect();
    let rest = req
        .path
        .trim_start_matches("/api/v2/")
        .trim_end_matches('/');
    let segments: Vec<String> = rest.split('/').map(decode_segment).collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    match segments.first() {
        Some(&"logs") => return crate::logs::route(shared, req, &segments, &scopes),
        Some(&"jobs") => return crate::jobs::route(shared, req, &segments, &scopes),
        _ => {}
    }
    // Areas with their own modules answer their paths first.
    let delegated = crate::organizations::route(shared, req, &segments, &scopes)
        .or_else(|| crate::roles::route(shared, req, &segments, &scopes));
    if let Some(response) = delegated {
        return response;
    }
    let verb = match req.method {
        Method::GET => "read",
        Method::POST => "create",
        Method::PATCH | Method::PUT => "update",
        Method::DELETE => "delete",
        _ => return not_implemented(req, &segments),
    };
    let noun = match segments.first() {
        Some(&"users") | Some(&"users-by-email") => "users",
        Some(first) => match COLLECTIONS.iter().find(|c| c.path == *first) {
            Some(c) => c.noun,
            None => return not_implemented(req, &segments),
        },
        None => return not_implemented(req, &segments),
    };
    let emulated = match (segments.as_slice(), &req.method) {
        (["users-by-email"], method) => method == Method::GET,
        (["users-by-email", ..], _) => false,
        ([_], method) => matches!(*method, Method::GET | Method::POST),
        ([_, _], method) => matches!(*method, Method::GET | Method::PATCH | Method::DELETE),
        _ => false,
    };
    if !emulated {
        return not_implemented(req, &segments);
    }
    if let Err(refused) = require_scope(&scopes, &format!("{verb}:{noun}")) {
        return refused;
    }
    if matches!(req.method, Method::POST | Method::PATCH)
        && let Err(refused) = checked_body(req, &segments)
    {
        return refused;
    }
    let query = req.query_params();
    let mut store = lock(&shared.store);
    match (segments.as_slice(), &req.method) {
        (["users-by-email"], _) => users_by_email(&store, &query),
        (["users"], &Method::GET) => list_users(&store, &query),
        (["users"], &Method::POST) => match req.json_body() {
            Ok(body) => create_user(&mut store, body),
            Err(response) => response,
        },
        (["users", id], &Method::GET) => match store.user(id) {
            Some(user) => json(StatusCode::OK, &select_fields(user, &query)),
            None => no_user(),
        },
        (["users", id], &Method::PATCH) => match req.json_body() {
            Ok(body) => update_user(&mut store, id, body),
            Err(response) => response,
        },
        (["users", id], &Method::DELETE) => {
            store.users.retain(|u| u["user_id"] != *id);
            store.passwords.remove(*id);
            store.organizations.forget_user(id);
            store.rbac.forget_user(id);
            store.mfa.forget_user(id);
            no_content()
        }
        ([path], &Method::GET) => list(&mut store, collection(path), req, &query),
        ([path], &Method::POST) => match req.json_body() {
            Ok(body) => create(&mut store, collection(path), body),
            Err(response) => response,
        },
        ([path, id], &Method::GET) => {
            let c = collection(path);
            match find(&mut store, c, id) {
                Some(found) => json(StatusCode::OK, &select_fields(&found, &query)),
                None => not_found(c),
            }
        }
        ([path, id], &Method::PATCH) => match req.json_body() {
            Ok(body) => update(&mut store, collection(path), id, body),
            Err(response) => response,
        },
        ([path, id], &Method::DELETE) => {
            let c = collection(path);
            let id_field = c.id_field;
            let list = records(&mut store, c.noun);
            let before = list.len();
            list.retain(|r| r[id_field] != *id);
            if list.len() == before {
                return not_found(c);
            }
            if c.noun == "clients" {
                store.client_keys.remove(*id);
            }
            if c.noun == "roles" {
                store.organizations.forget_role(id);
                store.rbac.forget_role(id);
            }
            no_content()
        }
        _ => not_implemented(req, &segments),
    }
}

fn collection(path: &str) -> Collection {
    COLLECTIONS
        .iter()
        .copied()
        .find(|c| c.path == path)
        .unwrap_or(COLLECTIONS[0])
}

fn find(store: &mut Store, c: Collection, id: &str) -> Option<Value> {
    records(store, c.noun)
        .iter()
        .find(|r| r[c.id_field] == id || (c.noun == "resource_servers" && r["identifier"] == id))
        .cloned()
}

fn not_found(c: Collection) -> Resp {
    let singular = match c.noun {
        "connections" => "connection",
        "clients" => "client",
        "client_grants" => "client grant",
        "resource_servers" => "resource server",
        _ => "role",
    };
    api_error(
        StatusCode::NOT_FOUND,
        &format!("The {singular} does not exist"),
        &format!("inexistent_{}", singular.replace(' ', "_")),
    )
}

pub(crate) fn no_user() -> Resp {
    api_error(
        StatusCode::NOT_FOUND,
        "The user does not exist.",
        "inexistent_user",
    )
}

/// `fields` and `include_fields` (a comma-separated list; `include_fields`
/// defaults to true).
pub(crate) fn select_fields(record: &Value, query: &HashMap<String, String>) -> Value {
    let Some(fields) = query.get("fields").filter(|f| !f.is_empty()) else {
        return record.clone();
    };
    let names: Vec<&str> = fields.split(',').map(str::trim).collect();
    let include = query.get("include_fields").is_none_or(|v| v != "false");
    match record {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| names.contains(&k.as_str()) == include)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Paging parameters, checked as Auth0 checks them.
pub(crate) struct Paging {
    page: usize,
    per_page: Option<usize>,
    include_totals: bool,
    /// `take`: checkpoint paging. (`from` is a string in Auth0's
    /// description — an opaque checkpoint — so it is not typed here.)
    take: Option<usize>,
}

pub(crate) fn paging(query: &HashMap<String, String>) -> Result<Paging, Resp> {
    let number = |name: &str| -> Result<Option<usize>, Resp> {
        match query.get(name).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse::<usize>()
                .map(Some)
                .map_err(|_| invalid_query("Expected type integer", name)),
        }
    };
    let page = number("page")?.unwrap_or(0);
    let per_page = number("per_page")?;
    let take = number("take")?;
    if per_page.is_some_and(|p| p > MAX_PER_PAGE) {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            "Query validation error: 'Too big: must be at most 100' on property per_page (Number of results per page).",
            "invalid_query_string",
        ));
    }
    Ok(Paging {
        page,
        per_page: if per_page.is_none() && query.contains_key("page") {
            Some(DEFAULT_PER_PAGE)
        } else {
            per_page
        },
        include_totals: query.get("include_totals").is_some_and(|v| v == "true"),
        take,
    })
}

/// A page of `items` in the shape Auth0 answers: a bare array, or with
/// `include_totals` an object with `start`, `limit`, `total`; with `take`
/// (checkpoint paging) an object with `next`.
pub(crate) fn page_of(
    noun: &str,
    items: Vec<Value>,
    paging: &Paging,
    query: &HashMap<String, String>,
    window: bool,
) -> Resp {
    if let Some(take) = paging.take {
        let take = take.clamp(1, MAX_PER_PAGE);
        let from = query
            .get("from")
            .and_then(|f| f.parse::<usize>().ok())
            .unwrap_or(0);
        let chunk: Vec<Value> = items.iter().skip(from).take(take).cloned().collect();
        let mut body = json!({ noun: chunk });
        if from + take < items.len() {
            body["next"] = json!((from + take).to_string());
        }
        return json(StatusCode::OK, &body);
    }
    let total = items.len();
    let (start, chunk) = match paging.per_page {
        Some(per_page) => {
            let start = paging.page.saturating_mul(per_page);
            if window && start.saturating_add(per_page) > RESULT_WINDOW && start < total {
                return api_error(
                    StatusCode::BAD_REQUEST,
                    "You can only page through the first 1000 records. See https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation",
                    "invalid_paging",
                );
            }
            (
                start,
                items
                    .into_iter()
                    .skip(start)
                    .take(per_page)
                    .collect::<Vec<_>>(),
            )
        }
        None => (0, items.into_iter().take(RESULT_WINDOW).collect()),
    };
    if !paging.include_totals {
        return json(StatusCode::OK, &Value::Array(chunk));
    }
    let limit = paging.per_page.unwrap_or(DEFAULT_PER_PAGE);
    let mut body = json!({ "start": start, "limit": limit, "total": total });
    if noun == "users" {
        body["length"] = json!(chunk.len());
        body["total"] = json!(total.min(RESULT_WINDOW));
    }
    body[noun] = Value::Array(chunk);
    json(StatusCode::OK, &body)
}

fn list(store: &mut Store, c: Collection, req: &Req, query: &HashMap<String, String>) -> Resp {
    let paging = match paging(query) {
        Ok(p) => p,
        Err(response) => return response,
    };
    let conditions = match filters(c.noun)
        .iter()
        .filter_map(|filter| filter.condition(req).transpose())
        .collect::<Result<Vec<Condition>, Resp>>()
    {
        Ok(conditions) => conditions,
        Err(refused) => return refused,
    };
    if c.noun == "client_grants"
        && !req.query_values("default_for").is_empty()
        && !req.query_values("client_id").is_empty()
    {
        return invalid_query(
            "default_for cannot be used together with client_id",
            "default_for",
        );
    }
    // `q` of `GET /clients`: the ids of clients with a matching grant.
    let with_grant: Option<Vec<String>> = if c.noun == "clients" {
        match ClientGrantQuery::parse(req, !conditions.is_empty()) {
            Ok(q) => q.map(|q| {
                store
                    .client_grants
                    .iter()
                    .filter(|g| q.matches(g))
                    .filter_map(|g| g["client_id"].as_str().map(str::to_owned))
                    .collect()
            }),
            Err(refused) => return refused,
        }
    } else {
        None
    };
    let items: Vec<Value> = records(store, c.noun)
        .iter()
        .filter(|r| conditions.iter().all(|condition| condition.matches(r)))
        .filter(|r| {
            with_grant
                .as_ref()
                .is_none_or(|ids| ids.iter().any(|id| r["client_id"] == id.as_str()))
        })
        .map(|r| select_fields(r, query))
        .collect();
    page_of(c.noun, items, &paging, query, false)
}

/// A request body that must be a JSON object, or the `400` Auth0 answers
/// (naming the type that was sent instead).
pub(crate) fn json_object(body: Value) -> Result<Map<String, Value>, Resp> {
    let found = match body {
        Value::Object(object) => return Ok(object),
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Null => "null",
    };
    Err(bad_request(&format!(
        "Payload validation error: 'Expected type object but found type {found}'."
    )))
}

/// A string member of a request body, empty when absent or not a string.
pub(crate) fn text_field(body: &Map<String, Value>, name: &str) -> String {
    body.get(name)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

fn create(store: &mut Store, c: Collection, body: Value) -> Resp {
    let mut body = match json_object(body) {
        Ok(object) => object,
        Err(refused) => return refused,
    };
    let required: &[&str] = match c.noun {
        "connections" => &["name", "strategy"],
        "clients" => &["name"],
        // As the description's schema: `client_id`, or `default_for`
        // instead, is `check_new_grant`'s; no `scope` is an empty list.
        "client_grants" => &["audience"],
        "resource_servers" => &["identifier"],
        _ => &["name"],
    };
    for name in required {
        if !body.contains_key(*name) {
            return bad_request(&format!(
                "Payload validation error: 'Missing required property: {name}'."
            ));
        }
    }
    let conflict = |message: &str, code: &str| api_error(StatusCode::CONFLICT, message, code);
    match c.noun {
        "connections" => {
            let name = text_field(&body, "name");
            if store.connections.iter().any(|x| x["name"] == name.as_str()) {
                return conflict(
                    "A connection with the same name already exists",
                    "connection_conflict",
                );
            }
            body.insert("id".into(), json!(format!("con_{}", random_hex(8))));
            body.entry("options").or_insert_with(|| json!({}));
            body.entry("enabled_clients").or_insert_with(|| json!([]));
            body.entry("is_domain_connection")
                .or_insert_with(|| json!(false));
            body.entry("display_name").or_insert_with(|| json!(name));
            body.entry("realms").or_insert_with(|| json!([name]));
        }
        "clients" => {
            let client_id = random_id(24);
            body.insert("client_id".into(), json!(client_id));
            body.insert("client_secret".into(), json!(random_id(48)));
            body.insert("tenant".into(), json!("local"));
            let app_type = text_field(&body, "app_type");
            body.entry("grant_types").or_insert_with(|| {
                if app_type == "non_interactive" {
                    json!(["client_credentials"])
                } else {
                    json!([
                        "authorization_code",
                        "implicit",
                        "refresh_token",
                        "client_credentials"
                    ])
                }
            });
            body.entry("token_endpoint_auth_method")
                .or_insert_with(|| json!("client_secret_post"));
            body.entry("callbacks").or_insert_with(|| json!([]));
            body.entry("is_first_party").or_insert_with(|| json!(true));
        }
        "client_grants" => {
            if let Err(refused) = check_new_grant(store, &body) {
                return refused;
            }
            body.insert("id".into(), json!(format!("cgr_{}", random_hex(8))));
            if body.get("scope").is_none_or(Value::is_null) {
                body.insert("scope".into(), json!([]));
            }
        }
        "resource_servers" => {
            let identifier = text_field(&body, "identifier");
            if store
                .resource_servers
                .iter()
                .any(|r| r["identifier"] == identifier.as_str())
            {
                return conflict(
                    "A resource server with the same identifier already exists",
                    "conflict",
                );
            }
            body.insert("id".into(), json!(random_hex(12)));
            body.entry("name").or_insert_with(|| json!(identifier));
            body.entry("signing_alg").or_insert_with(|| json!("RS256"));
            body.entry("token_lifetime")
                .or_insert_with(|| json!(86_400));
            body.entry("scopes").or_insert_with(|| json!([]));
            body.insert("is_system".into(), json!(false));
        }
        _ => {
            let name = text_field(&body, "name");
            if store.roles.iter().any(|r| r["name"] == name.as_str()) {
                return conflict("A role with the same name already exists", "conflict");
            }
            body.insert("id".into(), json!(format!("rol_{}", random_hex(8))));
        }
    }
    let record = Value::Object(body);
    records(store, c.noun).push(record.clone());
    json(StatusCode::CREATED, &record)
}

/// A new client grant is for one client (`client_id`, which must exist) or
/// the default for a group of clients (`default_for`, mutually exclusive
/// with `client_id`), and the first for its audience: the `400`, `404` or
/// `409` Auth0 answers otherwise.
fn check_new_grant(store: &Store, body: &Map<String, Value>) -> Result<(), Resp> {
    let given = |name: &str| body.get(name).is_some_and(|v| !v.is_null());
    let (client, default_for, audience) = (
        text_field(body, "client_id"),
        text_field(body, "default_for"),
        text_field(body, "audience"),
    );
    match (given("client_id"), given("default_for")) {
        (true, true) => {
            return Err(bad_request(
                "Payload validation error: 'client_id and default_for are mutually exclusive'.",
            ));
        }
        (false, false) => {
            return Err(bad_request(
                "Payload validation error: 'Missing required property: client_id'.",
            ));
        }
        (false, true) if default_for != "third_party_clients" => {
            return Err(bad_request(&format!(
                "Payload validation error: 'No enum match for: \"{default_for}\"' on property default_for."
            )));
        }
        (true, false) if store.client(&client).is_none() => {
            return Err(api_error(
                StatusCode::NOT_FOUND,
                "Client not found",
                "inexistent_client",
            ));
        }
        _ => {}
    }
    let taken = store.client_grants.iter().any(|g| {
        g["audience"] == audience.as_str()
            && if given("client_id") {
                g["client_id"] == client.as_str()
            } else {
                g["default_for"] == default_for.as_str()
            }
    });
    if taken {
        return Err(api_error(
            StatusCode::CONFLICT,
            "A client grant for this client and audience already exists",
            "conflict",
        ));
    }
    Ok(())
}

fn update(store: &mut Store, c: Collection, id: &str, body: Value) -> Resp {
    let changes = match json_object(body) {
        Ok(object) => object,
        Err(refused) => return refused,
    };
    if let Some(field) = changes.keys().find(|k| c.read_only.contains(&k.as_str())) {
        return bad_request(&format!(
            "Payload validation error: 'Additional properties not allowed: {field}'."
        ));
    }
    let id_field = c.id_field;
    let Some(record) = records(store, c.noun)
        .iter_mut()
        .find(|r| r[id_field] == id)
    else {
        return not_found(c);
    };
    // A PATCH replaces each top-level property it names (Auth0 replaces a
    // connection's `options` whole, too).
    for (name, value) in changes {
        record[name] = value;
    }
    json(StatusCode::OK, record)
}

// -------------------------------------------------------------------- users

fn users_by_email(store: &Store, query: &HashMap<String, String>) -> Resp {
    let Some(email) = query.get("email").filter(|e| !e.is_empty()) else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "Query validation error: 'Missing required property: email'.",
            "invalid_query_string",
        );
    };
    let found: Vec<Value> = store
        .users
        .iter()
        .filter(|u| {
            u["email"]
                .as_str()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
        .map(|u| select_fields(u, query))
        .collect();
    json(StatusCode::OK, &Value::Array(found))
}

fn list_users(store: &Store, query: &HashMap<String, String>) -> Resp {
    let mut paging = match paging(query) {
        Ok(p) => p,
        Err(response) => return response,
    };
    // Auth0 answers 50 users a page unless told otherwise.
    paging.per_page.get_or_insert(DEFAULT_PER_PAGE);
    let search = match query.get("q").filter(|q| !q.trim().is_empty()) {
        Some(q) => match Search::parse(q) {
            Ok(search) => Some(search),
            Err(message) => {
                return api_error(StatusCode::BAD_REQUEST, &message, "invalid_query_string");
            }
        },
        None => None,
    };
    let mut users: Vec<&Value> = store
        .users
        .iter()
        .filter(|u| search.as_ref().is_none_or(|s| s.matches(u)))
        .filter(|u| {
            query.get("connection").is_none_or(|c| {
                u["identities"]
                    .as_array()
                    .is_some_and(|ids| ids.iter().any(|i| i["connection"] == c.as_str()))
            })
        })
        .collect();
    if let Some(sort) = query.get("sort").filter(|s| !s.is_empty()) {
        let (field, order) = sort.split_once(':').unwrap_or((sort.as_str(), "1"));
        users.sort_by(|a, b| {
            let (a, b) = (lookup(a, field), lookup(b, field));
            let ordering = compare(a, b);
            if order == "-1" {
                ordering.reverse()
            } else {
                ordering
            }
        });
    }
    let items = users.into_iter().map(|u| select_fields(u, query)).collect();
    page_of("users", items, &paging, query, true)
}

fn compare(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(std::cmp::Ordering::Equal),
        (Some(x), Some(y)) => value_text(x).cmp(&value_text(y)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_lowercase(),
        other => other.to_string(),
    }
}

/// A dotted path into a record (`user_metadata.plan`); arrays are searched
/// element by element (`identities.connection`).
pub(crate) fn lookup<'a>(record: &'a Value, path: &str) -> Option<&'a Value> {
    let mut current = record;
    for part in path.split('.') {
        current = match current {
            Value::Object(map) => map.get(part)?,
            Value::Array(items) => items.iter().find_map(|i| i.get(part))?,
            _ => return None,
        };
    }
    Some(current)
}

/// The subset of Auth0's user search syntax (v3, Lucene query strings) the
/// tenant understands: `field:value`, `field:"a phrase"`, `field:prefix*`,
/// `_exists_:field`, `NOT`/`-` before a term, `AND`/`OR` between terms
/// (adjacent terms are ANDed; AND binds tighter than OR), and a bare word
/// searched in email, name and nickname.
pub(crate) struct Search {
    /// OR of ANDs of terms.
    any_of: Vec<Vec<Term>>,
}

struct Term {
    negated: bool,
    field: Option<String>,
    value: Pattern,
}

enum Pattern {
    Exact(String),
    Prefix(String),
    Exists,
}

impl Search {
    pub(crate) fn parse(q: &str) -> Result<Self, String> {
        if q.contains('(') || q.contains(')') || q.contains('[') || q.contains('{') {
            return Err(format!(
                "auth0-local does not support grouping or ranges in user search: {q}"
            ));
        }
        let mut tokens = Vec::new();
        let mut current = String::new();
        let mut quoted = false;
        for ch in q.chars() {
            match ch {
                '"' => {
                    quoted = !quoted;
                    current.push(ch);
                }
                c if c.is_whitespace() && !quoted => {
                    if !current.is_empty() {
                        tokens.push(std::mem::take(&mut current));
                    }
                }
                c => current.push(c),
            }
        }
        if quoted {
            return Err("Unterminated quoted string in q".to_owned());
        }
        if !current.is_empty() {
            tokens.push(current);
        }
        let mut any_of = vec![Vec::new()];
        let mut negate_next = false;
        for token in tokens {
            match token.as_str() {
                "AND" | "&&" => continue,
                "OR" | "||" => any_of.push(Vec::new()),
                "NOT" | "!" => negate_next = true,
                _ => {
                    let (negated, token) = match token.strip_prefix('-') {
                        Some(rest) => (true, rest.to_owned()),
                        None => (std::mem::take(&mut negate_next), token),
                    };
                    let term = Term::parse(&token, negated)?;
                    if let Some(group) = any_of.last_mut() {
                        group.push(term);
                    }
                }
            }
        }
        Ok(Self { any_of })
    }

    pub(crate) fn matches(&self, user: &Value) -> bool {
        self.any_of
            .iter()
            .filter(|group| !group.is_empty())
            .any(|group| group.iter().all(|term| term.matches(user)))
    }
}

impl Term {
    fn parse(token: &str, negated: bool) -> Result<Self, String> {
        let (field, value) = match token.split_once(':') {
            Some((field, value)) => (Some(field.to_owned()), value),
            None => (None, token),
        };
        if field.as_deref() == Some("_exists_") {
            return Ok(Self {
                negated,
                field: Some(value.to_owned()),
                value: Pattern::Exists,
            });
        }
        let value = if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            Pattern::Exact(inner.to_lowercase())
        } else if let Some(prefix) = value.strip_suffix('*') {
            if prefix.contains('*') {
                return Err("Only trailing wildcards are supported in user search".to_owned());
            }
            Pattern::Prefix(prefix.to_lowercase())
        } else {
            Pattern::Exact(value.to_lowercase())
        };
        Ok(Self {
            negated,
            field,
            value,
        })
    }

    fn matches(&self, user: &Value) -> bool {
        let hit = match &self.field {
            Some(field) => self.matches_value(lookup(user, field)),
            None => ["email", "name", "nickname"]
                .iter()
                .any(|f| self.matches_value(lookup(user, f))),
        };
        hit != self.negated
    }

    fn matches_value(&self, value: Option<&Value>) -> bool {
        let Some(value) = value else { return false };
        let texts: Vec<String> = match value {
            Value::Array(items) => items.iter().map(value_text).collect(),
            // A null field does not exist, for `_exists_` as for values.
            Value::Null => return false,
            other => vec![value_text(other)],
        };
        match &self.value {
            Pattern::Exists => true,
            Pattern::Exact(wanted) => texts.iter().any(|t| t == wanted),
            Pattern::Prefix(prefix) => texts.iter().any(|t| t.starts_with(prefix.as_str())),
        }
    }
}

fn create_user(store: &mut Store, body: Value) -> Resp {
    let mut body = match json_object(body) {
        Ok(object) => object,
        Err(refused) => return refused,
    };
    let connection = text_field(&body, "connection");
    if connection.is_empty() {
        return bad_request("Payload validation error: 'Missing required property: connection'.");
    }
    if let Some(refused) = profile_lengths(&body) {
        return refused;
    }
    let Some(strategy) = store
        .connections
        .iter()
        .find(|c| c["name"] == connection.as_str())
        .and_then(|c| c["strategy"].as_str())
        .map(str::to_owned)
    else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "The connection does not exist.",
            "inexistent_connection",
        );
    };
    let email = text_field(&body, "email");
    let password = text_field(&body, "password");
    match strategy.as_str() {
        "auth0" => {
            if email.is_empty() {
                return bad_request(
                    "Payload validation error: 'Missing required property: email'.",
                );
            }
            if password.is_empty() {
                return bad_request(
                    "Payload validation error: 'Missing required property: password'.",
                );
            }
            if password.chars().count() < 8 {
                return api_error(
                    StatusCode::BAD_REQUEST,
                    "PasswordStrengthError: Password is too weak",
                    "invalid_password",
                );
            }
        }
        "email" | "sms" => {}
        other => {
            return api_error(
                StatusCode::BAD_REQUEST,
                &format!("Cannot create users in a {other} connection"),
                "operation_not_supported",
            );
        }
    }
    let user_id = body
        .remove("user_id")
        .and_then(|v| v.as_str().map(str::to_owned))
        .map(|id| {
            if id.contains('|') {
                id
            } else {
                format!("auth0|{id}")
            }
        });
    for name in ["connection", "password", "verify_email"] {
        body.remove(name);
    }
    body.remove("email");
    match store.insert_user(
        &connection,
        &email,
        (!password.is_empty()).then_some(password.as_str()),
        user_id,
        body,
    ) {
        Ok(record) => json(StatusCode::CREATED, &record),
        Err(_) => api_error(
            StatusCode::CONFLICT,
            "The user already exists.",
            "auth0_idp_error",
        ),
    }
}

/// Auth0's 400 for a profile attribute past its length (see
/// [`crate::tenant::profile_length_error`]).
fn profile_lengths(fields: &Map<String, Value>) -> Option<Resp> {
    let error = crate::tenant::profile_length_error(fields)?;
    Some(bad_request(&format!(
        "Payload validation error: '{}' on property {}.",
        error.message, error.name
    )))
}

fn update_user(store: &mut Store, id: &str, body: Value) -> Resp {
    let mut changes = match json_object(body) {
        Ok(object) => object,
        Err(refused) => return refused,
    };
    if store.user(id).is_none() {
        return no_user();
    }
    if let Some(refused) = profile_lengths(&changes) {
        return refused;
    }
    if let Some(email) = changes.get("email").and_then(Value::as_str) {
        let taken = store
            .user_by_email(email)
            .is_some_and(|other| other["user_id"] != id);
        if taken {
            return api_error(
                StatusCode::CONFLICT,
                "The specified new email already exists",
                "email_conflict",
            );
        }
    }
    if let Some(password) = changes.remove("password") {
        let Some(password) = password.as_str().filter(|p| p.chars().count() >= 8) else {
            return api_error(
                StatusCode::BAD_REQUEST,
                "PasswordStrengthError: Password is too weak",
                "invalid_password",
            );
        };
        store.passwords.insert(id.to_owned(), password.to_owned());
    }
    for name in ["connection", "client_id", "verify_email", "verify_password"] {
        changes.remove(name);
    }
    let Some(record) = store.users.iter_mut().find(|u| u["user_id"] == id) else {
        return no_user();
    };
    for (name, value) in changes {
        match (name.as_str(), value) {
            // Metadata is merged one level deep; a null removes a key.
            ("user_metadata" | "app_metadata", Value::Object(merge)) => {
                if !record[&name].is_object() {
                    record[&name] = json!({});
                }
                if let Some(current) = record[&name].as_object_mut() {
                    for (key, value) in merge {
                        if value.is_null() {
                            current.remove(&key);
                        } else {
                            current.insert(key, value);
                        }
                    }
                }
            }
            ("user_id" | "identities" | "created_at", _) => {}
            (_, value) => record[name] = value,
        }
    }
    record["updated_at"] = json!(now_iso());
    json(StatusCode::OK, record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(email: &str, plan: &str) -> Value {
        json!({ "email": email, "name": email, "user_metadata": { "plan": plan },
                "identities": [{ "connection": "Username-Password-Authentication" }] })
    }

    #[test]
    fn search_subset() {
        let alice = user("alice@example.com", "pro");
        let bob = user("bob@corp.test", "free");
        let q = |q: &str| Search::parse(q).unwrap();
        assert!(q("email:\"alice@example.com\"").matches(&alice));
        assert!(!q("email:\"alice@example.com\"").matches(&bob));
        assert!(q("email:alice*").matches(&alice));
        assert!(q("user_metadata.plan:free OR email:alice*").matches(&bob));
        assert!(q("user_metadata.plan:free OR email:alice*").matches(&alice));
        assert!(!q("user_metadata.plan:free AND email:alice*").matches(&alice));
        assert!(q("NOT user_metadata.plan:free").matches(&alice));
        assert!(q("-user_metadata.plan:free").matches(&alice));
        assert!(q("_exists_:user_metadata.plan").matches(&alice));
        assert!(!q("_exists_:app_metadata.x").matches(&alice));
        assert!(q("identities.connection:\"Username-Password-Authentication\"").matches(&bob));
        assert!(q("bob@corp.test").matches(&bob));
        assert!(Search::parse("(a OR b)").is_err());
        assert!(Search::parse("email:\"open").is_err());
    }
}
