//! Curated helpers on the generated `users` group.

use crate::api::{Users, UsersListUsersByEmailParams};
use crate::client::ManagementService;
use crate::error::Error;
use crate::models::UserResponseSchema;

impl<S: ManagementService> Users<'_, S> {
    /// Every user with this email address (Auth0 compares it
    /// case-insensitively), across connections, with all fields: `GET
    /// /api/v2/users-by-email?email=…` through
    /// [`Self::list_users_by_email`] with no field filter. Needs
    /// `read:users`.
    ///
    /// ```no_run
    /// # async fn f(auth0: auth0_management::ManagementClient) -> Result<(), auth0_management::Error> {
    /// for user in auth0.users().list_by_email("jane@example.com").await? {
    ///     println!("{:?} in {:?}", user.user_id, user.identities);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list_by_email(self, email: &str) -> Result<Vec<UserResponseSchema>, Error> {
        self.list_users_by_email(&UsersListUsersByEmailParams::new(email))
            .await
    }
}
