//! A users export job, waited for and read user by user, then the tenant
//! logs read by checkpoint (the way to export logs: no 1,000-result
//! window, resumable from the last `log_id`).
//!
//! ```text
//! # Against a tenant (an M2M application with read:users and read:logs):
//! AUTH0_DOMAIN=tenant.eu.auth0.com AUTH0_CLIENT_ID=… AUTH0_CLIENT_SECRET=… \
//! cargo run -p auth0-examples --bin management_export_users
//!
//! # Without a tenant: the local tenant (auth0-local) over HTTPS on 127.0.0.1,
//! # which emulates jobs, the pre-signed export file and the logs.
//! cargo run -p auth0-examples --bin management_export_users
//! ```

use std::process::ExitCode;
use std::time::Duration;

use auth0_core::{Auth0Client, ClientConfig};
use auth0_examples::{BoxError, TenantSettings};
use auth0_local::NewUser;
use auth0_management::jobs::{JobError, JobWait};
use auth0_management::logs::LogCheckpoint;
use auth0_management::models::{CreateExportUsersFields, CreateExportUsersRequestContent};
use auth0_management::{ClientCredentials, ManagementClient};

#[tokio::main]
async fn main() -> ExitCode {
    auth0_examples::exit_code("management_export_users", run().await)
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
            for i in 1..=5 {
                tenant.add_user(NewUser::new(
                    format!("export-{i}@example.com"),
                    "A-long-example-passphrase-42",
                ))?;
            }
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

    // Create the job, poll it (backoff up to 10 s, give up after 10 min),
    // download the gzip NDJSON file without the Management token.
    let request = CreateExportUsersRequestContent::new()
        .format("json")
        .fields(vec![
            CreateExportUsersFields::new("user_id"),
            CreateExportUsersFields::new("email"),
            CreateExportUsersFields::new("created_at"),
        ]);
    let wait = JobWait::new()
        .first_interval(Duration::from_millis(200))
        .max_interval(Duration::from_secs(10))
        .deadline(Duration::from_secs(600));
    let export = match auth0.export_users(&request, &wait).await {
        Ok(export) => export,
        Err(JobError::DeadlinePassed { last, .. }) => {
            println!("export {} still running; try again later", last.id);
            return Ok(());
        }
        Err(other) => return Err(other.into()),
    };
    let mut export = export;
    if let Some(len) = export.content_length() {
        println!("export file: {len} bytes compressed");
    }
    // Downloaded, decompressed and decoded as it is read: a large export
    // is never held in memory.
    let mut count = 0;
    while let Some(user) = export.next_user().await {
        let user = user?;
        count += 1;
        if count <= 3 {
            println!(
                "  {} <{}>",
                user.user_id().unwrap_or("(no user_id)"),
                user.get("email")
                    .map_or_else(String::new, ToString::to_string)
            );
        }
    }
    println!("{count} users exported\n");

    // The logs by checkpoint: every event in log_id order; store the
    // cursor and start from it next time.
    let mut pager = auth0.logs_checkpoint_pager(LogCheckpoint::oldest().take(100));
    let mut events = 0;
    // (An example stops after 1,000 events; an exporter goes on.)
    while events < 1_000 {
        let Some(page) = pager.next_page().await else {
            break;
        };
        for log in page?.items {
            events += 1;
            if events <= 5 {
                println!(
                    "  {} {}",
                    auth0_examples::or_none(log.type_.as_deref()),
                    auth0_examples::or_none(log.description.as_deref())
                );
            }
        }
    }
    println!(
        "{events} log events; resume after {}",
        pager.cursor().unwrap_or("(none)")
    );
    Ok(())
}
