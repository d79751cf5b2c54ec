//! The tenant as the wire shows it: a client that never retries, and a
//! Management API token for raw requests.

use auth0_core::Auth0Client;
use auth0_core::retry::RetryPolicy;
use auth0_local::LocalTenant;

/// A raw client that never retries, to see each answer as the tenant sends it.
pub(crate) fn raw_client(tenant: &LocalTenant) -> Auth0Client {
    let config = tenant
        .client_config()
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    Auth0Client::new(config).unwrap()
}

/// A Management API token of the tenant's machine-to-machine application
/// (client credentials).
pub(crate) async fn management_token(tenant: &LocalTenant) -> String {
    tenant
        .authentication_client()
        .unwrap()
        .client_credentials(&tenant.management_audience(), None)
        .await
        .unwrap()
        .access_token
}
