//! The body of an error response, decoded in one pass straight into the
//! fields the SDK reads (no `serde_json::Value` tree).
//!
//! Auth0 answers errors in a few shapes, all JSON objects:
//!
//! * the Management API: `{"statusCode":404,"error":"Not Found",
//!   "message":"The user does not exist.","errorCode":"inexistent_user"}`;
//! * the Authentication API (OAuth 2.0, RFC 6749 §5.2):
//!   `{"error":"invalid_grant","error_description":"Wrong email or password."}`,
//!   with `mfa_token` when the grant needs a second factor;
//! * `/dbconnections/*` and a few older endpoints:
//!   `{"name":"BadRequestError","code":"user_exists","description":"The user already exists.","statusCode":400}`.
//!
//! Every other member is skipped without being stored. A member whose value
//! is not a string or a number (an object, an array, `null`, a boolean)
//! counts as absent, as does an empty string. Anything that is not a JSON
//! object (an HTML page from a proxy, an array, plain text) is not an error
//! body: the caller shows it as text.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};

/// One scalar member of an error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scalar {
    /// A JSON string (never empty).
    Text(String),
    /// A JSON number, as JSON writes it.
    Number(String),
}

impl Scalar {
    /// The member as text (a number as JSON writes it).
    pub(crate) fn as_text(&self) -> &str {
        match self {
            Scalar::Text(s) | Scalar::Number(s) => s,
        }
    }

    /// The member when it is a JSON string.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Text(s) => Some(s),
            Scalar::Number(_) => None,
        }
    }
}

/// A member that may be a scalar, or anything else (then `None`).
struct MaybeScalar(Option<Scalar>);

impl<'de> Deserialize<'de> for MaybeScalar {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MaybeScalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<MaybeScalar, E> {
                Ok(MaybeScalar(
                    (!v.is_empty()).then(|| Scalar::Text(v.to_owned())),
                ))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<MaybeScalar, E> {
                Ok(MaybeScalar((!v.is_empty()).then_some(Scalar::Text(v))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<MaybeScalar, E> {
                Ok(MaybeScalar(Some(Scalar::Number(v.to_string()))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<MaybeScalar, E> {
                Ok(MaybeScalar(Some(Scalar::Number(v.to_string()))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<MaybeScalar, E> {
                // serde_json's own formatting of a float (`1.0`, `1e300`).
                Ok(MaybeScalar(
                    serde_json::Number::from_f64(v).map(|n| Scalar::Number(n.to_string())),
                ))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<MaybeScalar, E> {
                Ok(MaybeScalar(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<MaybeScalar, E> {
                Ok(MaybeScalar(None))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<MaybeScalar, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(MaybeScalar(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MaybeScalar, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(MaybeScalar(None))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// The members of an error body the SDK reads. For a member that occurs
/// twice the last one counts (as `serde_json` reads an object).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ErrorBody {
    /// `errorCode` (Management API).
    pub(crate) error_code: Option<Scalar>,
    /// `error` (OAuth 2.0 error code; the reason phrase in the Management API).
    pub(crate) error: Option<Scalar>,
    /// `code` (`/dbconnections`, older endpoints).
    pub(crate) code: Option<Scalar>,
    /// `error_description` (OAuth 2.0).
    pub(crate) error_description: Option<Scalar>,
    /// `message` (Management API).
    pub(crate) message: Option<Scalar>,
    /// `description` (`/dbconnections`, older endpoints); a structured
    /// description (password rules) counts as absent.
    pub(crate) description: Option<Scalar>,
    /// `mfa_token` (the `mfa_required` answer of `/oauth/token`).
    pub(crate) mfa_token: Option<Scalar>,
}

impl ErrorBody {
    /// Decodes `body` when it is a JSON object; `None` otherwise.
    pub(crate) fn parse(body: &[u8]) -> Option<ErrorBody> {
        serde_json::from_slice(body).ok()
    }

    /// The machine-readable code: `errorCode`, then `error`, then `code`.
    pub(crate) fn code(&self) -> Option<&str> {
        [&self.error_code, &self.error, &self.code]
            .into_iter()
            .find_map(|f| f.as_ref().map(Scalar::as_text))
    }

    /// The human-readable message: `error_description`, then `message`,
    /// then `description`, then `error`.
    pub(crate) fn message(&self) -> Option<&str> {
        [
            &self.error_description,
            &self.message,
            &self.description,
            &self.error,
        ]
        .into_iter()
        .find_map(|f| f.as_ref().map(Scalar::as_text))
    }

    /// The MFA token of an `{"error":"mfa_required","mfa_token":"…"}`
    /// answer (both strings).
    pub(crate) fn mfa_token(&self) -> Option<&str> {
        let required = self.error.as_ref().and_then(Scalar::as_str) == Some("mfa_required");
        self.mfa_token
            .as_ref()
            .and_then(Scalar::as_str)
            .filter(|_| required)
    }
}

impl<'de> Deserialize<'de> for ErrorBody {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ErrorBody;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ErrorBody, A::Error> {
                let mut out = ErrorBody::default();
                while let Some(key) = map.next_key::<Key>()? {
                    let slot = match key {
                        Key::ErrorCode => &mut out.error_code,
                        Key::Error => &mut out.error,
                        Key::Code => &mut out.code,
                        Key::ErrorDescription => &mut out.error_description,
                        Key::Message => &mut out.message,
                        Key::Description => &mut out.description,
                        Key::MfaToken => &mut out.mfa_token,
                        Key::Other => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = map.next_value::<MaybeScalar>()?.0;
                }
                Ok(out)
            }
        }
        // `deserialize_map`: an array is not an error body (a derived
        // struct would also accept one, member by position).
        deserializer.deserialize_map(V)
    }
}

/// The member names read, matched without allocating.
enum Key {
    ErrorCode,
    Error,
    Code,
    ErrorDescription,
    Message,
    Description,
    MfaToken,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "errorCode" => Key::ErrorCode,
                    "error" => Key::Error,
                    "code" => Key::Code,
                    "error_description" => Key::ErrorDescription,
                    "message" => Key::Message,
                    "description" => Key::Description,
                    "mfa_token" => Key::MfaToken,
                    _ => Key::Other,
                })
            }
        }
        deserializer.deserialize_identifier(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn management_shape() {
        let b = ErrorBody::parse(
            br#"{"statusCode":404,"error":"Not Found","message":"The user does not exist.","errorCode":"inexistent_user"}"#,
        )
        .unwrap();
        assert_eq!(b.code(), Some("inexistent_user"));
        assert_eq!(b.message(), Some("The user does not exist."));
        assert_eq!(b.mfa_token(), None);
    }

    #[test]
    fn dbconnections_shape() {
        let b = ErrorBody::parse(
            br#"{"name":"BadRequestError","code":"user_exists","description":"The user already exists.","statusCode":400}"#,
        )
        .unwrap();
        assert_eq!(b.code(), Some("user_exists"));
        assert_eq!(b.message(), Some("The user already exists."));
        // A structured description (password rules) is not a message.
        let b = ErrorBody::parse(
            br#"{"name":"PasswordStrengthError","message":"Password is too weak","code":"invalid_password","description":{"rules":[{"message":"x","verified":false}]}}"#,
        )
        .unwrap();
        assert_eq!(b.message(), Some("Password is too weak"));
    }

    #[test]
    fn scalars_empty_strings_and_other_values() {
        let b = ErrorBody::parse(
            br#"{"errorCode":"","error":null,"code":1.5,"message":["a"],"error_description":{"x":1},"description":true}"#,
        )
        .unwrap();
        assert_eq!(b.code(), Some("1.5"));
        assert_eq!(b.message(), None);
        let b = ErrorBody::parse(br#"{"code":-3,"error":"e","error":"last"}"#).unwrap();
        assert_eq!(b.code(), Some("last"));
        assert_eq!(b.code.as_ref().map(Scalar::as_text), Some("-3"));
    }

    #[test]
    fn only_objects_are_error_bodies() {
        for body in [
            &br#"["invalid_grant","x"]"#[..],
            b"\"text\"",
            b"<html>502</html>",
            b"{\"error\":",
            b"",
        ] {
            assert_eq!(ErrorBody::parse(body), None, "{body:?}");
        }
    }

    #[test]
    fn mfa_token_needs_mfa_required() {
        let b = ErrorBody::parse(br#"{"error":"mfa_required","mfa_token":"Fe26.x"}"#).unwrap();
        assert_eq!(b.mfa_token(), Some("Fe26.x"));
        let b = ErrorBody::parse(br#"{"error":"access_denied","mfa_token":"Fe26.x"}"#).unwrap();
        assert_eq!(b.mfa_token(), None);
        let b = ErrorBody::parse(br#"{"error":"mfa_required","mfa_token":7}"#).unwrap();
        assert_eq!(b.mfa_token(), None);
    }
}
