//! The error a timeout or deadline raises, and helpers to recognise it.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

/// Which of the stack's time limits fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// Opening the connection (TCP + TLS) took too long; raised by the
    /// transport. The request never left the client.
    Connect,
    /// One attempt (request sent, response headers and body read) took too
    /// long; raised by [`TimeoutLayer`](super::TimeoutLayer), or by the
    /// retry layer's own limit in the default stack
    /// ([`RetryLayer::attempt_timeout`](crate::retry::RetryLayer::attempt_timeout)).
    Attempt,
    /// The whole call, retries and waits included, took too long; raised by
    /// [`DeadlineLayer`](super::DeadlineLayer), or by the retry layer's own
    /// limit in the default stack
    /// ([`RetryLayer::deadline`](crate::retry::RetryLayer::deadline)).
    Deadline,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "connect timeout",
            Self::Attempt => "per-attempt timeout",
            Self::Deadline => "overall deadline",
        })
    }
}

/// A time limit of the stack fired before the call completed.
///
/// Services return it boxed in a [`BoxError`](crate::types::BoxError);
/// [`Elapsed::find`] digs it out of an error chain.
///
/// ```
/// use std::time::Duration;
/// use auth0_core::timeout::{Elapsed, TimeoutKind};
///
/// let e = Elapsed::new(TimeoutKind::Attempt, Duration::from_secs(5));
/// assert_eq!(e.to_string(), "per-attempt timeout elapsed after 5s");
/// assert!(e.is_attempt());
/// assert!(e.is_retryable_kind());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Elapsed {
    /// Which limit fired.
    pub kind: TimeoutKind,
    /// The configured limit that was exceeded.
    pub after: Duration,
    /// How many attempts the call had made when it gave up (1 when it
    /// made one, or when no retry layer counted them).
    pub attempts: u32,
    /// How long the call had run when it gave up, when the retry layer
    /// knows it (waits between attempts included).
    pub spent: Option<Duration>,
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} elapsed after {:?}", self.kind, self.after)?;
        if self.attempts > 1 {
            write!(f, " on attempt {}", self.attempts)?;
            if let Some(spent) = self.spent {
                // Tenths of a second are what a person reads here.
                let tenths = Duration::from_millis(
                    u64::try_from(spent.as_millis() / 100 * 100).unwrap_or(u64::MAX),
                );
                write!(f, " ({tenths:?} since the call started)")?;
            }
        }
        Ok(())
    }
}

impl StdError for Elapsed {}

impl Elapsed {
    /// An `Elapsed` of `kind` after the limit `after`.
    pub fn new(kind: TimeoutKind, after: Duration) -> Self {
        Self {
            kind,
            after,
            attempts: 1,
            spent: None,
        }
    }

    /// The same timeout, as the last of `attempts` attempts of a call that
    /// has run for `spent` (the retry layer says so when it gives up).
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth0_core::timeout::{Elapsed, TimeoutKind};
    /// let e = Elapsed::new(TimeoutKind::Attempt, Duration::from_secs(10))
    ///     .after_attempts(4, Duration::from_millis(41_230));
    /// assert_eq!(
    ///     e.to_string(),
    ///     "per-attempt timeout elapsed after 10s on attempt 4 (41.2s since the call started)"
    /// );
    /// ```
    #[must_use]
    pub fn after_attempts(mut self, attempts: u32, spent: Duration) -> Self {
        self.attempts = attempts;
        self.spent = Some(spent);
        self
    }

    /// Which limit fired.
    pub fn kind(&self) -> TimeoutKind {
        self.kind
    }

    /// The configured limit that was exceeded.
    pub fn after(&self) -> Duration {
        self.after
    }

    /// True for a connect timeout (the request was never sent).
    pub fn is_connect(&self) -> bool {
        self.kind == TimeoutKind::Connect
    }

    /// True for a per-attempt timeout.
    pub fn is_attempt(&self) -> bool {
        self.kind == TimeoutKind::Attempt
    }

    /// True when the overall deadline fired.
    pub fn is_deadline(&self) -> bool {
        self.kind == TimeoutKind::Deadline
    }

    /// True for the kinds a retry may help with (connect and attempt
    /// timeouts); an overall deadline is final.
    pub fn is_retryable_kind(&self) -> bool {
        matches!(self.kind, TimeoutKind::Connect | TimeoutKind::Attempt)
    }

    /// The first `Elapsed` in `err` or its chain of [`source`](StdError::source)s.
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth0_core::timeout::{Elapsed, TimeoutKind};
    /// use auth0_core::types::BoxError;
    ///
    /// let err: BoxError = Elapsed::new(TimeoutKind::Deadline, Duration::from_secs(30)).into();
    /// let found = Elapsed::find(err.as_ref()).unwrap();
    /// assert!(found.is_deadline());
    /// ```
    pub fn find<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a Elapsed> {
        let mut cur: Option<&'a (dyn StdError + 'static)> = Some(err);
        while let Some(e) = cur {
            if let Some(elapsed) = e.downcast_ref::<Elapsed>() {
                return Some(elapsed);
            }
            cur = e.source();
        }
        None
    }
}

/// True when `err` (or an error in its source chain) is an [`Elapsed`] of any kind.
///
/// ```
/// use std::time::Duration;
/// use auth0_core::timeout::{is_timeout, Elapsed, TimeoutKind};
/// use auth0_core::types::BoxError;
///
/// let err: BoxError = Elapsed::new(TimeoutKind::Connect, Duration::from_secs(2)).into();
/// assert!(is_timeout(err.as_ref()));
/// let other: BoxError = "boom".into();
/// assert!(!is_timeout(other.as_ref()));
/// ```
pub fn is_timeout(err: &(dyn StdError + 'static)) -> bool {
    Elapsed::find(err).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::BoxError;

    #[derive(Debug, thiserror::Error)]
    #[error("wrapper")]
    struct Wrapper(#[source] Elapsed);

    #[test]
    fn display_names_kind_and_duration() {
        let connect = Elapsed::new(TimeoutKind::Connect, Duration::from_millis(1500));
        assert_eq!(connect.to_string(), "connect timeout elapsed after 1.5s");
        let deadline = Elapsed::new(TimeoutKind::Deadline, Duration::from_secs(30));
        assert_eq!(deadline.to_string(), "overall deadline elapsed after 30s");
    }

    #[test]
    fn predicates_match_kind() {
        let d = Duration::from_secs(1);
        assert!(Elapsed::new(TimeoutKind::Connect, d).is_connect());
        assert!(Elapsed::new(TimeoutKind::Connect, d).is_retryable_kind());
        assert!(Elapsed::new(TimeoutKind::Attempt, d).is_retryable_kind());
        assert!(!Elapsed::new(TimeoutKind::Deadline, d).is_retryable_kind());
        assert!(!Elapsed::new(TimeoutKind::Attempt, d).is_deadline());
    }

    #[test]
    fn find_walks_the_source_chain() {
        let inner = Elapsed::new(TimeoutKind::Attempt, Duration::from_secs(3));
        let err: BoxError = Box::new(Wrapper(inner));
        assert_eq!(Elapsed::find(err.as_ref()), Some(&inner));
        let plain: BoxError = "not a timeout".into();
        assert_eq!(Elapsed::find(plain.as_ref()), None);
        assert!(!is_timeout(plain.as_ref()));
    }
}
