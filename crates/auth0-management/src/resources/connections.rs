//! Curated helpers on the generated `connections` group.

use crate::api::{Connections, ConnectionsListParams};
use crate::client::ManagementService;
use crate::error::Error;
use crate::models::ConnectionForList;
use crate::pagination::DEFAULT_MAX_ITEMS;

impl<S: ManagementService> Connections<'_, S> {
    /// Every connection (auth0-python's `connections.all()`): `GET
    /// /api/v2/connections` walked with checkpoint pages of 100 (Auth0's
    /// maximum) through [`Self::list_checkpoint_pager`], at most
    /// [`DEFAULT_MAX_ITEMS`] ([`Error::TooManyItems`] past it). Needs
    /// `read:connections`.
    ///
    /// ```no_run
    /// # async fn f(auth0: auth0_management::ManagementClient) -> Result<(), auth0_management::Error> {
    /// for connection in auth0.connections().all().await? {
    ///     println!("{:?} ({:?})", connection.name, connection.strategy);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn all(self) -> Result<Vec<ConnectionForList>, Error> {
        self.list_checkpoint_pager(ConnectionsListParams::new().take(100))
            .collect_all(DEFAULT_MAX_ITEMS)
            .await
    }
}
