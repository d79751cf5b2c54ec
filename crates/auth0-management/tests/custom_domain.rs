//! `Auth0-Custom-Domain` through the public API against the local tenant:
//! set on the client or per call, sent only on the endpoints the official
//! SDKs send it on. Requests are recorded by a layer added with the client
//! builder's `with_layer` (one request per SDK call, as the stack sends it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use auth0_core::Auth0Client;
use auth0_core::types::HttpRequest;
use auth0_local::LocalTenant;
use auth0_management::api::UsersGetParams;
use auth0_management::models::CreateUserRequestContent;
use auth0_management::{BuildError, ClientCredentials, ManagementClient, ManagementService};
use tower::util::MapRequestLayer;

/// (path, `Auth0-Custom-Domain` value) of every request sent.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

async fn client(
    tenant: &LocalTenant,
    domain: Option<&str>,
) -> (ManagementClient<impl ManagementService>, Seen) {
    let seen: Seen = Arc::default();
    let record = Arc::clone(&seen);
    let http = Auth0Client::builder(tenant.client_config().build().unwrap())
        .with_layer(MapRequestLayer::new(move |request: HttpRequest| {
            let header = request
                .headers()
                .get("auth0-custom-domain")
                .map(|v| v.to_str().unwrap().to_owned());
            record
                .lock()
                .unwrap()
                .push((request.uri().path().to_owned(), header));
            request
        }))
        .build()
        .unwrap();
    let machine = &tenant.applications().machine;
    let mut builder = ManagementClient::builder(http).client_credentials(
        ClientCredentials::new(
            machine.client_id(),
            machine.client_secret().unwrap_or_default(),
        )
        .audience(tenant.management_audience()),
    );
    if let Some(domain) = domain {
        builder = builder.custom_domain(domain);
    }
    (builder.build().unwrap(), seen)
}

fn header_on(seen: &Seen, path: &str) -> Vec<Option<String>> {
    seen.lock()
        .unwrap()
        .iter()
        .filter(|(p, _)| p == path)
        .map(|(_, h)| h.clone())
        .collect()
}

#[tokio::test]
async fn sent_on_allowed_endpoints_only_from_the_client_or_per_call() {
    let tenant = LocalTenant::builder().start().await.unwrap();
    let (auth0, seen) = client(&tenant, Some("login.example.com")).await;

    // POST /users and GET /users/{id}: allowed.
    let user = auth0
        .users()
        .create(
            &CreateUserRequestContent::new("Username-Password-Authentication")
                .email("cd@example.com")
                .password("a long passphrase"),
        )
        .await
        .unwrap();
    let id = user.user_id.unwrap();
    auth0
        .users()
        .get(&id, &UsersGetParams::new())
        .await
        .unwrap();
    // GET /connections and GET /users-by-email: not allowed.
    auth0.connections().all().await.unwrap();
    auth0.users().list_by_email("cd@example.com").await.unwrap();

    let encoded_user_path = format!("/api/v2/users/{}", id.replace('|', "%7C"));
    assert_eq!(
        header_on(&seen, "/api/v2/users"),
        [Some("login.example.com".to_owned())]
    );
    assert_eq!(
        header_on(&seen, &encoded_user_path),
        [Some("login.example.com".to_owned())]
    );
    assert_eq!(header_on(&seen, "/api/v2/connections"), [None]);
    assert_eq!(header_on(&seen, "/api/v2/users-by-email"), [None]);
    // Nor on the token request.
    assert!(header_on(&seen, "/oauth/token").iter().all(Option::is_none));

    // Per call: another domain, or none, on the same client (same token).
    seen.lock().unwrap().clear();
    auth0
        .with_custom_domain("other.example.com")
        .unwrap()
        .users()
        .get(&id, &UsersGetParams::new())
        .await
        .unwrap();
    auth0
        .without_custom_domain()
        .users()
        .get(&id, &UsersGetParams::new())
        .await
        .unwrap();
    auth0
        .with_custom_domain("other.example.com")
        .unwrap()
        .connections()
        .all()
        .await
        .unwrap();
    assert_eq!(
        header_on(&seen, &encoded_user_path),
        [Some("other.example.com".to_owned()), None]
    );
    assert_eq!(header_on(&seen, "/api/v2/connections"), [None]);
    assert!(
        header_on(&seen, "/oauth/token").is_empty(),
        "the token is shared"
    );
}

#[tokio::test]
async fn no_header_without_a_custom_domain_and_bad_domains_are_refused() {
    let tenant = LocalTenant::builder().start().await.unwrap();
    let (auth0, seen) = client(&tenant, None).await;
    assert_eq!(auth0.custom_domain(), None);
    auth0
        .users()
        .create(
            &CreateUserRequestContent::new("Username-Password-Authentication")
                .email("none@example.com")
                .password("a long passphrase"),
        )
        .await
        .unwrap();
    assert_eq!(header_on(&seen, "/api/v2/users"), [None]);

    for bad in [
        "https://login.example.com",
        "login.example.com/x",
        "",
        "a b",
        "host:443",
    ] {
        let err = ManagementClient::builder(tenant.client().unwrap())
            .token("t")
            .custom_domain(bad)
            .build()
            .unwrap_err();
        assert!(
            matches!(err, BuildError::InvalidCustomDomain { .. }),
            "{bad}: {err:?}"
        );
        assert!(matches!(
            auth0.with_custom_domain(bad),
            Err(BuildError::InvalidCustomDomain { .. })
        ));
    }
}
