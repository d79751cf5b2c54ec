//! Adaptive mode's picture of the server's rate-limit window, as Auth0's
//! `x-ratelimit-*` answers (and a `Retry-After`) describe it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use tokio::time::Instant;

use crate::headers::RateLimitInfo;

/// The server's window: how many requests it has left for us and until
/// when. Requests sent since the answer are counted off it: those still
/// in flight by the limiter (see [`Window::available`]), those that ended
/// without an answer describing a window here.
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
    /// When it was read.
    at: Instant,
    /// The answer was a `429`: whatever `remaining` says, the server
    /// refused a request (a per-endpoint or burst limit, another bucket
    /// than the one the headers describe), so none are left until its
    /// `Retry-After` (or its reset).
    pub(super) refused: bool,
}

impl Observation {
    /// Reads an answer's headers at `now` (the wall clock `wall`): `None`
    /// without `x-ratelimit-remaining` and a future `x-ratelimit-reset` —
    /// unless the answer is a `429` (`refused`) with a `Retry-After`, which
    /// is then a window with none left until that moment.
    pub(super) fn read(
        headers: &HeaderMap,
        now: Instant,
        wall: SystemTime,
        refused: bool,
    ) -> Option<Self> {
        let info = RateLimitInfo::from_headers(headers);
        let remaining = if refused { Some(0) } else { info.remaining };
        // The same `Retry-After` reading the retry layer waits for.
        let resume = (remaining == Some(0))
            .then(|| crate::retry::requested_wait(headers, wall))
            .flatten();
        let described = remaining.and(info.reset).and_then(|reset_epoch| {
            let left = UNIX_EPOCH
                .checked_add(Duration::from_secs(reset_epoch))
                .and_then(|reset| reset.duration_since(wall).ok())
                .filter(|d| !d.is_zero())?;
            Some((reset_epoch, left))
        });
        let (reset_epoch, left) = match (described, resume) {
            (Some(described), _) => described,
            // A refusal naming only its `Retry-After`: nothing is left
            // until then, and nothing more is known.
            (None, Some(wait)) if refused && !wait.is_zero() => {
                let until = wall.checked_add(wait)?.duration_since(UNIX_EPOCH).ok()?;
                let epoch = until.as_secs() + u64::from(until.subsec_nanos() > 0);
                (epoch, wait)
            }
            _ => return None,
        };
        Some(Self {
            limit: info.limit,
            remaining: remaining.unwrap_or(0),
            reset_epoch,
            reset_at: later(now, left),
            resume_at: resume.map(|wait| later(now, wait)),
            at: now,
            refused,
        })
    }
}

impl Window {
    /// Takes in an answer. An answer from an older window than the one
    /// known (or from the one that already ended) changes nothing; within
    /// the same window the lower `remaining` wins (answers overtake each
    /// other; requests still in flight are counted separately). True when
    /// the window was replaced by a newer one.
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
                Self::replace(window, seen);
                true
            }
        }
    }

    /// Takes `seen` as the window, whatever was known: the answer to a
    /// request sent after a refusal says how things stand now.
    pub(super) fn replace(window: &mut Option<Window>, seen: Observation) {
        *window = Some(Window {
            limit: seen.limit,
            remaining: seen.remaining,
            reset_epoch: seen.reset_epoch,
            reset_at: seen.reset_at,
            resume_at: seen.resume_at,
            refilled: false,
        });
    }

    /// Takes in a refusal (a `429`): none left until its `Retry-After`
    /// moment — when one request may go, and the rest wait for its answer —
    /// or else its reset. A later window already known is kept, with
    /// nothing left in it until then.
    pub(super) fn refuse(window: &mut Option<Window>, seen: Observation) {
        match window {
            Some(w) if w.reset_epoch >= seen.reset_epoch => {
                // A moment already passed no longer lets a request go: one
                // was just refused.
                let known = w.resume_at.filter(|at| *at > seen.at);
                let until = match (w.reset_epoch == seen.reset_epoch, seen.resume_at) {
                    (true, asked) => asked,
                    (false, asked) => Some(asked.unwrap_or(seen.reset_at)),
                };
                w.remaining = 0;
                w.limit = w.limit.or(seen.limit);
                w.resume_at = known.max(until);
                w.refilled = false;
            }
            _ => Self::replace(window, seen),
        }
    }

    /// What may still be sent: `remaining`, less the `in_flight` requests
    /// the server has not answered yet (its `remaining` may not count them).
    pub(super) fn available(&self, in_flight: u64) -> u64 {
        self.remaining.saturating_sub(in_flight)
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

    /// A request starts now with none `available`: it is the one the
    /// server's `Retry-After` let through (or one a capped wait let go),
    /// and the rest wait for an answer.
    pub(super) fn start_exhausted(&mut self) {
        self.resume_at = None;
    }

    /// Counts one request off the window: one started by
    /// [`RateLimiter::acquire`](super::RateLimiter::acquire), which is never
    /// settled, or one that ended without an answer describing a window
    /// (the server may have counted it).
    pub(super) fn spend(&mut self) {
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
