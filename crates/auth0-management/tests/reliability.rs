//! Reliability ("chaos") suite for the provisioning persona: thousands of
//! Management API calls through Auth0 played by the local tenant
//! (`auth0-local`, plain http on 127.0.0.1) with one scripted closure that
//! answers 429s, 5xx, cuts connections mid-response and stalls past the
//! attempt timeout — and not one piece of work may be lost or done twice.
//!
//! Faults are drawn from a xorshift PRNG seeded with a fixed seed and the
//! (method, resource, attempt number) of each request, so every resource
//! sees the same faults on every run whatever the task interleaving.
//!
//! What is checked:
//! 1. no create or update is processed twice: a `POST`/`PATCH` is only ever
//!    resent after a `429` (which Auth0 answers before processing);
//! 2. every failure is a typed `auth0_management::Error` whose core error
//!    says why (`RateLimited` after the retries, `Api` 5xx, `Timeout`,
//!    `Transport`), and matches the fault the server injected last; the
//!    whole run is bounded by a timeout, so a hang fails;
//! 3. idempotent calls (`GET`, `DELETE`) are retried through every fault
//!    and all succeed;
//! 4. the server's store agrees with what the client was told: a create
//!    reported successful exists exactly once, a create that failed after
//!    processing is found (once) by a lookup, one that failed before is not;
//!    at the end every user created was deleted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use auth0_core::error::Error as CoreError;
use auth0_core::retry::RetryPolicy;
use auth0_core::{Auth0Client, ClientConfig};
use auth0_local::{Fault, LocalTenant, RecordedRequest};
use auth0_management::api::UsersGetParams;
use auth0_management::models::{CreateUserRequestContent, UpdateUserRequestContent};
use auth0_management::{ClientCredentials, Error, ManagementClient};
use bytes::Bytes;
use http::{Method, StatusCode};
use serde_json::{Value, json};

const SEED: u64 = 0x5eed_c0ff_ee15_2026;
/// Users provisioned; each costs 6–7 operations.
const USERS: usize = 350;
/// Concurrent provisioning tasks.
const TASKS: usize = 32;
const MAX_RETRIES: u32 = 10;
const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(250);
/// How long a "slow" answer stalls: well past the attempt timeout.
const SLOW: Duration = Duration::from_millis(400);
/// Every `HOT`-th user (offset 7) is throttled on every create attempt.
const HOT: usize = 50;

// ---------------------------------------------------------------- faults

/// What the server did with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Answer {
    /// Processed and answered normally.
    Ok,
    /// `429` before processing.
    RateLimited,
    /// `503` before processing.
    UnavailableBefore,
    /// `503` after processing (the work was done).
    UnavailableAfter,
    /// `500` on a read (nothing to process).
    Internal,
    /// Processed, then the connection is cut in the middle of the body.
    Dropped,
    /// Stalled past the attempt timeout without processing.
    SlowBefore,
    /// Processed, then stalled past the attempt timeout.
    SlowAfter,
}

impl Answer {
    /// Whether the request's work was done.
    fn processed(self) -> bool {
        matches!(
            self,
            Answer::Ok | Answer::UnavailableAfter | Answer::Dropped | Answer::SlowAfter
        )
    }
}

/// One xorshift64 step.
fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

/// A deterministic draw in `0..1000` for attempt `attempt` at `key`.
fn draw(key: &str, attempt: usize) -> u64 {
    // FNV-1a of the key, then a few xorshift rounds to spread it.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut x = (SEED ^ h ^ (attempt as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1;
    for _ in 0..4 {
        x = xorshift(x);
    }
    x % 1000
}

/// The fault for attempt `attempt` of `method` on `key`; per-mille rates.
fn fault(method: &Method, key: &str, attempt: usize, hot: bool) -> Answer {
    if hot && *method == Method::POST {
        return Answer::RateLimited;
    }
    let r = draw(&format!("{method} {key}"), attempt);
    let table: &[(u64, Answer)] = match *method {
        Method::POST | Method::PATCH => &[
            (150, Answer::RateLimited),
            (30, Answer::UnavailableBefore),
            (30, Answer::UnavailableAfter),
            (30, Answer::Dropped),
            (8, Answer::SlowBefore),
            (8, Answer::SlowAfter),
        ],
        Method::DELETE => &[
            (100, Answer::RateLimited),
            (20, Answer::UnavailableBefore),
            (40, Answer::UnavailableAfter),
            (30, Answer::Dropped),
            (10, Answer::SlowAfter),
        ],
        _ => &[
            (100, Answer::RateLimited),
            (40, Answer::UnavailableBefore),
            (40, Answer::Internal),
            (30, Answer::Dropped),
            (10, Answer::SlowAfter),
        ],
    };
    let mut acc = 0;
    for &(rate, answer) in table {
        acc += rate;
        if r < acc {
            return answer;
        }
    }
    Answer::Ok
}

// ---------------------------------------------------------------- server

#[derive(Debug, Clone)]
struct StoredUser {
    email: String,
    nickname: Option<String>,
}

#[derive(Default)]
struct Store {
    users: BTreeMap<String, StoredUser>,
    by_email: HashMap<String, String>,
    /// email → how many times a create for it was processed.
    creates: HashMap<String, u32>,
    /// user id → how many times an update was processed.
    updates: HashMap<String, u32>,
    /// user id → how many times a delete was processed.
    deletes: HashMap<String, u32>,
    /// "METHOD key" → what the server answered, attempt by attempt.
    log: BTreeMap<String, Vec<Answer>>,
}

#[derive(Default)]
struct State {
    store: Mutex<Store>,
    next_id: AtomicU64,
    token_requests: AtomicUsize,
}

fn reply(status: u16, body: impl Into<Bytes>) -> Fault {
    Fault::reply_raw(status, body.into()).with_header("content-type", "application/json")
}

fn error_reply(status: u16, error: &str, code: &str) -> Fault {
    reply(
        status,
        json!({"statusCode": status, "error": error, "message": error, "errorCode": code})
            .to_string(),
    )
}

fn rate_limited() -> Fault {
    let reset = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1;
    error_reply(429, "Too Many Requests", "too_many_requests")
        // "Now": within the client's 10 ms max_wait (a longer wait than the
        // policy allows ends the call at once with RateLimited).
        .with_header("retry-after", "0")
        .with_header("x-ratelimit-limit", "50")
        .with_header("x-ratelimit-remaining", "0")
        .with_header("x-ratelimit-reset", reset.to_string())
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn user_json(id: &str, u: &StoredUser) -> Value {
    json!({"user_id": id, "email": u.email, "nickname": u.nickname})
}

/// A tenant whose every answer comes from [`handle`]; the tenant stays up
/// while the returned value lives.
async fn start_server() -> (LocalTenant, Arc<State>) {
    let state = Arc::new(State::default());
    let tenant = LocalTenant::builder().plain_http().start().await.unwrap();
    let st = Arc::clone(&state);
    tenant.inject(Fault::respond_with(move |request| Some(handle(&st, request))).forever());
    (tenant, state)
}

/// The answer to one request. The work is done here, when the request
/// arrives; the answer returned may then stall or be cut off.
fn handle(state: &State, request: &RecordedRequest) -> Fault {
    let body = &request.body;
    let path = request.path().to_owned();
    let method = request.method.clone();

    if path == "/oauth/token" {
        // The first two token requests are throttled too.
        let n = state.token_requests.fetch_add(1, Ordering::SeqCst);
        if n < 2 {
            return rate_limited();
        }
        let body = json!({"access_token": "chaos-token", "token_type": "Bearer",
            "expires_in": 86_400, "scope": "create:users read:users update:users delete:users"});
        return reply(200, body.to_string());
    }
    if request.header("authorization") != Some("Bearer chaos-token") {
        return error_reply(401, "Unauthorized", "invalid_token");
    }

    // Which resource the request is about, for the fault draw and the log.
    let json_body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let (key, hot) = match (&method, path.as_str()) {
        (&Method::POST, "/api/v2/users") => {
            let email = json_body["email"].as_str().unwrap_or_default().to_owned();
            let index: usize = email
                .trim_start_matches("user")
                .split('@')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            (email, index % HOT == 7)
        }
        (_, "/api/v2/users-by-email") => {
            let email = request
                .uri
                .query()
                .unwrap_or_default()
                .split('&')
                .find_map(|p| p.strip_prefix("email="))
                .map(percent_decode)
                .unwrap_or_default();
            (format!("lookup {email}"), false)
        }
        (_, p) => match p.strip_prefix("/api/v2/users/") {
            Some(id) => (percent_decode(id), false),
            None => return error_reply(404, "Not Found", "unknown_route"),
        },
    };
    let log_key = format!("{method} {key}");
    let answer = {
        let mut store = state.store.lock().unwrap();
        let log = store.log.entry(log_key).or_default();
        let answer = fault(&method, &key, log.len(), hot);
        log.push(answer);
        answer
    };

    match answer {
        Answer::RateLimited => return rate_limited(),
        Answer::UnavailableBefore => {
            return error_reply(503, "Service Unavailable", "unavailable");
        }
        Answer::Internal => return error_reply(500, "Internal Server Error", "internal"),
        Answer::SlowBefore => {
            return error_reply(503, "Service Unavailable", "unavailable").with_head_delay(SLOW);
        }
        _ => {}
    }

    // Process.
    let (status, body) = {
        let mut store = state.store.lock().unwrap();
        match (&method, path.as_str()) {
            (&Method::POST, "/api/v2/users") => {
                *store.creates.entry(key.clone()).or_default() += 1;
                if store.by_email.contains_key(&key) {
                    (
                        409,
                        json!({"statusCode": 409, "error": "Conflict",
                        "message": "The user already exists.", "errorCode": "auth0_idp_error"}),
                    )
                } else {
                    let n = state.next_id.fetch_add(1, Ordering::SeqCst);
                    let id = format!("auth0|{n:06}");
                    let user = StoredUser {
                        email: key.clone(),
                        nickname: None,
                    };
                    let out = user_json(&id, &user);
                    store.by_email.insert(key.clone(), id.clone());
                    store.users.insert(id, user);
                    (201, out)
                }
            }
            (&Method::GET, "/api/v2/users-by-email") => {
                let email = key.trim_start_matches("lookup ");
                let found: Vec<Value> = store
                    .by_email
                    .get(email)
                    .and_then(|id| store.users.get(id).map(|u| user_json(id, u)))
                    .into_iter()
                    .collect();
                (200, Value::Array(found))
            }
            (&Method::GET, _) => match store.users.get(&key) {
                Some(u) => (200, user_json(&key, u)),
                None => (
                    404,
                    json!({"statusCode": 404, "error": "Not Found",
                    "message": "The user does not exist.", "errorCode": "inexistent_user"}),
                ),
            },
            (&Method::PATCH, _) => {
                *store.updates.entry(key.clone()).or_default() += 1;
                let nickname = json_body["nickname"].as_str().map(str::to_owned);
                match store.users.get_mut(&key) {
                    Some(u) => {
                        u.nickname = nickname;
                        let out = user_json(&key, u);
                        (200, out)
                    }
                    None => (
                        404,
                        json!({"statusCode": 404, "error": "Not Found",
                        "message": "The user does not exist.", "errorCode": "inexistent_user"}),
                    ),
                }
            }
            (&Method::DELETE, _) => {
                *store.deletes.entry(key.clone()).or_default() += 1;
                if let Some(u) = store.users.remove(&key) {
                    store.by_email.remove(&u.email);
                }
                // Auth0 answers 204 whether or not the user existed.
                (204, Value::Null)
            }
            _ => (
                405,
                json!({"statusCode": 405, "error": "Method Not Allowed"}),
            ),
        }
    };

    match answer {
        Answer::UnavailableAfter => error_reply(503, "Service Unavailable", "unavailable"),
        // Headers and a fragment of the body, then the connection is cut:
        // fewer bytes than the declared length.
        Answer::Dropped => Fault::stream(status, 12)
            .declared_length(4096)
            .with_header("content-type", "application/json"),
        Answer::SlowAfter => reply(status, body.to_string()).with_head_delay(SLOW),
        _ if status == 204 => reply(204, Bytes::new()),
        _ => reply(status, body.to_string()),
    }
}

// ---------------------------------------------------------------- client

/// Why an operation failed, read from the typed error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Why {
    RateLimited,
    Server5xx,
    Timeout,
    Transport,
}

fn why(e: &Error) -> Why {
    match e.core() {
        Some(CoreError::RateLimited(r)) => {
            // The retry layer reports its attempts: every retry was used.
            assert_eq!(r.attempts, Some(MAX_RETRIES + 1), "{e:?}");
            assert!(r.reset_at > 0, "x-ratelimit-reset is kept: {e:?}");
            Why::RateLimited
        }
        Some(CoreError::Api(a)) if a.status_code.is_server_error() => Why::Server5xx,
        Some(CoreError::Timeout(_)) => Why::Timeout,
        Some(CoreError::Transport { connect: false, .. }) => Why::Transport,
        _ => panic!("unexpected error kind: {e:?}"),
    }
}

/// The failure the client must report when the server answered `last` to
/// the final attempt of a write.
fn expected_why(last: Answer) -> Option<Why> {
    match last {
        Answer::Ok => None,
        Answer::RateLimited => Some(Why::RateLimited),
        Answer::UnavailableBefore | Answer::UnavailableAfter | Answer::Internal => {
            Some(Why::Server5xx)
        }
        Answer::Dropped => Some(Why::Transport),
        Answer::SlowBefore | Answer::SlowAfter => Some(Why::Timeout),
    }
}

/// What the client learned while provisioning one user.
#[derive(Debug, Default)]
struct Report {
    index: usize,
    email: String,
    /// `Ok(id)` or why the create failed.
    create: Option<Result<String, Why>>,
    /// After a failed create, what the lookup by email found.
    recovered: Option<Option<String>>,
    update: Option<Result<(), Why>>,
    /// Nickname read back after the update.
    nickname_after: Option<Option<String>>,
    ops: usize,
    /// Failures of idempotent calls (must stay empty).
    idempotent_failures: Vec<String>,
}

fn client(addr: SocketAddr) -> ManagementClient {
    let policy = RetryPolicy::builder()
        .max_retries(MAX_RETRIES)
        .base_delay(Duration::from_millis(1))
        .max_wait(Duration::from_millis(10))
        .without_budget()
        .jitter(|| 0.5)
        .build()
        .unwrap();
    let config = ClientConfig::builder()
        .domain(format!("http://{addr}"))
        .allow_insecure_loopback(true)
        .attempt_timeout(ATTEMPT_TIMEOUT)
        .retry_policy(policy)
        .build()
        .unwrap();
    ManagementClient::builder(Auth0Client::new(config).unwrap())
        .client_credentials(ClientCredentials::new("chaos-client", "chaos-secret"))
        .build()
        .unwrap()
}

async fn provision(auth0: &ManagementClient, index: usize) -> Report {
    let users = auth0.users();
    let email = format!("user{index}@chaos.test");
    let mut r = Report {
        index,
        email: email.clone(),
        ..Report::default()
    };

    r.ops += 1;
    let id = match users
        .create(
            &CreateUserRequestContent::new("Username-Password-Authentication")
                .email(&email)
                .password("correct horse battery staple"),
        )
        .await
    {
        Ok(u) => {
            let id = u.user_id.expect("a created user has an id");
            r.create = Some(Ok(id.clone()));
            id
        }
        Err(e) => {
            r.create = Some(Err(why(&e)));
            // Did Auth0 do it anyway? A lookup (idempotent) tells.
            r.ops += 1;
            match users.list_by_email(&email).await {
                Ok(found) => {
                    let id = found.first().and_then(|u| u.user_id.clone());
                    r.recovered = Some(id.clone());
                    match id {
                        Some(id) => id,
                        None => return r,
                    }
                }
                Err(e) => {
                    r.idempotent_failures.push(format!("lookup: {e:?}"));
                    return r;
                }
            }
        }
    };

    r.ops += 1;
    match users.get(&id, &UsersGetParams::new()).await {
        Ok(u) => assert_eq!(u.email.as_deref(), Some(email.as_str())),
        Err(e) => r.idempotent_failures.push(format!("get: {e:?}")),
    }

    r.ops += 1;
    let nickname = format!("nick{index}");
    r.update = Some(
        users
            .update(&id, &UpdateUserRequestContent::new().nickname(&nickname))
            .await
            .map(|u| assert_eq!(u.nickname.as_deref(), Some(nickname.as_str())))
            .map_err(|e| why(&e)),
    );

    r.ops += 1;
    match users.get(&id, &UsersGetParams::new()).await {
        Ok(u) => r.nickname_after = Some(u.nickname),
        Err(e) => r
            .idempotent_failures
            .push(format!("get after update: {e:?}")),
    }

    r.ops += 1;
    if let Err(e) = users.delete(&id).await {
        r.idempotent_failures.push(format!("delete: {e:?}"));
    }

    r.ops += 1;
    match users.get(&id, &UsersGetParams::new()).await {
        Err(e) if e.status_code() == Some(StatusCode::NOT_FOUND) => {}
        other => r
            .idempotent_failures
            .push(format!("get after delete: {other:?}")),
    }
    r
}

// ---------------------------------------------------------------- the run

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisioning_survives_chaos_without_losing_or_duplicating_work() {
    let started = Instant::now();
    let (tenant, state) = start_server().await;
    let auth0 = client(tenant.addr());
    let next = Arc::new(AtomicUsize::new(0));

    let run = async {
        let mut tasks = Vec::new();
        for _ in 0..TASKS {
            let auth0 = auth0.clone();
            let next = Arc::clone(&next);
            tasks.push(tokio::spawn(async move {
                let mut reports = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= USERS {
                        return reports;
                    }
                    reports.push(provision(&auth0, i).await);
                }
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.expect("a provisioning task panicked"));
        }
        all
    };
    let mut reports = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the chaos run hung");
    reports.sort_by_key(|r| r.index);
    assert_eq!(reports.len(), USERS);

    let store = state.store.lock().unwrap();
    let last = |key: &str| -> Answer {
        *store
            .log
            .get(key)
            .and_then(|l| l.last())
            .unwrap_or_else(|| panic!("no request logged for {key}"))
    };

    // (1) Writes are only resent after a 429, never after the server may
    // have acted; and never more often than the policy allows.
    for (key, answers) in &store.log {
        if key.starts_with("POST ") || key.starts_with("PATCH ") {
            // One operation per key: at most 1 + max_retries attempts.
            assert!(
                answers.len() <= MAX_RETRIES as usize + 1,
                "{key}: {answers:?}"
            );
            let (_, earlier) = answers.split_last().unwrap();
            assert!(
                earlier.iter().all(|a| *a == Answer::RateLimited),
                "{key} was resent after a non-429 answer: {answers:?}"
            );
        }
    }
    for (email, n) in &store.creates {
        assert_eq!(*n, 1, "create for {email} processed {n} times");
    }
    for (id, n) in &store.updates {
        assert_eq!(*n, 1, "update of {id} processed {n} times");
    }

    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let mut ops = 0;
    for r in &reports {
        ops += r.ops;
        // (3) Every idempotent call got through.
        assert!(
            r.idempotent_failures.is_empty(),
            "user {}: {:?}",
            r.index,
            r.idempotent_failures
        );

        // (2) + (4) for the create.
        let post_key = format!("POST {}", r.email);
        let last_create = last(&post_key);
        let processed = store.creates.get(&r.email).copied().unwrap_or(0);
        assert_eq!(processed, u32::from(last_create.processed()), "{post_key}");
        let id = match r.create.as_ref().unwrap() {
            Ok(id) => {
                *outcomes.entry("create ok".into()).or_default() += 1;
                assert_eq!(last_create, Answer::Ok, "{post_key}");
                assert_eq!(processed, 1, "{post_key}");
                Some(id.clone())
            }
            Err(w) => {
                *outcomes.entry(format!("create {w:?}")).or_default() += 1;
                assert_eq!(Some(*w), expected_why(last_create), "{post_key}");
                if r.index % HOT == 7 {
                    assert_eq!(*w, Why::RateLimited, "{post_key}");
                    assert_eq!(store.log[&post_key].len(), MAX_RETRIES as usize + 1);
                }
                let recovered = r.recovered.clone().unwrap();
                // The lookup saw exactly what the server did: no silent loss.
                assert_eq!(recovered.is_some(), processed == 1, "{post_key}");
                if recovered.is_some() {
                    *outcomes.entry("create recovered".into()).or_default() += 1;
                }
                recovered
            }
        };
        if r.index % HOT == 7 {
            assert_eq!(r.create, Some(Err(Why::RateLimited)), "{post_key}");
        }
        let Some(id) = id else {
            assert!(r.update.is_none());
            continue;
        };

        // (2) + (4) for the update.
        let patch_key = format!("PATCH {id}");
        let last_patch = last(&patch_key);
        let patched = store.updates.get(&id).copied().unwrap_or(0);
        assert_eq!(patched, u32::from(last_patch.processed()), "{patch_key}");
        match r.update.unwrap() {
            Ok(()) => {
                *outcomes.entry("update ok".into()).or_default() += 1;
                assert_eq!(last_patch, Answer::Ok, "{patch_key}");
            }
            Err(w) => {
                *outcomes.entry(format!("update {w:?}")).or_default() += 1;
                assert_eq!(Some(w), expected_why(last_patch), "{patch_key}");
            }
        }
        // The read-back shows the update iff the server applied it.
        let nickname = r.nickname_after.clone().unwrap();
        assert_eq!(
            nickname,
            (patched == 1).then(|| format!("nick{}", r.index)),
            "{patch_key}"
        );
        assert!(
            store.deletes.get(&id).copied().unwrap_or(0) >= 1,
            "{id} not deleted"
        );
    }
    // Everything created was cleaned up; nothing is left behind.
    assert!(
        store.users.is_empty(),
        "left over: {:?}",
        store.users.keys()
    );
    assert!(store.by_email.is_empty());

    // The run really exercised every fault and every failure kind.
    let mut faults: BTreeMap<Answer, usize> = BTreeMap::new();
    let mut attempts = 0;
    for answers in store.log.values() {
        attempts += answers.len();
        for a in answers {
            *faults.entry(*a).or_default() += 1;
        }
    }
    for kind in [
        Answer::RateLimited,
        Answer::UnavailableBefore,
        Answer::UnavailableAfter,
        Answer::Internal,
        Answer::Dropped,
        Answer::SlowBefore,
        Answer::SlowAfter,
    ] {
        assert!(faults.get(&kind).copied().unwrap_or(0) > 0, "no {kind:?}");
    }
    for kind in [
        "create RateLimited",
        "create Server5xx",
        "create Timeout",
        "create Transport",
        "create recovered",
        "update Server5xx",
        "update Transport",
    ] {
        assert!(
            outcomes.contains_key(kind),
            "no '{kind}' outcome: {outcomes:?}"
        );
    }
    assert!(ops >= 2000, "only {ops} operations");
    let token_requests = state.token_requests.load(Ordering::SeqCst);
    assert_eq!(token_requests, 3, "two throttled token requests, then one");

    println!(
        "chaos: {ops} ops, {attempts} API attempts ({} retries), {} token requests, \
         faults {faults:?}, outcomes {outcomes:?}, {:?}",
        attempts - ops,
        token_requests,
        started.elapsed()
    );
}
