//! The generated operations against the golden stubs: at least one typed
//! call per top-level group, a pager walk, a percent-encoded id, a body
//! with constant fields, and `Debug` redaction of generated models.

use auth0_management::api::{RolesListParams, TenantsSettingsGetParams, UsersRolesListParams};
use auth0_management::models;
use http::Method;
use serde_json::json;

use crate::support::Server;

/// Every top-level group of the API, through its typed accessor, against
/// the stub server (which answers 599 to anything it has no stub for, so
/// a wrong path, method or query fails the call).
#[tokio::test]
async fn one_operation_per_top_level_group() {
    let server = Server::start(&[
        "/actions",
        "/anomaly",
        "/attack-protection",
        "/branding",
        "/client-grants",
        "/clients",
        "/connections",
        "/custom-domains",
        "/device-credentials",
        "/email-templates",
        "/emails",
        "/event-streams",
        "/flows",
        "/forms",
        "/guardian",
        "/hooks",
        "/jobs",
        "/keys",
        "/log-streams",
        "/logs",
        "/network-acls",
        "/organizations",
        "/prompts",
        "/refresh-tokens",
        "/resource-servers",
        "/roles",
        "/rules",
        "/rules-configs",
        "/self-service-profiles",
        "/sessions",
        "/stats",
        "/supplemental-signals",
        "/tenants",
        "/tickets",
        "/token-exchange-profiles",
        "/user-blocks",
        "/grants",
        "/users",
        "/verifiable-credentials",
    ])
    .await;
    let (auth0, _clock) = server.client();

    let triggers = auth0.actions().triggers().list().await.unwrap();
    assert!(triggers.triggers.is_some());
    auth0.anomaly().blocks().check_ip("id").await.unwrap();
    let bpd = auth0
        .attack_protection()
        .breached_password_detection()
        .get()
        .await
        .unwrap();
    assert_eq!(bpd.enabled, Some(true));
    let branding = auth0.branding().get().await.unwrap();
    assert!(branding.colors.is_some());
    auth0.client_grants().delete("id").await.unwrap();
    let credentials = auth0
        .clients()
        .credentials()
        .list("client_id")
        .await
        .unwrap();
    assert_eq!(credentials[0].id.as_deref(), Some("id"));
    auth0.connections().check_status("id").await.unwrap();
    let domain = auth0.custom_domains().get("id").await.unwrap();
    assert_eq!(domain.custom_domain_id, "custom_domain_id");
    auth0.device_credentials().delete("id").await.unwrap();
    let template = auth0
        .email_templates()
        .create(&models::CreateEmailTemplateRequestContent::new(
            "verify_email",
        ))
        .await
        .unwrap();
    assert_eq!(
        template.template,
        models::EmailTemplateNameEnum::VerifyEmail
    );
    auth0.emails().provider().delete().await.unwrap();
    let stream = auth0.event_streams().get("id").await.unwrap();
    assert!(matches!(
        stream,
        models::GetEventStreamResponseContent::Webhook(_)
    ));
    let vault = auth0.flows().vault().connections().get("id").await.unwrap();
    assert_eq!(vault.id, "id");
    auth0.forms().delete("id").await.unwrap();
    let factors = auth0.guardian().factors().list().await.unwrap();
    assert!(!factors.is_empty());
    let secrets = auth0.hooks().secrets().get("id").await.unwrap();
    assert!(secrets.contains_key("key"));
    let job = auth0.jobs().get("id").await.unwrap();
    assert_eq!(job.id, "id");
    auth0.keys().custom_signing().get().await.unwrap();
    let streams = auth0.log_streams().list().await.unwrap();
    assert!(!streams.is_empty());
    let log = auth0.logs().get("id").await.unwrap();
    assert_eq!(log.log_id.as_deref(), Some("log_id"));
    auth0.network_acls().get("id").await.unwrap();
    let org = auth0.organizations().get_by_name("name").await.unwrap();
    assert_eq!(org.id.as_deref(), Some("id"));
    auth0.prompts().get_settings().await.unwrap();
    auth0.refresh_tokens().get("id").await.unwrap();
    auth0.resource_servers().delete("id").await.unwrap();
    let role = auth0.roles().get("id").await.unwrap();
    assert_eq!(role.name.as_deref(), Some("name"));
    auth0.rules().delete("id").await.unwrap();
    auth0.rules_configs().list().await.unwrap();
    auth0.self_service_profiles().get("id").await.unwrap();
    auth0.sessions().get("id").await.unwrap();
    let active = auth0.stats().get_active_users_count().await.unwrap();
    assert!(active > 0.0);
    auth0.supplemental_signals().get().await.unwrap();
    auth0
        .tenants()
        .settings()
        .get(
            &TenantsSettingsGetParams::new()
                .fields("fields")
                .include_fields(true),
        )
        .await
        .unwrap();
    auth0
        .tickets()
        .verify_email(&models::VerifyEmailTicketRequestContent::new("user_id"))
        .await
        .unwrap();
    auth0.token_exchange_profiles().get("id").await.unwrap();
    auth0.user_blocks().delete("id").await.unwrap();
    auth0.user_grants().delete("id").await.unwrap();
    let enrollments = auth0.users().enrollments().get("id").await.unwrap();
    assert!(!enrollments.is_empty());
    auth0
        .verifiable_credentials()
        .verification()
        .templates()
        .get("id")
        .await
        .unwrap();

    // Every request reached a stub (nothing was answered 599).
    let requests = server.api_requests();
    assert_eq!(requests.len(), 39, "one call per top-level group");
}

#[tokio::test]
async fn list_without_totals_decodes_a_bare_array_and_params_are_sent() {
    let server = Server::start(&["/roles"]).await;
    let (auth0, _clock) = server.client();
    server.answer(|r| {
        (r.path == "/api/v2/roles")
            .then(|| (200, json!([{"id": "rol_1", "name": "admin"}]).to_string()))
    });
    let page = auth0
        .roles()
        .list(&RolesListParams::new().per_page(5).name_filter("adm"))
        .await
        .unwrap();
    // The 2026 description types the answer as `oneOf` the bare array and
    // the offset page.
    let models::ListRolesResponseContent::Array(roles) = page else {
        panic!("a bare array decodes as one: {page:?}");
    };
    assert_eq!(roles[0].id.as_deref(), Some("rol_1"));
    let sent = server.api_requests().pop().unwrap();
    assert_eq!(sent.query["per_page"], ["5"]);
    assert_eq!(sent.query["name_filter"], ["adm"]);
}

/// A pager over `GET /users/{id}/roles` with an id that needs encoding:
/// three offset pages, the last one short.
#[tokio::test]
async fn pager_walks_offset_pages_of_an_encoded_id() {
    let server = Server::start(&["/users"]).await;
    let (auth0, _clock) = server.client();
    server.answer(|r| {
        if r.method != Method::GET || r.path != "/api/v2/users/auth0%7C123%2Fx/roles" {
            return None;
        }
        let page: u64 = r.query["page"][0].parse().unwrap();
        assert_eq!(r.query["per_page"], ["2"]);
        assert_eq!(r.query["include_totals"], ["true"]);
        let roles: Vec<_> = (page * 2..(page * 2 + 2).min(5))
            .map(|i| json!({"id": format!("rol_{i}"), "name": format!("r{i}")}))
            .collect();
        Some((
            200,
            json!({"start": page * 2, "limit": 2, "total": 5, "roles": roles}).to_string(),
        ))
    });
    let mut pager = auth0
        .users()
        .roles()
        .list_pager("auth0|123/x", UsersRolesListParams::new().per_page(2));
    let mut ids = Vec::new();
    while let Some(page) = pager.next_page().await {
        ids.extend(page.unwrap().items.into_iter().filter_map(|r| r.id));
    }
    assert_eq!(ids, ["rol_0", "rol_1", "rol_2", "rol_3", "rol_4"]);
    assert_eq!(server.api_requests().len(), 3);
}

/// A checkpoint pager (`from`/`take`) over `GET /organizations`.
#[tokio::test]
async fn pager_walks_checkpoint_pages() {
    let server = Server::start(&["/organizations"]).await;
    let (auth0, _clock) = server.client();
    server.answer(|r| {
        if r.path != "/api/v2/organizations" {
            return None;
        }
        let body = match r.query.get("from").map(|f| f[0].as_str()) {
            None => json!({"organizations": [{"id": "org_1", "name": "a"}], "next": "c1"}),
            Some("c1") => json!({"organizations": [{"id": "org_2", "name": "b"}]}),
            Some(other) => panic!("unexpected cursor {other}"),
        };
        Some((200, body.to_string()))
    });
    let all = auth0
        .organizations()
        // Offset and checkpoint both page this list: `list_pager` is the
        // offset one, `list_checkpoint_pager` follows `next`.
        .list_checkpoint_pager(auth0_management::api::OrganizationsListParams::new().take(1))
        .collect_all(10)
        .await
        .unwrap();
    let ids: Vec<_> = all.into_iter().filter_map(|o| o.id).collect();
    assert_eq!(ids, ["org_1", "org_2"]);
}

/// Writes are not retried on 5xx; reads are.
#[tokio::test]
async fn generated_calls_keep_the_retry_rules() {
    let server = Server::start(&["/roles"]).await;
    let (auth0, _clock) = server.client();
    server.answer(|_| {
        Some((
            503,
            r#"{"statusCode":503,"error":"Unavailable","message":"x"}"#.to_owned(),
        ))
    });
    assert!(
        auth0
            .roles()
            .create(&models::CreateRoleRequestContent::new("admin"))
            .await
            .is_err()
    );
    assert_eq!(server.api_requests().len(), 1, "a POST was retried");
    assert!(auth0.roles().get("id").await.is_err());
    assert!(server.api_requests().len() > 2, "a GET was not retried");
}

#[test]
fn constant_fields_are_filled_in_and_unknown_enum_values_survive() {
    let action = models::FlowActionActivecampaignListContacts::new(
        "id",
        models::FlowActionActivecampaignListContactsParams::new("connection_id", "email"),
    );
    let v = serde_json::to_value(&action).unwrap();
    assert_eq!(v["type"], "ACTIVECAMPAIGN");
    let back: models::FlowAction = serde_json::from_value(v).unwrap();
    assert!(matches!(back, models::FlowAction::Activecampaign(_)));

    let e: models::EmailTemplateNameEnum =
        serde_json::from_value(json!("brand_new_template")).unwrap();
    assert_eq!(
        e,
        models::EmailTemplateNameEnum::Other("brand_new_template".into())
    );
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!("brand_new_template")
    );
}

#[test]
fn debug_redacts_secrets_and_free_form_values() {
    let body = models::CreateUserRequestContent::new("Username-Password-Authentication")
        .password("hunter2-password")
        .app_metadata(serde_json::Map::from_iter([(
            "plan".to_owned(),
            json!("gold-secret-plan"),
        )]));
    let shown = format!("{body:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(!shown.contains("gold-secret-plan"), "{shown}");
    assert!(shown.contains("plan"), "keys are shown: {shown}");

    let client: models::Client = serde_json::from_value(json!({
        "client_id": "abc", "client_secret": "very-secret-value",
        "jwt_configuration": {"secret_encoded": true},
        "unknown_field": "unknown-value"
    }))
    .unwrap();
    let shown = format!("{client:?}");
    assert!(!shown.contains("very-secret-value"), "{shown}");
    assert!(!shown.contains("unknown-value"), "{shown}");
    assert!(shown.contains("abc"));

    let twilio: models::PhoneProviderCredentials =
        serde_json::from_value(json!({"auth_token": "twilio-auth-token"})).unwrap();
    assert!(!format!("{twilio:?}").contains("twilio-auth-token"));

    let secret: models::PostClientCredentialRequestContent = serde_json::from_value(json!({
        "credential_type": "public_key", "pem": "-----BEGIN PUBLIC KEY-----MIIB", "name": "k"
    }))
    .unwrap();
    assert!(!format!("{secret:?}").contains("MIIB"));

    let hook_secrets: models::GetHookSecretResponseContent =
        serde_json::from_value(json!({"API_KEY": "hook-secret-value"})).unwrap();
    let shown = format!("{hook_secrets:?}");
    assert!(!shown.contains("hook-secret-value"), "{shown}");
    assert!(shown.contains("API_KEY"), "{shown}");
    assert_eq!(hook_secrets["API_KEY"], "hook-secret-value");

    let connection: models::ConnectionForList = serde_json::from_value(json!({
        "id": "con_1", "options": {"client_secret": "idp-secret"}
    }))
    .unwrap();
    let shown = format!("{connection:?}");
    assert!(!shown.contains("idp-secret"), "{shown}");
    assert!(shown.contains("client_secret"), "{shown}");
}

/// Pre-signed URLs, tickets, signing keys and tokens the API answers: the
/// names come from auth0-core's one list (`auth0_core::secrets`).
#[test]
fn debug_redacts_urls_tickets_and_keys_the_api_answers() {
    let job: models::GetJobResponseContent = serde_json::from_value(json!({
        "id": "job_1", "type": "users_export", "status": "completed",
        "location": "https://storage.example/export.json.gz?X-Amz-Signature=presigned-sig"
    }))
    .unwrap();
    let shown = format!("{job:?}");
    assert!(!shown.contains("presigned-sig"), "{shown}");
    assert!(
        shown.contains("location") && shown.contains("job_1"),
        "{shown}"
    );
    assert!(
        job.location.unwrap().contains("presigned-sig"),
        "the value is kept"
    );

    let ticket: models::ChangePasswordTicketResponseContent = serde_json::from_value(json!({
        "ticket": "https://tenant.example/lo/reset?ticket=one-time-ticket#"
    }))
    .unwrap();
    assert!(!format!("{ticket:?}").contains("one-time-ticket"));
    let ticket: models::VerifyEmailTicketResponseContent = serde_json::from_value(json!({
        "ticket": "https://tenant.example/u/email-verification?ticket=verify-ticket#"
    }))
    .unwrap();
    assert!(!format!("{ticket:?}").contains("verify-ticket"));

    let client: models::Client = serde_json::from_value(json!({
        "client_id": "abc",
        "signing_keys": [{"cert": "-----BEGIN CERTIFICATE-----signing-cert", "pkcs7": "pkcs7-value"}]
    }))
    .unwrap();
    let shown = format!("{client:?}");
    assert!(
        !shown.contains("signing-cert") && !shown.contains("pkcs7-value"),
        "{shown}"
    );
    assert!(shown.contains("signing_keys"), "{shown}");

    let scim: models::CreateScimTokenResponseContent = serde_json::from_value(json!({
        "token_id": "tok_1", "token": "scim-bearer-token"
    }))
    .unwrap();
    let shown = format!("{scim:?}");
    assert!(
        !shown.contains("scim-bearer-token") && shown.contains("tok_1"),
        "{shown}"
    );

    // Every name of the one list: a field of that name is redacted in a
    // model that has one (checked on the models above, by construction of
    // the generator); public names stay visible.
    assert!(auth0_core::secrets::is_secret_field(
        "GetJobResponseContent",
        "location"
    ));
    assert!(!auth0_core::secrets::is_secret_field("Action", "code"));
}

/// The user import job sends `multipart/form-data` with the users file.
#[tokio::test]
async fn users_import_is_multipart() {
    let server = Server::start(&["/jobs"]).await;
    let (auth0, _clock) = server.client();
    let job = auth0
        .jobs()
        .users_imports()
        .create(
            &models::CreateImportUsersRequestContent::new()
                .users(r#"[{"email":"a@example.com"}]"#)
                .connection_id("con_1")
                .upsert(true),
        )
        .await
        .unwrap();
    assert_eq!(job.id, "id");
    let sent = server.api_requests().pop().unwrap();
    let body = String::from_utf8(sent.body.to_vec()).unwrap();
    assert!(
        body.contains("name=\"users\"; filename=\"users.json\"\r\nContent-Type: application/json\r\n\r\n[{\"email\":\"a@example.com\"}]\r\n"),
        "{body}"
    );
    assert!(
        body.contains("name=\"connection_id\"\r\n\r\ncon_1\r\n"),
        "{body}"
    );
    assert!(body.contains("name=\"upsert\"\r\n\r\ntrue\r\n"), "{body}");
}

/// `GET /event-streams` answers a checkpoint page (and a bare array when
/// no paging parameter is given): `list` reads both into the page type,
/// and the pager follows `next`.
#[tokio::test]
async fn event_streams_list_reads_an_array_or_a_checkpoint_page() {
    let server = Server::start(&["/event-streams"]).await;
    let (auth0, _clock) = server.client();
    // The stub: a checkpoint page.
    let params = auth0_management::api::EventStreamsListParams::new()
        .from("from")
        .take(1);
    let streams = auth0.event_streams().list(&params).await.unwrap();
    assert_eq!(streams.event_streams.map(|s| s.len()), Some(1));
    // The description's bare array, then pages for the pager.
    server.answer(|r| {
        (r.path == "/api/v2/event-streams").then(|| {
            let body = match (r.query.get("from"), r.query.get("take")) {
                (None, None) => json!([{"id": "es_0"}]),
                (None, Some(_)) => json!({"eventStreams": [{"id": "es_1"}], "next": "c1"}),
                (Some(from), Some(_)) if from[0] == "c1" => {
                    json!({"eventStreams": [{"id": "es_2"}]})
                }
                _ => json!({"eventStreams": []}),
            };
            (200, body.to_string())
        })
    });
    let bare = auth0
        .event_streams()
        .list(&auth0_management::api::EventStreamsListParams::new())
        .await
        .unwrap();
    assert_eq!(bare.event_streams.map(|s| s.len()), Some(1));
    let all = auth0
        .event_streams()
        .list_pager(auth0_management::api::EventStreamsListParams::new().take(1))
        .collect_all(10)
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
}

/// `GET /event-streams/{id}/deliveries`: the description (and its stubs)
/// answer a bare array, Auth0's SDKs read `{"deliveries": [...], "next":
/// "…"}`. `list` reads the items of either; the pager takes the array as
/// one page without a cursor, and follows `next` as `from` otherwise.
#[tokio::test]
async fn event_stream_deliveries_read_an_array_or_a_checkpoint_page() {
    use auth0_management::api::EventStreamsDeliveriesListParams;
    let server = Server::start(&["/event-streams"]).await;
    let (auth0, _clock) = server.client();
    let deliveries = auth0.event_streams().deliveries();
    // The stub: the description's bare array, all parameters sent.
    let params = EventStreamsDeliveriesListParams::new()
        .statuses("statuses")
        .event_types("event_types")
        .date_from("date_from")
        .date_to("date_to")
        .from("from")
        .take(1);
    let stub = deliveries.list("id", &params).await.unwrap();
    assert_eq!(stub.len(), 1);
    assert_eq!(stub[0].id, "id");
    let delivery = |id: &str| {
        json!({
            "id": id,
            "event_stream_id": "est_1",
            "status": "failed",
            "event_type": "user.created",
            "attempts": [{"status": "failed", "timestamp": "2026-01-15T09:30:00Z"}]
        })
    };
    // A stream whose server pages with cursors: c1 → c2 → the end.
    let page_of = delivery;
    server.answer(move |r| {
        (r.path == "/api/v2/event-streams/est_paged/deliveries").then(|| {
            if r.query.get("take").map(|t| t[0].as_str()) != Some("2") {
                return (400, json!({"message": "take must be 2"}).to_string());
            }
            let body = match r.query.get("from").map(|f| f[0].as_str()) {
                None => json!({"deliveries": [page_of("d1"), page_of("d2")], "next": "c1"}),
                Some("c1") => json!({"deliveries": [page_of("d3"), page_of("d4")], "next": "c2"}),
                Some("c2") => json!({"deliveries": [page_of("d5")]}),
                Some(_) => return (400, json!({"message": "unknown cursor"}).to_string()),
            };
            (200, body.to_string())
        })
    });
    // And one that answers the bare array, whatever `from` says.
    server.answer(move |r| {
        (r.path == "/api/v2/event-streams/est_bare/deliveries")
            .then(|| (200, json!([delivery("b1"), delivery("b2")]).to_string()))
    });
    let paged = EventStreamsDeliveriesListParams::new().take(2);
    // `list`: the items of one page of either shape.
    let first = deliveries.list("est_paged", &paged).await.unwrap();
    let ids: Vec<&str> = first.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["d1", "d2"]);
    let bare = deliveries.list("est_bare", &paged).await.unwrap();
    assert_eq!(bare.len(), 2);
    // The pager: cursors followed, the array one page.
    let mut pager = deliveries.list_pager("est_paged", paged.clone());
    let mut pages = Vec::new();
    while let Some(page) = pager.next_page().await {
        let page = page.unwrap();
        pages.push((
            page.items.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
            page.next.clone(),
        ));
    }
    assert_eq!(
        pages,
        [
            (
                vec!["d1".to_owned(), "d2".to_owned()],
                Some("c1".to_owned())
            ),
            (
                vec!["d3".to_owned(), "d4".to_owned()],
                Some("c2".to_owned())
            ),
            (vec!["d5".to_owned()], None),
        ]
    );
    assert_eq!(pager.cursor(), Some("c2"));
    let all = deliveries
        .list_pager("est_bare", paged.clone().from("start"))
        .collect_all(10)
        .await
        .unwrap();
    let ids: Vec<&str> = all.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["b1", "b2"]);
    // One `list` and one page (sent with its `from`): the array has no cursor.
    let froms: Vec<Option<String>> = server
        .api_requests()
        .iter()
        .filter(|r| r.path == "/api/v2/event-streams/est_bare/deliveries")
        .map(|r| r.query.get("from").map(|f| f[0].clone()))
        .collect();
    assert_eq!(froms, [None, Some("start".to_owned())]);
}

/// A checkpoint list asked without `from`/`take` gets a bare array from
/// Auth0; the answer type (`oneOf` array / offset page / checkpoint page)
/// reads it.
#[tokio::test]
async fn checkpoint_list_reads_a_bare_array() {
    let server = Server::start(&["/organizations"]).await;
    let (auth0, _clock) = server.client();
    server.answer(|r| {
        (r.path == "/api/v2/organizations")
            .then(|| (200, json!([{"id": "org_1", "name": "acme"}]).to_string()))
    });
    let page = auth0
        .organizations()
        .list(&auth0_management::api::OrganizationsListParams::new())
        .await
        .unwrap();
    let models::ListOrganizationsResponseContent::Array(organizations) = page else {
        panic!("a bare array decodes as one: {page:?}");
    };
    assert_eq!(organizations.len(), 1);
}

/// The 2026 description gave the Guardian push-notification providers'
/// old `set…` ids to new `PUT`s and renamed the `PATCH`es `update…`:
/// `set_apns_provider` sends `PUT`, `update_apns_provider` `PATCH` (both
/// answered by Auth0's stubs, which fail anything else).
#[tokio::test]
async fn guardian_provider_set_is_put_and_update_is_patch() {
    let server = Server::start(&["/guardian"]).await;
    let (auth0, _clock) = server.client();
    let push = auth0.guardian().factors().push_notification();
    let set = push
        .set_apns_provider(
            &models::SetGuardianFactorsProviderPushNotificationApnsRequestContent::new()
                .bundle_id("bundle_id"),
        )
        .await
        .unwrap();
    assert_eq!(set.bundle_id.as_deref(), Some("bundle_id"));
    push.update_apns_provider(
        &models::UpdateGuardianFactorsProviderPushNotificationApnsRequestContent::new()
            .sandbox(true),
    )
    .await
    .unwrap();
    push.set_fcmv1_provider(
        &models::SetGuardianFactorsProviderPushNotificationFcmv1RequestContent::new(),
    )
    .await
    .unwrap();
    push.update_fcm_provider(
        &models::UpdateGuardianFactorsProviderPushNotificationFcmRequestContent::new(),
    )
    .await
    .unwrap();
    let methods: Vec<Method> = server
        .api_requests()
        .into_iter()
        .map(|r| r.method)
        .collect();
    assert_eq!(
        methods,
        [Method::PUT, Method::PATCH, Method::PUT, Method::PATCH]
    );
}

/// Nullable fields of PATCH bodies are tri-state: a set value is sent, a
/// cleared one is sent as `null`, an untouched one is not sent at all.
#[tokio::test]
async fn patch_bodies_send_null_for_cleared_fields_and_omit_absent_ones() {
    use auth0_management::Patch;

    let server = Server::start(&["/clients"]).await;
    let (auth0, _clock) = server.client();
    server.answer(|r| {
        (r.method == Method::PATCH && r.path == "/api/v2/clients/cid")
            .then(|| (200, json!({"client_id": "cid", "name": "Shop"}).to_string()))
    });
    let body = models::UpdateClientRequestContent::new()
        .name("Shop")
        .clear_logo_uri();
    assert_eq!(body.logo_uri, Patch::Null);
    assert!(body.description.is_absent());
    let client = auth0.clients().update("cid", &body).await.unwrap();
    assert_eq!(client.name.as_deref(), Some("Shop"));
    let sent = server.api_requests().pop().unwrap();
    let sent: serde_json::Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(sent, json!({"name": "Shop", "logo_uri": null}));

    // Reading a PATCH body keeps the three states apart too.
    let read: models::UpdateClientRequestContent =
        serde_json::from_value(json!({"logo_uri": null, "name": "x"})).unwrap();
    assert_eq!(
        (read.logo_uri, read.name, read.description),
        (Patch::Null, Patch::Value("x".to_owned()), Patch::Absent)
    );
}

/// Array query parameters take a slice (or one value per call), sent as
/// repeated keys; enum parameters, single-valued ones included, are typed.
#[tokio::test]
async fn array_parameters_take_slices_and_enum_parameters_are_typed() {
    let server = Server::start(&["/resource-servers", "/client-grants", "/clients"]).await;
    let (auth0, _clock) = server.client();
    server.answer(|r| {
        (r.method == Method::GET).then(|| {
            let body = match r.path.as_str() {
                "/api/v2/clients/cid/connections" => json!({"connections": []}),
                _ => json!([]),
            };
            (200, body.to_string())
        })
    });
    let wanted = vec!["https://a.example/api".to_owned(), "urn:b".to_owned()];
    auth0
        .resource_servers()
        .list(&auth0_management::api::ResourceServersListParams::new().identifiers_all(&wanted))
        .await
        .unwrap();
    auth0
        .client_grants()
        .list(
            &auth0_management::api::ClientGrantsListParams::new()
                .default_for(models::ClientGrantDefaultForEnum::ThirdPartyClients),
        )
        .await
        .unwrap();
    auth0
        .clients()
        .connections()
        .get(
            "cid",
            &auth0_management::api::ClientsConnectionsGetParams::new()
                .strategy_all(&["ad", "auth0"])
                .strategy(models::ConnectionStrategyEnum::Samlp),
        )
        .await
        .unwrap();
    let sent = server.api_requests();
    assert_eq!(sent[0].query["identifiers"], wanted);
    assert_eq!(sent[1].query["default_for"], ["third_party_clients"]);
    assert_eq!(sent[2].query["strategy"], ["ad", "auth0", "samlp"]);
}

/// Pagers are streams too: of items or of pages; a stream ends after the
/// first error instead of retrying the failed page forever.
#[tokio::test]
async fn pagers_are_streams_of_items_and_pages() {
    use futures_util::{StreamExt, TryStreamExt};

    let server = Server::start(&["/roles"]).await;
    let (auth0, _clock) = server.client();
    server.answer(|r| {
        (r.path == "/api/v2/roles").then(|| {
            let page: u64 = r.query["page"][0].parse().unwrap();
            let roles: Vec<_> = (page * 2..(page * 2 + 2).min(5))
                .map(|i| json!({"id": format!("rol_{i}")}))
                .collect();
            let body = json!({"start": page * 2, "limit": 2, "total": 5, "roles": roles});
            (200, body.to_string())
        })
    });
    let ids: Vec<String> = auth0
        .roles()
        .list_pager(RolesListParams::new().per_page(2))
        .into_stream()
        .map_ok(|role| role.id.unwrap_or_default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["rol_0", "rol_1", "rol_2", "rol_3", "rol_4"]);
    let sizes: Vec<usize> = auth0
        .roles()
        .list_pager(RolesListParams::new().per_page(2))
        .into_pages()
        .map_ok(|page| page.items.len())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(sizes, [2, 2, 1]);

    server.answer(|r| {
        (r.path == "/api/v2/roles").then(|| (200, json!({"roles": "not a list"}).to_string()))
    });
    let results: Vec<_> = auth0
        .roles()
        .list_pager(RolesListParams::new())
        .into_stream()
        .collect()
        .await;
    assert_eq!(results.len(), 1);
    assert!(matches!(
        results[0],
        Err(auth0_management::Error::InvalidPage { .. })
    ));
}

/// `GET /clients` answers an offset page (`page`/`per_page` with
/// `include_totals`) or a checkpoint page (`from`/`take`); every field of
/// both is optional, so the answer type tells them apart by their keys:
/// `next` ⇒ checkpoint, `start`/`limit`/`total` ⇒ offset, the items alone
/// ⇒ the last checkpoint page. Both pagers walk the same tenant.
#[tokio::test]
async fn clients_list_decodes_offset_and_checkpoint_pages_by_their_keys() {
    use auth0_management::api::ClientsListParams;
    use models::ListClientsResponse;

    let server = Server::start(&["/clients"]).await;
    let (auth0, _clock) = server.client();
    let client = |i: u64| json!({"client_id": format!("c{i}"), "name": format!("app {i}")});
    server.answer(move |r| {
        if r.path != "/api/v2/clients" {
            return None;
        }
        let body = if let Some(page) = r.query.get("page") {
            let page: u64 = page[0].parse().unwrap();
            assert_eq!(r.query["include_totals"], ["true"]);
            json!({"start": page, "limit": 1, "total": 2, "clients": [client(page)]})
        } else {
            assert_eq!(r.query["take"], ["1"]);
            match r.query.get("from").map(|f| f[0].as_str()) {
                None => json!({"clients": [client(0)], "next": "cur1"}),
                Some("cur1") => json!({"clients": [client(1)]}),
                Some(other) => panic!("unexpected cursor {other}"),
            }
        };
        Some((200, body.to_string()))
    });

    let first = auth0
        .clients()
        .list(&ClientsListParams::new().take(1))
        .await
        .unwrap();
    let ListClientsResponse::Checkpoint(page) = first else {
        panic!("`next` makes a checkpoint page: {first:?}");
    };
    assert_eq!(page.next.as_deref(), Some("cur1"));
    assert_eq!(page.clients.unwrap()[0].client_id.as_deref(), Some("c0"));
    assert!(page.extra.is_empty());

    let last = auth0
        .clients()
        .list(&ClientsListParams::new().from("cur1").take(1))
        .await
        .unwrap();
    let ListClientsResponse::Checkpoint(page) = last else {
        panic!("the last checkpoint page (no `next`) is one too: {last:?}");
    };
    assert_eq!((page.next, page.clients.map(|c| c.len())), (None, Some(1)));

    let offset = auth0
        .clients()
        .list(
            &ClientsListParams::new()
                .page(1)
                .per_page(1)
                .include_totals(true),
        )
        .await
        .unwrap();
    let ListClientsResponse::Offset(page) = offset else {
        panic!("`start`/`limit`/`total` make an offset page: {offset:?}");
    };
    assert_eq!(
        (page.start, page.limit, page.total),
        (Some(1.0), Some(1.0), Some(2.0))
    );
    assert_eq!(page.clients.unwrap()[0].client_id.as_deref(), Some("c1"));

    let by_offset = auth0
        .clients()
        .list_pager(ClientsListParams::new().per_page(1))
        .collect_all(10)
        .await
        .unwrap();
    let by_checkpoint = auth0
        .clients()
        .list_checkpoint_pager(ClientsListParams::new().take(1))
        .collect_all(10)
        .await
        .unwrap();
    for all in [by_offset, by_checkpoint] {
        let ids: Vec<_> = all.into_iter().filter_map(|c| c.client_id).collect();
        assert_eq!(ids, ["c0", "c1"]);
    }
}

/// A union of objects with optional fields only, outside lists: the key
/// present picks the member, and a key of another member is kept, not
/// dropped.
#[test]
fn unions_of_optional_objects_are_told_apart_by_their_keys() {
    use models::{ConnectionUpstreamAdditionalProperties as Upstream, ListClientsResponse};

    let value: Upstream = serde_json::from_value(json!({"value": "x"})).unwrap();
    assert!(
        matches!(value, Upstream::Value(ref v) if v.value.as_deref() == Some("x")),
        "{value:?}"
    );
    let alias: Upstream = serde_json::from_value(json!({"alias": "email"})).unwrap();
    assert!(matches!(alias, Upstream::Alias(_)), "{alias:?}");

    let both = json!({"clients": [], "next": "n", "total": 3});
    let page: ListClientsResponse = serde_json::from_value(both.clone()).unwrap();
    let ListClientsResponse::Checkpoint(ref checkpoint) = page else {
        panic!("{page:?}");
    };
    assert_eq!(checkpoint.extra["total"], json!(3.0));
    assert_eq!(
        serde_json::to_value(&page).unwrap(),
        json!({"clients": [], "next": "n", "total": 3.0})
    );
}
