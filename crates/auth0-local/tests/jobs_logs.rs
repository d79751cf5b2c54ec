//! The tenant's logs and jobs on the wire: what a client written by someone
//! else (another language's SDK, curl) sees.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use auth0_authentication::PasswordLogin;
use auth0_local::LocalTenant;
use bytes::Bytes;
use http::{Request, StatusCode, header};
use serde_json::Value;
use support::wire::{management_token, raw_client};

struct Wire {
    client: auth0_core::Auth0Client,
    token: String,
}

impl Wire {
    async fn new(tenant: &LocalTenant) -> Self {
        let token = management_token(tenant).await;
        Self {
            client: raw_client(tenant),
            token,
        }
    }

    async fn send(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: impl Into<Bytes>,
    ) -> http::Response<Bytes> {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        self.client
            .send(request.body(body.into()).unwrap())
            .await
            .unwrap()
    }

    async fn get(&self, uri: &str) -> (StatusCode, Value, http::HeaderMap) {
        let response = self
            .send("GET", uri, Some(&self.token), None, Bytes::new())
            .await;
        let body = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
        (response.status(), body, response.headers().clone())
    }
}

#[tokio::test]
async fn logins_and_exchanges_are_logged_and_searchable() {
    let tenant = LocalTenant::builder().start().await.unwrap();
    let auth = tenant.authentication_client().unwrap();
    let user = tenant.user();
    auth.login(&PasswordLogin::new(&user.email, &user.password))
        .await
        .unwrap();
    auth.login(&PasswordLogin::new(&user.email, "wrong password"))
        .await
        .unwrap_err();
    let wire = Wire::new(&tenant).await;

    let (status, logs, _) = wire.get("/api/v2/logs?sort=date:1").await;
    assert_eq!(status, StatusCode::OK);
    let kinds: Vec<&str> = logs
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["s", "f", "seccft"]);
    let login = &logs[0];
    assert_eq!(login["user_id"], user.user_id.as_str());
    assert_eq!(login["user_name"], user.email.as_str());
    assert_eq!(login["connection"], auth0_local::DATABASE_CONNECTION);
    // No password anywhere in the log.
    assert!(!logs.to_string().contains(&user.password));

    // Newest first by default; `q` searches; totals on request.
    let (_, failed, _) = wire
        .get("/api/v2/logs?q=type:f&include_totals=true&page=0&per_page=10")
        .await;
    assert_eq!(failed["total"], 1);
    assert_eq!(failed["logs"][0]["type"], "f");
    let id = failed["logs"][0]["log_id"].as_str().unwrap();
    let (status, one, _) = wire.get(&format!("/api/v2/logs/{id}")).await;
    assert_eq!((status, one["type"].as_str()), (StatusCode::OK, Some("f")));
    let (status, missing, _) = wire.get("/api/v2/logs/900000").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(missing["errorCode"], "inexistent_log");

    // Search paging stops at the 1,000-result window, as at Auth0.
    let (status, _, _) = wire.get("/api/v2/logs?page=10&per_page=100").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "past the window only when results exist"
    );
}

#[tokio::test]
async fn checkpoint_paging_answers_arrays_with_a_next_link() {
    let tenant = LocalTenant::builder().start().await.unwrap();
    let wire = Wire::new(&tenant).await;
    for name in ["a", "b", "c"] {
        let response = wire
            .send(
                "POST",
                "/api/v2/roles",
                Some(&wire.token),
                Some("application/json"),
                format!("{{\"name\":\"{name}\"}}"),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let (_, first, headers) = wire.get("/api/v2/logs?take=2").await;
    let first = first.as_array().unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(first[0]["type"], "seccft");
    let link = headers[header::LINK].to_str().unwrap();
    let last = first[1]["log_id"].as_str().unwrap();
    assert_eq!(
        link,
        format!(
            "<{}api/v2/logs?from={last}&take=2>; rel=\"next\"",
            tenant.issuer()
        )
    );
    // `from` wins over `q`, as at Auth0.
    let (_, rest, _) = wire
        .get(&format!("/api/v2/logs?from={last}&take=100&q=type:zzz"))
        .await;
    let rest = rest.as_array().unwrap();
    assert_eq!(rest.len(), 2);
    let newest = rest[1]["log_id"].as_str().unwrap();
    // Nothing newer: an empty array and the same link again.
    let (_, empty, headers) = wire
        .get(&format!("/api/v2/logs?from={newest}&take=100"))
        .await;
    assert_eq!(empty, Value::Array(Vec::new()));
    assert!(
        headers[header::LINK]
            .to_str()
            .unwrap()
            .contains(&format!("from={newest}&"))
    );
    let (status, _, _) = wire.get("/api/v2/logs?take=101").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn logs_need_read_logs() {
    let tenant = LocalTenant::builder().start().await.unwrap();
    let wire = Wire::new(&tenant).await;
    let machine = &tenant.applications().machine;
    let audience = tenant.management_audience();
    let narrow = wire
        .client
        .post_form::<Value>(
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", machine.client_id()),
                ("client_secret", machine.client_secret().unwrap()),
                ("audience", audience.as_str()),
                ("scope", "read:users"),
            ],
        )
        .await
        .unwrap()
        .data;
    let narrow = narrow["access_token"].as_str().unwrap();
    let response = wire
        .send("GET", "/api/v2/logs", Some(narrow), None, Bytes::new())
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn imports_need_a_multipart_file_and_exports_refuse_a_second_credential() {
    let tenant = LocalTenant::builder().start().await.unwrap();
    tenant.set_job_duration(std::time::Duration::ZERO);
    let wire = Wire::new(&tenant).await;

    let response = wire
        .send(
            "POST",
            "/api/v2/jobs/users-imports",
            Some(&wire.token),
            Some("application/json"),
            "{}",
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = "--xyz\r\nContent-Disposition: form-data; name=\"connection_id\"\r\n\r\ncon_nope\r\n--xyz\r\nContent-Disposition: form-data; name=\"users\"; filename=\"u.json\"\r\nContent-Type: application/json\r\n\r\n[]\r\n--xyz--\r\n";
    let response = wire
        .send(
            "POST",
            "/api/v2/jobs/users-imports",
            Some(&wire.token),
            Some("multipart/form-data; boundary=xyz"),
            body,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    let response = wire
        .send(
            "POST",
            "/api/v2/jobs/users-exports",
            Some(&wire.token),
            Some("application/json"),
            "{\"format\":\"csv\"}",
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let job: Value = serde_json::from_slice(response.body()).unwrap();
    let (status, done, _) = wire
        .get(&format!("/api/v2/jobs/{}", job["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(done["status"], "completed");
    let location = done["location"].as_str().unwrap();
    assert!(location.contains(".csv.gz?X-Local-Signature="));

    let with_token = wire
        .send("GET", location, Some(&wire.token), None, Bytes::new())
        .await;
    assert_eq!(with_token.status(), StatusCode::BAD_REQUEST);
    let plain = wire.send("GET", location, None, None, Bytes::new()).await;
    assert_eq!(plain.status(), StatusCode::OK);
    assert!(plain.body().starts_with(&[0x1f, 0x8b]), "gzip");
    // Auth0's CSV: every string quoted behind a `'` (no spreadsheet formula
    // runs from a value), numbers and booleans bare, titles as named.
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(plain.body().as_ref()),
        &mut text,
    )
    .unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("user_id,"), "{text}");
    let first = lines.next().unwrap();
    assert!(first.starts_with("\"'auth0|"), "{first}");
    assert!(first.contains(",\"'") && !first.contains(",'"), "{first}");
    let unsigned = location.split('?').next().unwrap();
    let response = wire.send("GET", unsigned, None, None, Bytes::new()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
