//! The MFA API beyond the tenant-wide OTP code: per-user authenticators —
//! out-of-band (SMS, voice, email, Guardian push) and OTP apps (TOTP,
//! RFC 6238) — enrolled with `/mfa/associate` (or out-of-band ones with
//! [`LocalTenant::enroll_mfa_oob`]), listed by `/mfa/authenticators`,
//! challenged by `/mfa/challenge` (an `oob_code`, and a binding code "sent"
//! to the phone or inbox), and finished by the
//! `http://auth0.com/oauth/grant-type/mfa-oob` grant — which for push
//! answers `authorization_pending` until [`LocalTenant::approve_mfa_push`].
//! Nothing is really sent: read binding codes with
//! [`LocalTenant::mfa_oob_code`].

use std::collections::HashMap;
use std::time::{Duration, Instant};

use http::StatusCode;
use serde_json::{Map, Value, json};

use crate::routes::{authenticate_client, user_tokens_with};
use crate::server::{Req, Resp, json, oauth_error};
use crate::tenant::{
    Shared, Store, lock, now_secs, random_hex, random_id, recovery_code, six_digit_code,
};
use crate::{LocalTenant, TenantError};

/// The out-of-band MFA grant type.
pub(crate) const GRANT_OOB: &str = "http://auth0.com/oauth/grant-type/mfa-oob";
/// Seconds between polls of a push challenge before `slow_down`.
const INTERVAL: Duration = Duration::from_secs(5);

/// An out-of-band authenticator to enroll for a user with
/// [`LocalTenant::enroll_mfa_oob`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OobAuthenticator {
    /// Codes by text message to this phone number.
    Sms(String),
    /// Codes by phone call to this number.
    Voice(String),
    /// Codes by email to this address.
    Email(String),
    /// Guardian push notifications, approved with
    /// [`LocalTenant::approve_mfa_push`].
    Push,
}

impl OobAuthenticator {
    fn channel(&self) -> &'static str {
        match self {
            Self::Sms(_) => "sms",
            Self::Voice(_) => "voice",
            Self::Email(_) => "email",
            Self::Push => "auth0",
        }
    }

    fn recipient(&self) -> Option<&str> {
        match self {
            Self::Sms(to) | Self::Voice(to) | Self::Email(to) => Some(to),
            Self::Push => None,
        }
    }
}

/// What an authenticator is.
#[derive(Clone, PartialEq, Eq)]
enum Kind {
    Oob(OobAuthenticator),
    /// A TOTP app and its shared secret.
    Otp(Vec<u8>),
}

impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Oob(oob) => oob.fmt(f),
            Self::Otp(_) => f.write_str("Otp(<redacted>)"),
        }
    }
}

#[derive(Debug, Clone)]
struct Authenticator {
    id: String,
    kind: Kind,
    /// False until an enrollment is confirmed by a grant.
    active: bool,
}

impl Authenticator {
    fn oob(&self) -> Option<&OobAuthenticator> {
        match &self.kind {
            Kind::Oob(oob) => Some(oob),
            Kind::Otp(_) => None,
        }
    }

    fn shown(&self) -> Value {
        let Some(oob) = self.oob() else {
            return json!({ "id": self.id, "authenticator_type": "otp", "active": self.active });
        };
        let name = match oob.recipient() {
            // Auth0 masks all but the last four characters.
            Some(to) => {
                let keep = to.chars().count().saturating_sub(4);
                to.chars()
                    .enumerate()
                    .map(|(i, c)| if i < keep { 'X' } else { c })
                    .collect::<String>()
            }
            None => "Guardian".to_owned(),
        };
        json!({
            "id": self.id, "authenticator_type": "oob", "oob_channel": oob.channel(),
            "active": self.active, "name": name,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Pending,
    Approved,
    Denied,
}

struct Challenge {
    mfa_token: String,
    user_id: String,
    authenticator_id: String,
    /// The code sent to the user (SMS, voice, email); `None` for push.
    binding_code: Option<String>,
    decision: Decision,
    last_poll: Option<Instant>,
}

/// Out-of-band authenticators and open challenges. No `Debug`: it holds
/// binding codes and OTP secrets.
#[derive(Default)]
pub(crate) struct Factors {
    /// Authenticators by user id.
    enrolled: HashMap<String, Vec<Authenticator>>,
    /// Open challenges by `oob_code`.
    challenges: HashMap<String, Challenge>,
    /// Binding codes "sent", by recipient.
    sent: HashMap<String, String>,
    /// Auth0's "Require Multi-factor Auth: Always" policy.
    always: bool,
}

impl Factors {
    /// Whether a login of `user_id` needs a second factor (besides the
    /// tenant-wide OTP code): the policy says always, or the user has an
    /// active authenticator.
    pub(crate) fn required_for(&self, user_id: &str) -> bool {
        self.always || self.active(user_id).next().is_some()
    }

    /// A deleted user's authenticators and challenges go with them.
    pub(crate) fn forget_user(&mut self, user_id: &str) {
        self.enrolled.remove(user_id);
        self.challenges.retain(|_, c| c.user_id != user_id);
    }

    fn active<'a>(&'a self, user_id: &str) -> impl Iterator<Item = &'a Authenticator> {
        self.enrolled
            .get(user_id)
            .into_iter()
            .flatten()
            .filter(|a| a.active)
    }

    /// Opens a challenge on `authenticator`; its `oob_code`.
    fn challenge(
        &mut self,
        mfa_token: &str,
        user_id: &str,
        authenticator: &Authenticator,
    ) -> String {
        let recipient = authenticator.oob().and_then(OobAuthenticator::recipient);
        let binding_code = recipient.map(|to| {
            let code = six_digit_code();
            self.sent.insert(to.to_owned(), code.clone());
            code
        });
        let oob_code = random_id(24);
        self.challenges.insert(
            oob_code.clone(),
            Challenge {
                mfa_token: mfa_token.to_owned(),
                user_id: user_id.to_owned(),
                authenticator_id: authenticator.id.clone(),
                binding_code,
                decision: Decision::Pending,
                last_poll: None,
            },
        );
        oob_code
    }
}

/// The user whose login `mfa_token` continues, for this client.
fn pending_user(store: &Store, mfa_token: &str) -> Option<String> {
    store.mfa_pending.get(mfa_token).map(|l| l.user_id.clone())
}

fn challenge_answer(oob_code: &str, authenticator: &Authenticator) -> Value {
    let mut answer = json!({ "challenge_type": "oob", "oob_code": oob_code });
    if authenticator
        .oob()
        .and_then(OobAuthenticator::recipient)
        .is_some()
    {
        answer["binding_method"] = json!("prompt");
    }
    answer
}

/// `POST /mfa/associate`, with the `mfa_token` as bearer: enrolls an
/// `oob` authenticator for a user who has none active yet.
pub(crate) fn associate(shared: &Shared, req: &Req) -> Resp {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&req.body) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Invalid JSON body",
        );
    };
    let params: HashMap<String, String> = body
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
        .collect();
    if let Err(refused) = authenticate_client(shared, req, &params) {
        return refused;
    }
    let token = req.bearer().unwrap_or_default().to_owned();
    let mut store = lock(&shared.store);
    let Some(user_id) = pending_user(&store, &token) else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_token", "Unauthorized");
    };
    if store.mfa_otp.is_some() || store.mfa.active(&user_id).next().is_some() {
        return oauth_error(
            StatusCode::FORBIDDEN,
            "access_denied",
            "User is already enrolled.",
        );
    }
    let strings = |name: &str| -> Vec<String> {
        body.get(name)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let invalid =
        |description: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description);
    let types = strings("authenticator_types");
    if types == ["otp"] {
        let secret = random_bytes::<20>();
        let authenticator = Authenticator {
            id: format!("totp|dev_{}", random_hex(8)),
            kind: Kind::Otp(secret.to_vec()),
            active: false,
        };
        enroll(&mut store.mfa, &user_id, authenticator);
        let encoded = base32(&secret);
        let email = store
            .user(&user_id)
            .and_then(|u| u["email"].as_str())
            .unwrap_or(&user_id)
            .to_owned();
        let mut label = String::new();
        auth0_core::client::percent_encode_into(&mut label, &format!("auth0-local:{email}"));
        return json(
            StatusCode::OK,
            &json!({
                "authenticator_type": "otp",
                "secret": encoded,
                "barcode_uri": format!(
                    "otpauth://totp/{label}?secret={encoded}&issuer=auth0-local&algorithm=SHA1&digits=6&period=30"
                ),
                "recovery_codes": [recovery_code()],
            }),
        );
    }
    if types != ["oob"] {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_challenge_type",
            "authenticator_types must be [\"otp\"] or [\"oob\"]",
        );
    }
    let text = |name: &str| params.get(name).cloned().unwrap_or_default();
    let kind = match strings("oob_channels").first().map(String::as_str) {
        Some("sms") if !text("phone_number").is_empty() => {
            OobAuthenticator::Sms(text("phone_number"))
        }
        Some("voice") if !text("phone_number").is_empty() => {
            OobAuthenticator::Voice(text("phone_number"))
        }
        Some("email") if text("email").contains('@') => OobAuthenticator::Email(text("email")),
        Some("auth0") => OobAuthenticator::Push,
        Some("sms" | "voice") => return invalid("phone_number is required"),
        Some("email") => return invalid("email is required"),
        _ => return invalid("oob_channels must be one of sms, voice, email, auth0"),
    };
    let channel = kind.channel();
    let push = kind == OobAuthenticator::Push;
    let authenticator = Authenticator {
        id: format!("{channel}|dev_{}", random_hex(8)),
        kind: Kind::Oob(kind),
        active: false,
    };
    enroll(&mut store.mfa, &user_id, authenticator.clone());
    let oob_code = store.mfa.challenge(&token, &user_id, &authenticator);
    let mut answer = challenge_answer(&oob_code, &authenticator);
    answer["authenticator_type"] = json!("oob");
    answer["oob_channel"] = json!(channel);
    answer["recovery_codes"] = json!([recovery_code()]);
    if push {
        answer["barcode_uri"] = json!(format!(
            "otpauth://totp/auth0-local:{user_id}?enrollment_tx_id={}&base_url={}",
            random_id(12),
            shared.issuer
        ));
    }
    json(StatusCode::OK, &answer)
}

/// `POST /mfa/challenge`: an `otp` challenge for the tenant-wide code, or
/// an `oob` one on the user's (or the named) out-of-band authenticator.
pub(crate) fn challenge(shared: &Shared, req: &Req) -> Resp {
    let params = match req.params() {
        Ok(params) => params,
        Err(response) => return response,
    };
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    if let Err(response) = authenticate_client(shared, req, &params) {
        return response;
    }
    let mut store = lock(&shared.store);
    let Some(user_id) = pending_user(&store, field("mfa_token")) else {
        return oauth_error(
            StatusCode::FORBIDDEN,
            "invalid_grant",
            "Malformed mfa_token",
        );
    };
    let types: Vec<&str> = field("challenge_type")
        .split(' ')
        .filter(|t| !t.is_empty())
        .collect();
    let accepts = |t: &str| types.is_empty() || types.contains(&t);
    let wanted_id = field("authenticator_id");
    let named = |a: &&Authenticator| wanted_id.is_empty() || a.id == wanted_id;
    let oob = store
        .mfa
        .active(&user_id)
        .filter(named)
        .find(|a| a.oob().is_some())
        .cloned();
    let otp_app = store
        .mfa
        .active(&user_id)
        .filter(named)
        .any(|a| a.oob().is_none());
    let tenant_otp =
        store.mfa_otp.is_some() && (wanted_id.is_empty() || wanted_id == "totp|dev_local");
    match oob {
        Some(authenticator) if accepts("oob") => {
            let oob_code = store
                .mfa
                .challenge(field("mfa_token"), &user_id, &authenticator);
            json(StatusCode::OK, &challenge_answer(&oob_code, &authenticator))
        }
        _ if (tenant_otp || otp_app) && accepts("otp") => {
            json(StatusCode::OK, &json!({ "challenge_type": "otp" }))
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_challenge_type",
            "User does not have an enrolled authenticator of the requested type",
        ),
    }
}

/// `GET /mfa/authenticators` with an `mfa_token` as bearer.
pub(crate) fn authenticators(shared: &Shared, req: &Req) -> Resp {
    let store = lock(&shared.store);
    let Some(user_id) = req.bearer().and_then(|token| pending_user(&store, token)) else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_token", "Unauthorized");
    };
    let mut listed = Vec::new();
    if store.mfa_otp.is_some() {
        listed.push(json!({ "id": "totp|dev_local", "authenticator_type": "otp", "active": true }));
    }
    listed.extend(
        store
            .mfa
            .enrolled
            .get(&user_id)
            .into_iter()
            .flatten()
            .map(Authenticator::shown),
    );
    json(StatusCode::OK, &Value::Array(listed))
}

/// The `mfa-oob` grant: the binding code for SMS, voice and email; for
/// push, pending until the user decides.
pub(crate) fn oob_grant(
    shared: &Shared,
    client_id: &str,
    params: &HashMap<String, String>,
) -> Resp {
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    let invalid_grant =
        |description: &str| oauth_error(StatusCode::FORBIDDEN, "invalid_grant", description);
    let mut store = lock(&shared.store);
    let Some(login) = store
        .mfa_pending
        .get(field("mfa_token"))
        .filter(|l| l.client_id == client_id)
        .cloned()
    else {
        return invalid_grant("Malformed mfa_token");
    };
    let Some(challenge) = store
        .mfa
        .challenges
        .get_mut(field("oob_code"))
        .filter(|c| c.mfa_token == field("mfa_token"))
    else {
        return invalid_grant("Invalid oob_code.");
    };
    match &challenge.binding_code {
        Some(code) => {
            let given = field("binding_code");
            if !crate::routes::constant_time_eq(code.as_bytes(), given.as_bytes()) {
                return invalid_grant("Invalid binding_code.");
            }
        }
        None => match challenge.decision {
            Decision::Approved => {}
            Decision::Denied => {
                store.mfa.challenges.remove(field("oob_code"));
                return invalid_grant("MFA Authorization rejected.");
            }
            Decision::Pending => {
                let now = Instant::now();
                let too_fast = challenge
                    .last_poll
                    .is_some_and(|last| now.duration_since(last) < INTERVAL);
                challenge.last_poll = Some(now);
                return if too_fast {
                    oauth_error(
                        StatusCode::BAD_REQUEST,
                        "slow_down",
                        "You are polling faster than allowed. Try again in 5 seconds.",
                    )
                } else {
                    oauth_error(
                        StatusCode::BAD_REQUEST,
                        "authorization_pending",
                        "Authorization pending: please repeat the request in a few seconds.",
                    )
                };
            }
        },
    }
    let (user_id, authenticator_id) = (
        challenge.user_id.clone(),
        challenge.authenticator_id.clone(),
    );
    store.mfa.challenges.remove(field("oob_code"));
    // A confirmed enrollment makes the authenticator active.
    if let Some(found) = store
        .mfa
        .enrolled
        .get_mut(&user_id)
        .and_then(|list| list.iter_mut().find(|a| a.id == authenticator_id))
    {
        found.active = true;
    }
    // An mfa_token finishes one login.
    store.mfa_pending.remove(field("mfa_token"));
    drop(store);
    user_tokens_with(shared, &login, None, Map::new())
}

/// Adds a pending enrollment for `user_id`, replacing an earlier one.
fn enroll(factors: &mut Factors, user_id: &str, authenticator: Authenticator) {
    let list = factors.enrolled.entry(user_id.to_owned()).or_default();
    list.retain(|a| a.active);
    list.push(authenticator);
}

/// Whether `otp` is the current code (or the one of the step before or
/// after, for clock drift) of one of the user's OTP apps; a pending
/// enrollment is confirmed by it.
pub(crate) fn verify_otp(factors: &mut Factors, user_id: &str, otp: &str) -> bool {
    let step = now_secs().div_euclid(30);
    let Some(list) = factors.enrolled.get_mut(user_id) else {
        return false;
    };
    for authenticator in list.iter_mut() {
        let Kind::Otp(secret) = &authenticator.kind else {
            continue;
        };
        let matches = (step - 1..=step + 1).any(|s| {
            u64::try_from(s).is_ok_and(|counter| {
                let code = totp(secret, counter);
                crate::routes::constant_time_eq(code.as_bytes(), otp.as_bytes())
            })
        });
        if matches {
            authenticator.active = true;
            return true;
        }
    }
    false
}

/// RFC 4226 HOTP with HMAC-SHA-1, six digits (RFC 6238 TOTP feeds it the
/// 30-second step).
fn totp(secret: &[u8], counter: u64) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let mac = ring::hmac::sign(&key, &counter.to_be_bytes());
    let mac = mac.as_ref();
    // RFC 4226 §5.3: dynamic truncation (a SHA-1 MAC has 20 bytes, so
    // offset + 3 <= 18 is in range).
    let offset = usize::from(mac.last().copied().unwrap_or(0) & 0x0f);
    let word = mac
        .get(offset..offset + 4)
        .map_or(0, |b| u32::from_be_bytes([b[0] & 0x7f, b[1], b[2], b[3]]));
    format!("{:06}", word % 1_000_000)
}

/// RFC 4648 base32 without padding, as authenticator apps read secrets.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let symbol = |index: u32| char::from(ALPHABET[(index & 31) as usize]);
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(symbol(buffer >> bits));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(symbol(buffer << (5 - bits)));
    }
    out
}

/// `N` random bytes.
fn random_bytes<const N: usize>() -> [u8; N] {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; N];
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        // Without an entropy source, fall back as `random_id` does.
        for (i, chunk) in bytes.chunks_mut(32).enumerate() {
            let seed = format!("{}{i}", random_id(16));
            let digest = ring::digest::digest(&ring::digest::SHA256, seed.as_bytes());
            chunk.copy_from_slice(&digest.as_ref()[..chunk.len()]);
        }
    }
    bytes
}

impl LocalTenant {
    /// Enrolls an active out-of-band authenticator for a user (as if they
    /// had finished `/mfa/associate`); their password logins then answer
    /// `mfa_required`. Returns the authenticator's id.
    ///
    /// # Errors
    ///
    /// [`TenantError::UnknownUser`] when no user has this id.
    ///
    /// ```no_run
    /// use auth0_authentication::{MfaChallenge, PasswordLogin};
    /// use auth0_local::OobAuthenticator;
    ///
    /// # async fn demo(tenant: auth0_local::LocalTenant) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// let user = tenant.user().clone();
    /// tenant.enroll_mfa_oob(&user.user_id, OobAuthenticator::Push)?;
    /// let auth = tenant.authentication_client()?;
    /// let Err(auth0_core::Error::MfaRequired(mfa)) =
    ///     auth.login(&PasswordLogin::new(&user.email, &user.password)).await else { return Ok(()) };
    /// let challenge = auth.mfa_challenge(mfa.mfa_token(), &MfaChallenge::new()).await?;
    /// let oob_code = challenge.oob_code.unwrap_or_default();
    /// tenant.approve_mfa_push(&user.user_id)?; // the user taps "Allow"
    /// let tokens = auth.mfa_oob(mfa.mfa_token(), &oob_code, None).await?;
    /// # let _ = tokens; Ok(()) }
    /// ```
    pub fn enroll_mfa_oob(
        &self,
        user_id: &str,
        authenticator: OobAuthenticator,
    ) -> Result<String, TenantError> {
        let mut store = lock(&self.shared().store);
        if store.user(user_id).is_none() {
            return Err(TenantError::UnknownUser {
                user_id: user_id.to_owned(),
            });
        }
        let id = format!("{}|dev_{}", authenticator.channel(), random_hex(8));
        store
            .mfa
            .enrolled
            .entry(user_id.to_owned())
            .or_default()
            .push(Authenticator {
                id: id.clone(),
                kind: Kind::Oob(authenticator),
                active: true,
            });
        Ok(id)
    }

    /// Auth0's "Require Multi-factor Auth: Always": every password login
    /// answers `mfa_required`; users with no authenticator enroll one with
    /// `/mfa/associate` and the `mfa_token`.
    pub fn require_mfa(&self, always: bool) {
        lock(&self.shared().store).mfa.always = always;
    }

    /// The binding code last "sent" to `recipient` (a phone number or
    /// email address) by an out-of-band challenge or enrollment.
    pub fn mfa_oob_code(&self, recipient: &str) -> Option<String> {
        oob_code(self.shared(), recipient)
    }

    /// Approves the user's pending push challenges, as tapping "Allow" in
    /// Guardian would: the next `mfa-oob` poll gets the tokens.
    ///
    /// # Errors
    ///
    /// [`TenantError::NothingPending`] when the user has no pending push
    /// challenge.
    pub fn approve_mfa_push(&self, user_id: &str) -> Result<(), TenantError> {
        decide_push(self.shared(), user_id, true)
    }

    /// Rejects the user's pending push challenges: the next `mfa-oob` poll
    /// answers `invalid_grant`.
    ///
    /// # Errors
    ///
    /// [`TenantError::NothingPending`] when the user has no pending push
    /// challenge.
    pub fn deny_mfa_push(&self, user_id: &str) -> Result<(), TenantError> {
        decide_push(self.shared(), user_id, false)
    }
}

/// The binding code last "sent" to `recipient` (behind
/// [`LocalTenant::mfa_oob_code`] and the control API).
pub(crate) fn oob_code(shared: &Shared, recipient: &str) -> Option<String> {
    lock(&shared.store).mfa.sent.get(recipient).cloned()
}

/// Approves (`approve`) or rejects the user's pending push challenges
/// (behind [`LocalTenant::approve_mfa_push`], its twin and the control API).
pub(crate) fn decide_push(
    shared: &Shared,
    user_id: &str,
    approve: bool,
) -> Result<(), TenantError> {
    let decision = if approve {
        Decision::Approved
    } else {
        Decision::Denied
    };
    let mut store = lock(&shared.store);
    let mut decided = false;
    for challenge in store.mfa.challenges.values_mut() {
        if challenge.user_id == user_id
            && challenge.binding_code.is_none()
            && challenge.decision == Decision::Pending
        {
            challenge.decision = decision;
            decided = true;
        }
    }
    if decided {
        Ok(())
    } else {
        Err(TenantError::NothingPending {
            what: "MFA push challenge",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totp_matches_rfc_6238_and_base32_rfc_4648() {
        // RFC 6238 Appendix B, SHA-1: the last six of 94287082 and 07081804.
        assert_eq!(totp(b"12345678901234567890", 59 / 30), "287082");
        assert_eq!(totp(b"12345678901234567890", 1_111_111_109 / 30), "081804");
        // RFC 4648 §10.
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
    }
}
