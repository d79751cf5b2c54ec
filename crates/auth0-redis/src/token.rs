//! [`RedisTokenSource`]: one machine-to-machine token for the whole fleet.
//!
//! The token lives under `{prefix}:token:{issuer}:{audience}:{client_id}`
//! (each part percent-encoded, so `:` never collides) with a Redis TTL that
//! ends at the token's expiry. When it is missing or due for an early
//! refresh, one instance takes the lock `…:lock` with `SET NX PX lease`
//! and a random owner, asks the inner source, publishes the token and
//! releases the lock with a compare-and-delete script (it only deletes its
//! own lock: a holder slower than its lease cannot release a successor's).
//! While its fetch runs the holder renews the lease (a fetch through the
//! default stack may retry for up to its 90 s deadline, far past a 10 s
//! lease), up to `max_wait`, after which nobody waits for it anyway. A
//! holder whose future is dropped releases the lock from a spawned task; one
//! that dies leaves a lock that expires after the lease. The
//! others keep using a still-valid token meanwhile, or, with none, poll with
//! backoff until it appears or the lock is free to take (one that appears
//! already due is taken as on arrival: refreshed, or used meanwhile).
//!
//! The token is due for refresh `refresh_before` ahead of its expiry, but
//! never earlier than half the life it had left when it was stored: a
//! token shorter-lived than the lead would otherwise be due the moment it
//! is published, and every instance, every call, would fetch another.
//!
//! Redis down or slow: the source serves the copy it holds of the key's
//! token (the last one it read, published or fetched) while that is not
//! due; else it asks the inner source directly and tries once to publish
//! what it got (`SET NX`: a token already there is not replaced). One the
//! fleet has not seen yet is published by the next call that finds Redis
//! answering without a fresh token (under the lock, instead of a fetch),
//! so the fleet converges on one token again; see [`Fleet`].

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::task::Poll;
use std::time::Duration;

use auth0_authentication::token_source::{
    AccessTokenSource, IssuedToken, TokenFuture, TokenRequest,
};
use auth0_core::client::percent_encode_into;
use auth0_jwt::clock::{Clock, SystemClock};
use ring::rand::{SecureRandom, SystemRandom};
use tokio::time::Instant;

use crate::error::FleetError;
use crate::fleet::{Fleet, FleetStatus};
use crate::seal::SealingKey;

/// Marker of a token stored in the clear: `p1.{payload}`.
const PLAIN: &str = "p1.";

/// Tag of the payload this version writes (in the clear after [`PLAIN`],
/// or sealed): `v2:{stored_at}:{expires_at}:{token}`, `stored_at` the
/// writer's time of the publish. A payload without it is a previous
/// version's `{expires_at}:{token}`; a previous version reading this one
/// finds no number before the first `:` and treats it as missing.
const V2: &str = "v2:";

/// Deletes the lock only if it still holds this owner's value.
const RELEASE: &str = r"if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// Extends the lock's lease (ARGV[2] ms) only if it still holds this
/// owner's value: a holder that lost its lock never extends a successor's.
const RENEW: &str = r"if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0";

/// The scripts, hashed once.
static RELEASE_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(RELEASE));
static RENEW_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(RENEW));

/// Runs the compare-and-delete release of `lock` for `owner`, even right
/// after a Redis failure (when other calls stay local for the fleet's
/// `retry_interval`): a lock left behind makes every other instance wait
/// out its lease, so a release is worth one try (bounded by `op_timeout`).
async fn release(fleet: &Fleet, lock: &str, owner: &str) {
    let _: Option<i64> = fleet
        .run_now("release lock", |mut c| async move {
            RELEASE_SCRIPT
                .key(lock)
                .arg(owner)
                .invoke_async(&mut c)
                .await
        })
        .await;
}

/// The refresh lock while this instance holds it, or may: it is armed
/// before the `SET NX` is sent, since Redis may take the lock for a call
/// that is dropped before the answer arrives.
///
/// Dropped before [`release`](Self::release) ran to its end (the caller's
/// future was dropped while taking the lock or mid-fetch: a timeout, a
/// cancelled request), it releases the lock from a spawned task, so the
/// other instances do not wait out the lease for a fetch nobody will
/// finish. A release of a lock this owner never took, or a second release
/// after a completed one, is harmless: it deletes only this owner's value.
struct HeldLock {
    fleet: Fleet,
    lock: String,
    owner: String,
    released: bool,
}

impl HeldLock {
    async fn release(mut self) {
        release(&self.fleet, &self.lock, &self.owner).await;
        self.released = true;
    }

    /// Redis answered that another owner holds the lock: nothing to release.
    fn not_taken(mut self) {
        self.released = true;
    }
}

impl Drop for HeldLock {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        // Outside a runtime nothing can run the release: the lease ends it.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let fleet = self.fleet.clone();
        let (lock, owner) = (
            std::mem::take(&mut self.lock),
            std::mem::take(&mut self.owner),
        );
        runtime.spawn(async move { release(&fleet, &lock, &owner).await });
    }
}

/// A token source whose token is shared through Redis by every instance.
///
/// Give it to the Management client (`ManagementClient::builder(..)
/// .access_token_source(..)`, whose in-process cache sits in front) or to
/// anything else that takes an [`AccessTokenSource`]; the inner source (usually
/// [`ClientCredentialsSource`](auth0_authentication::token_source::ClientCredentialsSource))
/// is asked once for the whole fleet.
///
/// ```no_run
/// use auth0_authentication::ClientCredentials;
/// use auth0_authentication::token_source::ClientCredentialsSource;
/// use auth0_core::{Auth0Client, ClientConfig};
/// use auth0_management::ManagementClient;
/// use auth0_redis::{Fleet, RedisTokenSource, SealingKey};
///
/// let http = Auth0Client::new(ClientConfig::new("tenant.eu.auth0.com")?)?;
/// let grant = ClientCredentialsSource::new(
///     http.clone(),
///     ClientCredentials::client_secret("client-id", "client-secret"),
/// );
/// let fleet = Fleet::builder("redis://10.0.0.5:6379/").build()?;
/// let shared = RedisTokenSource::builder(fleet, grant)
///     .sealing_key(SealingKey::aes_256_gcm(&[0u8; 32])) // your key, from your secrets store
///     .build()?;
/// let auth0 = ManagementClient::builder(http)
///     .access_token_source("client-id", shared)
///     .build()?;
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
pub struct RedisTokenSource {
    fleet: Fleet,
    inner: Arc<dyn AccessTokenSource>,
    seal: Option<SealingKey>,
    refresh_before: i64,
    lease: Duration,
    max_wait: Duration,
    clock: Arc<dyn Clock>,
    rng: SystemRandom,
    fetches: AtomicU64,
    local_fetches: AtomicU64,
    /// This instance's copy of each key's token, served while Redis fails.
    /// Never shown (not in `Debug`).
    held: Mutex<HashMap<String, Held>>,
}

impl fmt::Debug for RedisTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTokenSource")
            .field("fleet", &self.fleet)
            .field("sealed", &self.seal.is_some())
            .field("refresh_before_secs", &self.refresh_before)
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

/// Settings of a [`RedisTokenSource`]; see [`RedisTokenSource::builder`].
pub struct RedisTokenSourceBuilder {
    fleet: Fleet,
    inner: Arc<dyn AccessTokenSource>,
    seal: Option<SealingKey>,
    refresh_before: Duration,
    lease: Duration,
    max_wait: Option<Duration>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for RedisTokenSourceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTokenSourceBuilder")
            .field("fleet", &self.fleet)
            .field("sealed", &self.seal.is_some())
            .finish_non_exhaustive()
    }
}

const DAY: Duration = Duration::from_secs(86_400);

impl RedisTokenSourceBuilder {
    /// Seal the token at rest with `key` (every instance needs the same
    /// key). Without it the token is stored in the clear.
    pub fn sealing_key(mut self, key: SealingKey) -> Self {
        self.seal = Some(key);
        self
    }

    /// Refresh the shared token this long before it expires (default
    /// 5 min), or half-way through the life it had left when it was
    /// stored if that comes later: a token that lives no longer than the
    /// lead is not due the moment it is published. Keep it above the 60 s
    /// the Management client's own cache refreshes early, so an instance is
    /// never handed a token it already considers due.
    pub fn refresh_before(mut self, lead: Duration) -> Self {
        self.refresh_before = lead;
        self
    }

    /// How long the refresh lock lasts (default 10 s): a holder that dies
    /// blocks the others at most this long.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How long an instance with no usable token waits for another's fetch
    /// before fetching on its own (default twice the lease).
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = Some(wait);
        self
    }

    /// The clock that dates expiries (default the system clock); give the
    /// same one as the Management client's.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Checks the durations (each positive and below a day; the refresh
    /// lead may be zero; the lease at least a millisecond, the unit of its
    /// `PX`: a shorter one would be `PX 0`, which Redis refuses, and every
    /// instance would go local).
    pub fn build(self) -> Result<RedisTokenSource, FleetError> {
        let max_wait = self.max_wait.unwrap_or(self.lease.saturating_mul(2));
        for (what, d, least) in [
            ("lease", self.lease, Duration::from_millis(1)),
            ("max_wait", max_wait, Duration::ZERO),
            ("refresh_before", self.refresh_before, Duration::ZERO),
        ] {
            if d < least || d >= DAY {
                return Err(FleetError::InvalidDuration { what });
            }
        }
        let refresh_before = i64::try_from(self.refresh_before.as_secs()).map_err(|_| {
            FleetError::InvalidDuration {
                what: "refresh_before",
            }
        })?;
        Ok(RedisTokenSource {
            fleet: self.fleet,
            inner: self.inner,
            seal: self.seal,
            refresh_before,
            lease: self.lease,
            max_wait,
            clock: self.clock,
            rng: SystemRandom::new(),
            fetches: AtomicU64::new(0),
            local_fetches: AtomicU64::new(0),
            held: Mutex::new(HashMap::new()),
        })
    }
}

/// The copy of a key's token this instance holds: the last one it read
/// from Redis, published there, or fetched while Redis failed.
struct Held {
    token: IssuedToken,
    /// When it was stored (or fetched), the writer's clock; `None` for a
    /// previous version's value.
    stored_at: Option<i64>,
    /// Fetched while Redis failed and not in Redis yet: published by the
    /// next call that finds Redis answering without a fresh token.
    unpublished: bool,
}

/// Where a token stands: by the reader's clock, with the lead of
/// [`RedisTokenSource::lead`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Age {
    Expired,
    Due,
    Fresh,
}

/// What Redis holds for a key.
enum Stored {
    /// Nothing usable (absent, unreadable, expired).
    Missing,
    /// Valid and not due for refresh.
    Fresh(IssuedToken),
    /// Valid, but inside the early-refresh window.
    Due(IssuedToken),
}

impl RedisTokenSource {
    /// A shared source on `fleet` in front of `inner`.
    pub fn builder(fleet: Fleet, inner: impl AccessTokenSource) -> RedisTokenSourceBuilder {
        RedisTokenSourceBuilder {
            fleet,
            inner: Arc::new(inner),
            seal: None,
            refresh_before: Duration::from_secs(300),
            lease: Duration::from_secs(10),
            max_wait: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// Shared or local, as of the last Redis call.
    pub fn status(&self) -> FleetStatus {
        self.fleet.status()
    }

    /// The fleet handle.
    pub fn fleet(&self) -> &Fleet {
        &self.fleet
    }

    /// Times this instance asked the inner source (shared and local).
    pub fn inner_fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// Of those, the ones made without Redis (fallback).
    pub fn local_fetches(&self) -> u64 {
        self.local_fetches.load(Ordering::Relaxed)
    }

    /// The Redis key of `request`'s token.
    pub fn key(&self, request: &TokenRequest) -> String {
        let mut key = format!("{}:token:", self.fleet.prefix());
        percent_encode_into(&mut key, &request.issuer);
        key.push(':');
        percent_encode_into(&mut key, &request.audience);
        key.push(':');
        percent_encode_into(&mut key, &request.client_id);
        key
    }

    /// The stored value of `token`, published at `stored_at`.
    fn encode(&self, key: &str, token: &IssuedToken, stored_at: i64) -> Option<String> {
        let plain = format!(
            "{V2}{stored_at}:{}:{}",
            token.expires_at(),
            token.access_token()
        );
        match &self.seal {
            Some(seal) => seal.seal(key, &plain),
            None => Some(format!("{PLAIN}{plain}")),
        }
    }

    /// The token and `stored_at` of a stored value; `None` for a value this
    /// instance cannot open or read.
    fn decode(&self, key: &str, value: &[u8]) -> Option<(IssuedToken, Option<i64>)> {
        // Not UTF-8: not a value this crate wrote (both forms are ASCII).
        let value = std::str::from_utf8(value).ok();
        let plain = match (&self.seal, value) {
            (Some(seal), Some(value)) => seal.open(key, value),
            (None, Some(value)) => value.strip_prefix(PLAIN).map(str::to_owned),
            (_, None) => None,
        };
        let Some(plain) = plain else {
            // Written with another key or without sealing: replaced by the
            // next fetch. Nothing of the value is logged.
            tracing::warn!(target: "auth0_redis", "the shared token does not open with this instance's settings");
            return None;
        };
        let (stored_at, expires_at, token) = parse_payload(&plain)?;
        Some((IssuedToken::new(token, expires_at), stored_at))
    }

    /// Expired, due for refresh, or fresh, now.
    fn age(&self, token: &IssuedToken, stored_at: Option<i64>) -> Age {
        let (now, expires_at) = (self.clock.now(), token.expires_at());
        if expires_at <= now {
            Age::Expired
        } else if expires_at.saturating_sub(self.lead(stored_at, expires_at)) > now {
            Age::Fresh
        } else {
            Age::Due
        }
    }

    /// Keeps `held` as this instance's copy of `key`'s token (and drops
    /// the expired ones). A token read from Redis that is not fresh does not
    /// replace a fresh one of ours the fleet has not seen: that one is
    /// about to be published instead of a fetch.
    fn keep(&self, key: &str, held: Held) {
        let now = self.clock.now();
        let mut all = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        all.retain(|_, h| h.token.expires_at() > now);
        if let Some(ours) = all.get(key)
            && ours.unpublished
            && !held.unpublished
            && self.age(&ours.token, ours.stored_at) == Age::Fresh
            && self.age(&held.token, held.stored_at) != Age::Fresh
        {
            return;
        }
        all.insert(key.to_owned(), held);
    }

    /// This instance's copy of `key`'s token, if still valid: the token,
    /// its age, and whether the fleet has yet to see it.
    fn held(&self, key: &str) -> Option<(IssuedToken, Age, bool)> {
        let all = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let held = all.get(key)?;
        let age = self.age(&held.token, held.stored_at);
        (age != Age::Expired).then(|| (held.token.clone(), age, held.unpublished))
    }

    /// Our fresh token the fleet has not seen, if any, with when it was
    /// fetched.
    fn unpublished(&self, key: &str) -> Option<(IssuedToken, Option<i64>)> {
        let all = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let held = all.get(key)?;
        (held.unpublished && self.age(&held.token, held.stored_at) == Age::Fresh)
            .then(|| (held.token.clone(), held.stored_at))
    }

    /// How long before `expires_at` a stored token is due: `refresh_before`,
    /// at most half the life it had left when stored (`stored_at`, the
    /// writer's clock like `expires_at`, so the reader's clock does not
    /// enter). node-auth0's cached token provider drops its 10 s lead for
    /// a token of 10 s or less; half the life keeps some lead for a retry
    /// of a failed refresh and still serves every token for at least half
    /// its life. A previous version's value (no `stored_at`): as it did,
    /// `refresh_before`.
    fn lead(&self, stored_at: Option<i64>, expires_at: i64) -> i64 {
        match stored_at {
            Some(at) => self
                .refresh_before
                .min(expires_at.saturating_sub(at).max(0) / 2),
            None => self.refresh_before,
        }
    }

    /// `GET key`; `None` when Redis is unavailable.
    ///
    /// Read as bytes, and a value of another type counts as missing: a
    /// foreign value under the key is replaced by the next publish (`SET`
    /// overwrites any type). As a failed call it would send every instance
    /// local, the rate limiter on the same [`Fleet`] too, for as long as
    /// the value stayed.
    async fn read(&self, key: &str) -> Option<Stored> {
        let value: Option<Option<Vec<u8>>> = self
            .fleet
            .run("get token", |mut c| async move {
                match redis::cmd("GET").arg(key).query_async(&mut c).await {
                    Err(e) if e.code() == Some("WRONGTYPE") => Ok(None),
                    other => other,
                }
            })
            .await;
        value.map(|v| {
            let Some((token, stored_at)) = v.and_then(|v| self.decode(key, &v)) else {
                return Stored::Missing;
            };
            let age = self.age(&token, stored_at);
            if age != Age::Expired {
                let held = Held {
                    token: token.clone(),
                    stored_at,
                    unpublished: false,
                };
                self.keep(key, held);
            }
            match age {
                Age::Expired => Stored::Missing,
                Age::Due => Stored::Due(token),
                Age::Fresh => Stored::Fresh(token),
            }
        })
    }

    /// Redis failed (or the fleet's fetch never came, after `max_wait`):
    /// the token this instance holds while it is fresh, else the inner
    /// source directly (a still-valid held token if that fails).
    /// A token fetched so is kept, so later calls of a blip do not fetch
    /// again, and published if Redis answers this one try (`SET NX`, even
    /// while a recent failure keeps other calls off Redis: a blip is often
    /// over by the time the fetch is); else the next call that finds Redis
    /// answering without a fresh token publishes it.
    async fn on_its_own(
        &self,
        request: &TokenRequest,
        key: &str,
    ) -> Result<IssuedToken, auth0_core::types::BoxError> {
        let held = match self.held(key) {
            Some((t, Age::Fresh, _)) => return Ok(t),
            Some((t, _, _)) => Some(t),
            None => None,
        };
        self.fetches.fetch_add(1, Ordering::Relaxed);
        self.local_fetches.fetch_add(1, Ordering::Relaxed);
        let fetched = self.inner.access_token(request).await;
        if let Ok(token) = &fetched {
            let stored_at = self.clock.now();
            let published = self.store(key, token, stored_at, Write::IfAbsent).await;
            let held = Held {
                token: token.clone(),
                stored_at: Some(stored_at),
                unpublished: !published,
            };
            self.keep(key, held);
        }
        self.or_still_valid(fetched, held)
    }

    fn owner(&self) -> Option<String> {
        let mut raw = [0u8; 16];
        self.rng.fill(&mut raw).ok()?;
        Some(raw.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Holding the lock: fetch (renewing the lease), publish, release.
    /// `due`: the stored token found due for refresh, if any.
    async fn fetch_as_holder(
        &self,
        request: &TokenRequest,
        key: &str,
        held: HeldLock,
        due: Option<&IssuedToken>,
    ) -> Result<IssuedToken, auth0_core::types::BoxError> {
        match self.read(key).await {
            // Another holder may have published between our read and our lock.
            Some(Stored::Fresh(t)) => {
                held.release().await;
                return Ok(t);
            }
            // Redis failed: a token fetched now could not be shared. A
            // still-valid one is served; a later call refreshes it through
            // the lock. Only without one does this instance fetch.
            None => {
                if let Some(t) = due.filter(|t| t.expires_at() > self.clock.now()) {
                    held.release().await;
                    return Ok(t.clone());
                }
            }
            Some(_) => {}
        }
        // A fresh token of ours the fleet has not seen (fetched while Redis
        // failed): published instead of another fetch.
        let (result, stored_at) = match self.unpublished(key) {
            Some((ours, fetched_at)) => (Ok(ours), fetched_at),
            None => {
                self.fetches.fetch_add(1, Ordering::Relaxed);
                let fetched = self.renewing(&held, self.inner.access_token(request)).await;
                (fetched, None)
            }
        };
        if let Ok(token) = &result {
            let stored_at = stored_at.unwrap_or_else(|| self.clock.now());
            let published = self.store(key, token, stored_at, Write::Always).await;
            let kept = Held {
                token: token.clone(),
                stored_at: Some(stored_at),
                unpublished: !published,
            };
            self.keep(key, kept);
        }
        held.release().await;
        result
    }

    /// Stores `token` under `key` until it expires, dated `stored_at`;
    /// whether Redis took it. Tried even while a recent failure keeps the
    /// instance's other calls off Redis (`retry_interval`): a token the
    /// fleet waits for (or would otherwise fetch again) is worth one try,
    /// bounded by `op_timeout`. A fetch may last long enough for any call
    /// on the same [`Fleet`] (a lease renewal, the rate limiter) to fail
    /// meanwhile: skipped then, the token was kept from the fleet, which
    /// fetched another once the lock was free.
    async fn store(&self, key: &str, token: &IssuedToken, stored_at: i64, write: Write) -> bool {
        let ttl_ms = token
            .expires_at()
            .saturating_sub(self.clock.now())
            .saturating_mul(1000);
        let Some(value) = self.encode(key, token, stored_at).filter(|_| ttl_ms > 0) else {
            return false;
        };
        let stored: Option<Option<String>> = self
            .fleet
            .run_now("publish token", |mut c| async move {
                let mut set = redis::cmd("SET");
                set.arg(key).arg(value).arg("PX").arg(ttl_ms);
                if write == Write::IfAbsent {
                    set.arg("NX");
                }
                set.query_async(&mut c).await
            })
            .await;
        matches!(stored, Some(Some(_)))
    }

    /// Runs `fetch` while renewing `held`'s lease, in the same future: a
    /// dropped fetch stops renewing (no task outlives it).
    async fn renewing<T>(&self, held: &HeldLock, fetch: impl Future<Output = T>) -> T {
        let mut fetch = pin!(fetch);
        let mut renew = pin!(self.keep_lease(held));
        std::future::poll_fn(|cx| {
            if let Poll::Ready(out) = fetch.as_mut().poll(cx) {
                return Poll::Ready(out);
            }
            // Never ready: it parks itself once it stops renewing.
            let _ = renew.as_mut().poll(cx);
            Poll::Pending
        })
        .await
    }

    /// Extends the lease every third of it, so it never lapses under a live
    /// holder; stops once the lock is someone else's, or after `max_wait`
    /// (the others fetch on their own by then: holding on gains nothing).
    async fn keep_lease(&self, held: &HeldLock) {
        let every = self.lease / 3;
        let lease_ms = u64::try_from(self.lease.as_millis()).unwrap_or(u64::MAX);
        let until = Instant::now() + self.max_wait;
        loop {
            tokio::time::sleep(every).await;
            if Instant::now() >= until {
                break;
            }
            let (lock, owner) = (held.lock.as_str(), held.owner.as_str());
            let renewed: Option<i64> = self
                .fleet
                .run("renew lock", |mut c| async move {
                    RENEW_SCRIPT
                        .key(lock)
                        .arg(owner)
                        .arg(lease_ms)
                        .invoke_async(&mut c)
                        .await
                })
                .await;
            if renewed == Some(0) {
                break;
            }
        }
        std::future::pending::<()>().await;
    }

    /// A failed refresh of a `due` token that is still valid: the token is
    /// served until it expires (the next caller tries again), as the
    /// Management client's own cache does.
    fn or_still_valid(
        &self,
        fetched: Result<IssuedToken, auth0_core::types::BoxError>,
        due: Option<IssuedToken>,
    ) -> Result<IssuedToken, auth0_core::types::BoxError> {
        match (fetched, due) {
            (Err(_), Some(t)) if t.expires_at() > self.clock.now() => {
                // Not the error: its text may quote the token endpoint.
                tracing::warn!(
                    target: "auth0_redis",
                    "refreshing the shared token failed: the current one is used until it expires"
                );
                Ok(t)
            }
            (fetched, _) => fetched,
        }
    }

    async fn shared(
        &self,
        request: &TokenRequest,
    ) -> Result<IssuedToken, auth0_core::types::BoxError> {
        let key = self.key(request);
        let mut due = match self.read(&key).await {
            None => return self.on_its_own(request, &key).await,
            Some(Stored::Fresh(t)) => return Ok(t),
            Some(Stored::Due(t)) => Some(t),
            Some(Stored::Missing) => None,
        };
        // A fresh token of ours the fleet has not seen: published under the
        // lock below, and good meanwhile while another instance holds it.
        if let Some((ours, _)) = self.unpublished(&key) {
            due = Some(ours);
        }
        let lock = format!("{key}:lock");
        let Some(owner) = self.owner() else {
            return self.on_its_own(request, &key).await;
        };
        let lease_ms = u64::try_from(self.lease.as_millis()).unwrap_or(u64::MAX);
        let deadline = Instant::now() + self.max_wait;
        let mut pause = Duration::from_millis(10);
        loop {
            // Armed before the `SET NX` goes out: a call dropped while it is
            // in flight, which Redis may have answered by taking the lock,
            // releases it instead of leaving the fleet waiting out the lease.
            let held = HeldLock {
                fleet: self.fleet.clone(),
                lock: lock.clone(),
                owner: owner.clone(),
                released: false,
            };
            let taken: Option<Option<String>> = self
                .fleet
                .run("take lock", |mut c| {
                    let (lock, owner) = (lock.clone(), owner.clone());
                    async move {
                        redis::cmd("SET")
                            .arg(lock)
                            .arg(owner)
                            .arg("NX")
                            .arg("PX")
                            .arg(lease_ms)
                            .query_async(&mut c)
                            .await
                    }
                })
                .await;
            match taken {
                None => {
                    // The lock may be ours all the same (a timeout after
                    // Redis ran the `SET`): released in the background.
                    drop(held);
                    return match due {
                        Some(t) if t.expires_at() > self.clock.now() => Ok(t),
                        _ => self.on_its_own(request, &key).await,
                    };
                }
                Some(Some(_)) => {
                    let fetched = self
                        .fetch_as_holder(request, &key, held, due.as_ref())
                        .await;
                    return self.or_still_valid(fetched, due);
                }
                Some(None) => held.not_taken(),
            }
            // Another instance is refreshing: a still-valid token will do.
            if let Some(t) = &due
                && t.expires_at() > self.clock.now()
            {
                return Ok(t.clone());
            }
            if Instant::now() >= deadline {
                tracing::warn!(
                    target: "auth0_redis",
                    "no shared token after waiting for another instance's fetch: fetching locally"
                );
                return self.on_its_own(request, &key).await;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(200));
            match self.read(&key).await {
                None => return self.on_its_own(request, &key).await,
                Some(Stored::Fresh(t)) => return Ok(t),
                // Published meanwhile, but already due (the publisher's
                // clock behind this one's, or a short life): as on arrival,
                // refresh it if the lock is free, else use it meanwhile.
                Some(Stored::Due(t)) => due = Some(t),
                Some(Stored::Missing) => {}
            }
        }
    }
}

/// How [`RedisTokenSource::store`] writes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Write {
    /// Under the lock: replaces whatever is there.
    Always,
    /// Without the lock (a token fetched while Redis failed): only where
    /// no token is, so a token another instance published meanwhile stays
    /// the fleet's.
    IfAbsent,
}

/// A stored payload (opened, marker removed): `(stored_at, expires_at,
/// token)`, `stored_at` `None` for a previous version's
/// `{expires_at}:{token}`; `None` for anything else.
fn parse_payload(plain: &str) -> Option<(Option<i64>, i64, &str)> {
    let (stored_at, rest) = match plain.strip_prefix(V2) {
        Some(rest) => {
            let (at, rest) = rest.split_once(':')?;
            (Some(at.parse::<i64>().ok()?), rest)
        }
        None => (None, plain),
    };
    let (exp, token) = rest.split_once(':')?;
    let expires_at = exp.parse::<i64>().ok()?;
    (!token.is_empty()).then_some((stored_at, expires_at, token))
}

impl AccessTokenSource for RedisTokenSource {
    fn access_token<'a>(&'a self, request: &'a TokenRequest) -> TokenFuture<'a> {
        Box::pin(self.shared(request))
    }
}
