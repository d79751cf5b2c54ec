//! The requests the newest official SDKs (auth0-python 5.x/6.x, node-auth0
//! 5.x–7.x: the Fern-generated Management clients) send, byte for byte, and
//! what the tenant must answer them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use auth0_authentication::PasswordLogin;
use auth0_local::LocalTenant;
use bytes::Bytes;
use http::{Request, StatusCode, header};
use serde_json::Value;
use support::wire::{management_token, raw_client};

/// A raw client that never retries, and a Management API token.
async fn wire(tenant: &LocalTenant) -> (auth0_core::Auth0Client, String) {
    (raw_client(tenant), management_token(tenant).await)
}

/// `GET uri` with the headers auth0-python 6.8.0's `ManagementClient` sends.
async fn sdk_get(client: &auth0_core::Auth0Client, token: &str, uri: &str) -> (StatusCode, Value) {
    let request = Request::builder()
        .method("GET")
        .uri(uri)
        .header(header::ACCEPT, "*/*")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::USER_AGENT, "Python/3.11.7")
        .header(
            "auth0-client",
            "eyJuYW1lIjogImF1dGgwLXB5dGhvbiIsICJ2ZXJzaW9uIjogIjYuOC4wIiwgImVudiI6IHsicHl0aG9uIjogIjMuMTEuNyJ9fQ==",
        )
        .body(Bytes::new())
        .unwrap();
    let response = client.send(request).await.unwrap();
    let body = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    (response.status(), body)
}

/// `mgmt.logs.list(search="type:seccft", per_page=5)` (auth0-python) and
/// `management.logs.list({ search: 'type:seccft', per_page: 5 })` (node-auth0)
/// send the query as `search`, the name Auth0's Management API description
/// gives it (the 4.x SDKs sent `q`): the answer holds only matching events.
#[tokio::test]
async fn logs_list_filters_by_the_search_parameter() {
    let tenant = LocalTenant::builder().start().await.unwrap();
    let user = tenant.user();
    let auth = tenant.authentication_client().unwrap();
    auth.login(&PasswordLogin::new(&user.email, "wrong password"))
        .await
        .unwrap_err();
    auth.login(&PasswordLogin::new(&user.email, &user.password))
        .await
        .unwrap();
    let (client, token) = wire(&tenant).await; // a `seccft` event

    let (status, body) = sdk_get(
        &client,
        &token,
        "/api/v2/logs?page=0&per_page=5&include_totals=true&search=type%3Aseccft",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let logs = body["logs"].as_array().unwrap();
    assert!(!logs.is_empty(), "{body}");
    assert!(
        logs.iter().all(|entry| entry["type"] == "seccft"),
        "only client-credentials exchanges: {body}"
    );
    assert_eq!(body["total"], logs.len(), "{body}");

    // A failed login only, by a quoted value as Auth0's description shows.
    let (status, body) = sdk_get(
        &client,
        &token,
        "/api/v2/logs?page=0&per_page=50&include_totals=true&search=type%3A%22f%22",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let types: Vec<&str> = body["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["f"], "{body}");

    // A search the tenant cannot run is refused, not ignored.
    let (status, body) = sdk_get(
        &client,
        &token,
        "/api/v2/logs?page=0&per_page=5&include_totals=true&search=type%3A%22seccft",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errorCode"], "invalid_query_string", "{body}");
}

/// `mgmt.connections.list(strategy=["auth0", "email"])` (auth0-python) and
/// `management.connections.list({ strategy: ['auth0', 'email'] })`
/// (node-auth0) send an array parameter as OpenAPI's default `form` style
/// does, once per item: the answer holds the connections of every strategy
/// named, not only the last one's.
#[tokio::test]
async fn connections_list_filters_by_every_repeated_strategy() {
    let tenant = LocalTenant::builder().start().await.unwrap();
    let (client, token) = wire(&tenant).await;

    let (status, body) = sdk_get(
        &client,
        &token,
        "/api/v2/connections?include_totals=true&take=50&strategy=auth0&strategy=email",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut strategies: Vec<&str> = body["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["strategy"].as_str().unwrap())
        .collect();
    strategies.sort_unstable();
    assert_eq!(strategies, ["auth0", "email"], "{body}");

    // One value still filters by it alone.
    let (status, body) = sdk_get(
        &client,
        &token,
        "/api/v2/connections?include_totals=true&take=50&strategy=email",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let names: Vec<&str> = body["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["email"], "{body}");
}

/// `resource_servers.list(identifiers=[…])` sends the identifiers once each
/// (Auth0: "may be specified multiple times"), and `clients.list(app_type=…)`
/// a comma-separated list of types: each list holds only what was named.
#[tokio::test]
async fn resource_servers_and_clients_lists_filter_as_documented() {
    let tenant = LocalTenant::builder().start().await.unwrap();
    let (client, token) = wire(&tenant).await;
    let api = tenant.api_audience().to_owned();
    let management = tenant.management_audience();

    let identifiers = |body: &Value| -> Vec<String> {
        let items = body
            .as_array()
            .or_else(|| body["resource_servers"].as_array());
        let mut found: Vec<String> = items
            .unwrap()
            .iter()
            .map(|r| r["identifier"].as_str().unwrap().to_owned())
            .collect();
        found.sort();
        found
    };
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let (status, body) = sdk_get(
        &client,
        &token,
        &format!("/api/v2/resource-servers?identifiers={}", encode(&api)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(identifiers(&body), std::slice::from_ref(&api), "{body}");
    let (status, body) = sdk_get(
        &client,
        &token,
        &format!(
            "/api/v2/resource-servers?identifiers={}&identifiers={}",
            encode(&api),
            encode(&management)
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut both = vec![api.clone(), management.clone()];
    both.sort();
    assert_eq!(identifiers(&body), both, "{body}");

    let (status, body) = sdk_get(&client, &token, "/api/v2/clients?app_type=non_interactive").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let types: Vec<&str> = body
        .as_array()
        .or_else(|| body["clients"].as_array())
        .unwrap()
        .iter()
        .map(|c| c["app_type"].as_str().unwrap())
        .collect();
    assert!(!types.is_empty(), "{body}");
    assert!(types.iter().all(|t| *t == "non_interactive"), "{body}");
}
