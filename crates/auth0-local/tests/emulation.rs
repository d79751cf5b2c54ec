//! The breadth of the local tenant's emulation, through the SDK's public
//! clients the way an application calls them: organizations and
//! role-based access control in the Management API (auth0-management's
//! generated operations) and its list filters, and the Authentication API's pushed
//! authorization requests, CIBA, custom token exchange and out-of-band MFA,
//! with the tenant's test handles standing in for the user's phone.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use auth0_authentication::AuthorizeUrl;
use auth0_local::{LocalTenant, NewUser};
use auth0_management::api::{
    ClientGrantsListParams, ClientsListParams, OrganizationsInvitationsListParams,
    OrganizationsListParams, OrganizationsMembersListParams, OrganizationsMembersRolesListParams,
    RolesPermissionsListParams, RolesUsersListParams, UsersOrganizationsListParams,
    UsersPermissionsListParams, UsersRolesListParams,
};
use auth0_management::models::{
    AddOrganizationConnectionRequestContent, ClientGrantDefaultForEnum, ClientGrantSubjectTypeEnum,
    CreateClientGrantRequestContent, CreateClientRequestContent,
    CreateOrganizationInvitationRequestContent, CreateOrganizationRequestContent,
    CreateRoleRequestContent, OrganizationInvitationInvitee, OrganizationInvitationInviter,
    OrganizationsMembersCreateRequestContent, PermissionRequestPayload,
    RolesPermissionsAddRequestContent, RolesUsersAssignRequestContent,
    UpdateOrganizationConnectionRequestContent, UpdateOrganizationRequestContent,
    UsersRolesAssignRequestContent,
};
use bytes::Bytes;
use http::{Request, StatusCode, header};
use serde_json::Value;
use support::wire::{management_token, raw_client};

const CALLBACK: &str = "http://localhost:3000/callback";

async fn tenant() -> LocalTenant {
    LocalTenant::builder().start().await.unwrap()
}

/// Adds `n` users `prefix-i@example.com`; their ids.
fn add_users(tenant: &LocalTenant, prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            tenant
                .add_user(NewUser::new(
                    format!("{prefix}-{i}@example.com"),
                    "a long passphrase",
                ))
                .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn organizations_crud_by_name_and_both_pagings() {
    let tenant = tenant().await;
    let auth0 = tenant.management_client().unwrap();

    let created = auth0
        .organizations()
        .create(&CreateOrganizationRequestContent::new("globex").display_name("Globex Corp"))
        .await
        .unwrap();
    let id = created.id.clone().unwrap();
    assert!(id.starts_with("org_"));
    assert_eq!(created.display_name.as_deref(), Some("Globex Corp"));

    let by_name = auth0.organizations().get_by_name("globex").await.unwrap();
    assert_eq!(by_name.id.as_deref(), Some(id.as_str()));
    let updated = auth0
        .organizations()
        .update(
            &id,
            &UpdateOrganizationRequestContent::new().display_name("Globex Corporation"),
        )
        .await
        .unwrap();
    assert_eq!(updated.display_name.as_deref(), Some("Globex Corporation"));
    assert_eq!(
        auth0
            .organizations()
            .get(&id)
            .await
            .unwrap()
            .display_name
            .as_deref(),
        Some("Globex Corporation")
    );
    // The new organization is one the tenant knows at /authorize too.
    assert!(tenant.organizations().iter().any(|o| o.id == id));

    // Auth0's name rule and uniqueness.
    let err = auth0
        .organizations()
        .create(&CreateOrganizationRequestContent::new("Not Valid"))
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::BAD_REQUEST));
    let err = auth0
        .organizations()
        .create(&CreateOrganizationRequestContent::new("globex"))
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::CONFLICT));

    for name in ["initech", "hooli"] {
        auth0
            .organizations()
            .create(&CreateOrganizationRequestContent::new(name))
            .await
            .unwrap();
    }
    // Offset and checkpoint pagers both walk all four (acme is seeded).
    let offset = auth0
        .organizations()
        .list_pager(OrganizationsListParams::new().per_page(3))
        .collect_all(100)
        .await
        .unwrap();
    let checkpoint = auth0
        .organizations()
        .list_checkpoint_pager(OrganizationsListParams::new().take(3))
        .collect_all(100)
        .await
        .unwrap();
    let names = |orgs: &[auth0_management::models::Organization]| {
        orgs.iter()
            .map(|o| o.name.clone().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&offset), ["acme", "globex", "initech", "hooli"]);
    assert_eq!(names(&checkpoint), names(&offset));
    let sorted = auth0
        .organizations()
        .list_pager(OrganizationsListParams::new().sort("name:1"))
        .collect_all(100)
        .await
        .unwrap();
    assert_eq!(names(&sorted), ["acme", "globex", "hooli", "initech"]);

    auth0.organizations().delete(&id).await.unwrap();
    let err = auth0.organizations().get(&id).await.unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::NOT_FOUND));
    let err = auth0
        .organizations()
        .get_by_name("globex")
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::NOT_FOUND));
}

#[tokio::test]
async fn organization_members_and_their_roles() {
    let tenant = tenant().await;
    let auth0 = tenant.management_client().unwrap();
    let org = auth0
        .organizations()
        .create(&CreateOrganizationRequestContent::new("umbrella"))
        .await
        .unwrap()
        .id
        .unwrap();
    let users = add_users(&tenant, "member", 12);

    // At most ten members a request, as Auth0.
    let err = auth0
        .organizations()
        .members()
        .create(
            &org,
            &OrganizationsMembersCreateRequestContent::new(users.clone()),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::BAD_REQUEST));
    for chunk in users.chunks(10) {
        auth0
            .organizations()
            .members()
            .create(
                &org,
                &OrganizationsMembersCreateRequestContent::new(chunk.to_vec()),
            )
            .await
            .unwrap();
    }
    let unknown = auth0
        .organizations()
        .members()
        .create(
            &org,
            &OrganizationsMembersCreateRequestContent::new(vec!["auth0|nobody".to_owned()]),
        )
        .await
        .unwrap_err();
    assert_eq!(unknown.status_code(), Some(StatusCode::NOT_FOUND));

    let by_offset = auth0
        .organizations()
        .members()
        .list_pager(&org, OrganizationsMembersListParams::new().per_page(5))
        .collect_all(100)
        .await
        .unwrap();
    let by_checkpoint = auth0
        .organizations()
        .members()
        .list_checkpoint_pager(&org, OrganizationsMembersListParams::new().take(5))
        .collect_all(100)
        .await
        .unwrap();
    let ids = |members: &[auth0_management::models::OrganizationMember]| {
        members
            .iter()
            .map(|m| m.user_id.clone().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&by_offset), users);
    assert_eq!(ids(&by_checkpoint), users);
    assert_eq!(by_offset[0].email.as_deref(), Some("member-0@example.com"));

    // Members' roles in the organization.
    let role = auth0
        .roles()
        .create(&CreateRoleRequestContent::new("billing"))
        .await
        .unwrap()
        .id
        .unwrap();
    auth0
        .organizations()
        .members()
        .roles()
        .assign(
            &org,
            &users[0],
            &UsersRolesAssignRequestContent::new(vec![role.clone()]),
        )
        .await
        .unwrap();
    let held = auth0
        .organizations()
        .members()
        .roles()
        .list_pager(&org, &users[0], OrganizationsMembersRolesListParams::new())
        .collect_all(10)
        .await
        .unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].name.as_deref(), Some("billing"));
    // A non-member cannot hold an organization role.
    let outsider = add_users(&tenant, "outsider", 1).remove(0);
    let err = auth0
        .organizations()
        .members()
        .roles()
        .assign(
            &org,
            &outsider,
            &UsersRolesAssignRequestContent::new(vec![role.clone()]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::BAD_REQUEST));
    auth0
        .organizations()
        .members()
        .roles()
        .delete(
            &org,
            &users[0],
            &UsersRolesAssignRequestContent::new(vec![role.clone()]),
        )
        .await
        .unwrap();
    let held = auth0
        .organizations()
        .members()
        .roles()
        .list_pager(&org, &users[0], OrganizationsMembersRolesListParams::new())
        .collect_all(10)
        .await
        .unwrap();
    assert!(held.is_empty());

    // The user's side, then removal.
    let theirs = auth0
        .users()
        .organizations()
        .list_pager(&users[1], UsersOrganizationsListParams::new())
        .collect_all(10)
        .await
        .unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].name.as_deref(), Some("umbrella"));
    auth0
        .organizations()
        .members()
        .delete(
            &org,
            &OrganizationsMembersCreateRequestContent::new(vec![users[1].clone()]),
        )
        .await
        .unwrap();
    let remaining = auth0
        .organizations()
        .members()
        .list_pager(&org, OrganizationsMembersListParams::new())
        .collect_all(100)
        .await
        .unwrap();
    assert_eq!(remaining.len(), 11);
    // A deleted user leaves the organization.
    auth0.users().delete(&users[2]).await.unwrap();
    let remaining = auth0
        .organizations()
        .members()
        .list_pager(&org, OrganizationsMembersListParams::new())
        .collect_all(100)
        .await
        .unwrap();
    assert_eq!(remaining.len(), 10);
    assert!(
        remaining
            .iter()
            .all(|m| m.user_id.as_ref() != Some(&users[2]))
    );
}

#[tokio::test]
async fn role_users_beyond_the_result_window_need_checkpoints() {
    let tenant = tenant().await;
    let auth0 = tenant.management_client().unwrap();
    let role = auth0
        .roles()
        .create(&CreateRoleRequestContent::new("everyone"))
        .await
        .unwrap()
        .id
        .unwrap();
    let users = add_users(&tenant, "crowd", 1_001);
    for chunk in users.chunks(1_000) {
        auth0
            .roles()
            .users()
            .assign(&role, &RolesUsersAssignRequestContent::new(chunk.to_vec()))
            .await
            .unwrap();
    }
    // page/per_page stops at Auth0's 1,000-result window…
    let err = auth0
        .roles()
        .users()
        .list(&role, &RolesUsersListParams::new().page(10).per_page(100))
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::BAD_REQUEST));
    assert_eq!(
        err.core().and_then(|e| e.error_code()),
        Some("invalid_paging")
    );
    // …checkpoints do not.
    let all = auth0
        .roles()
        .users()
        .list_checkpoint_pager(&role, RolesUsersListParams::new().take(100))
        .collect_all(2_000)
        .await
        .unwrap();
    assert_eq!(all.len(), 1_001);
}

#[tokio::test]
async fn enabled_connections_gate_and_grant_membership_at_login() {
    let tenant = tenant().await;
    let auth0 = tenant.management_client().unwrap();
    let org = auth0
        .organizations()
        .create(&CreateOrganizationRequestContent::new("stark"))
        .await
        .unwrap()
        .id
        .unwrap();
    let alice = tenant
        .add_user(NewUser::new("alice@example.com", "a long passphrase"))
        .unwrap();
    let client = tenant.client().unwrap();
    let login = AuthorizeUrl::new(client.domain(), tenant.applications().web.client_id())
        .redirect_uri(CALLBACK)
        .organization(org.as_str())
        .param("login_hint", "alice@example.com")
        .build()
        .unwrap();

    // No connection enabled for the organization: refused.
    let back = tenant.follow_authorize(&client, &login).await.unwrap();
    assert_eq!(back["error"], "access_denied");

    let database = tenant_database_connection(&auth0).await;
    let enabled = auth0
        .organizations()
        .enabled_connections()
        .add(
            &org,
            &AddOrganizationConnectionRequestContent::new(database.as_str()),
        )
        .await
        .unwrap();
    assert_eq!(enabled.assign_membership_on_login, Some(false));
    assert_eq!(
        enabled.connection.and_then(|c| c.name).as_deref(),
        Some(auth0_local::DATABASE_CONNECTION)
    );
    let again = auth0
        .organizations()
        .enabled_connections()
        .add(
            &org,
            &AddOrganizationConnectionRequestContent::new(database.as_str()),
        )
        .await
        .unwrap_err();
    assert_eq!(again.status_code(), Some(StatusCode::CONFLICT));

    // Enabled, but alice is not a member.
    let back = tenant.follow_authorize(&client, &login).await.unwrap();
    assert_eq!(back["error"], "access_denied");
    assert!(back["error_description"].contains("not part of"));

    // Auto-membership: logging in makes her one.
    auth0
        .organizations()
        .enabled_connections()
        .update(
            &org,
            &database,
            &UpdateOrganizationConnectionRequestContent::new().assign_membership_on_login(true),
        )
        .await
        .unwrap();
    let fetched = auth0
        .organizations()
        .enabled_connections()
        .get(&org, &database)
        .await
        .unwrap();
    assert_eq!(fetched.assign_membership_on_login, Some(true));
    let back = tenant.follow_authorize(&client, &login).await.unwrap();
    assert!(back.contains_key("code"), "{back:?}");
    let members = auth0
        .organizations()
        .members()
        .list_pager(&org, OrganizationsMembersListParams::new())
        .collect_all(10)
        .await
        .unwrap();
    assert_eq!(members[0].user_id.as_deref(), Some(alice.as_str()));

    let listed = auth0
        .organizations()
        .enabled_connections()
        .list_pager(&org, Default::default())
        .collect_all(10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    auth0
        .organizations()
        .enabled_connections()
        .delete(&org, &database)
        .await
        .unwrap();
    let err = auth0
        .organizations()
        .enabled_connections()
        .get(&org, &database)
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::NOT_FOUND));
}

/// The id of the tenant's database connection.
async fn tenant_database_connection(auth0: &auth0_management::ManagementClient) -> String {
    let connections = auth0.connections().all().await.unwrap();
    connections
        .into_iter()
        .find(|c| c.name.as_deref() == Some(auth0_local::DATABASE_CONNECTION))
        .unwrap()
        .id
        .unwrap()
}

#[tokio::test]
async fn invitations_made_through_the_management_api_are_accepted_at_authorize() {
    let tenant = tenant().await;
    let auth0 = tenant.management_client().unwrap();
    let org = auth0
        .organizations()
        .get_by_name("acme")
        .await
        .unwrap()
        .id
        .unwrap();
    let role = auth0
        .roles()
        .create(&CreateRoleRequestContent::new("reader"))
        .await
        .unwrap()
        .id
        .unwrap();
    let sam = tenant
        .add_user(NewUser::new("sam@example.com", "a long passphrase"))
        .unwrap();
    let web = tenant.applications().web.client_id();
    let invitation = auth0
        .organizations()
        .invitations()
        .create(
            &org,
            &CreateOrganizationInvitationRequestContent::new(
                web,
                OrganizationInvitationInvitee::new("sam@example.com"),
                OrganizationInvitationInviter::new("Jane"),
            )
            .roles(vec![role.clone()]),
        )
        .await
        .unwrap();
    let id = invitation.id.clone().unwrap();
    let listed = auth0
        .organizations()
        .invitations()
        .list_pager(&org, OrganizationsInvitationsListParams::new())
        .collect_all(10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        auth0
            .organizations()
            .invitations()
            .get(&org, &id, &Default::default())
            .await
            .unwrap()
            .invitee
            .unwrap()
            .email,
        "sam@example.com"
    );

    // The invitation URL is the application's login page with the ticket;
    // the application passes `invitation` and `organization` on.
    let url = invitation.invitation_url.unwrap();
    assert!(
        url.starts_with("https://localhost/login?invitation="),
        "{url}"
    );
    let params = auth0_local::redirect_params(&url);
    assert_eq!(params["organization"], org);
    assert_eq!(params["organization_name"], "acme");
    let client = tenant.client().unwrap();
    let authorize = AuthorizeUrl::new(client.domain(), web)
        .redirect_uri(CALLBACK)
        .organization(params["organization"].as_str())
        .invitation(params["invitation"].as_str())
        .build()
        .unwrap();
    let back = tenant.follow_authorize(&client, &authorize).await.unwrap();
    let tokens = tenant
        .authentication_client()
        .unwrap()
        .authorization_code(&back["code"], Some(CALLBACK))
        .await
        .unwrap();
    assert!(tokens.id_token.is_some());

    // Sam is a member with the invitation's role; the invitation is used up.
    let members = auth0
        .organizations()
        .members()
        .list(
            &org,
            &OrganizationsMembersListParams::new().fields("user_id,roles"),
        )
        .await
        .unwrap();
    let members = serde_json::to_value(&members).unwrap();
    let sam_entry = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == sam.as_str())
        .expect("sam is a member");
    assert_eq!(sam_entry["roles"][0]["id"], role.as_str());
    let err = auth0
        .organizations()
        .invitations()
        .get(&org, &id, &Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::NOT_FOUND));
    let back = tenant.follow_authorize(&client, &authorize).await.unwrap();
    assert_eq!(back["error"], "invalid_request");

    // An invitation for someone else cannot be accepted by this user.
    let other = auth0
        .organizations()
        .invitations()
        .create(
            &org,
            &CreateOrganizationInvitationRequestContent::new(
                web,
                OrganizationInvitationInvitee::new("pat@example.com"),
                OrganizationInvitationInviter::new("Jane"),
            ),
        )
        .await
        .unwrap();
    let ticket = other.ticket_id.unwrap();
    let wrong = AuthorizeUrl::new(client.domain(), web)
        .redirect_uri(CALLBACK)
        .organization(org.as_str())
        .invitation(ticket.as_str())
        .param("login_hint", "sam@example.com")
        .build()
        .unwrap();
    let back = tenant.follow_authorize(&client, &wrong).await.unwrap();
    assert_eq!(back["error"], "access_denied");

    // Deleting an invitation; a client without a login page cannot invite.
    let third = auth0
        .organizations()
        .invitations()
        .create(
            &org,
            &CreateOrganizationInvitationRequestContent::new(
                web,
                OrganizationInvitationInvitee::new("kim@example.com"),
                OrganizationInvitationInviter::new("Jane"),
            ),
        )
        .await
        .unwrap();
    auth0
        .organizations()
        .invitations()
        .delete(&org, third.id.as_deref().unwrap())
        .await
        .unwrap();
    let err = auth0
        .organizations()
        .invitations()
        .create(
            &org,
            &CreateOrganizationInvitationRequestContent::new(
                tenant.applications().machine.client_id(),
                OrganizationInvitationInvitee::new("kim@example.com"),
                OrganizationInvitationInviter::new("Jane"),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::BAD_REQUEST));
}

#[tokio::test]
async fn roles_permissions_and_users_from_both_sides() {
    let tenant = tenant().await;
    let auth0 = tenant.management_client().unwrap();
    let api = tenant.api_audience().to_owned();
    let role = auth0
        .roles()
        .create(&CreateRoleRequestContent::new("writer"))
        .await
        .unwrap()
        .id
        .unwrap();
    let read = PermissionRequestPayload::new("read:messages", api.as_str());
    let write = PermissionRequestPayload::new("write:messages", api.as_str());
    auth0
        .roles()
        .permissions()
        .add(
            &role,
            &RolesPermissionsAddRequestContent::new(vec![read.clone(), write.clone()]),
        )
        .await
        .unwrap();
    // A permission the API does not define.
    let err = auth0
        .roles()
        .permissions()
        .add(
            &role,
            &RolesPermissionsAddRequestContent::new(vec![PermissionRequestPayload::new(
                "fly:planes",
                api.as_str(),
            )]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::BAD_REQUEST));
    let held = auth0
        .roles()
        .permissions()
        .list_pager(&role, RolesPermissionsListParams::new())
        .collect_all(10)
        .await
        .unwrap();
    assert_eq!(held.len(), 2);
    assert_eq!(held[0].resource_server_name.as_deref(), Some("Local API"));
    auth0
        .roles()
        .permissions()
        .delete(&role, &RolesPermissionsAddRequestContent::new(vec![write]))
        .await
        .unwrap();
    let held = auth0
        .roles()
        .permissions()
        .list_pager(&role, RolesPermissionsListParams::new())
        .collect_all(10)
        .await
        .unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].permission_name.as_deref(), Some("read:messages"));

    // Users: assigned from the role, listed with both pagers; from the user.
    let users = add_users(&tenant, "writer", 5);
    auth0
        .roles()
        .users()
        .assign(
            &role,
            &RolesUsersAssignRequestContent::new(users[..4].to_vec()),
        )
        .await
        .unwrap();
    auth0
        .users()
        .roles()
        .assign(
            &users[4],
            &UsersRolesAssignRequestContent::new(vec![role.clone()]),
        )
        .await
        .unwrap();
    let offset = auth0
        .roles()
        .users()
        .list_pager(&role, RolesUsersListParams::new().per_page(2))
        .collect_all(10)
        .await
        .unwrap();
    let checkpoint = auth0
        .roles()
        .users()
        .list_checkpoint_pager(&role, RolesUsersListParams::new().take(2))
        .collect_all(10)
        .await
        .unwrap();
    let ids = |page: &[auth0_management::models::RoleUser]| {
        page.iter()
            .map(|u| u.user_id.clone().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&offset), users);
    assert_eq!(ids(&checkpoint), users);

    let roles = auth0
        .users()
        .roles()
        .list_pager(&users[0], UsersRolesListParams::new())
        .collect_all(10)
        .await
        .unwrap();
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].name.as_deref(), Some("writer"));
    // The user's permissions: through the role, and one given directly.
    auth0
        .users()
        .permissions()
        .create(
            &users[0],
            &RolesPermissionsAddRequestContent::new(vec![PermissionRequestPayload::new(
                "write:messages",
                api.as_str(),
            )]),
        )
        .await
        .unwrap();
    let permissions = auth0
        .users()
        .permissions()
        .list(&users[0], &UsersPermissionsListParams::new())
        .await
        .unwrap();
    let permissions = serde_json::to_value(&permissions).unwrap();
    let names: Vec<&str> = permissions
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["permission_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["write:messages", "read:messages"]);
    assert_eq!(permissions[1]["sources"][0]["source_type"], "ROLE");

    auth0
        .users()
        .roles()
        .delete(
            &users[0],
            &UsersRolesAssignRequestContent::new(vec![role.clone()]),
        )
        .await
        .unwrap();
    assert!(
        auth0
            .users()
            .roles()
            .list_pager(&users[0], UsersRolesListParams::new())
            .collect_all(10)
            .await
            .unwrap()
            .is_empty()
    );
    // Deleting the role takes its grants along; an unknown role is a 404.
    auth0.roles().delete(&role).await.unwrap();
    let err = auth0
        .roles()
        .users()
        .list(&role, &RolesUsersListParams::new())
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::NOT_FOUND));
    assert!(
        auth0
            .users()
            .roles()
            .list_pager(&users[1], UsersRolesListParams::new())
            .collect_all(10)
            .await
            .unwrap()
            .is_empty()
    );
}

// ------------------------------------------------------ Authentication API

/// The `iss_sub` login hint of a CIBA request for `user_id`.
fn ciba_hint(tenant: &LocalTenant, user_id: &str) -> String {
    serde_json::json!({ "format": "iss_sub", "iss": tenant.issuer(), "sub": user_id }).to_string()
}

#[tokio::test]
async fn pushed_authorization_requests_are_used_once_by_authorize() {
    let tenant = tenant().await;
    let auth = tenant.authentication_client().unwrap();
    let client = tenant.client().unwrap();
    let web = tenant.applications().web.client_id();
    let pushed = auth
        .pushed_authorization_request(
            "code",
            CALLBACK,
            &[
                ("scope", "openid profile"),
                ("state", "pushed-state"),
                ("nonce", "n-9"),
            ],
        )
        .await
        .unwrap();
    assert!(
        pushed
            .request_uri
            .starts_with("urn:ietf:params:oauth:request_uri:")
    );
    assert_eq!(pushed.expires_in, 30);

    // Only the pushed parameters count: the query's `state` is ignored.
    let url = AuthorizeUrl::new(client.domain(), web)
        .param("request_uri", pushed.request_uri.as_str())
        .state("ignored")
        .build()
        .unwrap();
    let back = tenant.follow_authorize(&client, &url).await.unwrap();
    assert_eq!(back["state"], "pushed-state");
    let tokens = auth
        .authorization_code(&back["code"], Some(CALLBACK))
        .await
        .unwrap();
    assert!(tokens.id_token.is_some());
    // Once only.
    let err = tenant.follow_authorize(&client, &url).await.unwrap_err();
    assert!(matches!(
        err,
        auth0_local::AuthorizeError::NoRedirect {
            status: StatusCode::BAD_REQUEST,
            ..
        }
    ));

    // Another client cannot use it.
    let pushed = auth
        .pushed_authorization_request("code", CALLBACK, &[])
        .await
        .unwrap();
    let stolen = AuthorizeUrl::new(client.domain(), tenant.applications().machine.client_id())
        .param("request_uri", pushed.request_uri.as_str())
        .build()
        .unwrap();
    assert!(tenant.follow_authorize(&client, &stolen).await.is_err());

    // Pushing needs client authentication.
    let public = auth0_authentication::AuthenticationClient::builder(tenant.client().unwrap(), web)
        .build()
        .unwrap();
    let err = public
        .pushed_authorization_request("code", CALLBACK, &[])
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_client"));

    // A bad request is refused when pushed, not at /authorize.
    let err = auth
        .pushed_authorization_request("token", CALLBACK, &[])
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("unsupported_response_type"));
    let err = auth
        .pushed_authorization_request("code", CALLBACK, &[("request_uri", "urn:x")])
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_request"));
}

#[tokio::test]
async fn ciba_is_pending_until_the_user_approves_or_denies() {
    let tenant = tenant().await;
    let auth = tenant.authentication_client().unwrap();
    let user = tenant.user().clone();
    let hint = ciba_hint(&tenant, &user.user_id);

    let started = auth
        .back_channel_login("Approve transfer 42", &hint, "openid profile", &[])
        .await
        .unwrap();
    assert_eq!(started.expires_in, 300);
    assert_eq!(started.interval, Some(5));
    let err = auth
        .back_channel_token(&started.auth_req_id)
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("authorization_pending"));
    // Polling again at once is too fast: Auth0's answer says how long to
    // wait, in its description and in `Retry-After`, and the wait grows by
    // 5 s each time the client does not slow down.
    for wait in ["10", "15"] {
        let err = auth
            .back_channel_token(&started.auth_req_id)
            .await
            .unwrap_err();
        assert_eq!(err.error_code(), Some("slow_down"));
        let answer = err.auth0_error().unwrap();
        assert_eq!(answer.headers["retry-after"], wait);
        assert_eq!(
            answer.message,
            format!("You are polling faster than allowed. Try again in {wait} seconds.")
        );
    }

    tenant
        .approve_back_channel_login(&started.auth_req_id)
        .unwrap();
    let tokens = auth.back_channel_token(&started.auth_req_id).await.unwrap();
    assert!(tokens.id_token.is_some());
    // Finished: the id is used up, and cannot be decided again.
    let err = auth
        .back_channel_token(&started.auth_req_id)
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_grant"));
    assert!(matches!(
        tenant.approve_back_channel_login(&started.auth_req_id),
        Err(auth0_local::TenantError::NothingPending { .. })
    ));

    let denied = auth
        .back_channel_login("Approve transfer 43", &hint, "openid", &[])
        .await
        .unwrap();
    tenant.deny_back_channel_login(&denied.auth_req_id).unwrap();
    let err = auth
        .back_channel_token(&denied.auth_req_id)
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("access_denied"));

    // Nobody answers before `expires_in`: `expired_token`, then nothing
    // left to decide.
    let unanswered = auth
        .back_channel_login("Approve transfer 44", &hint, "openid", &[])
        .await
        .unwrap();
    tenant
        .expire_back_channel_login(&unanswered.auth_req_id)
        .unwrap();
    let err = auth
        .back_channel_token(&unanswered.auth_req_id)
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("expired_token"));
    assert!(matches!(
        tenant.expire_back_channel_login(&unanswered.auth_req_id),
        Err(auth0_local::TenantError::NothingPending { .. })
    ));

    // Requests Auth0 refuses up front.
    let err = auth
        .back_channel_login("Approve", &hint, "profile", &[])
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_request"));
    let err = auth
        .back_channel_login(
            "Approve",
            &ciba_hint(&tenant, "auth0|nobody"),
            "openid",
            &[],
        )
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("unknown_user_id"));
    let err = auth
        .back_channel_login("<script>", &hint, "openid", &[])
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_binding_message"));
    // The M2M application does not have the CIBA grant.
    let machine = &tenant.applications().machine;
    let m2m = auth0_authentication::AuthenticationClient::builder(
        tenant.client().unwrap(),
        machine.client_id(),
    )
    .client_secret(machine.client_secret().unwrap())
    .build()
    .unwrap();
    let err = m2m
        .back_channel_login("Approve", &hint, "openid", &[])
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("unauthorized_client"));
}

#[tokio::test]
async fn custom_token_exchange_runs_the_profile() {
    use auth0_authentication::TokenExchange;
    use auth0_local::{ExchangeRejection, TokenExchangeProfile};

    let tenant = tenant().await;
    let auth = tenant.authentication_client().unwrap();
    let user = tenant.user().user_id.clone();
    tenant
        .add_token_exchange_profile(TokenExchangeProfile::new(
            "urn:acme:legacy-token",
            move |token| match token {
                "legacy-good" => Ok(user.clone()),
                "legacy-ghost" => Ok("auth0|ghost".to_owned()),
                "legacy-banned" => Err(ExchangeRejection::Denied {
                    code: "access_denied".to_owned(),
                    reason: "banned".to_owned(),
                }),
                _ => Err(ExchangeRejection::InvalidSubjectToken(
                    "signature invalid".to_owned(),
                )),
            },
        ))
        .unwrap();
    assert!(matches!(
        tenant.add_token_exchange_profile(TokenExchangeProfile::new(
            "urn:ietf:params:oauth:token-type:jwt",
            |_| Err(ExchangeRejection::InvalidSubjectToken(String::new())),
        )),
        Err(auth0_local::TenantError::ReservedTokenType { .. })
    ));

    let tokens = auth
        .token_exchange(
            &TokenExchange::new("legacy-good", "urn:acme:legacy-token")
                .audience(tenant.api_audience())
                .scope("openid read:messages")
                .organization("acme"),
        )
        .await
        .unwrap();
    assert_eq!(
        tokens.issued_token_type.as_deref(),
        Some("urn:ietf:params:oauth:token-type:access_token")
    );
    assert_eq!(tokens.scope.as_deref(), Some("openid read:messages"));
    let claims = decode_claims(tokens.id_token.as_deref().unwrap());
    assert_eq!(claims["sub"], tenant.user().user_id.as_str());
    assert_eq!(claims["org_id"], "org_abc");

    let refused = |token: &'static str, kind: &'static str| {
        let auth = auth.clone();
        async move {
            auth.token_exchange(&TokenExchange::new(token, kind))
                .await
                .unwrap_err()
        }
    };
    let err = refused("forged", "urn:acme:legacy-token").await;
    assert_eq!(err.error_code(), Some("invalid_request"));
    let err = refused("legacy-banned", "urn:acme:legacy-token").await;
    assert_eq!(err.error_code(), Some("access_denied"));
    assert_eq!(err.status_code(), Some(StatusCode::FORBIDDEN));
    let err = refused("legacy-ghost", "urn:acme:legacy-token").await;
    assert_eq!(err.error_code(), Some("invalid_request"));
    let err = refused("legacy-good", "urn:acme:other").await;
    assert_eq!(err.error_code(), Some("invalid_request"));
}

/// The claims of a JWT, unverified (the tokens' signatures are tested
/// elsewhere).
fn decode_claims(token: &str) -> serde_json::Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// A password login that must answer `mfa_required`; its `mfa_token`.
async fn mfa_token(
    auth: &auth0_authentication::AuthenticationClient,
    email: &str,
    password: &str,
) -> String {
    match auth
        .login(&auth0_authentication::PasswordLogin::new(email, password))
        .await
    {
        Err(auth0_core::Error::MfaRequired(mfa)) => mfa.mfa_token().to_owned(),
        other => panic!("expected mfa_required, got {other:?}"),
    }
}

#[tokio::test]
async fn mfa_sms_and_push_challenges_finish_with_the_oob_grant() {
    use auth0_authentication::{AuthenticatorType, ChallengeType, MfaChallenge, OobChannel};
    use auth0_local::OobAuthenticator;

    let tenant = tenant().await;
    let auth = tenant.authentication_client().unwrap();
    let sms_user = tenant
        .add_user(NewUser::new("sms@example.com", "a long passphrase"))
        .unwrap();
    let push_user = tenant
        .add_user(NewUser::new("push@example.com", "a long passphrase"))
        .unwrap();
    tenant
        .enroll_mfa_oob(&sms_user, OobAuthenticator::Sms("+15555550100".into()))
        .unwrap();
    tenant
        .enroll_mfa_oob(&push_user, OobAuthenticator::Push)
        .unwrap();
    assert!(
        tenant
            .enroll_mfa_oob("auth0|nobody", OobAuthenticator::Push)
            .is_err()
    );
    // Users without an authenticator log in as before.
    let user = tenant.user().clone();
    auth.login(&auth0_authentication::PasswordLogin::new(
        &user.email,
        &user.password,
    ))
    .await
    .unwrap();

    // SMS: the code "sent" to the phone binds the challenge.
    let token = mfa_token(&auth, "sms@example.com", "a long passphrase").await;
    let listed = auth.mfa_authenticators(&token).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].authenticator_type, AuthenticatorType::Oob);
    assert_eq!(listed[0].oob_channel, Some(OobChannel::Sms));
    assert_eq!(listed[0].name.as_deref(), Some("XXXXXXXX0100"));
    let challenge = auth
        .mfa_challenge(
            &token,
            &MfaChallenge::new().challenge_type(ChallengeType::Oob),
        )
        .await
        .unwrap();
    assert_eq!(challenge.challenge_type, ChallengeType::Oob);
    assert_eq!(
        challenge.binding_method,
        Some(auth0_authentication::BindingMethod::Prompt)
    );
    let oob_code = challenge.oob_code.unwrap();
    let err = auth
        .mfa_oob(&token, &oob_code, Some("000000x"))
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_grant"));
    let code = tenant.mfa_oob_code("+15555550100").unwrap();
    let tokens = auth.mfa_oob(&token, &oob_code, Some(&code)).await.unwrap();
    assert!(!tokens.access_token.is_empty());
    // No OTP authenticator: an otp challenge is refused.
    let token = mfa_token(&auth, "sms@example.com", "a long passphrase").await;
    let err = auth
        .mfa_challenge(
            &token,
            &MfaChallenge::new().challenge_type(ChallengeType::Otp),
        )
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("unsupported_challenge_type"));

    // Push: pending (and slow_down when polled at once) until approved.
    let token = mfa_token(&auth, "push@example.com", "a long passphrase").await;
    let challenge = auth
        .mfa_challenge(&token, &MfaChallenge::new())
        .await
        .unwrap();
    assert_eq!(challenge.binding_method, None);
    let oob_code = challenge.oob_code.unwrap();
    let err = auth.mfa_oob(&token, &oob_code, None).await.unwrap_err();
    assert_eq!(err.error_code(), Some("authorization_pending"));
    let err = auth.mfa_oob(&token, &oob_code, None).await.unwrap_err();
    assert_eq!(err.error_code(), Some("slow_down"));
    tenant.approve_mfa_push(&push_user).unwrap();
    let tokens = auth.mfa_oob(&token, &oob_code, None).await.unwrap();
    assert!(!tokens.access_token.is_empty());
    // The mfa_token finished its login.
    let err = auth.mfa_oob(&token, &oob_code, None).await.unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_grant"));

    // A rejected push.
    let token = mfa_token(&auth, "push@example.com", "a long passphrase").await;
    let oob_code = auth
        .mfa_challenge(&token, &MfaChallenge::new())
        .await
        .unwrap()
        .oob_code
        .unwrap();
    tenant.deny_mfa_push(&push_user).unwrap();
    let err = auth.mfa_oob(&token, &oob_code, None).await.unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_grant"));
    assert!(tenant.deny_mfa_push(&push_user).is_err());
}

#[tokio::test]
async fn mfa_associate_enrolls_an_oob_authenticator() {
    use auth0_authentication::{MfaAssociate, MfaChallenge};

    let tenant = tenant().await;
    let auth = tenant.authentication_client().unwrap();
    tenant.require_mfa(true);
    let user = tenant.user().clone();

    // Nothing enrolled yet: the mfa_token enrolls an email authenticator.
    let token = mfa_token(&auth, &user.email, &user.password).await;
    assert!(auth.mfa_authenticators(&token).await.unwrap().is_empty());
    let enrollment = auth
        .mfa_associate(&token, &MfaAssociate::email("jane-mfa@example.com"))
        .await
        .unwrap();
    assert_eq!(enrollment.recovery_codes.as_ref().map(Vec::len), Some(1));
    let listed = auth.mfa_authenticators(&token).await.unwrap();
    assert!(!listed[0].active);
    let code = tenant.mfa_oob_code("jane-mfa@example.com").unwrap();
    auth.mfa_oob(&token, enrollment.oob_code.as_deref().unwrap(), Some(&code))
        .await
        .unwrap();

    // Enrolled: the next login is challenged on it, and enrolling again
    // with an mfa_token is refused.
    let token = mfa_token(&auth, &user.email, &user.password).await;
    let listed = auth.mfa_authenticators(&token).await.unwrap();
    assert!(listed[0].active);
    let err = auth
        .mfa_associate(&token, &MfaAssociate::push())
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("access_denied"));
    let challenge = auth
        .mfa_challenge(&token, &MfaChallenge::new())
        .await
        .unwrap();
    let code = tenant.mfa_oob_code("jane-mfa@example.com").unwrap();
    auth.mfa_oob(&token, challenge.oob_code.as_deref().unwrap(), Some(&code))
        .await
        .unwrap();
}

/// RFC 4648 base32 (no padding) decoding, for the OTP secret.
fn base32_decode(text: &str) -> Vec<u8> {
    let (mut out, mut buffer, mut bits) = (Vec::new(), 0u64, 0u32);
    for c in text.chars() {
        let value = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".find(c).unwrap() as u64;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

/// What an authenticator app shows now for `secret` (RFC 6238, SHA-1, 30 s,
/// six digits).
fn authenticator_app_code(secret: &[u8]) -> String {
    let step = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 30;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let mac = ring::hmac::sign(&key, &step.to_be_bytes());
    let mac = mac.as_ref();
    let offset = (mac[19] & 0x0f) as usize;
    let word = u32::from_be_bytes(mac[offset..offset + 4].try_into().unwrap()) & 0x7fff_ffff;
    format!("{:06}", word % 1_000_000)
}

#[tokio::test]
async fn mfa_associate_enrolls_an_otp_app() {
    use auth0_authentication::{AuthenticatorType, ChallengeType, MfaAssociate, MfaChallenge};

    let tenant = tenant().await;
    let auth = tenant.authentication_client().unwrap();
    tenant.require_mfa(true);
    let user = tenant.user().clone();
    let token = mfa_token(&auth, &user.email, &user.password).await;
    let enrollment = auth
        .mfa_associate(&token, &MfaAssociate::otp())
        .await
        .unwrap();
    assert_eq!(enrollment.authenticator_type, AuthenticatorType::Otp);
    let secret = enrollment.secret.clone().unwrap();
    let barcode = enrollment.barcode_uri.clone().unwrap();
    assert!(barcode.starts_with("otpauth://totp/"), "{barcode}");
    assert!(barcode.contains(&format!("secret={secret}")));
    let secret = base32_decode(&secret);
    assert_eq!(secret.len(), 20);

    // A wrong code does not confirm it; the app's code does.
    let err = auth.mfa_otp(&token, "not-a-code").await.unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_grant"));
    auth.mfa_otp(&token, &authenticator_app_code(&secret))
        .await
        .unwrap();

    // The next login is challenged for the app's code.
    let token = mfa_token(&auth, &user.email, &user.password).await;
    let listed = auth.mfa_authenticators(&token).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].authenticator_type, AuthenticatorType::Otp);
    assert!(listed[0].active);
    let challenge = auth
        .mfa_challenge(&token, &MfaChallenge::new())
        .await
        .unwrap();
    assert_eq!(challenge.challenge_type, ChallengeType::Otp);
    auth.mfa_otp(&token, &authenticator_app_code(&secret))
        .await
        .unwrap();
}

#[tokio::test]
async fn apis_enforcing_rbac_narrow_scopes_to_the_users_permissions() {
    use auth0_management::models::UpdateResourceServerRequestContent;

    let tenant = tenant().await;
    let auth0 = tenant.management_client().unwrap();
    let auth = tenant.authentication_client().unwrap();
    let api = tenant.api_audience().to_owned();
    let user = tenant.user().clone();
    let login = auth0_authentication::PasswordLogin::new(&user.email, &user.password)
        .audience(api.as_str())
        .scope("openid read:messages write:messages");

    // RBAC off: the requested scopes are granted.
    let tokens = auth.login(&login).await.unwrap();
    assert_eq!(
        tokens.scope.as_deref(),
        Some("openid read:messages write:messages")
    );

    let server = auth0
        .resource_servers()
        .get(&api, &Default::default())
        .await
        .unwrap()
        .id
        .unwrap();
    auth0
        .resource_servers()
        .update(
            &server,
            &UpdateResourceServerRequestContent::new()
                .enforce_policies(true)
                .token_dialect("access_token_authz"),
        )
        .await
        .unwrap();
    let role = auth0
        .roles()
        .create(&CreateRoleRequestContent::new("reader"))
        .await
        .unwrap()
        .id
        .unwrap();
    auth0
        .roles()
        .permissions()
        .add(
            &role,
            &RolesPermissionsAddRequestContent::new(vec![PermissionRequestPayload::new(
                "read:messages",
                api.as_str(),
            )]),
        )
        .await
        .unwrap();

    // Enforced, no role yet: only the OIDC scopes remain.
    let tokens = auth.login(&login).await.unwrap();
    assert_eq!(tokens.scope.as_deref(), Some("openid"));
    assert_eq!(
        decode_claims(&tokens.access_token)["permissions"],
        serde_json::json!([])
    );

    auth0
        .users()
        .roles()
        .assign(
            &user.user_id,
            &UsersRolesAssignRequestContent::new(vec![role]),
        )
        .await
        .unwrap();
    let tokens = auth.login(&login).await.unwrap();
    assert_eq!(tokens.scope.as_deref(), Some("openid read:messages"));
    let claims = decode_claims(&tokens.access_token);
    assert_eq!(claims["scope"], "openid read:messages");
    assert_eq!(claims["permissions"], serde_json::json!(["read:messages"]));
}

// ------------------------------------------------------------ list filters

/// The names of `clients`, sorted.
fn client_names(clients: &[auth0_management::models::Client]) -> Vec<String> {
    let mut names: Vec<String> = clients.iter().map(|c| c.name.clone().unwrap()).collect();
    names.sort();
    names
}

/// `GET /api/v2/clients?is_first_party=…`, `is_global=…` and
/// `external_client_id=…` answer only the clients that match, a client
/// without the field counting as Auth0's default (first party, not global,
/// no CIMD URI) — not every client.
#[tokio::test]
async fn clients_list_filters_by_first_party_global_and_cimd_uri() {
    let tenant = tenant().await;
    let auth0 = tenant.management_client().unwrap();
    auth0
        .clients()
        .create(&CreateClientRequestContent::new("partner portal").is_first_party(false))
        .await
        .unwrap();
    let list = |params: ClientsListParams| {
        let auth0 = auth0.clone();
        async move {
            client_names(
                &auth0
                    .clients()
                    .list_pager(params)
                    .collect_all(100)
                    .await
                    .unwrap(),
            )
        }
    };
    let all = list(ClientsListParams::new()).await;
    assert!(all.len() > 2, "{all:?}");

    assert_eq!(
        list(ClientsListParams::new().is_first_party(false)).await,
        ["partner portal"]
    );
    let first_party = list(ClientsListParams::new().is_first_party(true)).await;
    assert_eq!(first_party.len(), all.len() - 1, "{first_party:?}");
    assert!(!first_party.contains(&"partner portal".to_owned()));

    // No client of the tenant is the global "All Applications" client.
    assert!(
        list(ClientsListParams::new().is_global(true))
            .await
            .is_empty()
    );
    assert_eq!(list(ClientsListParams::new().is_global(false)).await, all);
    // No client was registered from a Client ID Metadata Document.
    assert!(
        list(ClientsListParams::new().external_client_id("https://app.example.com/client.json"))
            .await
            .is_empty()
    );
    // Filters combine with each other and with `app_type`.
    assert_eq!(
        list(
            ClientsListParams::new()
                .is_first_party(true)
                .app_type("native")
        )
        .await,
        [tenant.applications().native.name()]
    );
}

/// `GET /api/v2/client-grants?allow_any_organization=…`, `subject_type=…`
/// and `default_for=…` answer only the grants that match (a grant without
/// the field: not for any organization, `subject_type` `client`, no
/// `default_for`); a grant that is the default for third-party clients is
/// created without a `client_id`, as Auth0 documents.
#[tokio::test]
async fn client_grants_list_filters_by_organization_subject_type_and_default() {
    let tenant = tenant().await;
    let auth0 = tenant.management_client().unwrap();
    let machine = tenant.applications().machine.client_id().to_owned();
    let user_grant = auth0
        .client_grants()
        .create(
            &CreateClientGrantRequestContent::new("https://orders.example.com")
                .client_id(machine.clone())
                .scope(vec!["read:orders".to_owned()])
                .allow_any_organization(true)
                .subject_type(ClientGrantSubjectTypeEnum::User),
        )
        .await
        .unwrap()
        .id
        .unwrap();
    let default_grant = auth0
        .client_grants()
        .create(
            &CreateClientGrantRequestContent::new("https://orders.example.com")
                .default_for(ClientGrantDefaultForEnum::ThirdPartyClients)
                .scope(vec!["read:orders".to_owned()]),
        )
        .await
        .unwrap()
        .id
        .unwrap();
    let list = |params: ClientGrantsListParams| {
        let auth0 = auth0.clone();
        async move {
            let mut ids: Vec<String> = auth0
                .client_grants()
                .list_pager(params)
                .collect_all(100)
                .await
                .unwrap()
                .into_iter()
                .map(|g| g.id.unwrap())
                .collect();
            ids.sort();
            ids
        }
    };
    let all = list(ClientGrantsListParams::new()).await;
    assert!(all.len() > 2, "{all:?}");
    let others = |excluded: &[&str]| -> Vec<String> {
        all.iter()
            .filter(|id| !excluded.contains(&id.as_str()))
            .cloned()
            .collect()
    };

    assert_eq!(
        list(ClientGrantsListParams::new().allow_any_organization(true)).await,
        std::slice::from_ref(&user_grant)
    );
    assert_eq!(
        list(ClientGrantsListParams::new().allow_any_organization(false)).await,
        others(&[&user_grant])
    );
    assert_eq!(
        list(ClientGrantsListParams::new().subject_type(ClientGrantSubjectTypeEnum::User)).await,
        std::slice::from_ref(&user_grant)
    );
    assert_eq!(
        list(ClientGrantsListParams::new().subject_type(ClientGrantSubjectTypeEnum::Client)).await,
        others(&[&user_grant])
    );
    assert_eq!(
        list(
            ClientGrantsListParams::new().default_for(ClientGrantDefaultForEnum::ThirdPartyClients)
        )
        .await,
        std::slice::from_ref(&default_grant)
    );
    assert_eq!(
        list(
            ClientGrantsListParams::new()
                .client_id(machine.clone())
                .subject_type(ClientGrantSubjectTypeEnum::User)
        )
        .await,
        [user_grant]
    );

    // `default_for` and `client_id` are mutually exclusive, in a list as
    // in a new grant.
    let err = auth0
        .client_grants()
        .list(
            &ClientGrantsListParams::new()
                .default_for(ClientGrantDefaultForEnum::ThirdPartyClients)
                .client_id(machine.clone()),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::BAD_REQUEST), "{err}");
    assert_eq!(
        err.core().and_then(|e| e.error_code()),
        Some("invalid_query_string"),
        "{err}"
    );
    let err = auth0
        .client_grants()
        .create(
            &CreateClientGrantRequestContent::new("https://billing.example.com")
                .client_id(machine)
                .default_for(ClientGrantDefaultForEnum::ThirdPartyClients)
                .scope(Vec::<String>::new()),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::BAD_REQUEST), "{err}");
    // One default grant per audience.
    let err = auth0
        .client_grants()
        .create(
            &CreateClientGrantRequestContent::new("https://orders.example.com")
                .default_for(ClientGrantDefaultForEnum::ThirdPartyClients)
                .scope(Vec::<String>::new()),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::CONFLICT), "{err}");
}

/// `GET /api/v2/clients?q=…` runs the two queries Auth0 permits — clients
/// with a grant for any organization, clients with a grant associated with
/// an organization — by checkpoint; any other query, `q` with another
/// filter or with offset paging is refused as Auth0 refuses it.
#[tokio::test]
async fn clients_q_runs_the_permitted_grant_queries_by_checkpoint() {
    let tenant = tenant().await;
    let auth0 = tenant.management_client().unwrap();
    let machine = &tenant.applications().machine;
    auth0
        .client_grants()
        .create(
            &CreateClientGrantRequestContent::new("https://orders.example.com")
                .client_id(machine.client_id())
                .scope(vec!["read:orders".to_owned()])
                .allow_any_organization(true),
        )
        .await
        .unwrap();
    let query = |q: &str| {
        auth0
            .clone()
            .clients()
            .list_checkpoint_pager(ClientsListParams::new().q(q).take(2))
            .collect_all(100)
    };
    assert_eq!(
        client_names(
            &query("client_grant.allow_any_organization:true")
                .await
                .unwrap()
        ),
        [machine.name()]
    );
    // Associating grants with organizations is not emulated: none is.
    let org = &tenant.organizations()[0].id;
    assert!(
        query(&format!("client_grant.organization_id:{org}"))
            .await
            .unwrap()
            .is_empty()
    );

    let refused = |params: ClientsListParams| {
        let auth0 = auth0.clone();
        async move {
            let err = auth0.clients().list(&params).await.unwrap_err();
            assert_eq!(err.status_code(), Some(StatusCode::BAD_REQUEST), "{err}");
            assert_eq!(
                err.core().and_then(|e| e.error_code()),
                Some("invalid_query_string"),
                "{err}"
            );
        }
    };
    let any_organization = "client_grant.allow_any_organization:true";
    // Another query.
    refused(ClientsListParams::new().q("name:partner").take(10)).await;
    refused(
        ClientsListParams::new()
            .q("client_grant.allow_any_organization:false")
            .take(10),
    )
    .await;
    // With another filter.
    refused(
        ClientsListParams::new()
            .q(any_organization)
            .is_first_party(true)
            .take(10),
    )
    .await;
    refused(
        ClientsListParams::new()
            .q(any_organization)
            .app_type("native")
            .take(10),
    )
    .await;
    // Without checkpoint paging.
    refused(ClientsListParams::new().q(any_organization)).await;
    refused(
        ClientsListParams::new()
            .q(any_organization)
            .page(0)
            .per_page(10),
    )
    .await;
}

/// `GET uri` on the tenant's Management API, as any HTTP client sends it.
async fn api_get(tenant: &LocalTenant, uri: &str) -> (StatusCode, Value) {
    let token = management_token(tenant).await;
    let request = Request::builder()
        .method("GET")
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Bytes::new())
        .unwrap();
    let response = raw_client(tenant).send(request).await.unwrap();
    let body = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    (response.status(), body)
}

/// A boolean filter that is not `true`/`false`, an enum filter outside its
/// values, or a one-value filter given twice is Auth0's `400`
/// `invalid_query_string` naming the parameter — never a list ignoring it.
#[tokio::test]
async fn list_filters_refuse_values_auth0_refuses() {
    let tenant = tenant().await;
    for (uri, param) in [
        ("/api/v2/clients?is_first_party=maybe", "is_first_party"),
        ("/api/v2/clients?is_first_party=", "is_first_party"),
        ("/api/v2/clients?is_global=1", "is_global"),
        (
            "/api/v2/clients?is_first_party=true&is_first_party=false",
            "is_first_party",
        ),
        (
            "/api/v2/clients?external_client_id=https%3A%2F%2Fa.example&external_client_id=https%3A%2F%2Fb.example",
            "external_client_id",
        ),
        (
            "/api/v2/client-grants?allow_any_organization=yes",
            "allow_any_organization",
        ),
        ("/api/v2/client-grants?subject_type=robot", "subject_type"),
        (
            "/api/v2/client-grants?default_for=first_party_clients",
            "default_for",
        ),
        (
            "/api/v2/clients?q=client_grant.organization_id%3A&take=5",
            "q",
        ),
    ] {
        let message = refused_query(&tenant, uri).await;
        assert!(message.contains(param), "{uri}: {message}");
    }
}

/// Auth0's `400` for a query it cannot read: the answer's message.
async fn refused_query(tenant: &LocalTenant, uri: &str) -> String {
    let (status, body) = api_get(tenant, uri).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
    assert_eq!(body["statusCode"], 400, "{uri}: {body}");
    assert_eq!(body["error"], "Bad Request", "{uri}: {body}");
    assert_eq!(body["errorCode"], "invalid_query_string", "{uri}: {body}");
    let message = body["message"].as_str().unwrap_or_default().to_owned();
    assert!(
        message.starts_with("Query validation error:"),
        "{uri}: {body}"
    );
    message
}

// ------------------------------------------------ client grants at the token endpoint

/// A client created through the Management API, with its secret: a
/// machine-to-machine application, first party or not.
async fn new_machine_client(
    auth0: &auth0_management::ManagementClient,
    name: &str,
    first_party: bool,
) -> (String, String) {
    let created = auth0
        .clients()
        .create(
            &CreateClientRequestContent::new(name)
                .app_type("non_interactive")
                .is_first_party(first_party),
        )
        .await
        .unwrap();
    (created.client_id.unwrap(), created.client_secret.unwrap())
}

/// The scope a client-credentials exchange of `client_id` for `audience`
/// is given, or the error the tenant answers.
async fn client_credentials_scope(
    tenant: &LocalTenant,
    (client_id, secret): &(String, String),
    audience: &str,
) -> Result<String, auth0_core::Error> {
    auth0_authentication::AuthenticationClient::builder(tenant.client().unwrap(), client_id)
        .client_secret(secret.as_str())
        .build()
        .unwrap()
        .client_credentials(audience, None)
        .await
        .map(|token| token.scope.unwrap_or_default())
}

fn assert_access_denied(outcome: Result<String, auth0_core::Error>) {
    let err = outcome.unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::FORBIDDEN), "{err}");
    assert_eq!(err.error_code(), Some("access_denied"), "{err}");
}

/// A `default_for: third_party_clients` grant applies to a third-party
/// client (`is_first_party: false`) without a grant of its own for the
/// audience, with the default grant's scopes; a client's own grant takes
/// precedence; a first-party client never gets the default.
#[tokio::test]
async fn third_party_clients_get_the_default_grant_unless_they_have_their_own() {
    let tenant = tenant().await;
    let auth0 = tenant.management_client().unwrap();
    let api = tenant.api_audience().to_owned();
    let partner = new_machine_client(&auth0, "partner", false).await;
    let internal = new_machine_client(&auth0, "internal", true).await;

    // No grant for either yet.
    assert_access_denied(client_credentials_scope(&tenant, &partner, &api).await);
    auth0
        .client_grants()
        .create(
            &CreateClientGrantRequestContent::new(api.as_str())
                .default_for(ClientGrantDefaultForEnum::ThirdPartyClients)
                .scope(vec!["read:messages".to_owned()]),
        )
        .await
        .unwrap();

    assert_eq!(
        client_credentials_scope(&tenant, &partner, &api)
            .await
            .unwrap(),
        "read:messages"
    );
    assert_access_denied(client_credentials_scope(&tenant, &internal, &api).await);
    // The default is for its audience only.
    assert_access_denied(
        client_credentials_scope(&tenant, &partner, &tenant.management_audience()).await,
    );

    // The client's own grant wins, with its own scopes.
    auth0
        .client_grants()
        .create(
            &CreateClientGrantRequestContent::new(api.as_str())
                .client_id(partner.0.clone())
                .scope(vec!["write:messages".to_owned()]),
        )
        .await
        .unwrap();
    assert_eq!(
        client_credentials_scope(&tenant, &partner, &api)
            .await
            .unwrap(),
        "write:messages"
    );
}

/// A grant with `subject_type: user` is for user access flows: it does not
/// let its client exchange client credentials for the audience.
#[tokio::test]
async fn client_credentials_need_a_grant_for_client_access() {
    let tenant = tenant().await;
    let auth0 = tenant.management_client().unwrap();
    let api = tenant.api_audience().to_owned();
    let service = new_machine_client(&auth0, "service", true).await;
    auth0
        .client_grants()
        .create(
            &CreateClientGrantRequestContent::new(api.as_str())
                .client_id(service.0.clone())
                .scope(vec!["read:messages".to_owned()])
                .subject_type(ClientGrantSubjectTypeEnum::User),
        )
        .await
        .unwrap();
    assert_access_denied(client_credentials_scope(&tenant, &service, &api).await);
}

/// `POST /api/v2/client-grants` requires only `audience` (and `client_id`
/// or `default_for`), as Auth0's description does: a grant without `scope`,
/// or with `scope: null`, has no scopes.
#[tokio::test]
async fn client_grants_are_created_without_scope() {
    let tenant = tenant().await;
    let auth0 = tenant.management_client().unwrap();
    let api = tenant.api_audience().to_owned();
    let service = new_machine_client(&auth0, "service", true).await;

    let created = auth0
        .client_grants()
        .create(&CreateClientGrantRequestContent::new(api.as_str()).client_id(service.0.clone()))
        .await
        .unwrap();
    assert_eq!(created.scope, Some(Vec::new()));
    let listed = auth0
        .client_grants()
        .list_pager(ClientGrantsListParams::new().client_id(service.0.clone()))
        .collect_all(100)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].scope, Some(Vec::new()));
    // The grant lets the client in, with no scope.
    assert_eq!(
        client_credentials_scope(&tenant, &service, &api)
            .await
            .unwrap(),
        ""
    );

    let token = management_token(&tenant).await;
    let request = Request::builder()
        .method("POST")
        .uri("/api/v2/client-grants")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Bytes::from(
            serde_json::json!({
                "audience": "https://orders.example.com",
                "default_for": "third_party_clients",
                "scope": null,
            })
            .to_string(),
        ))
        .unwrap();
    let response = raw_client(&tenant).send(request).await.unwrap();
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(response.status(), StatusCode::CREATED, "{body}");
    assert_eq!(body["scope"], serde_json::json!([]), "{body}");
}

/// A checkpoint `take` that is not an integer is Auth0's `400`
/// `invalid_query_string` on `take` (the description types it `integer`),
/// never a page of 50.
#[tokio::test]
async fn checkpoint_take_that_is_not_an_integer_is_refused() {
    let tenant = tenant().await;
    for uri in [
        "/api/v2/clients?take=ten",
        "/api/v2/client-grants?take=1.5",
        "/api/v2/connections?from=5&take=x",
        "/api/v2/organizations?take=many",
    ] {
        assert_eq!(
            refused_query(&tenant, uri).await,
            "Query validation error: 'Expected type integer' on property take.",
            "{uri}"
        );
    }
    // A well-formed one still pages.
    let (status, body) = api_get(&tenant, "/api/v2/clients?take=1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["clients"].as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(body["next"], "1", "{body}");
}
