//! The token-source seam (issue 14 point 1): a source of your own behind
//! the Management client's in-process cache — single flight, early
//! refresh, re-asked after a 401, refused credentials backed off — and the
//! Authentication API's client-credentials grant as such a source.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth0_authentication::ClientCredentials;
use auth0_authentication::token_source::{
    ClientCredentialsSource, IssuedToken, TokenRequest, from_fn,
};
use auth0_core::client::ClientBuilder;
use auth0_core::types::{BoxError, HttpRequest, HttpResponse};
use auth0_core::{Auth0Client, ClientConfig};
use auth0_jwt::clock::ManualClock;
use auth0_management::request::{ApiPath, ApiRequest};
use auth0_management::{Error, ManagementClient, ManagementService, TokenError};
use bytes::Bytes;

const T0: i64 = 1_800_000_000;

/// An in-memory tenant: `/oauth/token` issues `tok-N` for an hour, the API
/// answers 200 unless the bearer is listed in `revoked` (401). Records the
/// `Authorization` of every API call.
#[derive(Clone, Default)]
struct Tenant {
    issued: Arc<AtomicUsize>,
    revoked: Arc<Mutex<Vec<String>>>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Tenant {
    fn answer(&self, req: &HttpRequest) -> HttpResponse {
        let (status, body) = if req.uri().path() == "/oauth/token" {
            let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
            (
                200,
                format!(r#"{{"access_token":"tok-{n}","token_type":"Bearer","expires_in":3600}}"#),
            )
        } else {
            let auth = req.headers()["authorization"].to_str().unwrap().to_owned();
            let revoked = self
                .revoked
                .lock()
                .unwrap()
                .iter()
                .any(|t| auth.ends_with(t.as_str()));
            self.seen.lock().unwrap().push(auth);
            if revoked {
                (
                    401,
                    r#"{"statusCode":401,"error":"Unauthorized"}"#.to_owned(),
                )
            } else {
                (200, r#"{"user_id":"auth0|1"}"#.to_owned())
            }
        };
        http::Response::builder()
            .status(status)
            .body(Bytes::from(body))
            .unwrap()
    }

    fn http(&self) -> Auth0Client<impl ManagementService + use<>> {
        let t = self.clone();
        let transport = tower::service_fn(move |req: HttpRequest| {
            std::future::ready(Ok::<_, BoxError>(t.answer(&req)))
        });
        ClientBuilder::with_transport(ClientConfig::new("tenant.auth0.com").unwrap(), transport)
            .build()
            .unwrap()
    }

    fn last_bearer(&self) -> String {
        self.seen.lock().unwrap().last().unwrap().clone()
    }
}

async fn get_user<S: ManagementService>(auth0: &ManagementClient<S>) -> Result<(), Error> {
    auth0
        .execute::<serde_json::Value>(ApiRequest::get(ApiPath::new("users").segment("auth0|1")))
        .await
        .map(|_| ())
}

/// A closure source handing out `src-N`, valid `lifetime` seconds from the
/// clock, counting its calls and recording what it was asked for.
fn counting_source(
    clock: Arc<ManualClock>,
    lifetime: i64,
) -> (
    impl auth0_authentication::token_source::AccessTokenSource,
    Arc<AtomicUsize>,
    Arc<Mutex<Vec<TokenRequest>>>,
) {
    let calls = Arc::new(AtomicUsize::new(0));
    let asked = Arc::new(Mutex::new(Vec::new()));
    let (c, a) = (Arc::clone(&calls), Arc::clone(&asked));
    let source = from_fn(move |request: TokenRequest| {
        let n = c.fetch_add(1, Ordering::SeqCst) + 1;
        a.lock().unwrap().push(request);
        let expires_at = auth0_jwt::clock::Clock::now(&*clock) + lifetime;
        async move {
            // A slow source: callers pile up behind one request.
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok::<_, BoxError>(IssuedToken::new(format!("src-{n}"), expires_at))
        }
    });
    (source, calls, asked)
}

#[tokio::test(start_paused = true)]
async fn a_closure_source_behind_the_cache_single_flight_early_refresh_and_401() {
    let tenant = Tenant::default();
    let clock = Arc::new(ManualClock::new(T0));
    let (source, calls, asked) = counting_source(Arc::clone(&clock), 3600);
    let auth0 = ManagementClient::builder(tenant.http())
        .access_token_source("my-client", source)
        .clock(Arc::clone(&clock))
        .build()
        .unwrap();

    // 500 concurrent calls: one request to the source.
    let tasks: Vec<_> = (0..500)
        .map(|_| {
            let auth0 = auth0.clone();
            tokio::spawn(async move { get_user(&auth0).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(tenant.last_bearer(), "Bearer src-1");
    let request = asked.lock().unwrap()[0].clone();
    assert_eq!(request.client_id, "my-client");
    assert_eq!(request.issuer, "https://tenant.auth0.com/");
    assert_eq!(request.audience, "https://tenant.auth0.com/api/v2/");

    // Fresh until 60 s before expiry; then one caller renews early.
    clock.set(T0 + 3600 - 61);
    get_user(&auth0).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    clock.set(T0 + 3600 - 30);
    get_user(&auth0).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    get_user(&auth0).await.unwrap();
    assert_eq!(tenant.last_bearer(), "Bearer src-2");

    // A 401 from the API asks the source again, once.
    tenant.revoked.lock().unwrap().push("src-2".into());
    get_user(&auth0).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(tenant.last_bearer(), "Bearer src-3");
    assert_eq!(tenant.issued.load(Ordering::SeqCst), 0, "no built-in grant");
}

#[tokio::test(start_paused = true)]
async fn source_errors_are_typed_and_refusals_back_off() {
    let tenant = Tenant::default();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    // The source reports the token endpoint's refusal as auth0-core's error.
    let refusing = from_fn(move |_request: TokenRequest| {
        c.fetch_add(1, Ordering::SeqCst);
        async {
            let resp = http::Response::builder()
                .status(403)
                .body(Bytes::from_static(
                    br#"{"error":"access_denied","error_description":"Unauthorized"}"#,
                ))
                .unwrap();
            Err::<IssuedToken, _>(Box::new(auth0_core::Error::from_response(&resp)) as BoxError)
        }
    });
    let auth0 = ManagementClient::builder(tenant.http())
        .access_token_source("my-client", refusing)
        .build()
        .unwrap();
    for _ in 0..20 {
        let err = get_user(&auth0).await.unwrap_err();
        assert_eq!(err.auth0_error().unwrap().error_code, "access_denied");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    tokio::time::advance(Duration::from_secs(5)).await;
    get_user(&auth0).await.unwrap_err();
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // Any other failure is TokenError::Source, and not backed off.
    let failing = from_fn(|_request: TokenRequest| async {
        Err::<IssuedToken, BoxError>("the shared store is down".into())
    });
    let auth0 = ManagementClient::builder(tenant.http())
        .access_token_source("my-client", failing)
        .build()
        .unwrap();
    let err = get_user(&auth0).await.unwrap_err();
    let Error::Token(t) = &err else {
        panic!("{err:?}")
    };
    assert!(matches!(t.as_ref(), TokenError::Source(_)), "{t:?}");

    // An already expired token is refused, not sent.
    let stale = from_fn(|_request: TokenRequest| async {
        Ok::<_, BoxError>(IssuedToken::new("old", 1_000))
    });
    let auth0 = ManagementClient::builder(tenant.http())
        .access_token_source("my-client", stale)
        .build()
        .unwrap();
    let err = get_user(&auth0).await.unwrap_err();
    assert!(
        matches!(&err, Error::Token(t) if matches!(t.as_ref(), TokenError::InvalidResponse { .. })),
        "{err:?}"
    );
    assert!(tenant.seen.lock().unwrap().is_empty(), "nothing was sent");
}

#[tokio::test(start_paused = true)]
async fn the_client_credentials_grant_is_a_source() {
    let tenant = Tenant::default();
    let clock = Arc::new(ManualClock::new(T0));
    let credentials = ClientCredentials::client_secret("m2m", "secret-value")
        .with_clock(Arc::clone(&clock) as Arc<dyn auth0_jwt::clock::Clock>);
    let source = ClientCredentialsSource::new(tenant.http(), credentials);
    let auth0 = ManagementClient::builder(tenant.http())
        .access_token_source("m2m", source)
        .clock(Arc::clone(&clock))
        .build()
        .unwrap();
    for _ in 0..3 {
        get_user(&auth0).await.unwrap();
    }
    assert_eq!(tenant.issued.load(Ordering::SeqCst), 1);
    assert_eq!(tenant.last_bearer(), "Bearer tok-1");
    // Expiry is counted from the grant's start by the injected clock.
    clock.set(T0 + 3600 - 30);
    get_user(&auth0).await.unwrap();
    assert_eq!(tenant.issued.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn an_authentication_clients_grant_is_a_source() {
    let tenant = Tenant::default();
    let auth = auth0_authentication::AuthenticationClient::builder(tenant.http(), "m2m")
        .client_secret("secret-value")
        .build()
        .unwrap();
    let auth0 = ManagementClient::builder(tenant.http())
        .access_token_source("m2m", auth.token_source())
        .build()
        .unwrap();
    for _ in 0..3 {
        get_user(&auth0).await.unwrap();
    }
    assert_eq!(tenant.issued.load(Ordering::SeqCst), 1);
    assert_eq!(tenant.last_bearer(), "Bearer tok-1");
}
