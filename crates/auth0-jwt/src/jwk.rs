//! JSON Web Keys (RFC 7517) and key sets as published at
//! `https://<tenant>/.well-known/jwks.json`.
//!
//! A [`Jwk`] is data; [`VerifyingKey::from_jwk`](crate::key::VerifyingKey::from_jwk)
//! turns it into a checked, ready-to-use key. [`JwkSet::from_json`] does that for every
//! key in a set: keys it can't use (unknown `kty` or curve, encryption keys, bad
//! material, an entry that is not a strict JSON object — a repeated member name, nesting
//! past the limit) are skipped and listed in [`JwkSet::skipped`] instead of failing the
//! set (RFC 7517 §5), so one exotic or broken key published next to yours doesn't break
//! verification. A set that mixes shared secrets (`oct`) with public keys keeps only the
//! public keys, and keys whose `kid` appears more than once are all dropped (a token
//! naming that `kid` would be ambiguous).

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::json::{self, JsonError};
use crate::key::{KeyError, KeyKind, VerifyingKey};

/// One JSON Web Key. Members this crate doesn't use (`x5c`, `x5t`, private RSA/EC
/// parameters, …) are tolerated and ignored.
///
/// `Debug` never prints the `oct` secret `k`.
///
/// # Example
///
/// ```
/// use auth0_jwt::jwk::Jwk;
///
/// let jwk = Jwk::from_json(r#"{"kty":"OKP","crv":"Ed25519","kid":"k1",
///     "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#)?;
/// assert_eq!(jwk.kid.as_deref(), Some("k1"));
/// # Ok::<(), auth0_jwt::jwk::JwkError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Jwk {
    /// Key type: `RSA`, `EC`, `OKP` or `oct`.
    pub kty: String,
    /// Intended use: `sig` or `enc`. A key with `use` other than `sig` never verifies.
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Allowed operations; if present it must contain `verify` for the key to verify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<String>>,
    /// The one algorithm this key may be used with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Key id, matched against the token's `kid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// RSA modulus (base64url, big-endian).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent (base64url, big-endian).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// Curve: `P-256`, `P-384` (EC) or `Ed25519` (OKP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x coordinate or OKP public key (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// `oct` secret (base64url). Secret: never logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<String>,
}

impl fmt::Debug for Jwk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwk")
            .field("kty", &self.kty)
            .field("use", &self.use_)
            .field("key_ops", &self.key_ops)
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("crv", &self.crv)
            .field(
                "n",
                &self.n.as_ref().map(|n| format!("<{} chars>", n.len())),
            )
            .field("e", &self.e)
            .field("x", &self.x)
            .field("y", &self.y)
            .field("k", &self.k.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Jwk {
    /// Parses one JWK from JSON (strict: duplicate members rejected).
    pub fn from_json(json: &str) -> Result<Self, JwkError> {
        let map = json::parse_object(json.as_bytes()).map_err(JwkError::Json)?;
        Self::from_value(Value::Object(map))
    }

    /// Converts an already parsed JSON value.
    pub fn from_value(value: Value) -> Result<Self, JwkError> {
        serde_json::from_value(value).map_err(|e| {
            // serde's text can quote the offending value (which could be key material);
            // keep it only when it names a missing member.
            let text = e.to_string();
            let reason = if text.starts_with("missing field") {
                text
            } else {
                "a member has the wrong JSON type".to_owned()
            };
            JwkError::InvalidMembers { reason }
        })
    }
}

impl Jwk {
    /// The RFC 7638 JWK thumbprint with SHA-256, base64url without padding —
    /// what `cnf.jkt` of a DPoP-bound access token holds (RFC 9449 §6.1).
    ///
    /// Only the members RFC 7638 §3.2 requires for the key type are hashed
    /// (`RSA`: `e`, `kty`, `n`; `EC`: `crv`, `kty`, `x`, `y`; `OKP`: `crv`,
    /// `kty`, `x` per RFC 8037 §2; `oct`: `k`, `kty`), in lexicographic order
    /// with no whitespace (RFC 7638 §3.1), so `kid`, `alg` and `use` never
    /// change it.
    ///
    /// ```
    /// use auth0_jwt::jwk::Jwk;
    ///
    /// // RFC 8037 Appendix A.3.
    /// let jwk = Jwk::from_json(r#"{"kty":"OKP","crv":"Ed25519",
    ///     "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#)?;
    /// assert_eq!(jwk.thumbprint()?, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    /// # Ok::<(), auth0_jwt::jwk::JwkError>(())
    /// ```
    pub fn thumbprint(&self) -> Result<String, JwkError> {
        fn member<'a>(value: &'a Option<String>, name: &str) -> Result<&'a String, JwkError> {
            value.as_ref().ok_or_else(|| JwkError::InvalidMembers {
                reason: format!("missing field `{name}` needed for the thumbprint"),
            })
        }
        // RFC 7638 §3.2: the required members only, sorted by name.
        let members: Vec<(&str, &String)> = match self.kty.as_str() {
            "RSA" => vec![
                ("e", member(&self.e, "e")?),
                ("kty", &self.kty),
                ("n", member(&self.n, "n")?),
            ],
            "EC" => vec![
                ("crv", member(&self.crv, "crv")?),
                ("kty", &self.kty),
                ("x", member(&self.x, "x")?),
                ("y", member(&self.y, "y")?),
            ],
            "OKP" => vec![
                ("crv", member(&self.crv, "crv")?),
                ("kty", &self.kty),
                ("x", member(&self.x, "x")?),
            ],
            "oct" => vec![("k", member(&self.k, "k")?), ("kty", &self.kty)],
            _ => {
                return Err(JwkError::InvalidMembers {
                    reason: "the thumbprint needs a `kty` of RSA, EC, OKP or oct".to_owned(),
                });
            }
        };
        let mut json = String::from("{");
        for (i, (name, value)) in members.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            // Member values are JSON strings, escaped as RFC 7638 §3.3 asks
            // (serde_json writes the shortest escapes, as RFC 8259 does).
            json.push('"');
            json.push_str(name);
            json.push_str("\":");
            json.push_str(&Value::String((*value).clone()).to_string());
        }
        json.push('}');
        let digest = ring::digest::digest(&ring::digest::SHA256, json.as_bytes());
        Ok(crate::base64url::encode(digest.as_ref()))
    }
}

/// Why a JWK or JWK set document was refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwkError {
    /// Not a strict JSON object (syntax error, duplicate member, too deep). Likely the
    /// URL returned an HTML error page or a truncated body. As the reason of a skipped
    /// set entry ([`SkipReason::Malformed`]): that entry is not a JSON object, or repeats
    /// a member name, or nests too deep.
    #[error("JWK JSON is not acceptable")]
    Json(#[source] JsonError),
    /// The JWK set has no `keys` member — probably not a JWKS URL.
    #[error("JWK set has no `keys` member")]
    MissingKeys,
    /// `keys` is not an array.
    #[error("JWK set `keys` is not an array")]
    KeysNotArray,
    /// A JWK member has the wrong type (e.g. `kty` missing or `key_ops` not an array of
    /// strings).
    #[error("invalid JWK members: {reason}")]
    InvalidMembers {
        /// What is wrong (names a missing member; never quotes a value).
        reason: String,
    },
}

/// A key from a JWK set that was not made usable, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SkippedKey {
    /// Position in the `keys` array.
    pub index: usize,
    /// The key's `kid`, if it had a readable one.
    pub kid: Option<String>,
    /// The key's `kty`, if it had a readable one.
    pub kty: Option<String>,
    /// Why it was skipped.
    pub reason: SkipReason,
}

/// Why a key of a JWK set was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// The entry is not a JWK object with correctly typed members:
    /// [`JwkError::Json`] when it is not a JSON object, repeats a member name at any
    /// level (RFC 7517 §4: such a JWK is rejected) or nests deeper than
    /// [`MAX_JSON_DEPTH`](crate::jws::MAX_JSON_DEPTH) counted from the document;
    /// [`JwkError::InvalidMembers`] when a member is missing or of the wrong type.
    Malformed(JwkError),
    /// The key can't be used to verify signatures with this crate (unknown key type or
    /// curve, RSA key under 2048 bits, bad material, `use` not `sig`, `key_ops` without
    /// `verify`, an `alg` we don't support, …).
    Unusable(KeyError),
    /// A shared secret (`oct`) in a set that also holds public keys. Such a set is
    /// probably published, so the secret is not secret; and mixing the two invites
    /// algorithm-confusion bugs. Configure shared secrets with
    /// [`VerifyingKey::hmac`](crate::key::VerifyingKey::hmac) instead.
    SymmetricKeyInMixedSet,
    /// Another entry of the set has the same `kid`, so a token naming it is ambiguous;
    /// every entry with that `kid` is skipped (the publisher must fix the set).
    DuplicateKid,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The JSON fault itself: `JwkError::Json`'s own text only says there is one.
            SkipReason::Malformed(JwkError::Json(e)) => write!(f, "malformed: {e}"),
            SkipReason::Malformed(e) => write!(f, "malformed: {e}"),
            SkipReason::Unusable(e) => write!(f, "unusable: {e}"),
            SkipReason::DuplicateKid => f.write_str("another key has the same kid"),
            SkipReason::SymmetricKeyInMixedSet => {
                f.write_str("shared secret in a set that also holds public keys")
            }
        }
    }
}

/// A parsed JWK set: the usable keys (as JWKs and as ready [`VerifyingKey`]s) plus a
/// report of the skipped ones.
///
/// # Example
///
/// ```
/// use auth0_jwt::jwk::JwkSet;
/// use auth0_jwt::key::KeySet;
///
/// let set = JwkSet::from_json(br#"{"keys":[
///   {"kty":"OKP","crv":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
///   {"kty":"XYZ","kid":"future"}
/// ]}"#)?;
/// assert_eq!(set.keys().len(), 1);
/// assert_eq!(set.skipped()[0].kid.as_deref(), Some("future"));
/// let keys = KeySet::from_jwks(&set);
/// assert_eq!(keys.len(), 1);
/// # Ok::<(), auth0_jwt::jwk::JwkError>(())
/// ```
#[derive(Debug, Clone)]
pub struct JwkSet {
    keys: Vec<Jwk>,
    verifying: Vec<Arc<VerifyingKey>>,
    /// Position in the source document of each usable key.
    indexes: Vec<usize>,
    skipped: Vec<SkippedKey>,
}

impl JwkSet {
    /// Parses a JWKS document (strict JSON) and keeps the usable keys.
    ///
    /// The whole set is refused only when the document itself is unacceptable:
    /// invalid JSON anywhere (an entry's text included: the document cannot be
    /// trusted), a top level that is not an object, a member name repeated at the top
    /// level (`keys` or any other) or anywhere outside the `keys` entries, nesting
    /// past the limit outside an entry ([`JwkError::Json`]); no `keys` member
    /// ([`JwkError::MissingKeys`]) or one that is not an array
    /// ([`JwkError::KeysNotArray`]).
    ///
    /// Anything wrong with one entry of `keys` costs that entry only (RFC 7517 §5:
    /// implementations ignore JWKs they do not understand, that miss required
    /// members or hold values out of range): it is listed in [`JwkSet::skipped`] with
    /// its reason and the other keys stay usable. That covers an entry that is not an
    /// object ([`JsonError::NotAnObject`]), one that repeats a member name at any
    /// level of it (RFC 7517 §4 lets a parser reject such a JWK, and this one does:
    /// [`JsonError::DuplicateMember`]), one nested deeper than
    /// [`MAX_JSON_DEPTH`](crate::jws::MAX_JSON_DEPTH) counted from the document
    /// ([`JsonError::TooDeep`]; what lies past the limit is read without being built,
    /// with no stack use per level), all as [`SkipReason::Malformed`], and
    /// every key [`VerifyingKey::from_jwk`] refuses ([`SkipReason::Unusable`]). The
    /// set-level rules then apply ([`SkipReason::DuplicateKid`],
    /// [`SkipReason::SymmetricKeyInMixedSet`]); a skipped entry's `kid` (the last one
    /// written, if it repeats) still counts for the duplicate-`kid` rule.
    pub fn from_json(json: &[u8]) -> Result<Self, JwkError> {
        match document::parse(json).map_err(JwkError::Json)? {
            document::Keys::Missing => Err(JwkError::MissingKeys),
            document::Keys::NotArray => Err(JwkError::KeysNotArray),
            document::Keys::Entries(entries) => Ok(Self::from_entries(entries)),
        }
    }

    /// Builds a set from already parsed JWKs (each is checked like in
    /// [`JwkSet::from_json`]).
    pub fn from_jwks(jwks: impl IntoIterator<Item = Jwk>) -> Self {
        let mut set = JwkSet::empty();
        for (index, jwk) in jwks.into_iter().enumerate() {
            set.push(index, jwk);
        }
        set.finish()
    }

    fn empty() -> Self {
        JwkSet {
            keys: Vec::new(),
            verifying: Vec::new(),
            indexes: Vec::new(),
            skipped: Vec::new(),
        }
    }

    fn from_entries(entries: Vec<document::Entry>) -> Self {
        let mut set = JwkSet::empty();
        for (index, document::Entry { value, fault }) in entries.into_iter().enumerate() {
            let kid = value.get("kid").and_then(Value::as_str).map(str::to_owned);
            let kty = value.get("kty").and_then(Value::as_str).map(str::to_owned);
            let jwk = match fault {
                Some(fault) => Err(JwkError::Json(fault)),
                None if !value.is_object() => Err(JwkError::Json(JsonError::NotAnObject)),
                None => Jwk::from_value(value),
            };
            match jwk {
                Ok(jwk) => set.push(index, jwk),
                Err(e) => set.skipped.push(SkippedKey {
                    index,
                    kid,
                    kty,
                    reason: SkipReason::Malformed(e),
                }),
            }
        }
        set.finish()
    }

    /// Applies the set-level rules: entries that could be a signing key and
    /// share a `kid` are all dropped ([`SkipReason::DuplicateKid`]), then `oct`
    /// keys are dropped when the set also holds public keys
    /// ([`SkipReason::SymmetricKeyInMixedSet`]).
    ///
    /// An entry marked for other uses (`use` other than `sig`, `key_ops`
    /// without `verify`) is no candidate: RFC 7517 §4.5 lets keys of
    /// different types share a `kid`, and an encryption key published next to
    /// the signing key under its `kid` leaves no doubt which key verifies. Any
    /// other entry counts, broken ones too: a second `kid: a` that does not
    /// parse may be the key the publisher meant.
    fn finish(mut self) -> Self {
        let candidate = |reason: &SkipReason| {
            !matches!(
                reason,
                SkipReason::Unusable(KeyError::NotForSignatures { .. })
            )
        };
        let mut kids: Vec<&str> = self
            .keys
            .iter()
            .filter_map(|jwk| jwk.kid.as_deref())
            .chain(
                self.skipped
                    .iter()
                    .filter(|s| candidate(&s.reason))
                    .filter_map(|s| s.kid.as_deref()),
            )
            .collect();
        kids.sort_unstable();
        let shared: Vec<String> = kids
            .windows(2)
            .filter_map(|pair| match pair {
                [a, b] if a == b => Some((*a).to_owned()),
                _ => None,
            })
            .collect();
        if !shared.is_empty() {
            let duplicated =
                |kid: &Option<String>| kid.as_ref().is_some_and(|k| shared.contains(k));
            for skipped in &mut self.skipped {
                if candidate(&skipped.reason) && duplicated(&skipped.kid) {
                    skipped.reason = SkipReason::DuplicateKid;
                }
            }
            self.retain(|jwk, _| !duplicated(&jwk.kid), SkipReason::DuplicateKid);
        }
        let secrets = self
            .verifying
            .iter()
            .filter(|k| k.kind() == KeyKind::Hmac)
            .count();
        if secrets != 0 && secrets != self.verifying.len() {
            self.retain(
                |_, key| key.kind() != KeyKind::Hmac,
                SkipReason::SymmetricKeyInMixedSet,
            );
        }
        self.skipped.sort_by_key(|s| s.index);
        self
    }

    /// Keeps the usable keys for which `keep` is true; the others become skipped.
    fn retain(&mut self, keep: impl Fn(&Jwk, &VerifyingKey) -> bool, reason: SkipReason) {
        let old_keys = std::mem::take(&mut self.keys);
        let old_verifying = std::mem::take(&mut self.verifying);
        let old_indexes = std::mem::take(&mut self.indexes);
        for ((jwk, key), index) in old_keys.into_iter().zip(old_verifying).zip(old_indexes) {
            if keep(&jwk, &key) {
                self.keys.push(jwk);
                self.verifying.push(key);
                self.indexes.push(index);
            } else {
                self.skipped.push(SkippedKey {
                    index,
                    kid: jwk.kid.clone(),
                    kty: Some(jwk.kty.clone()),
                    reason: reason.clone(),
                });
            }
        }
    }

    fn push(&mut self, index: usize, jwk: Jwk) {
        match VerifyingKey::from_jwk(&jwk).and_then(|k| {
            // A set member must be usable for verification at all; a key that
            // parses but may never verify (e.g. `use: enc`) is reported, not kept.
            k.check_usage()?;
            Ok(k)
        }) {
            Ok(key) => {
                self.keys.push(jwk);
                self.verifying.push(Arc::new(key));
                self.indexes.push(index);
            }
            Err(e) => self.skipped.push(SkippedKey {
                index,
                kid: jwk.kid.clone(),
                kty: Some(jwk.kty.clone()),
                reason: SkipReason::Unusable(e),
            }),
        }
    }

    /// The usable keys, in document order.
    pub fn keys(&self) -> &[Jwk] {
        &self.keys
    }

    /// The usable keys, built (same order as [`JwkSet::keys`]).
    pub fn verifying_keys(&self) -> &[Arc<VerifyingKey>] {
        &self.verifying
    }

    /// Keys that were skipped, with reasons (log these: a skipped key may be the one
    /// your tokens are signed with).
    pub fn skipped(&self) -> &[SkippedKey] {
        &self.skipped
    }

    /// Number of usable keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True if no key was usable.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Reading a JWK Set document: strict everywhere (the crate's strict JSON rules, see
/// `json.rs`), except that what is wrong inside one entry of `keys` — a repeated member
/// name, nesting past the limit — is recorded for that entry while the rest of the
/// document is read on, instead of failing the document.
mod document {
    use std::cell::Cell;
    use std::fmt;

    use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use serde_json::{Map, Value};

    use crate::json::{self, Ctx, JsonError, KeySeed, MAX_DEPTH, SeenNames, SkipSeed, ValueSeed};

    /// How much of a repeated member name an entry's fault keeps (as `json.rs` does).
    const MAX_NAME_IN_FAULT: usize = 64;

    /// One entry of `keys`: its value as read (a repeated member holding its last
    /// value, too-deep content as `null`) and the first fault found in it.
    pub(super) struct Entry {
        pub(super) value: Value,
        pub(super) fault: Option<JsonError>,
    }

    /// The document's `keys` member.
    pub(super) enum Keys {
        Missing,
        NotArray,
        Entries(Vec<Entry>),
    }

    /// Parses a JWK Set document; an error refuses the whole document.
    pub(super) fn parse(bytes: &[u8]) -> Result<Keys, JsonError> {
        let ctx = Ctx::new();
        json::parse_object_seed(bytes, &ctx, SetSeed { ctx: &ctx })
    }

    /// The top-level object: every member checked strictly, `keys` read entry by entry.
    struct SetSeed<'c> {
        ctx: &'c Ctx,
    }

    impl<'de> DeserializeSeed<'de> for SetSeed<'_> {
        type Value = Keys;

        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Keys, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for SetSeed<'_> {
        type Value = Keys;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
            let depth = self.ctx.enter(0)?;
            let mut seen = SeenNames::new();
            let mut keys = Keys::Missing;
            while let Some(name) = map.next_key_seed(KeySeed)? {
                let is_keys = name == "keys";
                if let Err(name) = seen.insert(name) {
                    return Err(self.ctx.duplicate(&name));
                }
                if is_keys {
                    keys = map.next_value_seed(KeysSeed {
                        ctx: self.ctx,
                        depth,
                    })?;
                } else {
                    map.next_value_seed(SkipSeed {
                        ctx: self.ctx,
                        depth,
                    })?;
                }
            }
            Ok(keys)
        }
    }

    /// The value of `keys`: an array is read entry by entry, anything else is checked
    /// strictly and reported as not an array.
    struct KeysSeed<'c> {
        ctx: &'c Ctx,
        /// Depth of the top-level object.
        depth: usize,
    }

    impl<'de> DeserializeSeed<'de> for KeysSeed<'_> {
        type Value = Keys;

        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Keys, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for KeysSeed<'_> {
        type Value = Keys;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of JWKs")
        }

        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Keys, E> {
            Ok(Keys::NotArray)
        }

        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Keys, E> {
            Ok(Keys::NotArray)
        }

        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Keys, E> {
            Ok(Keys::NotArray)
        }

        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Keys, E> {
            Ok(Keys::NotArray)
        }

        fn visit_str<E: de::Error>(self, _: &str) -> Result<Keys, E> {
            Ok(Keys::NotArray)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Keys, E> {
            Ok(Keys::NotArray)
        }

        fn visit_none<E: de::Error>(self) -> Result<Keys, E> {
            Ok(Keys::NotArray)
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Keys, A::Error> {
            SkipSeed {
                ctx: self.ctx,
                depth: self.depth,
            }
            .visit_map(map)?;
            Ok(Keys::NotArray)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Keys, A::Error> {
            let depth = self.ctx.enter(self.depth)?;
            let mut entries = Vec::new();
            while let Some(entry) = seq.next_element_seed(EntrySeed {
                ctx: self.ctx,
                depth,
            })? {
                entries.push(entry);
            }
            Ok(Keys::Entries(entries))
        }
    }

    /// One entry of `keys`, with its own fault record.
    struct EntrySeed<'c> {
        ctx: &'c Ctx,
        /// Depth of the `keys` array.
        depth: usize,
    }

    impl<'de> DeserializeSeed<'de> for EntrySeed<'_> {
        type Value = Entry;

        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Entry, D::Error> {
            let fault = Cell::new(None);
            let value = d.deserialize_any(Tolerant {
                ctx: self.ctx,
                fault: &fault,
                depth: self.depth,
            })?;
            Ok(Entry {
                value,
                fault: fault.into_inner(),
            })
        }
    }

    /// Builds a value of an entry; a repeated member name or nesting past the limit is
    /// recorded in `fault` (the first one) and reading goes on. Only invalid JSON fails
    /// the document. Content past the limit is read without being built, by
    /// `serde_json`'s skipping, which keeps no call per level (no stack overflow
    /// however deep).
    #[derive(Clone, Copy)]
    struct Tolerant<'c> {
        ctx: &'c Ctx,
        fault: &'c Cell<Option<JsonError>>,
        /// Depth of the container holding this value.
        depth: usize,
    }

    impl Tolerant<'_> {
        fn note(&self, fault: JsonError) {
            let first = self.fault.take().unwrap_or(fault);
            self.fault.set(Some(first));
        }

        /// The seed for a container's members, or `None` (fault noted) past the limit.
        fn enter(self) -> Option<Self> {
            let depth = self.depth + 1;
            if depth > MAX_DEPTH {
                self.note(JsonError::TooDeep { max: MAX_DEPTH });
                return None;
            }
            Some(Self { depth, ..self })
        }

        /// The strict parser's seed, for the scalars (read the same way).
        fn scalar(&self) -> ValueSeed<'_> {
            ValueSeed {
                ctx: self.ctx,
                depth: self.depth,
            }
        }
    }

    impl<'de> DeserializeSeed<'de> for Tolerant<'_> {
        type Value = Value;

        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Tolerant<'_> {
        type Value = Value;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }

        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
            self.scalar().visit_bool(v)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
            self.scalar().visit_i64(v)
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
            self.scalar().visit_u64(v)
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
            self.scalar().visit_f64(v)
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
            self.scalar().visit_str(v)
        }

        fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
            self.scalar().visit_string(v)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
            self.scalar().visit_unit()
        }

        fn visit_none<E: de::Error>(self) -> Result<Value, E> {
            self.scalar().visit_none()
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let Some(inner) = self.enter() else {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                return Ok(Value::Null);
            };
            let mut out = Vec::new();
            while let Some(value) = seq.next_element_seed(inner)? {
                out.push(value);
            }
            Ok(Value::Array(out))
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let Some(inner) = self.enter() else {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                return Ok(Value::Null);
            };
            let mut out = Map::new();
            // Names unescaped, so `"a"` and `"\u0061"` collide (as in `json.rs`).
            while let Some(name) = map.next_key::<String>()? {
                if out.contains_key(&name) {
                    self.note(JsonError::DuplicateMember {
                        name: name.chars().take(MAX_NAME_IN_FAULT).collect(),
                    });
                }
                // The last value stays, as a parser that keeps the last duplicate
                // reads it (RFC 7517 §4): the `kid` a skipped entry is reported with.
                let value = map.next_value_seed(inner)?;
                out.insert(name, value);
            }
            Ok(Value::Object(out))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_errors() {
        assert_eq!(JwkSet::from_json(b"{}").unwrap_err(), JwkError::MissingKeys);
        assert_eq!(
            JwkSet::from_json(br#"{"keys":{}}"#).unwrap_err(),
            JwkError::KeysNotArray
        );
        assert!(matches!(
            JwkSet::from_json(b"[]").unwrap_err(),
            JwkError::Json(JsonError::NotAnObject)
        ));
        assert!(matches!(
            JwkSet::from_json(br#"{"keys":[],"keys":[]}"#).unwrap_err(),
            JwkError::Json(JsonError::DuplicateMember { .. })
        ));
    }

    #[test]
    fn skips_bad_entries() {
        let set = JwkSet::from_json(
            br#"{"keys":[
                1,
                {"kid":"no-kty"},
                {"kty":"EC","crv":"P-521","kid":"p521","x":"AA","y":"AA"},
                {"kty":"oct","k":"c2VjcmV0","kid":"hmac"},
                {"kty":"oct","k":"c2VjcmV0","kid":"enc","use":"enc"}
            ]}"#,
        )
        .unwrap();
        assert_eq!(set.len(), 1);
        assert_eq!(set.keys()[0].kid.as_deref(), Some("hmac"));
        let skipped: Vec<_> = set.skipped().iter().map(|s| s.index).collect();
        assert_eq!(skipped, [0, 1, 2, 4]);
        assert!(matches!(set.skipped()[0].reason, SkipReason::Malformed(_)));
        assert!(matches!(
            set.skipped()[2].reason,
            SkipReason::Unusable(KeyError::UnsupportedCurve { .. })
        ));
        assert!(matches!(
            set.skipped()[3].reason,
            SkipReason::Unusable(KeyError::NotForSignatures { .. })
        ));
    }

    #[test]
    fn mixed_sets_drop_secrets() {
        let set = JwkSet::from_json(
            br#"{"keys":[
                {"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0","kid":"h"},
                {"kty":"OKP","crv":"Ed25519","kid":"e","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
            ]}"#,
        )
        .unwrap();
        assert_eq!(set.len(), 1);
        assert_eq!(set.keys()[0].kid.as_deref(), Some("e"));
        assert_eq!(set.skipped().len(), 1);
        assert_eq!(set.skipped()[0].index, 0);
        assert_eq!(set.skipped()[0].reason, SkipReason::SymmetricKeyInMixedSet);
    }

    #[test]
    fn duplicate_kids_are_dropped() {
        let set = JwkSet::from_json(
            br#"{"keys":[
                {"kty":"OKP","crv":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
                {"kty":"OKP","crv":"Ed25519","kid":"b","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
                {"kty":"OKP","crv":"Ed25519","kid":"a","x":"broken"}
            ]}"#,
        )
        .unwrap();
        assert_eq!(set.len(), 1);
        assert_eq!(set.keys()[0].kid.as_deref(), Some("b"));
        let reasons: Vec<_> = set
            .skipped()
            .iter()
            .map(|s| (s.index, s.reason.clone()))
            .collect();
        assert_eq!(
            reasons,
            [(0, SkipReason::DuplicateKid), (2, SkipReason::DuplicateKid)]
        );
    }

    /// RFC 7517 §4.5: an encryption key may share the signing key's `kid`
    /// (here another `kty` too); it never verifies, so the signing key stays.
    #[test]
    fn an_encryption_key_sharing_the_kid_leaves_the_signing_key() {
        let set = JwkSet::from_json(
            br#"{"keys":[
                {"kty":"OKP","crv":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
                {"kty":"RSA","use":"enc","kid":"a","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB"}
            ]}"#,
        )
        .unwrap();
        assert_eq!(set.len(), 1);
        assert_eq!(set.keys()[0].kid.as_deref(), Some("a"));
        assert!(matches!(
            set.skipped()[0].reason,
            SkipReason::Unusable(KeyError::NotForSignatures { .. })
        ));
    }

    #[test]
    fn member_errors_never_quote_values() {
        let err = Jwk::from_json(r#"{"kty":"oct","k":12345678}"#).unwrap_err();
        assert!(!err.to_string().contains("12345678"), "{err}");
        let err = Jwk::from_json(r#"{"k":"x"}"#).unwrap_err();
        assert!(err.to_string().contains("kty"), "{err}");
    }

    #[test]
    fn debug_redacts_secret() {
        let jwk = Jwk::from_json(r#"{"kty":"oct","k":"c3VwZXJzZWNyZXQ"}"#).unwrap();
        let dbg = format!("{jwk:?}");
        assert!(!dbg.contains("c3VwZXJzZWNyZXQ"), "{dbg}");
    }
}
