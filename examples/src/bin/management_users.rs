//! Users through the Management API: create, read, update, search (walking
//! pages) and delete.
//!
//! ```text
//! # Against a tenant (an M2M application with create/read/update/delete:users):
//! AUTH0_DOMAIN=tenant.eu.auth0.com AUTH0_CLIENT_ID=… AUTH0_CLIENT_SECRET=… \
//! cargo run -p auth0-examples --bin management_users
//!
//! # Without a tenant: the local tenant (auth0-local) over HTTPS on 127.0.0.1.
//! cargo run -p auth0-examples --bin management_users
//! ```

use std::process::ExitCode;

use auth0_core::{Auth0Client, ClientConfig};
use auth0_examples::{BoxError, TenantSettings};
use auth0_management::api::{UsersGetParams, UsersListParams};
use auth0_management::models::{CreateUserRequestContent, UpdateUserRequestContent};
use auth0_management::{ClientCredentials, ManagementClient};

#[tokio::main]
async fn main() -> ExitCode {
    auth0_examples::exit_code("management_users", run().await)
}

async fn run() -> Result<(), BoxError> {
    let mut _local = None;
    let (config, client_id, client_secret) = match TenantSettings::from_env()? {
        Some(tenant) => {
            println!("Using the tenant {}", tenant.domain);
            (
                ClientConfig::new(&tenant.domain)?,
                tenant.client_id,
                tenant.client_secret,
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
            )
        }
    };
    let auth0 = ManagementClient::builder(Auth0Client::new(config)?)
        .client_credentials(ClientCredentials::new(client_id, client_secret))
        .build()?;
    let users = auth0.users();

    let created = users
        .create(
            &CreateUserRequestContent::new("Username-Password-Authentication")
                .email("rust-example@example.com")
                .password("A-long-example-passphrase-42")
                .name("Rust Example"),
        )
        .await?;
    let id = created
        .user_id
        .clone()
        .ok_or("the created user has no id")?;
    println!("created {id}");

    let updated = users
        .update(&id, &UpdateUserRequestContent::new().nickname("rusty"))
        .await?;
    println!(
        "nickname is now {}",
        updated.nickname.as_deref().unwrap_or("(none)")
    );

    let fetched = users.get(&id, &UsersGetParams::new()).await?;
    println!(
        "fetched {} <{}>",
        fetched.name.as_deref().unwrap_or("(no name)"),
        fetched.email.as_deref().unwrap_or("no e-mail")
    );

    let mut pager = users.list_pager(
        UsersListParams::new()
            .q("email:\"rust-example@example.com\"")
            .per_page(50),
    );
    while let Some(page) = pager.next_page().await {
        let page = page?;
        println!(
            "search page: {} of {} users",
            page.items.len(),
            page.total.map_or_else(|| "?".to_owned(), |t| t.to_string())
        );
    }

    users.delete(&id).await?;
    println!("deleted {id}");
    Ok(())
}
