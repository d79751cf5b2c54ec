//! What the blocking facade costs: the same calls through the `blocking`
//! clients and through the async clients on a tokio runtime, same server,
//! same run.
//!
//! ```text
//! cargo bench --manifest-path benches/Cargo.toml --bench blocking --features blocking
//! # or: cargo xtask bench blocking   (also part of `cargo xtask bench all`)
//! ```
//!
//! Calls, one after another on the calling thread:
//!
//! * **get**: `connections().get(id)` of the Management API, a static token,
//!   the default stack, the `management` bench's server
//!   (`auth0_benches::management_server`, its own thread) over keep-alive
//!   HTTP/1.1 on 127.0.0.1;
//! * **validate**: an ES256 access token through `AccessTokenValidator`
//!   with static keys and no verified-token cache (every call verifies the
//!   signature); a **validate (cached)** row with the cache on.
//!
//! Contenders:
//!
//! * **async**: the async client, every call awaited inside one
//!   `block_on` of a current-thread tokio runtime (an async program);
//! * **block_on/call**: the async client, one `Runtime::block_on` of that
//!   runtime per call (a sync program that builds its own runtime);
//! * **blocking**: `auth0_management::blocking::ManagementClient` /
//!   `auth0_jwt::blocking::AccessTokenValidator` (the SDK's runtime thread;
//!   the call is polled on the calling thread, I/O and timers are driven by
//!   the runtime thread, which wakes the caller).
//!
//! Printed per row: wall µs per call and process CPU µs per call (all
//! threads, the server's included: the same work for every contender), the
//! medians over interleaved rounds, each contender's time relative to
//! **async** (`async time / contender time`: 1.0 is free, below 1 slower)
//! and its overhead per call in µs (contender − async). `RATIO` lines carry
//! the blocking one.
//!
//! Knobs: `BENCH_REQUESTS` calls per round (default 3000), `BENCH_ROUNDS`
//! (default 7).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use auth0_benches::management_server::{CONNECTION_ID, TOKEN, bodies, start_server};
use auth0_benches::{Alg, Keys, access_claims, median, now};
use auth0_core::blocking::Runtime as BlockingRuntime;
use auth0_core::{Auth0Client, ClientConfig};
use auth0_jwt::key::EcCurve;
use auth0_jwt::{AccessTokenValidator, StaticKeys, VerifyingKey};
use auth0_management::ManagementClient;
use auth0_management::api::ConnectionsGetParams;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU time of the whole process so far (every thread).
fn process_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// One measurement: wall and process CPU µs per call.
#[derive(Clone, Copy)]
struct Sample {
    wall_us: f64,
    cpu_us: f64,
}

fn sample(calls: usize, run: impl FnOnce()) -> Sample {
    let cpu0 = process_cpu();
    let start = Instant::now();
    run();
    let wall = start.elapsed();
    let cpu = process_cpu() - cpu0;
    Sample {
        wall_us: wall.as_secs_f64() * 1e6 / calls as f64,
        cpu_us: cpu.as_secs_f64() * 1e6 / calls as f64,
    }
}

const CONTENDERS: [&str; 3] = ["async", "block_on/call", "blocking"];

/// Runs the three contenders of one row `rounds` times, interleaved (who
/// goes first rotates), and prints the medians.
fn row(label: &str, calls: usize, rounds: usize, mut run: impl FnMut(usize, usize)) {
    // Warm up: connections, caches, allocator.
    for i in 0..CONTENDERS.len() {
        run(i, (calls / 10).max(1));
    }
    let mut wall: Vec<Vec<f64>> = vec![Vec::new(); CONTENDERS.len()];
    let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); CONTENDERS.len()];
    for round in 0..rounds {
        for k in 0..CONTENDERS.len() {
            let i = (k + round) % CONTENDERS.len();
            let s = sample(calls, || run(i, calls));
            wall[i].push(s.wall_us);
            cpu[i].push(s.cpu_us);
        }
    }
    let wall: Vec<f64> = wall.into_iter().map(median).collect();
    let cpu: Vec<f64> = cpu.into_iter().map(median).collect();
    println!("\n{label}, {calls} calls per round:");
    for (i, name) in CONTENDERS.iter().enumerate() {
        println!(
            "  {name:<14} {:>8.2} µs/call wall {:>8.2} µs/call CPU   vs async: {:.3}× wall, {:.3}× CPU, {:+.2} µs wall, {:+.2} µs CPU per call",
            wall[i],
            cpu[i],
            wall[0] / wall[i],
            cpu[0] / cpu[i],
            wall[i] - wall[0],
            cpu[i] - cpu[0],
        );
    }
    let blocking = CONTENDERS.len() - 1;
    println!(
        "RATIO blocking/async {label}: {:.3} wall, {:.3} CPU; overhead {:+.2} µs wall, {:+.2} µs CPU per call",
        wall[0] / wall[blocking],
        cpu[0] / cpu[blocking],
        wall[blocking] - wall[0],
        cpu[blocking] - cpu[0],
    );
}

fn management(base: &str) -> ManagementClient {
    let config = ClientConfig::builder()
        .domain(base.to_owned())
        .allow_insecure_loopback(true)
        .build()
        .unwrap();
    ManagementClient::builder(Auth0Client::new(config).unwrap())
        .token(TOKEN)
        .build()
        .unwrap()
}

fn validator(keys: &Keys, cache: bool) -> AccessTokenValidator {
    let (x, y) = keys.p256_x_y();
    let key = VerifyingKey::ec(EcCurve::P256, &x, &y)
        .unwrap()
        .with_kid(Alg::ES256.kid());
    let builder = AccessTokenValidator::builder()
        .key_source(StaticKeys::from_key(key))
        .issuer(auth0_benches::ISSUER)
        .audience(auth0_benches::AUDIENCE)
        .algorithms([auth0_jwt::Algorithm::ES256]);
    let builder = if cache { builder } else { builder.no_cache() };
    builder.build().unwrap()
}

fn main() {
    let calls = env_usize("BENCH_REQUESTS", 3000).max(1);
    let rounds = env_usize("BENCH_ROUNDS", 7).max(1);
    let bodies = bodies();
    let base = format!("http://{}", start_server(&bodies));
    println!(
        "blocking facade bench: get = {} bytes; {rounds} rounds; {} CPU(s)",
        bodies.get.len(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let blocking_rt = BlockingRuntime::new().unwrap();

    // Two clients, each with its own connection pool on its own runtime.
    let async_client = {
        let _guard = rt.enter();
        management(&base)
    };
    let blocking_client = auth0_management::blocking::ManagementClient::with_runtime(
        {
            let _guard = blocking_rt.enter();
            management(&base)
        },
        &blocking_rt,
    );
    let params = ConnectionsGetParams::new();
    row(
        "get (GET /connections/{id})",
        calls,
        rounds,
        |who, n| match who {
            0 => rt.block_on(async {
                for _ in 0..n {
                    let c = async_client
                        .connections()
                        .get(CONNECTION_ID, &params)
                        .await
                        .unwrap();
                    assert!(c.id.is_some());
                }
            }),
            1 => {
                for _ in 0..n {
                    let c = rt
                        .block_on(async_client.connections().get(CONNECTION_ID, &params))
                        .unwrap();
                    assert!(c.id.is_some());
                }
            }
            _ => {
                for _ in 0..n {
                    let c = blocking_client
                        .connections()
                        .get(CONNECTION_ID, &params)
                        .unwrap();
                    assert!(c.id.is_some());
                }
            }
        },
    );

    let keys = Keys::new();
    let token = keys.mint(
        Alg::ES256,
        Alg::ES256.kid(),
        &access_claims("auth0|bench", now() + 3600),
    );
    for cache in [false, true] {
        let async_validator = Arc::new(validator(&keys, cache));
        let blocking_validator =
            auth0_jwt::blocking::AccessTokenValidator::new(validator(&keys, cache), &blocking_rt);
        let label = if cache {
            "validate (ES256, cached)"
        } else {
            "validate (ES256, no cache)"
        };
        // The cached row makes many more calls: each is ~100× cheaper.
        let n_calls = if cache { calls * 100 } else { calls };
        row(label, n_calls, rounds, |who, n| match who {
            0 => rt.block_on(async {
                for _ in 0..n {
                    assert!(async_validator.validate(&token).await.is_ok());
                }
            }),
            1 => {
                for _ in 0..n {
                    assert!(rt.block_on(async_validator.validate(&token)).is_ok());
                }
            }
            _ => {
                for _ in 0..n {
                    assert!(blocking_validator.validate(&token).is_ok());
                }
            }
        });
    }
}
