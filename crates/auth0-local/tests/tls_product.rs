//! The tenant's TLS as other clients meet it: the certificate it presents
//! (names, key usage, chain to the CA it hands out), the CA file and the
//! state the binary writes, handshakes that go wrong, and the CA file as
//! Python, Node and curl use it (each skipped, with the reason printed, when
//! the tool is missing). Servers listen on loopback addresses only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::IpAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use auth0_local::{LocalTenant, StartError};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

// ---------------------------------------------------------------- helpers

mod support;

use support::binary::{Running, scratch_dir, start_binary};
use support::tls::tls_connection;

/// The binary, serving, with its state in `dir`: (process, tenant.json).
fn serve_binary(dir: &Path) -> (Running, Value) {
    let started = start_binary(&["--state-dir", dir.to_str().unwrap()], &[]);
    let running = started
        .running
        .unwrap_or_else(|| panic!("the binary did not start: {}", started.stderr));
    let state = std::fs::read_to_string(dir.join("tenant.json")).unwrap();
    (running, serde_json::from_str(&state).unwrap())
}

/// Whether `tool` runs; prints why a test is skipped when it does not.
fn have(tool: &str, test: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        eprintln!("skipping {test}: `{tool}` is not installed");
    }
    found
}

/// Runs `command`, failing the test with its output unless it succeeds.
fn run_ok(command: &mut Command) -> String {
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{command:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

async fn jwks_answers(tenant: &LocalTenant) {
    let client = tenant.client().unwrap();
    let jwks = client
        .get_json::<Value>("/.well-known/jwks.json")
        .await
        .unwrap();
    assert!(jwks.data["keys"].is_array());
}

/// The certificate chain the tenant presents, read from a handshake (no
/// verification: the test checks the chain itself).
async fn presented_chain(tenant: &LocalTenant, alpn: &[&[u8]]) -> (Vec<Vec<u8>>, Option<Vec<u8>>) {
    let tls = tls_connection(tenant, alpn).await;
    let session = tls.get_ref().1;
    let chain = session
        .peer_certificates()
        .unwrap()
        .iter()
        .map(|c| c.to_vec())
        .collect();
    (chain, session.alpn_protocol().map(<[u8]>::to_vec))
}

/// The value of the extension `oid` (its DER encoding, without tag) of a
/// certificate: the contents of its `extnValue` OCTET STRING.
fn extension<'a>(certificate: &'a [u8], oid: &[u8]) -> Option<&'a [u8]> {
    let at = certificate.windows(oid.len()).position(|w| w == oid)? + oid.len();
    let mut rest = &certificate[at..];
    // critical BOOLEAN TRUE, when present
    if rest.starts_with(&[0x01, 0x01, 0xff]) {
        rest = &rest[3..];
    }
    assert_eq!(rest[0], 0x04, "extnValue is an OCTET STRING");
    let len = usize::from(rest[1]);
    assert!(len < 0x80, "short form length");
    Some(&rest[2..2 + len])
}

/// The bits set in a KeyUsage BIT STRING (RFC 5280 §4.2.1.3: 0
/// digitalSignature, 2 keyEncipherment, 5 keyCertSign, ...).
fn key_usages(bit_string: &[u8]) -> Vec<usize> {
    assert_eq!(bit_string[0], 0x03, "a BIT STRING");
    let bytes = &bit_string[3..2 + usize::from(bit_string[1])];
    (0..bytes.len() * 8)
        .filter(|i| bytes[i / 8] & (0x80 >> (i % 8)) != 0)
        .collect()
}

const KEY_USAGE: &[u8] = &[0x06, 0x03, 0x55, 0x1d, 0x0f];
const EXTENDED_KEY_USAGE: &[u8] = &[0x06, 0x03, 0x55, 0x1d, 0x25];
const BASIC_CONSTRAINTS: &[u8] = &[0x06, 0x03, 0x55, 0x1d, 0x13];
const SERVER_AUTH: &[u8] = &[0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];

// ---------------------------------------------------- the certificates

#[tokio::test]
async fn leaf_is_a_server_certificate_for_every_local_name_and_chains_to_the_ca() {
    let tenant = LocalTenant::builder().start().await.unwrap();
    let (chain, _) = presented_chain(&tenant, &[]).await;
    let leaf = CertificateDer::from(chain[0].clone());
    let ca = tenant.ca_certificate_der().unwrap();
    assert_eq!(
        chain.last().unwrap(),
        ca,
        "the chain ends with the CA handed out"
    );

    // The CA's own checks (CA:TRUE, keyCertSign) and the leaf's names
    // (IP addresses as iPAddress SANs, `localhost` as a dNSName), as a
    // WebPKI client verifies them.
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(ca.to_vec())).unwrap();
    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        auth0_core::transport::crypto_provider(),
    )
    .build()
    .unwrap();
    let verify = |name: ServerName<'static>| {
        rustls::client::danger::ServerCertVerifier::verify_server_cert(
            verifier.as_ref(),
            &leaf,
            &[],
            &name,
            &[],
            UnixTime::now(),
        )
    };
    for name in ["localhost", "127.0.0.1", "::1"] {
        let server_name = ServerName::try_from(name.to_owned()).unwrap();
        verify(server_name).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for name in ["example.com", "127.0.0.3"] {
        assert!(
            verify(ServerName::try_from(name.to_owned()).unwrap()).is_err(),
            "{name}"
        );
    }

    // An ECDSA server key: digitalSignature only (RFC 5480 §3 forbids
    // keyEncipherment for id-ecPublicKey), serverAuth.
    let key_usage = key_usages(extension(&chain[0], KEY_USAGE).unwrap());
    assert_eq!(key_usage, [0], "digitalSignature only");
    let eku = extension(&chain[0], EXTENDED_KEY_USAGE).unwrap();
    assert!(eku.windows(SERVER_AUTH.len()).any(|w| w == SERVER_AUTH));
    // The leaf is no CA (basicConstraints without cA TRUE); the CA is one.
    let leaf_constraints = extension(&chain[0], BASIC_CONSTRAINTS).unwrap();
    assert!(!leaf_constraints.windows(3).any(|w| w == [0x01, 0x01, 0xff]));
    let ca_constraints = extension(ca, BASIC_CONSTRAINTS).unwrap();
    assert!(ca_constraints.windows(3).any(|w| w == [0x01, 0x01, 0xff]));
    let ca_key_usage = key_usages(extension(ca, KEY_USAGE).unwrap());
    assert!(ca_key_usage.contains(&5), "keyCertSign: {ca_key_usage:?}");
}

#[tokio::test]
async fn a_tenant_on_another_loopback_address_is_trusted_there() {
    let bind: IpAddr = "127.0.0.2".parse().unwrap();
    let tenant = match LocalTenant::builder().bind(bind).start().await {
        Ok(tenant) => tenant,
        Err(StartError::Bind { source, .. }) => {
            eprintln!("skipping: cannot listen on 127.0.0.2 here ({source})");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    assert_eq!(tenant.addr().ip(), bind);
    assert!(tenant.domain().starts_with("https://127.0.0.2:"));
    // The SDK client connects to the domain the tenant names.
    jwks_answers(&tenant).await;
}

#[tokio::test]
async fn alpn_offers_h2_only_when_asked() {
    let plain = LocalTenant::builder().start().await.unwrap();
    let (_, alpn) = presented_chain(&plain, &[b"h2", b"http/1.1"]).await;
    assert_eq!(alpn.as_deref(), Some(&b"http/1.1"[..]));
    let h2 = LocalTenant::builder().http2(true).start().await.unwrap();
    let (_, alpn) = presented_chain(&h2, &[b"h2", b"http/1.1"]).await;
    assert_eq!(alpn.as_deref(), Some(&b"h2"[..]));
    let (_, alpn) = presented_chain(&h2, &[]).await;
    assert_eq!(alpn, None);
    jwks_answers(&h2).await;
}

// ----------------------------------------------- handshakes gone wrong

#[tokio::test]
async fn broken_and_stalled_handshakes_leave_the_tenant_serving() {
    for http2 in [false, true] {
        let tenant = LocalTenant::builder().http2(http2).start().await.unwrap();
        // Plain HTTP to the TLS port: refused, the connection closed.
        let mut plain = TcpStream::connect(tenant.addr()).await.unwrap();
        plain
            .write_all(b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let _ = plain.read_to_end(&mut answer).await;
        assert!(!answer.starts_with(b"HTTP/1.1 200"));
        // A client that hangs up in the middle of its ClientHello.
        let mut half = TcpStream::connect(tenant.addr()).await.unwrap();
        half.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00])
            .await
            .unwrap();
        drop(half);
        // Slow clients that never finish their handshake, still open while
        // others are served.
        let mut stalled = Vec::new();
        for _ in 0..32 {
            let mut s = TcpStream::connect(tenant.addr()).await.unwrap();
            s.write_all(&[0x16, 0x03, 0x01]).await.unwrap();
            stalled.push(s);
        }
        jwks_answers(&tenant).await;
        drop(stalled);
        jwks_answers(&tenant).await;
    }
}

// ---------------------------------------------- the binary's state files

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

/// tenant.json holds the client secrets, the `private_key_jwt` key and the
/// control token: only its owner may read it, in a directory only its
/// owner may enter.
#[cfg(unix)]
#[test]
fn the_state_the_binary_writes_is_owner_only() {
    let scratch = scratch_dir("modes");
    let dir = scratch.join("state");
    let (running, state) = serve_binary(&dir);
    let tenant_json = dir.join("tenant.json");
    assert!(
        state["applications"]["machine_jwt"]["private_key_pem"]
            .as_str()
            .unwrap()
            .contains("PRIVATE KEY")
    );
    assert_eq!(mode(&tenant_json), 0o600, "tenant.json");
    assert_eq!(mode(&dir), 0o700, "the state directory");
    // The CA file is a certificate, no key.
    let ca = std::fs::read_to_string(state["ca_file"].as_str().unwrap()).unwrap();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----\n"));
    assert!(!ca.contains("PRIVATE"));
    drop(running);
    let _ = std::fs::remove_dir_all(&scratch);
}

/// tenant.json is replaced whole (a new file renamed over the old one), so
/// a link left at its place is replaced, not written through.
#[cfg(unix)]
#[test]
fn tenant_json_is_replaced_not_written_through() {
    let dir = scratch_dir("link");
    let decoy = dir.join("decoy");
    std::fs::write(&decoy, "untouched").unwrap();
    std::os::unix::fs::symlink(&decoy, dir.join("tenant.json")).unwrap();
    let (running, state) = serve_binary(&dir);
    assert_eq!(std::fs::read_to_string(&decoy).unwrap(), "untouched");
    assert!(
        std::fs::symlink_metadata(dir.join("tenant.json"))
            .unwrap()
            .is_file()
    );
    assert!(state["control"]["token"].is_string());
    drop(running);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The default state directory has a predictable name in the shared temp
/// dir: one another user made first (writable by others, or a link) is
/// refused, with a message and a non-zero exit, before anything is served.
#[cfg(unix)]
#[test]
fn a_default_state_dir_others_control_is_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    for planted in ["shared", "link"] {
        let tmp = scratch_dir(planted);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let default_dir = tmp.join(format!("auth0-local-{port}"));
        if planted == "shared" {
            std::fs::create_dir(&default_dir).unwrap();
            std::fs::set_permissions(&default_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        } else {
            let elsewhere = tmp.join("elsewhere");
            std::fs::create_dir(&elsewhere).unwrap();
            std::os::unix::fs::symlink(&elsewhere, &default_dir).unwrap();
        }
        let started = start_binary(&["--port", &port.to_string()], &[("TMPDIR", &tmp)]);
        assert!(
            started.running.is_none(),
            "{planted}: served with its state in a directory others control:\n{}",
            started.printed
        );
        assert!(
            started.stderr.contains(&default_dir.display().to_string())
                && started.stderr.contains("--state-dir"),
            "{planted}: {}",
            started.stderr
        );
        assert!(!default_dir.join("tenant.json").exists());
        let _ = std::fs::remove_dir_all(&tmp);
    }
}

/// Run by default in the temp dir, the binary says where its state is and
/// that directory is its own.
#[cfg(unix)]
#[test]
fn the_default_state_dir_is_made_owner_only() {
    let tmp = scratch_dir("default");
    let started = start_binary(&[], &[("TMPDIR", &tmp)]);
    let running = started
        .running
        .unwrap_or_else(|| panic!("did not start: {}", started.stderr));
    let domain = started
        .printed
        .lines()
        .find_map(|l| l.strip_prefix("AUTH0_DOMAIN="))
        .unwrap();
    let port = domain.rsplit(':').next().unwrap();
    let dir = tmp.join(format!("auth0-local-{port}"));
    assert!(started.printed.contains(&format!(
        "REQUESTS_CA_BUNDLE={}",
        dir.join("auth0-local-ca.pem").display()
    )));
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("tenant.json")), 0o600);
    drop(running);
    let _ = std::fs::remove_dir_all(&tmp);
}

// ------------------------------------------- other clients and the CA file

const PYTHON_CHECK: &str = r#"
import json, os, socket, ssl, sys, http.client
ca, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
def context(**kw):
    ctx = ssl.create_default_context(**kw)
    # Python 3.13's default: RFC 5280 checks on the whole chain.
    ctx.verify_flags |= ssl.VERIFY_X509_STRICT
    return ctx
for name in ("127.0.0.1", "localhost"):
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = context(cafile=ca)
        ctx.minimum_version = ctx.maximum_version = version
        ctx.set_alpn_protocols(["http/1.1"])
        with socket.create_connection((host, port)) as raw:
            with ctx.wrap_socket(raw, server_hostname=name) as tls:
                assert tls.version() == {"TLSv1_2": "TLSv1.2", "TLSv1_3": "TLSv1.3"}[version.name], tls.version()
                assert tls.selected_alpn_protocol() == "http/1.1"
# SSL_CERT_FILE: OpenSSL's default verify paths.
os.environ["SSL_CERT_FILE"] = ca
conn = http.client.HTTPSConnection(host, port, context=context())
conn.request("GET", "/.well-known/jwks.json")
assert json.loads(conn.getresponse().read())["keys"]
# A name the certificate does not carry is refused.
try:
    with socket.create_connection((host, port)) as raw:
        context(cafile=ca).wrap_socket(raw, server_hostname="example.com")
    sys.exit("example.com was accepted")
except ssl.SSLCertVerificationError:
    pass
try:
    import requests
except ImportError:
    print("requests: not installed, skipped")
else:
    os.environ["REQUESTS_CA_BUNDLE"] = ca
    assert requests.get(f"https://{host}:{port}/.well-known/jwks.json").json()["keys"]
    print("requests: ok")
print("ok")
"#;

#[test]
fn python_trusts_the_ca_file() {
    if !have("python3", "python_trusts_the_ca_file") {
        return;
    }
    let dir = scratch_dir("python");
    let (running, state) = serve_binary(&dir);
    let (host, port) = state["domain"].as_str().unwrap().rsplit_once(':').unwrap();
    let out = run_ok(
        Command::new("python3")
            .args([
                "-c",
                PYTHON_CHECK,
                state["ca_file"].as_str().unwrap(),
                host,
                port,
            ])
            .env_remove("SSL_CERT_FILE")
            .env_remove("REQUESTS_CA_BUNDLE"),
    );
    assert!(out.ends_with("ok\n"), "{out}");
    eprint!("{out}");
    drop(running);
    let _ = std::fs::remove_dir_all(&dir);
}

const NODE_CHECK: &str = r#"
const https = require('https');
const [base] = process.argv.slice(1);
const get = (url, servername) => new Promise((resolve, reject) => {
  https.get(url, { servername }, (res) => {
    let body = '';
    res.on('data', (c) => { body += c; });
    res.on('end', () => resolve([res.statusCode, body]));
  }).on('error', reject);
});
(async () => {
  const url = `${base}/.well-known/jwks.json`;
  const [status, body] = await get(url);
  if (status !== 200 || !JSON.parse(body).keys) throw new Error(`https.get: ${status}`);
  const port = new URL(base).port;
  const [byName] = await get(`https://localhost:${port}/.well-known/jwks.json`);
  if (byName !== 200) throw new Error(`localhost: ${byName}`);
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`fetch: ${res.status}`);
  console.log('ok');
})().catch((e) => { console.error(e); process.exit(1); });
"#;

#[test]
fn node_trusts_the_ca_file_through_node_extra_ca_certs() {
    if !have(
        "node",
        "node_trusts_the_ca_file_through_node_extra_ca_certs",
    ) {
        return;
    }
    let dir = scratch_dir("node");
    let (running, state) = serve_binary(&dir);
    let out = run_ok(
        Command::new("node")
            .args(["-e", NODE_CHECK, state["base_url"].as_str().unwrap()])
            .env("NODE_EXTRA_CA_CERTS", state["ca_file"].as_str().unwrap()),
    );
    assert_eq!(out, "ok\n");
    drop(running);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn curl_and_openssl_accept_the_ca_file() {
    let dir = scratch_dir("curl");
    let (running, state) = serve_binary(&dir);
    let ca = state["ca_file"].as_str().unwrap();
    let base = state["base_url"].as_str().unwrap();
    if have("curl", "curl_and_openssl_accept_the_ca_file (curl)") {
        let body = run_ok(Command::new("curl").args([
            "-sS",
            "--fail",
            "--cacert",
            ca,
            &format!("{base}/.well-known/jwks.json"),
        ]));
        assert!(body.contains("\"keys\""));
    }
    if have("openssl", "curl_and_openssl_accept_the_ca_file (openssl)") {
        // The CA certificate itself: a CA for server certificates, no more.
        let text = run_ok(Command::new("openssl").args(["x509", "-noout", "-text", "-in", ca]));
        assert!(text.contains("CA:TRUE"), "{text}");
        assert!(text.contains("Certificate Sign"), "{text}");
    }
    drop(running);
    let _ = std::fs::remove_dir_all(&dir);
}
