//! Replays the checked-in fuzz corpus (`fuzz/corpus/<target>/`) through the
//! same harnesses the fuzz targets call, so every input the fuzzer kept
//! (findings included) stays a regression test on stable; plus a proptest
//! differential of fast vs full token parsing. Run with `--features fuzzing`
//! (`cargo xtask test` does). See docs/FUZZING.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../fuzz/replay.rs"]
mod replay;

use auth0_jwt::fuzzing;
use proptest::prelude::*;

use replay::replay;

#[test]
fn jws_claims_corpus() {
    replay("jws_claims", fuzzing::jws_claims);
}

#[test]
fn json_corpus() {
    replay("json", fuzzing::json);
}

#[test]
fn base64url_corpus() {
    replay("base64url", fuzzing::base64url);
}

#[test]
fn jwk_corpus() {
    replay("jwk", fuzzing::jwk);
}

#[test]
fn pem_der_corpus() {
    replay("pem_der", fuzzing::pem_der);
}

#[test]
fn gateway_corpus() {
    replay("gateway", fuzzing::gateway);
}

#[test]
fn dpop_corpus() {
    replay("dpop", fuzzing::dpop);
}

#[test]
fn logout_corpus() {
    replay("logout", fuzzing::logout);
}

#[test]
fn htu_corpus() {
    replay("htu", fuzzing::htu);
}

#[test]
fn id_token_corpus() {
    replay("id_token", fuzzing::id_token);
}

/// Member names: every registered claim, escaped spellings of some, custom
/// names (unicode included) — drawn from a small pool so duplicates happen.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "iss", "sub", "aud", "exp", "nbf", "iat", "auth_time", "nonce", "azp",
            "org_id", "org_name", "scope", "permissions", "jti",
        ])
        .prop_map(|n| format!("\"{n}\"")),
        1 => prop::sample::select(vec![
            r#""\u0065xp""#, r#""i\u0073s""#, r#""a\u0075d""#, r#""\u00e9""#, r#""é""#,
            r#""gty""#, r#""https://example.com/roles""#, r#""x""#, r#""""#, r#""alg""#,
            r#""kid""#, r#""typ""#, r#""crit""#, r#""b64""#, r#""cty""#,
        ])
        .prop_map(str::to_owned),
    ]
}

/// JSON string literals: plain, escaped, unicode, control escapes.
fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 :/|._-]{0,24}".prop_map(|s| format!("\"{s}\"")),
        "\\PC{0,8}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        prop::sample::select(vec![
            r#""a\"b""#,
            r#""\\""#,
            r#""\u0041""#,
            r#""\ud83d\ude00""#,
            r#""\n\t""#,
            r#""\/""#,
            r#""ü…""#,
        ])
        .prop_map(str::to_owned),
    ]
}

/// JSON numbers, odd ones included: fractions, exponents, negative zero,
/// huge, at the 18/19-digit boundary of the fast path.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u32>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        (any::<u32>(), 0u32..100).prop_map(|(a, b)| format!("{a}.{b}")),
        (1u32..10, 0i32..20).prop_map(|(a, e)| format!("{a}e{e}")),
        prop::sample::select(vec![
            "0",
            "-0",
            "1.0",
            "1e9",
            "1E+9",
            "1e-1",
            "0.5",
            "999999999999999999",
            "1000000000000000000",
            "9223372036854775807",
            "9223372036854775808",
            "18446744073709551616",
            "1e400",
            "-1",
            "01",
            "1.",
            ".5",
        ])
        .prop_map(str::to_owned),
    ]
}

fn value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        3 => string(),
        3 => number(),
        1 => prop::sample::select(vec!["true", "false", "null"]).prop_map(str::to_owned),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(string(), 0..4).prop_map(|v| format!("[ {} ]", v.join(" , "))),
            prop::collection::vec((name(), inner), 0..3).prop_map(|m| {
                let members: Vec<String> = m.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

/// A claim set as JSON text, with optional whitespace around the tokens.
fn claim_set() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((name(), value()), 0..10),
        prop::sample::select(vec!["", " ", "\n", "\t "]),
    )
        .prop_map(|(members, ws)| {
            let members: Vec<String> = members
                .into_iter()
                .map(|(k, v)| format!("{ws}{k}{ws}:{ws}{v}{ws}"))
                .collect();
            format!("{ws}{{{}}}{ws}", members.join(","))
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// Generated claim sets: the flat fast path, the full one-pass parser and
    /// the strict map agree on accept/reject and on every registered claim;
    /// and a token carrying the set parses the same way on the validators'
    /// path and through `Jws::parse`.
    #[test]
    fn fast_and_full_token_parsing_agree(claims in claim_set()) {
        fuzzing::claims(claims.as_bytes());
        fuzzing::json(claims.as_bytes());
        let header = br#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#;
        fuzzing::jws_claims(&fuzzing::parts_input(header, claims.as_bytes()));
    }

    /// Headers of the same shapes go through the header fast path and the
    /// full header parser.
    #[test]
    fn fast_and_full_header_parsing_agree(header in claim_set()) {
        fuzzing::jws_claims(&fuzzing::parts_input(header.as_bytes(), b"{}"));
    }
}
