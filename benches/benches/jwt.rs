//! Verify + validate throughput on one core, per algorithm:
//!
//! (a) auth0-jwt: `AccessTokenValidator::validate` with the cache OFF and
//!     static keys (parse, alg allow-list, key lookup by kid, signature,
//!     claim parsing, iss/aud/exp/nbf/iat checks), and `validate_as` into
//!     the same typed struct jsonwebtoken gets;
//! (b) the floor: signature verification of the same signing input with the
//!     key prepared once, signature already decoded — aws-lc
//!     `ParsedPublicKey` for RS256 and ES256, ed25519-dalek with a decoded
//!     key for EdDSA, a ring `hmac::Key` for HS256. Every other figure is
//!     printed as a multiple of the floor's cost per token; raw ring
//!     (`UnparsedPublicKey`, key set up per call) stays as context;
//! (c) jsonwebtoken 11 (aws-lc backend): `decode` into a typed claims struct
//!     with the same checks (iss, aud, exp with 5 s leeway, required claims),
//!     one fixed key (no kid lookup) — the most favourable setup for the peer;
//! (d) for context, not a target: jsonwebtoken 10 on its pure-Rust
//!     (RustCrypto) backend, same setup as (c).
//!
//! The three run interleaved in rounds; each figure is the median round.
//! Heap allocations per call are counted (a counting global allocator,
//! outside the timed rounds) and printed next to the rates.
//! Run: `cargo bench --manifest-path benches/Cargo.toml --bench jwt` (with
//! auth0-jwt's opt-in aws-lc RSA and ed25519-dalek EdDSA backends, the bench
//! crate's default features), add `--no-default-features` for auth0-jwt's
//! default build (ring verifies everything).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use auth0_benches::{
    AUDIENCE, Alg, ISSUER, Keys, Split, access_claims, b64, block_on, fmt_rate, median, now, split,
    thread_cpu_time, throughput,
};
use auth0_jwt::access_token::AccessTokenValidator;
use auth0_jwt::alg::Algorithm;
use auth0_jwt::cache::CacheConfig;
use auth0_jwt::key::{EcCurve, KeySet, VerifyingKey};
use auth0_jwt::verifier::StaticKeys;
use serde::Deserialize;

/// Counts heap allocations (and reallocations), then defers to the system
/// allocator.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to `System`.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Heap allocations per call of `f`, over every token once.
fn allocations_per_call(f: &dyn Fn(usize) -> bool) -> f64 {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for i in 0..TOKENS_PER_ALG {
        black_box(f(black_box(i)));
    }
    (ALLOCATIONS.load(Ordering::Relaxed) - before) as f64 / TOKENS_PER_ALG as f64
}

const TOKENS_PER_ALG: usize = 64;
const ROUNDS: usize = 11;
/// Target wall time of one measurement (one implementation, one round).
const SLICE: Duration = Duration::from_millis(60);

/// What jsonwebtoken deserializes into: exactly the claims we mint.
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

struct Case {
    alg: Alg,
    tokens: Vec<String>,
    splits: Vec<Split>,
    validator: AccessTokenValidator,
    /// The same validator with its verified-token cache on.
    cached: AccessTokenValidator,
    ring_verify: Box<dyn Fn(&Split) -> bool>,
    /// The prepared-key floor (see the module docs) and what it is.
    floor_verify: Box<dyn Fn(&Split) -> bool>,
    floor_name: &'static str,
    jwt_key: jsonwebtoken::DecodingKey,
    jwt_validation: jsonwebtoken::Validation,
    rc_key: jsonwebtoken_rc::DecodingKey,
    rc_validation: jsonwebtoken_rc::Validation,
}

fn auth0_key(keys: &Keys, alg: Alg) -> VerifyingKey {
    let key = match alg {
        Alg::RS256 => {
            let (n, e) = keys.rsa_n_e();
            VerifyingKey::rsa(&n, &e)
        }
        Alg::ES256 => {
            let (x, y) = keys.p256_x_y();
            VerifyingKey::ec(EcCurve::P256, &x, &y)
        }
        Alg::EdDSA => VerifyingKey::ed25519(&keys.ed25519_public()),
        Alg::HS256 => VerifyingKey::hmac(&keys.hmac_secret),
    };
    key.unwrap().with_kid(alg.kid())
}

fn auth0_alg(alg: Alg) -> Algorithm {
    match alg {
        Alg::RS256 => Algorithm::RS256,
        Alg::ES256 => Algorithm::ES256,
        Alg::EdDSA => Algorithm::EdDSA,
        Alg::HS256 => Algorithm::HS256,
    }
}

fn ring_verifier(keys: &Keys, alg: Alg) -> Box<dyn Fn(&Split) -> bool> {
    use ring::signature::{self, KeyPair as _, UnparsedPublicKey};
    match alg {
        Alg::RS256 => {
            let public = keys.rsa.public().as_ref().to_vec();
            Box::new(move |s: &Split| {
                UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &public)
                    .verify(&s.signing_input, &s.signature)
                    .is_ok()
            })
        }
        Alg::ES256 => {
            let public = keys.p256.public_key().as_ref().to_vec();
            Box::new(move |s: &Split| {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &public)
                    .verify(&s.signing_input, &s.signature)
                    .is_ok()
            })
        }
        Alg::EdDSA => {
            let public = keys.ed25519_public();
            Box::new(move |s: &Split| {
                UnparsedPublicKey::new(&signature::ED25519, &public)
                    .verify(&s.signing_input, &s.signature)
                    .is_ok()
            })
        }
        Alg::HS256 => {
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &keys.hmac_secret);
            Box::new(move |s: &Split| {
                ring::hmac::verify(&key, &s.signing_input, &s.signature).is_ok()
            })
        }
    }
}

/// Signature verification with the key prepared once: the floor.
fn floor_verifier(keys: &Keys, alg: Alg) -> (Box<dyn Fn(&Split) -> bool>, &'static str) {
    use aws_lc_rs::signature::{self as lc, ParsedPublicKey};
    use ring::signature::KeyPair as _;
    match alg {
        Alg::RS256 => {
            let key =
                ParsedPublicKey::new(&lc::RSA_PKCS1_2048_8192_SHA256, keys.rsa.public().as_ref())
                    .unwrap();
            let f = move |s: &Split| key.verify_sig(&s.signing_input, &s.signature).is_ok();
            (Box::new(f), "aws-lc ParsedPublicKey")
        }
        Alg::ES256 => {
            let key = ParsedPublicKey::new(
                &lc::ECDSA_P256_SHA256_FIXED,
                keys.p256.public_key().as_ref(),
            )
            .unwrap();
            let f = move |s: &Split| key.verify_sig(&s.signing_input, &s.signature).is_ok();
            (Box::new(f), "aws-lc ParsedPublicKey")
        }
        Alg::EdDSA => {
            use ed25519_dalek::Verifier as _;
            let key =
                ed25519_dalek::VerifyingKey::from_bytes(&keys.ed25519_public().try_into().unwrap())
                    .unwrap();
            let f = move |s: &Split| {
                ed25519_dalek::Signature::from_slice(&s.signature)
                    .is_ok_and(|sig| key.verify(&s.signing_input, &sig).is_ok())
            };
            (Box::new(f), "ed25519-dalek decoded key")
        }
        Alg::HS256 => {
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &keys.hmac_secret);
            let f =
                move |s: &Split| ring::hmac::verify(&key, &s.signing_input, &s.signature).is_ok();
            (Box::new(f), "ring hmac::Key")
        }
    }
}

fn jwt_key(keys: &Keys, alg: Alg) -> (jsonwebtoken::DecodingKey, jsonwebtoken::Algorithm) {
    use jsonwebtoken::{Algorithm as J, DecodingKey};
    match alg {
        Alg::RS256 => {
            let (n, e) = keys.rsa_n_e();
            (DecodingKey::from_rsa_raw_components(&n, &e), J::RS256)
        }
        Alg::ES256 => {
            let (x, y) = keys.p256_x_y();
            (
                DecodingKey::from_ec_components(&b64(&x), &b64(&y)).unwrap(),
                J::ES256,
            )
        }
        Alg::EdDSA => (
            DecodingKey::from_ed_components(&b64(&keys.ed25519_public())).unwrap(),
            J::EdDSA,
        ),
        Alg::HS256 => (DecodingKey::from_secret(&keys.hmac_secret), J::HS256),
    }
}

fn rc_key(keys: &Keys, alg: Alg) -> (jsonwebtoken_rc::DecodingKey, jsonwebtoken_rc::Algorithm) {
    use jsonwebtoken_rc::{Algorithm as J, DecodingKey};
    match alg {
        Alg::RS256 => {
            let (n, e) = keys.rsa_n_e();
            (DecodingKey::from_rsa_raw_components(&n, &e), J::RS256)
        }
        Alg::ES256 => {
            let (x, y) = keys.p256_x_y();
            (
                DecodingKey::from_ec_components(&b64(&x), &b64(&y)).unwrap(),
                J::ES256,
            )
        }
        Alg::EdDSA => (
            DecodingKey::from_ed_components(&b64(&keys.ed25519_public())).unwrap(),
            J::EdDSA,
        ),
        Alg::HS256 => (DecodingKey::from_secret(&keys.hmac_secret), J::HS256),
    }
}

fn case(keys: &Keys, alg: Alg) -> Case {
    let exp = now() + 3_600;
    let tokens: Vec<String> = (0..TOKENS_PER_ALG)
        .map(|i| {
            keys.mint(
                alg,
                alg.kid(),
                &access_claims(&format!("auth0|user{i:04}"), exp),
            )
        })
        .collect();
    let splits = tokens.iter().map(|t| split(t)).collect();
    let mut set = KeySet::new();
    set.insert(auth0_key(keys, alg));
    let builder = || {
        AccessTokenValidator::builder()
            .key_source(StaticKeys::new(set.clone()))
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .algorithms([auth0_alg(alg)])
    };
    let validator = builder().no_cache().build().unwrap();
    // Explicitly: the default leaves it off for HMAC algorithms.
    let cached = builder().cache(CacheConfig::default()).build().unwrap();
    let (jwt_key, jwt_alg) = jwt_key(keys, alg);
    let mut jwt_validation = jsonwebtoken::Validation::new(jwt_alg);
    jwt_validation.set_issuer(&[ISSUER]);
    jwt_validation.set_audience(&[AUDIENCE]);
    jwt_validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    jwt_validation.leeway = 5;
    let (rc_key, rc_alg) = rc_key(keys, alg);
    let mut rc_validation = jsonwebtoken_rc::Validation::new(rc_alg);
    rc_validation.set_issuer(&[ISSUER]);
    rc_validation.set_audience(&[AUDIENCE]);
    rc_validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    rc_validation.leeway = 5;
    let (floor_verify, floor_name) = floor_verifier(keys, alg);
    Case {
        alg,
        tokens,
        splits,
        validator,
        cached,
        ring_verify: ring_verifier(keys, alg),
        floor_verify,
        floor_name,
        jwt_key,
        jwt_validation,
        rc_key,
        rc_validation,
    }
}

impl Case {
    fn auth0(&self, i: usize) -> bool {
        block_on(self.validator.validate(&self.tokens[i % TOKENS_PER_ALG])).is_ok()
    }

    /// A verified-token cache hit (after `warm_cache`).
    fn auth0_hit(&self, i: usize) -> bool {
        block_on(self.cached.validate(&self.tokens[i % TOKENS_PER_ALG])).is_ok()
    }

    fn warm_cache(&self) {
        for i in 0..TOKENS_PER_ALG {
            assert!(self.auth0_hit(i));
        }
        for token in &self.tokens {
            // Answered from the cache, so `validate` takes the hit path.
            assert!(
                self.cached
                    .validate_cached(token)
                    .is_some_and(|r| r.is_ok())
            );
        }
    }

    fn auth0_as(&self, i: usize) -> bool {
        block_on(
            self.validator
                .validate_as::<JwtClaims>(&self.tokens[i % TOKENS_PER_ALG]),
        )
        .is_ok()
    }

    fn ring(&self, i: usize) -> bool {
        (self.ring_verify)(&self.splits[i % TOKENS_PER_ALG])
    }

    fn floor(&self, i: usize) -> bool {
        (self.floor_verify)(&self.splits[i % TOKENS_PER_ALG])
    }

    fn jwt(&self, i: usize) -> bool {
        jsonwebtoken::decode::<JwtClaims>(
            &self.tokens[i % TOKENS_PER_ALG],
            &self.jwt_key,
            &self.jwt_validation,
        )
        .is_ok()
    }

    fn rc(&self, i: usize) -> bool {
        jsonwebtoken_rc::decode::<JwtClaims>(
            &self.tokens[i % TOKENS_PER_ALG],
            &self.rc_key,
            &self.rc_validation,
        )
        .is_ok()
    }

    /// All four accept every token and reject a forged one.
    fn check(&self) {
        for i in 0..TOKENS_PER_ALG {
            assert!(
                self.auth0(i),
                "{} auth0-jwt rejected a valid token",
                self.alg.name()
            );
            assert!(
                self.ring(i),
                "{} ring rejected a valid token",
                self.alg.name()
            );
            assert!(
                self.auth0_as(i),
                "{} auth0-jwt validate_as rejected a valid token",
                self.alg.name()
            );
            assert!(
                self.floor(i),
                "{} the floor rejected a valid token",
                self.alg.name()
            );
            assert!(
                self.jwt(i),
                "{} jsonwebtoken rejected a valid token",
                self.alg.name()
            );
            assert!(
                self.rc(i),
                "{} jsonwebtoken (rust_crypto) rejected a valid token",
                self.alg.name()
            );
        }
        let forged = auth0_benches::forge(&self.tokens[0], 77);
        assert!(block_on(self.validator.validate(&forged)).is_err());
        assert!(!(self.ring_verify)(&split(&forged)));
        assert!(!(self.floor_verify)(&split(&forged)));
        assert!(
            jsonwebtoken::decode::<JwtClaims>(&forged, &self.jwt_key, &self.jwt_validation)
                .is_err()
        );
        assert!(
            jsonwebtoken_rc::decode::<JwtClaims>(&forged, &self.rc_key, &self.rc_validation)
                .is_err()
        );
    }
}

/// Calls `f` `iters` times, returns calls per second of thread CPU time.
fn measure(iters: usize, f: &dyn Fn(usize) -> bool) -> f64 {
    throughput(iters, f)
}

/// Number of iterations that takes about `SLICE` of CPU time.
fn calibrate(f: &dyn Fn(usize) -> bool) -> usize {
    let mut iters = 16;
    loop {
        let start = thread_cpu_time();
        for i in 0..iters {
            black_box(f(black_box(i)));
        }
        let elapsed = thread_cpu_time() - start;
        if elapsed >= SLICE / 4 {
            let per = elapsed.as_secs_f64() / iters as f64;
            return ((SLICE.as_secs_f64() / per) as usize).max(16);
        }
        iters *= 2;
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let keys = Keys::new();
    let aws_lc = cfg!(feature = "aws-lc-rs");
    let dalek = cfg!(feature = "ed25519-dalek");
    println!(
        "jwt bench: verify + validate per second of thread CPU time, one thread, cache off, {ROUNDS} interleaved rounds (rates: medians; ratios: median of the per-round ratios)"
    );
    println!(
        "auth0-jwt backends: RSA and ECDSA {}, EdDSA {}, HMAC ring",
        if aws_lc {
            "aws-lc, key parsed once (opt-in feature aws-lc-rs ON)"
        } else {
            "ring, key set up per call (auth0-jwt's default: feature aws-lc-rs OFF)"
        },
        if dalek {
            "ed25519-dalek, point decoded once (opt-in feature ed25519-dalek ON)"
        } else {
            "ring, key decoded per call (auth0-jwt's default: feature ed25519-dalek OFF)"
        }
    );
    println!(
        "x floor = cost per token over the prepared-key floor's (lower is better); \
         validate_as reads the claims into the same struct jsonwebtoken gets"
    );
    let mut failures = Vec::new();
    // For profiling: `JWT_BENCH_PROFILE=HS256` loops auth0-jwt's `validate`
    // only (`JWT_BENCH_PROFILE=HS256:as` `validate_as`, `…:hit` a cache hit,
    // `…:floor` the prepared-key floor).
    if let Ok(spec) = std::env::var("JWT_BENCH_PROFILE") {
        let (name, mode) = spec.split_once(':').unwrap_or((&spec, "validate"));
        let alg = Alg::ALL
            .into_iter()
            .find(|a| a.name() == name)
            .expect("unknown alg");
        let case = case(&keys, alg);
        case.check();
        case.warm_cache();
        let f: &dyn Fn(usize) -> bool = match mode {
            "validate" => &|i| case.auth0(i),
            "as" => &|i| case.auth0_as(i),
            "hit" => &|i| case.auth0_hit(i),
            "floor" => &|i| case.floor(i),
            other => panic!("unknown mode {other}: validate, as, hit or floor"),
        };
        // `JWT_BENCH_ITERS=N`: a fixed count, for `perf stat` (instructions
        // per call do not depend on the machine's load).
        let iters = std::env::var("JWT_BENCH_ITERS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| calibrate(f) * 50);
        let rate = measure(iters, f);
        println!("{name} auth0-jwt {mode}: {}", fmt_rate(rate));
        return;
    }
    let mut table = Vec::new();
    let mut hits = Vec::new();
    // `JWT_BENCH_ALGS=HS256,RS256`: only these algorithms (a quicker loop
    // while working on one path; the targets are judged on a full run).
    let only = std::env::var("JWT_BENCH_ALGS").ok();
    for alg in Alg::ALL {
        if only
            .as_deref()
            .is_some_and(|only| !only.split(',').any(|name| name == alg.name()))
        {
            continue;
        }
        let case = case(&keys, alg);
        case.check();
        let (floor, auth0, auth0_as, jwt, ring, rc) = (
            |i| case.floor(i),
            |i| case.auth0(i),
            |i| case.auth0_as(i),
            |i| case.jwt(i),
            |i| case.ring(i),
            |i| case.rc(i),
        );
        let impls: [&dyn Fn(usize) -> bool; 6] = [&floor, &auth0, &auth0_as, &jwt, &ring, &rc];
        // Warm (lazy key parsing, first-use tables), then count.
        for f in impls {
            allocations_per_call(f);
        }
        let allocs = [
            allocations_per_call(&auth0),
            allocations_per_call(&auth0_as),
            allocations_per_call(&jwt),
        ];
        let iters: Vec<usize> = impls.iter().map(|f| calibrate(*f)).collect();
        let mut samples = vec![Vec::new(); impls.len()];
        for round in 0..ROUNDS {
            // Rotate the order so no implementation always runs first.
            for k in 0..impls.len() {
                let j = (round + k) % impls.len();
                samples[j].push(measure(iters[j], impls[j]));
            }
        }
        // Ratios are taken per round (each contender against the floor of
        // the same round, a few slices apart), then their median: a drift in
        // the machine's speed during the run cancels within a round instead
        // of moving one median and not the other.
        let per_round = |num: usize, den: usize| {
            median(
                (0..ROUNDS)
                    .map(|k| samples[num][k] / samples[den][k])
                    .collect(),
            )
        };
        let costs: Vec<f64> = (0..impls.len()).map(|j| per_round(0, j)).collect();
        let (vs_jwt, vs_ring) = (per_round(1, 3), per_round(1, 4));
        let m: Vec<f64> = samples.iter().cloned().map(median).collect();
        // The verified-token cache's hit path (what a gateway pays for a
        // token it has seen), measured after the interleaved rounds.
        case.warm_cache();
        let hit = |i| case.auth0_hit(i);
        let hit_iters = calibrate(&hit);
        let hit_rate = median((0..ROUNDS).map(|_| measure(hit_iters, &hit)).collect());
        let hit_ns = 1e9 / hit_rate;
        hits.push((alg, hit_ns, allocations_per_call(&hit)));
        if hit_ns > 150.0 {
            failures.push(format!(
                "{} verified-token cache hit = {hit_ns:.0} ns > 150 ns",
                alg.name()
            ));
        }
        let backend = match alg {
            Alg::RS256 | Alg::ES256 if aws_lc => "aws-lc",
            Alg::EdDSA if dalek => "ed25519-dalek",
            Alg::RS256 | Alg::ES256 | Alg::HS256 | Alg::EdDSA => "ring",
        };
        table.push((
            alg,
            backend,
            case.floor_name,
            m.clone(),
            costs.clone(),
            vs_jwt,
            allocs,
        ));
        let (c_a, c_as) = (costs[1], costs[2]);
        let limits: &[(f64, f64)] = match alg {
            // aws-lc's prepared RSA key is auth0-jwt's own backend only with
            // the feature; ring's ECDSA verification is as fast as aws-lc's
            // prepared key (the raw ring column), so ES256 is judged on both.
            Alg::RS256 if aws_lc => &[(1.03, 1.03)],
            Alg::ES256 => &[(1.03, 1.03)],
            Alg::HS256 => &[(2.0, 2.4)],
            _ => &[],
        };
        for &(max_a, max_as) in limits {
            if c_a > max_a {
                failures.push(format!(
                    "{} validate = {c_a:.3}x floor > {max_a:.2}x",
                    alg.name()
                ));
            }
            if c_as > max_as {
                failures.push(format!(
                    "{} validate_as = {c_as:.3}x floor > {max_as:.2}x",
                    alg.name()
                ));
            }
        }
        if alg == Alg::RS256 && vs_ring < 0.9 {
            failures.push(format!("RS256 auth0-jwt/ring = {vs_ring:.3} < 0.90"));
        }
        if alg == Alg::HS256 && vs_jwt < 2.0 {
            failures.push(format!("HS256 auth0-jwt/jsonwebtoken = {vs_jwt:.3} < 2.0"));
        }
        if vs_jwt < 1.0 {
            failures.push(format!(
                "{} auth0-jwt/jsonwebtoken = {vs_jwt:.3} < 1.0",
                alg.name()
            ));
        }
    }
    println!();
    println!(
        "| alg | auth0-jwt backend | floor | floor rate | validate | validate_as | jsonwebtoken 11 aws-lc | raw ring (per-call key) | jsonwebtoken 10 rust_crypto | validate/jsonwebtoken | allocations per call: validate / validate_as / jsonwebtoken |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for (alg, backend, name, rates, costs, vs_jwt, [n_a, n_as, n_j]) in table {
        println!(
            "| {} | {backend} | {name} | {} | {:.2}x ({}) | {:.2}x ({}) | {:.2}x ({}) | {:.2}x | {:.2}x | {vs_jwt:.2}x faster | {n_a:.1} / {n_as:.1} / {n_j:.1} |",
            alg.name(),
            fmt_rate(rates[0]),
            costs[1],
            fmt_rate(rates[1]),
            costs[2],
            fmt_rate(rates[2]),
            costs[3],
            fmt_rate(rates[3]),
            costs[4],
            costs[5],
        );
    }
    println!();
    println!(
        "verified-token cache hit (`validate` with the cache on, warm, same tokens): {}",
        hits.iter()
            .map(|(alg, ns, allocs)| format!("{} {ns:.0} ns ({allocs:.1} allocations)", alg.name()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!();
    println!(
        "targets: validate and validate_as <= 1.03x floor for RS256 (aws-lc build) and ES256, HS256 validate <= 2.0x \
         and validate_as <= 2.4x floor; verified-token cache hit <= 150 ns; RS256 >= 0.90x raw ring; HS256 >= 2x jsonwebtoken; every alg \
         >= 1x jsonwebtoken (judged against the aws-lc backend; the rust_crypto column is context)"
    );
    if failures.is_empty() {
        println!("all targets met");
    } else {
        for f in &failures {
            println!("TARGET MISSED: {f}");
        }
    }
}
