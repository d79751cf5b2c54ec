//! Several trusted issuers, each with its own keys: one Auth0 tenant behind
//! several custom domains (`https://login.a.com/`, `https://login.b.com/`,
//! the canonical `https://tenant.auth0.com/`), or several tenants.
//!
//! The token's `iss` only *selects* among the issuers configured here; keys
//! are never fetched from anything the token names. An `iss` that is not
//! configured (and that the optional resolver does not vouch for) is refused
//! before any key lookup, so a forged token cannot make the API contact a
//! host of the attacker's choosing.
//!
//! [`AccessTokenValidatorBuilder::issuers`](crate::access_token::AccessTokenValidatorBuilder::issuers)
//! and [`TokenVerifierBuilder::issuers`](crate::id_token::TokenVerifierBuilder::issuers)
//! take an [`Issuers`]; the tower layers use them through the validator.

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, PoisonError, RwLock};

use crate::cache::VerifiedTokenCache;
use crate::claims::{Claims, ParsedClaims, truncate_for_message};
use crate::error::{Error, TokenKind};
use crate::key::KeyFingerprint;
use crate::verifier::KeySource;

/// How many issuers a resolver's answers are remembered for; past it the
/// resolver is asked again on every token (never an unbounded list).
pub const MAX_RESOLVED_ISSUERS: usize = 256;

/// Decides, for an issuer not in the fixed list, whether it is trusted and
/// where its keys come from. Implemented for closures
/// `Fn(&str) -> Option<Arc<dyn KeySource>>`.
///
/// The answer for an issuer is remembered (up to
/// [`MAX_RESOLVED_ISSUERS`]): return the same source for the same issuer,
/// and `None` for anything you do not trust — never build a key source from
/// an arbitrary `iss`.
pub trait IssuerResolver: Send + Sync + 'static {
    /// The key source of `issuer`, or `None` if it is not trusted.
    fn key_source(&self, issuer: &str) -> Option<Arc<dyn KeySource>>;
}

impl<F> IssuerResolver for F
where
    F: Fn(&str) -> Option<Arc<dyn KeySource>> + Send + Sync + 'static,
{
    fn key_source(&self, issuer: &str) -> Option<Arc<dyn KeySource>> {
        self(issuer)
    }
}

/// The trusted issuers of a validator and the key source of each.
///
/// Issuers are compared with the token's `iss` exactly (OIDC Core §3.1.3.7
/// step 2), trailing slash included.
///
/// # Example
///
/// ```
/// use auth0_jwt::issuers::Issuers;
/// use auth0_jwt::verifier::StaticKeys;
/// use auth0_jwt::{AccessTokenValidator, KeySet};
///
/// # fn keys() -> StaticKeys { StaticKeys::new(KeySet::new()) }
/// // One tenant, two custom domains: each issuer has its own key source
/// // (usually a `RemoteJwks` each, e.g. `RemoteJwks::discover`).
/// let issuers = Issuers::new()
///     .issuer("https://login.a.com/", keys())
///     .issuer("https://login.b.com/", keys());
/// let validator = AccessTokenValidator::builder()
///     .issuers(issuers)
///     .audience("https://api.example.com")
///     .build()?;
/// # let _ = validator;
/// # Ok::<(), auth0_jwt::Error>(())
/// ```
#[derive(Default)]
pub struct Issuers {
    fixed: Vec<(String, Arc<dyn KeySource>)>,
    resolver: Option<Arc<dyn IssuerResolver>>,
    resolved: RwLock<Vec<(String, Arc<dyn KeySource>)>>,
}

impl fmt::Debug for Issuers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let resolved: Vec<String> = read(&self.resolved)
            .iter()
            .map(|(i, _)| i.clone())
            .collect();
        f.debug_struct("Issuers")
            .field(
                "fixed",
                &self.fixed.iter().map(|(i, _)| i).collect::<Vec<_>>(),
            )
            .field("resolver", &self.resolver.is_some())
            .field("resolved", &resolved)
            .finish()
    }
}

/// A key source found by [`Issuers::source`]: borrowed from the fixed list
/// or shared from the resolved ones.
pub enum SourceRef<'a> {
    /// One of the fixed issuers'.
    Borrowed(&'a Arc<dyn KeySource>),
    /// One a resolver gave.
    Shared(Arc<dyn KeySource>),
}

impl Deref for SourceRef<'_> {
    type Target = dyn KeySource;

    fn deref(&self) -> &(dyn KeySource + 'static) {
        match self {
            Self::Borrowed(source) => source.as_ref(),
            Self::Shared(source) => source.as_ref(),
        }
    }
}

impl Issuers {
    /// No issuer yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts `issuer`, with keys from `source`.
    #[must_use]
    pub fn issuer(self, issuer: impl Into<String>, source: impl KeySource) -> Self {
        self.shared_issuer(issuer, Arc::new(source))
    }

    /// Trusts `issuer`, with keys from a shared source.
    #[must_use]
    pub fn shared_issuer(mut self, issuer: impl Into<String>, source: Arc<dyn KeySource>) -> Self {
        let issuer = issuer.into();
        self.fixed.retain(|(i, _)| *i != issuer);
        self.fixed.push((issuer, source));
        self
    }

    /// Trusts each of `issuers`, each with its own [`RemoteJwks`] found by
    /// OIDC discovery ([`RemoteJwks::discover`]: the document's `issuer`
    /// must equal the configured one) and its own cache, fetched through
    /// `client` (feature `remote`).
    ///
    /// # Errors
    ///
    /// The [`JwksBuildError`] of the first issuer that is not an absolute
    /// `https` URL (plain `http` only for loopback hosts).
    ///
    /// ```no_run
    /// # use auth0_core::{client::Auth0Client, config::ClientConfig};
    /// use auth0_jwt::issuers::Issuers;
    /// # fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = Auth0Client::new(ClientConfig::new("tenant.eu.auth0.com")?)?;
    /// let issuers = Issuers::discover(
    ///     &client,
    ///     ["https://login.a.com/", "https://login.b.com/", "https://tenant.eu.auth0.com/"],
    /// )?;
    /// # let _ = issuers;
    /// # Ok(()) }
    /// ```
    ///
    /// [`RemoteJwks`]: crate::jwks::RemoteJwks
    /// [`RemoteJwks::discover`]: crate::jwks::RemoteJwks::discover
    /// [`JwksBuildError`]: crate::jwks::JwksBuildError
    #[cfg(feature = "remote")]
    pub fn discover<S, I, T>(
        client: &auth0_core::client::Auth0Client<S>,
        issuers: I,
    ) -> Result<Self, crate::jwks::JwksBuildError>
    where
        S: auth0_core::types::HttpService + Sync,
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let mut out = Self::new();
        for issuer in issuers {
            let issuer = issuer.as_ref();
            let jwks = crate::jwks::RemoteJwks::discover(client.clone(), issuer)?;
            out = out.issuer(issuer, jwks);
        }
        Ok(out)
    }

    /// Asks `resolver` about issuers not in the fixed list (e.g. the custom
    /// domains a database knows). See [`IssuerResolver`].
    #[must_use]
    pub fn resolver(mut self, resolver: impl IssuerResolver) -> Self {
        self.resolver = Some(Arc::new(resolver));
        self
    }

    /// True if nothing is configured (no fixed issuer, no resolver).
    pub fn is_empty(&self) -> bool {
        self.fixed.is_empty() && self.resolver.is_none()
    }

    /// The fixed issuers, in the order they were added.
    pub fn fixed(&self) -> impl Iterator<Item = &str> {
        self.fixed.iter().map(|(i, _)| i.as_str())
    }

    /// The key source of `issuer` if it is trusted: a fixed issuer, else one
    /// the resolver vouched for (asked at most once per issuer while fewer
    /// than [`MAX_RESOLVED_ISSUERS`] are remembered).
    pub fn source(&self, issuer: &str) -> Option<SourceRef<'_>> {
        if let Some((_, source)) = self.fixed.iter().find(|(i, _)| i == issuer) {
            return Some(SourceRef::Borrowed(source));
        }
        let resolver = self.resolver.as_ref()?;
        if let Some((_, source)) = read(&self.resolved).iter().find(|(i, _)| i == issuer) {
            return Some(SourceRef::Shared(Arc::clone(source)));
        }
        let source = resolver.key_source(issuer)?;
        let mut resolved = self
            .resolved
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((_, known)) = resolved.iter().find(|(i, _)| i == issuer) {
            // Another thread resolved it meanwhile: everyone shares one source.
            return Some(SourceRef::Shared(Arc::clone(known)));
        }
        if resolved.len() < MAX_RESOLVED_ISSUERS {
            resolved.push((issuer.to_owned(), Arc::clone(&source)));
        }
        Some(SourceRef::Shared(source))
    }

    /// True if `issuer` is trusted (see [`source`](Self::source)).
    pub fn trusts(&self, issuer: &str) -> bool {
        self.source(issuer).is_some()
    }

    /// Changes whenever any known source's key set changes (the sum of
    /// their versions, which only grow).
    pub fn version(&self) -> u64 {
        let fixed = self
            .fixed
            .iter()
            .fold(0u64, |sum, (_, s)| sum.wrapping_add(s.version()));
        if self.resolver.is_none() {
            return fixed;
        }
        read(&self.resolved)
            .iter()
            .fold(fixed, |sum, (_, s)| sum.wrapping_add(s.version()))
            .wrapping_add(read(&self.resolved).len() as u64)
    }

    /// True if `issuer` is trusted and its source still holds the key `fp`.
    pub fn contains(&self, issuer: &str, fp: &KeyFingerprint) -> bool {
        self.source(issuer).is_some_and(|s| s.contains(fp))
    }

    /// The key source `claims`' (unverified) `iss` selects; an untrusted or
    /// missing `iss` is refused here, before any key lookup.
    pub(crate) fn select(
        &self,
        claims: &ParsedClaims,
        kind: TokenKind,
    ) -> Result<SourceRef<'_>, Error> {
        let iss = claims
            .string("iss")
            .ok()
            .flatten()
            .ok_or(Error::IssuerInvalid { kind })?;
        self.source(iss).ok_or_else(|| Error::IssuerMismatch {
            kind,
            expected: self.describe(),
            found: truncate_for_message(iss),
        })
    }

    /// The configured issuers, for an error message.
    pub(crate) fn describe(&self) -> String {
        let mut out = self
            .fixed
            .iter()
            .map(|(i, _)| i.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        if self.resolver.is_some() {
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str("(resolved issuers)");
        }
        out
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// Whom a validator trusts: one issuer and its keys, or several.
pub(crate) enum Trust {
    Single {
        issuer: String,
        keys: Arc<dyn KeySource>,
    },
    Many(Arc<Issuers>),
}

impl fmt::Debug for Trust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Single { issuer, .. } => fmt::Debug::fmt(issuer, f),
            Self::Many(issuers) => fmt::Debug::fmt(issuers, f),
        }
    }
}

impl Trust {
    /// Changes whenever a key set changes.
    pub(crate) fn version(&self) -> u64 {
        match self {
            Self::Single { keys, .. } => keys.version(),
            Self::Many(issuers) => issuers.version(),
        }
    }

    /// Drops cached tokens whose key left its issuer's key set.
    pub(crate) fn retain(&self, cache: &VerifiedTokenCache<Claims>) {
        match self {
            Self::Single { keys, .. } => cache.retain_keys(|fp| keys.contains(fp)),
            Self::Many(issuers) => cache.retain_entries(|fp, claims| {
                claims.iss().is_some_and(|iss| issuers.contains(iss, fp))
            }),
        }
    }

    /// A cache hit for `token`, if its issuer's keys are current (else the
    /// token is verified in full, which refreshes them first).
    pub(crate) fn cached(
        &self,
        cache: &VerifiedTokenCache<Claims>,
        token: &str,
        now: i64,
    ) -> Option<Arc<Claims>> {
        match self {
            Self::Single { keys, .. } => {
                if !keys.is_current() {
                    return None;
                }
                cache.get(token, now)
            }
            Self::Many(issuers) => {
                let claims = cache.get(token, now)?;
                let current = claims
                    .iss()
                    .and_then(|iss| issuers.source(iss))
                    .is_some_and(|source| source.is_current());
                current.then_some(claims)
            }
        }
    }

    /// The key source for a token with these (unverified) claims: the one
    /// issuer's, or the one its `iss` selects among the trusted issuers. An
    /// untrusted `iss` is refused here, before any key lookup.
    pub(crate) fn select(
        &self,
        parsed: &ParsedClaims,
        kind: TokenKind,
    ) -> Result<SourceRef<'_>, Error> {
        match self {
            Self::Single { keys, .. } => Ok(SourceRef::Borrowed(keys)),
            Self::Many(issuers) => issuers.select(parsed, kind),
        }
    }

    /// `iss` is the issuer, or one of the trusted issuers.
    pub(crate) fn check_issuer(&self, iss: &str, kind: TokenKind) -> Result<(), Error> {
        let (trusted, expected) = match self {
            Self::Single { issuer, .. } => (iss == issuer, issuer.as_str()),
            Self::Many(issuers) => {
                if issuers.trusts(iss) {
                    return Ok(());
                }
                return Err(Error::IssuerMismatch {
                    kind,
                    expected: issuers.describe(),
                    found: truncate_for_message(iss),
                });
            }
        };
        if trusted {
            return Ok(());
        }
        Err(Error::IssuerMismatch {
            kind,
            expected: expected.to_owned(),
            found: truncate_for_message(iss),
        })
    }
}
