//! Role-based access control in the Management API: roles' permissions
//! (`/roles/{id}/permissions`) and users (`/roles/{id}/users`), and the
//! same seen from the user (`/users/{id}/roles`, `/users/{id}/permissions`,
//! which also lists the permissions a user holds through roles). The roles
//! themselves are a plain collection of [`crate::management`].

use std::collections::HashMap;

use http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::management::{
    bad_request, checked_body, json_object, no_user, not_implemented, page_of, paging,
    require_scope,
};
use crate::server::{Req, Resp, api_error, no_content};
use crate::tenant::{Shared, Store, lock};

/// Auth0 assigns at most this many users, roles or permissions per request.
const MAX_PER_REQUEST: usize = 1_000;

/// A permission: a scope of an API.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Permission {
    audience: String,
    name: String,
}

/// Who holds which role and which permissions.
#[derive(Debug, Default)]
pub(crate) struct RoleGrants {
    /// Permissions by role id.
    permissions: HashMap<String, Vec<Permission>>,
    /// User ids by role id, in the order they were assigned.
    users: HashMap<String, Vec<String>>,
    /// Permissions given to a user directly, by user id.
    user_permissions: HashMap<String, Vec<Permission>>,
}

impl RoleGrants {
    /// A deleted user holds nothing.
    pub(crate) fn forget_user(&mut self, user_id: &str) {
        for users in self.users.values_mut() {
            users.retain(|u| u != user_id);
        }
        self.user_permissions.remove(user_id);
    }

    /// A deleted role's grants go with it.
    pub(crate) fn forget_role(&mut self, role_id: &str) {
        self.permissions.remove(role_id);
        self.users.remove(role_id);
    }

    /// The ids of the roles `user_id` holds.
    fn roles_of(&self, user_id: &str) -> Vec<&String> {
        self.users
            .iter()
            .filter(|(_, users)| users.iter().any(|u| u == user_id))
            .map(|(role, _)| role)
            .collect()
    }
}

/// Scopes RBAC never takes away: they are about the user, not the API.
const OIDC_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];

/// Auth0's RBAC for a user login to `audience`: the requested scopes are
/// narrowed to the OIDC scopes and the permissions the API defines ("when
/// RBAC is disabled, an application can request any permission defined for
/// the API, and the scope claim includes all requested permissions"); when
/// the API has `enforce_policies`, to those the user holds (directly or
/// through roles). With the `access_token_authz` (or
/// `rfc9068_profile_authz`) token dialect the access token also lists every
/// permission the user holds for the API. Returns the scope to grant and the
/// `permissions` claim, if any.
pub(crate) fn authorize_login(
    store: &Store,
    user_id: &str,
    audience: &str,
    scope: &str,
) -> (String, Option<Vec<String>>) {
    let Some(server) = store
        .resource_servers
        .iter()
        .find(|r| r["identifier"] == audience)
    else {
        return (scope.to_owned(), None);
    };
    if server["enforce_policies"] != true {
        let defined = |s: &str| {
            server["scopes"]
                .as_array()
                .is_some_and(|list| list.iter().any(|d| d["value"] == s))
        };
        let granted: Vec<&str> = scope
            .split(' ')
            .filter(|s| !s.is_empty() && (OIDC_SCOPES.contains(s) || defined(s)))
            .collect();
        return (granted.join(" "), None);
    }
    let mut held: Vec<String> = Vec::new();
    let direct = store
        .rbac
        .user_permissions
        .get(user_id)
        .into_iter()
        .flatten();
    let through_roles = store
        .rbac
        .roles_of(user_id)
        .into_iter()
        .filter_map(|role| store.rbac.permissions.get(role))
        .flatten();
    for permission in direct.chain(through_roles) {
        if permission.audience == audience && !held.contains(&permission.name) {
            held.push(permission.name.clone());
        }
    }
    let granted: Vec<&str> = scope
        .split(' ')
        .filter(|s| !s.is_empty() && (OIDC_SCOPES.contains(s) || held.iter().any(|h| h == s)))
        .collect();
    let listed = matches!(
        server["token_dialect"].as_str(),
        Some("access_token_authz" | "rfc9068_profile_authz")
    );
    (granted.join(" "), listed.then_some(held))
}

/// `/roles/{id}/permissions|users` and `/users/{id}/roles|permissions`;
/// `None` for other paths.
pub(crate) fn route(
    shared: &Shared,
    req: &Req,
    segments: &[&str],
    scopes: &[&str],
) -> Option<Resp> {
    let needed = match (segments, &req.method) {
        (["roles", _, "permissions"], &Method::GET) => "read:roles",
        (["roles", _, "permissions"], &Method::POST | &Method::DELETE) => "update:roles",
        (["roles", _, "users"], &Method::GET) => "read:roles",
        (["roles", _, "users"], &Method::POST) => "create:role_members",
        (["users", _, "roles"], &Method::GET) => "read:users",
        (["users", _, "roles"], &Method::POST) => "create:role_members",
        (["users", _, "roles"], &Method::DELETE) => "delete:role_members",
        (["users", _, "permissions"], &Method::GET) => "read:users",
        (["users", _, "permissions"], &Method::POST | &Method::DELETE) => "update:users",
        (["roles" | "users", _, "permissions" | "users" | "roles"], _) => {
            return Some(not_implemented(req, segments));
        }
        _ => return None,
    };
    Some(dispatch(shared, req, segments, scopes, needed).unwrap_or_else(|refused| refused))
}

fn dispatch(
    shared: &Shared,
    req: &Req,
    segments: &[&str],
    scopes: &[&str],
    needed: &str,
) -> Result<Resp, Resp> {
    require_scope(scopes, needed)?;
    let body = if req.method == Method::GET {
        Map::new()
    } else {
        json_object(checked_body(req, segments)?)?
    };
    let query = req.query_params();
    let paging = paging(&query)?;
    let mut store = lock(&shared.store);
    let store = &mut *store;
    let &[owner, id, what] = segments else {
        return Ok(not_implemented(req, segments));
    };
    if owner == "roles" && !store.roles.iter().any(|r| r["id"] == id) {
        return Err(no_role());
    }
    if owner == "users" && store.user(id).is_none() {
        return Err(no_user());
    }
    Ok(match (owner, what, &req.method) {
        (_, "permissions", &Method::GET) => {
            let items = if owner == "roles" {
                let held = store.rbac.permissions.get(id).cloned().unwrap_or_default();
                held.iter().map(|p| shown(store, p, None)).collect()
            } else {
                user_permissions(store, id)
            };
            page_of("permissions", items, &paging, &query, false)
        }
        (_, "permissions", method) => {
            let wanted = permissions(store, &body)?;
            let held = if owner == "roles" {
                store.rbac.permissions.entry(id.to_owned()).or_default()
            } else {
                store
                    .rbac
                    .user_permissions
                    .entry(id.to_owned())
                    .or_default()
            };
            if *method == Method::POST {
                for permission in wanted {
                    if !held.contains(&permission) {
                        held.push(permission);
                    }
                }
            } else {
                held.retain(|p| !wanted.contains(p));
            }
            no_content()
        }
        ("roles", "users", &Method::GET) => {
            let items: Vec<Value> = store
                .rbac
                .users
                .get(id)
                .into_iter()
                .flatten()
                .filter_map(|user_id| store.user(user_id))
                .map(|u| {
                    json!({ "user_id": u["user_id"], "email": u["email"],
                            "picture": u["picture"], "name": u["name"] })
                })
                .collect();
            page_of("users", items, &paging, &query, true)
        }
        ("roles", "users", _) => {
            let users = ids(&body, "users")?;
            if users.iter().any(|u| store.user(u).is_none()) {
                return Err(no_user());
            }
            let held = store.rbac.users.entry(id.to_owned()).or_default();
            for user in users {
                if !held.contains(&user) {
                    held.push(user);
                }
            }
            no_content()
        }
        ("users", "roles", &Method::GET) => {
            let held = store.rbac.roles_of(id);
            let items: Vec<Value> = store
                .roles
                .iter()
                .filter(|r| held.iter().any(|h| r["id"] == h.as_str()))
                .cloned()
                .collect();
            page_of("roles", items, &paging, &query, false)
        }
        ("users", "roles", method) => {
            let roles = ids(&body, "roles")?;
            if roles
                .iter()
                .any(|r| !store.roles.iter().any(|x| x["id"] == r.as_str()))
            {
                return Err(no_role());
            }
            for role in roles {
                let users = store.rbac.users.entry(role).or_default();
                users.retain(|u| u != id);
                if *method == Method::POST {
                    users.push(id.to_owned());
                }
            }
            no_content()
        }
        _ => not_implemented(req, segments),
    })
}

fn no_role() -> Resp {
    api_error(
        StatusCode::NOT_FOUND,
        "The role does not exist",
        "inexistent_role",
    )
}

/// A required array of ids (`users`, `roles`) of 1 to 1,000 strings.
fn ids(body: &Map<String, Value>, name: &str) -> Result<Vec<String>, Resp> {
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
    if items.is_empty() || items.len() > MAX_PER_REQUEST {
        return Err(bad_request(&format!(
            "Payload validation error: 'Array must have between 1 and {MAX_PER_REQUEST} items' on property {name}."
        )));
    }
    Ok(items)
}

/// The `permissions` of a body, each a scope an API defines.
fn permissions(store: &Store, body: &Map<String, Value>) -> Result<Vec<Permission>, Resp> {
    let items = body
        .get("permissions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if items.is_empty() || items.len() > MAX_PER_REQUEST {
        return Err(bad_request(&format!(
            "Payload validation error: 'Array must have between 1 and {MAX_PER_REQUEST} items' on property permissions."
        )));
    }
    let mut out = Vec::new();
    for item in items {
        let field = |name: &str| item[name].as_str().unwrap_or_default().to_owned();
        let (audience, name) = (
            field("resource_server_identifier"),
            field("permission_name"),
        );
        if audience.is_empty() || name.is_empty() {
            return Err(bad_request(
                "Payload validation error: 'Missing required property: resource_server_identifier, permission_name' on property permissions.",
            ));
        }
        let Some(server) = store
            .resource_servers
            .iter()
            .find(|r| r["identifier"] == audience.as_str())
        else {
            return Err(api_error(
                StatusCode::NOT_FOUND,
                &format!("Resource server not found: {audience}"),
                "inexistent_resource_server",
            ));
        };
        let defined = server["scopes"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["value"] == name.as_str()));
        if !defined {
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                &format!("Permission {name} does not exist for resource server {audience}"),
                "invalid_body",
            ));
        }
        out.push(Permission { audience, name });
    }
    Ok(out)
}

/// A permission as the API lists it; `sources` for a user's list.
fn shown(store: &Store, permission: &Permission, sources: Option<Vec<Value>>) -> Value {
    let server = store
        .resource_servers
        .iter()
        .find(|r| r["identifier"] == permission.audience.as_str());
    let description = server
        .and_then(|s| s["scopes"].as_array())
        .and_then(|scopes| {
            scopes
                .iter()
                .find(|s| s["value"] == permission.name.as_str())
        })
        .map_or(Value::Null, |s| s["description"].clone());
    let mut record = json!({
        "resource_server_identifier": permission.audience,
        "permission_name": permission.name,
        "resource_server_name": server.map_or(Value::Null, |s| s["name"].clone()),
        "description": description,
    });
    if let Some(sources) = sources {
        record["sources"] = Value::Array(sources);
    }
    record
}

/// A user's permissions, direct and through roles, each once with its
/// `sources`.
fn user_permissions(store: &Store, user_id: &str) -> Vec<Value> {
    let mut held: Vec<(Permission, Vec<Value>)> = Vec::new();
    let mut add = |permission: &Permission, source: Value| match held
        .iter_mut()
        .find(|(p, _)| p == permission)
    {
        Some((_, sources)) => sources.push(source),
        None => held.push((permission.clone(), vec![source])),
    };
    for permission in store
        .rbac
        .user_permissions
        .get(user_id)
        .into_iter()
        .flatten()
    {
        add(
            permission,
            json!({ "source_id": "", "source_name": "", "source_type": "DIRECT" }),
        );
    }
    let held_roles = store.rbac.roles_of(user_id);
    // In the order the roles were made, not the map's.
    for role in store
        .roles
        .iter()
        .filter(|r| held_roles.iter().any(|h| r["id"] == h.as_str()))
    {
        let role_id = role["id"].as_str().unwrap_or_default();
        let name = role["name"].clone();
        for permission in store.rbac.permissions.get(role_id).into_iter().flatten() {
            add(
                permission,
                json!({ "source_id": role_id, "source_name": name, "source_type": "ROLE" }),
            );
        }
    }
    held.into_iter()
        .map(|(permission, sources)| shown(store, &permission, Some(sources)))
        .collect()
}
