//! The Management API token: fetched once, reused, refreshed, single-flight,
//! re-fetched after a 401.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use auth0_jwt::clock::ManualClock;
use auth0_jwt::jws::{Jws, ParseOptions};
use auth0_jwt::sign::SigningKey;
use auth0_management::{ClientCredentials, Error, ManagementClient, TokenError};
use http::Method;

use crate::support::{Server, T0};

/// A request the stubs answer: `GET /users/{id}?fields=fields&include_fields=true`.
async fn get_user(auth0: &ManagementClient) -> Result<(), Error> {
    auth0
        .users()
        .get(
            "id",
            &auth0_management::api::UsersGetParams::new()
                .fields("fields")
                .include_fields(true),
        )
        .await
        .map(|_| ())
}

#[tokio::test]
async fn token_is_fetched_once_and_reused() {
    let server = Server::start(&["/users"]).await;
    let (auth0, _clock) = server.client();
    assert_eq!(server.token_count(), 0, "the token is fetched lazily");
    for _ in 0..3 {
        get_user(&auth0).await.unwrap();
    }
    assert_eq!(server.token_count(), 1);

    let token_request = server.token_requests()[0].clone();
    assert_eq!(token_request.method, Method::POST);
    let form = token_request.form();
    assert_eq!(form["grant_type"], ["client_credentials"]);
    assert_eq!(form["client_id"], ["test-client"]);
    assert_eq!(form["client_secret"], ["test-secret"]);
    assert_eq!(form["audience"], [format!("{}/api/v2/", server.base_url())]);
    assert!(
        server
            .api_requests()
            .iter()
            .all(|r| r.authorization.as_deref() == Some("Bearer tok-1"))
    );
}

#[tokio::test]
async fn token_is_refreshed_before_and_after_expiry() {
    let server = Server::start(&["/users"]).await;
    server.state.lifetime.store(3600, Ordering::SeqCst);
    let (auth0, clock) = server.client();
    get_user(&auth0).await.unwrap();
    assert_eq!(server.token_count(), 1);

    // Still fresh one second before the refresh window (60 s before expiry).
    clock.set(T0 + 3600 - 61);
    get_user(&auth0).await.unwrap();
    assert_eq!(server.token_count(), 1);

    // Inside the window: renewed ahead of expiry.
    clock.set(T0 + 3600 - 30);
    get_user(&auth0).await.unwrap();
    assert_eq!(server.token_count(), 2);
    assert_eq!(
        server
            .api_requests()
            .last()
            .unwrap()
            .authorization
            .as_deref(),
        Some("Bearer tok-2")
    );

    // Long after expiry of the second token: fetched again before the call.
    clock.set(T0 + 3 * 3600);
    get_user(&auth0).await.unwrap();
    assert_eq!(server.token_count(), 3);
    assert_eq!(
        server
            .api_requests()
            .last()
            .unwrap()
            .authorization
            .as_deref(),
        Some("Bearer tok-3")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_calls_fetch_one_token() {
    let server = Server::start(&["/users"]).await;
    // Hold the token answer so every call is waiting for it.
    server.state.token_delay_ms.store(200, Ordering::SeqCst);
    let (auth0, _clock) = server.client();
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let auth0 = auth0.clone();
            tokio::spawn(async move { get_user(&auth0).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(server.token_count(), 1);
    assert_eq!(server.api_requests().len(), 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_waiting_on_a_failed_fetch_share_its_error() {
    let server = Server::start(&["/users"]).await;
    server.state.token_delay_ms.store(100, Ordering::SeqCst);
    server.state.token_failures.store(1, Ordering::SeqCst);
    let (auth0, _clock) = server.client();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let auth0 = auth0.clone();
            tokio::spawn(async move { get_user(&auth0).await })
        })
        .collect();
    for task in tasks {
        let err = task.await.unwrap().unwrap_err();
        assert!(matches!(err, Error::Token(_)), "{err:?}");
        assert_eq!(err.status_code().map(|s| s.as_u16()), Some(401));
        assert_eq!(err.auth0_error().unwrap().error_code, "access_denied");
    }
    assert_eq!(server.token_count(), 1);
    // The credentials were refused: a later call within the backoff gets
    // the same typed error without asking again (`negative_cache.rs` shows
    // the backoff elapsing under tokio's paused clock).
    let err = get_user(&auth0).await.unwrap_err();
    assert_eq!(err.auth0_error().unwrap().error_code, "access_denied");
    assert_eq!(server.token_count(), 1);
    assert!(server.api_requests().is_empty());
}

#[tokio::test]
async fn a_401_refetches_the_token_once_then_succeeds() {
    let server = Server::start(&["/users"]).await;
    let (auth0, _clock) = server.client();
    get_user(&auth0).await.unwrap();
    server.revoke_all();
    get_user(&auth0).await.unwrap();
    assert_eq!(server.token_count(), 2);
    let auths: Vec<_> = server
        .api_requests()
        .iter()
        .map(|r| r.authorization.clone().unwrap())
        .collect();
    assert_eq!(auths, ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]);
}

#[tokio::test]
async fn a_second_401_is_returned_not_looped() {
    let server = Server::start(&["/users"]).await;
    server.answer(|r| {
        r.path.starts_with("/api/v2/users").then(|| {
            (
                401,
                r#"{"statusCode":401,"error":"Unauthorized","message":"Bad audience"}"#.to_owned(),
            )
        })
    });
    let (auth0, _clock) = server.client();
    let err = get_user(&auth0).await.unwrap_err();
    assert_eq!(err.status_code().map(|s| s.as_u16()), Some(401));
    assert_eq!(server.token_count(), 2);
    assert_eq!(server.api_requests().len(), 2);
}

#[tokio::test]
async fn a_static_token_is_sent_and_never_refreshed() {
    let server = Server::start(&["/users"]).await;
    let auth0 = ManagementClient::builder(server.http())
        .token("static-token")
        .build()
        .unwrap();
    get_user(&auth0).await.unwrap();
    server.revoke_all();
    server.state.valid_tokens.lock().unwrap().clear();
    let err = get_user(&auth0).await.unwrap_err();
    assert_eq!(err.status_code().map(|s| s.as_u16()), Some(401));
    assert_eq!(server.token_count(), 0);
    assert_eq!(server.api_requests().len(), 2);
}

#[tokio::test]
async fn private_key_jwt_sends_a_signed_assertion() {
    let server = Server::start(&["/users"]).await;
    let key = SigningKey::generate_es256().unwrap();
    let verifying = key.verifying_key().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let auth0 = ManagementClient::builder(server.http())
        .client_credentials(ClientCredentials::private_key_jwt("pkjwt-client", key))
        .clock(Arc::clone(&clock))
        .build()
        .unwrap();
    get_user(&auth0).await.unwrap();
    let form = server.token_requests()[0].form();
    assert!(!form.contains_key("client_secret"));
    assert_eq!(
        form["client_assertion_type"],
        ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]
    );
    let assertion = &form["client_assertion"][0];
    let jws = Jws::parse(assertion, &ParseOptions::default()).unwrap();
    verifying
        .verify(
            auth0_jwt::alg::Algorithm::ES256,
            jws.signing_input(),
            jws.signature(),
        )
        .unwrap();
    let claims = jws.claims();
    assert_eq!(claims["iss"], "pkjwt-client");
    assert_eq!(claims["sub"], "pkjwt-client");
    assert_eq!(claims["aud"], format!("{}/", server.base_url()));
    assert_eq!(claims["iat"], T0);
}

#[tokio::test]
async fn unusable_token_responses_are_typed_errors() {
    let server = Server::start(&["/users"]).await;
    server.state.lifetime.store(0, Ordering::SeqCst);
    let (auth0, _clock) = server.client();
    let err = get_user(&auth0).await.unwrap_err();
    match &err {
        Error::Token(inner) => {
            assert!(
                matches!(inner.as_ref(), TokenError::InvalidResponse { .. }),
                "{inner:?}"
            )
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(server.api_requests().is_empty());
}

#[tokio::test]
async fn secrets_and_tokens_are_redacted_in_debug() {
    let server = Server::start(&["/users"]).await;
    let (auth0, _clock) = server.client();
    get_user(&auth0).await.unwrap();
    let shown = format!(
        "{auth0:?} {:?} {:?}",
        ClientCredentials::new("id", "test-secret"),
        auth0_management::TokenSource::Static("static-token".into())
    );
    assert!(!shown.contains("test-secret"), "{shown}");
    assert!(!shown.contains("tok-1"), "{shown}");
    assert!(!shown.contains("static-token"), "{shown}");
    let builder = ManagementClient::builder(server.http()).token("static-token");
    assert!(!format!("{builder:?}").contains("static-token"));

    let body = auth0_management::models::CreateUserRequestContent::new("db").password("hunter2");
    assert!(!format!("{body:?}").contains("hunter2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn early_refresh_is_single_flight_and_never_blocks_on_failure() {
    let server = Server::start(&["/users"]).await;
    server.state.lifetime.store(3600, Ordering::SeqCst);
    let (auth0, clock) = server.client();
    get_user(&auth0).await.unwrap();

    // In the refresh window, the renewal is refused: the old token is still
    // good, and the refusal is remembered.
    server.state.token_failures.store(1, Ordering::SeqCst);
    clock.set(T0 + 3600 - 10);
    get_user(&auth0).await.unwrap();
    assert_eq!(server.token_count(), 2);
    let last_auth = || {
        server
            .api_requests()
            .last()
            .unwrap()
            .authorization
            .clone()
            .unwrap()
    };
    assert_eq!(last_auth(), "Bearer tok-1");

    // Many callers while the refusal backs off: nobody fails, nobody asks.
    let run = |auth0: &ManagementClient| {
        let tasks: Vec<_> = (0..200)
            .map(|_| {
                let auth0 = auth0.clone();
                tokio::spawn(async move { get_user(&auth0).await })
            })
            .collect();
        async move {
            for task in tasks {
                task.await.unwrap().unwrap();
            }
        }
    };
    run(&auth0).await;
    assert_eq!(server.token_count(), 2);
    assert_eq!(last_auth(), "Bearer tok-1");

    // Another client in its refresh window: many callers, one renewal.
    let (auth0, clock) = server.client();
    get_user(&auth0).await.unwrap();
    assert_eq!(server.token_count(), 3);
    server.state.token_delay_ms.store(100, Ordering::SeqCst);
    clock.set(T0 + 3600 - 10);
    run(&auth0).await;
    assert_eq!(server.token_count(), 4);
    get_user(&auth0).await.unwrap();
    assert_eq!(last_auth(), "Bearer tok-3");
}

#[test]
fn clients_pagers_and_their_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    fn assert_sync<T: Sync>() {}
    assert_sync::<ManagementClient>();
    let http =
        auth0_core::Auth0Client::new(auth0_core::ClientConfig::new("tenant.auth0.com").unwrap())
            .unwrap();
    let auth0 = ManagementClient::builder(http).token("t").build().unwrap();
    let mut pager = auth0
        .users()
        .list_pager(auth0_management::api::UsersListParams::new());
    assert_send(&pager);
    assert_send(&pager.next_page());
    assert_send(&auth0.connections().all());
}
