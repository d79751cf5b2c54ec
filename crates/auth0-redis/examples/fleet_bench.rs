//! `cargo xtask bench fleet`: 8 instances provision 2,000 users through a
//! local tenant that allows 300 API requests per second, once as
//! independent instances (each its own token and its own limiter at the
//! tenant's rate) and once in fleet mode (one token and one budget shared
//! through a `redis-server` started here), against two models of the
//! tenant's limit: fixed one-second windows and a token bucket. Prints
//! token fetches, 429s received, wall time and whether every write was
//! applied exactly once.
//!
//! Needs `redis-server` on the PATH (`.ci/run` installs it).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use auth0_authentication::token_source::ClientCredentialsSource;
use auth0_core::rate_limit::RateLimiter;
use auth0_core::retry::RetryPolicy;
use auth0_core::{Auth0Client, ClientBuilder, ClientConfig};
use auth0_management::ManagementClient;
use auth0_management::models::CreateUserRequestContent;
use auth0_redis::{Fleet, RedisRateLimiter, RedisTokenSource, fleet_stack};
use support::{RedisServer, Tenant};

const INSTANCES: usize = 8;
const USERS: usize = 2_000;
const WORKERS_PER_INSTANCE: usize = 16;
const TENANT_BUDGET: u64 = 300;
const CLIENT_ID: &str = "bench-client";
const CLIENT_SECRET: &str = "bench-secret";

fn config(addr: SocketAddr, local: Option<RateLimiter>) -> ClientConfig {
    // Enough retries that every write lands in both modes: the comparison
    // is about 429s and time, not about giving up.
    let policy = RetryPolicy::builder()
        .max_retries(10)
        .max_wait(Duration::from_secs(2))
        .without_budget()
        .build()
        .unwrap();
    let mut b = ClientConfig::builder()
        .domain(format!("http://{addr}"))
        .allow_insecure_loopback(true)
        .retry_policy(policy);
    if let Some(l) = local {
        b = b.rate_limiter(l);
    }
    b.build().unwrap()
}

fn independent(addr: SocketAddr) -> ManagementClient {
    // Alone, the best an instance can do: pace at the tenant's rate and
    // follow the x-ratelimit-* headers.
    let local = RateLimiter::builder()
        .rate(TENANT_BUDGET as u32, Duration::from_secs(1))
        .burst(10)
        .adaptive(true)
        .build()
        .unwrap();
    ManagementClient::builder(Auth0Client::new(config(addr, Some(local))).unwrap())
        .client_credentials(auth0_management::ClientCredentials::new(
            CLIENT_ID,
            CLIENT_SECRET,
        ))
        .build()
        .unwrap()
}

fn in_fleet(addr: SocketAddr, redis: &RedisServer, fleets: &mut Vec<Fleet>) -> ManagementClient {
    let fleet = Fleet::builder(redis.url()).build().unwrap();
    fleets.push(fleet.clone());
    // The fleet spends the tenant's reported window together; its pace when the tenant's window is spent: 95% of the tenant's rate,
    // as the crate's docs advise (at exactly the refill rate a bucket
    // hovers at 0 and its answers keep saying "0 remaining until the reset").
    let limiter = RedisRateLimiter::builder(fleet.clone(), addr.to_string())
        .rate(TENANT_BUDGET as u32 * 95 / 100, Duration::from_secs(1))
        .burst(5)
        .build()
        .unwrap();
    let config = config(addr, None);
    let http = ClientBuilder::from_service(config.clone(), fleet_stack(&config, limiter).unwrap())
        .build()
        .unwrap();
    let grant = ClientCredentialsSource::new(
        http.clone(),
        auth0_authentication::ClientCredentials::client_secret(CLIENT_ID, CLIENT_SECRET),
    );
    let source = RedisTokenSource::builder(fleet, grant).build().unwrap();
    ManagementClient::builder(http)
        .access_token_source(CLIENT_ID, source)
        .build()
        .unwrap()
}

struct Outcome {
    token_fetches: usize,
    rejected: usize,
    wall: Duration,
    failed: usize,
    applied_once: usize,
    duplicated: usize,
    missing: usize,
}

/// Sleeps until 50 ms past the next whole second: every run meets the
/// tenant's one-second windows at the same phase, so wall times compare.
async fn align_to_the_second() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let into = Duration::from_nanos(u64::from(now.subsec_nanos()));
    tokio::time::sleep(Duration::from_secs(1) - into + Duration::from_millis(50)).await;
}

async fn provision(clients: Vec<ManagementClient>, tenant: &Tenant) -> Outcome {
    align_to_the_second().await;
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in clients {
        for _ in 0..WORKERS_PER_INSTANCE {
            let (client, next, failed) = (client.clone(), Arc::clone(&next), Arc::clone(&failed));
            tasks.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= USERS {
                        return;
                    }
                    let user = CreateUserRequestContent::new("Username-Password-Authentication")
                        .email(format!("user{i}@fleet.test"))
                        .password("correct horse battery staple");
                    if client.users().create(&user).await.is_err() {
                        failed.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    let wall = started.elapsed();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for line in tenant.created.lock().unwrap().iter() {
        let body = line.split_once(' ').map_or("", |(_, b)| b);
        let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        if let Some(email) = v["email"].as_str() {
            *counts.entry(email.to_owned()).or_default() += 1;
        }
    }
    Outcome {
        token_fetches: tenant.token_requests(),
        rejected: tenant.rejected(),
        wall,
        failed: failed.load(Ordering::SeqCst),
        applied_once: counts.values().filter(|n| **n == 1).count(),
        duplicated: counts.values().filter(|n| **n > 1).count(),
        missing: USERS - counts.len(),
    }
}

fn print(mode: &str, o: &Outcome) {
    println!(
        "{mode:<12} token fetches {:>2}   429s {:>5}   wall {:>6.2} s   failed calls {}   \
         writes applied exactly once {}/{USERS} (duplicated {}, missing {})",
        o.token_fetches,
        o.rejected,
        o.wall.as_secs_f64(),
        o.failed,
        o.applied_once,
        o.duplicated,
        o.missing
    );
}

#[tokio::main]
async fn main() {
    println!(
        "fleet bench: {INSTANCES} instances × {WORKERS_PER_INSTANCE} workers, {USERS} users, \
         tenant budget {TENANT_BUDGET} requests/s"
    );

    let redis = RedisServer::start();
    for (model, bucket) in [("fixed 1 s windows", false), ("token bucket", true)] {
        println!("tenant limit: {model}");
        let tenant = Arc::new(Tenant::default());
        tenant.budget.store(TENANT_BUDGET, Ordering::SeqCst);
        tenant.token_bucket.store(bucket, Ordering::SeqCst);
        let addr = tenant.start().await;
        let alone = provision((0..INSTANCES).map(|_| independent(addr)).collect(), &tenant).await;
        print("independent", &alone);

        let tenant = Arc::new(Tenant::default());
        tenant.budget.store(TENANT_BUDGET, Ordering::SeqCst);
        tenant.token_bucket.store(bucket, Ordering::SeqCst);
        let addr = tenant.start().await;
        let mut fleets = Vec::new();
        let clients = (0..INSTANCES)
            .map(|_| in_fleet(addr, &redis, &mut fleets))
            .collect();
        let fleet = provision(clients, &tenant).await;
        print("fleet", &fleet);
        let fallbacks: u64 = fleets.iter().map(Fleet::failures).sum();
        println!("             Redis calls that failed or timed out (local fallback): {fallbacks}");
        compare(&alone, &fleet);
    }
}

fn compare(alone: &Outcome, fleet: &Outcome) {
    println!(
        "fleet vs independent: token fetches {} vs {}, 429s {} vs {}, wall time {:.2}x",
        fleet.token_fetches,
        alone.token_fetches,
        fleet.rejected,
        alone.rejected,
        fleet.wall.as_secs_f64() / alone.wall.as_secs_f64()
    );
}
