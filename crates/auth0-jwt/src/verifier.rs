//! Where verification keys come from ([`KeySource`]) and the signature
//! verifiers in the shape of auth0-python's `SignatureVerifier` family.
//!
//! The algorithm a token is checked with is always the verifier's configured
//! one (or the validator's allow-list); the token's header `alg` must equal it
//! and never chooses it.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::alg::{Algorithm, AlgorithmError};
use crate::claims::{ParsedClaims, truncate_for_message};
use crate::error::{Error, TokenKind};
use crate::flat::FlatMembers;
use crate::issuers::{Issuers, SourceRef};
use crate::json;
use crate::jwk::JwkSet;
use crate::jws::{
    self, Compact, HeaderRef, JwsError, KnownHeaders, ParseOptions, Part, Scratch,
    non_empty_payload,
};
use crate::key::{KeyError, KeyFingerprint, KeySet, VerifyingKey};

/// The future returned by [`KeySource::resolve_key`].
pub type ResolveKeyFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Arc<VerifyingKey>, KeySourceError>> + Send + 'a>>;

/// A source of verification keys: a fixed key set ([`StaticKeys`]), a remote
/// JWKS endpoint (`jwks::RemoteJwks`, feature `remote`) or your own.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use auth0_jwt::alg::Algorithm;
/// use auth0_jwt::key::{KeyFingerprint, VerifyingKey};
/// use auth0_jwt::verifier::{KeySource, KeySourceError, ResolveKeyFuture};
///
/// /// One key, whatever the `kid`.
/// struct OneKey(Arc<VerifyingKey>);
///
/// impl KeySource for OneKey {
///     fn cached_key(&self, _kid: Option<&str>, alg: Algorithm) -> Option<Arc<VerifyingKey>> {
///         self.0.is_compatible(alg).then(|| Arc::clone(&self.0))
///     }
///     fn resolve_key<'a>(&'a self, kid: Option<&'a str>, alg: Algorithm) -> ResolveKeyFuture<'a> {
///         let found = self.cached_key(kid, alg).ok_or(KeySourceError::NoMatchingKey {
///             kid: kid.map(str::to_owned),
///         });
///         Box::pin(std::future::ready(found))
///     }
///     fn version(&self) -> u64 {
///         0
///     }
///     fn contains(&self, fp: &KeyFingerprint) -> bool {
///         self.0.fingerprint() == *fp
///     }
/// }
///
/// let source = OneKey(Arc::new(VerifyingKey::hmac(b"0123456789abcdef0123456789abcdef")?));
/// assert!(source.cached_key(Some("any"), Algorithm::HS256).is_some());
/// # Ok::<(), auth0_jwt::key::KeyError>(())
/// ```
pub trait KeySource: Send + Sync + 'static {
    /// Fast path: the key if it is known right now and may accept a token
    /// without [`resolve_key`](Self::resolve_key) being asked first (no I/O).
    /// A source whose keys have outlived their freshness (a remote set past
    /// its TTL) returns `None`, so the caller goes through `resolve_key`,
    /// which refreshes.
    fn cached_key(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<VerifyingKey>>;

    /// Finds the key, fetching keys if the source can and is allowed to.
    fn resolve_key<'a>(&'a self, kid: Option<&'a str>, alg: Algorithm) -> ResolveKeyFuture<'a>;

    /// Bumped whenever the key set changes (keys added or removed).
    fn version(&self) -> u64;

    /// True if a key with this fingerprint is still in the set.
    fn contains(&self, fp: &KeyFingerprint) -> bool;

    /// False when the keys at hand must not accept a token before
    /// [`resolve_key`](Self::resolve_key) has had a chance to refresh them
    /// (a remote set past its TTL). Validators then bypass their cache of
    /// verified tokens, so a token is not accepted on the strength of a key
    /// the source may have dropped. Called on every validation: it must be
    /// cheap (an atomic load and a clock read at most). The default, `true`,
    /// fits sources whose keys never change.
    fn is_current(&self) -> bool {
        true
    }
}

/// Why a [`KeySource`] could not produce a key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeySourceError {
    /// No key in the set has this `kid` (or none fits the algorithm). Likely
    /// cause: the token was signed by another tenant, or the signing key was
    /// rotated out of the JWKS.
    #[error("no key matches kid \"{}\"", kid.as_deref().map(truncate_for_message).unwrap_or_default())]
    NoMatchingKey {
        /// The `kid` from the token header, if it had one.
        kid: Option<String>,
    },
    /// A key was found but refuses this token: wrong key type for the
    /// algorithm, a JWK `alg` other than the header's, `use`/`key_ops` that
    /// forbid verifying, or several keys fit and the token has no `kid`.
    #[error("the key for kid \"{}\" cannot verify this token", kid.as_deref().map(truncate_for_message).unwrap_or_default())]
    KeyRejected {
        /// The `kid` from the token header, if it had one.
        kid: Option<String>,
        /// Why the key refused.
        #[source]
        source: KeyError,
    },
    /// The key set could not be fetched or parsed. Likely cause: the JWKS
    /// endpoint is unreachable, slow, or returned something that is not a JWKS.
    #[error("could not fetch the JSON Web Key Set from {url}")]
    Fetch {
        /// The JWKS URL.
        url: String,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

impl KeySourceError {
    /// Maps a [`KeySet::find`] failure.
    pub fn from_key_set(kid: Option<&str>, error: KeyError) -> Self {
        match error {
            KeyError::NoMatchingKey { .. } => Self::NoMatchingKey {
                kid: kid.map(str::to_owned),
            },
            source => Self::KeyRejected {
                kid: kid.map(str::to_owned),
                source,
            },
        }
    }
}

/// A fixed [`KeySet`] as a [`KeySource`]: keys from a JWKS document you
/// already have, a PEM, or built in code. It never changes (`version()` is 0).
///
/// A set built from a JWKS or [`KeySet`] finds keys by the token's `kid`
/// (exactly). A single key ([`StaticKeys::from_key`], [`StaticKeys::from_pem`])
/// is used whatever the token's `kid`: you configured that one key.
///
/// # Example
///
/// ```
/// use auth0_jwt::alg::Algorithm;
/// use auth0_jwt::verifier::{KeySource, StaticKeys};
///
/// let keys = StaticKeys::from_jwks_json(
///     r#"{"keys":[{"kty":"oct","kid":"k1","alg":"HS256",
///                  "k":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"}]}"#,
/// )?;
/// assert!(keys.cached_key(Some("k1"), Algorithm::HS256).is_some());
/// assert!(keys.cached_key(Some("k2"), Algorithm::HS256).is_none());
/// # Ok::<(), auth0_jwt::error::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct StaticKeys {
    keys: KeySet,
    /// One configured key: the token's `kid` is not consulted.
    ignore_kid: bool,
}

impl StaticKeys {
    /// Wraps a key set.
    pub fn new(keys: KeySet) -> Self {
        Self {
            keys,
            ignore_kid: false,
        }
    }

    /// One key, used whatever the token's `kid`.
    pub fn from_key(key: VerifyingKey) -> Self {
        let mut keys = KeySet::new();
        keys.insert(key);
        Self {
            keys,
            ignore_kid: true,
        }
    }

    /// Parses a JWKS document (`{"keys": [...]}`); unusable entries are
    /// skipped (as [`JwkSet::from_json`] does).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] if the document is not a JWKS.
    pub fn from_jwks_json(json: &str) -> Result<Self, Error> {
        let set = JwkSet::from_json(json.as_bytes()).map_err(|e| Error::Config {
            reason: "the JWKS document could not be parsed".into(),
            source: Some(Box::new(e)),
        })?;
        Ok(Self::new(KeySet::from_jwks(&set)))
    }

    /// One public key from PEM (`PUBLIC KEY` or `RSA PUBLIC KEY`), used
    /// whatever the token's `kid`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] if the PEM is not a usable public key.
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        let key = VerifyingKey::from_pem(pem).map_err(|e| Error::Config {
            reason: "the PEM public key could not be used".into(),
            source: Some(Box::new(e)),
        })?;
        Ok(Self::from_key(key))
    }

    /// The keys.
    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    fn find(&self, kid: Option<&str>, alg: Algorithm) -> Result<Arc<VerifyingKey>, KeyError> {
        if !self.ignore_kid {
            return self.keys.find(kid, alg);
        }
        // The single configured key: say why it refuses `alg`, if it does.
        match self.keys.iter().next() {
            Some(key) => key.check_algorithm(alg).map(|()| Arc::clone(key)),
            None => Err(KeyError::NoMatchingKey {
                kid: kid.map(str::to_owned),
            }),
        }
    }
}

impl KeySource for StaticKeys {
    fn cached_key(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<VerifyingKey>> {
        self.find(kid, alg).ok()
    }

    fn resolve_key<'a>(&'a self, kid: Option<&'a str>, alg: Algorithm) -> ResolveKeyFuture<'a> {
        let found = self
            .find(kid, alg)
            .map_err(|e| KeySourceError::from_key_set(kid, e));
        Box::pin(std::future::ready(found))
    }

    fn version(&self) -> u64 {
        0
    }

    fn contains(&self, fp: &KeyFingerprint) -> bool {
        self.keys.contains(fp)
    }
}

/// One shared secret, used whatever the token's `kid` (as auth0-python's
/// `SymmetricSignatureVerifier` does).
struct SharedSecret {
    key: Arc<VerifyingKey>,
}

impl KeySource for SharedSecret {
    fn cached_key(&self, _kid: Option<&str>, _alg: Algorithm) -> Option<Arc<VerifyingKey>> {
        Some(Arc::clone(&self.key))
    }

    fn resolve_key<'a>(&'a self, _kid: Option<&'a str>, _alg: Algorithm) -> ResolveKeyFuture<'a> {
        Box::pin(std::future::ready(Ok(Arc::clone(&self.key))))
    }

    fn version(&self) -> u64 {
        0
    }

    fn contains(&self, fp: &KeyFingerprint) -> bool {
        self.key.fingerprint() == *fp
    }
}

/// Checks a token's header and signature against one expected algorithm and
/// a [`KeySource`] (auth0-python's `SignatureVerifier`). Usually built as an
/// [`AsymmetricSignatureVerifier`] or a [`SymmetricSignatureVerifier`].
///
/// Cheap to clone (the key source is shared).
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use auth0_jwt::alg::Algorithm;
/// use auth0_jwt::key::VerifyingKey;
/// use auth0_jwt::sign::SigningKey;
/// use auth0_jwt::verifier::{SignatureVerifier, StaticKeys};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let signer = SigningKey::generate_es256()?.with_kid("k1");
/// let keys = StaticKeys::from_key(signer.verifying_key()?);
/// let verifier = SignatureVerifier::new(Arc::new(keys), Algorithm::ES256);
///
/// let token = signer.sign_token(&Default::default(), &serde_json::json!({"sub": "u1"}))?;
/// let payload = verifier.verify_signature(&token).await?;
/// assert_eq!(payload["sub"], "u1");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SignatureVerifier {
    source: Arc<dyn KeySource>,
    algorithm: Algorithm,
    parse_options: ParseOptions,
}

impl fmt::Debug for SignatureVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureVerifier")
            .field("algorithm", &self.algorithm)
            .field("parse_options", &self.parse_options)
            .finish_non_exhaustive()
    }
}

impl SignatureVerifier {
    /// Verifies tokens signed with `algorithm` by a key from `source`.
    pub fn new(source: Arc<dyn KeySource>, algorithm: Algorithm) -> Self {
        Self {
            source,
            algorithm,
            parse_options: ParseOptions::default(),
        }
    }

    /// Token parsing limits (e.g. maximum length).
    #[must_use]
    pub fn with_parse_options(mut self, options: ParseOptions) -> Self {
        self.parse_options = options;
        self
    }

    /// The expected algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The key source.
    pub fn key_source(&self) -> &Arc<dyn KeySource> {
        &self.source
    }

    /// Checks header `alg`, finds the key and verifies the signature; returns
    /// the (not yet validated) payload.
    ///
    /// # Errors
    ///
    /// [`Error::Missing`], [`Error::Malformed`], [`Error::AlgorithmNotSupported`],
    /// [`Error::KeyNotFound`], [`Error::KeySource`], [`Error::Key`] or
    /// [`Error::InvalidSignature`].
    pub async fn verify_signature(&self, token: &str) -> Result<Map<String, Value>, Error> {
        if token.is_empty() {
            return Err(Error::Missing {
                kind: TokenKind::Token,
            });
        }
        self.verify(token, TokenKind::Token).await
    }

    /// Parses `token` (claims in one strict pass), checks its `alg` (and, for
    /// ID tokens, that it is not typed as an access token), finds the key and
    /// verifies the signature. Claim types are not checked yet.
    ///
    /// With `issuers`, the keys come from the issuer the token's `iss`
    /// selects among them (refused before any key lookup if it is not
    /// trusted) instead of this verifier's own source.
    pub(crate) async fn verify_claims_from(
        &self,
        token: &str,
        kind: TokenKind,
        issuers: Option<&Issuers>,
        members: Option<&mut FlatMembers>,
    ) -> Result<ParsedClaims, Error> {
        let check = |header: &HeaderRef<'_>, claims: &ParsedClaims| {
            if kind == TokenKind::IdToken {
                let typ = header.typ.as_deref();
                // RFC 8725 §3.11: a JWT typed explicitly as another kind —
                // an access token (`at+jwt`, RFC 9068 §2.1), a logout token
                // (`logout+jwt`), a DPoP proof, a security event — must not
                // pass as an ID token even if the same key signed it.
                if typ.is_some_and(is_explicitly_typed_jwt) {
                    return Err(Error::TypeMismatch {
                        kind,
                        expected: "an ID token (not an explicitly typed \"…+jwt\" such as \"at+jwt\" or \"logout+jwt\")",
                        found: typ.map(truncate_for_message),
                    });
                }
            }
            match issuers {
                None => Ok(SourceRef::Borrowed(&self.source)),
                Some(issuers) => issuers.select(claims, kind),
            }
        };
        let allowed = [self.algorithm];
        let parsing = Parsing::every_header(&self.parse_options);
        let (claims, _) =
            verify_token_keeping(token, parsing, &allowed, kind, check, members).await?;
        Ok(claims)
    }

    /// As [`SignatureVerifier::verify_claims_from`], returning the claims as a map.
    async fn verify(&self, token: &str, kind: TokenKind) -> Result<Map<String, Value>, Error> {
        let mut buf = Scratch::heap();
        let compact = parse_compact(
            token,
            &self.parse_options,
            &[self.algorithm],
            kind,
            &mut buf,
            None,
        )?;
        let claims = non_empty_payload(compact.payload)
            .and_then(|payload| {
                json::parse_object(payload).map_err(|error| JwsError::Json {
                    part: Part::Payload,
                    error,
                })
            })
            .map_err(Error::Malformed)?;
        let key = find_key(
            self.source.as_ref(),
            compact.header.kid.as_deref(),
            self.algorithm,
        )
        .await?;
        verify_with_key(&key, &compact)?;
        Ok(claims)
    }
}

/// True for a `typ` that names an explicitly typed kind of JWT (RFC 8725
/// §3.11): a media type ending in `+jwt` (case-insensitive, with or without
/// `application/`, RFC 7515 §4.1.9) — `at+jwt`, `logout+jwt`, `dpop+jwt`,
/// `secevent+jwt`… ID tokens have no such type (Auth0 writes `JWT`).
pub(crate) fn is_explicitly_typed_jwt(typ: &str) -> bool {
    let suffix = "+jwt";
    typ.len() > suffix.len()
        && typ
            .get(typ.len() - suffix.len()..)
            .is_some_and(|end| end == suffix || end.eq_ignore_ascii_case(suffix))
}

pub(crate) use crate::jws::typ_is;

/// Splits and decodes `token` into `buf`, parses its header and checks that
/// its `alg` is one of `allowed` — no allocation on success beyond `buf`.
pub(crate) fn parse_compact<'t, 'b>(
    token: &'t str,
    options: &ParseOptions,
    allowed: &[Algorithm],
    kind: TokenKind,
    buf: &'b mut Scratch<'_>,
    known: Option<&'b KnownHeaders>,
) -> Result<Compact<'t, 'b>, Error> {
    if token.is_empty() {
        return Err(Error::Missing { kind });
    }
    let expected = || {
        allowed
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let compact = jws::parse_compact(token, options, buf, known).map_err(|e| match e {
        // An algorithm we refuse outright (`none`, unknown, unimplemented)
        // is reported like any other unexpected algorithm.
        JwsError::Algorithm(AlgorithmError::None) => Error::AlgorithmNotSupported {
            found: "none".into(),
            expected: expected(),
        },
        JwsError::Algorithm(
            AlgorithmError::Unsupported { alg } | AlgorithmError::Unknown { alg },
        ) => Error::AlgorithmNotSupported {
            found: truncate_for_message(&alg),
            expected: expected(),
        },
        other => Error::Malformed(other),
    })?;
    if !allowed.contains(&compact.header.algorithm) {
        return Err(Error::AlgorithmNotSupported {
            found: truncate_for_message(&compact.header.alg),
            expected: expected(),
        });
    }
    Ok(compact)
}

/// [`parse_compact`], then the payload parsed as a claim set in one strict
/// pass (JSON errors are reported here, before the signature is checked, as
/// [`Jws::parse`](crate::jws::Jws::parse) does).
pub(crate) fn parse_token<'t, 'b>(
    token: &'t str,
    options: &ParseOptions,
    allowed: &[Algorithm],
    kind: TokenKind,
    buf: &'b mut Scratch<'_>,
    members: Option<&mut FlatMembers>,
    known: Option<&'b KnownHeaders>,
) -> Result<(Compact<'t, 'b>, ParsedClaims), Error> {
    let compact = parse_compact(token, options, allowed, kind, buf, known)?;
    let claims = non_empty_payload(compact.payload)
        .and_then(|payload| {
            ParsedClaims::parse_keeping(payload, members).map_err(|error| JwsError::Json {
                part: Part::Payload,
                error,
            })
        })
        .map_err(Error::Malformed)?;
    Ok((compact, claims))
}

/// How a token is parsed: the options, and the headers already known (a
/// validator's; `None` parses every header).
#[derive(Clone, Copy)]
pub(crate) struct Parsing<'a> {
    pub(crate) options: &'a ParseOptions,
    pub(crate) known: Option<&'a KnownHeaders>,
}

impl<'a> Parsing<'a> {
    /// Every header parsed (no known headers).
    pub(crate) fn every_header(options: &'a ParseOptions) -> Self {
        Parsing {
            options,
            known: None,
        }
    }
}

/// Bytes of stack for the decoded parts of a token in [`verify_now`]: enough
/// for tokens up to about 1,300 characters; longer ones are decoded on the heap.
const STACK_SCRATCH: usize = 1024;

/// How a [`verify_now`] attempt ended.
pub(crate) enum Attempt<K> {
    /// The signature is good: the claims (types not checked yet) and the
    /// fingerprint of the key that verified them.
    Verified(ParsedClaims, KeyFingerprint),
    /// The key source has no key for the token at hand: resolve one (which may
    /// fetch) and try again with it.
    NeedKey {
        /// The header's `kid`.
        kid: Option<String>,
        /// The header's algorithm.
        alg: Algorithm,
        /// The source to resolve it from.
        source: K,
    },
}

/// Parses `token` (decoded on the stack), runs `check` (checks that need no
/// key) on its header and claims — it answers with the key source for the
/// token (for several issuers, the one its `iss` selects) — then verifies
/// the signature with `key`, or with the source's cached key —
/// synchronously, so the common case (key at hand) never goes through a
/// boxed future and keeps nothing in one.
pub(crate) fn verify_now<K: Deref<Target = dyn KeySource>>(
    token: &str,
    parsing: Parsing<'_>,
    allowed: &[Algorithm],
    kind: TokenKind,
    key: Option<&Arc<VerifyingKey>>,
    check: impl FnOnce(&HeaderRef<'_>, &ParsedClaims) -> Result<K, Error>,
    members: Option<&mut FlatMembers>,
) -> Result<Attempt<K>, Error> {
    let Parsing { options, known } = parsing;
    let mut stack = [0u8; STACK_SCRATCH];
    let mut buf = Scratch::new(&mut stack);
    let (compact, claims) = parse_token(token, options, allowed, kind, &mut buf, members, known)?;
    let source = check(&compact.header, &claims)?;
    let alg = compact.header.algorithm;
    let cached;
    let key = match key {
        Some(key) => key,
        None => match source.cached_key(compact.header.kid.as_deref(), alg) {
            Some(key) => {
                cached = key;
                &cached
            }
            None => {
                return Ok(Attempt::NeedKey {
                    kid: compact.header.kid.map(Cow::into_owned),
                    alg,
                    source,
                });
            }
        },
    };
    verify_with_key(key, &compact)?;
    if let Some(known) = known {
        compact.remember_header(known);
    }
    Ok(Attempt::Verified(claims, key.fingerprint()))
}

/// [`verify_now`], resolving the key (which may fetch) if the source has none
/// at hand.
pub(crate) async fn verify_token<K: Deref<Target = dyn KeySource>>(
    token: &str,
    options: &ParseOptions,
    allowed: &[Algorithm],
    kind: TokenKind,
    check: impl Fn(&HeaderRef<'_>, &ParsedClaims) -> Result<K, Error>,
) -> Result<(ParsedClaims, KeyFingerprint), Error> {
    let parsing = Parsing::every_header(options);
    verify_token_keeping(token, parsing, allowed, kind, check, None).await
}

/// [`verify_token`], recording the claim set's members in `members` (see
/// [`ParsedClaims::parse_keeping`]).
pub(crate) async fn verify_token_keeping<K: Deref<Target = dyn KeySource>>(
    token: &str,
    parsing: Parsing<'_>,
    allowed: &[Algorithm],
    kind: TokenKind,
    check: impl Fn(&HeaderRef<'_>, &ParsedClaims) -> Result<K, Error>,
    mut members: Option<&mut FlatMembers>,
) -> Result<(ParsedClaims, KeyFingerprint), Error> {
    let first = verify_now(
        token,
        parsing,
        allowed,
        kind,
        None,
        &check,
        members.as_deref_mut(),
    )?;
    let (kid, alg, source) = match first {
        Attempt::Verified(claims, fingerprint) => return Ok((claims, fingerprint)),
        Attempt::NeedKey { kid, alg, source } => (kid, alg, source),
    };
    let key = resolve_key(&*source, kid.as_deref(), alg).await?;
    drop(source);
    match verify_now(token, parsing, allowed, kind, Some(&key), &check, members)? {
        Attempt::Verified(claims, fingerprint) => Ok((claims, fingerprint)),
        // Not reached: a key was given.
        Attempt::NeedKey { kid, .. } => Err(Error::KeyNotFound {
            kid: kid.as_deref().map(truncate_for_message),
        }),
    }
}

/// The key for `kid`/`alg`: the source's cached key, else a resolved one.
pub(crate) async fn find_key(
    source: &dyn KeySource,
    kid: Option<&str>,
    alg: Algorithm,
) -> Result<Arc<VerifyingKey>, Error> {
    if let Some(key) = source.cached_key(kid, alg) {
        return Ok(key);
    }
    resolve_key(source, kid, alg).await
}

/// The key for `kid`/`alg` from [`KeySource::resolve_key`], errors mapped.
async fn resolve_key(
    source: &dyn KeySource,
    kid: Option<&str>,
    alg: Algorithm,
) -> Result<Arc<VerifyingKey>, Error> {
    source.resolve_key(kid, alg).await.map_err(|e| match e {
        KeySourceError::NoMatchingKey { kid } => Error::KeyNotFound {
            kid: kid.as_deref().map(truncate_for_message),
        },
        KeySourceError::KeyRejected { source, .. } => Error::Key(source),
        other => Error::KeySource(other),
    })
}

/// Verifies the token's signature with `key` and the header's algorithm.
pub(crate) fn verify_with_key(key: &VerifyingKey, compact: &Compact<'_, '_>) -> Result<(), Error> {
    key.verify(
        compact.header.algorithm,
        compact.signing_input(),
        compact.signature,
    )
    .map_err(|e| match e {
        KeyError::InvalidSignature => Error::InvalidSignature(e),
        other => Error::Key(other),
    })
}

/// Verifies signatures made with a private key (RS256 by default): keys from
/// a JWKS (static or fetched) or a PEM. Auth0 signs ID tokens with RS256
/// unless the application is set to HS256.
///
/// Dereferences to [`SignatureVerifier`].
///
/// # Example
///
/// ```
/// use auth0_jwt::alg::Algorithm;
/// use auth0_jwt::verifier::AsymmetricSignatureVerifier;
///
/// let jwks = r#"{"keys":[]}"#; // normally https://TENANT/.well-known/jwks.json
/// let verifier = AsymmetricSignatureVerifier::from_jwks_json(jwks)?
///     .with_algorithm(Algorithm::PS256)?;
/// assert_eq!(verifier.algorithm(), Algorithm::PS256);
/// # Ok::<(), auth0_jwt::error::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct AsymmetricSignatureVerifier {
    inner: SignatureVerifier,
}

impl AsymmetricSignatureVerifier {
    /// RS256 signatures, keys from `source`.
    pub fn new(source: impl KeySource) -> Self {
        Self::from_shared(Arc::new(source))
    }

    /// RS256 signatures, keys from a shared source.
    pub fn from_shared(source: Arc<dyn KeySource>) -> Self {
        Self {
            inner: SignatureVerifier::new(source, Algorithm::RS256),
        }
    }

    /// RS256 signatures, keys from a key set.
    pub fn from_key_set(keys: KeySet) -> Self {
        Self::new(StaticKeys::new(keys))
    }

    /// RS256 signatures, keys from a JWKS document.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] if the document is not a JWKS.
    pub fn from_jwks_json(json: &str) -> Result<Self, Error> {
        Ok(Self::new(StaticKeys::from_jwks_json(json)?))
    }

    /// RS256 signatures, one public key from PEM.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] if the PEM is not a usable public key.
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        Ok(Self::new(StaticKeys::from_pem(pem)?))
    }

    /// RS256 signatures, keys from the JWKS at `url` (absolute `https://`
    /// URL), fetched and cached through `client`'s HTTP stack by
    /// [`RemoteJwks`](crate::jwks::RemoteJwks) with default settings. For
    /// other settings build a `RemoteJwks` yourself and pass it to
    /// [`AsymmetricSignatureVerifier::new`].
    ///
    /// # Errors
    ///
    /// [`Error::Config`] if the URL is not acceptable (the cause is the
    /// [`JwksBuildError`](crate::jwks::JwksBuildError), via `source()`).
    ///
    /// # Example
    ///
    /// ```no_run
    /// use auth0_core::{client::Auth0Client, config::ClientConfig};
    /// use auth0_jwt::id_token::TokenVerifier;
    /// use auth0_jwt::verifier::AsymmetricSignatureVerifier;
    ///
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = Auth0Client::new(ClientConfig::new("tenant.eu.auth0.com")?)?;
    /// let verifier = TokenVerifier::new(
    ///     AsymmetricSignatureVerifier::from_jwks_url(
    ///         client,
    ///         "https://tenant.eu.auth0.com/.well-known/jwks.json",
    ///     )?,
    ///     "https://tenant.eu.auth0.com/",
    ///     "my-client-id",
    /// )?;
    /// # let _ = verifier;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "remote")]
    pub fn from_jwks_url<S>(
        client: auth0_core::client::Auth0Client<S>,
        url: &str,
    ) -> Result<Self, Error>
    where
        S: tower_service::Service<
                auth0_core::types::HttpRequest,
                Response = auth0_core::types::HttpResponse,
            > + Clone
            + Send
            + Sync
            + 'static,
        S::Error: Into<auth0_core::types::BoxError>,
        S::Future: Send + 'static,
    {
        let jwks = crate::jwks::RemoteJwks::with_url(client, url).map_err(|e| Error::Config {
            reason: "the JWKS URL cannot be used".into(),
            source: Some(Box::new(e)),
        })?;
        Ok(Self::new(jwks))
    }

    /// Expects another asymmetric algorithm (`RS384`, `PS256`, `ES256`, `EdDSA`, …).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for an `HS*` algorithm (use [`SymmetricSignatureVerifier`]).
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Result<Self, Error> {
        if !algorithm.is_asymmetric() {
            return Err(Error::config(format!(
                "{algorithm} is not an asymmetric algorithm; use SymmetricSignatureVerifier"
            )));
        }
        self.inner.algorithm = algorithm;
        Ok(self)
    }

    /// Token parsing limits (e.g. maximum length).
    #[must_use]
    pub fn with_parse_options(mut self, options: ParseOptions) -> Self {
        self.inner.parse_options = options;
        self
    }
}

impl Deref for AsymmetricSignatureVerifier {
    type Target = SignatureVerifier;

    fn deref(&self) -> &SignatureVerifier {
        &self.inner
    }
}

impl From<AsymmetricSignatureVerifier> for SignatureVerifier {
    fn from(v: AsymmetricSignatureVerifier) -> Self {
        v.inner
    }
}

/// Verifies HMAC signatures made with a shared secret (the application's
/// client secret): HS256 by default, HS384/HS512 selectable. The token's
/// `kid`, if any, is ignored.
///
/// Dereferences to [`SignatureVerifier`].
///
/// # Example
///
/// ```
/// use auth0_jwt::alg::Algorithm;
/// use auth0_jwt::verifier::SymmetricSignatureVerifier;
///
/// let verifier = SymmetricSignatureVerifier::new(b"a-long-random-client-secret-0123")?
///     .with_algorithm(Algorithm::HS512)?;
/// assert_eq!(verifier.algorithm(), Algorithm::HS512);
/// # Ok::<(), auth0_jwt::error::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SymmetricSignatureVerifier {
    inner: SignatureVerifier,
}

impl SymmetricSignatureVerifier {
    /// HS256 with `secret`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] if the secret is empty.
    pub fn new(secret: impl AsRef<[u8]>) -> Result<Self, Error> {
        let key = VerifyingKey::hmac(secret.as_ref()).map_err(|e| Error::Config {
            reason: "the shared secret cannot be used".into(),
            source: Some(Box::new(e)),
        })?;
        let source = SharedSecret { key: Arc::new(key) };
        Ok(Self {
            inner: SignatureVerifier::new(Arc::new(source), Algorithm::HS256),
        })
    }

    /// Expects `HS384` or `HS512` instead.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a non-HMAC algorithm.
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Result<Self, Error> {
        if !algorithm.is_symmetric() {
            return Err(Error::config(format!(
                "{algorithm} is not an HMAC algorithm; use AsymmetricSignatureVerifier"
            )));
        }
        self.inner.algorithm = algorithm;
        Ok(self)
    }

    /// Token parsing limits (e.g. maximum length).
    #[must_use]
    pub fn with_parse_options(mut self, options: ParseOptions) -> Self {
        self.inner.parse_options = options;
        self
    }
}

impl Deref for SymmetricSignatureVerifier {
    type Target = SignatureVerifier;

    fn deref(&self) -> &SignatureVerifier {
        &self.inner
    }
}

impl From<SymmetricSignatureVerifier> for SignatureVerifier {
    fn from(v: SymmetricSignatureVerifier) -> Self {
        v.inner
    }
}
