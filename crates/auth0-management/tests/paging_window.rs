//! Offset paging at Auth0's 1,000-result window, through the public API
//! against the local tenant (`auth0-local`), which answers `/users` as
//! Auth0 does: `total` capped at 1,000 and a 400 for any page that would
//! end past the window (`page * per_page + per_page > 1000`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use auth0_local::{LocalTenant, NewUser};
use auth0_management::api::UsersListParams;
use auth0_management::{Error, ManagementClient};

/// A tenant with more users than the window holds.
async fn crowded_tenant() -> LocalTenant {
    let tenant = LocalTenant::builder().start().await.unwrap();
    for i in 0..1_100 {
        tenant
            .add_user(NewUser::new(
                format!("user{i:04}@example.com"),
                "correct horse battery staple",
            ))
            .unwrap();
    }
    assert!(tenant.user_count() > 1_000);
    tenant
}

/// Walks an offset pager page by page: the items read and how it ended
/// (`None` when it ended without an error).
async fn walk(auth0: &ManagementClient, per_page: u32) -> (usize, Option<Error>) {
    let mut pager = auth0
        .users()
        .list_pager(UsersListParams::new().per_page(per_page));
    let mut seen = 0;
    while let Some(page) = pager.next_page().await {
        match page {
            Ok(page) => seen += page.items.len(),
            Err(e) => return (seen, Some(e)),
        }
    }
    (seen, None)
}

/// Auth0 reports at most 1,000 as the `total` of a user search, so a walk
/// that reaches 1,000 users cannot tell "that was all" from "the window
/// hides the rest": it must say so, not end as if the list were complete.
#[tokio::test]
async fn a_walk_over_a_capped_total_ends_with_the_window_error_not_silently() {
    let tenant = crowded_tenant().await;
    let auth0 = tenant.management_client().unwrap();
    let (seen, end) = walk(&auth0, 100).await;
    assert_eq!(seen, 1_000);
    match end {
        Some(Error::ResultWindow { limit, alternative }) => {
            assert_eq!(limit, 1_000);
            assert!(alternative.contains("users-exports"), "{alternative}");
        }
        other => panic!(
            "{} users exist, 1,000 were read; expected ResultWindow, got {other:?}",
            tenant.user_count()
        ),
    }
}

/// With a `per_page` that does not divide 1,000, the page that would
/// cross the window is refused by Auth0 (400 `invalid_paging`): the pager
/// must stop before it with its typed error instead of sending it.
#[tokio::test]
async fn a_page_crossing_the_window_is_not_sent() {
    let tenant = crowded_tenant().await;
    let auth0 = tenant.management_client().unwrap();
    let (seen, end) = walk(&auth0, 30).await;
    assert_eq!(seen, 990, "33 whole pages of 30 fit in the window");
    assert!(
        matches!(end, Some(Error::ResultWindow { limit: 1_000, .. })),
        "expected ResultWindow, got {end:?}"
    );
    assert!(
        tenant
            .requests_to("/api/v2/users")
            .iter()
            .all(|r| r.uri.query().is_some_and(|q| !q.contains("page=33&"))),
        "no request for the page Auth0 refuses"
    );
}
