//! Auth0 played by the local tenant (`auth0-local`, plain http on
//! 127.0.0.1) with a scripted answer to every request: `/oauth/token`
//! issues numbered tokens, `/api/v2/**` checks them and answers from
//! per-test overrides, then from the auth0-python WireMock stubs (golden
//! fixtures). Anything unmatched is answered with status 599 so the calling
//! test fails loudly. What was sent is read from the tenant's request log.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use auth0_core::retry::RetryPolicy;
use auth0_core::{Auth0Client, ClientConfig};
use auth0_jwt::clock::ManualClock;
use auth0_local::{Fault, LocalTenant, RecordedRequest};
use auth0_management::{ClientCredentials, ManagementClient};
use bytes::Bytes;
use http::Method;
use serde_json::Value;

/// The stubs Auth0 uses to test its generated Python SDK. Missing file =
/// failing test, never a skipped one.
pub const MAPPINGS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../spec/management/wiremock/auth0-python-wiremock-mappings.json"
);

/// Start of the fake clock (any plausible Unix time).
pub const T0: i64 = 1_700_000_000;

/// One WireMock stub: method, path template, path and query matchers, answer.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub name: String,
    pub method: String,
    pub template: Vec<String>,
    pub path_params: BTreeMap<String, String>,
    /// key → expected values (one for `equalTo`, all for `hasExactly`).
    pub query: BTreeMap<String, Vec<String>>,
    pub status: u16,
    pub body: String,
}

/// Loads every stub whose path starts with one of `prefixes`.
pub fn load_mappings(prefixes: &[&str]) -> Vec<Mapping> {
    static ALL: OnceLock<Vec<Mapping>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        let text = std::fs::read_to_string(MAPPINGS)
            .unwrap_or_else(|e| panic!("golden fixtures missing at {MAPPINGS}: {e}"));
        let json: Value = serde_json::from_str(&text).expect("mappings are JSON");
        let mappings = json["mappings"].as_array().expect("a mappings array");
        mappings.iter().map(parse_mapping).collect()
    });
    let out: Vec<Mapping> = all
        .iter()
        .filter(|m| {
            let path = format!("/{}", m.template.join("/"));
            prefixes
                .iter()
                .any(|p| path == *p || path.starts_with(&format!("{p}/")))
        })
        .cloned()
        .collect();
    assert!(!out.is_empty(), "no stubs for {prefixes:?}");
    out
}

fn parse_mapping(m: &Value) -> Mapping {
    let req = &m["request"];
    let template = req["urlPathTemplate"].as_str().expect("urlPathTemplate");
    let path_params = req["pathParameters"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v["equalTo"].as_str().expect("equalTo").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let query = req["queryParameters"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    let values = if let Some(s) = v["equalTo"].as_str() {
                        vec![s.to_owned()]
                    } else if let Some(list) = v["hasExactly"].as_array() {
                        list.iter()
                            .map(|x| x["equalTo"].as_str().expect("equalTo").to_owned())
                            .collect()
                    } else {
                        panic!("unsupported query matcher {v}")
                    };
                    (k.clone(), values)
                })
                .collect()
        })
        .unwrap_or_default();
    Mapping {
        name: m["name"].as_str().unwrap_or_default().to_owned(),
        method: req["method"].as_str().expect("method").to_owned(),
        template: template
            .trim_start_matches('/')
            .split('/')
            .map(str::to_owned)
            .collect(),
        path_params,
        query,
        status: u16::try_from(m["response"]["status"].as_u64().expect("status")).unwrap(),
        body: m["response"]["body"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

/// Parses `a=1&b=x+y&a=2` into key → values.
pub fn parse_query(query: Option<&str>) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.entry(percent_decode(k))
            .or_default()
            .push(percent_decode(v));
    }
    for values in out.values_mut() {
        values.sort();
    }
    out
}

impl Mapping {
    fn matches(&self, method: &Method, path: &str, query: &BTreeMap<String, Vec<String>>) -> bool {
        if method.as_str() != self.method {
            return false;
        }
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        if segments.len() != self.template.len() {
            return false;
        }
        for (seg, tpl) in segments.iter().zip(&self.template) {
            if let Some(name) = tpl.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                let decoded = percent_decode(seg);
                if self
                    .path_params
                    .get(name)
                    .is_some_and(|want| *want != decoded)
                {
                    return false;
                }
            } else if seg != tpl {
                return false;
            }
        }
        // The query must carry exactly the stub's parameters.
        let mut want = self.query.clone();
        for values in want.values_mut() {
            values.sort();
        }
        want == *query
    }
}

/// A request as the tenant recorded it, in the shape the tests match on.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    /// Raw (still percent-encoded) path.
    pub path: String,
    pub query: BTreeMap<String, Vec<String>>,
    pub authorization: Option<String>,
    pub body: Bytes,
}

impl Recorded {
    fn from_log(request: &RecordedRequest) -> Self {
        Self {
            method: request.method.clone(),
            path: request.path().to_owned(),
            query: parse_query(request.uri.query()),
            authorization: request.header("authorization").map(str::to_owned),
            body: request.body.clone(),
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn form(&self) -> BTreeMap<String, Vec<String>> {
        parse_query(Some(std::str::from_utf8(&self.body).unwrap()))
    }
}

/// A per-test answer: `Some((status, body))` to answer, `None` to pass on.
pub type Override = Box<dyn Fn(&Recorded) -> Option<(u16, String)> + Send + Sync>;

#[derive(Default)]
pub struct State {
    pub mappings: Vec<Mapping>,
    pub overrides: Mutex<Vec<Override>>,
    /// Tokens the API accepts.
    pub valid_tokens: Mutex<HashSet<String>>,
    pub issued: AtomicU64,
    /// `expires_in` of issued tokens.
    pub lifetime: AtomicU64,
    /// Real delay before answering a token request (lets callers pile up).
    pub token_delay_ms: AtomicU64,
    /// Token requests to fail with 401 before succeeding.
    pub token_failures: AtomicUsize,
}

pub struct Server {
    pub addr: SocketAddr,
    pub state: Arc<State>,
    pub tenant: LocalTenant,
}

impl Server {
    /// Starts a tenant answering from the stubs under `prefixes`.
    pub async fn start(prefixes: &[&str]) -> Server {
        let state = Arc::new(State {
            mappings: load_mappings(prefixes),
            lifetime: AtomicU64::new(86_400),
            ..State::default()
        });
        state
            .valid_tokens
            .lock()
            .unwrap()
            .insert("static-token".to_owned());
        let tenant = LocalTenant::builder().plain_http().start().await.unwrap();
        let st = Arc::clone(&state);
        tenant.inject(
            Fault::respond_with(move |request| Some(answer(&st, &Recorded::from_log(request))))
                .forever(),
        );
        Server {
            addr: tenant.addr(),
            state,
            tenant,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Adds an answer tried before the stubs (latest first).
    pub fn answer(&self, f: impl Fn(&Recorded) -> Option<(u16, String)> + Send + Sync + 'static) {
        self.state.overrides.lock().unwrap().insert(0, Box::new(f));
    }

    /// Requests to `/oauth/token`.
    pub fn token_requests(&self) -> Vec<Recorded> {
        self.tenant
            .requests_to("/oauth/token")
            .iter()
            .map(Recorded::from_log)
            .collect()
    }

    pub fn token_count(&self) -> usize {
        self.token_requests().len()
    }

    /// Every other request (`/api/v2/**`, and anything unexpected).
    pub fn api_requests(&self) -> Vec<Recorded> {
        self.tenant
            .requests()
            .iter()
            .filter(|r| r.path() != "/oauth/token")
            .map(Recorded::from_log)
            .collect()
    }

    /// Makes every token issued so far invalid for the API.
    pub fn revoke_all(&self) {
        let mut valid = self.state.valid_tokens.lock().unwrap();
        valid.retain(|t| t == "static-token");
    }

    /// An `Auth0Client` on this server with fast retries.
    pub fn http(&self) -> Auth0Client {
        let policy = RetryPolicy::builder()
            .base_delay(Duration::from_millis(5))
            .max_wait(Duration::from_millis(50))
            .build()
            .unwrap();
        let config = ClientConfig::builder()
            .domain(self.base_url())
            .allow_insecure_loopback(true)
            .retry_policy(policy)
            .build()
            .unwrap();
        Auth0Client::new(config).unwrap()
    }

    /// A client-credentials client on a manual clock reading [`T0`].
    pub fn client(&self) -> (ManagementClient, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new(T0));
        let client = ManagementClient::builder(self.http())
            .client_credentials(ClientCredentials::new("test-client", "test-secret"))
            .clock(Arc::clone(&clock))
            .build()
            .unwrap();
        (client, clock)
    }
}

fn reply(status: u16, body: impl Into<Bytes>) -> Fault {
    Fault::reply_raw(status, body.into()).with_header("content-type", "application/json")
}

/// The answer to one request.
fn answer(state: &State, recorded: &Recorded) -> Fault {
    if recorded.path == "/oauth/token" {
        // Real delay before answering a token request (lets callers pile up).
        let delay = Duration::from_millis(state.token_delay_ms.load(Ordering::SeqCst));
        let failing = state
            .token_failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            return reply(
                401,
                r#"{"error":"access_denied","error_description":"Unauthorized"}"#,
            )
            .with_head_delay(delay);
        }
        let n = state.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let token = format!("tok-{n}");
        state.valid_tokens.lock().unwrap().insert(token.clone());
        let body = serde_json::json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": state.lifetime.load(Ordering::SeqCst),
            "scope": "read:users",
        });
        return reply(200, body.to_string()).with_head_delay(delay);
    }

    let Some(api_path) = recorded.path.strip_prefix("/api/v2") else {
        return reply(599, format!("unexpected path {}", recorded.path));
    };
    let token_ok = recorded
        .authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "))
        .is_some_and(|t| state.valid_tokens.lock().unwrap().contains(t));
    if !token_ok {
        return reply(
            401,
            r#"{"statusCode":401,"error":"Unauthorized","message":"Invalid token"}"#,
        );
    }
    for o in state.overrides.lock().unwrap().iter() {
        if let Some((status, body)) = o(recorded) {
            return reply(status, body);
        }
    }
    for m in &state.mappings {
        if m.matches(&recorded.method, api_path, &recorded.query) {
            return reply(m.status, m.body.clone());
        }
    }
    reply(
        599,
        format!(
            "no stub for {} {} {:?}",
            recorded.method, recorded.path, recorded.query
        ),
    )
}
