//! The blocking Authentication API client (feature `blocking`) through its
//! public API, from plain threads with no async runtime of their own,
//! against the local tenant running on its own thread.

#![cfg(feature = "blocking")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use auth0_authentication::blocking::AuthenticationClient;
use auth0_authentication::{ClientAuthentication, PasswordLogin};
use auth0_core::Error;
use auth0_core::blocking::{BlockingError, Runtime};
use auth0_local::{LocalTenant, ThreadedTenant};

fn tenant() -> ThreadedTenant {
    LocalTenant::builder().start_threaded().unwrap()
}

fn web_client(tenant: &LocalTenant, runtime: &Runtime) -> AuthenticationClient {
    AuthenticationClient::with_runtime(tenant.authentication_client().unwrap(), runtime)
}

#[test]
fn grants_userinfo_and_revoke_from_several_threads_on_one_runtime() {
    let tenant = tenant();
    let runtime = Runtime::new().unwrap();
    let auth = web_client(&tenant, &runtime);

    // One client, cloned into threads that share its runtime thread.
    let audience = tenant.api_audience().to_owned();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let auth = auth.clone();
            let audience = audience.clone();
            std::thread::spawn(move || auth.client_credentials(&audience, None))
        })
        .collect();
    for thread in threads {
        let token = thread.join().unwrap().unwrap();
        assert_eq!(token.token_type, "Bearer");
        assert!(!token.access_token.is_empty());
    }

    let user = tenant.user();
    let tokens = auth
        .login(&PasswordLogin::new(&user.email, &user.password).scope("openid offline_access"))
        .unwrap();
    let me = auth.userinfo(&tokens.access_token).unwrap();
    assert_eq!(me.sub, user.user_id);
    let refresh = tokens.refresh_token.clone().expect("offline_access");
    let renewed = auth.refresh_token(&refresh, None).unwrap();
    assert!(!renewed.access_token.is_empty());
    auth.revoke_refresh_token(&refresh).unwrap();
    let err = auth.refresh_token(&refresh, None).unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_grant"), "{err:?}");
}

#[test]
fn error_answers_keep_their_types() {
    let tenant = tenant();
    let auth = AuthenticationClient::from_async(
        auth0_authentication::AuthenticationClient::builder(
            tenant.client().unwrap(),
            tenant.applications().web.client_id(),
        )
        .client_authentication(ClientAuthentication::ClientSecret("wrong".into()))
        .build()
        .unwrap(),
    )
    .unwrap();
    let err = auth
        .client_credentials(tenant.api_audience(), None)
        .unwrap_err();
    assert!(matches!(err, Error::Api(_)), "{err:?}");
    assert_eq!(err.status_code().map(|s| s.as_u16()), Some(401));
    assert!(!format!("{err:?}").contains("wrong"));
}

#[test]
fn a_call_inside_an_async_runtime_is_a_typed_error_and_sends_nothing() {
    let tenant = tenant();
    let auth = web_client(&tenant, &Runtime::new().unwrap());
    let before = tenant.requests().len();
    let outer = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let audience = tenant.api_audience().to_owned();
    let inner = auth.clone();
    let err = outer
        .block_on(async move { inner.client_credentials(&audience, None) })
        .unwrap_err();
    assert!(
        matches!(err, Error::Blocking(BlockingError::InsideAsyncRuntime)),
        "{err:?}"
    );
    assert_eq!(tenant.requests().len(), before);
    // The same client works again from a plain thread.
    auth.client_credentials(tenant.api_audience(), None)
        .unwrap();
}

#[test]
fn urls_need_no_runtime_call() {
    let tenant = tenant();
    let auth = web_client(&tenant, &Runtime::new().unwrap());
    let url = auth
        .authorize_url()
        .redirect_uri("http://localhost:3000/callback")
        .build()
        .unwrap();
    assert!(url.contains(auth.client_id()));
}
