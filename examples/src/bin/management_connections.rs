//! The Python SDK's Management example, in Rust: list all connections,
//! rename one, and read it back.
//!
//! ```text
//! # Against a tenant (an M2M application with read:connections and
//! # update:connections; only `display_name` can be changed on a real tenant):
//! AUTH0_DOMAIN=tenant.eu.auth0.com AUTH0_CLIENT_ID=… AUTH0_CLIENT_SECRET=… \
//! AUTH0_CONNECTION_ID=con_… cargo run -p auth0-examples --bin management_connections
//!
//! # Without a tenant: the local tenant (auth0-local) over HTTPS on 127.0.0.1.
//! cargo run -p auth0-examples --bin management_connections
//! ```

use std::process::ExitCode;

use auth0_core::{Auth0Client, ClientConfig};
use auth0_examples::{BoxError, TenantSettings};
use auth0_management::api::ConnectionsGetParams;
use auth0_management::models::UpdateConnectionRequestContent;
use auth0_management::{ClientCredentials, ManagementClient};

#[tokio::main]
async fn main() -> ExitCode {
    auth0_examples::exit_code("management_connections", run().await)
}

async fn run() -> Result<(), BoxError> {
    let remote = TenantSettings::from_env()?;
    let mut _local = None;
    let (config, client_id, client_secret, connection_id) = match &remote {
        Some(tenant) => {
            println!("Using the tenant {}", tenant.domain);
            (
                ClientConfig::new(&tenant.domain)?,
                tenant.client_id.clone(),
                tenant.client_secret.clone(),
                auth0_examples::required_var("AUTH0_CONNECTION_ID")?,
            )
        }
        None => {
            let tenant = auth0_examples::start_local_tenant_https().await?;
            // The tenant's domain, with its CA trusted.
            let config = tenant.client_config().build()?;
            let machine = tenant.applications().machine.clone();
            _local = Some(tenant);
            (
                config,
                machine.client_id().to_owned(),
                machine.client_secret().unwrap_or_default().to_owned(),
                "con_ErZf9LpXQDE0cNBr".to_owned(),
            )
        }
    };

    let auth0 = ManagementClient::builder(Auth0Client::new(config)?)
        .client_credentials(ClientCredentials::new(client_id, client_secret))
        .build()?;

    // auth0.connections.all()
    for connection in auth0.connections().all().await? {
        println!(
            "{:<24} {:<36} {:<8} options {}",
            connection.id.as_deref().unwrap_or("-"),
            connection.name.as_deref().unwrap_or("-"),
            connection.strategy.as_deref().unwrap_or("-"),
            auth0_examples::json_or_none(connection.options.as_ref()),
        );
    }

    // auth0.connections.update('con_ErZf9LpXQDE0cNBr', {'name': 'MyNewName'})
    // Auth0 keeps `name` immutable (so does the local tenant): the typed
    // body has the fields the API lets you change (display_name, options,
    // enabled_clients, realms, is_domain_connection, show_as_button,
    // metadata, authentication, connected_accounts). Change the display
    // name instead.
    let change = UpdateConnectionRequestContent::new().display_name("MyNewName");
    auth0.connections().update(&connection_id, &change).await?;

    // modified_connection = auth0.connections.get('con_ErZf9LpXQDE0cNBr')
    let modified = auth0
        .connections()
        .get(&connection_id, &ConnectionsGetParams::new())
        .await?;
    // Which returns something like the seed's dict: the same fields, typed.
    println!("\nafter the update:");
    for (field, value) in [
        ("id", auth0_examples::or_none(modified.id.as_deref())),
        ("name", auth0_examples::or_none(modified.name.as_deref())),
        (
            "display_name",
            auth0_examples::or_none(modified.display_name.as_deref()),
        ),
        (
            "strategy",
            auth0_examples::or_none(modified.strategy.as_deref()),
        ),
        (
            "options",
            auth0_examples::json_or_none(modified.options.as_ref()),
        ),
        (
            "enabled_clients",
            auth0_examples::or_none(modified.enabled_clients.as_ref().map(|c| c.join(", "))),
        ),
    ] {
        println!("  {field:<16} {value}");
    }
    Ok(())
}
