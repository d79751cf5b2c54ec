//! The one list of secret field names.
//!
//! Used by the redactor of this module (response texts: JSON walked by name, form
//! bodies, free text) and, through `#[path]`, by the Management API code
//! generator (`xtask/src/codegen/`), whose generated `Debug` impls redact
//! the same names. This file therefore stands alone: no imports, no links
//! to the rest of the crate.

/// Names (of JSON or form fields, compared ASCII case-insensitively) whose
/// values are credentials: client authentication (RFC 6749 §2.3.1,
/// RFC 7523 §2.2), grants and their artefacts (RFC 6749 §4, RFC 7636 §4.5,
/// RFC 8628 §3.2, RFC 8693 §2.1), MFA (OTP, OOB and recovery codes,
/// enrolment secrets), keys and certificates of connections and signing
/// keys, HTTP credentials, the secrets of Management API objects (add-on,
/// email, log-stream, Guardian provider and vault-connection credentials,
/// password hashes) and pre-signed URLs (a users export's `location`, a
/// ticket URL).
pub const SECRET_KEYS: &[&str] = &[
    "client_secret",
    "client_assertion",
    "password",
    "new_password",
    "old_password",
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "subject_token",
    "actor_token",
    "code",
    "code_verifier",
    "otp",
    "oob_code",
    "binding_code",
    "mfa_token",
    "device_code",
    "user_code",
    "auth_req_id",
    "ticket",
    "secret",
    "signing_key",
    "signing_keys",
    "signingkey",
    "private_key",
    "privatekey",
    "key",
    "cert",
    "certificate",
    "pkcs7",
    "recovery_code",
    "recovery_codes",
    "barcode_uri",
    "authorization",
    "cookie",
    "set-cookie",
    "api_key",
    "apikey",
    "app_secret",
    "consumer_secret",
    "session_token",
    "assertion",
    "samlresponse",
    // Secrets of Management API objects, under their own names.
    "credentials",
    "passphrase",
    "pem",
    "bearer",
    "password_hash",
    "custom_password_hash",
    "wrapped_key",
    "masterkey",
    "sas_key",
    "secret_key",
    "secret_access_key",
    "segment_write_key",
    "server_credentials",
    "server_key",
    "skey",
    "smtp_pass",
    "storage_access_key",
    // A pre-signed download URL (a users export's file).
    "location",
];

/// Name endings (ASCII case-insensitive) that make any field a secret:
/// `auth_token`, `access_token_secret`, `aws_secret_access_key`'s cousins.
pub const SECRET_SUFFIXES: &[&str] =
    &["_token", "_secret", "_password", "_private_key", "_api_key"];

/// Names in [`SECRET_KEYS`] that a typed object uses for public data, with
/// the object names (substrings) in which they are secrets after all: a
/// SAML connection's signing or decryption `key` is its private half, but a
/// rules config's `key` is a name; `code` is an action's source; `cert`,
/// `certificate` and `pkcs7` are public certificates. A response text is
/// not typed, so [`is_secret_key`] redacts them everywhere.
pub const PUBLIC_IN_OBJECTS: &[(&str, &[&str])] = &[
    ("key", &["SigningKey", "DecryptionKey"]),
    ("code", &[]),
    ("cert", &[]),
    ("certificate", &[]),
    ("pkcs7", &[]),
];

/// Names that are secrets only in some objects (substrings of the object's
/// name): the `value` of an action or hook secret, a token, a credential or
/// an authentication header.
pub const SECRET_IN_OBJECTS: &[(&str, &[&str])] =
    &[("value", &["Secret", "Token", "Credential", "HeaderAuth"])];

fn ends_with_ignore_case(name: &str, suffix: &str) -> bool {
    name.len() > suffix.len()
        && name.as_bytes()[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// True when a field called `name` holds a credential (see [`SECRET_KEYS`]
/// and [`SECRET_SUFFIXES`]).
///
/// ```
/// use auth0_core::secrets::is_secret_key;
/// assert!(is_secret_key("client_secret") && is_secret_key("Authorization"));
/// assert!(is_secret_key("auth_token") && is_secret_key("location"));
/// assert!(!is_secret_key("error_description"));
/// ```
pub fn is_secret_key(name: &str) -> bool {
    SECRET_KEYS.iter().any(|k| k.eq_ignore_ascii_case(name))
        || SECRET_SUFFIXES
            .iter()
            .any(|s| ends_with_ignore_case(name, s))
}

/// True when the field `name` (snake case) of the typed object `object`
/// holds a credential: [`is_secret_key`], less the names
/// [`PUBLIC_IN_OBJECTS`] leaves public in that object, plus
/// [`SECRET_IN_OBJECTS`].
///
/// ```
/// use auth0_core::secrets::is_secret_field;
/// assert!(is_secret_field("GetJobResponseContent", "location"));
/// assert!(is_secret_field("ConnectionSigningKeySaml", "key"));
/// assert!(!is_secret_field("RulesConfig", "key"));
/// assert!(is_secret_field("ActionSecretRequest", "value"));
/// ```
pub fn is_secret_field(object: &str, name: &str) -> bool {
    let listed = |table: &[(&str, &[&str])]| {
        table
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, objects)| objects.iter().any(|o| object.contains(o)))
    };
    if let Some(secret_here) = listed(PUBLIC_IN_OBJECTS) {
        return secret_here;
    }
    if let Some(secret_here) = listed(SECRET_IN_OBJECTS) {
        return secret_here;
    }
    is_secret_key(name)
}
