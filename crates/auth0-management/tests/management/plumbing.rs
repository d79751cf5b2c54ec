//! Request plumbing: retries by method, path-segment encoding, errors.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth0_management::Error;
use auth0_management::api::UsersGetParams;
use auth0_management::models::{CreateUserRequestContent, UpdateUserRequestContent};
use auth0_management::request::{ApiPath, ApiRequest};
use http::Method;

use crate::support::Server;

fn busy() -> (u16, String) {
    (
        503,
        r#"{"statusCode":503,"error":"Service Unavailable","message":"busy"}"#.to_owned(),
    )
}

#[tokio::test]
async fn post_and_patch_503_are_not_retried() {
    let server = Server::start(&["/users"]).await;
    server.answer(|r| (r.method == Method::POST || r.method == Method::PATCH).then(busy));
    let (auth0, _clock) = server.client();

    let err = auth0
        .users()
        .create(&CreateUserRequestContent::new("db").email("a@example.com"))
        .await
        .unwrap_err();
    assert_eq!(err.status_code().map(|s| s.as_u16()), Some(503));
    assert!(
        !err.is_retryable_for(&http::Method::POST),
        "a create may have happened"
    );
    assert_eq!(
        err.retry_advice(&http::Method::POST),
        auth0_core::error::RetryAdvice::UnsafeToRepeat
    );
    assert_eq!(
        server.api_requests().len(),
        1,
        "a create is never duplicated"
    );

    let err = auth0
        .users()
        .update("id", &UpdateUserRequestContent::new().blocked(true))
        .await
        .unwrap_err();
    assert_eq!(err.status_code().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.api_requests().len(), 2);
}

#[tokio::test]
async fn get_and_delete_503_are_retried() {
    let server = Server::start(&["/users"]).await;
    let failures = Arc::new(AtomicUsize::new(0));
    let f = Arc::clone(&failures);
    // The first two GETs and the first DELETE fail; then the stubs answer.
    server.answer(move |r| {
        let n = f.fetch_add(1, Ordering::SeqCst);
        let fail = match r.method {
            Method::GET => n < 2,
            Method::DELETE => n == 3,
            _ => false,
        };
        fail.then(busy)
    });
    let (auth0, _clock) = server.client();
    let user = auth0
        .users()
        .get(
            "id",
            &UsersGetParams::new().fields("fields").include_fields(true),
        )
        .await
        .unwrap();
    assert_eq!(user.user_id.as_deref(), Some("user_id"));
    assert_eq!(server.api_requests().len(), 3);

    auth0.users().delete("id").await.unwrap();
    assert_eq!(server.api_requests().len(), 5);
    assert_eq!(server.token_count(), 1);
}

#[tokio::test]
async fn path_segments_are_percent_encoded() {
    let server = Server::start(&["/users"]).await;
    server.answer(|r| {
        (r.path == "/api/v2/users/auth0%7C123")
            .then(|| (200, r#"{"user_id":"auth0|123"}"#.to_owned()))
    });
    server.answer(|r| {
        (r.path == "/api/v2/users/a%2Fb%20c%3Fd")
            .then(|| (200, r#"{"user_id":"a/b c?d"}"#.to_owned()))
    });
    let (auth0, _clock) = server.client();
    let user = auth0
        .users()
        .get("auth0|123", &UsersGetParams::new())
        .await
        .unwrap();
    assert_eq!(user.user_id.as_deref(), Some("auth0|123"));
    let user = auth0
        .users()
        .get("a/b c?d", &UsersGetParams::new())
        .await
        .unwrap();
    assert_eq!(user.user_id.as_deref(), Some("a/b c?d"));

    // An empty id would address `/users` (the list): refused before sending.
    let err = auth0.users().delete("").await.unwrap_err();
    assert!(matches!(err, Error::InvalidPath { .. }), "{err:?}");
    assert_eq!(server.api_requests().len(), 2);
}

#[tokio::test]
async fn api_errors_keep_auth0_details() {
    let server = Server::start(&["/users"]).await;
    server.answer(|r| {
        r.path.ends_with("/missing").then(|| {
            (
                404,
                r#"{"statusCode":404,"error":"Not Found","message":"The user does not exist.","errorCode":"inexistent_user"}"#
                    .to_owned(),
            )
        })
    });
    let (auth0, _clock) = server.client();
    let err = auth0
        .users()
        .get("missing", &UsersGetParams::new())
        .await
        .unwrap_err();
    assert_eq!(err.status_code().map(|s| s.as_u16()), Some(404));
    let api = err.auth0_error().unwrap();
    assert_eq!(api.error_code, "inexistent_user");
    assert_eq!(api.message, "The user does not exist.");
    assert!(!err.is_retryable_for(&http::Method::GET));
}

#[tokio::test]
async fn execute_reaches_operations_without_a_wrapper() {
    let server = Server::start(&["/users"]).await;
    let (auth0, _clock) = server.client();
    // `GET /users/{id}/roles` from the stubs, through the generic call.
    let mut request = ApiRequest::get(ApiPath::new("users").segment("id").segment("roles"));
    request
        .query_mut()
        .push("per_page", 1)
        .push("page", 1)
        .push("include_totals", true);
    let page = auth0.execute::<serde_json::Value>(request).await.unwrap();
    assert_eq!(page.data["roles"][0]["name"], "name");
    assert_eq!(page.status, http::StatusCode::OK);
}
