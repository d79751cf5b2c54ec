//! `/connections` against the golden stubs.

use auth0_management::api::{ConnectionsGetParams, ConnectionsListParams};
use auth0_management::models::{CreateConnectionRequestContent, UpdateConnectionRequestContent};
use http::Method;

use crate::support::Server;

#[tokio::test]
async fn list_get_create_update_delete_match_the_stubs() {
    let server = Server::start(&["/connections"]).await;
    let (auth0, _clock) = server.client();
    let connections = auth0.connections();

    // GET /connections with every parameter of the stub.
    let page = connections
        .list_checkpoint_pager(
            ConnectionsListParams::new()
                .from("from")
                .take(1)
                .strategy("ad")
                .name("name")
                .fields("fields")
                .include_fields(true),
        )
        .next_page()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.next.as_deref(), Some("next"));
    assert_eq!(page.items.len(), 1);
    let c = &page.items[0];
    assert_eq!(c.id.as_deref(), Some("id"));
    assert_eq!(c.strategy.as_deref(), Some("strategy"));
    assert_eq!(c.realms.as_deref(), Some(&["realms".to_owned()][..]));
    assert_eq!(c.options.as_ref().unwrap()["key"], "value");
    // Typed now (the hand-written model kept them in `extra`).
    let c_json = serde_json::to_value(c).unwrap();
    assert_eq!(c_json["authentication"]["active"], true);
    assert_eq!(c_json["cross_app_access_requesting_app"]["active"], true);

    // GET /connections/{id}
    let got = connections
        .get(
            "id",
            &ConnectionsGetParams::new()
                .fields("fields")
                .include_fields(true),
        )
        .await
        .unwrap();
    assert_eq!(
        got.enabled_clients.as_deref(),
        Some(&["enabled_clients".to_owned()][..])
    );
    assert_eq!(got.metadata.as_ref().unwrap()["key"], "value");
    // Serialising keeps unknown fields and skips absent ones.
    let back = serde_json::to_value(&got).unwrap();
    assert_eq!(back["connected_accounts"]["active"], true);
    assert!(back.get("nonexistent").is_none());

    // POST /connections
    let created = connections
        .create(
            &CreateConnectionRequestContent::new("corp", "auth0")
                .realms(vec!["corp.example".to_owned()]),
        )
        .await
        .unwrap();
    assert_eq!(created.name.as_deref(), Some("name"));

    // PATCH /connections/{id}, as in the Python example (which renames;
    // Auth0 keeps `name` fixed, so the typed body has no setter for it).
    let updated = connections
        .update(
            "id",
            &UpdateConnectionRequestContent::new().set("name", "MyNewName"),
        )
        .await
        .unwrap();
    assert_eq!(updated.id.as_deref(), Some("id"));

    // DELETE /connections/{id} (the stub answers 200 with `""`).
    connections.delete("id").await.unwrap();

    // GET /connections/{id}/status
    connections.check_status("id").await.unwrap();

    let requests = server.api_requests();
    let methods: Vec<&Method> = requests.iter().map(|r| &r.method).collect();
    assert_eq!(
        methods,
        [
            &Method::GET,
            &Method::GET,
            &Method::POST,
            &Method::PATCH,
            &Method::DELETE,
            &Method::GET,
        ]
    );
    assert_eq!(
        requests[2].json(),
        serde_json::json!({ "name": "corp", "strategy": "auth0", "realms": ["corp.example"] })
    );
    assert_eq!(
        requests[3].json(),
        serde_json::json!({ "name": "MyNewName" })
    );
    assert!(
        requests
            .iter()
            .all(|r| r.authorization.as_deref() == Some("Bearer tok-1"))
    );
    assert_eq!(server.token_count(), 1);
}

#[tokio::test]
async fn unmatched_requests_fail_loudly() {
    let server = Server::start(&["/connections"]).await;
    let (auth0, _clock) = server.client();
    // The stub for GET /connections/{id} requires fields/include_fields.
    let err = auth0
        .connections()
        .get("id", &ConnectionsGetParams::new())
        .await
        .unwrap_err();
    assert_eq!(err.status_code().map(|s| s.as_u16()), Some(599));
}

#[tokio::test]
async fn all_walks_checkpoint_pages() {
    let server = Server::start(&["/connections"]).await;
    server.answer(|r| {
        if r.method != Method::GET || r.path != "/api/v2/connections" {
            return None;
        }
        assert_eq!(r.query["take"], ["100"]);
        let body = match r.query.get("from").map(|v| v[0].as_str()) {
            None => r#"{"connections":[{"id":"con_1"},{"id":"con_2"}],"next":"c1"}"#,
            Some("c1") => r#"{"connections":[{"id":"con_3"}],"next":"c2"}"#,
            Some("c2") => r#"{"connections":[{"id":"con_4"}]}"#,
            Some(other) => panic!("unexpected cursor {other}"),
        };
        Some((200, body.to_owned()))
    });
    let (auth0, _clock) = server.client();
    let all = auth0.connections().all().await.unwrap();
    let ids: Vec<_> = all.iter().map(|c| c.id.clone().unwrap()).collect();
    assert_eq!(ids, ["con_1", "con_2", "con_3", "con_4"]);
    assert_eq!(server.api_requests().len(), 3);
}

#[tokio::test]
async fn repeated_cursor_is_an_error_not_a_loop() {
    let server = Server::start(&["/connections"]).await;
    server.answer(|r| {
        (r.path == "/api/v2/connections").then(|| {
            (
                200,
                r#"{"connections":[{"id":"con_1"}],"next":"same"}"#.to_owned(),
            )
        })
    });
    let (auth0, _clock) = server.client();
    let err = auth0.connections().all().await.unwrap_err();
    assert!(
        matches!(err, auth0_management::Error::PaginationLoop),
        "{err:?}"
    );
    // First page (no cursor), second page (`from=same`), then the loop is seen.
    assert_eq!(server.api_requests().len(), 2);
}

/// Connection options carry the identity provider's secrets (social
/// `client_secret`, SAML signing keys, gateway secrets, custom-database
/// `configuration`): no request body that can hold them prints them.
#[test]
fn connection_bodies_redact_options_in_debug() {
    use auth0_management::models;
    use serde_json::json;

    const SECRETS: &[&str] = &[
        "google-client-secret",
        "saml-private-key",
        "gateway-secret",
        "db-config-secret",
        "unknown-secret",
    ];
    let assert_hidden = |what: &str, shown: String| {
        for secret in SECRETS {
            assert!(!shown.contains(secret), "{what} shows {secret}: {shown}");
        }
    };
    let options = json!({
        "client_id": "google-client-id",
        "client_secret": "google-client-secret",
        "signing_key": {"key": "saml-private-key", "cert": "c"},
        "gateway_authentication": {"method": "bearer", "subject": "s", "audience": "a",
            "secret": "gateway-secret"},
        "configuration": {"API_KEY": "db-config-secret"},
        "something_new": "unknown-secret",
    });
    let map = options.as_object().unwrap().clone();

    // Built with the setters.
    let create = models::CreateConnectionRequestContent::new("google", "google-oauth2")
        .set("options", options.clone());
    assert_hidden(
        "CreateConnectionRequestContent (set)",
        format!("{create:?}"),
    );
    let update = models::UpdateConnectionRequestContent::new().set("options", map);
    assert_hidden(
        "UpdateConnectionRequestContent (set)",
        format!("{update:?}"),
    );

    // Generated bodies: typed options redact secret fields, and unknown
    // ones (kept in `extra`) show their keys only.
    let create: models::CreateConnectionRequestContent = serde_json::from_value(
        json!({"name": "google", "strategy": "google-oauth2", "options": options}),
    )
    .unwrap();
    let shown = format!("{create:?}");
    assert!(
        shown.contains(r#"audience: "a""#) && shown.contains("client_secret"),
        "non-secrets and the names of secrets stay visible: {shown}"
    );
    assert_hidden("CreateConnectionRequestContent", shown);
    let update: models::UpdateConnectionRequestContent =
        serde_json::from_value(json!({"options": options})).unwrap();
    assert_hidden("UpdateConnectionRequestContent", format!("{update:?}"));
    let saml: models::ConnectionOptionsSaml = serde_json::from_value(json!({
        "signing_key": {"key": "saml-private-key", "cert": "c"},
        "decryptionKey": {"key": "saml-private-key", "cert": "c"},
    }))
    .unwrap();
    assert_hidden("ConnectionOptionsSaml", format!("{saml:?}"));
}
