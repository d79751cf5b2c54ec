//! Tenant logs: an event for every login, client-credentials exchange and
//! Management API write, and `GET /api/v2/logs` (search paging with the
//! 1,000-result window, or checkpoint paging with `from`/`take` and a
//! `Link: rel="next"` header, as Auth0 answers) and `GET /api/v2/logs/{id}`.
//!
//! Event type codes are Auth0's (*Log Event Type Codes*): `s` / `f`
//! successful / failed login, `seccft` / `feccft` successful / failed
//! client-credentials exchange, `sapi` / `fapi` successful / failed
//! Management API operation.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use http::header::{HeaderValue, LINK, USER_AGENT};
use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::server::{Req, Resp, api_error, json};
use crate::tenant::{DATABASE_CONNECTION, Shared, lock, now_iso};

/// Events kept (the oldest go first, as Auth0's retention drops them).
const RETAINED: usize = 10_000;
/// `take` when a checkpoint request has none, and its largest value.
const DEFAULT_TAKE: usize = 50;
const MAX_TAKE: usize = 100;

/// The tenant's log events, oldest first.
#[derive(Default)]
pub(crate) struct LogStore {
    inner: Mutex<Events>,
}

#[derive(Default)]
struct Events {
    events: VecDeque<Value>,
    sequence: u64,
}

impl LogStore {
    /// Appends an event, giving it a `log_id` that sorts after every
    /// earlier one (fixed width, like Auth0's 56-digit ids).
    fn push(&self, mut event: Value) {
        let mut events = lock(&self.inner);
        events.sequence += 1;
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let log_id = format!("900{millis:017}{:036}", events.sequence);
        event["log_id"] = json!(log_id);
        event["_id"] = json!(log_id);
        events.events.push_back(event);
        while events.events.len() > RETAINED {
            events.events.pop_front();
        }
    }

    fn snapshot(&self) -> Vec<Value> {
        lock(&self.inner).events.iter().cloned().collect()
    }
}

/// The fields every event has.
fn event(shared: &Shared, req: &Req, kind: &str, description: &str, client_id: &str) -> Value {
    let client_name = lock(&shared.store)
        .client(client_id)
        .and_then(|c| c["name"].as_str())
        .unwrap_or_default()
        .to_owned();
    json!({
        "date": now_iso(),
        "type": kind,
        "description": description,
        "client_id": client_id,
        "client_name": client_name,
        "ip": "127.0.0.1",
        "user_agent": req.headers.get(USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default(),
        "hostname": shared.issuer.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/'),
        "isMobile": false,
    })
}

/// A database login by `username` through `client_id`: `s` with the user
/// id when it succeeded, else `f`.
pub(crate) fn login(
    shared: &Shared,
    req: &Req,
    client_id: &str,
    username: &str,
    user_id: Option<&str>,
) {
    let (kind, description) = match user_id {
        Some(_) => ("s", "Successful login"),
        None => ("f", "Wrong email or password."),
    };
    let mut record = event(shared, req, kind, description, client_id);
    record["connection"] = json!(DATABASE_CONNECTION);
    record["strategy"] = json!("auth0");
    record["strategy_type"] = json!("database");
    record["user_name"] = json!(username);
    if let Some(user_id) = user_id {
        record["user_id"] = json!(user_id);
    }
    shared.logs.push(record);
}

/// Records a client-credentials exchange from its answer (`seccft` or
/// `feccft`) and hands the answer back.
pub(crate) fn exchange(shared: &Shared, req: &Req, client_id: &str, response: Resp) -> Resp {
    let ok = response.status().is_success();
    let (kind, description) = if ok {
        ("seccft", "Client Credentials for Access Token")
    } else {
        (
            "feccft",
            "Failed exchange of Client Credentials for Access Token",
        )
    };
    let mut record = event(shared, req, kind, description, client_id);
    record["details"] = json!({ "statusCode": response.status().as_u16() });
    shared.logs.push(record);
    response
}

/// Records a Management API write (`POST`/`PATCH`/`PUT`/`DELETE`) from its
/// answer: `sapi` or `fapi`. Reads are not logged, as at Auth0. Request
/// and response bodies are left out (they may carry passwords).
pub(crate) fn api_operation(shared: &Shared, req: &Req, response: &Resp) {
    if !matches!(
        req.method,
        Method::POST | Method::PATCH | Method::PUT | Method::DELETE
    ) {
        return;
    }
    let status = response.status();
    if status == StatusCode::UNAUTHORIZED {
        // No authenticated caller: Auth0 logs nothing either.
        return;
    }
    let client_id = req
        .bearer()
        .and_then(|token| crate::routes::verify_own_token(shared, token))
        .and_then(|claims| claims.get("azp").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    let ok = status.is_success();
    let verb = match req.method {
        Method::POST => "Create",
        Method::DELETE => "Delete",
        _ => "Update",
    };
    let resource = req.path.trim_start_matches("/api/v2/");
    let description = format!("{verb} {resource}");
    let mut record = event(
        shared,
        req,
        if ok { "sapi" } else { "fapi" },
        &description,
        &client_id,
    );
    record["details"] = json!({
        "request": {
            "method": req.method.as_str().to_lowercase(),
            "path": req.path,
            "channel": "api",
        },
        "response": { "statusCode": status.as_u16() },
    });
    shared.logs.push(record);
}

/// `GET /api/v2/logs` and `GET /api/v2/logs/{id}` (`read:logs`).
pub(crate) fn route(shared: &Shared, req: &Req, segments: &[&str], scopes: &[&str]) -> Resp {
    if req.method != Method::GET || segments.len() > 2 {
        return crate::management::not_implemented(req, segments);
    }
    if !scopes.contains(&"read:logs") {
        return api_error(
            StatusCode::FORBIDDEN,
            "Insufficient scope, expected any of: read:logs",
            "insufficient_scope",
        );
    }
    let events = shared.logs.snapshot();
    if let [_, id] = segments {
        return match events.iter().find(|e| e["log_id"] == *id) {
            Some(found) => json(StatusCode::OK, found),
            None => api_error(StatusCode::NOT_FOUND, "log not found", "inexistent_log"),
        };
    }
    let query = req.query_params();
    if query.contains_key("from") || query.contains_key("take") {
        return checkpoint(shared, events, &query);
    }
    search(events, &query)
}

/// Checkpoint paging: the logs newer than `from` in `log_id` order (every
/// other parameter ignored), a bare array, and the `next` link — the same
/// `from` again when nothing is newer.
fn checkpoint(shared: &Shared, events: Vec<Value>, query: &HashMap<String, String>) -> Resp {
    let take = match query.get("take").filter(|t| !t.is_empty()) {
        None => DEFAULT_TAKE,
        Some(t) => match t.parse::<usize>() {
            Ok(n) if (1..=MAX_TAKE).contains(&n) => n,
            _ => {
                return api_error(
                    StatusCode::BAD_REQUEST,
                    "Query validation error: 'take' must be an integer between 1 and 100.",
                    "invalid_query_string",
                );
            }
        },
    };
    let from = query.get("from").filter(|f| !f.is_empty());
    let page: Vec<Value> = events
        .into_iter()
        .filter(|e| {
            from.is_none_or(|from| e["log_id"].as_str().is_some_and(|id| id > from.as_str()))
        })
        .take(take)
        .collect();
    let next_from = page
        .last()
        .and_then(|e| e["log_id"].as_str())
        .map(str::to_owned)
        .or_else(|| from.cloned());
    let mut response = json(StatusCode::OK, &Value::Array(page));
    if let Some(next_from) = next_from {
        let link = format!(
            "<{}api/v2/logs?from={next_from}&take={take}>; rel=\"next\"",
            shared.issuer
        );
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(LINK, value);
        }
    }
    response
}

/// The query parameters that filter a log search: `search`, the name in
/// Auth0's Management API description (what the Fern-generated SDKs —
/// auth0-python 5+, node-auth0 5+ — send), and `q`, the name the earlier
/// SDKs send. Both given: an event matches both.
const SEARCH_PARAMETERS: [&str; 2] = ["search", "q"];

/// Search paging: `search`/`q` (the user-search subset), `sort` on `date`
/// (newest first by default), `fields`, `page`/`per_page`/`include_totals`,
/// within the 1,000-result window.
fn search(mut events: Vec<Value>, query: &HashMap<String, String>) -> Resp {
    use crate::management::{Search, page_of, paging, select_fields};
    let paging = match paging(query) {
        Ok(p) => p,
        Err(response) => return response,
    };
    for name in SEARCH_PARAMETERS {
        let Some(q) = query.get(name).filter(|q| !q.trim().is_empty()) else {
            continue;
        };
        match Search::parse(q) {
            Ok(search) => events.retain(|e| search.matches(e)),
            Err(message) => {
                return api_error(StatusCode::BAD_REQUEST, &message, "invalid_query_string");
            }
        }
    }
    let ascending = query.get("sort").is_some_and(|s| s.ends_with(":1"));
    if !ascending {
        events.reverse();
    }
    let items = events.iter().map(|e| select_fields(e, query)).collect();
    page_of("logs", items, &paging, query, true)
}
