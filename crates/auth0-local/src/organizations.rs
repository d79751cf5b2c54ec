//! Organizations: the records the Management API manages (CRUD and lookup
//! by name), their members and the members' roles, their enabled
//! connections and their invitations; and what `/authorize?organization=…`
//! checks against them (an enabled connection, membership or
//! `assign_membership_on_login`, invitation tickets).

use std::collections::HashMap;

use http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::management::{
    bad_request, checked_body, json_object, no_user, not_implemented, page_of, paging,
    require_scope, select_fields, text_field,
};
use crate::server::{Req, Resp, api_error, json, no_content};
use crate::tenant::{
    LocalOrganization, Shared, Store, lock, now_iso, now_secs, random_hex, random_id,
};

/// An invitation's lifetime when `ttl_sec` is absent or 0 (7 days).
const DEFAULT_INVITATION_TTL: i64 = 604_800;
/// The longest `ttl_sec` Auth0 accepts (30 days).
const MAX_INVITATION_TTL: i64 = 2_592_000;
/// Auth0 adds or removes at most this many members per request.
const MAX_MEMBERS_PER_REQUEST: usize = 10;

/// An invitation, waiting for its invitee to log in through it.
#[derive(Clone)]
pub(crate) struct Invitation {
    /// The Management API's view (`GET …/invitations/{id}`).
    record: Value,
    /// The ticket the invitation URL carries as `invitation`.
    ticket: String,
    pub(crate) organization_id: String,
    /// The invitee's email address.
    pub(crate) email: String,
    expires_at: i64,
    roles: Vec<String>,
}

/// Every organization and what hangs off it. No `Debug`: invitation
/// tickets are credentials.
#[derive(Default)]
pub(crate) struct Organizations {
    /// Management records (`id`, `name`, `display_name`, `branding`,
    /// `metadata`), in creation order.
    records: Vec<Value>,
    /// Member user ids by organization id, in the order they joined.
    members: HashMap<String, Vec<String>>,
    /// Role ids by (organization id, user id).
    member_roles: HashMap<(String, String), Vec<String>>,
    /// Enabled connections by organization id: `connection_id`,
    /// `assign_membership_on_login`, `is_signup_enabled`, `show_as_button`.
    connections: HashMap<String, Vec<Value>>,
    invitations: Vec<Invitation>,
}

impl Organizations {
    /// The builder's organizations, each with `connection_id` (the database
    /// connection) enabled.
    pub(crate) fn seed(organizations: &[LocalOrganization], connection_id: &str) -> Self {
        let mut seeded = Self::default();
        for org in organizations {
            seeded.records.push(json!({
                "id": org.id, "name": org.name, "display_name": org.name,
            }));
            seeded.connections.insert(
                org.id.clone(),
                vec![enabled_connection(connection_id, &Map::new())],
            );
        }
        seeded
    }

    /// Makes `user_id` a member of every organization (the builder's users).
    pub(crate) fn join_all(&mut self, user_id: &str) {
        for record in &self.records {
            let id = text(record, "id");
            let members = self.members.entry(id).or_default();
            if !members.iter().any(|m| m == user_id) {
                members.push(user_id.to_owned());
            }
        }
    }

    /// The organization with this id, or this name (case-insensitive).
    pub(crate) fn find(&self, id_or_name: &str) -> Option<LocalOrganization> {
        self.records
            .iter()
            .find(|r| {
                r["id"] == id_or_name
                    || r["name"]
                        .as_str()
                        .is_some_and(|n| n.eq_ignore_ascii_case(id_or_name))
            })
            .map(|r| LocalOrganization::new(text(r, "id"), text(r, "name")))
    }

    /// Every organization, in creation order.
    pub(crate) fn all(&self) -> Vec<LocalOrganization> {
        self.records
            .iter()
            .map(|r| LocalOrganization::new(text(r, "id"), text(r, "name")))
            .collect()
    }

    /// The unexpired invitation whose ticket (or id) this is.
    pub(crate) fn invitation(&self, ticket: &str) -> Option<&Invitation> {
        let now = now_secs();
        self.invitations
            .iter()
            .find(|i| (i.ticket == ticket || i.record["id"] == ticket) && i.expires_at > now)
    }

    fn record(&self, id: &str) -> Option<&Value> {
        self.records.iter().find(|r| r["id"] == id)
    }

    fn is_member(&self, org_id: &str, user_id: &str) -> bool {
        self.members
            .get(org_id)
            .is_some_and(|m| m.iter().any(|u| u == user_id))
    }

    fn add_member(&mut self, org_id: &str, user_id: &str) {
        let members = self.members.entry(org_id.to_owned()).or_default();
        if !members.iter().any(|m| m == user_id) {
            members.push(user_id.to_owned());
        }
    }

    fn add_roles(&mut self, org_id: &str, user_id: &str, roles: &[String]) {
        let held = self
            .member_roles
            .entry((org_id.to_owned(), user_id.to_owned()))
            .or_default();
        for role in roles {
            if !held.contains(role) {
                held.push(role.clone());
            }
        }
    }

    /// A deleted user leaves every organization.
    pub(crate) fn forget_user(&mut self, user_id: &str) {
        for members in self.members.values_mut() {
            members.retain(|m| m != user_id);
        }
        self.member_roles.retain(|(_, user), _| user != user_id);
    }

    /// A deleted role is no member's any more.
    pub(crate) fn forget_role(&mut self, role_id: &str) {
        for roles in self.member_roles.values_mut() {
            roles.retain(|r| r != role_id);
        }
    }

    /// Invites `email` to `org_id` on behalf of `client_id`, whose login
    /// page is `login_uri`; returns the invitation's record.
    fn invite(&mut self, org_id: &str, login_uri: &str, request: &Map<String, Value>) -> Value {
        let ticket = random_id(24);
        let id = format!("uinv_{}", random_id(12));
        let ttl = request
            .get("ttl_sec")
            .and_then(Value::as_i64)
            .filter(|t| *t > 0)
            .unwrap_or(DEFAULT_INVITATION_TTL);
        let now = now_secs();
        let name = self
            .record(org_id)
            .map(|r| text(r, "name"))
            .unwrap_or_default();
        let mut url = login_uri.to_owned();
        for (i, (key, value)) in [
            ("invitation", ticket.as_str()),
            ("organization", org_id),
            ("organization_name", name.as_str()),
        ]
        .iter()
        .enumerate()
        {
            url.push(if i == 0 && !login_uri.contains('?') {
                '?'
            } else {
                '&'
            });
            url.push_str(key);
            url.push('=');
            auth0_core::client::percent_encode_into(&mut url, value);
        }
        let roles: Vec<String> = request
            .get("roles")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let email = request
            .get("invitee")
            .and_then(|i| i.get("email"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let mut record = json!({
            "id": id,
            "organization_id": org_id,
            "inviter": request.get("inviter").cloned().unwrap_or_else(|| json!({})),
            "invitee": { "email": email },
            "invitation_url": url,
            "created_at": now_iso(),
            "expires_at": iso_after(ttl),
            "client_id": request.get("client_id").cloned().unwrap_or(Value::Null),
            "app_metadata": request.get("app_metadata").cloned().unwrap_or_else(|| json!({})),
            "user_metadata": request.get("user_metadata").cloned().unwrap_or_else(|| json!({})),
            "roles": roles,
            "ticket_id": ticket,
        });
        if let Some(connection) = request.get("connection_id").filter(|c| !c.is_null()) {
            record["connection_id"] = connection.clone();
        }
        self.invitations.push(Invitation {
            record: record.clone(),
            ticket,
            organization_id: org_id.to_owned(),
            email,
            expires_at: now.saturating_add(ttl),
            roles,
        });
        record
    }
}

/// Invites `email` to an organization through `client_id` (whose
/// `initiate_login_uri` starts the invitation URL), as
/// [`crate::LocalTenant::invite`] does; the ticket to pass as `invitation`.
pub(crate) fn invite(store: &mut Store, org_id: &str, client_id: &str, email: &str) -> String {
    let login_uri = store
        .client(client_id)
        .and_then(|c| c["initiate_login_uri"].as_str())
        .unwrap_or("https://localhost/login")
        .to_owned();
    let mut request = Map::new();
    request.insert("client_id".into(), json!(client_id));
    request.insert("invitee".into(), json!({ "email": email }));
    request.insert("inviter".into(), json!({ "name": "auth0-local" }));
    let record = store.organizations.invite(org_id, &login_uri, &request);
    text(&record, "ticket_id")
}

/// Whether `user_id` may log in to `org_id` (through the invitation
/// `ticket`, if any), as Auth0 decides at `/authorize`: the user's
/// connection must be enabled for the organization; an invitation (for the
/// user's email) is used up and makes them a member with its roles; else
/// they must be a member, or the connection must assign membership on
/// login. The error is the `(error, error_description)` of the redirect.
pub(crate) fn admit(
    store: &mut Store,
    org_id: &str,
    user_id: &str,
    ticket: Option<&str>,
) -> Result<(), (&'static str, String)> {
    let user = store.user(user_id).cloned().unwrap_or(Value::Null);
    let connection_name = user["identities"][0]["connection"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let connection_id = store
        .connections
        .iter()
        .find(|c| c["name"] == connection_name.as_str())
        .map(|c| text(c, "id"))
        .unwrap_or_default();
    let enabled = store
        .organizations
        .connections
        .get(org_id)
        .and_then(|list| {
            list.iter()
                .find(|c| c["connection_id"] == connection_id.as_str())
        })
        .cloned();
    let Some(enabled) = enabled else {
        return Err((
            "access_denied",
            format!("the connection {connection_name} is not enabled for the organization"),
        ));
    };
    let orgs = &mut store.organizations;
    if let Some(ticket) = ticket.filter(|t| !t.is_empty()) {
        let Some(found) = orgs.invitation(ticket).cloned() else {
            return Err((
                "invalid_request",
                "invitation not found or expired".to_owned(),
            ));
        };
        // Auth0 uses the invitation up whoever presents it.
        orgs.invitations.retain(|i| i.ticket != found.ticket);
        let email = user["email"].as_str().unwrap_or_default();
        if found.organization_id != org_id || !found.email.eq_ignore_ascii_case(email) {
            return Err((
                "access_denied",
                "the specified account is not allowed to accept the current invitation".to_owned(),
            ));
        }
        orgs.add_member(org_id, user_id);
        orgs.add_roles(org_id, user_id, &found.roles);
        return Ok(());
    }
    if orgs.is_member(org_id, user_id) {
        return Ok(());
    }
    if enabled["assign_membership_on_login"] == true {
        orgs.add_member(org_id, user_id);
        return Ok(());
    }
    Err((
        "access_denied",
        format!("user {user_id} is not part of the {org_id} organization"),
    ))
}

fn text(record: &Value, name: &str) -> String {
    record[name].as_str().unwrap_or_default().to_owned()
}

/// An ISO 8601 timestamp `seconds` from now.
fn iso_after(seconds: i64) -> String {
    crate::tenant::iso_at(now_secs().saturating_add(seconds))
}

fn enabled_connection(connection_id: &str, options: &Map<String, Value>) -> Value {
    let flag = |name: &str, default: bool| {
        options
            .get(name)
            .and_then(Value::as_bool)
            .unwrap_or(default)
    };
    json!({
        "connection_id": connection_id,
        "assign_membership_on_login": flag("assign_membership_on_login", false),
        "is_signup_enabled": flag("is_signup_enabled", false),
        "show_as_button": flag("show_as_button", true),
    })
}

fn no_organization() -> Resp {
    api_error(
        StatusCode::NOT_FOUND,
        "No organization found by that id or name",
        "inexistent_organization",
    )
}

/// Auth0's rule for organization names: lower case letters, digits, `-` and
/// `_`, starting and ending with a letter or digit, at most 50 characters.
fn valid_name(name: &str) -> bool {
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !name.is_empty()
        && name.len() <= 50
        && name.chars().all(|c| ok(c) || c == '-' || c == '_')
        && name.chars().next().is_some_and(ok)
        && name.chars().last().is_some_and(ok)
}

fn check_name(orgs: &Organizations, name: &str, except: Option<&str>) -> Result<(), Resp> {
    if !valid_name(name) {
        return Err(bad_request(
            "Payload validation error: 'String does not match pattern ^[a-z0-9]([a-z0-9\\-_]*[a-z0-9])?$' on property name (The name of this organization).",
        ));
    }
    let taken = orgs
        .records
        .iter()
        .any(|r| r["name"] == name && except.is_none_or(|id| r["id"] != id));
    if taken {
        return Err(api_error(
            StatusCode::CONFLICT,
            "An organization with this name already exists.",
            "organization_conflict",
        ));
    }
    Ok(())
}

/// `/organizations…` and `/users/{id}/organizations`; `None` for other
/// paths.
pub(crate) fn route(
    shared: &Shared,
    req: &Req,
    segments: &[&str],
    scopes: &[&str],
) -> Option<Resp> {
    if !matches!(
        segments,
        ["organizations", ..] | ["users", _, "organizations"]
    ) {
        return None;
    }
    Some(dispatch(shared, req, segments, scopes).unwrap_or_else(|refused| refused))
}

/// The scope an operation needs; `None` for one this module does not
/// emulate.
fn scope_of(method: &Method, segments: &[&str]) -> Option<&'static str> {
    let verb = |read, create, update, delete| match *method {
        Method::GET => Some(read),
        Method::POST => Some(create),
        Method::PATCH => Some(update),
        Method::DELETE => Some(delete),
        _ => None,
    };
    match segments {
        ["users", _, "organizations"] | ["organizations", "name", _] => {
            (*method == Method::GET).then_some("read:organizations")
        }
        ["organizations"] if matches!(*method, Method::GET | Method::POST) => {
            verb("read:organizations", "create:organizations", "", "")
        }
        ["organizations", _] if *method != Method::POST => verb(
            "read:organizations",
            "",
            "update:organizations",
            "delete:organizations",
        ),
        ["organizations", _, "members"] if *method != Method::PATCH => verb(
            "read:organization_members",
            "create:organization_members",
            "",
            "delete:organization_members",
        ),
        ["organizations", _, "members", _, "roles"] if *method != Method::PATCH => verb(
            "read:organization_member_roles",
            "create:organization_member_roles",
            "",
            "delete:organization_member_roles",
        ),
        ["organizations", _, "invitations"] if matches!(*method, Method::GET | Method::POST) => {
            verb(
                "read:organization_invitations",
                "create:organization_invitations",
                "",
                "",
            )
        }
        ["organizations", _, "invitations", _]
            if matches!(*method, Method::GET | Method::DELETE) =>
        {
            verb(
                "read:organization_invitations",
                "",
                "",
                "delete:organization_invitations",
            )
        }
        ["organizations", _, "enabled_connections"]
            if matches!(*method, Method::GET | Method::POST) =>
        {
            verb(
                "read:organization_connections",
                "create:organization_connections",
                "",
                "",
            )
        }
        ["organizations", _, "enabled_connections", _] if *method != Method::POST => verb(
            "read:organization_connections",
            "",
            "update:organization_connections",
            "delete:organization_connections",
        ),
        _ => None,
    }
}

fn dispatch(shared: &Shared, req: &Req, segments: &[&str], scopes: &[&str]) -> Result<Resp, Resp> {
    let Some(needed) = scope_of(&req.method, segments) else {
        return Ok(not_implemented(req, segments));
    };
    require_scope(scopes, needed)?;
    let with_body = matches!(req.method, Method::POST | Method::PATCH)
        || (req.method == Method::DELETE && segments.len() != 2 && segments.len() != 4);
    let body = if with_body {
        json_object(checked_body(req, segments)?)?
    } else {
        Map::new()
    };
    let query = req.query_params();
    let mut store = lock(&shared.store);
    let store = &mut *store;
    let method = &req.method;
    if let ["users", user_id, "organizations"] = segments {
        let paging = paging(&query)?;
        let orgs = &store.organizations;
        let items: Vec<Value> = orgs
            .records
            .iter()
            .filter(|r| orgs.is_member(r["id"].as_str().unwrap_or_default(), user_id))
            .cloned()
            .collect();
        return Ok(page_of("organizations", items, &paging, &query, false));
    }
    if let ["organizations", "name", name] = segments {
        return Ok(
            match store
                .organizations
                .records
                .iter()
                .find(|r| r["name"] == *name)
            {
                Some(record) => json(StatusCode::OK, record),
                None => no_organization(),
            },
        );
    }
    if segments.len() == 1 {
        return Ok(if *method == Method::GET {
            list_organizations(store, &query)?
        } else {
            create_organization(store, body)?
        });
    }
    let (org_id, rest) = match segments {
        [_, org_id, rest @ ..] => (*org_id, rest),
        _ => return Ok(not_implemented(req, segments)),
    };
    if store.organizations.record(org_id).is_none() {
        return Ok(no_organization());
    }
    Ok(match (rest, method) {
        ([], &Method::GET) => json(
            StatusCode::OK,
            store.organizations.record(org_id).unwrap_or(&Value::Null),
        ),
        ([], &Method::PATCH) => update_organization(&mut store.organizations, org_id, body)?,
        ([], _) => {
            let orgs = &mut store.organizations;
            orgs.records.retain(|r| r["id"] != org_id);
            orgs.members.remove(org_id);
            orgs.member_roles.retain(|(org, _), _| org != org_id);
            orgs.connections.remove(org_id);
            orgs.invitations.retain(|i| i.organization_id != org_id);
            no_content()
        }
        (["members"], &Method::GET) => list_members(store, org_id, &query)?,
        (["members"], _) => change_members(store, org_id, method, &body)?,
        (["members", user_id, "roles"], &Method::GET) => {
            let paging = paging(&query)?;
            let held = store
                .organizations
                .member_roles
                .get(&(org_id.to_owned(), (*user_id).to_owned()))
                .cloned()
                .unwrap_or_default();
            let items: Vec<Value> = store
                .roles
                .iter()
                .filter(|r| held.iter().any(|h| r["id"] == h.as_str()))
                .cloned()
                .collect();
            page_of("roles", items, &paging, &query, false)
        }
        (["members", user_id, "roles"], _) => {
            change_member_roles(store, org_id, user_id, method, &body)?
        }
        (["invitations"], &Method::GET) => list_invitations(store, org_id, &query)?,
        (["invitations"], _) => create_invitation(store, org_id, body)?,
        (["invitations", id], &Method::GET) => {
            match store
                .organizations
                .invitations
                .iter()
                .find(|i| i.organization_id == org_id && i.record["id"] == *id)
            {
                Some(found) => json(StatusCode::OK, &select_fields(&found.record, &query)),
                None => no_invitation(),
            }
        }
        (["invitations", id], _) => {
            let before = store.organizations.invitations.len();
            store
                .organizations
                .invitations
                .retain(|i| !(i.organization_id == org_id && i.record["id"] == *id));
            if store.organizations.invitations.len() == before {
                no_invitation()
            } else {
                no_content()
            }
        }
        (["enabled_connections"], &Method::GET) => {
            let paging = paging(&query)?;
            let items: Vec<Value> = store
                .organizations
                .connections
                .get(org_id)
                .into_iter()
                .flatten()
                .map(|c| with_connection(store, c))
                .collect();
            page_of("enabled_connections", items, &paging, &query, false)
        }
        (["enabled_connections"], _) => add_connection(store, org_id, &body)?,
        (["enabled_connections", connection_id], _) => {
            enabled_connection_by_id(store, org_id, connection_id, method, body)?
        }
        _ => not_implemented(req, segments),
    })
}

fn list_organizations(store: &Store, query: &HashMap<String, String>) -> Result<Resp, Resp> {
    let paging = paging(query)?;
    let mut items = store.organizations.records.clone();
    if let Some(sort) = query.get("sort").filter(|s| !s.is_empty()) {
        let (field, order) = sort.split_once(':').unwrap_or((sort.as_str(), "1"));
        if !matches!(field, "name" | "display_name" | "created_at") {
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                "Query validation error: 'Invalid sort field' on property sort.",
                "invalid_query_string",
            ));
        }
        items.sort_by_key(|r| text(r, field));
        if order == "-1" {
            items.reverse();
        }
    }
    Ok(page_of("organizations", items, &paging, query, true))
}

fn create_organization(store: &mut Store, mut body: Map<String, Value>) -> Result<Resp, Resp> {
    let name = text_field(&body, "name");
    check_name(&store.organizations, &name, None)?;
    let requested = body.remove("enabled_connections");
    let mut enabled = Vec::new();
    for entry in requested
        .as_ref()
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let options = entry.as_object().cloned().unwrap_or_default();
        let connection_id = text_field(&options, "connection_id");
        if !store
            .connections
            .iter()
            .any(|c| c["id"] == connection_id.as_str())
        {
            return Err(no_connection());
        }
        enabled.push(enabled_connection(&connection_id, &options));
    }
    body.retain(|_, v| !v.is_null());
    let id = format!("org_{}", random_hex(8));
    body.insert("id".into(), json!(id));
    let record = Value::Object(body);
    let mut answer = record.clone();
    if requested.is_some() {
        answer["enabled_connections"] = Value::Array(enabled.clone());
    }
    store.organizations.records.push(record);
    store.organizations.connections.insert(id, enabled);
    Ok(json(StatusCode::CREATED, &answer))
}

fn update_organization(
    orgs: &mut Organizations,
    id: &str,
    changes: Map<String, Value>,
) -> Result<Resp, Resp> {
    if let Some(name) = changes.get("name").and_then(Value::as_str) {
        check_name(orgs, name, Some(id))?;
    }
    let Some(record) = orgs.records.iter_mut().find(|r| r["id"] == id) else {
        return Ok(no_organization());
    };
    let Some(fields) = record.as_object_mut() else {
        return Ok(no_organization());
    };
    for (name, value) in changes {
        if value.is_null() {
            // `null` clears a field (the name cannot be cleared).
            if name != "name" {
                fields.remove(&name);
            }
        } else {
            fields.insert(name, value);
        }
    }
    Ok(json(StatusCode::OK, record))
}

fn list_members(
    store: &Store,
    org_id: &str,
    query: &HashMap<String, String>,
) -> Result<Resp, Resp> {
    let paging = paging(query)?;
    let with_roles = query
        .get("fields")
        .is_some_and(|f| f.split(',').any(|n| n.trim() == "roles"))
        && query.get("include_fields").is_none_or(|v| v != "false");
    let items: Vec<Value> = store
        .organizations
        .members
        .get(org_id)
        .into_iter()
        .flatten()
        .filter_map(|user_id| {
            let user = store.user(user_id)?;
            let mut member = json!({
                "user_id": user["user_id"], "email": user["email"],
                "picture": user["picture"], "name": user["name"],
            });
            if with_roles {
                let held = store
                    .organizations
                    .member_roles
                    .get(&(org_id.to_owned(), user_id.clone()))
                    .cloned()
                    .unwrap_or_default();
                member["roles"] = store
                    .roles
                    .iter()
                    .filter(|r| held.iter().any(|h| r["id"] == h.as_str()))
                    .map(|r| json!({ "id": r["id"], "name": r["name"] }))
                    .collect();
            }
            Some(select_fields(&member, query))
        })
        .collect();
    Ok(page_of("members", items, &paging, query, true))
}

/// The strings of a required array property (`members`, `roles`), checked
/// for Auth0's limits.
fn string_list(body: &Map<String, Value>, name: &str, max: usize) -> Result<Vec<String>, Resp> {
    let items: Vec<String> = body
        .get(name)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if items.is_empty() {
        return Err(bad_request(&format!(
            "Payload validation error: 'Array is too short (0), minimum 1' on property {name}."
        )));
    }
    if items.len() > max {
        return Err(bad_request(&format!(
            "Payload validation error: 'Array is too long ({}), maximum {max}' on property {name}.",
            items.len()
        )));
    }
    Ok(items)
}

fn change_members(
    store: &mut Store,
    org_id: &str,
    method: &Method,
    body: &Map<String, Value>,
) -> Result<Resp, Resp> {
    let users = string_list(body, "members", MAX_MEMBERS_PER_REQUEST)?;
    if *method == Method::POST {
        if users.iter().any(|u| store.user(u).is_none()) {
            return Ok(no_user());
        }
        for user in &users {
            store.organizations.add_member(org_id, user);
        }
    } else {
        let orgs = &mut store.organizations;
        if let Some(members) = orgs.members.get_mut(org_id) {
            members.retain(|m| !users.contains(m));
        }
        orgs.member_roles
            .retain(|(org, user), _| org != org_id || !users.contains(user));
    }
    Ok(no_content())
}

fn change_member_roles(
    store: &mut Store,
    org_id: &str,
    user_id: &str,
    method: &Method,
    body: &Map<String, Value>,
) -> Result<Resp, Resp> {
    let roles = string_list(body, "roles", 50)?;
    if !store.organizations.is_member(org_id, user_id) {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            "User is not a member of the organization",
            "invalid_body",
        ));
    }
    if *method == Method::POST {
        if roles
            .iter()
            .any(|r| !store.roles.iter().any(|x| x["id"] == r.as_str()))
        {
            return Err(api_error(
                StatusCode::NOT_FOUND,
                "The role does not exist",
                "inexistent_role",
            ));
        }
        store.organizations.add_roles(org_id, user_id, &roles);
    } else if let Some(held) = store
        .organizations
        .member_roles
        .get_mut(&(org_id.to_owned(), user_id.to_owned()))
    {
        held.retain(|r| !roles.contains(r));
    }
    Ok(no_content())
}

fn no_invitation() -> Resp {
    api_error(
        StatusCode::NOT_FOUND,
        "The invitation does not exist",
        "inexistent_invitation",
    )
}

fn no_connection() -> Resp {
    api_error(
        StatusCode::NOT_FOUND,
        "The connection does not exist",
        "inexistent_connection",
    )
}

fn list_invitations(
    store: &Store,
    org_id: &str,
    query: &HashMap<String, String>,
) -> Result<Resp, Resp> {
    let paging = paging(query)?;
    let now = now_secs();
    let mut items: Vec<Value> = store
        .organizations
        .invitations
        .iter()
        .filter(|i| i.organization_id == org_id && i.expires_at > now)
        .map(|i| select_fields(&i.record, query))
        .collect();
    if query.get("sort").is_some_and(|s| s == "created_at:-1") {
        items.reverse();
    }
    Ok(page_of("invitations", items, &paging, query, false))
}

fn create_invitation(
    store: &mut Store,
    org_id: &str,
    body: Map<String, Value>,
) -> Result<Resp, Resp> {
    let client_id = text_field(&body, "client_id");
    let Some(client) = store.client(&client_id) else {
        return Err(api_error(
            StatusCode::NOT_FOUND,
            "The client does not exist",
            "inexistent_client",
        ));
    };
    let Some(login_uri) = client["initiate_login_uri"].as_str().map(str::to_owned) else {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            "A default login route is required to generate the invitation url. For more information, see https://auth0.com/docs/universal-login/configure-default-login-routes",
            "no_default_login_route",
        ));
    };
    let email = body
        .get("invitee")
        .and_then(|i| i.get("email"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !email.contains('@') {
        return Err(bad_request(
            "Payload validation error: 'Object didn't pass validation for format email' on property invitee.email.",
        ));
    }
    if body
        .get("inviter")
        .and_then(|i| i.get("name"))
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(bad_request(
            "Payload validation error: 'Missing required property: name' on property inviter.",
        ));
    }
    let ttl = body.get("ttl_sec").and_then(Value::as_i64).unwrap_or(0);
    if !(0..=MAX_INVITATION_TTL).contains(&ttl) {
        return Err(bad_request(&format!(
            "Payload validation error: 'Number is out of range (must be between 0 and {MAX_INVITATION_TTL})' on property ttl_sec."
        )));
    }
    if let Some(connection_id) = body.get("connection_id").and_then(Value::as_str) {
        let enabled = store
            .organizations
            .connections
            .get(org_id)
            .is_some_and(|list| list.iter().any(|c| c["connection_id"] == connection_id));
        if !enabled {
            return Err(no_connection());
        }
    }
    for role in body
        .get("roles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if !store.roles.iter().any(|r| r["id"] == *role) {
            return Err(api_error(
                StatusCode::NOT_FOUND,
                "The role does not exist",
                "inexistent_role",
            ));
        }
    }
    let record = store.organizations.invite(org_id, &login_uri, &body);
    // The description answers 200 here, not 201.
    Ok(json(StatusCode::OK, &record))
}

/// An enabled connection as the API shows it, with the connection's
/// `name` and `strategy`.
fn with_connection(store: &Store, enabled: &Value) -> Value {
    let mut shown = enabled.clone();
    if let Some(connection) = store
        .connections
        .iter()
        .find(|c| c["id"] == enabled["connection_id"])
    {
        shown["connection"] = json!({
            "name": connection["name"], "strategy": connection["strategy"],
        });
    }
    shown
}

fn add_connection(
    store: &mut Store,
    org_id: &str,
    body: &Map<String, Value>,
) -> Result<Resp, Resp> {
    let connection_id = text_field(body, "connection_id");
    if !store
        .connections
        .iter()
        .any(|c| c["id"] == connection_id.as_str())
    {
        return Err(no_connection());
    }
    let list = store
        .organizations
        .connections
        .entry(org_id.to_owned())
        .or_default();
    if list
        .iter()
        .any(|c| c["connection_id"] == connection_id.as_str())
    {
        return Err(api_error(
            StatusCode::CONFLICT,
            "The connection is already enabled for this organization",
            "conflict",
        ));
    }
    let enabled = enabled_connection(&connection_id, body);
    list.push(enabled.clone());
    Ok(json(StatusCode::CREATED, &with_connection(store, &enabled)))
}

fn enabled_connection_by_id(
    store: &mut Store,
    org_id: &str,
    connection_id: &str,
    method: &Method,
    changes: Map<String, Value>,
) -> Result<Resp, Resp> {
    let list = store
        .organizations
        .connections
        .entry(org_id.to_owned())
        .or_default();
    let Some(position) = list
        .iter()
        .position(|c| c["connection_id"] == connection_id)
    else {
        return Err(api_error(
            StatusCode::NOT_FOUND,
            "The connection is not enabled for this organization",
            "inexistent_connection",
        ));
    };
    match *method {
        Method::DELETE => {
            list.remove(position);
            Ok(no_content())
        }
        Method::PATCH => {
            for (name, value) in changes {
                if let Value::Bool(flag) = value {
                    list[position][name] = json!(flag);
                }
            }
            let updated = list[position].clone();
            Ok(json(StatusCode::OK, &with_connection(store, &updated)))
        }
        _ => {
            let found = list[position].clone();
            Ok(json(StatusCode::OK, &with_connection(store, &found)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organization_names_follow_auth0s_pattern() {
        for good in ["acme", "a", "acme-corp_2", "0x"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", "Acme", "-acme", "acme-", "a b", &"a".repeat(51)] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
