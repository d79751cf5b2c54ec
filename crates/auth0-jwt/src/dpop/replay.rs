//! Refusing a DPoP proof seen before (RFC 9449 §11.1): a store of proof ids
//! kept while their proof could still be accepted.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Mutex;

use crate::access_token::BoxFuture;

/// The identity of one proof: SHA-256 over the proof key's thumbprint and
/// the proof's `jti`. Fixed size whatever the sender put in `jti`, so a
/// store's memory is bounded by its entry count (RFC 9449 §11.1 lets the
/// server keep a hash instead of the value).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProofId(pub [u8; 32]);

impl ProofId {
    /// The id of the proof with this `jti` signed by the key with this
    /// RFC 7638 thumbprint.
    pub fn new(jkt: &str, jti: &str) -> Self {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(jkt.as_bytes());
        // A separator no thumbprint contains: ("ab", "c") ≠ ("a", "bc").
        ctx.update(b"\0");
        ctx.update(jti.as_bytes());
        let mut id = [0; 32];
        id.copy_from_slice(ctx.finish().as_ref());
        ProofId(id)
    }
}

impl fmt::Debug for ProofId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProofId(")?;
        for b in &self.0[..8] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "…)")
    }
}

/// What a [`ReplayStore`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Seen {
    /// First time: the id is now recorded.
    First,
    /// Recorded before and not yet expired: a replay.
    Again,
}

/// Why a [`ReplayStore`] could not answer. The proof is then refused: an
/// unchecked proof could be a replay.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayStoreError {
    /// Every slot holds a proof id that has not expired yet. Likely cause: a
    /// traffic peak above `capacity / (window + leeway)` proofs a second; raise
    /// the capacity or shorten the `iat` window.
    #[error("the DPoP replay store is full ({capacity} proofs inside the window)")]
    Full {
        /// The configured capacity.
        capacity: usize,
    },
    /// A shared store could not be reached (network, timeout, …).
    #[error("the DPoP replay store is unavailable: {reason}")]
    Unavailable {
        /// What failed (no proof content).
        reason: String,
    },
}

/// Where seen proof ids are kept until they expire. [`MemoryReplayStore`]
/// serves one process; implement this over a shared store (Redis `SET NX
/// EXAT`, a database) when several instances of the API must refuse each
/// other's replays.
pub trait ReplayStore: Send + Sync + 'static {
    /// Records `id` until `expires_at` (seconds since the epoch, inclusive)
    /// unless it is already recorded and not expired, atomically. `now` is the
    /// validator's clock.
    fn check_and_record(
        &self,
        id: ProofId,
        expires_at: i64,
        now: i64,
    ) -> BoxFuture<'_, Result<Seen, ReplayStoreError>>;

    /// The same, answered at once when the store can do so without waiting
    /// (an in-process store); `None` (the default) sends the caller to
    /// [`check_and_record`](Self::check_and_record). When it answers, it
    /// must have recorded the id exactly as `check_and_record` would.
    fn check_and_record_now(
        &self,
        id: ProofId,
        expires_at: i64,
        now: i64,
    ) -> Option<Result<Seen, ReplayStoreError>> {
        let _ = (id, expires_at, now);
        None
    }
}

/// Default capacity of a [`MemoryReplayStore`]: 262 144 proofs (about
/// 800 proofs a second under the default 330-second window; roughly 30 MiB
/// when full).
pub const DEFAULT_REPLAY_CAPACITY: usize = 1 << 18;

/// An in-process [`ReplayStore`] with at most `capacity` entries; expired
/// entries are dropped as new ones come in. When every entry is still live
/// it refuses new proofs ([`ReplayStoreError::Full`]) rather than forget one
/// that could then be replayed.
///
/// ```
/// use auth0_jwt::dpop::{MemoryReplayStore, ProofId, ReplayStore, Seen};
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let store = MemoryReplayStore::new(1000);
/// let id = ProofId::new("thumbprint", "jti-1");
/// assert_eq!(store.check_and_record(id, 1_330, 1_000).await?, Seen::First);
/// assert_eq!(store.check_and_record(id, 1_330, 1_010).await?, Seen::Again);
/// assert_eq!(store.check_and_record(id, 1_700, 1_400).await?, Seen::First); // expired
/// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct MemoryReplayStore {
    capacity: usize,
    inner: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    expiry: HashMap<ProofId, i64>,
    by_expiry: BTreeSet<(i64, ProofId)>,
}

impl MemoryReplayStore {
    /// A store holding at most `capacity` live proof ids (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new(Entries::default()),
        }
    }

    /// Number of ids held (expired ones included until the next insertion).
    pub fn len(&self) -> usize {
        self.lock().expiry.len()
    }

    /// True if no id is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // Nothing panics while the lock is held, and every update leaves both
        // maps consistent, so a poisoned lock still holds good data.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn record(&self, id: ProofId, expires_at: i64, now: i64) -> Result<Seen, ReplayStoreError> {
        let mut entries = self.lock();
        if let Some(&old) = entries.expiry.get(&id)
            && old >= now
        {
            return Ok(Seen::Again);
        }
        // Drop what expired, oldest first.
        while let Some(&(at, old)) = entries.by_expiry.first() {
            if at >= now {
                break;
            }
            entries.by_expiry.pop_first();
            entries.expiry.remove(&old);
        }
        if entries.expiry.len() >= self.capacity {
            return Err(ReplayStoreError::Full {
                capacity: self.capacity,
            });
        }
        entries.expiry.insert(id, expires_at);
        entries.by_expiry.insert((expires_at, id));
        Ok(Seen::First)
    }
}

impl Default for MemoryReplayStore {
    fn default() -> Self {
        Self::new(DEFAULT_REPLAY_CAPACITY)
    }
}

impl fmt::Debug for MemoryReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReplayStore")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl ReplayStore for MemoryReplayStore {
    fn check_and_record(
        &self,
        id: ProofId,
        expires_at: i64,
        now: i64,
    ) -> BoxFuture<'_, Result<Seen, ReplayStoreError>> {
        let result = self.record(id, expires_at, now);
        Box::pin(std::future::ready(result))
    }

    fn check_and_record_now(
        &self,
        id: ProofId,
        expires_at: i64,
        now: i64,
    ) -> Option<Result<Seen, ReplayStoreError>> {
        Some(self.record(id, expires_at, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_store_refuses_until_entries_expire() {
        let store = MemoryReplayStore::new(2);
        let id = |n: &str| ProofId::new("k", n);
        assert_eq!(store.record(id("a"), 100, 0), Ok(Seen::First));
        assert_eq!(store.record(id("b"), 200, 0), Ok(Seen::First));
        assert_eq!(
            store.record(id("c"), 300, 50),
            Err(ReplayStoreError::Full { capacity: 2 })
        );
        // `a` expired at 100: its slot is reused, `b` is still a replay.
        assert_eq!(store.record(id("c"), 300, 101), Ok(Seen::First));
        assert_eq!(store.record(id("b"), 300, 150), Ok(Seen::Again));
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn ids_separate_key_and_jti() {
        assert_ne!(ProofId::new("ab", "c"), ProofId::new("a", "bc"));
    }
}
