//! Organization policy (Auth0 Organizations): which `org_id` / `org_name` a
//! token may carry. One implementation, used by [`AccessTokenValidator`],
//! [`TokenVerifier`], and per request by the tower layers
//! ([`BearerAuthLayer::organization_resolver`],
//! [`DpopAuthLayer::organization_resolver`]).
//!
//! The policies are those of auth0-api-python's `organization_policy`:
//! organizations allowed (the default: a token with or without an
//! organization), required, denied (`org_id` and `org_name` must be absent),
//! or an allow-list by id (exact) or name (case-insensitive: Auth0 lowercases
//! `org_name`), plus an async callback of your own.
//!
//! [`AccessTokenValidator`]: crate::access_token::AccessTokenValidator
//! [`TokenVerifier`]: crate::id_token::TokenVerifier
//! [`BearerAuthLayer::organization_resolver`]: crate::layer::BearerAuthLayer::organization_resolver
//! [`DpopAuthLayer::organization_resolver`]: crate::dpop::DpopAuthLayer::organization_resolver

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::claims::Claims;
use crate::error::{Error, TokenKind, trunc_opt};

/// A boxed, `Send` future (what [`OrganizationPolicy::Check`] callbacks return).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The async callback of [`OrganizationPolicy::Check`].
pub type OrganizationCheck = Arc<dyn Fn(Arc<Claims>) -> BoxFuture<'static, bool> + Send + Sync>;

/// Which organizations a token may belong to.
///
/// Cheap to clone (an allow-list is shared behind an `Arc`), so a per-request
/// resolver can hand out a prepared policy on every call.
///
/// # Example
///
/// ```
/// use auth0_jwt::organization::OrganizationPolicy;
///
/// let only_two = OrganizationPolicy::allow(["org_abc123", "Acme"]);
/// let personal_only = OrganizationPolicy::Denied;
/// let custom = OrganizationPolicy::check(|claims| async move {
///     claims.org_id().is_some_and(|id| id.ends_with("_paid"))
/// });
/// assert!(OrganizationPolicy::default().is_allowed());
/// # let _ = (only_two, personal_only, custom);
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum OrganizationPolicy {
    /// Any token, with or without an organization (the default).
    #[default]
    Allowed,
    /// The token must carry an `org_id` string.
    Required,
    /// The token must carry neither `org_id` nor `org_name` (an API, or a
    /// host, for personal accounts only).
    Denied,
    /// The token's organization must be in the list: entries starting with
    /// `org_` are compared with `org_id` exactly, others with `org_name`
    /// case-insensitively. Build with [`OrganizationPolicy::allow`] or an
    /// [`OrganizationAllowList`] (which normalises names as it is built).
    AllowList(OrganizationAllowList),
    /// Your own async decision (e.g. a database lookup). Runs on every call,
    /// including cache hits. Build with [`OrganizationPolicy::check`].
    Check(OrganizationCheck),
}

impl OrganizationPolicy {
    /// An [`OrganizationPolicy::AllowList`] of these organization IDs
    /// (`org_…`) and names; see [`OrganizationAllowList::new`].
    pub fn allow<I, S>(organizations: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::AllowList(OrganizationAllowList::new(organizations))
    }

    /// An [`OrganizationPolicy::Check`] from an async closure.
    pub fn check<F, Fut>(check: F) -> Self
    where
        F: Fn(Arc<Claims>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        Self::Check(Arc::new(move |claims| Box::pin(check(claims))))
    }

    /// True for [`OrganizationPolicy::Allowed`] (nothing to check).
    pub fn is_allowed(&self) -> bool {
        matches!(self, Self::Allowed)
    }

    /// True for the async [`OrganizationPolicy::Check`].
    pub fn is_async(&self) -> bool {
        matches!(self, Self::Check(_))
    }

    /// The verdict of every policy but [`OrganizationPolicy::Check`] (which
    /// gives `None`: use [`evaluate`](Self::evaluate)).
    ///
    /// # Errors
    ///
    /// [`Error::OrganizationIdInvalid`] when an organization is required and
    /// `org_id` is missing, [`Error::OrganizationNotAllowed`] when the
    /// organization is denied or not listed.
    pub fn evaluate_now(&self, claims: &Claims, kind: TokenKind) -> Option<Result<(), Error>> {
        let verdict = match self {
            Self::Allowed => Ok(()),
            Self::Check(_) => return None,
            Self::Required => match claims.org_id() {
                Some(_) => Ok(()),
                None => Err(Error::OrganizationIdInvalid { kind }),
            },
            Self::Denied => {
                // Both are typed as strings when the claims are built (any
                // other type is refused there), so "absent" is exact here.
                if claims.org_id().is_some() || claims.org_name().is_some() {
                    Err(not_allowed(claims, kind))
                } else {
                    Ok(())
                }
            }
            Self::AllowList(allowed) => {
                let by_id = claims.org_id().is_some_and(|id| allowed.allows_id(id));
                let by_name = || claims.org_name().is_some_and(|n| allowed.allows_name(n));
                if by_id || by_name() {
                    Ok(())
                } else {
                    Err(not_allowed(claims, kind))
                }
            }
        };
        Some(verdict)
    }

    /// The verdict of any policy, awaiting an [`OrganizationPolicy::Check`].
    ///
    /// # Errors
    ///
    /// As [`evaluate_now`](Self::evaluate_now); a `Check` that answers
    /// `false` is [`Error::OrganizationNotAllowed`].
    pub async fn evaluate(&self, claims: &Arc<Claims>, kind: TokenKind) -> Result<(), Error> {
        match self {
            Self::Check(check) => {
                if check(Arc::clone(claims)).await {
                    Ok(())
                } else {
                    Err(not_allowed(claims, kind))
                }
            }
            sync => sync.evaluate_now(claims, kind).unwrap_or(Ok(())),
        }
    }
}

fn not_allowed(claims: &Claims, kind: TokenKind) -> Error {
    Error::OrganizationNotAllowed {
        kind,
        org_id: trunc_opt(claims.org_id()),
        org_name: trunc_opt(claims.org_name()),
    }
}

impl fmt::Debug for OrganizationPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Allowed => f.write_str("Allowed"),
            Self::Required => f.write_str("Required"),
            Self::Denied => f.write_str("Denied"),
            Self::AllowList(list) => f.debug_tuple("AllowList").field(list).finish(),
            Self::Check(_) => f.write_str("Check(..)"),
        }
    }
}

/// The organizations an [`OrganizationPolicy::AllowList`] admits.
///
/// Entries starting with `org_` are organization IDs, matched against
/// `org_id` exactly (Auth0 IDs are case-sensitive); any other entry is an
/// organization name, matched against `org_name` ignoring case (Auth0 stores
/// names in lower case). Names are lowercased here, when the list is built:
/// a list cannot hold a name that no token could ever match. Clones share
/// the list.
///
/// # Example
///
/// ```
/// use std::collections::HashSet;
/// use auth0_jwt::organization::{OrganizationAllowList, OrganizationPolicy};
///
/// let list = OrganizationAllowList::new(["org_abc123", "Acme"]);
/// assert!(list.allows_id("org_abc123"));
/// assert!(list.allows_name("ACME"));
/// // The same from a set you already have:
/// let set: HashSet<String> = ["Acme".to_owned()].into();
/// let policy = OrganizationPolicy::AllowList(set.into());
/// # let _ = policy;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganizationAllowList {
    inner: Arc<AllowListInner>,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct AllowListInner {
    ids: HashSet<String>,
    /// Lowercased names.
    names: HashSet<String>,
}

impl OrganizationAllowList {
    /// A list of organization IDs (`org_…`) and names (any case).
    pub fn new<I, S>(organizations: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut list = AllowListInner::default();
        for organization in organizations {
            let organization: String = organization.into();
            if organization.starts_with("org_") {
                list.ids.insert(organization);
            } else {
                list.names.insert(organization.to_lowercase());
            }
        }
        Self {
            inner: Arc::new(list),
        }
    }

    /// True if `org_id` is one of the listed IDs (exact match).
    pub fn allows_id(&self, org_id: &str) -> bool {
        self.inner.ids.contains(org_id)
    }

    /// True if `org_name` is one of the listed names, ignoring case. A name
    /// starting with `org_` is never matched (it would pose as an ID).
    pub fn allows_name(&self, org_name: &str) -> bool {
        !org_name.starts_with("org_") && self.inner.names.contains(&org_name.to_lowercase())
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.inner.ids.len() + self.inner.names.len()
    }

    /// True if nothing is listed (nobody is admitted).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<S: Into<String>> FromIterator<S> for OrganizationAllowList {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        Self::new(iter)
    }
}

impl From<HashSet<String>> for OrganizationAllowList {
    fn from(set: HashSet<String>) -> Self {
        Self::new(set)
    }
}
