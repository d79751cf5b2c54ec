//! Domain parsing and configuration validation, without any network.

// Helpers outside #[test] fns may unwrap too: this is test code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use auth0_core::config::{ClientConfig, Domain};
use auth0_core::error::{ConfigError, InvalidDomainReason as R};

#[test]
fn domain_table() {
    // (input, allow insecure loopback, expected base URL)
    let accepted: &[(&str, bool, &str)] = &[
        ("tenant.auth0.com", false, "https://tenant.auth0.com"),
        (
            "https://tenant.auth0.com",
            false,
            "https://tenant.auth0.com",
        ),
        (
            "https://tenant.auth0.com/",
            false,
            "https://tenant.auth0.com",
        ),
        (
            "HTTPS://Tenant.EU.Auth0.com/",
            false,
            "https://tenant.eu.auth0.com",
        ),
        ("login.example.com", false, "https://login.example.com"),
        ("tenant.auth0.com:443", false, "https://tenant.auth0.com"),
        (
            "tenant.auth0.com:8443",
            false,
            "https://tenant.auth0.com:8443",
        ),
        (
            "my-tenant.us.auth0.com",
            false,
            "https://my-tenant.us.auth0.com",
        ),
        ("http://127.0.0.1:8080", true, "http://127.0.0.1:8080"),
        ("http://localhost:3000/", true, "http://localhost:3000"),
        ("http://[::1]:9000", true, "http://[::1]:9000"),
        ("http://localhost", true, "http://localhost"),
    ];
    for (input, allow, base) in accepted {
        let parsed = if *allow {
            Domain::parse_allow_insecure_loopback(input)
        } else {
            Domain::parse(input)
        };
        let domain = parsed.unwrap_or_else(|e| panic!("{input:?} rejected: {e}"));
        assert_eq!(domain.base_url(), *base, "{input:?}");
    }

    let rejected: &[(&str, bool, R)] = &[
        ("", false, R::Empty),
        (" tenant.auth0.com", false, R::Whitespace),
        ("tenant.auth0.com\n", false, R::Whitespace),
        ("tenant .auth0.com", false, R::Whitespace),
        ("https://tenant.auth0.com/api/v2", false, R::Path),
        ("tenant.auth0.com/oauth", false, R::Path),
        ("https://tenant.auth0.com?x=1", false, R::Query),
        ("https://tenant.auth0.com/#frag", false, R::Fragment),
        ("https://user:pw@tenant.auth0.com", false, R::UserInfo),
        ("ftp://tenant.auth0.com", false, R::UnsupportedScheme),
        ("wss://tenant.auth0.com", false, R::UnsupportedScheme),
        ("http://tenant.auth0.com", false, R::InsecureScheme),
        ("http://tenant.auth0.com", true, R::InsecureScheme),
        ("http://10.0.0.1:80", true, R::InsecureScheme),
        (
            "http://127.0.0.1:8080",
            false,
            R::InsecureLoopbackNotAllowed,
        ),
        ("http://[::1]:8080", false, R::InsecureLoopbackNotAllowed),
        ("tenant.auth0.com:0", false, R::InvalidPort),
        ("tenant.auth0.com:65536", false, R::InvalidPort),
        ("tenant.auth0.com:", false, R::InvalidPort),
        ("tenant.auth0.com:abc", false, R::InvalidPort),
        ("tenant.auth0.com:+80", false, R::InvalidPort),
        ("https://", false, R::InvalidHost),
        ("-tenant.auth0.com", false, R::InvalidHost),
        ("tenant..auth0.com", false, R::InvalidHost),
        ("ten_ant.auth0.com", false, R::InvalidHost),
        ("999.1.1.1", false, R::InvalidHost),
        ("[::1", false, R::InvalidHost),
        ("[nope]:80", false, R::InvalidHost),
        ("a:b:c", false, R::InvalidHost),
    ];
    for (input, allow, reason) in rejected {
        let parsed = if *allow {
            Domain::parse_allow_insecure_loopback(input)
        } else {
            Domain::parse(input)
        };
        match parsed {
            Err(ConfigError::InvalidDomain { reason: got, .. }) => {
                assert_eq!(got, *reason, "{input:?}");
            }
            other => panic!("{input:?}: expected {reason:?}, got {other:?}"),
        }
    }
}

#[test]
fn domain_error_never_shows_password() {
    let err = Domain::parse("https://admin:hunter2@tenant.auth0.com").unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("user info"), "{shown}");
}

#[test]
fn builder_validates() {
    assert!(matches!(
        ClientConfig::builder().build(),
        Err(ConfigError::MissingDomain)
    ));
    assert!(matches!(
        ClientConfig::builder()
            .domain("t.auth0.com")
            .attempt_timeout(Duration::ZERO)
            .build(),
        Err(ConfigError::InvalidTimeout {
            name: "attempt_timeout"
        })
    ));
    assert!(matches!(
        ClientConfig::builder()
            .domain("t.auth0.com")
            .default_header("bad header", "x")
            .build(),
        Err(ConfigError::InvalidHeader { .. })
    ));
    assert!(matches!(
        ClientConfig::builder()
            .domain("t.auth0.com")
            .default_header("x-ok", "line\nbreak")
            .build(),
        Err(ConfigError::InvalidHeader { .. })
    ));
    assert!(matches!(
        ClientConfig::builder()
            .domain("t.auth0.com")
            .proxy("socks5://proxy:1080")
            .build(),
        Err(ConfigError::InvalidProxy { .. })
    ));
    assert!(matches!(
        ClientConfig::builder()
            .domain("t.auth0.com")
            .max_response_body(0)
            .build(),
        Err(ConfigError::InvalidBodyLimit)
    ));
    // The loopback permission may be given after the domain.
    let config = ClientConfig::builder()
        .domain("http://127.0.0.1:1234")
        .allow_insecure_loopback(true)
        .build()
        .unwrap();
    assert!(!config.domain().is_secure());
}

#[test]
fn defaults_are_documented_values() {
    let c = ClientConfig::new("tenant.auth0.com").unwrap();
    assert_eq!(c.connect_timeout(), Duration::from_secs(10));
    assert_eq!(c.attempt_timeout(), Duration::from_secs(30));
    assert_eq!(c.deadline(), Some(Duration::from_secs(90)));
    assert_eq!(c.max_response_body(), 16 * 1024 * 1024);
    assert!(c.telemetry());
    assert!(c.user_agent().is_some());
    assert!(c.rate_limiter().is_none());
}

#[test]
fn debug_output_redacts_secrets() {
    let config = ClientConfig::builder()
        .domain("tenant.auth0.com")
        .default_header("authorization", "Bearer SECRET-AT")
        .default_header("cookie", "session=SECRET-COOKIE")
        .default_header("x-api-token", "SECRET-TOKEN")
        .default_header("x-visible", "shown")
        .proxy("http://bob:SECRET-PW@proxy.internal:3128")
        .build()
        .unwrap();
    let shown = format!("{config:?}");
    for secret in ["SECRET-AT", "SECRET-COOKIE", "SECRET-TOKEN", "SECRET-PW"] {
        assert!(!shown.contains(secret), "{secret} leaked in {shown}");
    }
    assert!(shown.contains("shown"), "{shown}");
    assert!(shown.contains("proxy.internal"), "{shown}");

    let builder = ClientConfig::builder()
        .domain("tenant.auth0.com")
        .default_header("Authorization", "Bearer SECRET-AT")
        .proxy("http://bob:SECRET-PW@proxy.internal:3128");
    let shown = format!("{builder:?}");
    assert!(!shown.contains("SECRET"), "{shown}");
}
