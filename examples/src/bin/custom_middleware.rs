//! Composing your own tower middleware with the SDK's HTTP stack.
//!
//! Every SDK client sits on an `Auth0Client<S>`, generic over the tower
//! service `S` that carries its requests. This program shows the two ways to
//! put your own middleware there, with the Management API on top:
//!
//! 1. **`with_layer`** wraps the whole default stack (deadline, retry, rate
//!    limit, attempt timeout, telemetry, transport). A layer there sees one
//!    request per SDK call, after retries: the place for call logging,
//!    metrics per operation, tracing spans, a concurrency limit.
//! 2. **`from_service`** takes a stack you assemble from the SDK's public
//!    layers. Here a layer goes *between* the retry layer and the attempt
//!    timeout, so it sees every attempt; and a fault injector sits just
//!    above the transport, answering the first Management request with a
//!    `503` so the retry shows. A `GET` is retried (idempotent); a `PATCH` is
//!    not — it might have been applied — and the `503` reaches the caller.
//!
//! It always runs against the local tenant on 127.0.0.1 (the fault
//! injection is the point, not the tenant).
//!
//! ```text
//! cargo run -p auth0-examples --bin custom_middleware
//! ```

use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use auth0_core::retry::{Attempts, RetryLayer, RetryPolicy};
use auth0_core::telemetry::TelemetryLayer;
use auth0_core::timeout::{DeadlineLayer, TimeoutLayer};
use auth0_core::transport::HttpTransport;
use auth0_core::types::{BoxError, HttpRequest, HttpResponse};
use auth0_core::{Auth0Client, ClientBuilder, ClientConfig};
use auth0_management::api::UsersGetParams;
use auth0_management::models::UpdateUserRequestContent;
use auth0_management::{ClientCredentials, ManagementClient};
use bytes::Bytes;
use tower::{Layer, Service, ServiceBuilder};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

#[tokio::main]
async fn main() -> ExitCode {
    auth0_examples::exit_code("custom_middleware", run().await)
}

// --- 1. A call log: one entry per SDK call, with the attempts it took ---

/// What [`CallLog`] records of one call. Only the method and path: headers
/// carry the bearer token and bodies may carry secrets.
#[derive(Debug, Clone)]
struct CallRecord {
    method: http::Method,
    path: String,
    status: Option<u16>,
    attempts: u32,
    elapsed: Duration,
}

/// Records every call that passes through it.
#[derive(Clone, Default)]
struct CallLogLayer {
    records: Arc<Mutex<Vec<CallRecord>>>,
}

impl CallLogLayer {
    fn records(&self) -> Vec<CallRecord> {
        self.records.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl<S> Layer<S> for CallLogLayer {
    type Service = CallLog<S>;

    fn layer(&self, inner: S) -> CallLog<S> {
        CallLog {
            inner,
            records: self.records.clone(),
        }
    }
}

#[derive(Clone)]
struct CallLog<S> {
    inner: S,
    records: Arc<Mutex<Vec<CallRecord>>>,
}

impl<S> Service<HttpRequest> for CallLog<S>
where
    S: Service<HttpRequest, Response = HttpResponse>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = BoxFuture<Result<HttpResponse, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: HttpRequest) -> Self::Future {
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let records = self.records.clone();
        let started = Instant::now();
        let response = self.inner.call(request);
        Box::pin(async move {
            let result = response.await.map_err(Into::into);
            let (status, attempts) = match &result {
                Ok(response) => (
                    Some(response.status().as_u16()),
                    // The retry layer tells how many attempts the call took.
                    response.extensions().get::<Attempts>().map_or(1, |a| a.0),
                ),
                Err(_) => (None, 1),
            };
            if let Ok(mut records) = records.lock() {
                records.push(CallRecord {
                    method,
                    path,
                    status,
                    attempts,
                    elapsed: started.elapsed(),
                });
            }
            result
        })
    }
}

// --- 2. An attempt counter, for inside the retry layer ---

/// Counts requests that reach it; below the retry layer that is every attempt.
#[derive(Clone, Default)]
struct CountLayer {
    count: Arc<AtomicU32>,
}

impl<S> Layer<S> for CountLayer {
    type Service = Count<S>;

    fn layer(&self, inner: S) -> Count<S> {
        Count {
            inner,
            count: self.count.clone(),
        }
    }
}

#[derive(Clone)]
struct Count<S> {
    inner: S,
    count: Arc<AtomicU32>,
}

impl<S: Service<HttpRequest>> Service<HttpRequest> for Count<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest) -> S::Future {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.inner.call(request)
    }
}

// --- 3. Fault injection: the next N Management requests get a 503 ---

#[derive(Clone, Default)]
struct FailNextLayer {
    remaining: Arc<AtomicU32>,
}

impl FailNextLayer {
    /// Makes the next `n` requests to `/api/v2/…` fail with 503.
    fn fail_next(&self, n: u32) {
        self.remaining.store(n, Ordering::SeqCst);
    }
}

impl<S> Layer<S> for FailNextLayer {
    type Service = FailNext<S>;

    fn layer(&self, inner: S) -> FailNext<S> {
        FailNext {
            inner,
            remaining: self.remaining.clone(),
        }
    }
}

#[derive(Clone)]
struct FailNext<S> {
    inner: S,
    remaining: Arc<AtomicU32>,
}

impl<S> Service<HttpRequest> for FailNext<S>
where
    S: Service<HttpRequest, Response = HttpResponse>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = BoxFuture<Result<HttpResponse, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: HttpRequest) -> Self::Future {
        let management = request.uri().path().starts_with("/api/v2/");
        let inject = management
            && self
                .remaining
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
        if inject {
            return Box::pin(async {
                let response = http::Response::builder()
                    .status(503)
                    .header("content-type", "application/json")
                    .body(Bytes::from_static(
                        br#"{"statusCode":503,"error":"Service Unavailable","message":"injected"}"#,
                    ))?;
                Ok(response)
            });
        }
        let response = self.inner.call(request);
        Box::pin(async move { response.await.map_err(Into::into) })
    }
}

// --- the program ---

async fn run() -> Result<(), auth0_examples::BoxError> {
    let tenant = auth0_examples::start_local_tenant().await?;
    let settings = auth0_examples::local_settings(&tenant);
    let credentials = || {
        ClientCredentials::new(settings.client_id.clone(), settings.client_secret.clone())
            .audience(tenant.management_audience())
    };
    let config = ClientConfig::builder()
        .domain(tenant.domain())
        .allow_insecure_loopback(true)
        .retry_policy(
            RetryPolicy::builder()
                .max_retries(3)
                .base_delay(Duration::from_millis(20))
                .max_wait(Duration::from_millis(200))
                .build()?,
        )
        .build()?;

    // 1. The default stack, wrapped in a call log.
    let log = CallLogLayer::default();
    let http = Auth0Client::builder(config.clone())
        .with_layer(log.clone())
        .build()?;
    let auth0 = ManagementClient::builder(http)
        .client_credentials(credentials())
        .build()?;
    let connections = auth0.connections().all().await?;
    println!(
        "\n1. with_layer: {} connections; the call log saw:",
        connections.len()
    );
    print_records(&log.records());
    // The token request and the list call, one attempt each.
    let records = log.records();
    ensure(records.len() == 2, "two calls logged (token + list)")?;
    ensure(
        records
            .iter()
            .all(|r| r.attempts == 1 && r.status == Some(200)),
        "each call took one attempt and succeeded",
    )?;

    // 2. A stack assembled by hand from the public layers, with our own
    //    layers inside it.
    let attempts = CountLayer::default();
    let faults = FailNextLayer::default();
    let stack = ServiceBuilder::new()
        .layer(DeadlineLayer::new(Duration::from_secs(10)))
        .layer(RetryLayer::new(config.retry_policy().clone()))
        .layer(attempts.clone())
        .layer(TimeoutLayer::new(config.attempt_timeout()))
        .layer(TelemetryLayer::from_config(&config))
        .layer(faults.clone())
        .service(HttpTransport::new(&config)?);
    let log = CallLogLayer::default();
    let http = ClientBuilder::from_service(config.clone(), stack)
        .with_layer(log.clone())
        .build()?;
    let auth0 = ManagementClient::builder(http)
        .client_credentials(credentials())
        .build()?;
    let user_id = settings.user.2.clone();
    // Fetch the token first so the injected fault hits the Management call.
    let user = auth0.users().get(&user_id, &UsersGetParams::new()).await?;
    let before = attempts.count.load(Ordering::Relaxed);

    faults.fail_next(1);
    let again = auth0.users().get(&user_id, &UsersGetParams::new()).await?;
    let get_attempts = attempts.count.load(Ordering::Relaxed) - before;
    println!(
        "\n2. from_service: GET user {} after an injected 503: {get_attempts} attempts",
        auth0_examples::or_none(again.user_id.as_deref())
    );
    ensure(user.user_id == again.user_id, "the same user both times")?;
    ensure(get_attempts == 2, "the GET was retried once")?;

    faults.fail_next(1);
    let before = attempts.count.load(Ordering::Relaxed);
    let update = auth0
        .users()
        .update(
            &user_id,
            &UpdateUserRequestContent::new().nickname("middleware"),
        )
        .await;
    let patch_attempts = attempts.count.load(Ordering::Relaxed) - before;
    match &update {
        Err(e) => println!("   PATCH after an injected 503: {patch_attempts} attempt, error: {e}"),
        Ok(_) => println!("   PATCH after an injected 503: unexpectedly succeeded"),
    }
    ensure(
        update
            .as_ref()
            .err()
            .and_then(|e| e.status_code())
            .map(|s| s.as_u16())
            == Some(503),
        "the PATCH got the 503",
    )?;
    ensure(patch_attempts == 1, "the PATCH was not retried")?;
    println!("   the call log saw:");
    print_records(&log.records());
    Ok(())
}

fn print_records(records: &[CallRecord]) {
    for r in records {
        println!(
            "   {:<6} {:<40} status {:<4} attempts {} in {:?}",
            r.method.as_str(),
            r.path,
            r.status.map_or_else(|| "-".to_owned(), |s| s.to_string()),
            r.attempts,
            r.elapsed
        );
    }
}

fn ensure(condition: bool, what: &str) -> Result<(), auth0_examples::BoxError> {
    if condition {
        Ok(())
    } else {
        Err(format!("expected: {what}").into())
    }
}
