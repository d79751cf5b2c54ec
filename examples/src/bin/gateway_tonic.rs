//! auth0-jwt's `BearerAuthLayer` on a tonic gRPC server
//! (`Server::builder().layer(…)`), in front of tonic-health's prebuilt
//! `grpc.health.v1.Health` service (no protoc, no code generation).
//!
//! The layer answers a refused request with HTTP 401/403/400/503 and an
//! RFC 6750 `WWW-Authenticate` header. A gRPC client maps a bare 401 to
//! `Unauthenticated` by the gRPC HTTP-status table, but without the reason;
//! the small `grpc_status` mapping here (a `MapResponseLayer` outside the
//! auth layer) turns those answers into proper trailers-only gRPC answers —
//! `grpc-status` 16 `Unauthenticated` (7 `PermissionDenied` for
//! `insufficient_scope`, 14 `Unavailable` when keys cannot be fetched) with
//! the challenge's `error_description` as `grpc-message` — and keeps
//! `WWW-Authenticate` in the metadata.
//!
//! ```text
//! cargo run -p auth0-examples --features tonic --bin gateway_tonic            # serve on 127.0.0.1:50051
//! cargo run -p auth0-examples --features tonic --bin gateway_tonic -- --self-test # valid/missing/bad token, exit 0/1
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;

use auth0_examples::BoxError;
use auth0_jwt::layer::BearerAuthLayer;
use http::StatusCode;
use http::header::WWW_AUTHENTICATE;
use tokio::net::TcpListener;
use tonic::body::Body;
use tonic::metadata::MetadataValue;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Endpoint, Server};
use tonic::{Code, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tower::util::MapResponseLayer;

/// The auth layer's HTTP refusals as gRPC statuses (trailers-only answers),
/// the `WWW-Authenticate` challenge kept; everything else untouched.
fn grpc_status(response: http::Response<Body>) -> http::Response<Body> {
    let code = match response.status() {
        StatusCode::UNAUTHORIZED | StatusCode::BAD_REQUEST => Code::Unauthenticated,
        StatusCode::FORBIDDEN => Code::PermissionDenied,
        StatusCode::SERVICE_UNAVAILABLE => Code::Unavailable,
        _ => return response,
    };
    let challenge = response.headers().get(WWW_AUTHENTICATE).cloned();
    let message = challenge
        .as_ref()
        .and_then(|c| c.to_str().ok())
        .and_then(|c| c.split("error_description=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("authentication required")
        .to_owned();
    let mut answer = Status::new(code, message).into_http::<Body>();
    if let Some(challenge) = challenge {
        answer.headers_mut().insert(WWW_AUTHENTICATE, challenge);
    }
    answer
}

#[tokio::main]
async fn main() -> ExitCode {
    auth0_examples::exit_code("gateway_tonic", run().await)
}

async fn run() -> Result<(), BoxError> {
    let self_testing = std::env::args().any(|a| a == "--self-test");
    let api = auth0_examples::local_api().await?;

    let (_reporter, health) = tonic_health::server::health_reporter();
    let listener = TcpListener::bind(("127.0.0.1", if self_testing { 0 } else { 50051 })).await?;
    let addr = listener.local_addr()?;
    // The layer as-is, inside the gRPC status mapping (outermost first).
    let server = Server::builder()
        .layer(MapResponseLayer::new(grpc_status))
        .layer(BearerAuthLayer::new(api.validator))
        .add_service(health)
        .serve_with_incoming(TcpIncoming::from(listener));
    let server = tokio::spawn(server);

    if !self_testing {
        println!("gateway (tonic) listening on {addr}");
        println!(
            "grpcurl -plaintext -H 'authorization: Bearer {}' {addr} grpc.health.v1.Health/Check",
            api.token
        );
        server.await??;
        return Ok(());
    }
    let result = self_test(addr, &api.token).await;
    server.abort();
    result?;
    println!("self-test passed");
    Ok(())
}

/// Health check with an optional bearer token.
async fn check(addr: SocketAddr, token: Option<&str>) -> Result<Result<i32, Status>, BoxError> {
    let channel = Endpoint::from_shared(format!("http://{addr}"))?
        .connect()
        .await?;
    let authorization = token
        .map(|t| MetadataValue::try_from(format!("Bearer {t}")))
        .transpose()?;
    let mut client =
        HealthClient::with_interceptor(channel, move |mut request: tonic::Request<()>| {
            if let Some(value) = &authorization {
                request
                    .metadata_mut()
                    .insert("authorization", value.clone());
            }
            Ok(request)
        });
    let answer = client
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await;
    Ok(answer.map(|response| response.into_inner().status))
}

/// A valid token is served; a missing or bad one is `Unauthenticated`,
/// with the challenge in the metadata.
async fn self_test(addr: SocketAddr, token: &str) -> Result<(), BoxError> {
    match check(addr, Some(token)).await? {
        Ok(status) if status == ServingStatus::Serving as i32 => {
            println!("valid token: SERVING");
        }
        other => return Err(format!("valid token: expected SERVING, got {other:?}").into()),
    }
    let mut bad = token.to_owned();
    bad.truncate(bad.len().saturating_sub(4));
    bad.push_str("AAAA");
    for (name, token) in [("missing token", None), ("bad token", Some(bad.as_str()))] {
        match check(addr, token).await? {
            Err(status)
                if status.code() == Code::Unauthenticated
                    && status.metadata().get("www-authenticate").is_some() =>
            {
                println!("{name}: {:?} \"{}\"", status.code(), status.message());
            }
            other => {
                return Err(format!(
                    "{name}: expected Unauthenticated with a challenge, got {other:?}"
                )
                .into());
            }
        }
    }
    Ok(())
}
