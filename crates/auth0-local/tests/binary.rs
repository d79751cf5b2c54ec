//! The `auth0-local` binary as another process uses it: start it with a
//! configuration file, read what it prints and the `tenant.json` it writes,
//! and talk to it over HTTPS trusting the CA file it wrote.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use serde_json::{Value, json};

mod support;

use support::binary::{scratch_dir, start_binary};

#[tokio::test]
async fn serves_what_it_prints_and_writes() {
    let dir = scratch_dir("serve");
    let config = dir.join("config.json");
    std::fs::write(
        &config,
        json!({
            "users": [{ "email": "alice@example.com", "password": "correct horse battery",
                        "name": "Alice", "user_id": "auth0|alice" }],
            "client_secrets": { "web": "web-secret-0123456789", "machine": "m2m-secret-0123456789" },
            "rate_limit": { "limit": 500, "window_seconds": 1 },
        })
        .to_string(),
    )
    .unwrap();
    let started = start_binary(
        &[
            "--config",
            config.to_str().unwrap(),
            "--state-dir",
            dir.to_str().unwrap(),
        ],
        &[],
    );
    let running = started
        .running
        .unwrap_or_else(|| panic!("the binary did not start: {}", started.stderr));
    let printed = started.printed;
    assert!(printed.contains("not a production identity provider"));
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("tenant.json")).unwrap()).unwrap();
    let domain = state["domain"].as_str().unwrap();
    assert!(domain.starts_with("127.0.0.1:"));
    assert!(printed.contains(&format!("AUTH0_DOMAIN={domain}")));
    let ca_file = state["ca_file"].as_str().unwrap();
    assert!(printed.contains(&format!("REQUESTS_CA_BUNDLE={ca_file}")));
    assert!(printed.contains(&format!("NODE_EXTRA_CA_CERTS={ca_file}")));
    assert_eq!(state["user"]["email"], "alice@example.com");
    assert_eq!(
        state["applications"]["machine"]["client_secret"],
        "m2m-secret-0123456789"
    );

    // A client that trusts the CA file logs the configured user in.
    let ca = std::fs::read_to_string(ca_file).unwrap();
    let client = auth0_core::Auth0Client::new(
        auth0_core::ClientConfig::builder()
            .domain(state["base_url"].as_str().unwrap())
            .add_root_certificates_pem(&ca)
            .build()
            .unwrap(),
    )
    .unwrap();
    let tokens = client
        .post_form::<Value>(
            "/oauth/token",
            &[
                ("grant_type", "password"),
                ("client_id", "local-web-app"),
                ("client_secret", "web-secret-0123456789"),
                ("username", "alice@example.com"),
                ("password", "correct horse battery"),
                ("scope", "openid"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(tokens.rate_limit().limit, Some(500));
    assert!(tokens.data["id_token"].is_string());

    // The control API, as tenant.json describes it: the code a
    // passwordless email would carry.
    let control_url = state["control"]["url"].as_str().unwrap();
    let control_token = state["control"]["token"].as_str().unwrap();
    assert!(control_url.ends_with("/auth0-local/v1/"));
    assert!(printed.contains(&format!("control API:          {control_url}")));
    assert!(!printed.contains(control_token));
    client
        .post_form::<Value>(
            "/passwordless/start",
            &[
                ("client_id", "local-web-app"),
                ("client_secret", "web-secret-0123456789"),
                ("connection", "email"),
                ("email", "bob@example.com"),
                ("send", "code"),
            ],
        )
        .await
        .unwrap();
    let request = http::Request::get(format!("{control_url}passwordless-codes/bob%40example.com"))
        .header("authorization", format!("Bearer {control_token}"))
        .body(bytes::Bytes::new())
        .unwrap();
    let sent = client.send(request).await.unwrap();
    assert_eq!(sent.status(), 200);
    let code: Value = serde_json::from_slice(sent.body()).unwrap();
    assert_eq!(code["code"].as_str().map(str::len), Some(6));
    drop(running);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_arguments_exit_with_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_auth0-local"))
        .args(["--port", "not-a-port"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage: auth0-local"));
    let help = Command::new(env!("CARGO_BIN_EXE_auth0-local"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
}
