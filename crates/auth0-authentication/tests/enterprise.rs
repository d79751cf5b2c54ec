//! SAML and WS-Federation metadata against an in-process Authentication
//! API: paths, headers, text decoding and error mapping.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use auth0_core::Error;
use http::Method;
use support::{Clients as _, Fault, LocalTenant, answer_with, json, scripted, text};

const SAML_XML: &str = r#"<?xml version="1.0"?>
<EntityDescriptor entityID="urn:tenant.auth0.com" xmlns="urn:oasis:names:tc:SAML:2.0:metadata">
  <IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://tenant.auth0.com/samlp/client-123"/>
  </IDPSSODescriptor>
  <!-- Zürich: non-ASCII survives -->
</EntityDescriptor>
"#;

fn xml(status: u16, body: &str) -> Fault {
    Fault::reply_raw(status, body.to_owned())
        .with_header("content-type", "application/xml; charset=utf-8")
}

#[tokio::test]
async fn saml_metadata_gets_the_document_of_the_client() {
    let server = scripted(vec![xml(200, SAML_XML)]).await;
    let auth = server.secret_client();
    let text = auth.saml_metadata(auth.client_id()).await.unwrap();
    assert_eq!(text, SAML_XML);

    let req = server.only_request();
    assert_eq!(req.method, Method::GET);
    assert_eq!(req.uri.path(), "/samlp/metadata/client-123");
    assert!(req.uri.query().is_none());
    assert!(req.body.is_empty());
    assert!(req.headers.get("authorization").is_none());
    let accept = req.headers["accept"].to_str().unwrap();
    assert!(accept.contains("application/xml"), "{accept}");
}

#[tokio::test]
async fn saml_metadata_percent_encodes_the_client_id() {
    let server = scripted(vec![xml(200, SAML_XML)]).await;
    server
        .secret_client()
        .saml_metadata("other app/../x?y")
        .await
        .unwrap();
    assert_eq!(
        server.only_request().uri.to_string(),
        "/samlp/metadata/other%20app%2F..%2Fx%3Fy"
    );
}

#[tokio::test]
async fn saml_metadata_refuses_an_empty_client_id_without_sending() {
    let server = scripted(vec![xml(200, SAML_XML)]).await;
    for id in ["", ".."] {
        let err = server.secret_client().saml_metadata(id).await.unwrap_err();
        assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    }
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn wsfed_metadata_path() {
    let server = scripted(vec![xml(200, SAML_XML)]).await;
    let text = server.secret_client().wsfed_metadata().await.unwrap();
    assert_eq!(text, SAML_XML);
    let req = server.only_request();
    assert_eq!(req.method, Method::GET);
    assert_eq!(
        req.uri.path(),
        "/wsfed/FederationMetadata/2007-06/FederationMetadata.xml"
    );
}

#[tokio::test]
async fn an_unknown_client_is_the_usual_api_error() {
    let server = scripted(vec![text(404, "Not Found")]).await;
    let err = server
        .secret_client()
        .saml_metadata("no-such-app")
        .await
        .unwrap_err();
    let Error::Api(api) = &err else {
        panic!("expected Api, got {err:?}");
    };
    assert_eq!(api.status_code, 404);
    assert_eq!(api.message, "Not Found");
}

#[tokio::test]
async fn an_empty_document_is_a_decode_error() {
    let server = answer_with(|_, n| {
        if n == 0 {
            json(200, "")
        } else {
            text(200, "   \n")
        }
    })
    .await;
    let auth = server.secret_client();
    for _ in 0..2 {
        let err = auth.wsfed_metadata().await.unwrap_err();
        let Error::Decode { status, .. } = &err else {
            panic!("expected Decode, got {err:?}");
        };
        assert_eq!(*status, 200);
    }
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn invalid_utf8_is_a_decode_error_naming_the_status() {
    // Latin-1 "Zürich": 0xFC is not UTF-8.
    let server = raw_body_server(b"<EntityDescriptor>Z\xFCrich</EntityDescriptor>").await;
    let err = server.secret_client().wsfed_metadata().await.unwrap_err();
    let Error::Decode {
        status,
        body_snippet,
        source,
    } = &err
    else {
        panic!("expected Decode, got {err:?}");
    };
    assert_eq!(*status, 200);
    assert!(body_snippet.contains("EntityDescriptor"), "{body_snippet}");
    // The decoder's message, scrubbed like every text taken from a response.
    let decode = source.downcast_ref::<auth0_core::DecodeError>().unwrap();
    assert!(decode.message().contains("utf-8"), "{}", decode.message());
}

#[tokio::test]
async fn metadata_answered_503_is_retried_because_get_is_idempotent() {
    let server = scripted(vec![
        text(503, "Service Unavailable").with_header("retry-after", "0"),
        xml(200, SAML_XML),
    ])
    .await;
    let text = server.secret_client().wsfed_metadata().await.unwrap();
    assert_eq!(text, SAML_XML);
    assert_eq!(server.request_count(), 2);
}

/// A tenant answering every request with `body` as is (bytes that are not
/// UTF-8 included).
async fn raw_body_server(body: &'static [u8]) -> LocalTenant {
    scripted(vec![
        Fault::reply_raw(200, body).with_header("content-type", "application/xml"),
    ])
    .await
}
