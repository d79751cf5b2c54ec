//! Log checkpoint paging, job waiting and users exports through the public
//! API, against the local tenant (`auth0-local`), which emulates the logs,
//! the jobs and the pre-signed export storage.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::time::Duration;

use auth0_local::{DATABASE_CONNECTION, Fault, LocalTenant, NewUser};
use auth0_management::api::LogsListParams;
use auth0_management::jobs::{JobError, JobStatus, JobWait};
use auth0_management::logs::LogCheckpoint;
use auth0_management::models::{
    CreateExportUsersFields, CreateExportUsersRequestContent, CreateImportUsersRequestContent,
    CreateRoleRequestContent, CreateVerificationEmailRequestContent,
};
use auth0_management::request::{ApiPath, ApiRequest};
use auth0_management::{Error, ManagementClient};
use futures_util::TryStreamExt;
use serde_json::Value;

async fn tenant() -> LocalTenant {
    let tenant = LocalTenant::builder().start().await.unwrap();
    tenant.set_job_duration(Duration::from_millis(60));
    tenant
}

/// Polls fast: the tenant's jobs take 60 ms.
fn quick() -> JobWait {
    JobWait::new()
        .first_interval(Duration::from_millis(10))
        .max_interval(Duration::from_millis(40))
        .deadline(Duration::from_secs(30))
}

async fn database_connection_id(auth0: &ManagementClient) -> String {
    let connections = auth0
        .execute::<Value>(ApiRequest::get(ApiPath::new("connections")))
        .await
        .unwrap()
        .data;
    connections
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == DATABASE_CONNECTION)
        .and_then(|c| c["id"].as_str())
        .unwrap()
        .to_owned()
}

async fn user_by_email(auth0: &ManagementClient, email: &str) -> Option<Value> {
    let mut request = ApiRequest::get(ApiPath::new("users-by-email"));
    request.query_mut().push("email", email);
    let found = auth0.execute::<Value>(request).await.unwrap().data;
    found.as_array().and_then(|users| users.first().cloned())
}

#[tokio::test]
async fn log_checkpoint_walk_reads_every_event_in_order_and_resumes() {
    let tenant = tenant().await;
    let auth0 = tenant.management_client().unwrap();
    for i in 0..7 {
        auth0
            .roles()
            .create(&CreateRoleRequestContent::new(format!("role-{i}")))
            .await
            .unwrap();
    }
    // Pages of 3 over the token exchange and the 7 writes.
    let mut pager = auth0.logs_checkpoint_pager(LogCheckpoint::oldest().take(3));
    let mut logs = Vec::new();
    let mut pages = 0;
    while let Some(page) = pager.next_page().await {
        let page = page.unwrap();
        assert!(page.items.len() <= 3);
        pages += 1;
        logs.extend(page.items);
    }
    let kinds: Vec<&str> = logs.iter().filter_map(|l| l.type_.as_deref()).collect();
    assert_eq!(kinds.first(), Some(&"seccft"), "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "sapi").count(), 7);
    let ids: Vec<&str> = logs.iter().map(|l| l.log_id.as_deref().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(ids, sorted, "ascending, without repeats");
    // 8 logs in pages of 3, then the empty page that ends the walk.
    assert_eq!(pages, 4);
    let checkpoint = pager.cursor().unwrap().to_owned();
    assert_eq!(checkpoint, *ids.last().unwrap());

    // Resuming from the stored checkpoint reads only what is newer.
    auth0
        .roles()
        .create(&CreateRoleRequestContent::new("later"))
        .await
        .unwrap();
    let newer: Vec<_> = auth0
        .logs_checkpoint_pager(LogCheckpoint::after(checkpoint))
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(newer.len(), 1);
    assert_eq!(newer[0].type_.as_deref(), Some("sapi"));
    let details = newer[0].details.as_ref().unwrap();
    assert_eq!(details["request"]["method"], "post");
    assert_eq!(details["request"]["path"], "/api/v2/roles");
}

#[tokio::test]
async fn without_a_link_header_the_last_log_id_is_the_cursor_and_a_repeat_is_a_loop() {
    let tenant = tenant().await;
    let auth0 = tenant.management_client().unwrap();
    // Warm the token, so the scripted answers below meet the logs calls.
    auth0
        .roles()
        .create(&CreateRoleRequestContent::new("warm"))
        .await
        .unwrap();
    // A page without `Link`: ids far below the tenant's own.
    let scripted = serde_json::json!([
        { "log_id": "1000", "type": "s" },
        { "log_id": "1001", "type": "f" },
    ]);
    tenant.inject(
        Fault::reply(200, scripted.clone())
            .on_path("/api/v2/logs")
            .times(1),
    );
    let mut pager = auth0.logs_checkpoint_pager(LogCheckpoint::after("0999").take(2));
    let first = pager.next_page().await.unwrap().unwrap();
    assert_eq!(first.items.len(), 2);
    assert_eq!(pager.cursor(), Some("1001"));
    // The tenant answers `from=1001` with its own (newer) logs.
    let rest: Vec<_> = pager.into_stream().try_collect().await.unwrap();
    let kinds: Vec<_> = rest.iter().filter_map(|l| l.type_.as_deref()).collect();
    assert_eq!(kinds, ["seccft", "sapi"]);

    // A server that answers the same page again is a loop, not more data.
    tenant.inject(Fault::reply(200, scripted).on_path("/api/v2/logs").times(3));
    let err = auth0
        .logs_checkpoint_pager(LogCheckpoint::after("0999").take(2))
        .into_stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::PaginationLoop), "{err:?}");
    tenant.clear_faults();
}

#[tokio::test]
async fn offset_log_paging_stops_at_the_window_naming_checkpoint_paging() {
    let tenant = tenant().await;
    let auth0 = tenant.management_client().unwrap();
    let mut pager = auth0
        .logs()
        .list_pager(LogsListParams::new().page(10).per_page(100));
    let err = pager.next_page().await.unwrap().unwrap_err();
    let Error::ResultWindow { limit, alternative } = err else {
        panic!("{err:?}");
    };
    assert_eq!(limit, 1_000);
    assert!(
        alternative.contains("logs_checkpoint_pager"),
        "{alternative}"
    );
    assert!(alternative.contains("log stream"), "{alternative}");
    assert!(pager.next_page().await.is_none());
}

#[tokio::test]
async fn import_waits_and_reports_the_rejected_users() {
    let tenant = tenant().await;
    let auth0 = tenant.management_client().unwrap();
    let connection_id = database_connection_id(&auth0).await;
    let taken = tenant.user().email.clone();
    let file = serde_json::json!([
        { "email": "new.person@example.com", "email_verified": true, "user_metadata": { "plan": "gold" } },
        { "email": taken },
        { "name": "no email" },
        // Past Auth0's 150 characters for a family name.
        { "email": "long.name@example.com", "family_name": "f".repeat(151) },
    ]);
    let job = auth0
        .jobs()
        .users_imports()
        .create(
            &CreateImportUsersRequestContent::new()
                .connection_id(&connection_id)
                .users(file.to_string()),
        )
        .await
        .unwrap();
    assert_eq!(job.status, "pending");
    let done = auth0.wait_for_job(&job.id, &quick()).await.unwrap();
    assert_eq!(JobStatus::parse(&done.status), JobStatus::Completed);
    let summary = done.summary.unwrap();
    assert_eq!(
        (
            summary.total,
            summary.inserted,
            summary.updated,
            summary.failed
        ),
        (Some(4), Some(1), Some(0), Some(3))
    );
    let report = auth0.job_import_errors(&job.id).await.unwrap();
    let codes: BTreeSet<String> = report
        .iter()
        .flat_map(|r| r.errors.iter().flatten())
        .filter_map(|e| e.code.clone())
        .collect();
    assert_eq!(
        codes,
        BTreeSet::from([
            "DUPLICATED_USER".to_owned(),
            "MAX_LENGTH".to_owned(),
            "OBJECT_REQUIRED".to_owned()
        ])
    );
    assert!(
        user_by_email(&auth0, "long.name@example.com")
            .await
            .is_none()
    );
    let imported = user_by_email(&auth0, "new.person@example.com")
        .await
        .unwrap();
    assert_eq!(imported["user_metadata"]["plan"], "gold");
    assert_eq!(imported["email_verified"], true);
}

/// An import job whose file is not JSON: it fails.
async fn failing_import(
    auth0: &ManagementClient,
) -> auth0_management::models::CreateImportUsersResponseContent {
    let connection_id = database_connection_id(auth0).await;
    auth0
        .jobs()
        .users_imports()
        .create(
            &CreateImportUsersRequestContent::new()
                .connection_id(connection_id)
                .users("[{\"email\": "),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn a_failed_import_is_a_typed_failure_with_its_details() {
    let tenant = tenant().await;
    let auth0 = tenant.management_client().unwrap();
    let job = failing_import(&auth0).await;
    let err = auth0.wait_for_job(&job.id, &quick()).await.unwrap_err();
    let JobError::Failed {
        job: failed,
        report,
        report_error: None,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(failed.id, job.id);
    assert_eq!(failed.job_type, "users_import");
    assert_eq!(failed.status, JobStatus::Failed);
    assert!(
        failed
            .status_details
            .as_deref()
            .unwrap()
            .contains("valid JSON"),
        "{failed:?}"
    );
    assert!(report.is_empty());
    assert!(err.to_string().contains("failed"), "{err}");
}

#[tokio::test]
async fn a_failed_import_stays_failed_when_its_error_report_cannot_be_read() {
    let tenant = tenant().await;
    let auth0 = tenant.management_client().unwrap();
    let job = failing_import(&auth0).await;
    // The error report answers 503 however often it is asked.
    tenant.inject(
        Fault::reply(503, serde_json::json!({"error": "unavailable"}))
            .on_path(format!("/api/v2/jobs/{}/errors", job.id))
            .forever(),
    );
    let err = auth0.wait_for_job(&job.id, &quick()).await.unwrap_err();
    let JobError::Failed {
        job: failed,
        report,
        report_error: Some(why),
        ..
    } = &err
    else {
        panic!("the job's failure was lost: {err:?}");
    };
    assert_eq!(failed.status, JobStatus::Failed);
    assert!(report.is_empty());
    assert!(matches!(**why, Error::Http(_)), "{why:?}");
    assert!(
        err.to_string().contains("error report could not be read"),
        "{err}"
    );
    tenant.clear_faults();
}

#[tokio::test]
async fn a_deadline_ends_the_wait_with_the_last_status() {
    let tenant = tenant().await;
    tenant.set_job_duration(Duration::from_secs(3_600));
    let auth0 = tenant.management_client().unwrap();
    let user_id = tenant.user().user_id.clone();
    let job = auth0
        .jobs()
        .verification_email()
        .create(&CreateVerificationEmailRequestContent::new(user_id))
        .await
        .unwrap();
    let wait = quick().deadline(Duration::from_millis(150));
    let err = auth0.wait_for_job(&job.id, &wait).await.unwrap_err();
    let JobError::DeadlinePassed { waited, last } = &err else {
        panic!("{err:?}");
    };
    assert!(*waited >= Duration::from_millis(150));
    assert_eq!(last.id, job.id);
    assert!(
        matches!(last.status, JobStatus::Pending | JobStatus::Processing),
        "{last:?}"
    );
    // Unknown jobs are the API's 404.
    let err = auth0.wait_for_job("job_nope", &quick()).await.unwrap_err();
    assert!(
        matches!(&err, JobError::Api(e) if e.status_code() == Some(http::StatusCode::NOT_FOUND)),
        "{err:?}"
    );
}

#[tokio::test]
async fn json_export_streams_every_user_with_the_requested_fields() {
    let tenant = tenant().await;
    for i in 0..25 {
        tenant
            .add_user(NewUser::new(
                format!("user{i}@example.com"),
                "correct horse battery",
            ))
            .unwrap();
    }
    let auth0 = tenant.management_client().unwrap();
    let request = CreateExportUsersRequestContent::new()
        .format("json")
        .fields(vec![
            CreateExportUsersFields::new("user_id"),
            CreateExportUsersFields::new("email"),
        ]);
    let export = auth0.export_users(&request, &quick()).await.unwrap();
    let users: Vec<_> = export.into_stream().try_collect().await.unwrap();
    assert_eq!(users.len(), tenant.user_count());
    let emails: BTreeSet<&str> = users
        .iter()
        .filter_map(|u| u.get("email").and_then(Value::as_str))
        .collect();
    assert!(emails.contains("user24@example.com"));
    assert!(emails.contains(tenant.user().email.as_str()));
    for user in &users {
        assert!(user.user_id().unwrap().starts_with("auth0|"));
        let keys: Vec<&String> = user.fields().keys().collect();
        assert_eq!(keys, ["email", "user_id"]);
    }
    // Debug shows the user id and field names, not the values.
    assert!(!format!("{:?}", users[0]).contains("@example.com"));
}

#[tokio::test]
async fn csv_export_uses_the_column_titles() {
    let tenant = tenant().await;
    tenant
        .add_user(NewUser::new("quoted@example.com", "correct horse battery").name("Doe, \"J\""))
        .unwrap();
    let auth0 = tenant.management_client().unwrap();
    let request = CreateExportUsersRequestContent::new()
        .format("csv")
        .connection_id(database_connection_id(&auth0).await)
        .fields(vec![
            CreateExportUsersFields::new("user_id"),
            CreateExportUsersFields::new("name").export_as("Full Name"),
            CreateExportUsersFields::new("email"),
        ]);
    let users: Vec<_> = auth0
        .export_users(&request, &quick())
        .await
        .unwrap()
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(users.len(), 2);
    let quoted = users
        .iter()
        .find(|u| u.get("email") == Some(&Value::from("quoted@example.com")))
        .unwrap();
    assert_eq!(quoted.get("Full Name"), Some(&Value::from("Doe, \"J\"")));
    // The local tenant escapes strings as Auth0 does (`"'auth0|…"`); the
    // decoder reads the value.
    let id = quoted.get("user_id").and_then(Value::as_str).unwrap();
    assert!(id.starts_with("auth0|"), "{id}");
    assert_eq!(quoted.get("name"), None);
}

#[tokio::test]
async fn export_downloads_are_signed_capped_and_never_carry_the_token() {
    let tenant = tenant().await;
    let auth0 = tenant.management_client().unwrap();
    let job = auth0
        .jobs()
        .users_exports()
        .create(&CreateExportUsersRequestContent::new())
        .await
        .unwrap();
    // Not completed yet: nothing to download.
    let running = auth0.jobs().get(&job.id).await.unwrap();
    let err = auth0
        .download_users_export(&running, 1 << 20)
        .await
        .unwrap_err();
    assert!(matches!(err, JobError::NoExportFile { .. }), "{err:?}");

    let mut done = auth0.wait_for_job(&job.id, &quick()).await.unwrap();
    let location = done.location.clone().unwrap();
    assert!(location.starts_with(&format!("https://{}/exports/", tenant.host())));
    assert!(location.contains(".json.gz?"));

    // The storage refuses a request that carries the Management token as
    // well as the signature: this download passing proves it sends none.
    let mut export = auth0.download_users_export(&done, 1 << 20).await.unwrap();
    assert!(export.next_user().await.unwrap().is_ok());
    assert!(export.next_user().await.is_none());

    // Past the download limit.
    let err = auth0.download_users_export(&done, 16).await.unwrap_err();
    assert!(
        matches!(
            &err,
            JobError::Download(auth0_core::Error::BodyTooLarge { .. })
        ),
        "{err:?}"
    );

    // A wrong signature: storage's 403, and no error text shows the URL.
    let (signed, _) = location.split_once("X-Local-Signature=").unwrap();
    done.location = Some(format!(
        "{signed}X-Local-Signature=00112233445566778899aabbccddeeff"
    ));
    let err = auth0
        .download_users_export(&done, 1 << 20)
        .await
        .unwrap_err();
    let JobError::Download(inner) = &err else {
        panic!("{err:?}");
    };
    assert_eq!(inner.status_code(), Some(http::StatusCode::FORBIDDEN));
    let shown = format!("{err} {err:?} {inner}");
    assert!(
        !shown.contains("00112233445566778899aabbccddeeff"),
        "{shown}"
    );
}

/// The gzip of `text`, as storage serves an export file.
fn gzip(text: &str) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(text.as_bytes()).unwrap();
    encoder.finish().unwrap()
}

#[tokio::test]
async fn a_large_export_is_decoded_as_it_downloads() {
    const USERS: usize = 50_000;
    let tenant = tenant().await;
    let auth0 = tenant.management_client().unwrap();
    let job = auth0
        .jobs()
        .users_exports()
        .create(&CreateExportUsersRequestContent::new().format("json"))
        .await
        .unwrap();
    let done = auth0.wait_for_job(&job.id, &quick()).await.unwrap();
    // Storage answers the job's pre-signed URL with a 50,000-user file.
    let mut text = String::new();
    for i in 0..USERS {
        text.push_str(&format!(
            "{{\"user_id\":\"auth0|{i:06}\",\"email\":\"user{i}@example.com\",\"app_metadata\":{{\"plan\":\"free\"}}}}\n"
        ));
    }
    let file = gzip(&text);
    let file_len = file.len();
    tenant.inject(
        Fault::reply_raw(200, file)
            .with_header("content-type", "application/gzip")
            .on_path("/exports/"),
    );
    // The limit is the file's exact size: the whole file is read, no more.
    let mut export = auth0.download_users_export(&done, file_len).await.unwrap();
    assert_eq!(export.content_length(), Some(file_len as u64));
    let mut seen = 0;
    while let Some(user) = export.next_user().await {
        let user = user.unwrap();
        assert_eq!(user.user_id(), Some(format!("auth0|{seen:06}").as_str()));
        assert_eq!(user.get("app_metadata").unwrap()["plan"], "free");
        seen += 1;
    }
    assert_eq!(seen, USERS);
    assert!(export.next_user().await.is_none());
}

#[tokio::test]
async fn a_cut_or_corrupt_export_fails_typed_after_the_users_before_it() {
    let tenant = tenant().await;
    let auth0 = tenant.management_client().unwrap();
    let job = auth0
        .jobs()
        .users_exports()
        .create(&CreateExportUsersRequestContent::new().format("csv"))
        .await
        .unwrap();
    let done = auth0.wait_for_job(&job.id, &quick()).await.unwrap();
    let mut text = String::from("user_id,email\n");
    for i in 0..2_000 {
        text.push_str(&format!("auth0|{i},user{i}@example.com\n"));
    }
    // The file cut short: the users before the cut, then a typed error.
    let mut file = gzip(&text);
    file.truncate(file.len() - 100);
    tenant.inject(Fault::reply_raw(200, file).on_path("/exports/"));
    let mut export = auth0.download_users_export(&done, 1 << 20).await.unwrap();
    let mut users = 0;
    let error = loop {
        match export.next_user().await {
            Some(Ok(_)) => users += 1,
            Some(Err(e)) => break e,
            None => panic!("a cut file must not end cleanly"),
        }
    };
    assert!(users > 1_000, "{users}");
    assert!(matches!(error, JobError::Decompress(_)), "{error:?}");
    assert!(
        export.next_user().await.is_none(),
        "the first error ends it"
    );
}
