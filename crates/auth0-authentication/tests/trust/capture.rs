//! A TRACE-level `tracing` subscriber that keeps everything logged as text
//! (every event and span field, with its target and message), to search
//! for secrets; and a way to run SDK calls on another thread, untraced, the
//! way parallel tests do.

use std::fmt::Write as _;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::{DefaultGuard, Interest};
use tracing::{Dispatch, Event, Metadata, Subscriber};

#[derive(Clone, Default)]
pub struct Capture {
    text: Arc<Mutex<String>>,
    next_id: Arc<AtomicU64>,
}

struct Writer<'a>(&'a mut String);

impl Visit for Writer<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(self.0, " {}={}", field.name(), value);
    }
}

impl Capture {
    /// Everything captured so far.
    pub fn text(&self) -> String {
        self.text.lock().unwrap().clone()
    }

    /// Makes this capture the default subscriber of this thread while the
    /// guard lives, with other threads (the parallel tests) calling the SDK
    /// untraced meanwhile.
    ///
    /// `tracing::subscriber::set_default` alone is not enough: while exactly
    /// one `Dispatch` is registered, tracing-core 0.1 computes the interest
    /// of a callsite hit for the first time from the default subscriber of
    /// the thread that hits it (tokio-rs/tracing#3611, #2874), and caches it
    /// for the process. Another thread has none, so a span or event it
    /// reached first was `never` here too, and the capture silently missed
    /// it. With a second `Dispatch` registered first, for the rest of the
    /// process and wanting nothing, every callsite's interest is asked of
    /// every registered subscriber: `sometimes` while a capture lives, so
    /// each thread asks its own.
    pub fn on_this_thread(&self) -> DefaultGuard {
        static WANTS_NOTHING: OnceLock<Dispatch> = OnceLock::new();
        WANTS_NOTHING.get_or_init(|| Dispatch::new(WantsNothing));
        tracing::subscriber::set_default(self.clone())
    }
}

/// A registered subscriber that wants nothing (max level `OFF`).
struct WantsNothing;

impl Subscriber for WantsNothing {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::never()
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::OFF)
    }

    fn enabled(&self, _: &Metadata<'_>) -> bool {
        false
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, _: &Event<'_>) {}

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::TRACE)
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut text = self.text.lock().unwrap();
        let _ = write!(text, "\nspan {}", span.metadata().name());
        span.record(&mut Writer(&mut text));
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &Id, values: &Record<'_>) {
        values.record(&mut Writer(&mut self.text.lock().unwrap()));
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut text = self.text.lock().unwrap();
        let _ = write!(
            text,
            "\n{} {}",
            event.metadata().level(),
            event.metadata().target()
        );
        event.record(&mut Writer(&mut text));
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// Runs the future `make` builds to completion on a new thread with its own
/// runtime and no subscriber, as a parallel test (or another part of an
/// application) would, and waits for it.
pub fn untraced_on_another_thread<F>(make: impl FnOnce() -> F + Send)
where
    F: Future<Output = ()>,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(make());
            })
            .join()
            .unwrap();
    });
}
