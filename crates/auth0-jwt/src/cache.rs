//! A bounded, sharded cache of verified tokens.
//!
//! Verifying an RS256 signature costs tens of microseconds; a gateway sees the
//! same access token many times during its lifetime. [`VerifiedTokenCache`]
//! remembers the outcome of a successful validation, keyed by the SHA-256 of
//! the *whole* token, so a repeated token costs one hash and one shard read
//! lock instead of a signature check.
//!
//! Design choices, and why:
//! - The key is SHA-256 over every byte of the token (header, claims and
//!   signature). A prefix or the `jti` would let a forged token with a valid
//!   token's header and claims but another signature hit the cache.
//! - The map is split into shards, each behind its own [`RwLock`]; a lookup
//!   takes only a read lock on one shard, so concurrent readers never
//!   serialize on a single lock.
//! - Memory is bounded twice: by the number of entries and by an approximate
//!   byte count (the caller's `approx_size` plus a fixed per-entry overhead).
//!   When a shard is full, a CLOCK (second-chance) hand evicts expired entries
//!   first, then entries not read since the hand last passed: amortized O(1)
//!   per insert, no global LRU list to lock on reads.
//! - An expired entry is never returned; it is dropped lazily by a later
//!   lookup or by the eviction hand.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::key::KeyFingerprint;

/// Default bound on the number of cached tokens.
const DEFAULT_MAX_ENTRIES: usize = 10_000;
/// Default bound on the approximate memory held by the cache (32 MiB).
const DEFAULT_MAX_BYTES: usize = 32 * 1024 * 1024;
/// Bounds on the automatically chosen shard count.
const MIN_AUTO_SHARDS: usize = 16;
const MAX_SHARDS: usize = 1024;

/// Limits and layout of a [`VerifiedTokenCache`].
///
/// `CacheConfig::default()` holds at most 10,000 tokens and about 32 MiB, in
/// `next_power_of_two(4 × available cores)` shards (at least 16).
///
/// # Example
///
/// ```
/// use auth0_jwt::cache::CacheConfig;
///
/// let config = CacheConfig::default()
///     .max_entries(50_000)
///     .max_bytes(64 * 1024 * 1024)
///     .shards(64);
/// assert_eq!(config.entry_limit(), 50_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    max_entries: usize,
    max_bytes: usize,
    shards: Option<usize>,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            max_entries: DEFAULT_MAX_ENTRIES,
            max_bytes: DEFAULT_MAX_BYTES,
            shards: None,
        }
    }
}

impl CacheConfig {
    /// The default configuration; same as [`CacheConfig::default`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the maximum number of cached tokens. `0` disables caching.
    pub fn max_entries(mut self, max_entries: usize) -> Self {
        self.max_entries = max_entries;
        self
    }

    /// Sets the bound on the approximate memory held by the cache, in bytes.
    ///
    /// Each entry is charged its `approx_size` (given to
    /// [`VerifiedTokenCache::insert`]) plus a fixed overhead for the map slot.
    /// `0` disables caching.
    pub fn max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Sets the number of shards (rounded up to a power of two, at most 1024).
    ///
    /// More shards mean less lock contention; the default is
    /// `next_power_of_two(4 × available cores)`, at least 16.
    pub fn shards(mut self, shards: usize) -> Self {
        self.shards = Some(shards);
        self
    }

    /// The configured maximum number of entries.
    pub fn entry_limit(&self) -> usize {
        self.max_entries
    }

    /// The configured bound on approximate memory, in bytes.
    pub fn byte_limit(&self) -> usize {
        self.max_bytes
    }

    /// The shard count the cache will use for this configuration.
    ///
    /// Never more shards than entries, so every shard can hold at least one
    /// entry and the total never exceeds [`CacheConfig::entry_limit`].
    pub fn shard_count(&self) -> usize {
        let wanted = match self.shards {
            Some(n) => n.clamp(1, MAX_SHARDS).next_power_of_two(),
            None => {
                let cores = std::thread::available_parallelism().map_or(1, usize::from);
                cores
                    .saturating_mul(4)
                    .clamp(MIN_AUTO_SHARDS, MAX_SHARDS)
                    .next_power_of_two()
            }
        };
        let mut shards = wanted.min(MAX_SHARDS);
        // Keep at least one entry per shard; halving keeps a power of two.
        while shards > 1 && shards > self.max_entries {
            shards /= 2;
        }
        shards
    }
}

/// SHA-256 of a whole token.
#[derive(Clone, Copy, PartialEq, Eq)]
struct TokenKey([u8; 32]);

impl TokenKey {
    fn of(token: &str) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
        let mut key = [0u8; 32];
        // SHA-256 output is always 32 bytes, so every byte of `key` is written.
        for (dst, src) in key.iter_mut().zip(digest.as_ref()) {
            *dst = *src;
        }
        Self(key)
    }

    /// Bytes 0..8 pick the slot inside a shard's map.
    fn map_hash(&self) -> u64 {
        let k = &self.0;
        u64::from_le_bytes([k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7]])
    }

    /// Bytes 8..16 pick the shard, independent of the in-shard hash.
    fn shard_hash(&self) -> u64 {
        let k = &self.0;
        u64::from_le_bytes([k[8], k[9], k[10], k[11], k[12], k[13], k[14], k[15]])
    }
}

impl Hash for TokenKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // The key is already a uniformly distributed digest: hashing it again
        // with SipHash would only cost time.
        state.write_u64(self.map_hash());
    }
}

/// Passes the digest bytes chosen by [`TokenKey::hash`] through unchanged.
#[derive(Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only reached if something other than `TokenKey` is hashed; fold the
        // bytes in so the hasher stays correct anyway.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type SlotIndex = HashMap<TokenKey, usize, BuildHasherDefault<DigestHasher>>;

struct Slot<T> {
    key: TokenKey,
    value: Arc<T>,
    expires_at: i64,
    fingerprint: KeyFingerprint,
    /// Bytes charged against the shard's budget.
    charge: usize,
    /// Second-chance bit, set by readers under the read lock.
    referenced: AtomicBool,
}

/// Keeps each shard's lock on its own cache lines (two, for the adjacent-line
/// prefetcher), so threads using different shards never contend.
#[repr(align(128))]
struct CachePadded<T>(T);

impl<T> std::ops::Deref for CachePadded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

struct Shard<T> {
    index: SlotIndex,
    slots: Vec<Slot<T>>,
    bytes: usize,
    hand: usize,
}

impl<T> Shard<T> {
    fn new() -> Self {
        Self {
            index: SlotIndex::default(),
            slots: Vec::new(),
            bytes: 0,
            hand: 0,
        }
    }

    /// Removes the slot at `pos`, keeping `index` in step with the swap.
    fn remove_at(&mut self, pos: usize) {
        if pos >= self.slots.len() {
            return;
        }
        let removed = self.slots.swap_remove(pos);
        self.index.remove(&removed.key);
        self.bytes = self.bytes.saturating_sub(removed.charge);
        if let Some(moved) = self.slots.get(pos) {
            self.index.insert(moved.key, pos);
        }
    }

    /// Evicts one entry with the CLOCK hand; returns false if the shard is empty.
    ///
    /// Expired entries (relative to the latest time seen by the cache) go
    /// first; otherwise an entry whose reference bit is set gets a second
    /// chance. The hand clears bits as it passes, so it stops within two turns.
    fn evict_one(&mut self, now: i64) -> bool {
        let len = self.slots.len();
        if len == 0 {
            return false;
        }
        for _ in 0..=2 * len {
            if self.hand >= self.slots.len() {
                self.hand = 0;
            }
            let pos = self.hand;
            let Some(slot) = self.slots.get(pos) else {
                break;
            };
            let expired = now >= slot.expires_at;
            if expired || !slot.referenced.swap(false, Ordering::Relaxed) {
                // The last slot moves into `pos`; the hand stays to look at it next.
                self.remove_at(pos);
                return true;
            }
            self.hand = pos + 1;
        }
        // Unreachable in practice: every bit is clear after one full turn.
        let pos = self.hand.min(self.slots.len().saturating_sub(1));
        self.remove_at(pos);
        true
    }

    fn clear(&mut self) {
        self.index.clear();
        self.slots.clear();
        self.bytes = 0;
        self.hand = 0;
    }
}

/// A bounded cache from a token (hashed with SHA-256) to its verified claims.
///
/// Cheap to share behind an `Arc`; all methods take `&self`. Each entry
/// remembers the [`KeyFingerprint`] of the key that verified it, so entries
/// can be dropped with [`VerifiedTokenCache::retain_keys`] when that key
/// leaves the key set.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use auth0_jwt::cache::{CacheConfig, VerifiedTokenCache};
/// use auth0_jwt::key::KeyFingerprint;
///
/// let cache: VerifiedTokenCache<String> = VerifiedTokenCache::new(CacheConfig::default());
/// let key = KeyFingerprint([7; 32]);
/// cache.insert("header.claims.signature", Arc::new("alice".to_owned()), 2_000, key, 5);
///
/// assert_eq!(cache.get("header.claims.signature", 1_000).as_deref().map(String::as_str), Some("alice"));
/// assert!(cache.get("header.claims.signature", 2_000).is_none()); // expired
/// assert!(cache.get("header.claims.other", 1_000).is_none()); // any other token misses
/// ```
pub struct VerifiedTokenCache<T> {
    shards: Box<[CachePadded<RwLock<Shard<T>>>]>,
    /// `shards.len() - 1`; the shard count is a power of two.
    shard_mask: u64,
    entries_per_shard: usize,
    bytes_per_shard: usize,
    config: CacheConfig,
    /// The latest `now` passed to `get`, used by eviction to find expired entries.
    latest_now: AtomicI64,
}

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    // A panic while holding a shard lock cannot leave a shard half-updated
    // (mutations complete before any user code runs), so poisoning is ignored.
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

impl<T: Send + Sync + 'static> VerifiedTokenCache<T> {
    /// Approximate bytes a slot costs besides the value's own `approx_size`:
    /// the slot itself, its index entry, the `Arc` header and map slack.
    pub const ENTRY_OVERHEAD: usize = std::mem::size_of::<Slot<T>>()
        + std::mem::size_of::<(TokenKey, usize)>()
        + 2 * std::mem::size_of::<usize>()
        + 16;

    /// Creates an empty cache with these limits.
    pub fn new(config: CacheConfig) -> Self {
        let shard_count = config.shard_count();
        let shards: Box<[CachePadded<RwLock<Shard<T>>>]> = (0..shard_count)
            .map(|_| CachePadded(RwLock::new(Shard::new())))
            .collect();
        Self {
            shard_mask: (shard_count as u64).saturating_sub(1),
            entries_per_shard: config.max_entries / shard_count,
            bytes_per_shard: config.max_bytes / shard_count,
            shards,
            config,
            latest_now: AtomicI64::new(i64::MIN),
        }
    }

    fn shard(&self, key: &TokenKey) -> &RwLock<Shard<T>> {
        // The mask is below the shard count, so the index is in range; `get`
        // keeps this free of a panicking path anyway.
        let idx = usize::try_from(key.shard_hash() & self.shard_mask).unwrap_or(0);
        let padded = self.shards.get(idx).unwrap_or(&self.shards[0]);
        &padded.0
    }

    /// Returns the cached value for `token`, or `None` if it is absent or
    /// expired (`now >= expires_at`). `now` is in seconds since the Unix epoch.
    ///
    /// An expired entry found here is removed.
    pub fn get(&self, token: &str, now: i64) -> Option<Arc<T>> {
        // Time moves once a second: read first so concurrent readers keep the
        // cache line shared instead of writing it on every lookup.
        if now > self.latest_now.load(Ordering::Relaxed) {
            self.latest_now.fetch_max(now, Ordering::Relaxed);
        }
        let key = TokenKey::of(token);
        let lock = self.shard(&key);
        {
            let shard = read(lock);
            let slot = shard.slots.get(*shard.index.get(&key)?)?;
            if now < slot.expires_at {
                // Only write the bit if it changes, to keep the cache line shared.
                if !slot.referenced.load(Ordering::Relaxed) {
                    slot.referenced.store(true, Ordering::Relaxed);
                }
                return Some(Arc::clone(&slot.value));
            }
        }
        // Expired: drop it if the shard is not busy; eviction gets it otherwise.
        if let Ok(mut shard) = lock.try_write()
            && let Some(&pos) = shard.index.get(&key)
            && shard.slots.get(pos).is_some_and(|s| now >= s.expires_at)
        {
            shard.remove_at(pos);
        }
        None
    }

    /// Caches `value` for `token` until `expires_at` (seconds since the Unix
    /// epoch), remembering the fingerprint of the key that verified it.
    ///
    /// `approx_size` is the value's heap size in bytes, as well as the caller
    /// can tell; the cache adds [`Self::ENTRY_OVERHEAD`]. If the shard is
    /// full, older entries are evicted first; an entry larger than a shard's
    /// byte budget is not cached at all. Replaces an existing entry for the
    /// same token.
    pub fn insert(
        &self,
        token: &str,
        value: Arc<T>,
        expires_at: i64,
        key: KeyFingerprint,
        approx_size: usize,
    ) {
        let charge = approx_size.saturating_add(Self::ENTRY_OVERHEAD);
        if self.entries_per_shard == 0 || charge > self.bytes_per_shard {
            return;
        }
        let now = self.latest_now.load(Ordering::Relaxed);
        if now >= expires_at {
            return;
        }
        let token_key = TokenKey::of(token);
        let mut shard = write(self.shard(&token_key));
        if let Some(&pos) = shard.index.get(&token_key) {
            shard.remove_at(pos);
        }
        while shard.slots.len() >= self.entries_per_shard
            || shard.bytes.saturating_add(charge) > self.bytes_per_shard
        {
            if !shard.evict_one(now) {
                break;
            }
        }
        let pos = shard.slots.len();
        shard.slots.push(Slot {
            key: token_key,
            value,
            expires_at,
            fingerprint: key,
            charge,
            referenced: AtomicBool::new(false),
        });
        shard.index.insert(token_key, pos);
        shard.bytes += charge;
    }

    /// Keeps only entries whose verifying key passes `keep`; use it to drop
    /// tokens signed by a key that has left the key set.
    ///
    /// `keep` runs while a shard is locked: it must not call back into this
    /// cache. It is called once per distinct fingerprint per shard.
    pub fn retain_keys(&self, keep: impl Fn(&KeyFingerprint) -> bool) {
        let mut verdicts: Vec<(KeyFingerprint, bool)> = Vec::new();
        for lock in self.shards.iter() {
            let mut shard = write(lock);
            verdicts.clear();
            // Decide first, mutate after: a panic in `keep` leaves the shard intact.
            let mut drop_flags = Vec::with_capacity(shard.slots.len());
            for slot in &shard.slots {
                let fp = &slot.fingerprint;
                let keep_it = match verdicts.iter().find(|(f, _)| f == fp) {
                    Some(&(_, v)) => v,
                    None => {
                        let v = keep(fp);
                        verdicts.push((*fp, v));
                        v
                    }
                };
                drop_flags.push(!keep_it);
            }
            if !drop_flags.contains(&true) {
                continue;
            }
            let mut flags = drop_flags.into_iter();
            let shard = &mut *shard;
            shard.slots.retain(|_| !flags.next().unwrap_or(false));
            shard.index.clear();
            shard.bytes = 0;
            for (pos, slot) in shard.slots.iter().enumerate() {
                shard.index.insert(slot.key, pos);
                shard.bytes += slot.charge;
            }
            shard.hand = 0;
        }
    }

    /// Number of cached entries, including expired ones not yet dropped.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| read(s).slots.len()).sum()
    }

    /// True if nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.shards.iter().all(|s| read(s).slots.is_empty())
    }

    /// Approximate bytes held, as charged against [`CacheConfig::max_bytes`].
    pub fn approx_bytes(&self) -> usize {
        self.shards.iter().map(|s| read(s).bytes).sum()
    }

    /// Drops every entry.
    pub fn clear(&self) {
        for lock in self.shards.iter() {
            write(lock).clear();
        }
    }

    /// The configuration this cache was built with.
    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    /// Number of shards in use.
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }
}

impl<T> fmt::Debug for VerifiedTokenCache<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys are digests of tokens and values may hold claims: show neither.
        let len: usize = self.shards.iter().map(|s| read(s).slots.len()).sum();
        f.debug_struct("VerifiedTokenCache")
            .field("len", &len)
            .field("config", &self.config)
            .field("shards", &self.shards.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(n: u8) -> KeyFingerprint {
        KeyFingerprint([n; 32])
    }

    #[test]
    fn token_key_is_sha256_of_whole_token() {
        let a = TokenKey::of("aaaa.bbbb.cccc");
        let b = TokenKey::of("aaaa.bbbb.cccd");
        assert!(a != b);
        let expected = ring::digest::digest(&ring::digest::SHA256, b"aaaa.bbbb.cccc");
        assert_eq!(&a.0[..], expected.as_ref());
    }

    #[test]
    fn shard_count_is_power_of_two_and_bounded_by_entries() {
        assert_eq!(CacheConfig::default().shards(5).shard_count(), 8);
        assert_eq!(CacheConfig::default().shards(0).shard_count(), 1);
        assert_eq!(
            CacheConfig::default()
                .shards(64)
                .max_entries(10)
                .shard_count(),
            8
        );
        assert_eq!(
            CacheConfig::default().shards(1 << 20).shard_count(),
            MAX_SHARDS
        );
        let auto = CacheConfig::default().shard_count();
        assert!(auto.is_power_of_two() && auto >= MIN_AUTO_SHARDS);
    }

    #[test]
    fn clock_gives_read_entries_a_second_chance() {
        let cache = VerifiedTokenCache::new(CacheConfig::default().max_entries(2).shards(1));
        cache.insert("a", Arc::new(1u32), 100, fp(1), 0);
        cache.insert("b", Arc::new(2u32), 100, fp(1), 0);
        assert!(cache.get("a", 0).is_some());
        cache.insert("c", Arc::new(3u32), 100, fp(1), 0);
        assert!(cache.get("a", 0).is_some(), "recently read entry survives");
        assert!(cache.get("b", 0).is_none(), "unread entry is evicted");
        assert!(cache.get("c", 0).is_some());
    }

    #[test]
    fn eviction_prefers_expired_entries() {
        let cache = VerifiedTokenCache::new(CacheConfig::default().max_entries(2).shards(1));
        cache.insert("live", Arc::new(1u32), 1_000, fp(1), 0);
        cache.insert("old", Arc::new(2u32), 50, fp(1), 0);
        // Mark both read at t=10, then let the clock pass "old"'s expiry.
        assert!(cache.get("live", 10).is_some());
        assert!(cache.get("old", 10).is_some());
        assert!(cache.get("other", 60).is_none());
        cache.insert("new", Arc::new(3u32), 1_000, fp(1), 0);
        assert!(cache.get("live", 60).is_some());
        assert!(cache.get("new", 60).is_some());
        assert_eq!(cache.len(), 2);
    }
}
