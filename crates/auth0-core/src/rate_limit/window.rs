//! Adaptive mode's picture of the server's rate-limit window, as Auth0's
//! `x-ratelimit-*` answers (and a `Retry-After`) describe it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use tokio::time::Instant;

use crate::headers::RateLimitInfo;

/// The server's window: how many requests it has left for us and until
/// when. Requests started since the answer are counted off locally.
#[derive(Debug, Clone, Copy)]
pub(super) struct Window {
    pub(super) limit: Option<u64>,
    pub(super) remaining: u64,
    reset_epoch: u64,
    pub(super) reset_at: Instant,
    /// With none left: when the server's `Retry-After` lets one request
    /// go (a token bucket has a token again long before it is full). That
    /// one request asks for the rest; it is used up when it goes.
    pub(super) resume_at: Option<Instant>,
    /// The window the server described ended and this one was assumed in
    /// its place (refilled to `limit`, ending `max_wait` later); no answer
    /// has described it yet.
    refilled: bool,
}

/// What one answer says about the window.
pub(super) struct Observation {
    limit: Option<u64>,
    remaining: u64,
    reset_epoch: u64,
    reset_at: Instant,
    resume_at: Option<Instant>,
}

impl Observation {
    /// Reads an answer's headers at `now` (the wall clock `wall`): `None`
    /// without `x-ratelimit-remaining` and a future `x-ratelimit-reset`.
    pub(super) fn read(headers: &HeaderMap, now: Instant, wall: SystemTime) -> Option<Self> {
        let info = RateLimitInfo::from_headers(headers);
        let (Some(remaining), Some(reset_epoch)) = (info.remaining, info.reset) else {
            return None;
        };
        let left = UNIX_EPOCH
            .checked_add(Duration::from_secs(reset_epoch))
            .and_then(|reset| reset.duration_since(wall).ok())
            .filter(|d| !d.is_zero())?;
        // The same `Retry-After` reading the retry layer waits for.
        let resume_at = (remaining == 0)
            .then(|| crate::retry::requested_wait(headers, wall))
            .flatten()
            .map(|wait| later(now, wait));
        Some(Self {
            limit: info.limit,
            remaining,
            reset_epoch,
            reset_at: later(now, left),
            resume_at,
        })
    }
}

impl Window {
    /// Takes in an answer. An answer from an older window than the one
    /// known (or from the one that already ended) changes nothing; within
    /// the same window the lower `remaining` wins, since requests still in
    /// flight are already counted locally. True when the window was
    /// replaced by a newer one.
    pub(super) fn update(window: &mut Option<Window>, seen: Observation) -> bool {
        match window {
            Some(w) if w.reset_epoch > seen.reset_epoch => false,
            Some(w) if w.reset_epoch == seen.reset_epoch && w.refilled => false,
            Some(w) if w.reset_epoch == seen.reset_epoch => {
                w.remaining = w.remaining.min(seen.remaining);
                w.limit = seen.limit.or(w.limit);
                if seen.remaining == 0 {
                    w.resume_at = w.resume_at.max(seen.resume_at);
                }
                false
            }
            _ => {
                *window = Some(Window {
                    limit: seen.limit,
                    remaining: seen.remaining,
                    reset_epoch: seen.reset_epoch,
                    reset_at: seen.reset_at,
                    resume_at: seen.resume_at,
                    refilled: false,
                });
                true
            }
        }
    }

    /// Ends the window once its reset (and any `Retry-After`) has passed:
    /// the server's bucket is full again, so `limit` requests may go, and
    /// the next answer will say when that window ends; until then it is
    /// taken to end `assumed` later. Without a known `limit` nothing is
    /// known any more (`None`). True when the window ended.
    pub(super) fn roll_over(window: &mut Option<Window>, now: Instant, assumed: Duration) -> bool {
        let Some(w) = window else {
            return false;
        };
        if now < w.reset_at || w.resume_at.is_some_and(|r| now < r) {
            return false;
        }
        match w.limit {
            Some(limit) => {
                w.remaining = limit;
                w.reset_at = later(now, assumed);
                w.resume_at = None;
                w.refilled = true;
            }
            None => *window = None,
        }
        true
    }

    /// With none left, when the next request may go: the `Retry-After`
    /// moment if the server named one, else the reset.
    pub(super) fn exhausted_until(&self) -> Instant {
        self.resume_at.unwrap_or(self.reset_at)
    }

    /// Counts a request starting now; with none left it is the one the
    /// server's `Retry-After` let through.
    pub(super) fn spend(&mut self) {
        if self.remaining == 0 {
            self.resume_at = None;
        }
        self.remaining = self.remaining.saturating_sub(1);
    }
}

/// `at + d`, or about 30 years ahead (as tokio does for unbounded sleeps)
/// when that overflows.
pub(super) fn later(at: Instant, d: Duration) -> Instant {
    at.checked_add(d).unwrap_or_else(|| far_future(at))
}

fn far_future(from: Instant) -> Instant {
    // Only reached when `from + d` overflowed, which tokio's clock cannot
    // get near in practice; returning `from` then is harmless.
    from.checked_add(Duration::from_secs(86_400 * 365 * 30))
        .unwrap_or(from)
}
