//! The `auth0.request` span of Management calls, captured with a
//! `tracing-subscriber` layer (as auth0-core's tests/tracing.rs does):
//! every generated operation names itself by its operationId and path
//! template, never by the ids in its path.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use auth0_core::Auth0Client;
use auth0_local::LocalTenant;
use auth0_management::api::{RolesListParams, UsersGetParams};
use auth0_management::models::{CreateRoleRequestContent, CreateUserRequestContent};
use auth0_management::{ClientCredentials, ManagementClient};
use tracing::Subscriber;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

type FieldMap = BTreeMap<String, String>;

/// Every `auth0.request` span: id → fields.
#[derive(Default, Clone)]
struct Captured(Arc<Mutex<BTreeMap<u64, FieldMap>>>);

struct Fields<'a>(&'a mut FieldMap);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Captured {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        if attrs.metadata().name() != "auth0.request" {
            return;
        }
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().insert(id.into_u64(), fields);
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        if let Some(fields) = self.0.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut Fields(fields));
        }
    }
}

impl Captured {
    fn spans(&self) -> Vec<FieldMap> {
        self.0.lock().unwrap().values().cloned().collect()
    }

    /// The spans of operation `id`.
    fn of(&self, id: &str) -> Vec<FieldMap> {
        self.spans()
            .into_iter()
            .filter(|f| f.get("auth0.operation").map(String::as_str) == Some(id))
            .collect()
    }
}

fn client(tenant: &LocalTenant) -> ManagementClient {
    let http = Auth0Client::new(tenant.client_config().build().unwrap()).unwrap();
    let machine = &tenant.applications().machine;
    ManagementClient::builder(http)
        .client_credentials(
            ClientCredentials::new(
                machine.client_id(),
                machine.client_secret().unwrap_or_default(),
            )
            .audience(tenant.management_audience()),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn generated_operations_name_their_id_and_path_template() {
    let captured = Captured::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(captured.clone()));
    let tenant = LocalTenant::builder().start().await.unwrap();
    let auth0 = client(&tenant);

    let user = auth0
        .users()
        .create(
            &CreateUserRequestContent::new("Username-Password-Authentication")
                .email("traced@example.com")
                .password("a long passphrase for tracing"),
        )
        .await
        .unwrap();
    let id = user.user_id.unwrap();
    auth0
        .users()
        .get(&id, &UsersGetParams::new())
        .await
        .unwrap();
    auth0
        .roles()
        .create(&CreateRoleRequestContent::new("traced-role"))
        .await
        .unwrap();
    // A pager sends its pages as the operation too.
    let mut pager = auth0
        .roles()
        .list_pager(RolesListParams::new().per_page(10));
    while let Some(page) = pager.next_page().await {
        page.unwrap();
    }

    let get = captured.of("users_get");
    assert_eq!(get.len(), 1, "{:?}", captured.spans());
    assert_eq!(get[0]["url.template"], "/api/v2/users/{id}");
    assert_eq!(get[0]["otel.name"], "GET /api/v2/users/{id}");
    assert_eq!(get[0]["http.response.status_code"], "200");
    let create = captured.of("users_create");
    assert_eq!(create.len(), 1);
    assert_eq!(create[0]["otel.name"], "POST /api/v2/users");
    assert_eq!(captured.of("roles_create").len(), 1);
    let pages = captured.of("roles_list");
    assert!(!pages.is_empty());
    assert!(pages.iter().all(|p| p["url.template"] == "/api/v2/roles"));

    // Every Management call is named; the token request is auth0-core's own.
    for span in captured.spans() {
        let name = &span["otel.name"];
        if name.contains("/api/v2/") {
            assert!(span.contains_key("auth0.operation"), "{span:?}");
        }
        // The user id (and its encoded form) is in no span.
        let text = format!("{span:?}");
        assert!(!text.contains(&id), "{text}");
        assert!(!text.contains(&id.replace('|', "%7C")), "{text}");
    }
}

/// The `auth0.request` spans of one client-credentials grant sent by the
/// Authentication API client over `http`.
async fn token_grant_spans<S: auth0_core::types::HttpService>(
    tenant: &LocalTenant,
    http: Auth0Client<S>,
) -> Vec<FieldMap> {
    use auth0_authentication::{AuthenticationClient, ClientAuthentication};
    let machine = &tenant.applications().machine;
    let captured = Captured::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(captured.clone()));
    let auth = AuthenticationClient::builder(http, machine.client_id())
        .client_authentication(ClientAuthentication::ClientSecret(
            machine.client_secret().unwrap().to_owned(),
        ))
        .build()
        .unwrap();
    auth.client_credentials(tenant.api_audience(), None)
        .await
        .unwrap();
    captured.of("oauth_token")
}

/// The Authentication API client names its calls the same way (it sends
/// them with `Auth0Client::send_operation`, as the Management client does):
/// on the default stack alone, and with a layer of the caller's, which also
/// finds the `Operation` in the request's extensions.
#[tokio::test]
async fn authentication_calls_name_their_operation_on_every_stack() {
    use auth0_core::trace::Operation;
    use auth0_core::types::HttpRequest;

    let tenant = LocalTenant::builder().start().await.unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let layered = Auth0Client::builder(tenant.client_config().build().unwrap())
        .with_layer(tower::util::MapRequestLayer::new(
            move |req: HttpRequest| {
                log.lock()
                    .unwrap()
                    .push(req.extensions().get::<Operation>().copied());
                req
            },
        ))
        .build()
        .unwrap();
    let plain = Auth0Client::new(tenant.client_config().build().unwrap()).unwrap();
    let spans = [
        token_grant_spans(&tenant, plain).await,
        token_grant_spans(&tenant, layered).await,
    ];
    for token in spans {
        assert_eq!(token.len(), 1, "{token:?}");
        assert_eq!(token[0]["url.template"], "/oauth/token");
        assert_eq!(token[0]["otel.name"], "POST /oauth/token");
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].map(|op| op.name()), Some("oauth_token"));
}
