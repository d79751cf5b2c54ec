//! Typed access to a verified token's claims.
//!
//! The registered claims validators care about are parsed strictly: a claim
//! of the wrong JSON type is an error, never "absent". Everything else stays
//! in the full claim map, and [`Claims::deserialize`] reads custom claims into
//! your own type.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{Error, TokenKind};

/// Longest claim value (in characters) copied into an error message.
pub(crate) const MAX_MESSAGE_VALUE_CHARS: usize = 128;

/// Shortens a token-supplied value for an error message.
pub(crate) fn truncate_for_message(value: &str) -> String {
    match value.char_indices().nth(MAX_MESSAGE_VALUE_CHARS) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_owned(),
    }
}

/// The `aud` claim: one audience or an array of them.
///
/// # Example
///
/// ```
/// use auth0_jwt::claims::Audience;
///
/// let aud = Audience::Many(vec!["https://api".into(), "client-id".into()]);
/// assert!(aud.contains("client-id"));
/// assert_eq!(aud.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// `"aud": "x"`.
    Single(String),
    /// `"aud": ["x", "y"]` (possibly with one element or none).
    Many(Vec<String>),
}

impl Audience {
    /// True if `audience` is one of the values.
    pub fn contains(&self, audience: &str) -> bool {
        self.iter().any(|a| a == audience)
    }

    /// The values, in token order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let slice: &[String] = match self {
            Self::Single(one) => std::slice::from_ref(one),
            Self::Many(many) => many,
        };
        slice.iter().map(String::as_str)
    }

    /// How many values there are.
    pub fn len(&self) -> usize {
        match self {
            Self::Single(_) => 1,
            Self::Many(many) => many.len(),
        }
    }

    /// True for an empty array.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a registered claim should have been (for [`ClaimTypeError`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expected {
    String,
    NumericDate,
    Audience,
    StringArray,
}

impl Expected {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::String => "a string",
            Self::NumericDate => "a number (seconds since the epoch)",
            Self::Audience => "a string or array of strings",
            Self::StringArray => "an array of strings",
        }
    }
}

/// A registered claim with the wrong JSON type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClaimTypeError {
    pub(crate) claim: &'static str,
    pub(crate) expected: Expected,
}

/// A string claim: absent → `None`; any other type (including `null`) is an error.
pub(crate) fn string_claim<'m>(
    map: &'m Map<String, Value>,
    claim: &'static str,
) -> Result<Option<&'m str>, ClaimTypeError> {
    match map.get(claim) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ClaimTypeError {
            claim,
            expected: Expected::String,
        }),
    }
}

/// A NumericDate claim: JSON integers, or finite non-negative floats
/// (truncated to whole seconds).
pub(crate) fn numeric_date_claim(
    map: &Map<String, Value>,
    claim: &'static str,
) -> Result<Option<i64>, ClaimTypeError> {
    let err = ClaimTypeError {
        claim,
        expected: Expected::NumericDate,
    };
    match map.get(claim) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Ok(Some(i))
            } else if n.is_u64() {
                // Beyond i64::MAX: no real date, and arithmetic would overflow.
                Err(err)
            } else {
                match n.as_f64() {
                    // 9.2e18 is exactly representable; the cast truncates towards zero.
                    Some(f) if (0.0..9.223_372_036_854_775e18).contains(&f) =>
                    {
                        #[allow(clippy::cast_possible_truncation)]
                        Ok(Some(f as i64))
                    }
                    _ => Err(err),
                }
            }
        }
        Some(_) => Err(err),
    }
}

/// The `aud` claim: a string or an array of strings (every element a string).
pub(crate) fn audience_claim(map: &Map<String, Value>) -> Result<Option<Audience>, ClaimTypeError> {
    let err = ClaimTypeError {
        claim: "aud",
        expected: Expected::Audience,
    };
    match map.get("aud") {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(Audience::Single(s.clone()))),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or(err))
            .collect::<Result<Vec<_>, _>>()
            .map(|v| Some(Audience::Many(v))),
        Some(_) => Err(err),
    }
}

/// An array-of-strings claim (`permissions`).
pub(crate) fn string_array_claim(
    map: &Map<String, Value>,
    claim: &'static str,
) -> Result<Option<Vec<String>>, ClaimTypeError> {
    let err = ClaimTypeError {
        claim,
        expected: Expected::StringArray,
    };
    match map.get(claim) {
        None => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or(err))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(err),
    }
}

/// The claims of a verified token: the registered claims, typed, plus the
/// whole claim set.
///
/// Returned by [`TokenVerifier::verify`](crate::id_token::TokenVerifier::verify)
/// (as [`IdTokenClaims`](crate::id_token::IdTokenClaims)) and
/// [`AccessTokenValidator::validate`](crate::access_token::AccessTokenValidator::validate)
/// (as [`AccessTokenClaims`](crate::access_token::AccessTokenClaims)).
///
/// # Example
///
/// ```
/// use auth0_jwt::claims::Claims;
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Custom {
///     sub: String,
///     #[serde(rename = "https://example.com/roles")]
///     roles: Vec<String>,
/// }
///
/// let claims = Claims::from_json(
///     r#"{"sub":"user|1","scope":"read:a write:b","exp":1700000000,
///         "https://example.com/roles":["admin"]}"#,
/// )?;
/// assert_eq!(claims.sub(), Some("user|1"));
/// assert!(claims.has_scope("write:b"));
/// assert_eq!(claims.exp(), Some(1_700_000_000));
/// let custom: Custom = claims.deserialize()?;
/// assert_eq!(custom.roles, ["admin"]);
/// # Ok::<(), auth0_jwt::error::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<Audience>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    auth_time: Option<i64>,
    nonce: Option<String>,
    azp: Option<String>,
    org_id: Option<String>,
    org_name: Option<String>,
    scope: Option<String>,
    permissions: Option<Vec<String>>,
    jti: Option<String>,
    all: Map<String, Value>,
}

impl Claims {
    /// Parses a claim set, checking the JSON type of every registered claim.
    pub(crate) fn from_map(all: Map<String, Value>) -> Result<Self, ClaimTypeError> {
        let owned = |map: &Map<String, Value>, claim| {
            string_claim(map, claim).map(|o| o.map(str::to_owned))
        };
        Ok(Self {
            iss: owned(&all, "iss")?,
            sub: owned(&all, "sub")?,
            aud: audience_claim(&all)?,
            exp: numeric_date_claim(&all, "exp")?,
            nbf: numeric_date_claim(&all, "nbf")?,
            iat: numeric_date_claim(&all, "iat")?,
            auth_time: numeric_date_claim(&all, "auth_time")?,
            nonce: owned(&all, "nonce")?,
            azp: owned(&all, "azp")?,
            org_id: owned(&all, "org_id")?,
            org_name: owned(&all, "org_name")?,
            scope: owned(&all, "scope")?,
            permissions: string_array_claim(&all, "permissions")?,
            jti: owned(&all, "jti")?,
            all,
        })
    }

    /// Parses a JSON claim set (a payload you already trust, e.g. from a
    /// test or a cache), with the same type checks as the validators.
    ///
    /// # Errors
    ///
    /// [`Error::ClaimsNotAnObject`] if the JSON is not an object, or
    /// [`Error::InvalidClaim`] (or the claim's own variant, e.g.
    /// [`Error::ExpirationInvalid`]) if a registered claim has the wrong type.
    pub fn from_json(json: &str) -> Result<Self, Error> {
        match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(map)) => {
                Self::from_map(map).map_err(|e| Error::from_claim_type(e, TokenKind::Token))
            }
            _ => Err(Error::ClaimsNotAnObject),
        }
    }

    /// `iss`: who issued the token.
    pub fn iss(&self) -> Option<&str> {
        self.iss.as_deref()
    }

    /// `sub`: the user (or client, for client-credentials tokens).
    pub fn sub(&self) -> Option<&str> {
        self.sub.as_deref()
    }

    /// `aud`: who the token is for.
    pub fn aud(&self) -> Option<&Audience> {
        self.aud.as_ref()
    }

    /// `exp`: expiry, seconds since the epoch.
    pub fn exp(&self) -> Option<i64> {
        self.exp
    }

    /// `nbf`: not valid before, seconds since the epoch.
    pub fn nbf(&self) -> Option<i64> {
        self.nbf
    }

    /// `iat`: issued at, seconds since the epoch.
    pub fn iat(&self) -> Option<i64> {
        self.iat
    }

    /// `auth_time`: when the user last authenticated, seconds since the epoch.
    pub fn auth_time(&self) -> Option<i64> {
        self.auth_time
    }

    /// `nonce`: the value sent in the authorization request.
    pub fn nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }

    /// `azp`: the authorized party (client id).
    pub fn azp(&self) -> Option<&str> {
        self.azp.as_deref()
    }

    /// `org_id`: the Auth0 organization id (`org_…`).
    pub fn org_id(&self) -> Option<&str> {
        self.org_id.as_deref()
    }

    /// `org_name`: the Auth0 organization name (lowercase).
    pub fn org_name(&self) -> Option<&str> {
        self.org_name.as_deref()
    }

    /// `scope`: the raw space-separated scope string.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// The scopes in `scope`, split on spaces.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope
            .as_deref()
            .unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty())
    }

    /// True if `scope` contains `scope` as a whole word.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().any(|s| s == scope)
    }

    /// `permissions`: Auth0 RBAC permissions.
    pub fn permissions(&self) -> Option<&[String]> {
        self.permissions.as_deref()
    }

    /// True if `permissions` contains `permission`.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions
            .as_deref()
            .is_some_and(|p| p.iter().any(|x| x == permission))
    }

    /// `jti`: the token's unique id.
    pub fn jti(&self) -> Option<&str> {
        self.jti.as_deref()
    }

    /// Any claim by name, registered or custom.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.all.get(name)
    }

    /// The whole claim set.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.all
    }

    /// The whole claim set, by value.
    pub fn into_map(self) -> Map<String, Value> {
        self.all
    }

    /// Reads the claims into your own type (custom claims, namespaced
    /// claims, …).
    ///
    /// # Errors
    ///
    /// [`Error::ClaimsDeserialize`] if the claims don't fit `T`.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, Error> {
        T::deserialize(&self.all).map_err(|e| Error::ClaimsDeserialize {
            source: Box::new(e),
        })
    }

    /// Rough heap size, for cache accounting.
    pub(crate) fn approx_size(&self) -> usize {
        fn value_size(v: &Value) -> usize {
            match v {
                Value::String(s) => s.len() + 24,
                Value::Array(a) => a.iter().map(value_size).sum::<usize>() + 24,
                Value::Object(o) => o.iter().map(|(k, v)| k.len() + value_size(v) + 48).sum(),
                _ => 16,
            }
        }
        // The typed copies roughly double the registered claims' strings.
        std::mem::size_of::<Self>()
            + 2 * self
                .all
                .iter()
                .map(|(k, v)| k.len() + value_size(v) + 48)
                .sum::<usize>()
    }
}
