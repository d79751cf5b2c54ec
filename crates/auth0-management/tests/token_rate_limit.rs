//! The Management token when `/oauth/token` is rate limited, through the
//! public API against the local tenant (`auth0-local`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{SystemTime, UNIX_EPOCH};

use auth0_core::error::RetryAdvice;
use auth0_local::{Fault, LocalTenant};
use auth0_management::{Error, TokenError};

/// A `429` from the token endpoint whose reset is a minute away (beyond
/// the retry layer's longest wait, so it comes back at once).
fn token_rate_limited(reset_at: u64) -> Fault {
    Fault::reply(
        429,
        serde_json::json!({
            "error": "too_many_requests",
            "error_description": "Global limit has been reached",
        }),
    )
    .with_header("x-ratelimit-limit", "30")
    .with_header("x-ratelimit-remaining", "0")
    .with_header("x-ratelimit-reset", reset_at.to_string())
    .on_path("/oauth/token")
    .forever()
}

/// While the token endpoint says to wait, calls that need a token get the
/// rate-limit error without asking again: a busy service must not send
/// every API call to `/oauth/token` during the limit (which keeps the
/// limit spent), as it does not for refused credentials.
#[tokio::test]
async fn a_rate_limited_token_endpoint_is_not_asked_again_before_its_reset() {
    let tenant = LocalTenant::builder().start().await.unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let reset_at = now + 60;
    tenant.inject(token_rate_limited(reset_at));
    let auth0 = tenant.management_client().unwrap();

    for _ in 0..5 {
        let err = auth0.stats().get_active_users_count().await.unwrap_err();
        let Error::Token(token) = &err else {
            panic!("expected a token error, got {err:?}");
        };
        assert!(
            matches!(
                token.as_ref(),
                TokenError::Http(auth0_core::Error::RateLimited(_))
            ),
            "{token:?}"
        );
        assert!(
            matches!(err.retry_advice(&http::Method::GET), RetryAdvice::RetryAt { reset_at: r } if r == i64::try_from(reset_at).unwrap()),
            "{:?}",
            err.retry_advice(&http::Method::GET)
        );
    }
    assert_eq!(
        tenant.requests_to("/oauth/token").len(),
        1,
        "one token request until the limit resets"
    );
    assert!(tenant.requests_to("/api/v2/stats/active-users").is_empty());
}
