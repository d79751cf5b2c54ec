//! The examples' one settings reader: all of the tenant's variables or none
//! of them; a partial set is an error naming what is missing.

use std::collections::HashMap;

use auth0_examples::{Credential, TenantSettings};

fn vars(set: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = set
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

#[test]
fn none_set_is_local_mode() {
    assert!(
        TenantSettings::from_vars(Credential::Secret, vars(&[]))
            .unwrap()
            .is_none()
    );
    // Blank counts as unset.
    let blank = vars(&[("AUTH0_DOMAIN", " "), ("AUTH0_CLIENT_ID", "")]);
    assert!(
        TenantSettings::from_vars(Credential::Secret, blank)
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_partial_set_names_the_missing_variables() {
    let err = TenantSettings::from_vars(
        Credential::Secret,
        vars(&[("AUTH0_DOMAIN", "tenant.eu.auth0.com")]),
    )
    .unwrap_err();
    assert_eq!(err.set, ["AUTH0_DOMAIN"]);
    assert_eq!(err.missing, ["AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET"]);
    let text = err.to_string();
    assert!(
        text.starts_with("AUTH0_DOMAIN set but AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET missing"),
        "{text}"
    );

    let err = TenantSettings::from_vars(
        Credential::KeyFile,
        vars(&[
            ("AUTH0_DOMAIN", "tenant.eu.auth0.com"),
            ("AUTH0_CLIENT_ID", "abc"),
            ("AUTH0_CLIENT_SECRET", "not-the-key-file"),
        ]),
    )
    .unwrap_err();
    assert_eq!(err.missing, ["AUTH0_PRIVATE_KEY_FILE"]);
}

#[test]
fn a_full_set_is_read_and_the_secret_stays_out_of_debug() {
    let settings = TenantSettings::from_vars(
        Credential::Secret,
        vars(&[
            ("AUTH0_DOMAIN", "https://tenant.eu.auth0.com/"),
            ("AUTH0_CLIENT_ID", "abc"),
            ("AUTH0_CLIENT_SECRET", "s3cr3t-value"),
        ]),
    )
    .unwrap()
    .unwrap();
    assert_eq!(settings.client_id, "abc");
    assert_eq!(settings.audience, "https://tenant.eu.auth0.com/api/v2/");
    assert!(!format!("{settings:?}").contains("s3cr3t-value"));
}

#[test]
fn a_missing_key_file_is_named() {
    let err = auth0_examples::read_named_file("AUTH0_PRIVATE_KEY_FILE", "/nonexistent/key.pem")
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nonexistent/key.pem"), "{err}");
    assert!(err.contains("AUTH0_PRIVATE_KEY_FILE"), "{err}");
}
