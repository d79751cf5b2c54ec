//! Jobs: user imports (`multipart/form-data` with a JSON users file), users
//! exports (gzip NDJSON or CSV served from the tenant at a pre-signed
//! `/exports/…` URL) and verification emails, with Auth0's status
//! progression `pending` → `processing` → `completed` / `failed` over a
//! short, configurable time (`LocalTenant::set_job_duration`).
//!
//! A job's work is done when it is first observed after its duration
//! (`GET /api/v2/jobs/{id}` or `…/errors`), as a caller waiting for it
//! does: the outcome is the same as a background worker's, without one.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use http::{Method, Response, StatusCode};
use http_body_util::Full;
use serde_json::{Map, Value, json};

use crate::management::lookup;
use crate::server::{Req, Resp, api_error, json};
use crate::tenant::{Shared, Store, lock, now_iso, random_hex};

/// How long a job takes unless the tenant is told otherwise.
const DEFAULT_DURATION: Duration = Duration::from_millis(200);
/// Auth0's largest users file for one import.
const MAX_IMPORT_FILE: usize = 500 * 1024;
/// Columns of a CSV export that names no `fields`.
const DEFAULT_CSV_FIELDS: &[&str] = &[
    "user_id",
    "email",
    "email_verified",
    "name",
    "nickname",
    "created_at",
    "updated_at",
    "last_login",
    "logins_count",
];

/// The tenant's jobs and the export files they made.
pub(crate) struct JobStore {
    inner: Mutex<Jobs>,
}

impl Default for JobStore {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Jobs {
                duration: DEFAULT_DURATION,
                jobs: HashMap::new(),
                files: HashMap::new(),
            }),
        }
    }
}

impl JobStore {
    /// How long jobs created from now on take.
    pub(crate) fn set_duration(&self, duration: Duration) {
        lock(&self.inner).duration = duration;
    }
}

struct Jobs {
    duration: Duration,
    jobs: HashMap<String, Job>,
    /// Export files by name (`job_….json.gz`): signature and content.
    files: HashMap<String, (String, Bytes)>,
}

struct Job {
    /// The job as `GET /api/v2/jobs/{id}` shows it.
    record: Value,
    started: Instant,
    duration: Duration,
    work: Work,
    /// An import's rejected users, once done.
    report: Vec<Value>,
    done: bool,
}

enum Work {
    Import {
        connection: String,
        /// The parsed users file, or why it could not be read.
        users: Result<Vec<Value>, &'static str>,
        upsert: bool,
    },
    Export {
        connection: Option<String>,
        csv: bool,
        fields: Vec<(String, String)>,
        limit: Option<usize>,
    },
    VerificationEmail,
}

fn forbidden(scope: &str) -> Resp {
    api_error(
        StatusCode::FORBIDDEN,
        &format!("Insufficient scope, expected any of: {scope}"),
        "insufficient_scope",
    )
}

fn bad_request(message: &str) -> Resp {
    api_error(StatusCode::BAD_REQUEST, message, "invalid_body")
}

/// `/api/v2/jobs/…`.
pub(crate) fn route(shared: &Shared, req: &Req, segments: &[&str], scopes: &[&str]) -> Resp {
    let has = |scope: &str| scopes.contains(&scope);
    match (segments, &req.method) {
        (["jobs", "users-imports"], &Method::POST) if has("create:users") => import(shared, req),
        (["jobs", "users-exports"], &Method::POST) if has("read:users") => export(shared, req),
        (["jobs", "verification-email"], &Method::POST) if has("update:users") => {
            verification_email(shared, req)
        }
        (["jobs", "users-imports"], &Method::POST) => forbidden("create:users"),
        (["jobs", "users-exports"], &Method::POST) => forbidden("read:users"),
        (["jobs", "verification-email"], &Method::POST) => forbidden("update:users"),
        (["jobs", id], &Method::GET) if has("read:users") || has("create:users") => {
            match observe(shared, id) {
                Some((record, _)) => json(StatusCode::OK, &record),
                None => no_job(),
            }
        }
        (["jobs", _], &Method::GET) => forbidden("create:users, read:users"),
        (["jobs", id, "errors"], &Method::GET) if has("create:users") => {
            match observe(shared, id) {
                Some((_, report)) if !report.is_empty() => {
                    json(StatusCode::OK, &Value::Array(report))
                }
                Some((record, _)) => json(StatusCode::OK, &record),
                None => no_job(),
            }
        }
        (["jobs", _, "errors"], &Method::GET) => forbidden("create:users"),
        _ => crate::management::not_implemented(req, segments),
    }
}

fn no_job() -> Resp {
    api_error(
        StatusCode::NOT_FOUND,
        "The job does not exist.",
        "inexistent_job",
    )
}

/// Stores a new job; its record as first answered.
fn start(shared: &Shared, kind: &str, mut record: Map<String, Value>, work: Work) -> Resp {
    let id = format!("job_{}", random_hex(8));
    record.insert("id".to_owned(), json!(id));
    record.insert("type".to_owned(), json!(kind));
    record.insert("status".to_owned(), json!("pending"));
    record.insert("created_at".to_owned(), json!(now_iso()));
    let record = Value::Object(record);
    let mut jobs = lock(&shared.jobs.inner);
    let duration = jobs.duration;
    jobs.jobs.insert(
        id,
        Job {
            record: record.clone(),
            started: Instant::now(),
            duration,
            work,
            report: Vec::new(),
            done: false,
        },
    );
    json(StatusCode::CREATED, &record)
}

/// A database connection's name, by id.
fn connection_name(store: &Store, connection_id: &str) -> Option<String> {
    store
        .connections
        .iter()
        .find(|c| c["id"] == connection_id)
        .and_then(|c| c["name"].as_str())
        .map(str::to_owned)
}

/// `POST /api/v2/jobs/users-imports`.
fn import(shared: &Shared, req: &Req) -> Resp {
    let parts = match multipart(req) {
        Ok(parts) => parts,
        Err(message) => return bad_request(message),
    };
    let text = |name: &str| {
        parts
            .get(name)
            .and_then(|b| std::str::from_utf8(b).ok())
            .map(str::trim)
            .unwrap_or_default()
    };
    let connection_id = text("connection_id");
    if connection_id.is_empty() {
        return bad_request("Missing required property: connection_id");
    }
    let Some(file) = parts.get("users") else {
        return bad_request("Missing required property: users (the users file)");
    };
    if file.len() > MAX_IMPORT_FILE {
        return api_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The users file must be smaller than 500KB.",
            "payload_too_large",
        );
    }
    let Some(connection) = connection_name(&lock(&shared.store), connection_id) else {
        return api_error(
            StatusCode::NOT_FOUND,
            "The connection does not exist",
            "inexistent_connection",
        );
    };
    // An unreadable file fails the job, not the request, as at Auth0.
    let users = match serde_json::from_slice::<Value>(file) {
        Ok(Value::Array(users)) => Ok(users),
        Ok(_) => Err("The users file must contain a JSON array of users."),
        Err(_) => {
            Err("Failed to parse users file JSON when importing users. Make sure it is valid JSON.")
        }
    };
    let mut record = Map::new();
    record.insert("connection_id".to_owned(), json!(connection_id));
    record.insert("connection".to_owned(), json!(connection));
    let upsert = text("upsert") == "true";
    record.insert("upsert".to_owned(), json!(upsert));
    if !text("external_id").is_empty() {
        record.insert("external_id".to_owned(), json!(text("external_id")));
    }
    start(
        shared,
        "users_import",
        record,
        Work::Import {
            connection,
            users,
            upsert,
        },
    )
}

/// `POST /api/v2/jobs/users-exports`.
fn export(shared: &Shared, req: &Req) -> Resp {
    let body = match req.json_body() {
        Ok(Value::Object(body)) => body,
        Ok(_) => return bad_request("Payload validation error: 'Expected type object'."),
        Err(response) => return response,
    };
    let csv = match body.get("format").and_then(Value::as_str) {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return bad_request(
                "Payload validation error: 'No enum match for: format' (must be json or csv).",
            );
        }
    };
    let connection = match body.get("connection_id").and_then(Value::as_str) {
        None => None,
        Some(id) => match connection_name(&lock(&shared.store), id) {
            Some(name) => Some(name),
            None => {
                return api_error(
                    StatusCode::NOT_FOUND,
                    "The connection does not exist",
                    "inexistent_connection",
                );
            }
        },
    };
    let mut fields = Vec::new();
    for field in body
        .get("fields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = field.get("name").and_then(Value::as_str) else {
            return bad_request(
                "Payload validation error: 'Missing required property: name' on fields.",
            );
        };
        let title = field
            .get("export_as")
            .and_then(Value::as_str)
            .unwrap_or(name);
        fields.push((name.to_owned(), title.to_owned()));
    }
    let limit = body
        .get("limit")
        .and_then(Value::as_u64)
        .and_then(|l| usize::try_from(l).ok());
    let mut record = body.clone();
    record.insert("format".to_owned(), json!(if csv { "csv" } else { "json" }));
    if let Some(name) = &connection {
        record.insert("connection".to_owned(), json!(name));
    }
    start(
        shared,
        "users_export",
        record,
        Work::Export {
            connection,
            csv,
            fields,
            limit,
        },
    )
}

/// `POST /api/v2/jobs/verification-email`: the user must exist; no email
/// is sent.
fn verification_email(shared: &Shared, req: &Req) -> Resp {
    let body = match req.json_body() {
        Ok(Value::Object(body)) => body,
        Ok(_) => return bad_request("Payload validation error: 'Expected type object'."),
        Err(response) => return response,
    };
    let Some(user_id) = body.get("user_id").and_then(Value::as_str) else {
        return bad_request("Payload validation error: 'Missing required property: user_id'.");
    };
    if lock(&shared.store).user(user_id).is_none() {
        return api_error(
            StatusCode::NOT_FOUND,
            "The user does not exist.",
            "inexistent_user",
        );
    }
    let mut record = Map::new();
    record.insert("user_id".to_owned(), json!(user_id));
    start(
        shared,
        "verification_email",
        record,
        Work::VerificationEmail,
    )
}

/// The job's record and import report now: its status from the time
/// passed, its work done once the time is up.
fn observe(shared: &Shared, id: &str) -> Option<(Value, Vec<Value>)> {
    let mut jobs = lock(&shared.jobs.inner);
    let job = jobs.jobs.get_mut(id)?;
    if !job.done {
        let elapsed = job.started.elapsed();
        if elapsed < job.duration {
            let fraction = elapsed.as_secs_f64() / job.duration.as_secs_f64().max(1e-9);
            let record = &mut job.record;
            if fraction < 0.25 {
                record["status"] = json!("pending");
            } else {
                record["status"] = json!("processing");
                record["percentage_done"] = json!((fraction * 100.0) as i64);
                record["time_left_seconds"] =
                    json!((job.duration - elapsed).as_secs_f64().ceil() as i64);
            }
            return Some((job.record.clone(), Vec::new()));
        }
        job.done = true;
        if let Some(record) = job.record.as_object_mut() {
            record.remove("time_left_seconds");
        }
        job.record["percentage_done"] = json!(100);
        let id = id.to_owned();
        let file = finish(shared, &id, job);
        if let Some((name, signature, content)) = file {
            jobs.files.insert(name, (signature, content));
        }
    }
    let job = jobs.jobs.get(id)?;
    Some((job.record.clone(), job.report.clone()))
}

/// Does a job's work; an export's file (name, signature, content).
fn finish(shared: &Shared, id: &str, job: &mut Job) -> Option<(String, String, Bytes)> {
    match &job.work {
        Work::Import {
            connection,
            users,
            upsert,
        } => {
            match users {
                Err(reason) => {
                    job.record["status"] = json!("failed");
                    job.record["status_details"] = json!(reason);
                }
                Ok(users) => {
                    let mut store = lock(&shared.store);
                    let summary =
                        import_users(&mut store, connection, users, *upsert, &mut job.report);
                    job.record["status"] = json!("completed");
                    job.record["summary"] = summary;
                }
            }
            None
        }
        Work::Export {
            connection,
            csv,
            fields,
            limit,
        } => {
            let users: Vec<Value> = lock(&shared.store)
                .users
                .iter()
                .filter(|u| {
                    connection.as_ref().is_none_or(|c| {
                        u["identities"]
                            .as_array()
                            .is_some_and(|ids| ids.iter().any(|i| i["connection"] == c.as_str()))
                    })
                })
                .take(limit.unwrap_or(usize::MAX))
                .cloned()
                .collect();
            let text = if *csv {
                csv_file(&users, fields)
            } else {
                ndjson_file(&users, fields)
            };
            let content = match gzip(text.as_bytes()) {
                Ok(content) => content,
                Err(_) => {
                    job.record["status"] = json!("failed");
                    job.record["status_details"] = json!("The export file could not be written.");
                    return None;
                }
            };
            let name = format!("{id}.{}.gz", if *csv { "csv" } else { "json" });
            let signature = random_hex(16);
            job.record["status"] = json!("completed");
            job.record["location"] = json!(format!(
                "{}exports/{name}?X-Local-Signature={signature}",
                shared.issuer
            ));
            Some((name, signature, content))
        }
        Work::VerificationEmail => {
            job.record["status"] = json!("completed");
            None
        }
    }
}

/// Imports `users` into the database `connection`; the job summary. Each
/// rejected user goes to `report` with its errors (Auth0's codes).
fn import_users(
    store: &mut Store,
    connection: &str,
    users: &[Value],
    upsert: bool,
    report: &mut Vec<Value>,
) -> Value {
    let (mut inserted, mut updated) = (0u64, 0u64);
    for user in users {
        let reject = |code: &str, message: &str, path: &str| json!({ "user": user, "errors": [{ "code": code, "message": message, "path": path }] });
        let Some(fields) = user.as_object() else {
            report.push(reject("INVALID_TYPE", "Expected type object", ""));
            continue;
        };
        let email = match fields.get("email") {
            None => {
                report.push(reject(
                    "OBJECT_REQUIRED",
                    "Missing required property: email",
                    "email",
                ));
                continue;
            }
            Some(Value::String(email)) if email.contains('@') && !email.starts_with('@') => {
                email.clone()
            }
            Some(_) => {
                report.push(reject(
                    "INVALID_FORMAT",
                    "Object didn't pass validation for format email",
                    "email",
                ));
                continue;
            }
        };
        // Profile fields an import may set; passwords only arrive as
        // hashes, which the local tenant cannot check, so imported users
        // log in once a password is set through the Management API.
        let profile: Map<String, Value> = fields
            .iter()
            .filter(|(k, _)| {
                matches!(
                    k.as_str(),
                    "email_verified"
                        | "name"
                        | "nickname"
                        | "given_name"
                        | "family_name"
                        | "picture"
                        | "blocked"
                        | "user_metadata"
                        | "app_metadata"
                )
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(error) = crate::tenant::profile_length_error(&profile) {
            report.push(reject(error.code, &error.message, error.name));
            continue;
        }
        let existing = store
            .user_by_email(&email)
            .and_then(|u| u["user_id"].as_str())
            .map(str::to_owned);
        match existing {
            Some(_) if !upsert => {
                report.push(reject("DUPLICATED_USER", "The user already exist.", ""));
            }
            Some(user_id) => {
                if let Some(record) = store
                    .users
                    .iter_mut()
                    .find(|u| u["user_id"] == user_id.as_str())
                {
                    for (k, v) in profile {
                        record[k] = v;
                    }
                    record["updated_at"] = json!(now_iso());
                }
                updated += 1;
            }
            None => {
                let user_id = fields
                    .get("user_id")
                    .and_then(Value::as_str)
                    .map(|id| format!("auth0|{id}"));
                match store.insert_user(connection, &email, None, user_id, profile) {
                    Ok(_) => inserted += 1,
                    Err(_) => report.push(reject("DUPLICATED_USER", "The user already exist.", "")),
                }
            }
        }
    }
    json!({
        "total": users.len(),
        "inserted": inserted,
        "updated": updated,
        "failed": report.len(),
    })
}

fn ndjson_file(users: &[Value], fields: &[(String, String)]) -> String {
    let mut out = String::new();
    for user in users {
        let line = if fields.is_empty() {
            user.clone()
        } else {
            Value::Object(
                fields
                    .iter()
                    .filter_map(|(name, _)| lookup(user, name).map(|v| (name.clone(), v.clone())))
                    .collect(),
            )
        };
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
}

fn csv_file(users: &[Value], fields: &[(String, String)]) -> String {
    let columns: Vec<(String, String)> = if fields.is_empty() {
        DEFAULT_CSV_FIELDS
            .iter()
            .map(|f| ((*f).to_owned(), (*f).to_owned()))
            .collect()
    } else {
        fields.to_vec()
    };
    let mut out = String::new();
    let row = |out: &mut String, cells: Vec<String>| {
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    };
    row(
        &mut out,
        columns.iter().map(|(_, title)| csv_cell(title)).collect(),
    );
    for user in users {
        let cells = columns
            .iter()
            .map(|(name, _)| match lookup(user, name) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => csv_string(s),
                Some(other) => csv_cell(&other.to_string()),
            })
            .collect();
        row(&mut out, cells);
    }
    out
}

/// RFC 4180: quoted when it holds a comma, a quote or a line break.
fn csv_cell(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        quoted(cell)
    } else {
        cell.to_owned()
    }
}

/// A string value as Auth0 writes it in a CSV export: always quoted, and
/// behind a `'` so a spreadsheet does not run a value such as `=cmd…` as a
/// formula (CSV injection). Numbers and booleans stay bare.
fn csv_string(value: &str) -> String {
    quoted(&format!("'{value}"))
}

fn quoted(cell: &str) -> String {
    format!("\"{}\"", cell.replace('"', "\"\""))
}

fn gzip(content: &[u8]) -> std::io::Result<Bytes> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(content)?;
    Ok(Bytes::from(encoder.finish()?))
}

/// `GET /exports/<job>.json.gz?X-Local-Signature=…`: an export file, as
/// storage serves a pre-signed URL. Like S3, it refuses a request that also
/// carries an `Authorization` header (a client leaking its Management token
/// to the storage host fails here), and a wrong signature.
pub(crate) fn download(shared: &Shared, req: &Req) -> Resp {
    let storage_error = |status: StatusCode, code: &str, message: &str| {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
        );
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/xml"));
        response
    };
    if req.headers.contains_key(AUTHORIZATION) {
        return storage_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Local-Signature parameter or the Authorization header should be specified",
        );
    }
    let name = req.path.trim_start_matches("/exports/");
    let signature = req
        .query_params()
        .remove("X-Local-Signature")
        .unwrap_or_default();
    let jobs = lock(&shared.jobs.inner);
    match jobs.files.get(name) {
        Some((expected, content)) if *expected == signature => {
            let mut response = Response::new(Full::new(content.clone()));
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/gzip"));
            response
        }
        Some(_) => storage_error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied"),
        None => storage_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        ),
    }
}

/// The parts of a `multipart/form-data` body (RFC 7578), by name.
fn multipart(req: &Req) -> Result<HashMap<String, Bytes>, &'static str> {
    let content_type = req
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        return Err("The request must be multipart/form-data with a users file.");
    }
    let boundary = content_type
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim_matches('"'))
        .filter(|b| !b.is_empty())
        .ok_or("The multipart body has no boundary.")?;
    let delimiter = format!("--{boundary}");
    let body = &req.body[..];
    let mut parts = HashMap::new();
    let mut rest = find(body, delimiter.as_bytes())
        .map(|at| &body[at + delimiter.len()..])
        .ok_or("The multipart body has no parts.")?;
    while !rest.starts_with(b"--") {
        let rest_part = rest
            .strip_prefix(b"\r\n")
            .ok_or("A multipart boundary is malformed.")?;
        let end = find(rest_part, format!("\r\n{delimiter}").as_bytes())
            .ok_or("The multipart body is not terminated.")?;
        let part = &rest_part[..end];
        rest = &rest_part[end + 2 + delimiter.len()..];
        let header_end = find(part, b"\r\n\r\n").ok_or("A multipart part has no headers.")?;
        let headers = std::str::from_utf8(&part[..header_end])
            .map_err(|_| "Multipart headers must be text.")?;
        let name = headers
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .and_then(|l| l.split(';').find_map(|p| p.trim().strip_prefix("name=")))
            .map(|n| n.trim_matches('"').to_owned())
            .ok_or("A multipart part has no name.")?;
        parts.insert(name, Bytes::copy_from_slice(&part[header_end + 4..]));
    }
    Ok(parts)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
