//! A bounded, sharded cache of verified tokens.
//!
//! Verifying an RS256 signature costs tens of microseconds; a gateway sees the
//! same access token many times during its lifetime. [`VerifiedTokenCache`]
//! remembers the outcome of a successful validation, keyed by the *whole*
//! token, so a repeated token costs a short keyed hash, one shard read lock
//! and one comparison instead of a signature check.
//!
//! # Keying, and why it is safe
//!
//! Each entry stores the complete token bytes. A lookup:
//!
//! 1. computes a 64-bit *tag*: a keyed mix (a secret random key drawn once
//!    per cache) of the token's length and its last 16 bytes — the tail of
//!    the signature, which the signer chooses and nobody else can predict;
//! 2. picks the shard and the map slot from the tag;
//! 3. compares the stored token with the presented one **in full** (every
//!    byte, in constant time for equal lengths). Any difference is a miss.
//!
//! Hashing only the tail keeps a hit cheap (hashing a ~750-byte RS256 token
//! with SHA-256 was ~40% of the cost of a hit), and it does not weaken the
//! cache:
//!
//! - Only tokens that passed full verification are ever inserted (the cache
//!   cannot be filled by a client with tokens it made up).
//! - A hit requires byte-for-byte equality with such a token. A forged token
//!   that shares a prefix (header and claims) with a cached token, or shares
//!   its suffix (the signature, hence the tag) but carries other claims, is a
//!   miss and goes through full verification, where it fails; it is never
//!   inserted, so it cannot displace the genuine entry either.
//! - The tag is keyed with a secret random key, so collisions cannot be
//!   precomputed to crowd one slot. Two *verified* tokens whose tags collide
//!   are still told apart by the full comparison; the later insert replaces
//!   the earlier entry (a lost cache entry, never a wrong answer).
//! - No prefix, `jti` or other claim is ever used as the key.
//!
//! # Layout and bounds
//!
//! - The map is split into shards, each behind its own [`RwLock`] on its own
//!   cache lines; a lookup takes only a read lock on one shard, so concurrent
//!   readers never serialize on a single lock. A hit allocates nothing and
//!   writes no shared memory besides the lock word and the returned `Arc`'s
//!   count (the second-chance bit is written only when it changes).
//! - Memory is bounded twice: by the number of entries and by an approximate
//!   byte count (the caller's `approx_size`, the token's length and a fixed
//!   per-entry overhead). When a shard is full, a CLOCK (second-chance) hand
//!   evicts expired entries first, then entries not read since the hand last
//!   passed: amortized O(1) per insert, no global LRU list to lock on reads.
//! - An entry never outlives its `expires_at`: it is never returned from that
//!   second on, and is dropped lazily by a later lookup or by the eviction
//!   hand.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
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
/// How many trailing bytes of a token feed the tag (with its length). In a
/// compact JWS they are signature characters — unpredictable to anyone but
/// the signer (the shortest signature, HS256's, is 43): 16 of them are 96
/// bits of a signature, two 64-bit words for one multiply.
const TAIL_LEN: usize = 16;
/// The shard is picked from tag bits 32.. (the shard count is at most 1024 =
/// 2^10). The in-shard map uses the low bits for the bucket and the top 7
/// bits as its control byte, so the three never depend on the same bits.
const SHARD_SHIFT: u32 = 32;

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

/// A cache's secret key for tags: four words from the operating system's
/// randomness (through std's [`RandomState`], whose keys come from it).
#[derive(Clone, Copy)]
struct TagKey([u64; 4]);

impl TagKey {
    fn random() -> Self {
        let state = RandomState::new();
        Self([0u64, 1, 2, 3].map(|i| state.hash_one(i)))
    }
}

/// The 64-bit keyed tag of a token's length and tail: two folded 128-bit
/// multiplies (as hashbrown's default hasher, foldhash, mixes) of the
/// tail's two words and the length, each XORed with the key first.
///
/// Why not SipHash (std's `RandomState`, used here before): over the
/// length and 32 bytes it was ~275 of a cache hit's ~1,140 instructions,
/// over 16 bytes still ~235 (callgrind, `JWT_BENCH_PROFILE=HS256:hit`);
/// this is ~30 (inlined: the lookup grew from ~100 to ~130). What a tag
/// must do here is narrower than a general hasher's job: the entries the
/// cache holds are only verified tokens, whose tails are signature bytes
/// nobody but the signer can choose, so an attacker cannot pick the inputs
/// that fill the map, and the secret key keeps the spreading of those
/// inputs unpredictable. A presented token with a colliding tag is told apart by
/// the full comparison ([`same_token`]).
fn token_tag(key: &TagKey, token: &[u8]) -> u64 {
    // The last 16 bytes, or the whole token right-aligned and zero-padded
    // (the length, mixed in below, tells the paddings apart).
    let mut tail = [0u8; TAIL_LEN];
    let take = token.len().min(TAIL_LEN);
    if let (Some(to), Some(from)) = (
        tail.get_mut(TAIL_LEN - take..),
        token.get(token.len() - take..),
    ) {
        to.copy_from_slice(from);
    }
    let tail = u128::from_le_bytes(tail);
    let [k0, k1, k2, k3] = key.0;
    let words = folded_multiply((tail as u64) ^ k0, ((tail >> 64) as u64) ^ k1);
    folded_multiply(words ^ k2, (token.len() as u64) ^ k3)
}

/// The 128-bit product of `a` and `b`, its halves XORed.
#[inline(always)]
fn folded_multiply(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

/// Compares two byte strings without an early exit on the first difference,
/// so the time a lookup takes tells nothing about how much of a cached token
/// a presented one matches. (Lengths are part of the tag, not a secret.)
fn same_token(stored: &[u8], presented: &[u8]) -> bool {
    if stored.len() != presented.len() {
        return false;
    }
    let (Some(last_x), Some(last_y)) = (
        stored.last_chunk::<WINDOW>(),
        presented.last_chunk::<WINDOW>(),
    ) else {
        // Shorter than a window.
        let diff = stored
            .iter()
            .zip(presented)
            .fold(0u8, |d, (x, y)| d | (x ^ y));
        return std::hint::black_box(diff) == 0;
    };
    // OR of XORs into four 8-byte lanes: no branch on the data, and the
    // compiler turns it into SIMD (two 16-byte registers). The bytes after
    // the last whole window are covered by one more window, the last 32
    // bytes (overlapping the one before). Byte lanes and a byte loop for
    // the rest took ~290 instructions for the HS256 benchmark's token, this
    // ~210 (callgrind, `JWT_BENCH_PROFILE=HS256:hit`).
    let mut lanes = [0u64; 4];
    for (x, y) in stored
        .as_chunks::<WINDOW>()
        .0
        .iter()
        .zip(presented.as_chunks::<WINDOW>().0)
    {
        fold_window(&mut lanes, x, y);
    }
    fold_window(&mut lanes, last_x, last_y);
    let diff = lanes.iter().fold(0u64, |d, &lane| d | lane);
    std::hint::black_box(diff) == 0
}

/// [`same_token`]'s step: 32 bytes.
const WINDOW: usize = 32;

/// ORs the XOR of two windows into `lanes`, 8 bytes a lane.
#[inline(always)]
fn fold_window(lanes: &mut [u64; 4], x: &[u8; WINDOW], y: &[u8; WINDOW]) {
    let (x, y) = (x.as_chunks::<8>().0, y.as_chunks::<8>().0);
    for ((lane, x), y) in lanes.iter_mut().zip(x).zip(y) {
        *lane |= u64::from_ne_bytes(*x) ^ u64::from_ne_bytes(*y);
    }
}

/// The tag is already a keyed hash: the in-shard map uses it as is.
#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed here (`write_u64`); fold any other bytes
        // in so the hasher stays correct anyway.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Tag → entry. Entries live in the map itself, so a lookup reaches the
/// stored token with one probe.
type SlotMap<T> = HashMap<u64, Slot<T>, BuildHasherDefault<IdentityHasher>>;

struct Slot<T> {
    /// The whole token: a hit needs byte-for-byte equality with it.
    token: Box<[u8]>,
    value: Arc<T>,
    expires_at: i64,
    /// Second-chance bit, set by readers under the read lock.
    referenced: AtomicBool,
    /// Position of this entry's tag in `Shard::order`.
    pos: usize,
    /// Bytes charged against the shard's budget.
    charge: usize,
    fingerprint: KeyFingerprint,
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
    map: SlotMap<T>,
    /// Every entry's tag, in no particular order: the ring the CLOCK hand
    /// walks.
    order: Vec<u64>,
    bytes: usize,
    hand: usize,
}

impl<T> Shard<T> {
    fn new() -> Self {
        Self {
            map: SlotMap::default(),
            order: Vec::new(),
            bytes: 0,
            hand: 0,
        }
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    /// Removes the entry with this tag, keeping `order` in step.
    fn remove(&mut self, tag: u64) {
        let Some(removed) = self.map.remove(&tag) else {
            return;
        };
        self.bytes = self.bytes.saturating_sub(removed.charge);
        self.drop_order_at(removed.pos);
    }

    /// Removes the tag at `pos` from the CLOCK ring.
    fn drop_order_at(&mut self, pos: usize) {
        if pos < self.order.len() {
            self.order.swap_remove(pos);
            // The last tag moved into `pos`.
            if let Some(&moved) = self.order.get(pos)
                && let Some(slot) = self.map.get_mut(&moved)
            {
                slot.pos = pos;
            }
        }
    }

    /// Evicts one entry with the CLOCK hand; returns false if the shard is empty.
    ///
    /// Expired entries (relative to the latest time seen by the cache) go
    /// first; otherwise an entry whose reference bit is set gets a second
    /// chance. The hand clears bits as it passes, so it stops within two turns.
    fn evict_one(&mut self, now: i64) -> bool {
        let len = self.order.len();
        if len == 0 {
            return false;
        }
        for _ in 0..=2 * len {
            if self.hand >= self.order.len() {
                self.hand = 0;
            }
            let Some(&tag) = self.order.get(self.hand) else {
                break;
            };
            let Some(slot) = self.map.get(&tag) else {
                // Not reachable (every tag in the ring has an entry); drop
                // the stray tag so the ring stays in step with the map.
                self.drop_order_at(self.hand);
                continue;
            };
            if now >= slot.expires_at || !slot.referenced.swap(false, Ordering::Relaxed) {
                // The last tag moves into the hand's place; the hand stays
                // to look at it next.
                self.remove(tag);
                return true;
            }
            self.hand += 1;
        }
        // Unreachable in practice: every bit is clear after one full turn.
        let pos = self.hand.min(self.order.len().saturating_sub(1));
        if let Some(&tag) = self.order.get(pos) {
            self.remove(tag);
        }
        true
    }

    fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
        self.bytes = 0;
        self.hand = 0;
    }
}

/// A bounded cache from a whole token to its verified claims.
///
/// Cheap to share behind an `Arc`; all methods take `&self`. Entries are
/// found by a keyed hash of the token's tail and confirmed by comparing the
/// whole token (see the [module docs](self) for why this is safe). Each entry
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
/// assert!(cache.get("header.other!.signature", 1_000).is_none()); // same signature, other claims
/// assert!(cache.get("header.claims.other", 1_000).is_none()); // any other token misses
/// ```
pub struct VerifiedTokenCache<T> {
    shards: Box<[CachePadded<RwLock<Shard<T>>>]>,
    /// `shards.len() - 1`; the shard count is a power of two.
    shard_mask: u64,
    /// Secret key for tags, drawn once per cache.
    key: TagKey,
    /// ANDed into every tag; all ones except in tests that force collisions.
    tag_mask: u64,
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
    /// Approximate bytes an entry costs besides the value's own
    /// `approx_size` and the token's length: the entry and its tag in the
    /// map, its tag in the CLOCK ring, the `Arc` header, the token's
    /// allocation header and map slack.
    pub const ENTRY_OVERHEAD: usize = std::mem::size_of::<(u64, Slot<T>)>()
        + std::mem::size_of::<u64>()
        + 2 * std::mem::size_of::<usize>()
        + 32;

    /// Creates an empty cache with these limits.
    pub fn new(config: CacheConfig) -> Self {
        let shard_count = config.shard_count();
        let shards: Box<[CachePadded<RwLock<Shard<T>>>]> = (0..shard_count)
            .map(|_| CachePadded(RwLock::new(Shard::new())))
            .collect();
        Self {
            shard_mask: (shard_count as u64).saturating_sub(1),
            key: TagKey::random(),
            tag_mask: u64::MAX,
            entries_per_shard: config.max_entries / shard_count,
            bytes_per_shard: config.max_bytes / shard_count,
            shards,
            config,
            latest_now: AtomicI64::new(i64::MIN),
        }
    }

    #[inline]
    fn tag(&self, token: &[u8]) -> u64 {
        token_tag(&self.key, token) & self.tag_mask
    }

    #[inline]
    fn shard(&self, tag: u64) -> &RwLock<Shard<T>> {
        // The mask is below the shard count, so the index is in range; the
        // fallback keeps this free of a panicking path anyway.
        let idx = usize::try_from((tag >> SHARD_SHIFT) & self.shard_mask).unwrap_or(0);
        let padded = self.shards.get(idx).unwrap_or(&self.shards[0]);
        &padded.0
    }

    /// Returns the cached value for `token`, or `None` if it is absent or
    /// expired (`now >= expires_at`). `now` is in seconds since the Unix epoch.
    ///
    /// Only an entry holding exactly this token is returned. An expired entry
    /// found here is removed.
    pub fn get(&self, token: &str, now: i64) -> Option<Arc<T>> {
        // Time moves once a second: read first so concurrent readers keep the
        // cache line shared instead of writing it on every lookup.
        if now > self.latest_now.load(Ordering::Relaxed) {
            self.latest_now.fetch_max(now, Ordering::Relaxed);
        }
        let token = token.as_bytes();
        let tag = self.tag(token);
        let lock = self.shard(tag);
        {
            let shard = read(lock);
            let slot = shard.map.get(&tag)?;
            if !same_token(&slot.token, token) {
                // Another token with the same tag: a miss, never its value.
                return None;
            }
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
            && shard
                .map
                .get(&tag)
                .is_some_and(|s| now >= s.expires_at && same_token(&s.token, token))
        {
            shard.remove(tag);
        }
        None
    }

    /// Caches `value` for `token` until `expires_at` (seconds since the Unix
    /// epoch), remembering the fingerprint of the key that verified it.
    ///
    /// Call it only for a token that passed full verification. `approx_size`
    /// is the value's heap size in bytes, as well as the caller can tell; the
    /// cache adds the token's length (it keeps a copy) and
    /// [`Self::ENTRY_OVERHEAD`]. If the shard is full, older entries are
    /// evicted first; an entry larger than a shard's byte budget is not
    /// cached at all. Replaces an existing entry for the same token, or for
    /// another token with the same tag.
    pub fn insert(
        &self,
        token: &str,
        value: Arc<T>,
        expires_at: i64,
        key: KeyFingerprint,
        approx_size: usize,
    ) {
        let charge = approx_size
            .saturating_add(token.len())
            .saturating_add(Self::ENTRY_OVERHEAD);
        if self.entries_per_shard == 0 || charge > self.bytes_per_shard {
            return;
        }
        let now = self.latest_now.load(Ordering::Relaxed);
        if now >= expires_at {
            return;
        }
        let token = token.as_bytes();
        let tag = self.tag(token);
        // Copy the token before taking the lock.
        let stored: Box<[u8]> = token.into();
        let mut shard = write(self.shard(tag));
        // Replaces the entry for this token, or for another with the same tag.
        shard.remove(tag);
        while shard.len() >= self.entries_per_shard
            || shard.bytes.saturating_add(charge) > self.bytes_per_shard
        {
            if !shard.evict_one(now) {
                break;
            }
        }
        let pos = shard.order.len();
        shard.order.push(tag);
        shard.map.insert(
            tag,
            Slot {
                token: stored,
                value,
                expires_at,
                referenced: AtomicBool::new(false),
                pos,
                charge,
                fingerprint: key,
            },
        );
        shard.bytes += charge;
    }

    /// Keeps only entries whose verifying key passes `keep`; use it to drop
    /// tokens signed by a key that has left the key set.
    ///
    /// `keep` runs while a shard is locked: it must not call back into this
    /// cache. It is called once per distinct fingerprint per shard.
    pub fn retain_keys(&self, keep: impl Fn(&KeyFingerprint) -> bool) {
        let mut verdicts: Vec<(KeyFingerprint, bool)> = Vec::new();
        let mut doomed: Vec<u64> = Vec::new();
        for lock in self.shards.iter() {
            let mut shard = write(lock);
            verdicts.clear();
            doomed.clear();
            // Decide first, mutate after: a panic in `keep` leaves the shard intact.
            for (&tag, slot) in &shard.map {
                let fp = &slot.fingerprint;
                let keep_it = match verdicts.iter().find(|(f, _)| f == fp) {
                    Some(&(_, v)) => v,
                    None => {
                        let v = keep(fp);
                        verdicts.push((*fp, v));
                        v
                    }
                };
                if !keep_it {
                    doomed.push(tag);
                }
            }
            for &tag in &doomed {
                shard.remove(tag);
            }
            if !doomed.is_empty() {
                shard.hand = 0;
            }
        }
    }

    /// Keeps only entries that pass `keep`, given each entry's verifying key
    /// and value; for key sets that differ per entry (several issuers, each
    /// with its own keys: the entry's claims name its issuer).
    ///
    /// `keep` runs while a shard is locked: it must not call back into this
    /// cache. It is called once per entry.
    pub fn retain_entries(&self, keep: impl Fn(&KeyFingerprint, &T) -> bool) {
        let mut doomed: Vec<u64> = Vec::new();
        for lock in self.shards.iter() {
            let mut shard = write(lock);
            doomed.clear();
            for (&tag, slot) in &shard.map {
                if !keep(&slot.fingerprint, &slot.value) {
                    doomed.push(tag);
                }
            }
            for &tag in &doomed {
                shard.remove(tag);
            }
            if !doomed.is_empty() {
                shard.hand = 0;
            }
        }
    }

    /// Number of cached entries, including expired ones not yet dropped.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| read(s).len()).sum()
    }

    /// True if nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.shards.iter().all(|s| read(s).len() == 0)
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
        // Entries hold tokens and claims: show neither.
        let len: usize = self.shards.iter().map(|s| read(s).len()).sum();
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

    /// A cache in which every token has the same tag: one slot per shard,
    /// every lookup decided by the full comparison alone.
    fn colliding<T: Send + Sync + 'static>(config: CacheConfig) -> VerifiedTokenCache<T> {
        let mut cache = VerifiedTokenCache::new(config);
        cache.tag_mask = 0;
        cache
    }

    #[test]
    fn tag_covers_length_and_tail_and_is_keyed() {
        let state = TagKey::random();
        let sig = "S".repeat(TAIL_LEN);
        let a = format!("aaaa.bbbb.{sig}");
        // Same tail and length, other head: same tag (the full compare decides).
        let b = format!("aaaa.cccc.{sig}");
        assert_eq!(
            token_tag(&state, a.as_bytes()),
            token_tag(&state, b.as_bytes())
        );
        // Any change in the tail, or in the length, changes the tag.
        let c = format!("aaaa.bbbb.{}T", &sig[1..]);
        assert_ne!(
            token_tag(&state, a.as_bytes()),
            token_tag(&state, c.as_bytes())
        );
        let d = format!("aaaa.bbb.{sig}");
        assert_ne!(
            token_tag(&state, a.as_bytes()),
            token_tag(&state, d.as_bytes())
        );
        // Short tokens are hashed whole.
        assert_ne!(token_tag(&state, b"a.b.c"), token_tag(&state, b"a.b.d"));
        // Two caches key their tags differently.
        let other = TagKey::random();
        let differs = (0..8).any(|i| {
            let t = format!("x.y.{i}{sig}");
            token_tag(&state, t.as_bytes()) != token_tag(&other, t.as_bytes())
        });
        assert!(differs, "tags are keyed per cache");
    }

    #[test]
    fn tags_spread_signature_tails_over_shards_and_slots() {
        // Signature-like tails (base64url characters from a fixed
        // generator), and tails that differ in one character only: one tag
        // per distinct tail, and the bits the cache uses spread evenly.
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let key = TagKey::random();
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut random_sig = || {
            (0..43)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    char::from(ALPHABET[(state >> 58) as usize])
                })
                .collect::<String>()
        };
        let base = random_sig();
        let mut tokens: Vec<String> = (0..4096).map(|_| format!("h.c.{}", random_sig())).collect();
        for i in 0..43 {
            for c in ALPHABET.iter().take(16) {
                let mut sig = base.clone().into_bytes();
                sig[i] = *c;
                tokens.push(format!("h.c.{}", String::from_utf8(sig).unwrap()));
            }
        }
        tokens.sort();
        tokens.dedup();
        let tags: Vec<u64> = tokens
            .iter()
            .map(|t| token_tag(&key, t.as_bytes()))
            .collect();
        let distinct: std::collections::HashSet<u64> = tags.iter().copied().collect();
        // Only the last 16 characters feed the tag: tokens that differ only
        // before them share a tag (the full comparison tells them apart).
        let distinct_tails: std::collections::HashSet<&[u8]> = tokens
            .iter()
            .map(|t| &t.as_bytes()[t.len() - TAIL_LEN..])
            .collect();
        assert_eq!(distinct.len(), distinct_tails.len());
        // The bits that pick the shard, the in-shard bucket and the map's
        // control byte: 16 values each, evenly used.
        let expected = distinct.len() / 16;
        for (what, shift) in [("shard", SHARD_SHIFT), ("bucket", 0), ("control", 60)] {
            let mut counts = [0usize; 16];
            for tag in &distinct {
                counts[((tag >> shift) & 15) as usize] += 1;
            }
            for (value, n) in counts.iter().enumerate() {
                assert!(
                    n * 2 > expected && *n < expected * 2,
                    "{what} bits {value}: {n} tags, {expected} expected: {counts:?}"
                );
            }
        }
    }

    #[test]
    fn same_token_compares_every_byte() {
        // Shorter than a window, one window, whole windows and a tail that
        // the last (overlapping) window covers.
        for len in [0, 1, 31, 32, 33, 63, 64, 65, 540, 777] {
            let a: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            assert!(same_token(&a, &a.clone()), "len {len}");
            for i in 0..len {
                let mut b = a.clone();
                b[i] ^= 1;
                assert!(!same_token(&a, &b), "len {len}, difference at {i}");
            }
            if let Some(shorter) = len.checked_sub(1) {
                assert!(!same_token(&a, &a[..shorter]), "len {len}");
            }
        }
    }

    #[test]
    fn colliding_verified_tokens_are_told_apart() {
        let cache = colliding(CacheConfig::default().shards(1));
        let first = "hdr.claims-one.signature-one";
        let second = "hdr.claims-two.signature-two";
        cache.insert(first, Arc::new(1u32), 100, fp(1), 0);
        assert_eq!(cache.get(first, 0).as_deref(), Some(&1));
        // Same tag, other token: a miss, never the first token's value.
        assert!(cache.get(second, 0).is_none());
        // The later insert replaces the colliding entry.
        cache.insert(second, Arc::new(2u32), 100, fp(1), 0);
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.get(second, 0).as_deref(), Some(&2));
        assert!(cache.get(first, 0).is_none());
        // And back again; the byte count follows.
        cache.insert(first, Arc::new(3u32), 100, fp(1), 0);
        assert_eq!(cache.get(first, 0).as_deref(), Some(&3));
        assert!(cache.get(second, 0).is_none());
        assert_eq!(cache.len(), 1);
        assert_eq!(
            cache.approx_bytes(),
            first.len() + VerifiedTokenCache::<u32>::ENTRY_OVERHEAD
        );
    }

    #[test]
    fn expired_lookup_of_a_colliding_token_keeps_the_entry() {
        let cache = colliding(CacheConfig::default().shards(1));
        cache.insert("a.b.live", Arc::new(1u32), 100, fp(1), 0);
        // Another token with the same tag, looked up after the entry's expiry,
        // must not remove the (unrelated) entry — and the entry's own lookup
        // at that time is a miss.
        assert!(cache.get("a.b.other", 200).is_none());
        assert_eq!(cache.len(), 1);
        assert!(cache.get("a.b.live", 200).is_none());
        assert_eq!(cache.len(), 0);
    }

    /// Every entry's tag is in the CLOCK ring at the position it records,
    /// and the byte count is the sum of the charges.
    fn assert_consistent<T: Send + Sync + 'static>(cache: &VerifiedTokenCache<T>) {
        for lock in cache.shards.iter() {
            let shard = read(lock);
            assert_eq!(shard.order.len(), shard.map.len());
            for (&tag, slot) in &shard.map {
                assert_eq!(shard.order.get(slot.pos), Some(&tag));
            }
            let bytes: usize = shard.map.values().map(|s| s.charge).sum();
            assert_eq!(shard.bytes, bytes);
        }
    }

    #[test]
    fn map_and_clock_ring_stay_in_step() {
        let cache = VerifiedTokenCache::new(CacheConfig::default().max_entries(64).shards(4));
        for i in 0..5_000u32 {
            let token = format!("tok{}", (i * 7_919) % 300);
            match i % 5 {
                0 | 1 => cache.insert(
                    &token,
                    Arc::new(i),
                    100 + i64::from(i % 50),
                    fp((i % 3) as u8),
                    8,
                ),
                2 => {
                    let _ = cache.get(&token, i64::from(i % 120));
                }
                3 if i % 97 == 0 => cache.retain_keys(|k| *k != fp((i % 3) as u8)),
                _ => {
                    let _ = cache.get(&token, 0);
                }
            }
            if i % 250 == 0 {
                assert_consistent(&cache);
            }
        }
        assert_consistent(&cache);
        assert!(cache.len() <= 64);
        let tagged = colliding(CacheConfig::default().shards(2));
        for i in 0..100u32 {
            tagged.insert(&format!("t{i}"), Arc::new(i), 1_000, fp(1), 0);
            assert_consistent(&tagged);
        }
        assert_eq!(tagged.len(), 1);
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
