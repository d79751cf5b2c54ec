//! The Authentication API client against `auth0_local::LocalTenant`, the way
//! users call it: PKCE with client authentication, `client_secret_basic`,
//! DPoP-bound tokens, the device authorization grant, logout URLs,
//! invitation links, revocation hints and typed token exchange.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use auth0_authentication::{
    AuthenticationClient, AuthorizeUrl, BackChannelLoginError, ClientAuthentication,
    DeviceCodeRequest, DeviceFlowError, DpopKey, PasswordLogin, Pkce,
};
use auth0_core::retry::RetryPolicy;
use auth0_jwt::jws::{Jws, ParseOptions};
use auth0_local::LocalTenant;
use http::Method;

const CALLBACK: &str = "http://localhost:3000/callback";

async fn tenant() -> LocalTenant {
    LocalTenant::builder().start().await.unwrap()
}

/// An HTTP client for the tenant that never retries, so each answer is seen
/// as the tenant sent it.
fn core(tenant: &LocalTenant) -> auth0_core::Auth0Client {
    let config = tenant
        .client_config()
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    auth0_core::Auth0Client::new(config).unwrap()
}

fn client(
    tenant: &LocalTenant,
    client_id: &str,
    auth: ClientAuthentication,
) -> AuthenticationClient {
    AuthenticationClient::builder(core(tenant), client_id)
        .client_authentication(auth)
        .build()
        .unwrap()
}

fn web_secret(tenant: &LocalTenant) -> String {
    tenant
        .applications()
        .web
        .client_secret()
        .unwrap()
        .to_owned()
}

fn claims(token: &str) -> serde_json::Map<String, serde_json::Value> {
    Jws::parse(token, &ParseOptions::default())
        .unwrap()
        .claims()
        .clone()
}

/// Logs in through `/authorize` with PKCE and returns the code.
async fn pkce_code(tenant: &LocalTenant, client_id: &str, pkce: &Pkce) -> String {
    let http = tenant.client().unwrap();
    let url = AuthorizeUrl::new(http.domain(), client_id)
        .redirect_uri(CALLBACK)
        .scope("openid profile offline_access")
        .pkce(pkce)
        .build()
        .unwrap();
    let back = tenant.follow_authorize(&http, &url).await.unwrap();
    back["code"].clone()
}

// ------------------------------------------------------------------- a. PKCE

#[tokio::test]
async fn pkce_code_exchange_authenticates_a_confidential_client() {
    let tenant = tenant().await;
    let web = tenant.applications().web.client_id().to_owned();
    let pkce = Pkce::generate().unwrap();

    // With its secret (client_secret_post) the exchange succeeds.
    let code = pkce_code(&tenant, &web, &pkce).await;
    let auth = client(
        &tenant,
        &web,
        ClientAuthentication::ClientSecret(web_secret(&tenant)),
    );
    let tokens = auth
        .authorization_code_pkce(pkce.verifier(), &code, Some(CALLBACK))
        .await
        .unwrap();
    assert!(tokens.id_token.is_some());

    // With client_secret_basic too.
    let code = pkce_code(&tenant, &web, &pkce).await;
    let basic = client(
        &tenant,
        &web,
        ClientAuthentication::ClientSecretBasic(web_secret(&tenant)),
    );
    basic
        .authorization_code_pkce(pkce.verifier(), &code, Some(CALLBACK))
        .await
        .unwrap();

    // The same regular web app without its credential is refused, as Auth0
    // refuses it: PKCE does not make a confidential client public.
    let code = pkce_code(&tenant, &web, &pkce).await;
    let anonymous = client(&tenant, &web, ClientAuthentication::None);
    let err = anonymous
        .authorization_code_pkce(pkce.verifier(), &code, Some(CALLBACK))
        .await
        .unwrap_err();
    assert_eq!(err.status_code().map(|s| s.as_u16()), Some(401));
    assert_eq!(err.error_code(), Some("access_denied"));
}

#[tokio::test]
async fn pkce_code_exchange_of_a_public_client_needs_no_credential() {
    let tenant = tenant().await;
    let native = tenant.applications().native.client_id().to_owned();
    let pkce = Pkce::generate().unwrap();
    let code = pkce_code(&tenant, &native, &pkce).await;
    let auth = client(&tenant, &native, ClientAuthentication::None);
    let tokens = auth
        .authorization_code_pkce(pkce.verifier(), &code, Some(CALLBACK))
        .await
        .unwrap();
    assert_eq!(claims(&tokens.access_token)["azp"], native.as_str());
    // A public client's refresh works without a credential too.
    auth.refresh_token(tokens.refresh_token.as_deref().unwrap(), None)
        .await
        .unwrap();
}

// ------------------------------------------------------ c. client_secret_basic

#[tokio::test]
async fn client_secret_basic_authenticates_and_a_wrong_secret_is_refused() {
    let tenant = tenant().await;
    let machine = &tenant.applications().machine;
    let auth = client(
        &tenant,
        machine.client_id(),
        ClientAuthentication::ClientSecretBasic(machine.client_secret().unwrap().to_owned()),
    );
    let token = auth
        .client_credentials(tenant.api_audience(), None)
        .await
        .unwrap();
    assert_eq!(
        claims(&token.access_token)["sub"],
        format!("{}@clients", machine.client_id())
    );

    let wrong = client(
        &tenant,
        machine.client_id(),
        ClientAuthentication::ClientSecretBasic("not-the-secret".to_owned()),
    );
    let err = wrong
        .client_credentials(tenant.api_audience(), None)
        .await
        .unwrap_err();
    assert_eq!(err.status_code().map(|s| s.as_u16()), Some(401));
    assert!(!err.to_string().contains("not-the-secret"));
}

// ---------------------------------------------------------------------- j. DPoP

fn dpop_client(tenant: &LocalTenant, key: DpopKey) -> AuthenticationClient {
    let web = &tenant.applications().web;
    AuthenticationClient::builder(core(tenant), web.client_id())
        .client_secret(web.client_secret().unwrap())
        .dpop(key)
        .build()
        .unwrap()
}

#[tokio::test]
async fn dpop_bound_tokens_and_userinfo() {
    let tenant = tenant().await;
    let key = DpopKey::generate().unwrap();
    let jkt = key.thumbprint().to_owned();
    let auth = dpop_client(&tenant, key);
    let user = tenant.user();

    let tokens = auth
        .login(&PasswordLogin::new(&user.email, &user.password).scope("openid profile"))
        .await
        .unwrap();
    assert!(tokens.is_dpop(), "token_type {}", tokens.token_type);
    assert_eq!(claims(&tokens.access_token)["cnf"]["jkt"], jkt.as_str());

    // /userinfo with `Authorization: DPoP` and a proof hashing the token.
    let me = auth.userinfo(&tokens.access_token).await.unwrap();
    assert_eq!(me.sub, user.user_id);

    // The bound token sent as Bearer is refused (RFC 9449 §7.2).
    let bearer = client(
        &tenant,
        tenant.applications().web.client_id(),
        ClientAuthentication::None,
    );
    let err = bearer.userinfo(&tokens.access_token).await.unwrap_err();
    assert_eq!(err.status_code().map(|s| s.as_u16()), Some(401));

    // Another key cannot use it: its proofs name the wrong thumbprint.
    let thief = dpop_client(&tenant, DpopKey::generate().unwrap());
    let err = thief.userinfo(&tokens.access_token).await.unwrap_err();
    assert_eq!(err.status_code().map(|s| s.as_u16()), Some(401));

    // Client credentials are bound as well.
    let m2m = auth
        .client_credentials(tenant.api_audience(), None)
        .await
        .unwrap();
    assert!(m2m.is_dpop());
    assert_eq!(claims(&m2m.access_token)["cnf"]["jkt"], jkt.as_str());
}

#[tokio::test]
async fn dpop_nonce_is_fetched_and_retried_once() {
    let tenant = tenant().await;
    tenant.require_dpop_nonce(true);
    let auth = dpop_client(&tenant, DpopKey::generate().unwrap());
    let user = tenant.user();
    // The first proof has no nonce: the tenant answers use_dpop_nonce with
    // a DPoP-Nonce, the client signs a new proof with it and succeeds.
    let tokens = auth
        .login(&PasswordLogin::new(&user.email, &user.password).scope("openid"))
        .await
        .unwrap();
    assert!(tokens.is_dpop());
    // The resource side (userinfo) asks the same way.
    auth.userinfo(&tokens.access_token).await.unwrap();

    // A hand-made proof without the nonce is refused with the challenge.
    let key = auth.dpop_key().unwrap();
    let proof = key
        .proof(&Method::GET, &format!("{}userinfo", tenant.issuer()))
        .access_token(&tokens.access_token)
        .sign()
        .unwrap();
    let request = http::Request::get("/userinfo")
        .header("authorization", format!("DPoP {}", tokens.access_token))
        .header("dpop", proof)
        .body(bytes::Bytes::new())
        .unwrap();
    let response = core(&tenant).send(request).await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("dpop-nonce"));
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("use_dpop_nonce"), "{challenge}");
}

#[tokio::test]
async fn dpop_refresh_token_of_a_public_client_is_bound_to_its_key() {
    let tenant = tenant().await;
    let native = tenant.applications().native.client_id().to_owned();
    let auth = AuthenticationClient::builder(core(&tenant), &native)
        .dpop(DpopKey::generate().unwrap())
        .build()
        .unwrap();
    let pkce = Pkce::generate().unwrap();
    let code = pkce_code(&tenant, &native, &pkce).await;
    let tokens = auth
        .authorization_code_pkce(pkce.verifier(), &code, Some(CALLBACK))
        .await
        .unwrap();
    assert!(tokens.is_dpop());
    let refresh = tokens.refresh_token.unwrap();
    // Without the key (no proof) the refresh token is refused …
    let plain = client(&tenant, &native, ClientAuthentication::None);
    let err = plain.refresh_token(&refresh, None).await.unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_grant"));
    // … with it, it works.
    let fresh = auth.refresh_token(&refresh, None).await.unwrap();
    assert!(fresh.is_dpop());
}

// ------------------------------------------------------------------- b. device

#[tokio::test]
async fn device_flow_approved_denied_expired() {
    let tenant = tenant().await;
    let native = tenant.applications().native.client_id().to_owned();
    let auth = client(&tenant, &native, ClientAuthentication::None);
    let request = DeviceCodeRequest::new().scope("openid offline_access");

    // Approved: the poller's first poll gets the tokens.
    let device = auth.device_authorization(&request).await.unwrap();
    assert_eq!(device.user_code.len(), 9);
    assert!(device.verification_uri.ends_with("/activate"));
    assert!(
        device
            .verification_uri_complete
            .as_deref()
            .unwrap()
            .contains(&device.user_code)
    );
    assert_eq!(device.interval, 5);
    let pending = auth.device_token(&device.device_code).await.unwrap_err();
    assert_eq!(pending.error_code(), Some("authorization_pending"));
    assert!(tenant.approve_device_code(&device.user_code));
    let tokens = auth.poll_device_token(&device, None).await.unwrap();
    assert_eq!(
        claims(&tokens.access_token)["sub"],
        tenant.user().user_id.as_str()
    );
    assert!(tokens.refresh_token.is_some());
    // A device code is exchanged once.
    let again = auth.device_token(&device.device_code).await.unwrap_err();
    assert_eq!(again.error_code(), Some("invalid_grant"));

    // Denied.
    let device = auth.device_authorization(&request).await.unwrap();
    assert!(tenant.deny_device_code(&device.user_code));
    let err = auth.poll_device_token(&device, None).await.unwrap_err();
    assert!(matches!(err, DeviceFlowError::Denied), "{err:?}");

    // Expired.
    let device = auth.device_authorization(&request).await.unwrap();
    assert!(tenant.expire_device_code(&device.user_code));
    let err = auth.poll_device_token(&device, None).await.unwrap_err();
    assert!(matches!(err, DeviceFlowError::Expired), "{err:?}");

    // Polling again within the interval is answered slow_down (a 429).
    let device = auth.device_authorization(&request).await.unwrap();
    let first = auth.device_token(&device.device_code).await.unwrap_err();
    assert_eq!(first.error_code(), Some("authorization_pending"));
    let second = auth.device_token(&device.device_code).await.unwrap_err();
    assert_eq!(second.error_code(), Some("slow_down"));
    assert_eq!(second.status_code().map(|s| s.as_u16()), Some(429));
}

/// The poll's `slow_down` is not absorbed by the stack's rate-limit retry
/// (which would poll again after its own short backoff, too fast again):
/// the caller sees it after one attempt, on the default retry policy.
#[tokio::test]
async fn device_poll_sees_slow_down_through_the_default_retry_policy() {
    let tenant = tenant().await;
    let native = tenant.applications().native.client_id().to_owned();
    // The default stack: 429s are retried for every other request.
    let core = auth0_core::Auth0Client::new(tenant.client_config().build().unwrap()).unwrap();
    let auth = AuthenticationClient::builder(core, native).build().unwrap();
    let device = auth
        .device_authorization(&DeviceCodeRequest::new())
        .await
        .unwrap();
    tenant.take_requests();
    let first = auth.device_token(&device.device_code).await.unwrap_err();
    assert_eq!(first.error_code(), Some("authorization_pending"));
    let second = auth.device_token(&device.device_code).await.unwrap_err();
    assert_eq!(second.error_code(), Some("slow_down"));
    match &second {
        auth0_core::Error::RateLimited(limit) => assert_eq!(limit.attempts, Some(1)),
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert_eq!(tenant.requests_to("/oauth/token").len(), 2);
}

/// RFC 8628 §3.5: after `slow_down` (Auth0's 429, or the RFC's 400) the
/// poller adds 5 s to its interval: with an interval of 1 s and a 3 s
/// deadline, the next poll (6 s away) is past the deadline, so polling
/// ends after the one answer instead of polling on every second.
#[tokio::test]
async fn device_poller_adds_five_seconds_after_slow_down() {
    let tenant = tenant().await;
    let native = tenant.applications().native.client_id().to_owned();
    let core = auth0_core::Auth0Client::new(tenant.client_config().build().unwrap()).unwrap();
    let auth = AuthenticationClient::builder(core, native).build().unwrap();
    for status in [429, 400] {
        let mut device = auth
            .device_authorization(&DeviceCodeRequest::new())
            .await
            .unwrap();
        device.interval = 1;
        tenant.inject(
            auth0_local::Fault::reply(
                status,
                serde_json::json!({
                    "error": "slow_down",
                    "error_description": "You are polling faster than the specified interval of 1 seconds."
                }),
            )
            .on_path("/oauth/token"),
        );
        tenant.take_requests();
        let started = std::time::Instant::now();
        let err = auth
            .poll_device_token(&device, Some(std::time::Duration::from_secs(3)))
            .await
            .unwrap_err();
        assert!(
            matches!(err, DeviceFlowError::DeadlineExceeded { .. }),
            "{status}: {err:?}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{status}: the poller kept polling at 1 s"
        );
        assert_eq!(tenant.requests_to("/oauth/token").len(), 1, "{status}");
    }
}

#[tokio::test]
async fn device_flow_needs_the_grant_and_a_deadline_stops_polling() {
    let tenant = tenant().await;
    // The regular web app is not allowed the device code grant.
    let web = &tenant.applications().web;
    let auth = client(
        &tenant,
        web.client_id(),
        ClientAuthentication::ClientSecret(web_secret(&tenant)),
    );
    let err = auth
        .device_authorization(&DeviceCodeRequest::new())
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("unauthorized_client"));

    // A deadline shorter than the interval ends polling after one answer.
    let native = client(
        &tenant,
        tenant.applications().native.client_id(),
        ClientAuthentication::None,
    );
    let device = native
        .device_authorization(&DeviceCodeRequest::new())
        .await
        .unwrap();
    let err = native
        .poll_device_token(&device, Some(std::time::Duration::from_secs(1)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, DeviceFlowError::DeadlineExceeded { .. }),
        "{err:?}"
    );
}

// ------------------------------------------------------------ b2. CIBA poll

fn ciba_hint(tenant: &LocalTenant) -> String {
    serde_json::json!({
        "format": "iss_sub",
        "iss": tenant.issuer(),
        "sub": tenant.user().user_id,
    })
    .to_string()
}

fn oauth_error(status: u16, code: &str) -> auth0_local::Fault {
    auth0_local::Fault::reply(
        status,
        serde_json::json!({ "error": code, "error_description": code }),
    )
    .on_path("/oauth/token")
}

/// CIBA's poll mode (CIBA Core §7.3, §11) as Auth0 answers it: pending
/// answers are waited out at the interval, `access_denied` and
/// `expired_token` end polling with typed errors, and the request's
/// `expires_in` bounds the wait.
#[tokio::test]
async fn ciba_poller_approved_denied_expired() {
    let tenant = tenant().await;
    let web = &tenant.applications().web;
    let auth = client(
        &tenant,
        web.client_id(),
        ClientAuthentication::ClientSecret(web_secret(&tenant)),
    );
    let hint = ciba_hint(&tenant);
    let start = || auth.back_channel_login("Approve payment 42", &hint, "openid", &[]);

    // Approved: the first poll gets the tokens.
    let request = start().await.unwrap();
    assert_eq!(request.interval, Some(5));
    tenant
        .approve_back_channel_login(&request.auth_req_id)
        .unwrap();
    let tokens = auth.poll_back_channel_token(&request, None).await.unwrap();
    assert_eq!(
        claims(&tokens.access_token)["sub"],
        tenant.user().user_id.as_str()
    );

    // Pending, then approved: one interval later the second poll succeeds.
    let mut request = start().await.unwrap();
    request.interval = Some(1);
    tenant.inject(oauth_error(400, "authorization_pending"));
    tenant
        .approve_back_channel_login(&request.auth_req_id)
        .unwrap();
    tenant.take_requests();
    let started = std::time::Instant::now();
    auth.poll_back_channel_token(&request, None).await.unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    assert_eq!(tenant.requests_to("/oauth/token").len(), 2);

    // Denied.
    let request = start().await.unwrap();
    tenant
        .deny_back_channel_login(&request.auth_req_id)
        .unwrap();
    let err = auth
        .poll_back_channel_token(&request, None)
        .await
        .unwrap_err();
    assert!(matches!(err, BackChannelLoginError::Denied), "{err:?}");

    // The server says the request expired.
    let request = start().await.unwrap();
    tenant.inject(oauth_error(400, "expired_token"));
    let err = auth
        .poll_back_channel_token(&request, None)
        .await
        .unwrap_err();
    assert!(matches!(err, BackChannelLoginError::Expired), "{err:?}");

    // Its `expires_in` ends before the next poll: no poll after it.
    let request = auth
        .back_channel_login(
            "Approve payment 43",
            &hint,
            "openid",
            &[("requested_expiry", "2")],
        )
        .await
        .unwrap();
    tenant.take_requests();
    let started = std::time::Instant::now();
    let err = auth
        .poll_back_channel_token(&request, None)
        .await
        .unwrap_err();
    assert!(matches!(err, BackChannelLoginError::Expired), "{err:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(tenant.requests_to("/oauth/token").len(), 1);

    // Any other answer is the request's error, typed.
    let request = start().await.unwrap();
    tenant.inject(oauth_error(400, "invalid_grant"));
    let err = auth
        .poll_back_channel_token(&request, None)
        .await
        .unwrap_err();
    match err {
        BackChannelLoginError::Request(e) => assert_eq!(e.error_code(), Some("invalid_grant")),
        other => panic!("expected Request, got {other:?}"),
    }
}

/// `slow_down` (as a 429 through the default retry policy, or the RFC's
/// 400) adds 5 s to the interval: with an interval of 1 s and a 3 s
/// deadline the next poll (6 s away) is past the deadline, so polling ends
/// after one answer; a longer `Retry-After` (Auth0 sends one, growing for
/// clients that keep polling fast) is waited out too.
#[tokio::test]
async fn ciba_poller_slows_down_as_asked() {
    let tenant = tenant().await;
    let web = &tenant.applications().web;
    let core = auth0_core::Auth0Client::new(tenant.client_config().build().unwrap()).unwrap();
    let auth = AuthenticationClient::builder(core, web.client_id())
        .client_secret(web_secret(&tenant))
        .build()
        .unwrap();
    let hint = ciba_hint(&tenant);
    let cases = [
        (429, None, 3),
        (400, None, 3),
        // Interval 1 + 5 = 6 s would poll again before the 10 s deadline.
        (429, Some("20"), 10),
    ];
    for (status, retry_after, deadline) in cases {
        let mut request = auth
            .back_channel_login("Approve payment 44", &hint, "openid", &[])
            .await
            .unwrap();
        request.interval = Some(1);
        let mut fault = oauth_error(status, "slow_down");
        if let Some(seconds) = retry_after {
            fault = fault.with_header("retry-after", seconds);
        }
        tenant.inject(fault);
        tenant.take_requests();
        let started = std::time::Instant::now();
        let err = auth
            .poll_back_channel_token(&request, Some(std::time::Duration::from_secs(deadline)))
            .await
            .unwrap_err();
        let case = format!("{status} {retry_after:?}");
        assert!(
            matches!(err, BackChannelLoginError::DeadlineExceeded { .. }),
            "{case}: {err:?}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{case}: the poller kept polling"
        );
        assert_eq!(tenant.requests_to("/oauth/token").len(), 1, "{case}");
    }
}

// --------------------------------------------------------- e. /oidc/logout

#[tokio::test]
async fn oidc_logout_url_round_trip() {
    let tenant = tenant().await;
    let web = &tenant.applications().web;
    let auth = client(
        &tenant,
        web.client_id(),
        ClientAuthentication::ClientSecret(web_secret(&tenant)),
    );
    let user = tenant.user();
    let id_token = auth
        .login(&PasswordLogin::new(&user.email, &user.password).scope("openid"))
        .await
        .unwrap()
        .id_token
        .unwrap();
    let http = tenant.client().unwrap();
    let follow = |url: String| {
        let http = http.clone();
        async move {
            http.send(http::Request::get(url).body(bytes::Bytes::new()).unwrap())
                .await
                .unwrap()
        }
    };

    let url = auth
        .oidc_logout_url()
        .id_token_hint(&id_token)
        .post_logout_redirect_uri("http://localhost:3000/bye")
        .state("st 1")
        .ui_locales("fr")
        .federated(true)
        .build();
    assert!(url.starts_with(&format!("{}oidc/logout?", tenant.issuer())));
    let answer = follow(url).await;
    assert_eq!(answer.status(), 302);
    assert_eq!(
        answer.headers()["location"],
        "http://localhost:3000/bye?state=st%201"
    );

    // A hint for another application is refused.
    let other = auth_local_client_id_mismatch(&tenant, &id_token);
    assert_eq!(follow(other).await.status(), 400);
    // A redirect without any way to name the application is refused.
    let bare = auth_oidc_logout_bare(&tenant);
    assert_eq!(follow(bare).await.status(), 400);
}

fn auth_local_client_id_mismatch(tenant: &LocalTenant, id_token: &str) -> String {
    auth0_authentication::OidcLogoutUrl::new(tenant.client().unwrap().domain())
        .id_token_hint(id_token)
        .client_id(tenant.applications().machine.client_id())
        .build()
}

fn auth_oidc_logout_bare(tenant: &LocalTenant) -> String {
    auth0_authentication::OidcLogoutUrl::new(tenant.client().unwrap().domain())
        .post_logout_redirect_uri("http://localhost:3000/bye")
        .build()
}

// ------------------------------------------------- h. invitation links

#[tokio::test]
async fn organization_invitation_link_logs_the_invitee_in() {
    let tenant = tenant().await;
    let web = tenant.applications().web.client_id().to_owned();
    let ticket = tenant.invite("acme", &tenant.user().email).unwrap();
    // The link Auth0 mails: the application's login route with the ticket.
    let link = format!(
        "https://app.example.com/login?invitation={ticket}&organization=org_abc&organization_name=acme"
    );
    let invitation = auth0_authentication::OrganizationInvitation::from_url(&link).unwrap();
    assert_eq!(invitation.organization_name.as_deref(), Some("acme"));
    let http = tenant.client().unwrap();
    let url = AuthorizeUrl::new(http.domain(), &web)
        .redirect_uri(CALLBACK)
        .accept_invitation(&invitation)
        .build()
        .unwrap();
    let back = tenant.follow_authorize(&http, &url).await.unwrap();
    let auth = client(
        &tenant,
        &web,
        ClientAuthentication::ClientSecret(web_secret(&tenant)),
    );
    let tokens = auth
        .authorization_code(&back["code"], Some(CALLBACK))
        .await
        .unwrap();
    assert_eq!(claims(&tokens.access_token)["org_id"], "org_abc");

    // A link without the organization is refused before any request.
    let err =
        auth0_authentication::OrganizationInvitation::from_url("/login?invitation=x").unwrap_err();
    assert!(err.to_string().contains("organization"), "{err}");
}

// -------------------------------- i. revocation hint, typed token exchange

#[tokio::test]
async fn revoke_with_token_type_hint() {
    let tenant = tenant().await;
    let web = &tenant.applications().web;
    let auth = client(
        &tenant,
        web.client_id(),
        ClientAuthentication::ClientSecret(web_secret(&tenant)),
    );
    let user = tenant.user();
    let refresh = auth
        .login(&PasswordLogin::new(&user.email, &user.password).scope("openid offline_access"))
        .await
        .unwrap()
        .refresh_token
        .unwrap();
    auth.revoke_token(
        &refresh,
        Some(auth0_authentication::userinfo::TOKEN_TYPE_HINT_REFRESH_TOKEN),
    )
    .await
    .unwrap();
    let err = auth.refresh_token(&refresh, None).await.unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_grant"));
}

// ---------------------------------------------------------------- d. JAR/PAR

fn jwt_client(tenant: &LocalTenant) -> AuthenticationClient {
    let app = &tenant.applications().machine_jwt;
    let key =
        auth0_jwt::SigningKey::rsa_pem(app.private_key_pem().unwrap(), auth0_jwt::Algorithm::RS256)
            .unwrap();
    AuthenticationClient::builder(core(tenant), app.client_id())
        .private_key_jwt(key)
        .build()
        .unwrap()
}

#[tokio::test]
async fn signed_request_object_on_authorize_and_par() {
    let tenant = tenant().await;
    let auth = jwt_client(&tenant);
    let http = tenant.client().unwrap();
    let request = auth
        .authorize_url()
        .redirect_uri(CALLBACK)
        .scope("openid profile")
        .state("from-the-object");

    // The request object's header and claims (RFC 9101 §4, §10.8).
    let jwt = auth.request_object(&request).unwrap();
    let jws = Jws::parse(&jwt, &ParseOptions::default()).unwrap();
    assert_eq!(jws.header().typ.as_deref(), Some("oauth-authz-req+jwt"));
    let object = jws.claims();
    assert_eq!(object["iss"], auth.client_id());
    assert_eq!(object["aud"], tenant.issuer());
    assert_eq!(object["redirect_uri"], CALLBACK);
    for claim in ["exp", "iat", "nbf", "jti"] {
        assert!(object.contains_key(claim), "{claim}");
    }

    // /authorize?client_id=…&request=…: the tenant reads the signed state.
    let url = auth.signed_authorize_url(&request).unwrap();
    assert!(!url.contains("state="), "{url}");
    let back = tenant.follow_authorize(&http, &url).await.unwrap();
    assert_eq!(back["state"], "from-the-object");
    assert!(back.contains_key("code"));

    // PAR with the signed request, then /authorize with the request_uri.
    let pushed = auth
        .pushed_signed_authorization_request(&request)
        .await
        .unwrap();
    assert!(
        pushed
            .request_uri
            .starts_with("urn:ietf:params:oauth:request_uri:")
    );
    let url = auth
        .authorize_url()
        .param("request_uri", &pushed.request_uri)
        .build()
        .unwrap();
    let back = tenant.follow_authorize(&http, &url).await.unwrap();
    assert_eq!(back["state"], "from-the-object");
    // A request_uri is used once.
    let again = http
        .send(http::Request::get(url).body(bytes::Bytes::new()).unwrap())
        .await
        .unwrap();
    assert_eq!(again.status(), 400);
}

#[tokio::test]
async fn request_object_signed_by_another_key_is_refused() {
    let tenant = tenant().await;
    let app = &tenant.applications().machine_jwt;
    let impostor = AuthenticationClient::builder(core(&tenant), app.client_id())
        .request_object_key(auth0_jwt::SigningKey::generate_es256().unwrap())
        .build()
        .unwrap();
    let url = impostor
        .signed_authorize_url(&impostor.authorize_url().redirect_uri(CALLBACK))
        .unwrap();
    let answer = tenant
        .client()
        .unwrap()
        .send(http::Request::get(url).body(bytes::Bytes::new()).unwrap())
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    assert!(String::from_utf8_lossy(answer.body()).contains("invalid_request_object"));

    // Without any key there is nothing to sign with.
    let keyless = client(&tenant, app.client_id(), ClientAuthentication::None);
    assert!(keyless.request_object(&keyless.authorize_url()).is_err());
}

// ------------------------------------------------- g. ID-token validation

async fn id_token_verifier(tenant: &LocalTenant, audience: &str) -> auth0_jwt::TokenVerifier {
    use auth0_jwt::verifier::{AsymmetricSignatureVerifier, StaticKeys};
    let jwks = tenant
        .client()
        .unwrap()
        .get_json::<serde_json::Value>("/.well-known/jwks.json")
        .await
        .unwrap()
        .data;
    let keys = StaticKeys::from_jwks_json(&jwks.to_string()).unwrap();
    auth0_jwt::TokenVerifier::new(
        AsymmetricSignatureVerifier::new(keys)
            .with_algorithm(tenant.algorithm())
            .unwrap(),
        tenant.issuer().to_owned(),
        audience.to_owned(),
    )
    .unwrap()
}

#[tokio::test]
async fn opt_in_id_token_validation_of_login_answers() {
    let tenant = tenant().await;
    let web = &tenant.applications().web;
    let user = tenant.user();
    let login = PasswordLogin::new(&user.email, &user.password).scope("openid profile");

    let verifying = AuthenticationClient::builder(core(&tenant), web.client_id())
        .client_secret(web.client_secret().unwrap())
        .id_token_verifier(id_token_verifier(&tenant, web.client_id()).await)
        .build()
        .unwrap();
    let tokens = verifying.login(&login).await.unwrap();
    let claims = tokens.id_token_claims.as_ref().unwrap();
    assert_eq!(claims.sub(), Some(user.user_id.as_str()));
    // Checks that need the request's values: verify_id_token with options.
    let id_token = tokens.id_token.as_deref().unwrap();
    verifying
        .verify_id_token(id_token, &auth0_jwt::VerifyOptions::new())
        .await
        .unwrap();
    let err = verifying
        .verify_id_token(
            id_token,
            &auth0_jwt::VerifyOptions::new().nonce("never-sent"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, auth0_core::Error::InvalidIdToken { .. }),
        "{err:?}"
    );

    // A verifier for another application refuses the answer.
    let mismatched = AuthenticationClient::builder(core(&tenant), web.client_id())
        .client_secret(web.client_secret().unwrap())
        .id_token_verifier(id_token_verifier(&tenant, "another-client").await)
        .build()
        .unwrap();
    let err = mismatched.login(&login).await.unwrap_err();
    assert!(
        matches!(err, auth0_core::Error::InvalidIdToken { .. }),
        "{err:?}"
    );

    // Without a verifier nothing is checked and no claims are kept.
    let plain = client(
        &tenant,
        web.client_id(),
        ClientAuthentication::ClientSecret(web_secret(&tenant)),
    );
    assert!(plain.login(&login).await.unwrap().id_token_claims.is_none());
}
