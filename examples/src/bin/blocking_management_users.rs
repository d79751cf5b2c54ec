//! [`management_users`](management_users.rs) without async: create, read,
//! update, search (the pager as an `Iterator`) and delete users through the
//! blocking Management client (feature `blocking`).
//!
//! ```text
//! # Against a tenant (an M2M application with create/read/update/delete:users):
//! AUTH0_DOMAIN=tenant.eu.auth0.com AUTH0_CLIENT_ID=… AUTH0_CLIENT_SECRET=… \
//! cargo run -p auth0-examples --bin blocking_management_users
//!
//! # Without a tenant: the local tenant (auth0-local) over HTTPS on 127.0.0.1.
//! cargo run -p auth0-examples --bin blocking_management_users
//! ```

use std::process::ExitCode;

use auth0_core::{Auth0Client, ClientConfig};
use auth0_examples::{BoxError, TenantSettings};
use auth0_local::LocalTenant;
use auth0_management::ClientCredentials;
use auth0_management::api::{UsersGetParams, UsersListParams};
use auth0_management::blocking::ManagementClient;
use auth0_management::models::{CreateUserRequestContent, UpdateUserRequestContent};

fn main() -> ExitCode {
    auth0_examples::exit_code("blocking_management_users", run())
}

fn run() -> Result<(), BoxError> {
    let mut _local = None;
    let remote = TenantSettings::from_env()?;
    let (config, client_id, client_secret) = match &remote {
        Some(tenant) => {
            println!("Using the tenant {}", tenant.domain);
            (
                ClientConfig::new(&tenant.domain)?,
                tenant.client_id.clone(),
                tenant.client_secret.clone(),
            )
        }
        None => {
            let tenant = LocalTenant::builder().start_threaded()?;
            auth0_examples::announce_local(&tenant);
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
    let auth0 = ManagementClient::from_async(
        auth0_management::ManagementClient::builder(Auth0Client::new(config)?)
            .client_credentials(ClientCredentials::new(client_id, client_secret))
            .build()?,
    )?;
    let users = auth0.users();

    let created = users.create(
        &CreateUserRequestContent::new("Username-Password-Authentication")
            .email("rust-blocking-example@example.com")
            .password("A-long-example-passphrase-42")
            .name("Rust Blocking Example"),
    )?;
    let id = created
        .user_id
        .clone()
        .ok_or("the created user has no id")?;
    println!("created {id}");

    let updated = users.update(&id, &UpdateUserRequestContent::new().nickname("rusty"))?;
    println!(
        "nickname is now {}",
        updated.nickname.as_deref().unwrap_or("(none)")
    );

    let fetched = users.get(&id, &UsersGetParams::new())?;
    println!(
        "fetched {} <{}>",
        fetched.name.as_deref().unwrap_or("(no name)"),
        fetched.email.as_deref().unwrap_or("no e-mail")
    );

    // The pager is an Iterator of users, fetching pages as it goes.
    let search = users.list_pager(
        UsersListParams::new()
            .q("email:\"rust-blocking-example@example.com\"")
            .per_page(50),
    );
    for user in search {
        println!(
            "search found {}",
            auth0_examples::or_none(user?.user_id.as_deref())
        );
    }

    users.delete(&id)?;
    println!("deleted {id}");
    Ok(())
}
