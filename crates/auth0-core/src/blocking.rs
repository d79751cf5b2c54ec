//! The runtime behind the SDK's blocking clients (feature `blocking`).
//!
//! The API crates' `blocking` modules (`auth0_authentication::blocking`,
//! `auth0_management::blocking`, `auth0_jwt::blocking`) offer the async
//! clients' methods without `async`. They all run on a [`Runtime`]: one
//! background thread named `auth0-blocking` that owns a current-thread tokio
//! runtime and drives its I/O and timers (and the tasks the HTTP stack
//! spawns: pooled connections, a JWKS fetch). A blocking call
//! ([`Runtime::block_on`]) polls the async call's future on the calling
//! thread and parks that thread between wake-ups; the runtime thread's I/O
//! driver wakes it when a socket is ready or a timer fires. This is the
//! model of `reqwest::blocking`, except that the future is not sent to the
//! runtime thread, so a call may borrow its arguments and needs no
//! `'static` or `Send` bound.
//!
//! # Sharing and shutdown
//!
//! A [`Runtime`] is a cheap handle (`Clone`, an `Arc`): every blocking
//! client built from the same handle, and every thread calling through
//! them, share the one runtime thread and the connection pool of the
//! clients. The thread stops, and is joined, when the last handle is
//! dropped (from any thread other than the runtime thread itself).
//!
//! # Cost
//!
//! - one OS thread per [`Runtime`] (a default 2 MiB stack reservation, idle
//!   while no call is in flight);
//! - per call, the check below and, per readiness event of the call's
//!   sockets or timers, one cross-thread wake-up (a futex wake and the
//!   caller's unpark) instead of the in-place wake of an async caller.
//!
//! Measured (`cargo xtask bench blocking`: the same calls through the
//! blocking clients and through the async ones awaited on a current-thread
//! tokio runtime, same run; a shared 2-core machine at load ~12, so the
//! process CPU time is the steadier figure):
//!
//! | call | async | blocking | blocking / async |
//! |---|---|---|---|
//! | Management `connections().get` over keep-alive HTTP/1.1 on 127.0.0.1 | 33–42 µs CPU, 96–116 µs wall | 67–112 µs CPU, 199–295 µs wall | +34 to +71 µs CPU, +103 to +179 µs wall per call (0.37–0.50×) |
//! | `AccessTokenValidator::validate`, ES256, no cache (no I/O) | 57–62 µs CPU | 59–60 µs CPU | within noise (±2 µs) |
//! | the same, token in the verified-token cache | 0.13–0.15 µs CPU | 0.12–0.13 µs CPU | none: answered inline, no runtime |
//!
//! The HTTP call pays for its hand-offs between the calling thread and the
//! runtime thread (the request to the pooled connection's task, the answer
//! back), each a wake-up of a parked thread: tens of microseconds of CPU
//! per call, small next to a request to Auth0 over the Internet (tens of
//! milliseconds), and the reason an application that runs tokio anyway
//! should use the async clients. Polling the same async client with a
//! runtime of your own on the calling thread (`block_on` per call) cost
//! −0.3 to +8 µs CPU per call in the same runs.
//!
//! A blocking client is meant for scripts, CLIs and synchronous servers; an
//! application that already runs tokio should use the async clients.
//!
//! # Inside an async runtime
//!
//! Blocking a thread that runs async tasks stalls every task on it, and
//! tokio refuses to nest runtimes, so a call made with a tokio runtime
//! context current (an async task, a `block_on`, a `spawn_blocking`
//! closure, an `enter` guard) returns [`BlockingError::InsideAsyncRuntime`]
//! instead of blocking or panicking. Use the async client there.
//!
//! ```
//! use auth0_core::blocking::Runtime;
//!
//! let runtime = Runtime::new()?;
//! let answer = runtime.block_on(async { 6 * 7 })?;
//! assert_eq!(answer, 42);
//!
//! // The same call from inside an async runtime is a typed error.
//! let inner = runtime.clone();
//! let err = tokio::runtime::Builder::new_current_thread()
//!     .build()?
//!     .block_on(async move { inner.block_on(async { 1 }) })
//!     .unwrap_err();
//! assert!(matches!(err, auth0_core::blocking::BlockingError::InsideAsyncRuntime));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

/// The name of the runtime thread (visible in debuggers and `top -H`).
pub const THREAD_NAME: &str = "auth0-blocking";

/// Why a blocking call could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlockingError {
    /// The call was made with a tokio runtime context current (inside an
    /// async task, a `block_on`, `spawn_blocking` or an `enter` guard):
    /// blocking there would stall the runtime. Use the async client.
    #[error(
        "a blocking auth0 client was called from inside an async (tokio) runtime; use the async client there"
    )]
    InsideAsyncRuntime,
    /// The runtime thread or its tokio runtime could not be started.
    #[error("could not start the blocking client's runtime thread")]
    Start(#[source] std::io::Error),
    /// The runtime thread is gone (it can only end if it panicked).
    #[error("the blocking client's runtime thread has stopped")]
    Stopped,
}

/// A shared handle to the background runtime of the blocking clients: see
/// the [module documentation](self).
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    handle: tokio::runtime::Handle,
    /// Dropping it ends the runtime thread's `block_on`.
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("thread", &THREAD_NAME)
            .field("handles", &Arc::strong_count(&self.inner))
            .finish()
    }
}

impl Runtime {
    /// Starts the runtime thread.
    ///
    /// # Errors
    ///
    /// [`BlockingError::Start`] when the OS refuses a thread or the tokio
    /// runtime cannot be built.
    pub fn new() -> Result<Self, BlockingError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(BlockingError::Start)?;
        let handle = runtime.handle().clone();
        let (shutdown, stop) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(THREAD_NAME.to_owned())
            .spawn(move || {
                // Drives I/O, timers and spawned tasks until the last
                // handle drops the sender.
                let _ = runtime.block_on(stop);
                drop(runtime);
            })
            .map_err(BlockingError::Start)?;
        Ok(Self {
            inner: Arc::new(Inner {
                handle,
                shutdown: Some(shutdown),
                thread: Some(thread),
            }),
        })
    }

    /// Runs `future` to completion on the calling thread, with this
    /// runtime's I/O, timers and task spawner, and returns its output.
    ///
    /// # Errors
    ///
    /// [`BlockingError::InsideAsyncRuntime`] when called with a tokio
    /// runtime context current; [`BlockingError::Stopped`] when the runtime
    /// thread is gone. The future is not polled in either case.
    pub fn block_on<F: Future>(&self, future: F) -> Result<F::Output, BlockingError> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(BlockingError::InsideAsyncRuntime);
        }
        if self
            .inner
            .thread
            .as_ref()
            .is_none_or(JoinHandle::is_finished)
        {
            return Err(BlockingError::Stopped);
        }
        Ok(self.inner.handle.block_on(future))
    }

    /// Enters this runtime's context for the life of the guard: for
    /// building something that looks for a tokio runtime when it is made.
    pub fn enter(&self) -> tokio::runtime::EnterGuard<'_> {
        self.inner.handle.enter()
    }

    /// The tokio handle of the runtime thread, to spawn work onto it.
    pub fn handle(&self) -> &tokio::runtime::Handle {
        &self.inner.handle
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        drop(self.shutdown.take());
        if let Some(thread) = self.thread.take() {
            // The runtime thread cannot wait for itself (the last handle
            // dropped by a task it ran): it ends on its own.
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_timers_and_io_from_plain_threads() {
        let runtime = Runtime::new().unwrap();
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let runtime = runtime.clone();
                std::thread::spawn(move || {
                    runtime
                        .block_on(async move {
                            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
                            let addr = listener.local_addr()?;
                            let accept = tokio::spawn(async move { listener.accept().await });
                            let _client = tokio::net::TcpStream::connect(addr).await?;
                            accept.await.map_err(std::io::Error::other)??;
                            Ok::<_, std::io::Error>(i)
                        })
                        .unwrap()
                        .unwrap()
                })
            })
            .collect();
        let mut done: Vec<i32> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        done.sort_unstable();
        assert_eq!(done, [0, 1, 2, 3]);
    }

    #[test]
    fn refuses_calls_inside_a_runtime() {
        let runtime = Runtime::new().unwrap();
        let outer = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let inner = runtime.clone();
        let err = outer
            .block_on(async move { inner.block_on(async { 1 }) })
            .unwrap_err();
        assert!(matches!(err, BlockingError::InsideAsyncRuntime));
        let guard = outer.enter();
        assert!(matches!(
            runtime.block_on(async { 1 }),
            Err(BlockingError::InsideAsyncRuntime)
        ));
        drop(guard);
        assert_eq!(runtime.block_on(async { 1 }).unwrap(), 1);
    }

    #[test]
    fn the_thread_stops_with_the_last_handle() {
        let runtime = Runtime::new().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        // A task on the runtime thread holds `tx` until the runtime drops it.
        runtime.handle().spawn(async move {
            let _tx = tx;
            std::future::pending::<()>().await;
        });
        let second = runtime.clone();
        drop(runtime);
        assert_eq!(
            rx.recv_timeout(std::time::Duration::from_millis(50)),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout),
            "still running while a handle is alive"
        );
        drop(second);
        // Joined on drop: the task was dropped with the runtime.
        assert_eq!(
            rx.try_recv(),
            Err(std::sync::mpsc::TryRecvError::Disconnected)
        );
    }
}
