//! The concurrency core of [`RemoteJwks`](super::RemoteJwks): the current key
//! set, its age, and single-flight fetching.
//!
//! - The current [`Snapshot`] sits in an `ArcSwapOption`: a verification under
//!   a warm cache loads it without taking any lock, so lookups scale across
//!   cores and a fetch never blocks them.
//! - At most one fetch runs at a time. It runs in its own Tokio task and
//!   publishes its outcome on a `watch` channel; every caller that needs it
//!   waits on that channel. A caller that gives up (its future is dropped)
//!   leaves the fetch running for the others; a fetch task that dies clears
//!   its slot through a drop guard, so nobody waits on it forever.
//! - When a fetch may start is decided in one place, [`Store::fetch_allowed`],
//!   under the small `flight` mutex (held only for bookkeeping, never across
//!   an `.await`).
//! - Whether the keys at hand may accept a token without a fetch is one
//!   atomic, `usable_until` (nanoseconds since the store was made), compared
//!   with the clock: the end of the TTL after a successful fetch; after a
//!   failed one, the next retry (one cooldown later) but never past
//!   `fetched_at + ttl + stale_if_error` (stale-if-error, bounded).

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use super::clock::MonotonicClock;
use super::error::JwksFetchError;
use super::fetch::{Fetch, Fetched, parse_response};
use super::status::JwksStatus;
use crate::alg::Algorithm;
use crate::claims::truncate_for_message;
use crate::key::{KeyError, KeyFingerprint, KeySet, VerifyingKey};
use crate::verifier::KeySourceError;

/// The shortest pause between two background refresh attempts, so a tiny TTL
/// or a zero cooldown cannot turn the refresh task into a busy loop.
const MIN_BACKGROUND_PAUSE: Duration = Duration::from_millis(100);

/// How long to wait after a failed fetch while no key set has ever been
/// fetched (when it is shorter than the cooldown). With no keys every token
/// fails, so a start-up blip must not cost a whole cooldown; single flight
/// still bounds the load on the tenant to one fetch per this interval.
const NO_KEYS_RETRY_AFTER: Duration = Duration::from_secs(1);

/// How the cache is tuned (validated by the builder).
#[derive(Debug, Clone)]
pub(super) struct Settings {
    pub(super) ttl: Duration,
    pub(super) cooldown: Duration,
    pub(super) fetch_timeout: Duration,
    pub(super) max_body_size: usize,
    /// How long past its TTL a key set may still be served while refreshes
    /// fail.
    pub(super) stale_if_error: Duration,
}

/// One fetched key set and when it was fetched.
struct Snapshot {
    keys: Arc<KeySet>,
    fingerprints: HashSet<KeyFingerprint>,
    fetched_at: Instant,
}

/// The result of one fetch, shared by everyone who waited for it.
type Outcome = Result<(), JwksFetchError>;

/// What made a caller want a fetch; decides whether one may start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    /// No key set has been fetched yet.
    NoKeys,
    /// The current key set is older than the TTL.
    Expired,
    /// A token names a key the current (fresh) set does not have.
    UnknownKid,
    /// The background task's refresh-ahead.
    Background,
    /// An explicit `refresh()` call.
    Forced,
}

impl Trigger {
    /// The `auth0.jwks.reason` of a fetch.
    fn name(self) -> &'static str {
        match self {
            Trigger::NoKeys => "no_keys",
            Trigger::Expired => "expired",
            Trigger::UnknownKid => "unknown_kid",
            Trigger::Background => "background",
            Trigger::Forced => "forced",
        }
    }
}

/// The host of `url`, for `server.address`.
fn host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    }
}

/// The last finished fetch attempt.
struct Attempt {
    at: Instant,
    error: Option<JwksFetchError>,
}

/// Bookkeeping for single flight, behind a std mutex held only briefly.
#[derive(Default)]
struct Flight {
    /// The outcome channel of the fetch now running, if any.
    running: Option<watch::Receiver<Option<Outcome>>>,
    last: Option<Attempt>,
    /// Failed fetches since the last successful one.
    failures: u32,
}

/// What [`Store::join_or_start`] decided.
enum Join {
    /// A fetch is running (maybe just started): wait for its outcome.
    Wait(watch::Receiver<Option<Outcome>>),
    /// No fetch now (cooldown, back-off, or the keys are fresh again); the
    /// error of the last attempt if it failed.
    Skipped(Option<JwksFetchError>),
}

/// The shared state behind every clone of a `RemoteJwks`.
pub(super) struct Store {
    url: String,
    fetcher: Box<dyn Fetch>,
    settings: Settings,
    clock: Arc<dyn MonotonicClock>,
    current: ArcSwapOption<Snapshot>,
    version: AtomicU64,
    /// The instant `usable_until` counts from.
    epoch: Instant,
    /// Until when (nanoseconds after `epoch`, exclusive) the current keys may
    /// accept tokens without a fetch; 0 before the first successful fetch,
    /// `u64::MAX` for "as long as the program runs".
    usable_until: AtomicU64,
    flight: Mutex<Flight>,
    /// Dropping this (with the store) tells the background task to stop.
    _stop_background: Option<oneshot::Sender<()>>,
}

impl Store {
    /// Creates the store; with `background`, also spawns the refresh task
    /// on the current Tokio runtime (which must exist).
    pub(super) fn new(
        url: String,
        fetcher: Box<dyn Fetch>,
        settings: Settings,
        clock: Arc<dyn MonotonicClock>,
        background: Option<tokio::runtime::Handle>,
    ) -> Arc<Self> {
        let (stop_tx, stop_rx) = match background {
            Some(_) => {
                let (tx, rx) = oneshot::channel();
                (Some(tx), Some(rx))
            }
            None => (None, None),
        };
        let epoch = clock.now();
        let store = Arc::new(Self {
            url,
            fetcher,
            settings,
            clock,
            current: ArcSwapOption::empty(),
            version: AtomicU64::new(0),
            epoch,
            usable_until: AtomicU64::new(0),
            flight: Mutex::new(Flight::default()),
            _stop_background: stop_tx,
        });
        if let (Some(handle), Some(stop_rx)) = (background, stop_rx) {
            handle.spawn(background_refresh(Arc::downgrade(&store), stop_rx));
        }
        store
    }

    pub(super) fn url(&self) -> &str {
        &self.url
    }

    pub(super) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The key if the current set has it and may accept tokens right now
    /// (see [`Store::is_current`]). No I/O, no lock.
    pub(super) fn cached_key(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Option<Arc<VerifyingKey>> {
        // OIDC Core 1.0 §10.1: with several keys in a JWK Set "a kid value
        // MUST be provided in the JOSE Header", and Auth0 always sets one. A
        // token without `kid` is never matched to a fetched key by
        // elimination (RFC 7515 §4.1.4 makes `kid` the only link between a
        // token and a JWK; a set that shrinks to one key must not start
        // accepting kid-less tokens).
        let kid = kid?;
        if !self.is_current() {
            return None;
        }
        self.current.load().as_ref()?.keys.find(Some(kid), alg).ok()
    }

    /// True if the current keys may accept a token without a fetch first: a
    /// set younger than the TTL, or an older one still inside its
    /// stale-if-error window while the last refresh failed less than a
    /// cooldown ago. One clock read and one atomic load: this is on every
    /// verification.
    pub(super) fn is_current(&self) -> bool {
        self.usable_at(self.clock.now())
    }

    fn usable_at(&self, now: Instant) -> bool {
        self.offset(now) < self.usable_until.load(Ordering::Acquire)
    }

    /// `at` as nanoseconds after `epoch` (0 before it, saturating).
    fn offset(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }

    /// As [`Store::offset`]; `None` (an overflowed deadline) is "never".
    fn offset_of(&self, at: Option<Instant>) -> u64 {
        at.map_or(u64::MAX, |at| self.offset(at))
    }

    /// `fetched_at + ttl + stale_if_error`: after this no failed refresh
    /// extends the set's life (`None` if it overflows: never).
    fn stale_limit(&self, snap: &Snapshot) -> Option<Instant> {
        snap.fetched_at
            .checked_add(self.settings.ttl)?
            .checked_add(self.settings.stale_if_error)
    }

    /// The set may still be served (fresh, or stale within the bound).
    fn within_stale_limit(&self, snap: &Snapshot, now: Instant) -> bool {
        self.stale_limit(snap).is_none_or(|limit| now < limit)
    }

    /// A snapshot of the cache's health; takes the small bookkeeping lock.
    pub(super) fn status(&self) -> JwksStatus {
        let now = self.clock.now();
        let (failures, last_error, last_attempt) = {
            let flight = lock(&self.flight);
            let last = flight.last.as_ref();
            (
                flight.failures,
                last.and_then(|a| a.error.clone()),
                last.map(|a| now.saturating_duration_since(a.at)),
            )
        };
        let current = self.current.load();
        let snap = current.as_deref();
        JwksStatus {
            keys: snap.map_or(0, |s| s.keys.len()),
            version: self.version(),
            age: snap.map(|s| now.saturating_duration_since(s.fetched_at)),
            stale: snap.is_some_and(|s| self.is_expired(s, now)),
            usable: snap.is_some_and(|s| self.within_stale_limit(s, now)),
            consecutive_failures: failures,
            last_error,
            since_last_attempt: last_attempt,
        }
    }

    /// The current key set, whatever its age.
    pub(super) fn keys(&self) -> Option<Arc<KeySet>> {
        self.current.load().as_ref().map(|s| Arc::clone(&s.keys))
    }

    pub(super) fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    pub(super) fn contains(&self, fp: &KeyFingerprint) -> bool {
        self.current
            .load()
            .as_ref()
            .is_some_and(|s| s.fingerprints.contains(fp))
    }

    /// Finds a key, fetching when the set is missing, expired, or lacks the
    /// `kid` (within the cooldown rules).
    pub(super) async fn resolve(
        self: &Arc<Self>,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<VerifyingKey>, KeySourceError> {
        // OIDC Core 1.0 §10.1 (see `cached_key`): no `kid`, no fetched key,
        // and no fetch either (no document could ever match).
        let Some(kid) = kid else {
            return Err(KeySourceError::NoMatchingKey { kid: None });
        };
        let kid = Some(kid);
        let now = self.clock.now();
        let trigger = {
            let current = self.current.load();
            match current.as_deref() {
                None => Trigger::NoKeys,
                // Past its TTL (and not inside a stale-if-error pause): a
                // refresh is attempted before any token is accepted.
                Some(_) if !self.usable_at(now) => Trigger::Expired,
                Some(snap) => match snap.keys.find(kid, alg) {
                    Ok(key) => return Ok(key),
                    Err(KeyError::NoMatchingKey { .. }) => Trigger::UnknownKid,
                    // The kid is there but refuses the token (wrong
                    // algorithm, several candidates): a refetch won't help.
                    Err(err) => return Err(KeySourceError::from_key_set(kid, err)),
                },
            }
        };
        let outcome = self.fetch_or_join(trigger).await;

        // Look again in whatever is current now: freshly fetched keys, or the
        // last good ones if the fetch failed (stale-if-error).
        let current = self.current.load_full();
        match (current, outcome) {
            // Stale-if-error is bounded: past `ttl + stale_if_error` the
            // last good keys no longer accept anything.
            (Some(snap), Err(err)) if !self.within_stale_limit(&snap, self.clock.now()) => {
                Err(self.fetch_error(err))
            }
            (Some(snap), outcome) => match (snap.keys.find(kid, alg), outcome) {
                (Ok(key), _) => Ok(key),
                // The key may well exist upstream; say the fetch failed
                // rather than that the token names an unknown key.
                (Err(KeyError::NoMatchingKey { .. }), Err(err)) => Err(self.fetch_error(err)),
                (Err(err), _) => Err(KeySourceError::from_key_set(kid, err)),
            },
            (None, Err(err)) => Err(self.fetch_error(err)),
            // A skipped fetch with no keys and no recorded error only
            // happens if the fetch task vanished without recording anything.
            (None, Ok(())) => Err(self.fetch_error(JwksFetchError::Interrupted)),
        }
    }

    /// Fetches now unless a fetch is already running (then waits for it);
    /// ignores TTL, cooldown and back-off.
    pub(super) async fn refresh(self: &Arc<Self>) -> Result<(), JwksFetchError> {
        self.fetch_or_join(Trigger::Forced).await
    }

    fn fetch_error(&self, err: JwksFetchError) -> KeySourceError {
        KeySourceError::Fetch {
            url: self.url.clone(),
            source: Box::new(err),
        }
    }

    fn is_expired(&self, snap: &Snapshot, now: Instant) -> bool {
        // An overflowing deadline (a TTL of centuries) never expires.
        snap.fetched_at
            .checked_add(self.settings.ttl)
            .is_some_and(|expires| now >= expires)
    }

    /// When the background task refreshes a set fetched at `fetched_at`: at
    /// three quarters of the TTL, well before verifications see it expire.
    fn refresh_ahead_at(&self, fetched_at: Instant) -> Option<Instant> {
        let ttl = self.settings.ttl;
        fetched_at.checked_add(ttl.saturating_sub(ttl / 4))
    }

    /// `at + cooldown` has passed (false if it overflows).
    fn cooled_down(&self, at: Instant, now: Instant) -> bool {
        at.checked_add(self.settings.cooldown)
            .is_some_and(|ready| now >= ready)
    }

    /// The one place that decides whether a new fetch may start.
    fn fetch_allowed(&self, last: Option<&Attempt>, trigger: Trigger, now: Instant) -> bool {
        let Some(last) = last else {
            return true;
        };
        if trigger == Trigger::Forced {
            return true;
        }
        // After a failure, wait out the cooldown whatever the reason, so an
        // outage does not turn every verification into a slow failing fetch.
        if last.error.is_some() {
            if self.current.load().is_none() {
                let wait = self.settings.cooldown.min(NO_KEYS_RETRY_AFTER);
                return last.at.checked_add(wait).is_some_and(|ready| now >= ready);
            }
            return self.cooled_down(last.at, now);
        }
        let current = self.current.load();
        match (trigger, current.as_deref()) {
            // At most one unknown-kid refetch per cooldown, counted from the
            // last fetch of any kind.
            (Trigger::UnknownKid, _) => self.cooled_down(last.at, now),
            (_, None) => true,
            // Someone may have refreshed since the caller looked.
            (Trigger::Expired | Trigger::NoKeys, Some(snap)) => self.is_expired(snap, now),
            (Trigger::Background, Some(snap)) => self
                .refresh_ahead_at(snap.fetched_at)
                .is_some_and(|due| now >= due),
            (Trigger::Forced, Some(_)) => true,
        }
    }

    /// Joins the running fetch, starts one, or decides none is needed.
    fn join_or_start(self: &Arc<Self>, trigger: Trigger) -> Join {
        let now = self.clock.now();
        let mut flight = lock(&self.flight);
        if let Some(running) = &flight.running {
            return Join::Wait(running.clone());
        }
        if !self.fetch_allowed(flight.last.as_ref(), trigger, now) {
            if trigger == Trigger::UnknownKid {
                let host = host(&self.url);
                tracing::event!(target: "auth0", tracing::Level::DEBUG, server.address = host, "JWKS refetch for an unknown kid suppressed by the cooldown");
            }
            return Join::Skipped(flight.last.as_ref().and_then(|a| a.error.clone()));
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return Join::Skipped(Some(JwksFetchError::NoRuntime));
        };
        let (tx, rx) = watch::channel(None);
        flight.running = Some(rx.clone());
        drop(flight);
        // One span per fetch, a child of the caller's (see docs/TRACING.md).
        let span = tracing::info_span!(target: "auth0", "auth0.jwks.refresh", server.address = host(&self.url), auth0.jwks.reason = trigger.name(), auth0.jwks.outcome = tracing::field::Empty, auth0.jwks.keys = tracing::field::Empty, auth0.jwks.changed = tracing::field::Empty, error.type = tracing::field::Empty);
        handle.spawn(tracing::Instrument::instrument(
            Arc::clone(self).run_fetch(tx),
            span,
        ));
        Join::Wait(rx)
    }

    async fn fetch_or_join(self: &Arc<Self>, trigger: Trigger) -> Outcome {
        match self.join_or_start(trigger) {
            Join::Wait(mut rx) => {
                let shared = rx
                    .wait_for(Option::is_some)
                    .await
                    .map(|outcome| outcome.clone());
                match shared {
                    Ok(Some(outcome)) => outcome,
                    // The task ended without publishing (runtime shutdown).
                    Ok(None) | Err(_) => Err(JwksFetchError::Interrupted),
                }
            }
            Join::Skipped(None) => Ok(()),
            Join::Skipped(Some(err)) => Err(err),
        }
    }

    /// The fetch task: fetch with a timeout, parse, install or log, record
    /// the attempt, then publish the outcome.
    async fn run_fetch(self: Arc<Self>, tx: watch::Sender<Option<Outcome>>) {
        let mut guard = FlightGuard {
            store: &self,
            finished: false,
        };
        let timeout = self.settings.fetch_timeout;
        let result = match tokio::time::timeout(timeout, self.fetcher.fetch()).await {
            Ok(Ok(response)) => parse_response(response, self.settings.max_body_size),
            Ok(Err(err)) => Err(err),
            Err(_elapsed) => Err(JwksFetchError::TimedOut { after: timeout }),
        };
        let now = self.clock.now();
        let span = tracing::Span::current();
        let outcome = match result {
            Ok(keys) => {
                span.record("auth0.jwks.outcome", "ok");
                span.record("auth0.jwks.keys", keys.keys.len());
                span.record("auth0.jwks.changed", self.install(keys, now));
                Ok(())
            }
            Err(err) => {
                span.record("auth0.jwks.outcome", "error");
                span.record("error.type", err.reason());
                self.extend_after_failure(now);
                self.log_failure(&err, now);
                Err(err)
            }
        };
        self.finish(now, outcome.as_ref().err().cloned());
        guard.finished = true;
        tx.send_replace(Some(outcome));
    }

    /// Publishes a freshly fetched set; bumps the version if its keys differ
    /// from the previous set's.
    fn install(&self, fetched: Fetched, now: Instant) -> bool {
        let Fetched { keys, skipped } = fetched;
        let fingerprints: HashSet<KeyFingerprint> =
            keys.iter().map(|key| key.fingerprint()).collect();
        let changed = self
            .current
            .load()
            .as_ref()
            .is_none_or(|old| old.fingerprints != fingerprints);
        let count = fingerprints.len();
        self.current.store(Some(Arc::new(Snapshot {
            keys: Arc::new(keys),
            fingerprints,
            fetched_at: now,
        })));
        // After the store: whoever sees the new deadline sees the new set.
        let fresh_until = self.offset_of(now.checked_add(self.settings.ttl));
        self.usable_until.store(fresh_until, Ordering::Release);
        if changed {
            // After the store, so whoever sees the new version sees the new set.
            let version = self.version.fetch_add(1, Ordering::AcqRel) + 1;
            tracing::debug!(url = %self.url, keys = count, version, "JWKS key set changed");
            // Said once per change, not on every refresh: a skipped key may
            // be the one the tenant signs with.
            for key in &skipped {
                tracing::warn!(
                    url = %self.url,
                    index = key.index,
                    kid = ?key.kid.as_deref().map(truncate_for_message),
                    kty = ?key.kty,
                    reason = %key.reason,
                    "JWKS key skipped"
                );
            }
        }
        changed
    }

    /// After a failed fetch: keep serving the last good set until the next
    /// attempt may start (one cooldown), never past its stale limit, and
    /// never less than its own TTL.
    fn extend_after_failure(&self, now: Instant) {
        let current = self.current.load();
        let Some(snap) = current.as_deref() else {
            return;
        };
        let fresh_end = self.offset_of(snap.fetched_at.checked_add(self.settings.ttl));
        let retry_at = self.offset_of(now.checked_add(self.settings.cooldown));
        let stale_end = self.offset_of(self.stale_limit(snap));
        let until = fresh_end.max(retry_at.min(stale_end));
        self.usable_until.store(until, Ordering::Release);
    }

    fn log_failure(&self, err: &JwksFetchError, now: Instant) {
        let chain = ErrorChain(err);
        match self.current.load().as_deref() {
            Some(snap) if !self.within_stale_limit(snap, now) => tracing::warn!(
                url = %self.url,
                error = %chain,
                age_secs = now.saturating_duration_since(snap.fetched_at).as_secs(),
                max_stale_secs = self.settings.ttl.saturating_add(self.settings.stale_if_error).as_secs(),
                "JWKS refresh failed and the last good keys are past their stale-if-error limit; \
                 tokens are refused until a fetch succeeds"
            ),
            Some(snap) => tracing::warn!(
                url = %self.url,
                error = %chain,
                age_secs = now.saturating_duration_since(snap.fetched_at).as_secs(),
                expired = self.is_expired(snap, now),
                "JWKS refresh failed; serving the last good keys (stale-if-error)"
            ),
            None => tracing::warn!(
                url = %self.url,
                error = %chain,
                "JWKS fetch failed and no keys are cached; verifications fail until a fetch succeeds"
            ),
        }
    }

    /// Records a finished attempt and frees the single-flight slot.
    fn finish(&self, at: Instant, error: Option<JwksFetchError>) {
        let mut flight = lock(&self.flight);
        flight.running = None;
        flight.failures = match error {
            Some(_) => flight.failures.saturating_add(1),
            None => 0,
        };
        flight.last = Some(Attempt { at, error });
    }

    /// How long the background task sleeps before its next attempt.
    fn background_pause(&self) -> Duration {
        let now = self.clock.now();
        let flight = lock(&self.flight);
        if flight.running.is_some() {
            return MIN_BACKGROUND_PAUSE;
        }
        let due = match &flight.last {
            None => return Duration::ZERO,
            Some(Attempt { at, error: Some(_) }) => at.checked_add(self.settings.cooldown),
            Some(Attempt { error: None, .. }) => match self.current.load().as_deref() {
                Some(snap) => self.refresh_ahead_at(snap.fetched_at),
                None => return Duration::ZERO,
            },
        };
        match due {
            Some(due) => due.saturating_duration_since(now).max(MIN_BACKGROUND_PAUSE),
            // Not within the lifetime of the program.
            None => Duration::MAX,
        }
    }
}

/// Clears the single-flight slot if the fetch task ends without finishing
/// (panic in a fetcher, runtime shutdown), so later callers start afresh.
struct FlightGuard<'a> {
    store: &'a Store,
    finished: bool,
}

impl Drop for FlightGuard<'_> {
    fn drop(&mut self) {
        if !self.finished {
            let now = self.store.clock.now();
            self.store.finish(now, Some(JwksFetchError::Interrupted));
        }
    }
}

/// The background refresh task: refreshes ahead of expiry, retries after
/// the cooldown on failure, and stops once the store is gone. It holds only
/// a `Weak` between rounds and wakes at once when the store is dropped.
async fn background_refresh(store: Weak<Store>, mut stop: oneshot::Receiver<()>) {
    loop {
        let pause = match store.upgrade() {
            Some(store) => store.background_pause(),
            None => return,
        };
        // `stop` completes (with an error) when the store drops its sender.
        if tokio::time::timeout(pause, &mut stop).await.is_ok() {
            return;
        }
        let Some(store) = store.upgrade() else {
            return;
        };
        // Failures are logged by the fetch task and retried next round.
        let _ = store.fetch_or_join(Trigger::Background).await;
    }
}

/// Locks a mutex, ignoring poisoning: the bookkeeping it guards is updated
/// in single assignments, so it is consistent even after a panic elsewhere.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Displays an error with its sources, for one log line.
struct ErrorChain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(err) = source {
            write!(f, ": {err}")?;
            source = err.source();
        }
        Ok(())
    }
}
