//! The bearer-token layer in front of a trivial handler, driven directly
//! through the tower service (no sockets, no runtime), with a realistic mix:
//!
//! - 1,000 distinct valid RS256 tokens, each sent ~100 times;
//! - 5% expired tokens (200 distinct, correctly signed, each re-sent ~27
//!   times, as clients do until they refresh);
//! - 2% forged tokens: a valid token with one signature bit flipped, every
//!   one DISTINCT (an attacker probing or flooding sends new tokens, so a
//!   negative cache would not help and is not assumed);
//! - 1% tokens with an unknown `kid` (static keys: no refetch);
//!
//! shuffled with a fixed seed. Three variants of the same layer and handler:
//! auth0-jwt `AccessTokenValidator` with its verified-token cache, the same
//! without the cache, and a jsonwebtoken 11 (aws-lc) authorizer doing what a
//! hand-written gateway does (decode_header → kid lookup → decode). Then the
//! 2-thread / 1-thread scaling of the cached validator.
//!
//! Then DPoP (RFC 9449): DPoP-bound RS256 tokens, each request with a fresh
//! ES256 proof, through `DpopAuthLayer`, as a ratio to plain bearer tokens
//! through `BearerAuthLayer` in the same run (both with the verified-token
//! cache; the proof is checked on every request, the token only once), and
//! the same DPoP requests without the cache. `GATEWAY_BENCH=dpop` runs only
//! that part.
//!
//! Run: `cargo bench --manifest-path benches/Cargo.toml --bench gateway`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use auth0_benches::{
    AUDIENCE, Alg, ISSUER, Keys, Rng, access_claims, block_on, fmt_duration, fmt_rate, forge,
    median, now, percentiles, thread_cpu_time,
};
use auth0_jwt::access_token::{AccessTokenClaims, AccessTokenValidator};
use auth0_jwt::alg::Algorithm;
use auth0_jwt::cache::CacheConfig;
use auth0_jwt::key::{KeySet, VerifyingKey};
use auth0_jwt::layer::{Authorize, BearerAuth, BearerAuthLayer, Rejection};
use auth0_jwt::verifier::StaticKeys;
use http::header::AUTHORIZATION;
use http::{HeaderValue, Request, Response, StatusCode};
use serde::Deserialize;
use tower::util::BoxCloneService;
use tower::{Layer, Service, ServiceExt, service_fn};

const DISTINCT_VALID: usize = 1_000;
const REUSE: usize = 100;
const EXPIRED_DISTINCT: usize = 200;
const ROUNDS: usize = 3;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Valid,
    Expired,
    Forged,
    UnknownKid,
}

struct Mix {
    requests: Vec<(Kind, HeaderValue)>,
}

impl Mix {
    fn new(keys: &Keys) -> Self {
        let now = now();
        let valid_total = DISTINCT_VALID * REUSE;
        // valid = 92% of all requests.
        let total = valid_total * 100 / 92;
        let n_expired = total * 5 / 100;
        let n_forged = total * 2 / 100;
        let n_unknown = total / 100;
        let kid = Alg::RS256.kid();
        let valid: Vec<String> = (0..DISTINCT_VALID)
            .map(|i| {
                keys.mint(
                    Alg::RS256,
                    kid,
                    &access_claims(&format!("auth0|user{i:05}"), now + 3_600),
                )
            })
            .collect();
        let expired: Vec<String> = (0..EXPIRED_DISTINCT)
            .map(|i| {
                keys.mint(
                    Alg::RS256,
                    kid,
                    &access_claims(&format!("auth0|late{i:05}"), now - 600),
                )
            })
            .collect();
        let mut requests = Vec::with_capacity(total);
        let bearer = |t: &str| HeaderValue::from_str(&format!("Bearer {t}")).unwrap();
        for t in &valid {
            let value = bearer(t);
            for _ in 0..REUSE {
                requests.push((Kind::Valid, value.clone()));
            }
        }
        let expired: Vec<HeaderValue> = expired.iter().map(|t| bearer(t)).collect();
        for i in 0..n_expired {
            requests.push((Kind::Expired, expired[i % EXPIRED_DISTINCT].clone()));
        }
        for i in 0..n_forged {
            // Distinct: a different base token and bit for each.
            let forged = forge(&valid[i % DISTINCT_VALID], 7 + i * 13);
            requests.push((Kind::Forged, bearer(&forged)));
        }
        for i in 0..n_unknown {
            let t = keys.mint(
                Alg::RS256,
                &format!("rotated-out-{i}"),
                &access_claims("auth0|ghost", now + 3_600),
            );
            requests.push((Kind::UnknownKid, bearer(&t)));
        }
        Rng::new(0x005E_ED0F_6A7E).shuffle(&mut requests);
        // Each request then gets its own copy of its header bytes, allocated
        // in the order the requests are sent, like a server's receive
        // buffers: the bytes of the request being handled are fresh (the
        // hardware prefetcher streams them in), while the verifier's own
        // state (its cache, keys and claims) is whatever it keeps warm.
        // Sharing one buffer among a token's 100 sends would instead make
        // every request read 1,000 tokens' worth of scattered, cold bytes.
        let requests = requests
            .iter()
            .map(|(kind, value)| (*kind, HeaderValue::from_bytes(value.as_bytes()).unwrap()))
            .collect();
        Self { requests }
    }

    fn count(&self, kind: Kind) -> usize {
        self.requests.iter().filter(|(k, _)| *k == kind).count()
    }
}

/// What the jsonwebtoken gateway deserializes: exactly the minted claims.
#[derive(Deserialize)]
#[allow(dead_code)]
struct JwtClaims {
    iss: String,
    sub: String,
    aud: Vec<String>,
    iat: i64,
    exp: i64,
    azp: String,
    scope: String,
    permissions: Vec<String>,
    gty: String,
}

/// A hand-written jsonwebtoken gateway check: header → kid → decode.
struct JsonWebTokenAuthorizer {
    keys: HashMap<String, jsonwebtoken::DecodingKey>,
    validation: jsonwebtoken::Validation,
}

impl Authorize for JsonWebTokenAuthorizer {
    type Claims = JwtClaims;

    // Like `AccessTokenValidator`: jsonwebtoken accepts only compact JWS, so
    // the layer may skip its up-front RFC 6750 syntax scan for both.
    const ACCEPTS_ONLY_B64TOKENS: bool = true;

    fn authorize(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Arc<JwtClaims>, Rejection>> + Send {
        let result = (|| {
            let header = jsonwebtoken::decode_header(token)
                .map_err(|_| Rejection::invalid_token("bad header"))?;
            let key = header
                .kid
                .as_deref()
                .and_then(|kid| self.keys.get(kid))
                .ok_or_else(|| Rejection::invalid_token("unknown kid"))?;
            let data = jsonwebtoken::decode::<JwtClaims>(token, key, &self.validation)
                .map_err(|_| Rejection::invalid_token("invalid token"))?;
            Ok(Arc::new(data.claims))
        })();
        std::future::ready(result)
    }
}

type Handler = BoxCloneService<Request<()>, Response<String>, Infallible>;

fn handler<C: Send + Sync + 'static>() -> Handler {
    BoxCloneService::new(service_fn(|req: Request<()>| async move {
        // The handler reads the claims, as a real one would.
        let status = if req.extensions().get::<Arc<C>>().is_some() {
            StatusCode::OK
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        let mut response = Response::new(String::new());
        *response.status_mut() = status;
        Ok::<_, Infallible>(response)
    }))
}

fn validator(keys: &Keys, cache: bool) -> Arc<AccessTokenValidator> {
    Arc::new(owned_validator(keys, cache))
}

fn owned_validator(keys: &Keys, cache: bool) -> AccessTokenValidator {
    let (n, e) = keys.rsa_n_e();
    let mut set = KeySet::new();
    set.insert(
        VerifyingKey::rsa(&n, &e)
            .unwrap()
            .with_kid(Alg::RS256.kid()),
    );
    let builder = AccessTokenValidator::builder()
        .key_source(StaticKeys::new(set))
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .algorithms([Algorithm::RS256]);
    let builder = if cache {
        builder.cache(CacheConfig::default())
    } else {
        builder.no_cache()
    };
    builder.build().unwrap()
}

fn jwt_authorizer(keys: &Keys) -> JsonWebTokenAuthorizer {
    let (n, e) = keys.rsa_n_e();
    let mut map = HashMap::new();
    map.insert(
        Alg::RS256.kid().to_owned(),
        jsonwebtoken::DecodingKey::from_rsa_raw_components(&n, &e),
    );
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = 5;
    JsonWebTokenAuthorizer {
        keys: map,
        validation,
    }
}

/// Sends every request of the mix through `svc` once; returns the thread
/// CPU time it took and the count of 200s. With `latencies`, also records
/// each request's wall time (ns); that pass is not used for throughput.
fn run<A: Authorize>(
    svc: &mut BearerAuth<Handler, A>,
    mix: &Mix,
    latencies: Option<&mut Vec<u64>>,
) -> (Duration, usize) {
    let mut ok = 0;
    let start = thread_cpu_time();
    match latencies {
        Some(lat) => {
            for (_, value) in &mix.requests {
                let t0 = Instant::now();
                ok += usize::from(send(svc, value));
                lat.push(t0.elapsed().as_nanos() as u64);
            }
        }
        None => {
            for (_, value) in &mix.requests {
                ok += usize::from(send(svc, value));
            }
        }
    }
    (thread_cpu_time() - start, ok)
}

fn send<A: Authorize>(svc: &mut BearerAuth<Handler, A>, value: &HeaderValue) -> bool {
    let mut request = Request::new(());
    request.headers_mut().insert(AUTHORIZATION, value.clone());
    let response = block_on(async { svc.ready().await.unwrap().call(request).await.unwrap() });
    response.status() == StatusCode::OK
}

struct Figures {
    name: &'static str,
    rate: f64,
    p50: Duration,
    p99: Duration,
}

fn main() {
    let keys = Keys::new();
    if std::env::var("GATEWAY_BENCH").is_ok_and(|v| v == "dpop") {
        dpop::bench(&keys);
        return;
    }
    let mix = Mix::new(&keys);
    let n = mix.requests.len();
    let expected_ok = mix.count(Kind::Valid);
    println!(
        "gateway bench: {n} requests = {} valid ({DISTINCT_VALID} distinct x {REUSE}), {} expired ({EXPIRED_DISTINCT} distinct), {} forged (all distinct), {} unknown kid; RS256; one thread; {ROUNDS} interleaved rounds",
        expected_ok,
        mix.count(Kind::Expired),
        mix.count(Kind::Forged),
        mix.count(Kind::UnknownKid)
    );

    let cached = validator(&keys, true);
    let uncached = validator(&keys, false);
    let mut svc_cached =
        BearerAuthLayer::from_arc(Arc::clone(&cached)).layer(handler::<AccessTokenClaims>());
    let mut svc_uncached =
        BearerAuthLayer::from_arc(Arc::clone(&uncached)).layer(handler::<AccessTokenClaims>());
    let mut svc_jwt = BearerAuthLayer::new(jwt_authorizer(&keys)).layer(handler::<JwtClaims>());

    // For profiling: `GATEWAY_PROFILE=cache|nocache|jwt` loops one variant.
    if let Ok(which) = std::env::var("GATEWAY_PROFILE") {
        // `hits`: valid tokens only, cache warm.
        let hits = Mix {
            requests: mix
                .requests
                .iter()
                .filter(|(k, _)| *k == Kind::Valid)
                .cloned()
                .collect(),
        };
        run(&mut svc_cached, &hits, None);
        let start = Instant::now();
        let mut sent = 0;
        let mut cpu = Duration::ZERO;
        while start.elapsed() < Duration::from_secs(8) {
            let (elapsed, _) = match which.as_str() {
                "cache" => run(&mut svc_cached, &mix, None),
                "hits" => run(&mut svc_cached, &hits, None),
                "nocache" => run(&mut svc_uncached, &mix, None),
                _ => run(&mut svc_jwt, &mix, None),
            };
            cpu += elapsed;
            sent += if which == "hits" {
                hits.requests.len()
            } else {
                n
            };
        }
        println!(
            "{which}: {} of wall time, {} of thread CPU time = {} per request",
            fmt_rate(sent as f64 / start.elapsed().as_secs_f64()),
            fmt_rate(sent as f64 / cpu.as_secs_f64()),
            fmt_duration(cpu / sent as u32),
        );
        return;
    }

    let names = ["auth0-jwt + cache", "auth0-jwt, no cache", "jsonwebtoken"];
    let mut times = vec![Vec::new(); 3];
    let mut lats: Vec<Vec<u64>> = (0..3).map(|_| Vec::with_capacity(n * ROUNDS)).collect();
    for round in 0..ROUNDS {
        for k in 0..3 {
            let j = (round + k) % 3;
            for with_latency in [false, true] {
                let lat = with_latency.then(|| &mut lats[j]);
                let (elapsed, ok) = match j {
                    0 => {
                        // Each pass starts cold: the mix includes the 1,000 first sightings.
                        cached.cache().unwrap().clear();
                        run(&mut svc_cached, &mix, lat)
                    }
                    1 => run(&mut svc_uncached, &mix, lat),
                    _ => run(&mut svc_jwt, &mix, lat),
                };
                assert_eq!(
                    ok, expected_ok,
                    "{} accepted {ok}, expected {expected_ok}",
                    names[j]
                );
                if !with_latency {
                    times[j].push(elapsed);
                }
            }
        }
    }
    let figures: Vec<Figures> = (0..3)
        .map(|j| {
            let mut t = times[j].clone();
            t.sort();
            let p = percentiles(&mut lats[j]);
            Figures {
                name: names[j],
                rate: n as f64 / t[t.len() / 2].as_secs_f64(),
                p50: p.p50,
                p99: p.p99,
            }
        })
        .collect();
    let jwt_rate = figures[2].rate;
    println!(
        "requests/s = per second of thread CPU time (median of {ROUNDS}); p50/p99 = wall time per request"
    );
    println!(
        "{:<22} {:>12} {:>10} {:>10} {:>14}",
        "variant", "requests/s", "p50", "p99", "vs jsonwebtoken"
    );
    for f in &figures {
        println!(
            "{:<22} {:>12} {:>10} {:>10} {:>13.2}x",
            f.name,
            fmt_rate(f.rate),
            fmt_duration(f.p50),
            fmt_duration(f.p99),
            f.rate / jwt_rate
        );
    }

    // The cost of one cache hit: valid tokens only, warm cache.
    let hits = Mix {
        requests: mix
            .requests
            .iter()
            .filter(|(k, _)| *k == Kind::Valid)
            .cloned()
            .collect(),
    };
    run(&mut svc_cached, &hits, None);
    let hit_rate = median(
        (0..5)
            .map(|_| hits.requests.len() as f64 / run(&mut svc_cached, &hits, None).0.as_secs_f64())
            .collect(),
    );
    // The harness alone: the same requests straight into the handler.
    let mut bare = handler::<AccessTokenClaims>();
    let bare_rate = median(
        (0..5)
            .map(|_| {
                let start = thread_cpu_time();
                for (_, value) in &hits.requests {
                    let mut request = Request::new(());
                    request.headers_mut().insert(AUTHORIZATION, value.clone());
                    let response = block_on(async {
                        bare.ready().await.unwrap().call(request).await.unwrap()
                    });
                    std::hint::black_box(response);
                }
                hits.requests.len() as f64 / (thread_cpu_time() - start).as_secs_f64()
            })
            .collect(),
    );
    println!(
        "cache hit alone (warm, valid tokens only): {} = {} per request, of which {} is the harness + handler without the layer",
        fmt_rate(hit_rate),
        fmt_duration(Duration::from_secs_f64(1.0 / hit_rate)),
        fmt_duration(Duration::from_secs_f64(1.0 / bare_rate)),
    );

    // Where the time of the cached variant goes: each kind of request alone
    // (cache warm with the valid tokens), as CPU time per request, and its
    // share of one pass over the mix.
    let pass = n as f64 / figures[0].rate;
    let mut parts = Vec::new();
    for (kind, label) in [
        (Kind::Valid, "valid (cache hit)"),
        (Kind::Expired, "expired"),
        (Kind::Forged, "forged"),
        (Kind::UnknownKid, "unknown kid"),
    ] {
        let subset = Mix {
            requests: mix
                .requests
                .iter()
                .filter(|(k, _)| *k == kind)
                .cloned()
                .collect(),
        };
        let count = subset.requests.len();
        let per_request = median(
            (0..3)
                .map(|_| run(&mut svc_cached, &subset, None).0.as_secs_f64() / count as f64)
                .collect(),
        );
        parts.push(format!(
            "{label} {} x {count} = {:.0}%",
            fmt_duration(Duration::from_secs_f64(per_request)),
            100.0 * per_request * count as f64 / pass
        ));
    }
    println!(
        "cached variant, cost per request by kind and share of a pass ({}; the rest is the 1,000 first sightings): {}",
        fmt_duration(Duration::from_secs_f64(pass)),
        parts.join(", ")
    );
    println!(
        "20x jsonwebtoken = {} per request on average over the mix",
        fmt_duration(Duration::from_secs_f64(1.0 / (20.0 * jwt_rate)))
    );

    // Scaling: the cached validator, 1 thread vs 2 threads, each thread sending the whole mix.
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let load_before = load_average();
    let warm = scaling(&cached, &mix, false);
    let cold = scaling(&cached, &mix, true);
    let plain = scaling(&uncached, &mix, false);
    // This process keeps one thread busy, so up to ~1 of load is our own.
    let idle = cores >= 2 && load_before.is_some_and(|l| l < 1.5);
    println!(
        "scaling: {cores} cores, load average {} before; wall time is the real figure only on idle cores, CPU time removes other processes' share",
        load_before.map_or_else(|| "?".to_owned(), |l| format!("{l:.2}")),
    );

    let ratio_cache = figures[0].rate / jwt_rate;
    let ratio_plain = figures[1].rate / jwt_rate;
    println!("RATIO with cache / jsonwebtoken: {ratio_cache:.2}x (target >= 20x)");
    println!("RATIO without cache / jsonwebtoken: {ratio_plain:.2}x (target >= 0.95x)");
    for (name, (wall, cpu)) in [
        ("warm cache", warm),
        ("cold cache", cold),
        ("no cache", plain),
    ] {
        println!(
            "RATIO 2 threads / 1 thread, {name}: {wall:.2}x wall time, {cpu:.2}x CPU time (target >= 1.9x)"
        );
    }

    dpop::bench(&keys);

    let mut missed = Vec::new();
    if ratio_cache < 20.0 {
        missed.push(format!("with cache {ratio_cache:.2}x jsonwebtoken < 20x"));
    }
    if ratio_plain < 0.95 {
        missed.push(format!(
            "without cache {ratio_plain:.2}x jsonwebtoken < 0.95x"
        ));
    }
    // On a busy machine the wall-time scaling measures the other processes;
    // judge by CPU time then (and say so).
    let basis = if idle {
        "wall time"
    } else {
        "CPU time (cores busy)"
    };
    for (name, (wall, cpu)) in [("warm cache", warm), ("cold cache", cold)] {
        let s = if idle { wall } else { cpu };
        if s < 1.9 {
            missed.push(format!("{name} scaling {s:.2}x < 1.9x by {basis}"));
        }
    }
    println!(
        "targets: cache >= 20x jsonwebtoken; no cache >= 0.95x; 2-thread scaling >= 1.9x (judged by {basis})"
    );
    if missed.is_empty() {
        println!("all targets met");
    }
    for m in missed {
        println!("TARGET MISSED: {m}");
    }
}

/// The 1-minute load average, if the system reports it.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// 2-thread over 1-thread throughput, as `(wall, cpu)`:
/// - wall: requests per second of wall time (best of 3 runs each) — the real
///   figure, but only meaningful when two cores are actually free;
/// - cpu: requests per second of summed thread CPU time, times the thread
///   count — what the scaling would be if both threads had a core to
///   themselves; below 2.0 only through contention (lock/atomic cache-line
///   bouncing, duplicate verification of concurrent first sightings).
fn scaling(validator: &Arc<AccessTokenValidator>, mix: &Mix, cold: bool) -> (f64, f64) {
    let layer = BearerAuthLayer::from_arc(Arc::clone(validator));
    let prepare = || {
        if let Some(cache) = validator.cache() {
            cache.clear();
            if !cold {
                // Warm: every token of the mix seen once.
                let mut svc = layer.layer(handler::<AccessTokenClaims>());
                run(&mut svc, mix, None);
            }
        }
    };
    let timed = |threads: usize| -> (f64, f64) {
        let (mut best_wall, mut best_cpu) = (0.0f64, 0.0f64);
        for _ in 0..3 {
            prepare();
            let barrier = Barrier::new(threads);
            // Each thread sends the whole mix, starting at its own offset: two
            // cores serve different requests at a given moment, not the same
            // token in lockstep (which would make them fight over that token's
            // `Arc` counts and shard lock on every request).
            let mixes: Vec<Mix> = (0..threads)
                .map(|t| {
                    let mut requests = mix.requests.clone();
                    let offset = t * requests.len() / threads;
                    requests.rotate_left(offset);
                    Mix { requests }
                })
                .collect();
            let (wall, cpu) = std::thread::scope(|s| {
                let handles: Vec<_> = mixes
                    .iter()
                    .map(|mix| {
                        let mut svc = layer.layer(handler::<AccessTokenClaims>());
                        let barrier = &barrier;
                        s.spawn(move || {
                            barrier.wait();
                            let t0 = Instant::now();
                            let (cpu, _) = run(&mut svc, mix, None);
                            (t0, Instant::now(), cpu)
                        })
                    })
                    .collect();
                let spans: Vec<(Instant, Instant, Duration)> =
                    handles.into_iter().map(|h| h.join().unwrap()).collect();
                let first = spans.iter().map(|s| s.0).min().unwrap();
                let last = spans.iter().map(|s| s.1).max().unwrap();
                let cpu: Duration = spans.iter().map(|s| s.2).sum();
                (last - first, cpu)
            });
            let total = (threads * mix.requests.len()) as f64;
            best_wall = best_wall.max(total / wall.as_secs_f64());
            // Per-thread CPU rate times the thread count.
            best_cpu = best_cpu.max(total / cpu.as_secs_f64() * threads as f64);
        }
        (best_wall, best_cpu)
    };
    let one = timed(1);
    let two = timed(2);
    (two.0 / one.0, two.1 / one.1)
}

/// DPoP-bound requests (token + proof) against plain bearer requests.
mod dpop {
    use super::*;
    use auth0_jwt::dpop::{
        DpopAccessTokenValidator, DpopAuth, DpopAuthLayer, DpopMode, DpopValidator,
    };
    use auth0_jwt::jwk::Jwk;
    use auth0_jwt::sign::SigningKey;
    use serde_json::{Map, Value, json};

    /// Distinct bound tokens (one client key each) and requests per token per round.
    const TOKENS: usize = 200;
    const REUSE: usize = 25;
    const BASE: &str = "https://api.bench.example";
    const PATH: &str = "/orders";

    struct Client {
        key: SigningKey,
        jwk: Value,
        token: String,
        ath: String,
    }

    fn clients(keys: &Keys) -> Vec<Client> {
        let now = now();
        (0..TOKENS)
            .map(|i| {
                let key = SigningKey::generate_es256().unwrap().with_typ(None);
                let mut jwk = serde_json::to_value(key.to_public_jwk().unwrap()).unwrap();
                jwk.as_object_mut().unwrap().remove("kid");
                let jkt = Jwk::from_value(jwk.clone()).unwrap().thumbprint().unwrap();
                let mut claims = access_claims(&format!("auth0|dpop{i:05}"), now + 3_600);
                claims["cnf"] = json!({ "jkt": jkt });
                let token = keys.mint(Alg::RS256, Alg::RS256.kid(), &claims);
                let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
                let ath = auth0_benches::b64(digest.as_ref());
                Client {
                    key,
                    jwk,
                    token,
                    ath,
                }
            })
            .collect()
    }

    /// One round of requests: every client `REUSE` times, each with a new
    /// proof (RFC 9449 §4.2; a proof is single-use), interleaved.
    fn round(clients: &[Client], round: usize) -> Vec<(HeaderValue, HeaderValue)> {
        let now = now();
        let mut requests = Vec::with_capacity(TOKENS * REUSE);
        for r in 0..REUSE {
            for (i, c) in clients.iter().enumerate() {
                let mut header = Map::new();
                header.insert("typ".into(), json!("dpop+jwt"));
                header.insert("jwk".into(), c.jwk.clone());
                let claims = json!({
                    "jti": format!("{round}-{r}-{i}"), "htm": "GET",
                    "htu": format!("{BASE}{PATH}"), "iat": now, "ath": c.ath,
                });
                let proof = c.key.sign_token(&header, &claims).unwrap();
                requests.push((
                    HeaderValue::from_str(&format!("DPoP {}", c.token)).unwrap(),
                    HeaderValue::from_str(&proof).unwrap(),
                ));
            }
        }
        requests
    }

    fn layer(keys: &Keys, cache: bool) -> DpopAuth<Handler> {
        let validator = DpopAccessTokenValidator::new(
            owned_validator(keys, cache),
            DpopValidator::builder()
                .external_base_url(BASE)
                .build()
                .unwrap(),
            DpopMode::Allowed,
        );
        DpopAuthLayer::new(validator).layer(handler::<AccessTokenClaims>())
    }

    /// Sends `requests` once; thread CPU time and the count of 200s.
    fn run_dpop(
        svc: &mut DpopAuth<Handler>,
        requests: &[(HeaderValue, HeaderValue)],
    ) -> (Duration, usize) {
        let mut ok = 0;
        let start = thread_cpu_time();
        for (auth, proof) in requests {
            let mut request = Request::new(());
            *request.uri_mut() = http::Uri::from_static(PATH);
            request.headers_mut().insert(AUTHORIZATION, auth.clone());
            request.headers_mut().insert("dpop", proof.clone());
            let response =
                block_on(async { svc.ready().await.unwrap().call(request).await.unwrap() });
            ok += usize::from(response.status() == StatusCode::OK);
        }
        (thread_cpu_time() - start, ok)
    }

    pub(super) fn bench(keys: &Keys) {
        let clients = clients(keys);
        let n = TOKENS * REUSE;
        println!(
            "DPoP bench: {TOKENS} DPoP-bound RS256 tokens x {REUSE} requests per round, each with a fresh ES256 proof; plain bearer: the same tokens' claims without cnf; verified-token cache on unless said; one thread"
        );
        // Plain bearer through the bearer layer, same token count and reuse.
        let now = now();
        let bearer: Vec<HeaderValue> = (0..TOKENS)
            .map(|i| {
                let claims = access_claims(&format!("auth0|dpop{i:05}"), now + 3_600);
                let token = keys.mint(Alg::RS256, Alg::RS256.kid(), &claims);
                HeaderValue::from_str(&format!("Bearer {token}")).unwrap()
            })
            .collect();
        let bearer_mix = Mix {
            requests: (0..REUSE)
                .flat_map(|_| bearer.iter().map(|v| (Kind::Valid, v.clone())))
                .collect(),
        };
        let mut svc_bearer =
            BearerAuthLayer::from_arc(validator(keys, true)).layer(handler::<AccessTokenClaims>());
        run(&mut svc_bearer, &bearer_mix, None); // first sightings
        let mut svc_cached = layer(keys, true);
        let mut svc_plain = layer(keys, false);
        // Warm-up rounds (first sightings of the tokens in the cached one).
        let (_, ok) = run_dpop(&mut svc_cached, &round(&clients, 0));
        assert_eq!(ok, n, "every DPoP request of the warm-up passes");
        let mut bearer_rates = Vec::new();
        let mut cached_rates = Vec::new();
        let mut plain_rates = Vec::new();
        for r in 1..=ROUNDS {
            let (t, ok) = run(&mut svc_bearer, &bearer_mix, None);
            assert_eq!(ok, n);
            bearer_rates.push(n as f64 / t.as_secs_f64());
            let requests = round(&clients, r);
            let (t, ok) = run_dpop(&mut svc_cached, &requests);
            assert_eq!(ok, n, "every fresh proof passes");
            cached_rates.push(n as f64 / t.as_secs_f64());
            // The same proofs again: all replays, all refused.
            let (_, ok) = run_dpop(&mut svc_cached, &requests[..TOKENS]);
            assert_eq!(ok, 0, "replayed proofs are refused");
            let requests = round(&clients, 100 + r);
            let (t, ok) = run_dpop(&mut svc_plain, &requests);
            assert_eq!(ok, n);
            plain_rates.push(n as f64 / t.as_secs_f64());
        }
        let bearer = median(bearer_rates);
        let cached = median(cached_rates);
        let plain = median(plain_rates);
        let per = |rate: f64| fmt_duration(Duration::from_secs_f64(1.0 / rate));
        println!(
            "plain bearer (cache hits): {} = {} per request",
            fmt_rate(bearer),
            per(bearer)
        );
        println!(
            "DPoP-bound, token cached + proof checked: {} = {} per request",
            fmt_rate(cached),
            per(cached)
        );
        println!(
            "DPoP-bound, no token cache: {} = {} per request",
            fmt_rate(plain),
            per(plain)
        );
        println!(
            "RATIO DPoP-bound (token + proof) / plain bearer, time per request: {:.2}x",
            bearer / cached
        );
        println!(
            "RATIO DPoP-bound without / with the token cache, time per request: {:.2}x (the cache keeps working for bound tokens)",
            cached / plain
        );
    }
}
