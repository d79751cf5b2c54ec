//! The Multi-factor Authentication API: finishing a login that failed with
//! [`Error::MfaRequired`] (challenge, then an MFA grant on `/oauth/token`),
//! enrolling authenticators (`/mfa/associate`) and listing or deleting
//! them (`/mfa/authenticators`). Request and answer shapes follow the
//! "Multi-factor Authentication" section of Auth0's Authentication API
//! reference.
//!
//! The usual flow after a password login answered `mfa_required`:
//!
//! ```no_run
//! use auth0_authentication::{ChallengeType, MfaChallenge, PasswordLogin};
//! use auth0_core::Error;
//!
//! # async fn f(auth: auth0_authentication::AuthenticationClient, read_code: impl Fn() -> String) -> Result<(), Error> {
//! let tokens = match auth.login(&PasswordLogin::new("alice", "pw").realm("Username-Password-Authentication")).await {
//!     Ok(tokens) => tokens,
//!     Err(Error::MfaRequired(mfa)) => {
//!         let challenge = auth
//!             .mfa_challenge(mfa.mfa_token(), &MfaChallenge::new().challenge_type(ChallengeType::Otp))
//!             .await?;
//!         assert_eq!(challenge.challenge_type, ChallengeType::Otp);
//!         auth.mfa_otp(mfa.mfa_token(), &read_code()).await?
//!     }
//!     Err(e) => return Err(e),
//! };
//! # let _ = tokens; Ok(()) }
//! ```
//!
//! None of these `POST`s is repeated after a 5xx answer or a dropped
//! connection (a challenge sends a new SMS, a grant must not be used
//! twice); a 429 answer is retried by the stack as for every call.

use std::fmt;

use auth0_core::error::Error;
use auth0_core::types::HttpService;
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, Method};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::client::{
    AuthenticationClient, Encoding, bearer_header, decode, invalid_request, path_segment,
};
use crate::token::TokenResponse;

/// `grant_type` of the MFA one-time-password grant.
pub const GRANT_MFA_OTP: &str = "http://auth0.com/oauth/grant-type/mfa-otp";
/// `grant_type` of the MFA out-of-band grant (SMS, voice, email, push).
pub const GRANT_MFA_OOB: &str = "http://auth0.com/oauth/grant-type/mfa-oob";
/// `grant_type` of the MFA recovery-code grant.
pub const GRANT_MFA_RECOVERY_CODE: &str = "http://auth0.com/oauth/grant-type/mfa-recovery-code";

const REDACTED: &str = "[REDACTED]";

/// How the user proves possession of a second factor. Auth0 knows exactly
/// these two challenge types.
///
/// ```
/// use auth0_authentication::ChallengeType;
/// assert_eq!(ChallengeType::Otp.as_str(), "otp");
/// assert_eq!(ChallengeType::Oob.to_string(), "oob");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChallengeType {
    /// A one-time password from an authenticator app (`otp`).
    Otp,
    /// An out-of-band challenge: SMS, voice, email or a push notification
    /// (`oob`).
    Oob,
}

impl ChallengeType {
    /// The wire value: `otp` or `oob`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Otp => "otp",
            Self::Oob => "oob",
        }
    }
}

impl fmt::Display for ChallengeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Defines a string enum Auth0 may extend: known values as variants, any
/// other value kept in `Other` (so a new value decodes and round-trips).
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of the SDK does not know, kept as sent.
            Other(String),
        }

        impl $name {
            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Other(value) => value,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $wire => Self::$variant, )+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = String::deserialize(deserializer)?;
                Ok(Self::from(value.as_str()))
            }
        }
    };
}

open_enum! {
    /// The kind of an authenticator.
    ///
    /// ```
    /// use auth0_authentication::AuthenticatorType;
    /// assert_eq!(AuthenticatorType::from("recovery-code"), AuthenticatorType::RecoveryCode);
    /// assert_eq!(AuthenticatorType::from("webauthn-roaming").as_str(), "webauthn-roaming");
    /// ```
    pub enum AuthenticatorType {
        /// A one-time-password app (`otp`).
        Otp => "otp",
        /// An out-of-band authenticator: SMS, voice, email, push (`oob`).
        Oob => "oob",
        /// The user's recovery code (`recovery-code`); listed, never
        /// enrolled.
        RecoveryCode => "recovery-code",
    }
}

open_enum! {
    /// How an out-of-band challenge reaches the user.
    ///
    /// ```
    /// use auth0_authentication::OobChannel;
    /// assert_eq!(OobChannel::from("sms"), OobChannel::Sms);
    /// assert_eq!(OobChannel::Auth0.as_str(), "auth0");
    /// ```
    pub enum OobChannel {
        /// Push notification to Auth0 Guardian (`auth0`).
        Auth0 => "auth0",
        /// Text message (`sms`).
        Sms => "sms",
        /// Phone call (`voice`).
        Voice => "voice",
        /// Email (`email`).
        Email => "email",
    }
}

open_enum! {
    /// How an out-of-band challenge is bound to this login.
    ///
    /// ```
    /// use auth0_authentication::BindingMethod;
    /// assert_eq!(BindingMethod::from("prompt"), BindingMethod::Prompt);
    /// assert_eq!(BindingMethod::from("transfer"), BindingMethod::Other("transfer".into()));
    /// ```
    pub enum BindingMethod {
        /// Ask the user for the code they received and send it as the
        /// `binding_code` of [`AuthenticationClient::mfa_oob`] (`prompt`).
        Prompt => "prompt",
    }
}

/// Which challenge to request from `/mfa/challenge`; pass it to
/// [`AuthenticationClient::mfa_challenge`].
///
/// With no challenge type the application accepts every type Auth0
/// supports; with several, Auth0 picks one (sent space separated).
///
/// ```
/// use auth0_authentication::{ChallengeType, MfaChallenge};
/// let challenge = MfaChallenge::new()
///     .challenge_type(ChallengeType::Oob)
///     .authenticator_id("sms|dev_NU1Ofuw3Cw0XCt5x");
/// # let _ = challenge;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct MfaChallenge {
    challenge_types: Vec<ChallengeType>,
    authenticator_id: Option<String>,
}

impl MfaChallenge {
    /// A challenge of any type, on the authenticator Auth0 chooses.
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts `challenge_type` (call again to accept several).
    pub fn challenge_type(mut self, challenge_type: ChallengeType) -> Self {
        if !self.challenge_types.contains(&challenge_type) {
            self.challenge_types.push(challenge_type);
        }
        self
    }

    /// Challenges this authenticator (an `id` from
    /// [`AuthenticationClient::mfa_authenticators`]).
    pub fn authenticator_id(mut self, id: impl Into<String>) -> Self {
        self.authenticator_id = Some(id.into());
        self
    }
}

/// Auth0's answer to a challenge request.
///
/// `Debug` never shows the `oob_code`.
///
/// ```
/// use auth0_authentication::{BindingMethod, ChallengeType, MfaChallengeResponse};
/// let c: MfaChallengeResponse = serde_json::from_str(
///     r#"{"challenge_type":"oob","oob_code":"Fe26.2*secret","binding_method":"prompt"}"#)?;
/// assert_eq!(c.challenge_type, ChallengeType::Oob);
/// assert_eq!(c.binding_method, Some(BindingMethod::Prompt));
/// assert!(!format!("{c:?}").contains("Fe26"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Deserialize)]
#[non_exhaustive]
pub struct MfaChallengeResponse {
    /// The challenge Auth0 chose: for `otp`, ask the user for the code of
    /// their app and call [`AuthenticationClient::mfa_otp`].
    pub challenge_type: ChallengeType,
    /// For `oob`: the code to send to [`AuthenticationClient::mfa_oob`].
    #[serde(default)]
    pub oob_code: Option<String>,
    /// For `oob`: [`BindingMethod::Prompt`] when the user must type the
    /// code they received (SMS, voice, email); absent for push.
    #[serde(default)]
    pub binding_method: Option<BindingMethod>,
}

impl fmt::Debug for MfaChallengeResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MfaChallengeResponse")
            .field("challenge_type", &self.challenge_type)
            .field("oob_code", &self.oob_code.as_ref().map(|_| REDACTED))
            .field("binding_method", &self.binding_method)
            .finish()
    }
}

/// An authenticator to enroll with `/mfa/associate`; pass it to
/// [`AuthenticationClient::mfa_associate`].
///
/// Start with [`MfaAssociate::otp`], [`MfaAssociate::sms`],
/// [`MfaAssociate::voice`], [`MfaAssociate::email`] or
/// [`MfaAssociate::push`], or build any combination with
/// [`MfaAssociate::new`].
///
/// ```
/// use auth0_authentication::{AuthenticatorType, MfaAssociate, OobChannel};
/// let sms = MfaAssociate::sms("+15555550100");
/// let custom = MfaAssociate::new(AuthenticatorType::Oob).oob_channel(OobChannel::Voice).phone_number("+15555550100");
/// # let _ = (sms, custom);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct MfaAssociate {
    authenticator_types: Vec<AuthenticatorType>,
    oob_channels: Vec<OobChannel>,
    phone_number: Option<String>,
    email: Option<String>,
}

impl MfaAssociate {
    /// Enrolls an authenticator of `authenticator_type` (add channels and
    /// contact details with the other methods).
    pub fn new(authenticator_type: AuthenticatorType) -> Self {
        Self {
            authenticator_types: vec![authenticator_type],
            oob_channels: Vec::new(),
            phone_number: None,
            email: None,
        }
    }

    /// A one-time-password app: the answer carries the `secret` and
    /// `barcode_uri` to show as a QR code.
    pub fn otp() -> Self {
        Self::new(AuthenticatorType::Otp)
    }

    /// Codes by text message to `phone_number` (E.164, e.g.
    /// `+15555550100`).
    pub fn sms(phone_number: impl Into<String>) -> Self {
        Self::new(AuthenticatorType::Oob)
            .oob_channel(OobChannel::Sms)
            .phone_number(phone_number)
    }

    /// Codes by phone call to `phone_number` (E.164).
    pub fn voice(phone_number: impl Into<String>) -> Self {
        Self::new(AuthenticatorType::Oob)
            .oob_channel(OobChannel::Voice)
            .phone_number(phone_number)
    }

    /// Codes by email to `email`.
    pub fn email(email: impl Into<String>) -> Self {
        Self::new(AuthenticatorType::Oob)
            .oob_channel(OobChannel::Email)
            .email_address(email)
    }

    /// Push notifications to Auth0 Guardian: the answer's `barcode_uri` is
    /// scanned by the app.
    pub fn push() -> Self {
        Self::new(AuthenticatorType::Oob).oob_channel(OobChannel::Auth0)
    }

    /// Also accepts `authenticator_type`.
    pub fn authenticator_type(mut self, authenticator_type: AuthenticatorType) -> Self {
        if !self.authenticator_types.contains(&authenticator_type) {
            self.authenticator_types.push(authenticator_type);
        }
        self
    }

    /// Adds an out-of-band channel (needed when the type is `oob`).
    pub fn oob_channel(mut self, channel: OobChannel) -> Self {
        if !self.oob_channels.contains(&channel) {
            self.oob_channels.push(channel);
        }
        self
    }

    /// The email address for the `email` channel.
    pub fn email_address(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// The phone number for the `sms` and `voice` channels (E.164).
    pub fn phone_number(mut self, phone_number: impl Into<String>) -> Self {
        self.phone_number = Some(phone_number.into());
        self
    }

    /// Checks what Auth0 would refuse anyway, before anything is sent.
    fn check(&self) -> Result<(), Error> {
        if self.authenticator_types.is_empty() {
            return Err(invalid_request("no authenticator type to enroll"));
        }
        if self.authenticator_types.contains(&AuthenticatorType::Oob)
            && self.oob_channels.is_empty()
        {
            return Err(invalid_request(
                "an oob authenticator needs at least one oob channel",
            ));
        }
        let phone = self
            .oob_channels
            .iter()
            .any(|c| matches!(c, OobChannel::Sms | OobChannel::Voice));
        if phone && self.phone_number.as_deref().is_none_or(str::is_empty) {
            return Err(invalid_request(
                "the sms and voice channels need a phone number",
            ));
        }
        Ok(())
    }
}

/// Auth0's answer to `/mfa/associate`: what the user needs to finish the
/// enrollment (confirm it with [`AuthenticationClient::mfa_otp`] or
/// [`AuthenticationClient::mfa_oob`], as after a challenge).
///
/// `Debug` never shows `secret`, `barcode_uri`, `recovery_codes` or
/// `oob_code`, nor the values of [`extra`](Self::extra).
///
/// ```
/// use auth0_authentication::{AuthenticatorType, MfaAssociation};
/// let a: MfaAssociation = serde_json::from_str(r#"{"authenticator_type":"otp","secret":"ENXS",
///     "barcode_uri":"otpauth://totp/t:u?secret=ENXS","recovery_codes":["N3BGPZZW"]}"#)?;
/// assert_eq!(a.authenticator_type, AuthenticatorType::Otp);
/// assert_eq!(a.recovery_codes.as_deref(), Some(&["N3BGPZZW".to_owned()][..]));
/// let shown = format!("{a:?}");
/// assert!(!shown.contains("ENXS") && !shown.contains("N3BGPZZW"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Deserialize)]
#[non_exhaustive]
pub struct MfaAssociation {
    /// The type of the new authenticator.
    pub authenticator_type: AuthenticatorType,
    /// For `otp`: the shared secret, for users who can't scan the QR code.
    #[serde(default)]
    pub secret: Option<String>,
    /// For `otp` (an `otpauth://` URI) and push (a Guardian enrollment
    /// URI): show it as a QR code. It contains the secret.
    #[serde(default)]
    pub barcode_uri: Option<String>,
    /// On the user's first enrollment: their recovery codes. Show them
    /// once.
    #[serde(default)]
    pub recovery_codes: Option<Vec<String>>,
    /// For `oob`: the code to confirm the enrollment with
    /// [`AuthenticationClient::mfa_oob`].
    #[serde(default)]
    pub oob_code: Option<String>,
    /// For `oob`: the channel enrolled.
    #[serde(default)]
    pub oob_channel: Option<OobChannel>,
    /// For `oob`: [`BindingMethod::Prompt`] when the user must type the
    /// code they received.
    #[serde(default)]
    pub binding_method: Option<BindingMethod>,
    /// Any other field of the answer (e.g. `id`, `name` on newer tenants).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl fmt::Debug for MfaAssociation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |present: bool| present.then_some(REDACTED);
        f.debug_struct("MfaAssociation")
            .field("authenticator_type", &self.authenticator_type)
            .field("secret", &hidden(self.secret.is_some()))
            .field("barcode_uri", &hidden(self.barcode_uri.is_some()))
            .field(
                "recovery_codes",
                &self
                    .recovery_codes
                    .as_ref()
                    .map(|codes| format!("[{} REDACTED]", codes.len())),
            )
            .field("oob_code", &hidden(self.oob_code.is_some()))
            .field("oob_channel", &self.oob_channel)
            .field("binding_method", &self.binding_method)
            .field("extra_keys", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// One of the user's authenticators, from
/// [`AuthenticationClient::mfa_authenticators`].
///
/// ```
/// use auth0_authentication::{Authenticator, AuthenticatorType, OobChannel};
/// let a: Authenticator = serde_json::from_str(
///     r#"{"id":"sms|dev_O4KY","authenticator_type":"oob","active":true,"oob_channel":"sms","name":"XXXXXXXX8730"}"#)?;
/// assert_eq!(a.authenticator_type, AuthenticatorType::Oob);
/// assert_eq!(a.oob_channel, Some(OobChannel::Sms));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct Authenticator {
    /// The id to challenge ([`MfaChallenge::authenticator_id`]) or delete
    /// ([`AuthenticationClient::delete_mfa_authenticator`]).
    pub id: String,
    /// The kind of authenticator.
    pub authenticator_type: AuthenticatorType,
    /// False until the enrollment is confirmed.
    #[serde(default)]
    pub active: bool,
    /// For `oob`: its channel.
    #[serde(default)]
    pub oob_channel: Option<OobChannel>,
    /// A display name (e.g. the masked phone number).
    #[serde(default)]
    pub name: Option<String>,
    /// Any other field (e.g. `created_at`, `last_auth_at`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn require(name: &str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(invalid_request(&format!("the {name} is empty")));
    }
    Ok(())
}

fn strings<T>(items: &[T], as_str: impl Fn(&T) -> &str) -> Value {
    Value::Array(
        items
            .iter()
            .map(|item| Value::String(as_str(item).to_owned()))
            .collect(),
    )
}

impl<S> AuthenticationClient<S>
where
    S: HttpService,
{
    /// Requests a challenge (`POST /mfa/challenge`, JSON, client
    /// authentication added) with the `mfa_token` of an
    /// [`Error::MfaRequired`]. For an `oob` answer Auth0 has sent the SMS,
    /// call, email or push notification.
    ///
    /// An expired MFA token is an [`Error::Api`] with `expired_token`; a
    /// user with nothing enrolled gets `unsupported_challenge_type` (enroll
    /// with [`mfa_associate`](Self::mfa_associate) first).
    ///
    /// ```no_run
    /// # use auth0_authentication::{ChallengeType, MfaChallenge};
    /// # async fn f(auth: auth0_authentication::AuthenticationClient, mfa_token: &str) -> Result<(), auth0_core::Error> {
    /// let challenge = auth
    ///     .mfa_challenge(mfa_token, &MfaChallenge::new().challenge_type(ChallengeType::Oob))
    ///     .await?;
    /// # let _ = challenge; Ok(()) }
    /// ```
    pub async fn mfa_challenge(
        &self,
        mfa_token: &str,
        challenge: &MfaChallenge,
    ) -> Result<MfaChallengeResponse, Error> {
        require("MFA token", mfa_token)?;
        let types = (!challenge.challenge_types.is_empty()).then(|| {
            challenge
                .challenge_types
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        });
        let fields = self
            .fields()
            .str("mfa_token", mfa_token)
            .opt("challenge_type", types.as_deref())
            .opt("authenticator_id", challenge.authenticator_id.as_deref());
        let fields = self.authenticate(fields)?;
        let response = self
            .post("/mfa/challenge", &fields, Encoding::Json, HeaderMap::new())
            .await?;
        decode(&response)
    }

    /// Completes the login with the user's one-time password
    /// (`grant_type=http://auth0.com/oauth/grant-type/mfa-otp`; client
    /// authentication added). Also confirms an `otp` enrollment. A wrong
    /// code is an [`Error::Api`] with `invalid_grant`.
    ///
    /// ```no_run
    /// # async fn f(auth: auth0_authentication::AuthenticationClient, mfa_token: &str) -> Result<(), auth0_core::Error> {
    /// let tokens = auth.mfa_otp(mfa_token, "123456").await?;
    /// # let _ = tokens; Ok(()) }
    /// ```
    pub async fn mfa_otp(&self, mfa_token: &str, otp: &str) -> Result<TokenResponse, Error> {
        require("MFA token", mfa_token)?;
        require("one-time password", otp)?;
        let fields = self
            .fields()
            .str("grant_type", GRANT_MFA_OTP)
            .str("mfa_token", mfa_token)
            .str("otp", otp);
        self.token_request(fields, true, HeaderMap::new()).await
    }

    /// Completes the login after an out-of-band challenge
    /// (`grant_type=http://auth0.com/oauth/grant-type/mfa-oob`; client
    /// authentication added). `binding_code` is the code the user received
    /// when the challenge's binding method is `prompt`. For push, poll:
    /// until the user approves Auth0 answers `authorization_pending` (an
    /// [`Error::Api`]); `slow_down` means poll less often.
    ///
    /// ```no_run
    /// # async fn f(auth: auth0_authentication::AuthenticationClient, mfa_token: &str, oob_code: &str) -> Result<(), auth0_core::Error> {
    /// let tokens = auth.mfa_oob(mfa_token, oob_code, Some("246810")).await?;
    /// # let _ = tokens; Ok(()) }
    /// ```
    pub async fn mfa_oob(
        &self,
        mfa_token: &str,
        oob_code: &str,
        binding_code: Option<&str>,
    ) -> Result<TokenResponse, Error> {
        require("MFA token", mfa_token)?;
        require("OOB code", oob_code)?;
        let fields = self
            .fields()
            .str("grant_type", GRANT_MFA_OOB)
            .str("mfa_token", mfa_token)
            .str("oob_code", oob_code)
            .opt("binding_code", binding_code);
        self.token_request(fields, true, HeaderMap::new()).await
    }

    /// Completes the login with one of the user's recovery codes
    /// (`grant_type=http://auth0.com/oauth/grant-type/mfa-recovery-code`;
    /// client authentication added). The code is spent: the answer's
    /// [`TokenResponse::recovery_code`] is the user's new one.
    ///
    /// ```no_run
    /// # async fn f(auth: auth0_authentication::AuthenticationClient, mfa_token: &str) -> Result<(), auth0_core::Error> {
    /// let tokens = auth.mfa_recovery_code(mfa_token, "N3BGPZZWJ85JLCNPZBDW6QXC").await?;
    /// if let Some(new_code) = &tokens.recovery_code {
    ///     // show `new_code` to the user, once
    /// #   let _ = new_code;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn mfa_recovery_code(
        &self,
        mfa_token: &str,
        recovery_code: &str,
    ) -> Result<TokenResponse, Error> {
        require("MFA token", mfa_token)?;
        require("recovery code", recovery_code)?;
        let fields = self
            .fields()
            .str("grant_type", GRANT_MFA_RECOVERY_CODE)
            .str("mfa_token", mfa_token)
            .str("recovery_code", recovery_code);
        self.token_request(fields, true, HeaderMap::new()).await
    }

    /// Enrolls an authenticator (`POST /mfa/associate`, JSON, client
    /// authentication added, `Authorization: Bearer` with
    /// `mfa_or_access_token`: the `mfa_token` of an [`Error::MfaRequired`]
    /// while the user has no active authenticator, else an access token
    /// for `https://{domain}/mfa/` with the `enroll` scope).
    ///
    /// A user who already has an authenticator and sends an MFA token gets
    /// an [`Error::Api`] ("User is already enrolled"): challenge the
    /// existing one first.
    ///
    /// ```no_run
    /// # use auth0_authentication::MfaAssociate;
    /// # async fn f(auth: auth0_authentication::AuthenticationClient, mfa_token: &str) -> Result<(), auth0_core::Error> {
    /// let enrollment = auth.mfa_associate(mfa_token, &MfaAssociate::otp()).await?;
    /// // show enrollment.barcode_uri as a QR code, then:
    /// let tokens = auth.mfa_otp(mfa_token, "123456").await?;
    /// # let _ = tokens; Ok(()) }
    /// ```
    pub async fn mfa_associate(
        &self,
        mfa_or_access_token: &str,
        associate: &MfaAssociate,
    ) -> Result<MfaAssociation, Error> {
        associate.check()?;
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, bearer_header(mfa_or_access_token)?);
        let mut fields = self.fields().value(
            "authenticator_types",
            strings(&associate.authenticator_types, AuthenticatorType::as_str),
        );
        if !associate.oob_channels.is_empty() {
            fields = fields.value(
                "oob_channels",
                strings(&associate.oob_channels, OobChannel::as_str),
            );
        }
        let fields = fields
            .opt("phone_number", associate.phone_number.as_deref())
            .opt("email", associate.email.as_deref());
        let fields = self.authenticate(fields)?;
        let response = self
            .post("/mfa/associate", &fields, Encoding::Json, headers)
            .await?;
        decode(&response)
    }

    /// The user's authenticators (`GET /mfa/authenticators`, bearer
    /// `mfa_or_access_token`: an MFA token or an access token for
    /// `https://{domain}/mfa/` with the `read:authenticators` scope). Empty
    /// when the user has enrolled nothing.
    ///
    /// ```no_run
    /// # async fn f(auth: auth0_authentication::AuthenticationClient, mfa_token: &str) -> Result<(), auth0_core::Error> {
    /// for a in auth.mfa_authenticators(mfa_token).await? {
    ///     println!("{} {} active={}", a.id, a.authenticator_type, a.active);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn mfa_authenticators(
        &self,
        mfa_or_access_token: &str,
    ) -> Result<Vec<Authenticator>, Error> {
        let response = self
            .send_without_body(
                Method::GET,
                "/mfa/authenticators",
                Some(mfa_or_access_token),
                HeaderValue::from_static("application/json"),
            )
            .await?;
        decode(&response)
    }

    /// Deletes one of the user's authenticators
    /// (`DELETE /mfa/authenticators/{id}`, the id percent-encoded; bearer
    /// `access_token` for `https://{domain}/mfa/` with the
    /// `remove:authenticators` scope). An unknown id is an
    /// [`Error::Api`] with status 404.
    ///
    /// ```no_run
    /// # async fn f(auth: auth0_authentication::AuthenticationClient, access_token: &str) -> Result<(), auth0_core::Error> {
    /// auth.delete_mfa_authenticator(access_token, "sms|dev_O4KYL4FtcLAVRsCl").await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_mfa_authenticator(
        &self,
        access_token: &str,
        authenticator_id: &str,
    ) -> Result<(), Error> {
        let path = format!(
            "/mfa/authenticators/{}",
            path_segment("authenticator id", authenticator_id)?
        );
        self.send_without_body(
            Method::DELETE,
            &path,
            Some(access_token),
            HeaderValue::from_static("application/json"),
        )
        .await?;
        Ok(())
    }
}
