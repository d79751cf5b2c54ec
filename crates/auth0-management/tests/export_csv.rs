//! Users export files in CSV as Auth0 writes them, read through the public
//! decoder ([`ExportFile`], the one a download uses).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use auth0_management::jobs::{ExportFile, ExportFormat};
use serde_json::json;

/// Auth0 escapes CSV exports against formula injection (OWASP): every
/// string is wrapped in double quotes and prefixed with `'`; numbers,
/// booleans and Auth0's ISO 8601 dates are not ("Bulk Export User Data",
/// *Supported file formats*). The prefix is Auth0's escaping, not the
/// user's data: `user_id()` must be an id the API accepts.
#[test]
fn auth0s_csv_injection_prefix_is_not_part_of_the_values() {
    let file = concat!(
        "user_id,email,email_verified,created_at,logins_count,name\n",
        "\"'auth0|5f7c8ec7c33c6c004bbafe82\",\"'jane@example.com\",true,",
        "2024-01-02T03:04:05.678Z,3,\"'Jane \"\"JD\"\" Doe\"\n",
        // A name that really starts with a quote keeps it.
        "\"'auth0|2\",\"'b@example.com\",false,2024-01-02T03:04:05.678Z,0,\"''quoted'\"\n",
    );
    let users: Vec<_> = ExportFile::new(file.into(), ExportFormat::Csv)
        .users()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(users[0].user_id(), Some("auth0|5f7c8ec7c33c6c004bbafe82"));
    assert_eq!(users[0].get("email"), Some(&json!("jane@example.com")));
    assert_eq!(users[0].get("name"), Some(&json!("Jane \"JD\" Doe")));
    assert_eq!(users[0].get("email_verified"), Some(&json!("true")));
    assert_eq!(
        users[0].get("created_at"),
        Some(&json!("2024-01-02T03:04:05.678Z"))
    );
    assert_eq!(users[0].get("logins_count"), Some(&json!("3")));
    assert_eq!(users[1].user_id(), Some("auth0|2"));
    assert_eq!(users[1].get("name"), Some(&json!("'quoted'")));
}
