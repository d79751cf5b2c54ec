//! The blocking Management API client (feature `blocking`) through its
//! public API, from plain threads with no async runtime of their own,
//! against the local tenant running on its own thread.

#![cfg(feature = "blocking")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::time::Duration;

use auth0_core::blocking::{BlockingError, Runtime};
use auth0_local::{LocalTenant, NewUser, ThreadedTenant};
use auth0_management::Error;
use auth0_management::api::{RolesListParams, UsersGetParams, UsersListParams};
use auth0_management::blocking::ManagementClient;
use auth0_management::jobs::JobWait;
use auth0_management::logs::LogCheckpoint;
use auth0_management::models::{
    CreateExportUsersFields, CreateExportUsersRequestContent, CreateRoleRequestContent,
    CreateUserRequestContent,
};
use serde_json::Value;

fn tenant() -> ThreadedTenant {
    let tenant = LocalTenant::builder().start_threaded().unwrap();
    tenant.set_job_duration(Duration::from_millis(60));
    tenant
}

fn client(tenant: &LocalTenant) -> ManagementClient {
    ManagementClient::from_async(tenant.management_client().unwrap()).unwrap()
}

#[test]
fn generated_operations_curated_helpers_and_pagers() {
    let tenant = tenant();
    let auth0 = client(&tenant);

    let user = auth0
        .users()
        .create(
            &CreateUserRequestContent::new("Username-Password-Authentication")
                .email("blocking@example.com")
                .password("a long passphrase"),
        )
        .unwrap();
    let id = user.user_id.unwrap();
    let fetched = auth0.users().get(&id, &UsersGetParams::new()).unwrap();
    assert_eq!(fetched.email.as_deref(), Some("blocking@example.com"));
    let found = auth0.users().list_by_email("blocking@example.com").unwrap();
    assert_eq!(found.len(), 1);
    assert!(!auth0.connections().all().unwrap().is_empty());

    // Sub-groups, and the offset pager as an iterator across pages of 2.
    for i in 0..5 {
        auth0
            .roles()
            .create(&CreateRoleRequestContent::new(format!("role-{i}")))
            .unwrap();
    }
    let names: BTreeSet<String> = auth0
        .roles()
        .list_pager(RolesListParams::new().per_page(2))
        .map(|role| role.unwrap().name.unwrap())
        .collect();
    let in_one_page = auth0
        .roles()
        .list_pager(RolesListParams::new().per_page(100))
        .collect_all(1000)
        .unwrap();
    assert_eq!(names.len(), in_one_page.len());
    for i in 0..5 {
        assert!(names.contains(&format!("role-{i}")), "{names:?}");
    }
    let users = auth0
        .users()
        .list_pager(UsersListParams::new().per_page(1))
        .collect_all(100)
        .unwrap();
    assert_eq!(users.len(), tenant.user_count());

    // An unknown id keeps its typed 404.
    let err = auth0
        .users()
        .get("auth0|nobody", &UsersGetParams::new())
        .unwrap_err();
    assert_eq!(err.status_code().map(|s| s.as_u16()), Some(404), "{err:?}");
}

#[test]
fn clones_share_the_runtime_and_token_across_threads() {
    let tenant = tenant();
    let runtime = Runtime::new().unwrap();
    let auth0 = ManagementClient::with_runtime(tenant.management_client().unwrap(), &runtime);
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let auth0 = auth0.clone();
            std::thread::spawn(move || {
                auth0
                    .roles()
                    .create(&CreateRoleRequestContent::new(format!("threaded-{i}")))
                    .unwrap()
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    // One token for every thread: the async client's cache is shared.
    assert_eq!(tenant.requests_to("/oauth/token").len(), 1);
}

#[test]
fn jobs_exports_and_the_log_checkpoint_pager() {
    let tenant = tenant();
    for i in 0..3 {
        tenant
            .add_user(NewUser::new(
                format!("export{i}@example.com"),
                "correct horse battery",
            ))
            .unwrap();
    }
    let auth0 = client(&tenant);
    let request = CreateExportUsersRequestContent::new()
        .format("json")
        .fields(vec![CreateExportUsersFields::new("email")]);
    let wait = JobWait::new()
        .first_interval(Duration::from_millis(10))
        .max_interval(Duration::from_millis(40))
        .deadline(Duration::from_secs(30));
    let export = auth0.export_users(&request, &wait).unwrap();
    let emails: BTreeSet<String> = export
        .map(|u| {
            u.unwrap()
                .get("email")
                .and_then(Value::as_str)
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(emails.len(), tenant.user_count());
    assert!(emails.contains("export2@example.com"));

    // The token exchange and the export job are in the logs, oldest first.
    let logs: Vec<_> = auth0
        .logs_checkpoint_pager(LogCheckpoint::oldest().take(1))
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(logs.len() >= 2, "{} log events", logs.len());
}

#[test]
fn a_call_inside_an_async_runtime_is_a_typed_error() {
    let tenant = tenant();
    let auth0 = client(&tenant);
    let before = tenant.requests().len();
    let outer = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let inner = auth0.clone();
    let (call, pager) = outer.block_on(async move {
        let call = inner.roles().list(&RolesListParams::new()).unwrap_err();
        let pager = inner
            .roles()
            .list_pager(RolesListParams::new())
            .next()
            .unwrap()
            .unwrap_err();
        (call, pager)
    });
    for err in [call, pager] {
        assert!(
            matches!(err, Error::Blocking(BlockingError::InsideAsyncRuntime)),
            "{err:?}"
        );
    }
    assert_eq!(tenant.requests().len(), before);
    auth0.roles().list(&RolesListParams::new()).unwrap();
}
