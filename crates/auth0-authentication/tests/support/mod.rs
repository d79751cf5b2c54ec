//! The tests' Authentication API is the local tenant (`auth0-local`, plain
//! http on 127.0.0.1) with scripted answers: these helpers start one,
//! script it, and read what the SDK sent from its request log.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use auth0_authentication::AuthenticationClient;
use auth0_core::Auth0Client;
pub use auth0_local::{Fault, LocalTenant, RecordedRequest as Recorded};
use serde_json::Value;

/// A JSON answer with exactly these body bytes (some tests send invalid or
/// empty JSON).
pub fn json(status: u16, body: &str) -> Fault {
    Fault::reply_raw(status, body.to_owned()).with_header("content-type", "application/json")
}

/// A plain-text answer.
pub fn text(status: u16, body: &str) -> Fault {
    Fault::reply_raw(status, body.to_owned()).with_header("content-type", "text/plain")
}

/// A token answer like Auth0's.
pub const TOKEN_JSON: &str = r#"{"access_token":"at-SECRET","id_token":"idt-SECRET","refresh_token":"rt-SECRET","token_type":"Bearer","expires_in":86400,"scope":"openid profile"}"#;

async fn tenant() -> LocalTenant {
    LocalTenant::builder().plain_http().start().await.unwrap()
}

/// A tenant answering request `n` (from 0) with `faults[n]`, and every
/// request after the last with the last.
pub async fn scripted(mut faults: Vec<Fault>) -> LocalTenant {
    let tenant = tenant().await;
    let last = faults.pop().unwrap();
    for fault in faults {
        tenant.inject(fault);
    }
    tenant.inject(last.forever());
    tenant
}

/// A tenant answering request number `n` (from 0) with
/// `handler(&request, n)`.
pub async fn answer_with(
    handler: impl Fn(&Recorded, usize) -> Fault + Send + Sync + 'static,
) -> LocalTenant {
    let tenant = tenant().await;
    tenant.inject(
        Fault::respond_with(move |request| Some(handler(request, request.index as usize)))
            .forever(),
    );
    tenant
}

/// The clients the tests use against a scripted tenant.
pub trait Clients {
    /// `http://127.0.0.1:PORT`
    fn base_url(&self) -> String;
    /// An `Auth0Client` on the default stack pointed at the tenant.
    fn core(&self) -> Auth0Client;
    /// An authentication client `client-123` with `client_secret_post`.
    fn secret_client(&self) -> AuthenticationClient;
    /// The only request received.
    fn only_request(&self) -> Recorded;
}

impl Clients for LocalTenant {
    fn base_url(&self) -> String {
        self.domain()
    }

    fn core(&self) -> Auth0Client {
        Auth0Client::new(self.client_config().build().unwrap()).unwrap()
    }

    fn secret_client(&self) -> AuthenticationClient {
        AuthenticationClient::builder(self.core(), "client-123")
            .client_secret("shh-SECRET")
            .build()
            .unwrap()
    }

    fn only_request(&self) -> Recorded {
        let all = self.requests();
        assert_eq!(all.len(), 1, "expected exactly one request");
        all.into_iter().next().unwrap()
    }
}

/// Strict readings of a recorded body.
pub trait Sent {
    /// The body as a JSON object (panics if it is not one, or not sent as
    /// `application/json`).
    fn json_object(&self) -> serde_json::Map<String, Value>;
    /// The body's fields whatever the encoding: a JSON object, or a form
    /// body's fields as JSON strings.
    fn fields(&self) -> serde_json::Map<String, Value>;
    /// The body as form fields (panics on a repeated name, or when not sent
    /// as `application/x-www-form-urlencoded`).
    fn form_fields(&self) -> BTreeMap<String, String>;
}

impl Sent for Recorded {
    fn json_object(&self) -> serde_json::Map<String, Value> {
        assert_eq!(
            self.headers.get("content-type").unwrap(),
            "application/json",
            "expected a JSON body"
        );
        match serde_json::from_slice(&self.body).unwrap() {
            Value::Object(m) => m,
            other => panic!("not an object: {other}"),
        }
    }

    fn fields(&self) -> serde_json::Map<String, Value> {
        if self.headers.get("content-type").unwrap() == "application/x-www-form-urlencoded" {
            return self
                .form_fields()
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
        }
        self.json_object()
    }

    fn form_fields(&self) -> BTreeMap<String, String> {
        assert_eq!(
            self.headers.get("content-type").unwrap(),
            "application/x-www-form-urlencoded"
        );
        let text = std::str::from_utf8(&self.body).unwrap();
        let pairs = text.split('&').filter(|p| !p.is_empty()).count();
        let form = self.form();
        assert_eq!(form.len(), pairs, "a repeated field in {text}");
        form
    }
}

/// `map` as sorted `(key, string value)` pairs, for exact comparisons.
pub fn strings(map: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    map.iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), v)
        })
        .collect()
}

/// Expected pairs, sorted like a `serde_json::Map`.
pub fn expect(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    v.sort();
    v
}
