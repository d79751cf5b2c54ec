//! A local tenant for synchronous code: [`LocalTenantBuilder::start_threaded`]
//! runs the tenant on a runtime thread of its own, so plain `#[test]`s and
//! the blocking examples need no async runtime of their own.

use std::ops::Deref;

use crate::{LocalTenant, LocalTenantBuilder, StartError};

/// A [`LocalTenant`] serving from its own runtime thread (a one-worker
/// tokio runtime); derefs to the tenant. Dropping it closes the tenant's
/// connections and stops the thread.
pub struct ThreadedTenant {
    // Fields drop in this order: the tenant (its connections) first.
    tenant: LocalTenant,
    _runtime: OwnedRuntime,
}

/// Shuts its runtime down without waiting, which (unlike a plain drop) is
/// allowed in any context, async included.
struct OwnedRuntime(Option<tokio::runtime::Runtime>);

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl std::fmt::Debug for ThreadedTenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadedTenant")
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

impl LocalTenantBuilder {
    /// Starts the tenant on a runtime thread of its own and returns once it
    /// listens. For synchronous callers: inside an async runtime use
    /// [`LocalTenantBuilder::start`].
    ///
    /// ```
    /// let tenant = auth0_local::LocalTenant::builder().start_threaded()?;
    /// assert!(tenant.domain().contains("127.0.0.1:"));
    /// # Ok::<(), auth0_local::StartError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`StartError::Runtime`] when called inside an async runtime or when
    /// the thread cannot start; otherwise as [`LocalTenantBuilder::start`].
    pub fn start_threaded(self) -> Result<ThreadedTenant, StartError> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(StartError::Runtime {
                reason: "start_threaded was called inside an async runtime; use start().await"
                    .to_owned(),
            });
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("auth0-local")
            .enable_all()
            .build()
            .map_err(|e| StartError::Runtime {
                reason: e.to_string(),
            })?;
        let tenant = runtime.block_on(self.start())?;
        Ok(ThreadedTenant {
            tenant,
            _runtime: OwnedRuntime(Some(runtime)),
        })
    }
}

impl Deref for ThreadedTenant {
    type Target = LocalTenant;

    fn deref(&self) -> &LocalTenant {
        &self.tenant
    }
}
