//! `/users` against the golden stubs.

use auth0_management::api::{UsersGetParams, UsersListParams, UsersListUsersByEmailParams};
use auth0_management::models::{
    CreateUserRequestContent, SearchEngineVersionsEnum, UpdateUserRequestContent, UserId,
};
use http::Method;

use crate::support::Server;

#[tokio::test]
async fn list_get_create_update_delete_match_the_stubs() {
    let server = Server::start(&["/users", "/users-by-email"]).await;
    let (auth0, _clock) = server.client();
    let users = auth0.users();

    let page = users
        .list_pager(
            UsersListParams::new()
                .page(1)
                .per_page(1)
                .sort("sort")
                .connection("connection")
                .fields("fields")
                .include_fields(true)
                .q("q")
                .search_engine(SearchEngineVersionsEnum::V1)
                .primary_order(true),
        )
        .next_page()
        .await
        .unwrap()
        .unwrap();
    // The stub sends 1.1 for the counts.
    assert_eq!(
        (page.start, page.limit, page.total),
        (Some(1), Some(1), Some(1))
    );
    let u = &page.items[0];
    assert_eq!(u.user_id.as_deref(), Some("user_id"));
    assert_eq!(u.logins_count, Some(1));
    assert_eq!(u.last_login.as_deref(), Some("2024-01-15T09:30:00Z"));
    assert_eq!(u.app_metadata.as_ref().unwrap()["key"], "value");
    assert_eq!(
        u.last_password_reset.as_deref(),
        Some("2024-01-15T09:30:00Z")
    );
    assert_eq!(
        u.multifactor_last_modified.as_deref(),
        Some("2024-01-15T09:30:00Z")
    );

    let user = users
        .get(
            "id",
            &UsersGetParams::new().fields("fields").include_fields(true),
        )
        .await
        .unwrap();
    let identity = &user.identities.as_ref().unwrap()[0];
    assert!(
        matches!(&identity.user_id, Some(UserId::String(id)) if id == "user_id"),
        "{:?}",
        identity.user_id
    );
    assert_eq!(identity.is_social, Some(true));
    assert_eq!(identity.access_token.as_deref(), Some("access_token"));
    // Tokens of identities never show in Debug.
    let shown = format!("{user:?}");
    assert!(!shown.contains("\"access_token\""), "{shown}");
    assert!(!shown.contains("\"refresh_token\""), "{shown}");
    // A round trip loses nothing.
    let back = serde_json::to_value(&user).unwrap();
    assert_eq!(back["identities"][0]["isSocial"], true);
    assert_eq!(back["last_password_reset"], "2024-01-15T09:30:00Z");

    let created = users
        .create(
            &CreateUserRequestContent::new("Username-Password-Authentication")
                .email("jane@example.com")
                .password("correct horse"),
        )
        .await
        .unwrap();
    assert_eq!(created.email.as_deref(), Some("email"));

    let updated = users
        .update("id", &UpdateUserRequestContent::new().blocked(true))
        .await
        .unwrap();
    assert_eq!(updated.blocked, Some(true));

    users.delete("id").await.unwrap();

    let by_email = users
        .list_users_by_email(
            &UsersListUsersByEmailParams::new("email")
                .fields("fields")
                .include_fields(true),
        )
        .await
        .unwrap();
    assert_eq!(by_email.len(), 1);

    let requests = server.api_requests();
    assert_eq!(requests.len(), 6);
    assert_eq!(requests[2].method, Method::POST);
    assert_eq!(
        requests[2].json(),
        serde_json::json!({
            "connection": "Username-Password-Authentication",
            "email": "jane@example.com",
            "password": "correct horse"
        })
    );
    assert_eq!(requests[3].json(), serde_json::json!({ "blocked": true }));
    assert_eq!(server.token_count(), 1);
}

#[tokio::test]
async fn pager_walks_three_offset_pages() {
    let server = Server::start(&["/users"]).await;
    server.answer(|r| {
        if r.method != Method::GET || r.path != "/api/v2/users" {
            return None;
        }
        assert_eq!(r.query["per_page"], ["2"]);
        assert_eq!(r.query["include_totals"], ["true"]);
        assert_eq!(r.query["q"], ["email.domain:\"example.com\""]);
        let page: u32 = r.query["page"][0].parse().unwrap();
        let ids: Vec<String> = (page * 2..(page * 2 + 2).min(5))
            .map(|i| format!("auth0|{i}"))
            .collect();
        let users: Vec<_> = ids
            .iter()
            .map(|id| serde_json::json!({ "user_id": id }))
            .collect();
        let body = serde_json::json!({
            "start": page * 2, "limit": 2, "length": users.len(), "total": 5, "users": users
        });
        Some((200, body.to_string()))
    });
    let (auth0, _clock) = server.client();
    let mut pager = auth0.users().list_pager(
        UsersListParams::new()
            .q("email.domain:\"example.com\"")
            .per_page(2),
    );
    let mut sizes = Vec::new();
    let mut ids = Vec::new();
    while let Some(page) = pager.next_page().await {
        let page = page.unwrap();
        sizes.push(page.items.len());
        ids.extend(page.items.into_iter().map(|u| u.user_id.unwrap()));
    }
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(ids, ["auth0|0", "auth0|1", "auth0|2", "auth0|3", "auth0|4"]);
    assert!(pager.next_page().await.is_none());
    let pages: Vec<_> = server
        .api_requests()
        .iter()
        .map(|r| r.query["page"][0].clone())
        .collect();
    assert_eq!(pages, ["0", "1", "2"]);

    // collect_all enforces its cap.
    let err = auth0
        .users()
        .list_pager(
            UsersListParams::new()
                .q("email.domain:\"example.com\"")
                .per_page(2),
        )
        .collect_all(3)
        .await
        .unwrap_err();
    assert!(
        matches!(err, auth0_management::Error::TooManyItems { cap: 3 }),
        "{err:?}"
    );
    let all = auth0
        .users()
        .list_pager(
            UsersListParams::new()
                .q("email.domain:\"example.com\"")
                .per_page(2),
        )
        .collect_all(5)
        .await
        .unwrap();
    assert_eq!(all.len(), 5);
}

/// A server (or proxy) that ignores `page` answers the same page forever:
/// the pager notices the repeat and ends with a typed error, after one
/// extra request, instead of looping.
#[tokio::test]
async fn offset_pager_stops_on_a_repeated_page() {
    let server = Server::start(&["/users", "/roles"]).await;
    server.answer(|r| {
        (r.method == Method::GET && r.path == "/api/v2/users").then(|| {
            let body = serde_json::json!({
                "start": 0, "limit": 2, "length": 2, "total": 10,
                "users": [{"user_id": "auth0|0"}, {"user_id": "auth0|1"}]
            });
            (200, body.to_string())
        })
    });
    let (auth0, _clock) = server.client();
    let mut pager = auth0.users().list_pager(UsersListParams::new().per_page(2));
    assert_eq!(pager.next_page().await.unwrap().unwrap().items.len(), 2);
    let err = pager.next_page().await.unwrap().unwrap_err();
    assert!(
        matches!(err, auth0_management::Error::PaginationLoop),
        "{err:?}"
    );
    assert!(pager.next_page().await.is_none());
    assert_eq!(server.api_requests().len(), 2);
    // The generated pagers share the pager: same outcome through them.
    server.answer(|r| {
        (r.path == "/api/v2/roles").then(|| {
            let body =
                serde_json::json!({"start": 0, "limit": 1, "total": 9, "roles": [{"id": "rol_1"}]});
            (200, body.to_string())
        })
    });
    let all = auth0
        .roles()
        .list_pager(auth0_management::api::RolesListParams::new().per_page(1))
        .collect_all(100)
        .await;
    assert!(matches!(all, Err(auth0_management::Error::PaginationLoop)));
}

/// Offset paging reaches only Auth0's first 1,000 results (a page past
/// them is a 400): the pager stops cleanly before that request, with a
/// typed error that names the users export.
#[tokio::test]
async fn offset_pager_stops_at_the_result_window() {
    let server = Server::start(&["/users"]).await;
    server.answer(|r| {
        if r.method != Method::GET || r.path != "/api/v2/users" {
            return None;
        }
        let page: u64 = r.query["page"][0].parse().unwrap();
        let per_page: u64 = r.query["per_page"][0].parse().unwrap();
        if page * per_page >= 1000 {
            // What Auth0 does past the window.
            let body = serde_json::json!({"statusCode": 400, "error": "Bad Request",
                "message": "You can only page through the first 1000 records. See https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation", "errorCode": "invalid_paging"});
            return Some((400, body.to_string()));
        }
        let users: Vec<_> = (page * per_page..(page + 1) * per_page)
            .map(|i| serde_json::json!({ "user_id": format!("auth0|{i}") }))
            .collect();
        let body = serde_json::json!({
            "start": page * per_page, "limit": per_page, "length": users.len(),
            "total": 2500, "users": users
        });
        Some((200, body.to_string()))
    });
    let (auth0, _clock) = server.client();
    let mut pager = auth0
        .users()
        .list_pager(UsersListParams::new().per_page(100));
    let mut seen = 0;
    let err = loop {
        match pager.next_page().await.unwrap() {
            Ok(page) => seen += page.items.len(),
            Err(e) => break e,
        }
    };
    assert_eq!(seen, 1000);
    assert_eq!(
        server.api_requests().len(),
        10,
        "no request past the window"
    );
    match &err {
        auth0_management::Error::ResultWindow { limit, alternative } => {
            assert_eq!(*limit, 1000);
            assert!(alternative.contains("users-exports"), "{alternative}");
        }
        other => panic!("expected ResultWindow, got {other:?}"),
    }
    assert!(err.to_string().contains("users-export"), "{err}");
    assert!(pager.next_page().await.is_none());

    // Starting past the window fails before any request too.
    let before = server.api_requests().len();
    let far = auth0
        .users()
        .list_pager(UsersListParams::new().page(20).per_page(50))
        .collect_all(10_000)
        .await;
    assert!(matches!(
        far,
        Err(auth0_management::Error::ResultWindow { .. })
    ));
    assert_eq!(server.api_requests().len(), before);
}

/// A page whose item does not decode names what is wrong, but never quotes a
/// secret the server echoed back in it: neither the request's own token nor
/// a value under a secret-like name.
#[tokio::test]
async fn a_page_that_does_not_decode_never_quotes_an_echoed_secret() {
    let server = Server::start(&["/users"]).await;
    let (auth0, _clock) = server.client();
    server.answer(|r| {
        (r.path == "/api/v2/users").then(|| {
            let token = r
                .authorization
                .as_deref()
                .unwrap_or_default()
                .trim_start_matches("Bearer ")
                .to_owned();
            let body = serde_json::json!({
                "users": [{
                    "user_id": "auth0|1",
                    // A bool in the model: serde quotes the string it got.
                    "email_verified": token,
                    "app_metadata": {"client_secret": "s3cr3t-echoed-value-0123456789"},
                    "blocked": "s3cr3t-echoed-value-0123456789",
                }],
                "start": 0, "limit": 50, "total": 1,
            });
            (200, body.to_string())
        })
    });
    let err = auth0
        .users()
        .list_pager(UsersListParams::new())
        .next_page()
        .await
        .expect("a page answer")
        .expect_err("the item does not decode");
    let token = server
        .api_requests()
        .last()
        .and_then(|r| r.authorization.clone())
        .expect("the request sent a token");
    let token = token.trim_start_matches("Bearer ");
    let shown = format!("{err} {err:?}");
    assert!(
        matches!(err, auth0_management::Error::InvalidPage { .. }),
        "{shown}"
    );
    assert!(!shown.contains(token), "{shown}");
    assert!(!shown.contains("s3cr3t-echoed-value"), "{shown}");
    // Still says where and what.
    assert!(shown.contains("line 1"), "{shown}");
}
