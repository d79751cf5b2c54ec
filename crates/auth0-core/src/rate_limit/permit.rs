//! [`Permit`]: one request let through by a [`RateLimiter`], counted in
//! flight until it is settled.

use std::fmt;

use http::{HeaderMap, StatusCode};

use super::limiter::RateLimiter;

/// A request the [`RateLimiter`] let go ([`RateLimiter::permit`]). Until
/// it is settled, adaptive mode counts it against the window the server
/// last described: the server's `x-ratelimit-remaining` may not include it
/// yet. Settle it with the answer ([`answered`](Self::answered)), as never
/// sent ([`unsent`](Self::unsent)), or by dropping it — a request that
/// failed or was abandoned on the way, which is then counted off the
/// window (the server may have counted it).
#[must_use = "a permit is settled with the answer; dropping it counts the request as sent and unanswered"]
pub struct Permit {
    limiter: RateLimiter,
    number: u64,
    settled: bool,
}

/// How a permit ended.
#[derive(Clone, Copy)]
pub(super) enum Settled<'a> {
    /// With an answer: its status and headers.
    Answered(StatusCode, &'a HeaderMap),
    /// The request was never handed on.
    Unsent,
    /// Sent, and no answer: failed, timed out, or dropped.
    Lost,
}

impl Permit {
    pub(super) fn new(limiter: RateLimiter, number: u64) -> Self {
        Self {
            limiter,
            number,
            settled: false,
        }
    }

    /// Settles the permit with the request's answer: its `x-ratelimit-*`
    /// headers describe the window (a `429` says none are left, whatever
    /// `x-ratelimit-remaining` says, until its `Retry-After` or reset).
    pub fn answered(mut self, status: StatusCode, headers: &HeaderMap) {
        self.settle(Settled::Answered(status, headers));
    }

    /// Settles the permit of a request that was never sent (its service
    /// failed to get ready, or the call ended first): nothing is counted.
    pub fn unsent(mut self) {
        self.settle(Settled::Unsent);
    }

    fn settle(&mut self, how: Settled<'_>) {
        if !self.settled {
            self.settled = true;
            self.limiter.settle(self.number, how);
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.settle(Settled::Lost);
    }
}

impl fmt::Debug for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit")
            .field("number", &self.number)
            .finish_non_exhaustive()
    }
}
