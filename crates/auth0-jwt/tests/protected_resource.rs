//! RFC 9728 protected-resource metadata: the document, its well-known URL,
//! the layer serving it, and `resource_metadata` in the bearer and DPoP
//! challenges (RFC 9728 §5.1).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;

use auth0_jwt::access_token::AccessTokenValidator;
use auth0_jwt::alg::Algorithm;
use auth0_jwt::dpop::{DpopAccessTokenValidator, DpopAuthLayer, DpopMode, DpopValidator};
use auth0_jwt::layer::BearerAuthLayer;
use auth0_jwt::resource_metadata::{ProtectedResourceMetadata, ResourceMetadataError};
use auth0_jwt::sign::SigningKey;
use auth0_jwt::verifier::StaticKeys;
use http::{Request, Response, StatusCode};
use serde_json::{Value, json};
use tower::{Layer, ServiceExt, service_fn};

const METADATA_URL: &str = "https://api.example.com/.well-known/oauth-protected-resource/orders";

fn metadata() -> ProtectedResourceMetadata {
    ProtectedResourceMetadata::builder("https://api.example.com/orders")
        .authorization_server("https://login.a.com/")
        .authorization_server("https://tenant.auth0.com/")
        .scopes_supported(["read:orders", "write:orders"])
        .dpop_signing_alg_values_supported([Algorithm::ES256, Algorithm::EdDSA])
        .dpop_bound_access_tokens_required(true)
        .resource_name("Orders")
        .member("resource_documentation", json!("https://docs.example.com"))
        .build()
        .unwrap()
}

fn validator() -> AccessTokenValidator {
    let key = SigningKey::generate_es256().unwrap();
    AccessTokenValidator::builder()
        .key_source(StaticKeys::from_key(key.verifying_key().unwrap()))
        .issuer("https://tenant.auth0.com/")
        .audience("https://api.example.com/orders")
        .algorithms([Algorithm::ES256])
        .build()
        .unwrap()
}

fn api()
-> impl tower::Service<Request<()>, Response = Response<String>, Error = Infallible, Future = impl Send>
+ Clone
+ Send {
    service_fn(|_: Request<()>| async { Ok::<_, Infallible>(Response::new("api".to_owned())) })
}

#[test]
fn the_document_and_its_url() {
    let m = metadata();
    assert_eq!(m.url(), METADATA_URL);
    assert_eq!(m.path(), "/.well-known/oauth-protected-resource/orders");
    let doc: Value = serde_json::from_str(m.json()).unwrap();
    assert_eq!(
        doc,
        json!({
            "resource": "https://api.example.com/orders",
            "authorization_servers": ["https://login.a.com/", "https://tenant.auth0.com/"],
            "scopes_supported": ["read:orders", "write:orders"],
            "bearer_methods_supported": ["header"],
            "dpop_signing_alg_values_supported": ["ES256", "EdDSA"],
            "dpop_bound_access_tokens_required": true,
            "resource_name": "Orders",
            "resource_documentation": "https://docs.example.com",
        })
    );
    // A resource at the root: the well-known path alone (§3.1); a trailing
    // slash is dropped first.
    for resource in ["https://api.example.com", "https://api.example.com/"] {
        let m = ProtectedResourceMetadata::builder(resource)
            .build()
            .unwrap();
        assert_eq!(
            m.url(),
            "https://api.example.com/.well-known/oauth-protected-resource"
        );
    }
    // §1.2: https, no query, no fragment (http only on loopback).
    for bad in [
        "http://api.example.com",
        "https://api.example.com/?a=1",
        "https://api.example.com/#x",
        "api.example.com",
        "ftp://api.example.com",
    ] {
        assert!(
            matches!(
                ProtectedResourceMetadata::builder(bad).build(),
                Err(ResourceMetadataError::Resource { .. })
            ),
            "{bad}"
        );
    }
    assert!(
        ProtectedResourceMetadata::builder("http://127.0.0.1:8080/api")
            .build()
            .is_ok()
    );
    assert_eq!(
        ProtectedResourceMetadata::builder("https://api.example.com")
            .authorization_server("tenant.auth0.com")
            .build()
            .unwrap_err(),
        ResourceMetadataError::AuthorizationServer
    );
}

#[tokio::test]
async fn the_layer_serves_it_without_authentication() {
    let m = metadata();
    let service = m.layer().layer(
        BearerAuthLayer::new(validator())
            .resource_metadata(&m)
            .layer(api()),
    );
    let response = service
        .clone()
        .oneshot(Request::get(m.path()).body(()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    let doc: Value = serde_json::from_str(response.body()).unwrap();
    assert_eq!(doc["resource"], "https://api.example.com/orders");
    // HEAD: headers only.
    let response = service
        .clone()
        .oneshot(Request::head(m.path()).body(()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.body().is_empty());
    // Anything else goes through authentication.
    let response = service
        .clone()
        .oneshot(Request::post(m.path()).body(()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = service
        .oneshot(Request::get("/orders").body(()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

fn challenges(response: &Response<String>) -> Vec<String> {
    response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn bearer_challenges_name_the_metadata() {
    let m = metadata();
    let service = BearerAuthLayer::new(validator())
        .realm("orders")
        .resource_metadata(&m)
        .layer(api());
    let call = |auth: Option<&str>| {
        let mut request = Request::get("/orders");
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        service.clone().oneshot(request.body(()).unwrap())
    };
    let response = call(None).await.unwrap();
    assert_eq!(
        challenges(&response),
        [format!(
            "Bearer realm=\"orders\", resource_metadata=\"{METADATA_URL}\""
        )]
    );
    let response = call(Some("Bearer not.a.jwt")).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(challenges(&response)[0].starts_with(&format!(
        "Bearer realm=\"orders\", resource_metadata=\"{METADATA_URL}\", error=\"invalid_token\""
    )));
    let response = call(Some("Bearer a b")).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(challenges(&response)[0].contains(&format!("resource_metadata=\"{METADATA_URL}\"")));

    // Without a realm.
    let service = BearerAuthLayer::new(validator())
        .resource_metadata(&m)
        .layer(api());
    let response = service
        .oneshot(Request::get("/").body(()).unwrap())
        .await
        .unwrap();
    assert_eq!(
        challenges(&response),
        [format!("Bearer resource_metadata=\"{METADATA_URL}\"")]
    );
}

#[tokio::test]
async fn dpop_challenges_name_it_too() {
    let m = metadata();
    let layer = |mode| {
        DpopAuthLayer::new(DpopAccessTokenValidator::new(
            validator(),
            DpopValidator::builder().build().unwrap(),
            mode,
        ))
        .resource_metadata(&m)
    };
    let response = layer(DpopMode::Allowed)
        .layer(api())
        .oneshot(Request::get("/orders").body(()).unwrap())
        .await
        .unwrap();
    assert_eq!(
        challenges(&response),
        [
            format!("Bearer resource_metadata=\"{METADATA_URL}\""),
            format!("DPoP resource_metadata=\"{METADATA_URL}\", algs=\"ES256\""),
        ]
    );
    let response = layer(DpopMode::Required)
        .realm("orders")
        .layer(api())
        .oneshot(
            Request::get("/orders")
                .header("host", "api.example.com")
                .header("authorization", "DPoP not.a.jwt")
                .header("dpop", "x.y.z")
                .body(())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenges(&response),
        [format!(
            "DPoP realm=\"orders\", resource_metadata=\"{METADATA_URL}\", error=\"invalid_token\", error_description=\"The access token is malformed\", algs=\"ES256\""
        )]
    );
}

/// GET/HEAD of `path` through `service`, without credentials.
async fn fetch<S>(service: &S, method: http::Method, path: &str) -> Response<String>
where
    S: tower::Service<Request<()>, Response = Response<String>, Error = Infallible> + Clone,
{
    let request = Request::builder()
        .method(method)
        .uri(path)
        .body(())
        .unwrap();
    service.clone().oneshot(request).await.unwrap()
}

const METADATA_PATH: &str = "/.well-known/oauth-protected-resource/orders";

#[tokio::test]
async fn the_bearer_layer_serves_the_document_itself() {
    let m = metadata();
    let service = BearerAuthLayer::new(validator())
        .serve_resource_metadata::<String>(&m)
        .layer(api());
    // GET of the path-suffixed well-known URL (RFC 9728 §3.1): the JSON, no
    // credentials needed, the API not reached.
    let response = fetch(&service, http::Method::GET, METADATA_PATH).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    let doc: Value = serde_json::from_str(response.body()).unwrap();
    assert_eq!(doc["resource"], "https://api.example.com/orders");
    assert_eq!(response.body(), m.json());
    // HEAD: the headers, no body.
    let response = fetch(&service, http::Method::HEAD, METADATA_PATH).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.body().is_empty());
    // Anything else is protected, and the challenge names the same URL.
    for (method, path) in [
        (http::Method::POST, METADATA_PATH),
        (http::Method::GET, "/.well-known/oauth-protected-resource"),
        (http::Method::GET, "/orders"),
    ] {
        let response = fetch(&service, method.clone(), path).await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
        assert_eq!(
            challenges(&response),
            [format!("Bearer resource_metadata=\"{METADATA_URL}\"")]
        );
        assert!(METADATA_URL.ends_with(METADATA_PATH));
    }
    // A resource without a path: the bare well-known path.
    let root = ProtectedResourceMetadata::builder("https://api.example.com")
        .authorization_server("https://tenant.auth0.com/")
        .build()
        .unwrap();
    let service = BearerAuthLayer::new(validator())
        .serve_resource_metadata::<String>(&root)
        .layer(api());
    let response = fetch(
        &service,
        http::Method::GET,
        "/.well-known/oauth-protected-resource",
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body(), root.json());
    // Configured for another body type: not served (handled as any request).
    let service = BearerAuthLayer::new(validator())
        .serve_resource_metadata::<bytes::Bytes>(&m)
        .layer(api());
    let response = fetch(&service, http::Method::GET, METADATA_PATH).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_dpop_layer_serves_the_document_itself() {
    let m = metadata();
    let service = DpopAuthLayer::new(DpopAccessTokenValidator::new(
        validator(),
        DpopValidator::builder().build().unwrap(),
        DpopMode::Required,
    ))
    .serve_resource_metadata::<String>(&m)
    .layer(api());
    let response = fetch(&service, http::Method::GET, METADATA_PATH).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body(), m.json());
    let response = fetch(&service, http::Method::HEAD, METADATA_PATH).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.body().is_empty());
    let response = fetch(&service, http::Method::GET, "/orders").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenges(&response),
        [format!(
            "DPoP resource_metadata=\"{METADATA_URL}\", algs=\"ES256\""
        )]
    );
}
