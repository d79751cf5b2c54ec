//! [`LocalTenant`], its builder, the credentials it hands out and the state
//! the routes share.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth0_jwt::alg::Algorithm;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

#[cfg(feature = "sdk-clients")]
use crate::ClientError;
use crate::faults::{Fault, FaultPlan, RateLimit, RateLimiter};
use crate::keys::{KeyRing, LazyRsaKey};
use crate::{AuthorizeError, StartError, TenantError};

/// The database connection users log in with, as on a new Auth0 tenant.
pub const DATABASE_CONNECTION: &str = "Username-Password-Authentication";
/// The id of [`DATABASE_CONNECTION`].
const DATABASE_CONNECTION_ID: &str = "con_i8qF5DPiZ3FdadwJ";

/// The scopes of the Management API the tenant emulates, granted to its
/// machine-to-machine applications.
pub(crate) const MANAGEMENT_RESOURCES: &[&str] = &[
    "users",
    "connections",
    "clients",
    "client_grants",
    "resource_servers",
    "roles",
    "role_members",
    "organizations",
    "organization_members",
    "organization_member_roles",
    "organization_invitations",
    "organization_connections",
];

/// Locks a mutex, going on with the data if a panicking holder poisoned it
/// (every update leaves the data consistent).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `bytes` random bytes, base64url: fresh secrets, codes and ids.
pub(crate) fn random_id(bytes: usize) -> String {
    use base64::Engine as _;
    use ring::rand::SecureRandom as _;
    let mut buf = vec![0u8; bytes];
    // SystemRandom fails only without an OS entropy source; then mix the
    // clock and a counter through SHA-256 rather than hand out zeros.
    if ring::rand::SystemRandom::new().fill(&mut buf).is_err() {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let seed = format!("{:?}{n}", SystemTime::now());
        let digest = ring::digest::digest(&ring::digest::SHA256, seed.as_bytes());
        for (i, b) in buf.iter_mut().enumerate() {
            *b = digest.as_ref()[i % 32];
        }
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// `bytes` random bytes as lowercase hex (Auth0's ids look like this).
pub(crate) fn random_hex(bytes: usize) -> String {
    use ring::rand::SecureRandom as _;
    let mut buf = vec![0u8; bytes];
    if ring::rand::SystemRandom::new().fill(&mut buf).is_err() {
        return random_id(bytes).chars().take(bytes * 2).collect();
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// A six-digit one-time code, as Auth0 sends by email or SMS.
pub(crate) fn six_digit_code() -> String {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; 4];
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        let digest = ring::digest::digest(&ring::digest::SHA256, random_id(8).as_bytes());
        bytes.copy_from_slice(&digest.as_ref()[..4]);
    }
    format!("{:06}", u32::from_le_bytes(bytes) % 1_000_000)
}

/// A fresh MFA recovery code: 24 characters from Auth0's alphabet (upper
/// case letters and digits).
pub(crate) fn recovery_code() -> String {
    use ring::rand::SecureRandom as _;
    const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 24];
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        // Without an entropy source, fall back as `random_id` does.
        let digest = ring::digest::digest(&ring::digest::SHA256, random_id(24).as_bytes());
        bytes.copy_from_slice(&digest.as_ref()[..24]);
    }
    // 32 symbols divide 256: each byte's low five bits pick one uniformly.
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
        .collect()
}

/// Seconds since the UNIX epoch.
pub(crate) fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// An ISO 8601 UTC timestamp, as the Management API writes `created_at`.
pub(crate) fn now_iso() -> String {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_millis());
    iso_with_millis(now_secs(), millis)
}

/// The ISO 8601 UTC timestamp of `secs` since the UNIX epoch.
pub(crate) fn iso_at(secs: i64) -> String {
    iso_with_millis(secs, 0)
}

fn iso_with_millis(secs: i64, millis: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm) for the proleptic
    // Gregorian calendar.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// An application of the tenant and its credentials.
///
/// `Debug` shows the client ID and the kind of credential, never the secret
/// or the private key.
#[derive(Clone)]
pub struct Application {
    name: String,
    client_id: String,
    client_secret: Option<String>,
    /// Made on first use (see [`LazyRsaKey`]).
    private_key: Option<LazyRsaKey>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "private_key_pem",
                &self.private_key.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Application {
    /// Its display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its client ID.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Its client secret (`client_secret_post` or `client_secret_basic`),
    /// for the applications that have one.
    pub fn client_secret(&self) -> Option<&str> {
        self.client_secret.as_deref()
    }

    /// The RSA private key (PKCS#8 PEM) whose public half is registered for
    /// `private_key_jwt`, for the application that authenticates that way;
    /// sign client assertions with it as `RS256`.
    ///
    /// The tenant makes this key on the first call (an RSA-2048 key takes
    /// about half a second of CPU; this call blocks meanwhile), so tenants
    /// whose users never ask for it start faster. `None` for the other
    /// applications, and should the key not be made (the system's random
    /// source failed).
    pub fn private_key_pem(&self) -> Option<&str> {
        self.private_key.as_ref()?.pem()
    }
}

/// The applications every local tenant starts with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Applications {
    /// A regular web application with a client secret: authorization code
    /// (with or without PKCE), refresh tokens, password and password-realm,
    /// MFA, passwordless OTP, and client credentials for both APIs.
    pub web: Application,
    /// A machine-to-machine application with a client secret, granted every
    /// emulated Management API scope and the test API's scopes.
    pub machine: Application,
    /// A machine-to-machine application that authenticates with
    /// `private_key_jwt` (RFC 7523 client assertions) instead of a secret,
    /// with the same grants as [`machine`](Self::machine).
    pub machine_jwt: Application,
    /// A native application: a public client without a credential
    /// (`token_endpoint_auth_method: none`), with the authorization code
    /// (PKCE), refresh token and device code grants.
    pub native: Application,
}

/// A database user's login.
///
/// `Debug` never shows the password.
#[derive(Clone)]
pub struct UserCredentials {
    /// The email address the user logs in with.
    pub email: String,
    /// The password.
    pub password: String,
    /// The user's id (`sub`), e.g. `auth0|…`.
    pub user_id: String,
}

impl std::fmt::Debug for UserCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCredentials")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("user_id", &self.user_id)
            .finish()
    }
}

/// A user to add to the database connection.
///
/// ```
/// let user = auth0_local::NewUser::new("sam@example.com", "a long passphrase").name("Sam");
/// assert!(!format!("{user:?}").contains("passphrase"));
/// ```
#[derive(Clone)]
pub struct NewUser {
    email: String,
    password: String,
    name: Option<String>,
    user_id: Option<String>,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("name", &self.name)
            .field("user_id", &self.user_id)
            .finish()
    }
}

impl NewUser {
    /// A user logging in with this email and password.
    pub fn new(email: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            email: email.into(),
            password: password.into(),
            name: None,
            user_id: None,
        }
    }

    /// The full name (defaults to the email address, as Auth0 does).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// A fixed user id such as `auth0|alice` instead of a generated one.
    pub fn user_id(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = Some(user_id.into());
        self
    }
}

/// An organization of the tenant. The builder's organizations have the
/// database connection enabled and the builder's users as members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalOrganization {
    /// Its id, put in tokens as `org_id`, e.g. `org_abc`.
    pub id: String,
    /// Its name, put in tokens as `org_name` (lowercase, as Auth0 stores it).
    pub name: String,
}

impl LocalOrganization {
    /// An organization with this id and name.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
        }
    }
}

/// What a user login asked for; shapes its tokens.
#[derive(Debug, Clone, Default)]
pub(crate) struct UserLogin {
    pub(crate) user_id: String,
    pub(crate) client_id: String,
    pub(crate) audience: String,
    pub(crate) scope: String,
    pub(crate) nonce: Option<String>,
    pub(crate) organization: Option<LocalOrganization>,
    pub(crate) auth_time: i64,
}

/// A code issued by `/authorize`, not yet exchanged.
#[derive(Debug)]
pub(crate) struct PendingCode {
    pub(crate) redirect_uri: String,
    pub(crate) code_challenge: Option<(String, String)>,
    pub(crate) login: UserLogin,
}

/// A refresh token and its rotation family.
#[derive(Debug)]
pub(crate) struct RefreshGrant {
    pub(crate) family: String,
    pub(crate) login: UserLogin,
    /// Rotated away: presenting it again is reuse, which revokes the family.
    pub(crate) used: bool,
}

/// Everything the tenant stores.
#[derive(Default)]
pub(crate) struct Store {
    pub(crate) clients: Vec<Value>,
    /// Keys registered for `private_key_jwt`, by client id.
    pub(crate) client_keys: HashMap<String, LazyRsaKey>,
    pub(crate) connections: Vec<Value>,
    pub(crate) client_grants: Vec<Value>,
    pub(crate) resource_servers: Vec<Value>,
    pub(crate) roles: Vec<Value>,
    pub(crate) users: Vec<Value>,
    /// Database passwords by user id (never part of a user record).
    pub(crate) passwords: HashMap<String, String>,
    /// Organizations, their members, connections and invitations.
    pub(crate) organizations: crate::organizations::Organizations,
    /// Roles' permissions and users, users' direct permissions.
    pub(crate) rbac: crate::roles::RoleGrants,
    /// Back-channel (CIBA) logins by `auth_req_id`.
    pub(crate) back_channel: crate::ciba::BackChannelLogins,
    /// Out-of-band MFA authenticators and challenges.
    pub(crate) mfa: crate::mfa::Factors,
    /// Custom token exchange profiles.
    pub(crate) exchange_profiles: crate::token_exchange::Profiles,
    pub(crate) codes: HashMap<String, PendingCode>,
    pub(crate) refresh_tokens: HashMap<String, RefreshGrant>,
    pub(crate) mfa_pending: HashMap<String, UserLogin>,
    pub(crate) mfa_otp: Option<String>,
    /// The users' MFA recovery code while MFA is on.
    pub(crate) mfa_recovery_code: Option<String>,
    /// Passwordless one-time codes by recipient (email or phone number).
    pub(crate) otps: HashMap<String, String>,
    /// `jti`s of client assertions already used (RFC 7523 §3 item 7).
    pub(crate) seen_jti: HashSet<String>,
}

impl Store {
    pub(crate) fn client(&self, client_id: &str) -> Option<&Value> {
        self.clients.iter().find(|c| c["client_id"] == client_id)
    }

    pub(crate) fn user(&self, user_id: &str) -> Option<&Value> {
        self.users.iter().find(|u| u["user_id"] == user_id)
    }

    pub(crate) fn user_by_email(&self, email: &str) -> Option<&Value> {
        if email.is_empty() {
            return None;
        }
        self.users.iter().find(|u| {
            u["email"]
                .as_str()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
    }

    /// Adds a database user; its record as the Management API shows it.
    pub(crate) fn insert_user(
        &mut self,
        connection: &str,
        email: &str,
        password: Option<&str>,
        user_id: Option<String>,
        extra: serde_json::Map<String, Value>,
    ) -> Result<Value, TenantError> {
        if !email.is_empty() && self.user_by_email(email).is_some() {
            return Err(TenantError::UserExists {
                email: email.to_owned(),
            });
        }
        let provider = if connection == "email" || connection == "sms" {
            connection
        } else {
            "auth0"
        };
        let user_id = user_id.unwrap_or_else(|| format!("{provider}|{}", random_hex(12)));
        let local_id = user_id
            .split_once('|')
            .map_or(user_id.as_str(), |(_, id)| id)
            .to_owned();
        let now = now_iso();
        let nickname = email.split('@').next().unwrap_or(email);
        let mut record = json!({
            "user_id": user_id,
            "email": email,
            "email_verified": false,
            "name": email,
            "nickname": nickname,
            "picture": "https://s.gravatar.com/avatar/local.png",
            "identities": [{
                "connection": connection, "provider": provider,
                "user_id": local_id, "isSocial": false,
            }],
            "created_at": now,
            "updated_at": now,
            "user_metadata": {},
            "app_metadata": {},
            "logins_count": 0,
        });
        if email.is_empty() {
            // A phone-number (sms) user has no email address.
            record["email"] = Value::Null;
            record["name"] = json!(user_id);
            record["nickname"] = json!(local_id);
        }
        for (name, value) in extra {
            record[name] = value;
        }
        if let Some(password) = password {
            self.passwords.insert(user_id.clone(), password.to_owned());
        }
        self.users.push(record.clone());
        Ok(record)
    }
}

/// Auth0's bounds on a user's root text attributes (its user schema:
/// `name` and `nickname` 1–300 characters, `given_name` and `family_name`
/// 1–150, `username` 1–128), counted as JavaScript counts a string's length
/// (UTF-16 code units).
const PROFILE_LENGTHS: &[(&str, usize)] = &[
    ("name", 300),
    ("nickname", 300),
    ("given_name", 150),
    ("family_name", 150),
    ("username", 128),
];

/// An attribute of `fields` past [`PROFILE_LENGTHS`]: its name, the JSON
/// schema validator's code (`MAX_LENGTH`, `MIN_LENGTH`: what an import's
/// error report names) and message (`String is too long (301 chars),
/// maximum 300`), or `None`. Creating, updating, signing up and importing
/// a user all check it, so no profile the tenant keeps (and puts in ID
/// tokens) is longer than Auth0 allows.
pub(crate) fn profile_length_error(
    fields: &serde_json::Map<String, Value>,
) -> Option<ProfileLengthError> {
    PROFILE_LENGTHS.iter().find_map(|&(name, max)| {
        let length = fields.get(name)?.as_str()?.encode_utf16().count();
        let (code, message) = if length == 0 {
            (
                "MIN_LENGTH",
                "String is too short (0 chars), minimum 1".to_owned(),
            )
        } else if length > max {
            (
                "MAX_LENGTH",
                format!("String is too long ({length} chars), maximum {max}"),
            )
        } else {
            return None;
        };
        Some(ProfileLengthError {
            name,
            code,
            message,
        })
    })
}

/// See [`profile_length_error`].
pub(crate) struct ProfileLengthError {
    /// The attribute (`name`, `given_name`, …).
    pub(crate) name: &'static str,
    /// `MAX_LENGTH` or `MIN_LENGTH`.
    pub(crate) code: &'static str,
    /// `String is too long (301 chars), maximum 300`.
    pub(crate) message: String,
}

/// What the routes share.
pub(crate) struct Shared {
    /// `https://127.0.0.1:PORT/` (or `http://…` in plain-http mode).
    pub(crate) issuer: String,
    pub(crate) api_audience: String,
    pub(crate) auto_login: bool,
    pub(crate) keys: Mutex<KeyRing>,
    pub(crate) store: Mutex<Store>,
    pub(crate) faults: FaultPlan,
    pub(crate) rate_limit: RateLimiter,
    pub(crate) logs: crate::logs::LogStore,
    pub(crate) jobs: crate::jobs::JobStore,
    pub(crate) recorder: crate::recording::Recorder,
    /// Device codes and DPoP (`authn.rs`).
    pub(crate) authn: crate::authn::AuthnState,
    /// The bearer token of the control API (`control.rs`), random per tenant.
    pub(crate) control_token: String,
    /// The first user's id: whom the control API's device approval logs in
    /// when it names nobody (as [`LocalTenant::approve_device_code`]).
    pub(crate) first_user_id: String,
}

impl Shared {
    pub(crate) fn management_audience(&self) -> String {
        format!("{}api/v2/", self.issuer)
    }

    /// The one-time code `/passwordless/start` "sent" to `recipient`.
    pub(crate) fn passwordless_code(&self, recipient: &str) -> Option<String> {
        lock(&self.store).otps.get(recipient).cloned()
    }

    /// Makes a new signing key current and returns its `kid` (blocks while
    /// the key is generated).
    pub(crate) fn rotate_signing_key(&self) -> Result<String, TenantError> {
        lock(&self.keys).rotate().map_err(|e| TenantError::Key {
            reason: e.to_string(),
        })
    }

    /// Every Management API scope the tenant checks.
    pub(crate) fn management_scopes() -> Vec<String> {
        MANAGEMENT_RESOURCES
            .iter()
            .flat_map(|r| ["read", "create", "update", "delete"].map(|v| format!("{v}:{r}")))
            .chain(["read:logs".to_owned(), "read:logs_users".to_owned()])
            .collect()
    }
}

/// Configures and starts a [`LocalTenant`].
///
/// `Debug` never shows passwords, client secrets or the MFA code.
#[derive(Clone)]
pub struct LocalTenantBuilder {
    bind: IpAddr,
    port: u16,
    tls: bool,
    http2: bool,
    algorithm: Algorithm,
    key_grace: Duration,
    users: Vec<NewUser>,
    organizations: Vec<LocalOrganization>,
    mfa_otp: Option<String>,
    api_audience: String,
    api_scopes: Vec<String>,
    rate_limit: RateLimit,
    auto_login: bool,
    fixed_secrets: Option<(String, String)>,
    token_lifetime: Duration,
    mtls: bool,
}

impl std::fmt::Debug for LocalTenantBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTenantBuilder")
            .field("bind", &self.bind)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("http2", &self.http2)
            .field("algorithm", &self.algorithm)
            .field("key_grace", &self.key_grace)
            .field("users", &self.users)
            .field("organizations", &self.organizations)
            .field("mfa_otp", &self.mfa_otp.as_ref().map(|_| "<redacted>"))
            .field("api_audience", &self.api_audience)
            .field("api_scopes", &self.api_scopes)
            .field("rate_limit", &self.rate_limit)
            .field("auto_login", &self.auto_login)
            .field("token_lifetime", &self.token_lifetime)
            .field("mtls", &self.mtls)
            .field(
                "client_secrets",
                &self.fixed_secrets.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Default for LocalTenantBuilder {
    fn default() -> Self {
        Self {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            tls: true,
            http2: false,
            algorithm: Algorithm::RS256,
            key_grace: Duration::from_secs(3_600),
            users: Vec::new(),
            organizations: vec![LocalOrganization::new("org_abc", "acme")],
            mfa_otp: None,
            api_audience: "https://api.local.test/".to_owned(),
            api_scopes: vec!["read:messages".to_owned(), "write:messages".to_owned()],
            rate_limit: RateLimit::default(),
            auto_login: true,
            fixed_secrets: None,
            token_lifetime: Duration::from_secs(86_400),
            mtls: false,
        }
    }
}

impl LocalTenantBuilder {
    /// Listens on `addr` instead of 127.0.0.1. Anything but a loopback
    /// address exposes a tenant whose credentials are printed and whose
    /// certificate authority is throw-away: only for a trusted network.
    pub fn bind(mut self, addr: IpAddr) -> Self {
        self.bind = addr;
        self
    }

    /// A fixed port instead of a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Serves plain `http://` instead of HTTPS (for this SDK's loopback
    /// mode, `ClientConfig::allow_insecure_loopback`). HTTPS is the default:
    /// other SDKs reach a tenant over HTTPS only.
    pub fn plain_http(mut self) -> Self {
        self.tls = false;
        self
    }

    /// Offers HTTP/2 as well as HTTP/1.1 by ALPN over HTTPS, as Auth0 does
    /// (off by default: a dropped-connection fault then resets one stream,
    /// not the connection). Plain http stays HTTP/1.1.
    pub fn http2(mut self, enabled: bool) -> Self {
        self.http2 = enabled;
        self
    }

    /// Signs tokens with `algorithm` (`RS256` by default, as Auth0;
    /// `PS256`, `ES256`, `ES384` and `EdDSA` also work).
    pub fn signing_algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// How long a rotated-out signing key stays in the JWKS (one hour by
    /// default); measured on tokio's clock.
    pub fn retired_key_grace(mut self, grace: Duration) -> Self {
        self.key_grace = grace;
        self
    }

    /// Adds a database user. Without any, the tenant has one:
    /// `jane@example.com` with a random password (see [`LocalTenant::user`]).
    pub fn user(mut self, user: NewUser) -> Self {
        self.users.push(user);
        self
    }

    /// Replaces the organizations (by default one: `org_abc`, named `acme`).
    /// Each has the database connection enabled and the builder's users as
    /// members; users added later join through the Management API, an
    /// invitation or `assign_membership_on_login`.
    pub fn organizations(mut self, organizations: Vec<LocalOrganization>) -> Self {
        self.organizations = organizations;
        self
    }

    /// Every user has an OTP authenticator enrolled with this code: password
    /// logins answer `mfa_required` with an `mfa_token`, finished by the
    /// `mfa-otp` grant.
    pub fn mfa_otp(mut self, code: impl Into<String>) -> Self {
        self.mfa_otp = Some(code.into());
        self
    }

    /// The identifier of the test API (`https://api.local.test/` by
    /// default), the default audience of user logins.
    pub fn api_audience(mut self, audience: impl Into<String>) -> Self {
        self.api_audience = audience.into();
        self
    }

    /// The test API's scopes (`read:messages write:messages` by default).
    pub fn api_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.api_scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The tenant-wide request budget (1,000 a second by default).
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = limit;
        self
    }

    /// `false`: `/authorize` shows a login page instead of logging the first
    /// user in at once (the default, for tests).
    pub fn auto_login(mut self, auto: bool) -> Self {
        self.auto_login = auto;
        self
    }

    /// The lifetime of access tokens for both APIs (24 hours by default, as
    /// Auth0); short lifetimes let tests see token refresh. It is the APIs'
    /// `token_lifetime`, which the Management API can also change.
    pub fn access_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime.max(Duration::from_secs(1));
        self
    }

    /// Fixed client secrets for the web and the machine-to-machine
    /// applications instead of random ones (for a configuration file shared
    /// with other processes).
    pub fn client_secrets(mut self, web: impl Into<String>, machine: impl Into<String>) -> Self {
        self.fixed_secrets = Some((web.into(), machine.into()));
        self
    }

    /// Mutual TLS (RFC 8705, see `docs/LOCAL_TENANT.md`): the TLS server
    /// asks clients for a certificate (clients without one still connect),
    /// discovery advertises `mtls_endpoint_aliases` at
    /// `https://localhost:PORT/`, and applications registered with
    /// [`LocalTenant::register_mtls_client`] authenticate by certificate
    /// there and get certificate-bound access tokens. Default off; ignored
    /// with [`plain_http`](Self::plain_http).
    pub fn mtls(mut self, enabled: bool) -> Self {
        self.mtls = enabled;
        self
    }

    /// Binds the port, makes the keys and certificates, and starts serving.
    ///
    /// # Errors
    ///
    /// [`StartError`] when the address cannot be bound or a key or
    /// certificate cannot be made.
    pub async fn start(self) -> Result<LocalTenant, StartError> {
        let listener = TcpListener::bind((self.bind, self.port))
            .await
            .map_err(|source| StartError::Bind {
                addr: SocketAddr::new(self.bind, self.port),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: SocketAddr::new(self.bind, self.port),
            source,
        })?;
        let host = if self.bind.is_unspecified() {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        } else {
            addr
        };
        let scheme = if self.tls { "https" } else { "http" };
        let issuer = format!("{scheme}://{host}/");
        let mut certificates = if self.tls {
            Some(crate::tls::generate(self.bind, self.http2, self.mtls)?)
        } else {
            None
        };
        // The mTLS alias: another name of this host, as `mtls.<domain>` is
        // at Auth0 (the leaf certificate names both).
        let mtls = crate::mtls::MtlsState::new(
            (self.tls && self.mtls).then(|| format!("https://localhost:{}/", host.port())),
            certificates.as_mut().and_then(|c| c.signer.take()),
        );
        // RSA key generation takes about half a second: off the async
        // runtime's threads. The private_key_jwt application's key is made
        // when someone first asks for it (`LazyRsaKey`).
        let (algorithm, grace) = (self.algorithm, self.key_grace);
        let keys = tokio::task::spawn_blocking(move || KeyRing::new(algorithm, grace))
            .await
            .map_err(|e| StartError::Key {
                reason: e.to_string(),
            })??;
        let jwt_key = LazyRsaKey::default();
        let (secrets_web, secrets_m2m) = self
            .fixed_secrets
            .clone()
            .unwrap_or_else(|| (random_id(48), random_id(48)));
        let applications = Applications {
            web: Application {
                name: "Local Web App".to_owned(),
                client_id: "local-web-app".to_owned(),
                client_secret: Some(secrets_web),
                private_key: None,
            },
            machine: Application {
                name: "Local M2M App".to_owned(),
                client_id: "local-m2m-app".to_owned(),
                client_secret: Some(secrets_m2m),
                private_key: None,
            },
            machine_jwt: Application {
                name: "Local M2M App (private_key_jwt)".to_owned(),
                client_id: "local-m2m-jwt-app".to_owned(),
                client_secret: None,
                private_key: Some(jwt_key.clone()),
            },
            native: Application {
                name: "Local Native App".to_owned(),
                client_id: "local-native-app".to_owned(),
                client_secret: None,
                private_key: None,
            },
        };
        let mut store = self.seed_store(&issuer, &applications)?;
        store
            .client_keys
            .insert(applications.machine_jwt.client_id.clone(), jwt_key);
        let mut users = self.users.clone();
        if users.is_empty() {
            users.push(
                NewUser::new("jane@example.com", random_id(18))
                    .name("Jane Example")
                    .user_id("auth0|local-user-1"),
            );
        }
        let mut first_user = None;
        for user in &users {
            let mut extra = serde_json::Map::new();
            extra.insert("email_verified".to_owned(), json!(true));
            if let Some(name) = &user.name {
                extra.insert("name".to_owned(), json!(name));
            }
            let record = store
                .insert_user(
                    DATABASE_CONNECTION,
                    &user.email,
                    Some(&user.password),
                    user.user_id.clone(),
                    extra,
                )
                .map_err(|e| StartError::Config {
                    reason: e.to_string(),
                })?;
            // The builder's users are members of the builder's organizations.
            store
                .organizations
                .join_all(record["user_id"].as_str().unwrap_or_default());
            first_user.get_or_insert_with(|| UserCredentials {
                email: user.email.clone(),
                password: user.password.clone(),
                user_id: record["user_id"].as_str().unwrap_or_default().to_owned(),
            });
        }
        let user = first_user.ok_or_else(|| StartError::Config {
            reason: "no user".to_owned(),
        })?;
        let authn = crate::authn::AuthnState::new(&issuer, mtls)?;
        let shared = Arc::new(Shared {
            authn,
            control_token: random_id(32),
            first_user_id: user.user_id.clone(),
            issuer,
            api_audience: self.api_audience.clone(),
            auto_login: self.auto_login,
            keys: Mutex::new(keys),
            store: Mutex::new(store),
            faults: FaultPlan::default(),
            rate_limit: RateLimiter::new(self.rate_limit),
            logs: Default::default(),
            jobs: Default::default(),
            recorder: crate::recording::Recorder::default(),
        });
        let (stop, stopped) = oneshot::channel();
        let acceptor = certificates
            .as_ref()
            .map(|c| tokio_rustls::TlsAcceptor::from(Arc::clone(&c.server)));
        tokio::spawn(crate::http::serve(
            listener,
            acceptor,
            Arc::clone(&shared),
            stopped,
        ));
        Ok(LocalTenant {
            shared,
            addr: host,
            tls: self.tls,
            ca_pem: certificates.as_ref().map(|c| c.ca_pem.clone()),
            ca_der: certificates.map(|c| c.ca_der),
            applications,
            user,
            _stop: stop,
        })
    }

    fn seed_store(&self, issuer: &str, apps: &Applications) -> Result<Store, StartError> {
        let management = format!("{issuer}api/v2/");
        let user_grants = [
            "authorization_code",
            "implicit",
            "refresh_token",
            "client_credentials",
            "password",
            "http://auth0.com/oauth/grant-type/password-realm",
            "http://auth0.com/oauth/grant-type/mfa-otp",
            "http://auth0.com/oauth/grant-type/mfa-oob",
            "http://auth0.com/oauth/grant-type/mfa-recovery-code",
            "http://auth0.com/oauth/grant-type/passwordless/otp",
            "urn:openid:params:grant-type:ciba",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ];
        let client = |app: &Application, app_type: &str, grants: &[&str]| {
            let mut record = json!({
                "client_id": app.client_id,
                "name": app.name,
                "app_type": app_type,
                "tenant": "local",
                "is_first_party": true,
                "oidc_conformant": true,
                "grant_types": grants,
                "callbacks": [],
                "allowed_logout_urls": [],
                "jwt_configuration": { "alg": self.algorithm.as_str(), "lifetime_in_seconds": 36_000 },
            });
            match (&app.client_secret, &app.private_key) {
                (Some(secret), _) => {
                    record["client_secret"] = json!(secret);
                    record["token_endpoint_auth_method"] = json!("client_secret_post");
                }
                (None, None) => record["token_endpoint_auth_method"] = json!("none"),
                (None, Some(_)) => {
                    record["token_endpoint_auth_method"] = Value::Null;
                    record["client_authentication_methods"] = json!({
                        "private_key_jwt": { "credentials": [{ "id": "cred_local_jwt_1" }] }
                    });
                }
            }
            record
        };
        let mut web = client(&apps.web, "regular_web", &user_grants);
        // The page organization invitations send invitees to.
        web["initiate_login_uri"] = json!("https://localhost/login");
        let mut store = Store {
            clients: vec![
                web,
                client(&apps.machine, "non_interactive", &["client_credentials"]),
                client(
                    &apps.machine_jwt,
                    "non_interactive",
                    &["client_credentials"],
                ),
                client(
                    &apps.native,
                    "native",
                    &[
                        "authorization_code",
                        "refresh_token",
                        crate::device::GRANT_DEVICE_CODE,
                        crate::passkey::GRANT,
                    ],
                ),
            ],
            organizations: crate::organizations::Organizations::seed(
                &self.organizations,
                DATABASE_CONNECTION_ID,
            ),
            mfa_otp: self.mfa_otp.clone(),
            mfa_recovery_code: self.mfa_otp.as_ref().map(|_| recovery_code()),
            ..Store::default()
        };
        let all_clients: Vec<&str> = [&apps.web, &apps.machine, &apps.machine_jwt, &apps.native]
            .iter()
            .map(|a| a.client_id.as_str())
            .collect();
        for app in [&apps.web, &apps.machine, &apps.machine_jwt] {
            store.client_grants.push(json!({
                "id": format!("cgr_{}", random_hex(8)), "client_id": app.client_id,
                "audience": management, "scope": Shared::management_scopes(),
            }));
            store.client_grants.push(json!({
                "id": format!("cgr_{}", random_hex(8)), "client_id": app.client_id,
                "audience": self.api_audience, "scope": self.api_scopes,
            }));
        }
        let lifetime = self.token_lifetime.as_secs();
        store.resource_servers = vec![
            json!({
                "id": random_hex(12), "name": "Auth0 Management API", "identifier": management,
                "is_system": true, "signing_alg": "RS256", "token_lifetime": lifetime,
                "scopes": Shared::management_scopes().iter()
                    .map(|s| json!({ "value": s, "description": s })).collect::<Vec<_>>(),
            }),
            json!({
                "id": random_hex(12), "name": "Local API", "identifier": self.api_audience,
                "is_system": false, "signing_alg": self.algorithm.as_str(), "token_lifetime": lifetime,
                "allow_offline_access": true, "skip_consent_for_verifiable_first_party_clients": true,
                "scopes": self.api_scopes.iter()
                    .map(|s| json!({ "value": s, "description": s })).collect::<Vec<_>>(),
            }),
        ];
        store.connections = vec![
            json!({
                "id": DATABASE_CONNECTION_ID, "name": DATABASE_CONNECTION, "strategy": "auth0",
                "display_name": DATABASE_CONNECTION, "is_domain_connection": false,
                "realms": [DATABASE_CONNECTION], "enabled_clients": all_clients,
                "options": { "brute_force_protection": true, "passwordPolicy": "good" },
            }),
            json!({
                "id": "con_PwLessEmail00001", "name": "email", "strategy": "email",
                "display_name": "email", "is_domain_connection": false, "realms": ["email"],
                "enabled_clients": [apps.web.client_id], "options": { "disable_signup": false },
            }),
            json!({
                "id": "con_ErZf9LpXQDE0cNBr", "name": "Amazon-Connection", "strategy": "amazon",
                "display_name": "Amazon", "is_domain_connection": false,
                "realms": ["Amazon-Connection"], "enabled_clients": [apps.web.client_id],
                "options": { "profile": true, "scope": ["profile"] },
            }),
        ];
        store.roles = vec![json!({
            "id": "rol_LocalAdmin00001", "name": "admin", "description": "Administrators",
        })];
        Ok(store)
    }
}

/// A running local Auth0 tenant; it stops when dropped.
///
/// **Not a production identity provider**: it keeps everything in memory,
/// prints its credentials, trusts a throw-away CA and logs the first user in
/// without asking. It exists so tests, examples and other languages' SDKs
/// can run against Auth0's behaviour offline.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let tenant = auth0_local::LocalTenant::builder().start().await?;
/// let issuer = tenant.issuer(); // https://127.0.0.1:PORT/
/// let web = &tenant.applications().web;
/// let client = tenant.client()?; // an Auth0Client that trusts the tenant's CA
/// # let _ = (issuer, web, client);
/// # Ok(()) }
/// ```
pub struct LocalTenant {
    pub(crate) shared: Arc<Shared>,
    addr: SocketAddr,
    tls: bool,
    ca_pem: Option<String>,
    ca_der: Option<Vec<u8>>,
    applications: Applications,
    user: UserCredentials,
    _stop: oneshot::Sender<()>,
}

impl std::fmt::Debug for LocalTenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTenant")
            .field("issuer", &self.shared.issuer)
            .field("applications", &self.applications)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl LocalTenant {
    /// The state the routes share (for the test handles of other modules).
    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// A builder with Auth0's defaults: HTTPS on a free 127.0.0.1 port,
    /// RS256, one user, one organization.
    pub fn builder() -> LocalTenantBuilder {
        LocalTenantBuilder::default()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether it serves HTTPS.
    pub fn is_https(&self) -> bool {
        self.tls
    }

    /// The domain to configure SDKs with: `https://127.0.0.1:PORT` (or
    /// `http://…` in plain-http mode).
    pub fn domain(&self) -> String {
        self.shared.issuer.trim_end_matches('/').to_owned()
    }

    /// `127.0.0.1:PORT`: the domain without a scheme, as SDKs that add
    /// `https://` themselves want it.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// The issuer (`iss`) of every token: `https://127.0.0.1:PORT/`.
    pub fn issuer(&self) -> &str {
        &self.shared.issuer
    }

    /// The Management API's audience: `https://127.0.0.1:PORT/api/v2/`.
    pub fn management_audience(&self) -> String {
        self.shared.management_audience()
    }

    /// The test API's identifier, the default audience of user logins.
    pub fn api_audience(&self) -> &str {
        &self.shared.api_audience
    }

    /// The algorithm tokens are signed with.
    pub fn algorithm(&self) -> Algorithm {
        lock(&self.shared.keys).algorithm()
    }

    /// The applications and their credentials.
    pub fn applications(&self) -> &Applications {
        &self.applications
    }

    /// The first database user's login.
    pub fn user(&self) -> &UserCredentials {
        &self.user
    }

    /// The organizations, the builder's and those made through the
    /// Management API. The builder's users are members of the builder's
    /// organizations.
    pub fn organizations(&self) -> Vec<LocalOrganization> {
        lock(&self.shared.store).organizations.all()
    }

    /// The CA certificate (PEM) clients must trust; `None` in plain-http mode.
    pub fn ca_certificate_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The CA certificate (DER); `None` in plain-http mode.
    pub fn ca_certificate_der(&self) -> Option<&[u8]> {
        self.ca_der.as_deref()
    }

    /// Writes the CA certificate to `dir/auth0-local-ca.pem` and returns the
    /// path (for `REQUESTS_CA_BUNDLE`, `NODE_EXTRA_CA_CERTS`, `curl --cacert`).
    ///
    /// The file is replaced whole (a new file renamed over it, mode 0644 on
    /// Unix: a CA certificate is public): a client reading it meanwhile sees
    /// the old certificate or the new one, and a symbolic link planted at
    /// the path is replaced, not written through.
    ///
    /// # Errors
    ///
    /// [`TenantError::PlainHttp`] in plain-http mode; [`TenantError::Io`] when
    /// the file cannot be written.
    pub fn write_ca_file(&self, dir: &Path) -> Result<PathBuf, TenantError> {
        let pem = self.ca_pem.as_deref().ok_or(TenantError::PlainHttp)?;
        std::fs::create_dir_all(dir).map_err(|source| TenantError::Io { source })?;
        let path = dir.join("auth0-local-ca.pem");
        crate::replace_file::replace(&path, pem.as_bytes(), 0o644)
            .map_err(|source| TenantError::Io { source })?;
        Ok(path)
    }

    /// A client configuration builder for this tenant: its domain, and its
    /// CA trusted (or plain http allowed on loopback). Add timeouts, retries
    /// or a rate limiter, then `build()`.
    pub fn client_config(&self) -> auth0_core::config::ClientConfigBuilder {
        let builder = auth0_core::ClientConfig::builder().domain(self.domain());
        match &self.ca_der {
            Some(der) => builder.add_root_certificate(der.clone()),
            None => builder.allow_insecure_loopback(true),
        }
    }

    /// An SDK client for this tenant.
    ///
    /// # Errors
    ///
    /// When the client cannot be built (see [`auth0_core::Error`]).
    pub fn client(&self) -> Result<auth0_core::Auth0Client, auth0_core::Error> {
        auth0_core::Auth0Client::new(self.client_config().build()?)
    }

    /// An Authentication API client for the web application (client secret).
    ///
    /// # Errors
    ///
    /// [`ClientError`] when the client cannot be built.
    #[cfg(feature = "sdk-clients")]
    pub fn authentication_client(
        &self,
    ) -> Result<auth0_authentication::AuthenticationClient, ClientError> {
        let web = &self.applications.web;
        auth0_authentication::AuthenticationClient::builder(self.client()?, web.client_id())
            .client_secret(web.client_secret().unwrap_or_default())
            .build()
            .map_err(ClientError::Authentication)
    }

    /// A Management API client for the machine-to-machine application: it
    /// fetches its own token by client credentials.
    ///
    /// # Errors
    ///
    /// [`ClientError`] when the client cannot be built.
    #[cfg(feature = "sdk-clients")]
    pub fn management_client(&self) -> Result<auth0_management::ManagementClient, ClientError> {
        let machine = &self.applications.machine;
        let credentials = auth0_management::token::ClientCredentials::new(
            machine.client_id(),
            machine.client_secret().unwrap_or_default(),
        )
        .audience(self.management_audience());
        auth0_management::ManagementClient::builder(self.client()?)
            .client_credentials(credentials)
            .build()
            .map_err(ClientError::Management)
    }

    /// Plays the browser of a login: opens `authorize_url` through `client`
    /// and returns the query parameters of the redirect back to the
    /// application — `code` and `state`, or `error` and
    /// `error_description`.
    ///
    /// # Errors
    ///
    /// [`AuthorizeError`] when the request fails or the answer is not a
    /// redirect.
    pub async fn follow_authorize(
        &self,
        client: &auth0_core::Auth0Client,
        authorize_url: &str,
    ) -> Result<HashMap<String, String>, AuthorizeError> {
        let request = http::Request::get(authorize_url)
            .body(bytes::Bytes::new())
            .map_err(|_| AuthorizeError::InvalidUrl)?;
        let response = client.send(request).await?;
        let location = response
            .headers()
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(AuthorizeError::NoRedirect {
                status: response.status(),
            })?;
        Ok(redirect_params(location))
    }

    /// Makes a new signing key current and returns its `kid` (an RSA key
    /// takes a few hundred milliseconds to generate; this blocks). The previous
    /// key stays in the JWKS (and keeps verifying) for the grace period of
    /// [`LocalTenantBuilder::retired_key_grace`], then disappears.
    ///
    /// # Errors
    ///
    /// [`TenantError::Key`] when the key cannot be generated.
    pub fn rotate_signing_key(&self) -> Result<String, TenantError> {
        self.shared.rotate_signing_key()
    }

    /// Removes every retired signing key from the JWKS now: tokens they
    /// signed stop verifying (the end of a rotation, or a revoked key).
    pub fn drop_retired_keys(&self) {
        lock(&self.shared.keys).drop_retired();
    }

    /// The `kid`s in the JWKS, the current key first.
    pub fn signing_key_ids(&self) -> Vec<String> {
        lock(&self.shared.keys)
            .published()
            .iter()
            .map(|k| k.kid.clone())
            .collect()
    }

    /// Adds a database user and returns its id.
    ///
    /// # Errors
    ///
    /// [`TenantError::UserExists`] when the email is taken.
    pub fn add_user(&self, user: NewUser) -> Result<String, TenantError> {
        let mut extra = serde_json::Map::new();
        if let Some(name) = user.name {
            extra.insert("name".to_owned(), json!(name));
        }
        let record = lock(&self.shared.store).insert_user(
            DATABASE_CONNECTION,
            &user.email,
            Some(&user.password),
            user.user_id,
            extra,
        )?;
        Ok(record["user_id"].as_str().unwrap_or_default().to_owned())
    }

    /// A user's record as the Management API shows it.
    pub fn user_record(&self, user_id: &str) -> Option<Value> {
        lock(&self.shared.store).user(user_id).cloned()
    }

    /// The number of users.
    pub fn user_count(&self) -> usize {
        lock(&self.shared.store).users.len()
    }

    /// The one-time code `/passwordless/start` "sent" to `recipient` (an
    /// email address or phone number); nothing is really sent.
    pub fn passwordless_code(&self, recipient: &str) -> Option<String> {
        self.shared.passwordless_code(recipient)
    }

    /// The base URL of the tenant's control API (`…/auth0-local/v1/`): the
    /// out-of-band steps of this type's test handles (passwordless and MFA
    /// codes, CIBA, push and device approvals, key rotation) over HTTP, for
    /// tests in other languages. See `docs/LOCAL_TENANT.md`.
    pub fn control_url(&self) -> String {
        format!(
            "{}{}",
            self.shared.issuer,
            crate::control::PREFIX.trim_start_matches('/')
        )
    }

    /// The bearer token the control API requires (random per tenant; the
    /// binary writes it to `tenant.json`).
    pub fn control_token(&self) -> &str {
        &self.shared.control_token
    }

    /// Invites `email` to an organization (id or name) through the web
    /// application and returns the invitation ticket to pass as
    /// `invitation` to `/authorize` (with `organization`); the invitee
    /// becomes a member on logging in with it. The Management API's
    /// `POST /organizations/{id}/invitations` makes the same invitations.
    ///
    /// # Errors
    ///
    /// [`TenantError::UnknownOrganization`].
    pub fn invite(&self, organization: &str, email: &str) -> Result<String, TenantError> {
        let mut store = lock(&self.shared.store);
        let org = store.organizations.find(organization).ok_or_else(|| {
            TenantError::UnknownOrganization {
                organization: organization.to_owned(),
            }
        })?;
        Ok(crate::organizations::invite(
            &mut store,
            &org.id,
            &self.applications.web.client_id,
            email,
        ))
    }

    /// Turns multi-factor authentication on (with this OTP code) or off.
    pub fn set_mfa_otp(&self, code: Option<String>) {
        let mut store = lock(&self.shared.store);
        store.mfa_recovery_code = match (&code, store.mfa_recovery_code.take()) {
            (Some(_), Some(existing)) => Some(existing),
            (Some(_), None) => Some(recovery_code()),
            (None, _) => None,
        };
        store.mfa_otp = code;
    }

    /// The recovery code that finishes an MFA login in place of the OTP
    /// (`mfa-recovery-code` grant) while MFA is on; each use replaces it,
    /// and the grant's answer carries the next one.
    pub fn mfa_recovery_code(&self) -> Option<String> {
        lock(&self.shared.store).mfa_recovery_code.clone()
    }

    /// Queues a fault for the next matching requests.
    pub fn inject(&self, fault: Fault) {
        self.shared.faults.inject(fault);
    }

    /// Adds `latency` before every answer (zero to stop).
    pub fn set_latency(&self, latency: Duration) {
        self.shared.faults.set_latency(latency);
    }

    /// Removes every queued fault and the latency.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Queued faults not used up yet.
    pub fn pending_faults(&self) -> u32 {
        self.shared.faults.pending()
    }

    /// Replaces the rate limit and starts a fresh window.
    pub fn set_rate_limit(&self, limit: RateLimit) {
        self.shared.rate_limit.set(limit);
    }

    /// How long jobs created from now on take to go from `pending` through
    /// `processing` to `completed` or `failed` (default 200 ms).
    pub fn set_job_duration(&self, duration: Duration) {
        self.shared.jobs.set_duration(duration);
    }
}

/// The decoded query parameters of a redirect URL such as
/// `http://localhost:3000/callback?code=…&state=…`.
///
/// ```
/// let back = auth0_local::redirect_params("http://localhost/cb?code=abc&state=x%20y#frag");
/// assert_eq!(back["code"], "abc");
/// assert_eq!(back["state"], "x y");
/// ```
pub fn redirect_params(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split('#').next().unwrap_or("");
    crate::server::parse_form(query.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_debug_hides_secrets() {
        let builder = LocalTenant::builder()
            .user(NewUser::new("a@example.com", "pass-phrase-1"))
            .mfa_otp("909090")
            .client_secrets("web-secret-x", "m2m-secret-y");
        let shown = format!("{builder:?}");
        for secret in ["pass-phrase-1", "909090", "web-secret-x", "m2m-secret-y"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("a@example.com"));
    }

    #[test]
    fn iso_dates() {
        let now = now_iso();
        assert_eq!(now.len(), 24);
        assert!(now.starts_with("20"));
        assert!(now.ends_with('Z'));
    }
}
