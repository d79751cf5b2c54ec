//! Shared helpers for the peer benchmarks: test keys, token minting with raw
//! ring (so neither library under test signs its own tokens), a no-runtime
//! `block_on`, and timing statistics.
//!
//! Everything here is for benchmarks only; the RSA key in `keys/` is a
//! throwaway key generated for this purpose.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

pub mod management_server;

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{self, KeyPair as _};
use serde_json::{Value, json};

/// Issuer and audience used by every benchmark token.
pub const ISSUER: &str = "https://bench.example.auth0.com/";
pub const AUDIENCE: &str = "https://api.bench.example";

/// Polls a future that is expected to complete without waiting on I/O
/// (static keys, in-memory handler). No runtime in the measurement.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The algorithms compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    RS256,
    ES256,
    EdDSA,
    HS256,
}

impl Alg {
    pub const ALL: [Alg; 4] = [Alg::RS256, Alg::ES256, Alg::EdDSA, Alg::HS256];

    pub fn name(self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::ES256 => "ES256",
            Alg::EdDSA => "EdDSA",
            Alg::HS256 => "HS256",
        }
    }

    pub fn kid(self) -> &'static str {
        match self {
            Alg::RS256 => "bench-rsa",
            Alg::ES256 => "bench-p256",
            Alg::EdDSA => "bench-ed25519",
            Alg::HS256 => "bench-hmac",
        }
    }
}

/// One signing key per algorithm, plus what verifiers need.
pub struct Keys {
    pub rsa: signature::RsaKeyPair,
    pub p256: signature::EcdsaKeyPair,
    pub ed25519: signature::Ed25519KeyPair,
    pub hmac_secret: Vec<u8>,
    pub hmac: ring::hmac::Key,
    rng: SystemRandom,
}

impl Default for Keys {
    fn default() -> Self {
        Self::new()
    }
}

impl Keys {
    pub fn new() -> Self {
        let rng = SystemRandom::new();
        let pem = include_str!("../keys/rsa2048.pem");
        let der = pem_body(pem);
        let rsa = signature::RsaKeyPair::from_pkcs8(&der).expect("rsa key");
        let p256_doc = signature::EcdsaKeyPair::generate_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &rng,
        )
        .unwrap();
        let p256 = signature::EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            p256_doc.as_ref(),
            &rng,
        )
        .unwrap();
        let ed_doc = signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let ed25519 = signature::Ed25519KeyPair::from_pkcs8(ed_doc.as_ref()).unwrap();
        let hmac_secret: Vec<u8> = (0u8..32)
            .map(|i| i.wrapping_mul(37).wrapping_add(11))
            .collect();
        let hmac = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &hmac_secret);
        Self {
            rsa,
            p256,
            ed25519,
            hmac_secret,
            hmac,
            rng,
        }
    }

    /// RSA modulus and exponent, big-endian without leading zeros.
    pub fn rsa_n_e(&self) -> (Vec<u8>, Vec<u8>) {
        let c = signature::RsaPublicKeyComponents::<Vec<u8>>::from(self.rsa.public());
        (c.n, c.e)
    }

    /// P-256 affine coordinates.
    pub fn p256_x_y(&self) -> (Vec<u8>, Vec<u8>) {
        let point = self.p256.public_key().as_ref();
        (point[1..33].to_vec(), point[33..65].to_vec())
    }

    pub fn ed25519_public(&self) -> Vec<u8> {
        self.ed25519.public_key().as_ref().to_vec()
    }

    /// The public JWK for `alg` (the secret itself for HS256).
    pub fn jwk(&self, alg: Alg, kid: &str) -> Value {
        match alg {
            Alg::RS256 => {
                let (n, e) = self.rsa_n_e();
                json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64(&n), "e": b64(&e)})
            }
            Alg::ES256 => {
                let (x, y) = self.p256_x_y();
                json!({"kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256", "x": b64(&x), "y": b64(&y)})
            }
            Alg::EdDSA => {
                json!({"kty": "OKP", "kid": kid, "use": "sig", "alg": "EdDSA", "crv": "Ed25519", "x": b64(&self.ed25519_public())})
            }
            Alg::HS256 => {
                json!({"kty": "oct", "kid": kid, "alg": "HS256", "k": b64(&self.hmac_secret)})
            }
        }
    }

    /// Signs `header.payload` with the key for `alg`; returns the signature.
    pub fn sign(&self, alg: Alg, signing_input: &[u8]) -> Vec<u8> {
        match alg {
            Alg::RS256 => {
                let mut sig = vec![0; self.rsa.public().modulus_len()];
                self.rsa
                    .sign(
                        &signature::RSA_PKCS1_SHA256,
                        &self.rng,
                        signing_input,
                        &mut sig,
                    )
                    .unwrap();
                sig
            }
            Alg::ES256 => self
                .p256
                .sign(&self.rng, signing_input)
                .unwrap()
                .as_ref()
                .to_vec(),
            Alg::EdDSA => self.ed25519.sign(signing_input).as_ref().to_vec(),
            Alg::HS256 => ring::hmac::sign(&self.hmac, signing_input)
                .as_ref()
                .to_vec(),
        }
    }

    /// Mints a compact JWS with this header `kid` and claims.
    pub fn mint(&self, alg: Alg, kid: &str, claims: &Value) -> String {
        let header = json!({"alg": alg.name(), "typ": "at+jwt", "kid": kid});
        let signing_input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let sig = self.sign(alg, signing_input.as_bytes());
        format!("{signing_input}.{}", b64(&sig))
    }
}

/// Realistic Auth0 access-token claims (~450 bytes of JSON).
pub fn access_claims(sub: &str, exp: i64) -> Value {
    let iat = exp - 86_400;
    json!({
        "iss": ISSUER,
        "sub": sub,
        "aud": [AUDIENCE, "https://bench.example.auth0.com/userinfo"],
        "iat": iat,
        "exp": exp,
        "azp": "k5u3o2fiAA8XweXEEX604KCwCjzjtMU6",
        "scope": "openid profile email read:orders write:orders",
        "permissions": ["read:orders", "write:orders"],
        "gty": "client-credentials",
    })
}

/// The parts of a compact JWS, decoded once up front (for the raw-ring floor).
pub struct Split {
    pub signing_input: Vec<u8>,
    pub signature: Vec<u8>,
}

pub fn split(token: &str) -> Split {
    let dot = token.rfind('.').unwrap();
    Split {
        signing_input: token.as_bytes()[..dot].to_vec(),
        signature: URL_SAFE_NO_PAD.decode(&token[dot + 1..]).unwrap(),
    }
}

/// Flips one bit in the signature part of a token (still valid base64url).
pub fn forge(token: &str, salt: usize) -> String {
    let dot = token.rfind('.').unwrap();
    let mut sig = URL_SAFE_NO_PAD.decode(&token[dot + 1..]).unwrap();
    let i = salt % sig.len();
    sig[i] ^= 1 << (salt % 8);
    format!("{}.{}", &token[..dot], b64(&sig))
}

fn pem_body(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    STANDARD.decode(body).unwrap()
}

/// Deterministic xorshift64* for shuffling request mixes.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// CPU time consumed by the calling thread. Unlike wall time it does not
/// count time the thread spent preempted by other processes, so figures stay
/// comparable on a busy, shared machine (cache and SMT interference remain).
pub fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Median of a set of measurements.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Times `iters` calls of `f` in thread CPU time, returning calls per second.
pub fn throughput(iters: usize, mut f: impl FnMut(usize) -> bool) -> f64 {
    let start = thread_cpu_time();
    for i in 0..iters {
        black_box(f(black_box(i)));
    }
    iters as f64 / (thread_cpu_time() - start).as_secs_f64()
}

/// Latency percentiles from per-request nanosecond samples.
pub struct Percentiles {
    pub p50: Duration,
    pub p99: Duration,
}

pub fn percentiles(samples: &mut [u64]) -> Percentiles {
    samples.sort_unstable();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        Duration::from_nanos(samples[i])
    };
    Percentiles {
        p50: at(0.50),
        p99: at(0.99),
    }
}

/// `12.3 µs` style formatting.
pub fn fmt_duration(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns >= 1_000_000.0 {
        format!("{:.2} ms", ns / 1_000_000.0)
    } else if ns >= 1_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

/// `1.23 M/s` style formatting.
pub fn fmt_rate(per_sec: f64) -> String {
    if per_sec >= 1_000_000.0 {
        format!("{:.2} M/s", per_sec / 1_000_000.0)
    } else if per_sec >= 1_000.0 {
        format!("{:.1} k/s", per_sec / 1_000.0)
    } else {
        format!("{per_sec:.0} /s")
    }
}
