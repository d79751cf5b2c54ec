//! `Auth0-Custom-Domain`: which Management API endpoints it is sent on.
//!
//! With a custom domain, Auth0 builds the links of the emails and tickets
//! some endpoints produce (verification emails, password-change and
//! email-verification tickets, organization invitations, Guardian
//! enrollment tickets, a user's verification email on create or update)
//! with the domain named in this header. The official SDKs send it only on
//! those endpoints — node-auth0 v5's `withCustomDomainHeader` keeps this
//! allow-list — and so does this client:
//!
//! | path below `/api/v2` | operations |
//! |---|---|
//! | `/jobs/verification-email` | `jobs_verificationEmail_create` |
//! | `/tickets/email-verification` | `tickets_verifyEmail` |
//! | `/tickets/password-change` | `tickets_changePassword` |
//! | `/organizations/{id}/invitations` | `organizations_invitations_list`, `…_create` |
//! | `/users` | `users_list`, `users_create` |
//! | `/users/{id}` | `users_get`, `users_update`, `users_delete` |
//! | `/guardian/enrollments/ticket` | `guardian_enrollments_createTicket` |
//!
//! Every other request goes out without it, whatever the client's setting.
//!
//! ```
//! use auth0_management::custom_domain::allowed;
//!
//! assert!(allowed("/users/auth0%7C123"));
//! assert!(allowed("/organizations/org_1/invitations"));
//! assert!(!allowed("/users/auth0%7C123/roles"));
//! assert!(!allowed("/connections"));
//! ```

use http::header::{HeaderName, HeaderValue};

use crate::error::BuildError;

/// The header's name.
pub const CUSTOM_DOMAIN_HEADER: HeaderName = HeaderName::from_static("auth0-custom-domain");

/// Whether `path` (below `/api/v2`, percent-encoded as
/// [`ApiPath::as_str`](crate::request::ApiPath::as_str) gives it) is one of
/// the endpoints the header is sent on.
pub fn allowed(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    let segments: Vec<&str> = rest.split('/').collect();
    // `_` stands for one non-empty segment (an id).
    const ALLOWED: &[&[&str]] = &[
        &["jobs", "verification-email"],
        &["tickets", "email-verification"],
        &["tickets", "password-change"],
        &["organizations", "_", "invitations"],
        &["users"],
        &["users", "_"],
        &["guardian", "enrollments", "ticket"],
    ];
    ALLOWED.iter().any(|pattern| {
        pattern.len() == segments.len()
            && pattern
                .iter()
                .zip(&segments)
                .all(|(p, s)| if *p == "_" { !s.is_empty() } else { p == s })
    })
}

/// Checks a custom domain (trimmed) and makes it a header value.
pub(crate) fn header_value(domain: &str) -> Result<HeaderValue, BuildError> {
    let domain = domain.trim();
    let invalid = |reason| BuildError::InvalidCustomDomain { reason };
    if domain.is_empty() {
        return Err(invalid("it is empty"));
    }
    if domain.contains("://") || domain.contains('/') {
        return Err(invalid("give the host name only, without scheme or path"));
    }
    if !domain
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err(invalid(
            "a host name has only letters, digits, `-` and `.` (no port, no spaces)",
        ));
    }
    HeaderValue::from_str(domain).map_err(|_| invalid("it cannot be sent in a header"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list() {
        for yes in [
            "/jobs/verification-email",
            "/tickets/email-verification",
            "/tickets/password-change",
            "/organizations/org_1/invitations",
            "/users",
            "/users/auth0%7C1",
            "/guardian/enrollments/ticket",
        ] {
            assert!(allowed(yes), "{yes}");
        }
        for no in [
            "",
            "/",
            "/users/",
            "/users//x",
            "/users/a/roles",
            "/users-by-email",
            "/organizations/org_1/invitations/inv_1",
            "/organizations//invitations",
            "/jobs/users-exports",
            "/tickets",
            "/clients",
        ] {
            assert!(!allowed(no), "{no}");
        }
    }

    #[test]
    fn domains() {
        assert_eq!(
            header_value(" login.example.com ").unwrap(),
            "login.example.com"
        );
        for bad in [
            "",
            "  ",
            "https://login.example.com",
            "a/b",
            "a b",
            "a:443",
            "é.com",
        ] {
            assert!(
                matches!(
                    header_value(bad),
                    Err(BuildError::InvalidCustomDomain { .. })
                ),
                "{bad}"
            );
        }
    }
}
