"""auth0-python (unmodified) against the auth0-local binary over HTTPS.

Run by `cargo xtask test`: AUTH0_LOCAL_STATE names the tenant.json the binary
wrote; REQUESTS_CA_BUNDLE names its CA certificate.
"""

import json
import os
import sys
import urllib.parse
import uuid

import requests

from auth0.authentication import (
    Database,
    GetToken,
    Passwordless,
    RevokeToken,
    Users,
)
from auth0.authentication.back_channel_login import BackChannelLogin
from auth0.authentication.pushed_authorization_requests import PushedAuthorizationRequests
from auth0.authentication.token_verifier import (
    AsymmetricSignatureVerifier,
    TokenVerifier,
)
from auth0.exceptions import Auth0Error
from auth0.management import Auth0

with open(os.environ["AUTH0_LOCAL_STATE"], encoding="utf-8") as f:
    state = json.load(f)
domain = state["domain"]
issuer = state["issuer"]
machine = state["applications"]["machine"]
web = state["applications"]["web"]
checks = 0
control = state["control"]


def control_call(method, path):
    """One request to the tenant's control API (the out-of-band steps)."""
    return requests.request(
        method,
        control["url"] + path,
        headers={"Authorization": f"Bearer {control['token']}"},
        timeout=10,
    )


def check(condition, what):
    global checks
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    checks += 1


def refused(call, what):
    """The Auth0Error `call` must raise; a failed check `what` if it returns."""
    try:
        call()
    except Auth0Error as e:
        return e
    check(False, what)


# Client credentials (GetToken) for the Management API.
token = GetToken(domain, machine["client_id"], client_secret=machine["client_secret"])
grant = token.client_credentials(f"https://{domain}/api/v2/")
check(grant["token_type"] == "Bearer", "client_credentials token_type")
check(grant["expires_in"] > 0, "client_credentials expires_in")

# A wrong secret is refused with Auth0's error.
e = refused(lambda: (
    GetToken(domain, machine["client_id"], client_secret="wrong").client_credentials(
        f"https://{domain}/api/v2/"
    )
), "a wrong secret is refused")
check(e.status_code == 401 and e.error_code == "access_denied", "wrong secret error")

auth0 = Auth0(domain, grant["access_token"])

# connections.all / get / update
connections = auth0.connections.all()
check(isinstance(connections, list) and connections, "connections.all is a list")
database = [c for c in connections if c["name"] == state["database_connection"]]
check(len(database) == 1, "the database connection is listed")
only_auth0 = auth0.connections.all(strategy="auth0", fields=["id", "name"])
check(all(set(c) == {"id", "name"} for c in only_auth0), "fields filter")
conn = auth0.connections.get(database[0]["id"])
check(conn["strategy"] == "auth0", "connections.get")
updated = auth0.connections.update(
    conn["id"], {"options": {"brute_force_protection": False, "mfa": {"active": True}}}
)
check(updated["options"]["brute_force_protection"] is False, "connections.update")
check(
    auth0.connections.get(conn["id"])["options"]["mfa"]["active"] is True,
    "connections.update persisted",
)
e = refused(lambda: auth0.connections.get("con_doesnotexist0"), "unknown connection is a 404")
check(e.status_code == 404, "unknown connection 404")

# users create / get / update / delete
email = f"py-{uuid.uuid4().hex[:8]}@example.com"
user = auth0.users.create(
    {
        "email": email,
        "password": "Sup3r-secret-passphrase",
        "connection": state["database_connection"],
        "user_metadata": {"plan": "free"},
    }
)
check(user["email"] == email and user["user_id"].startswith("auth0|"), "users.create")
e = refused(lambda: (
    auth0.users.create(
        {"email": email, "password": "Sup3r-secret-passphrase",
         "connection": state["database_connection"]}
    )
), "a duplicate user is a 409")
check(e.status_code == 409, "duplicate user 409")
got = auth0.users.get(user["user_id"])
check(got["email"] == email, "users.get")
changed = auth0.users.update(
    user["user_id"], {"user_metadata": {"theme": "dark"}, "name": "Py Thon"}
)
check(changed["name"] == "Py Thon", "users.update name")
check(changed["user_metadata"] == {"plan": "free", "theme": "dark"}, "metadata merged")
found = auth0.users.list(q=f'email:"{email}"', search_engine="v3")
check(found["total"] == 1 and found["users"][0]["user_id"] == user["user_id"], "users.list q")
auth0.users.delete(user["user_id"])
e = refused(lambda: auth0.users.get(user["user_id"]), "a deleted user is gone")
check(e.status_code == 404, "deleted user 404")

# TokenVerifier on an ID token from a password login.
login = GetToken(domain, web["client_id"], client_secret=web["client_secret"]).login(
    username=state["user"]["email"],
    password=state["user"]["password"],
    scope="openid profile email",
    realm=state["database_connection"],
)
check("id_token" in login, "password login returns an id_token")
verifier = TokenVerifier(
    signature_verifier=AsymmetricSignatureVerifier(f"{issuer}.well-known/jwks.json"),
    issuer=issuer,
    audience=web["client_id"],
)
payload = verifier.verify(login["id_token"])
check(payload["sub"] == state["user"]["user_id"], "TokenVerifier sub")
check(payload["email"] == state["user"]["email"], "TokenVerifier email")
try:
    TokenVerifier(
        signature_verifier=AsymmetricSignatureVerifier(f"{issuer}.well-known/jwks.json"),
        issuer=issuer,
        audience="another-client",
    ).verify(login["id_token"])
    check(False, "TokenVerifier refuses another audience")
except Exception as e:  # auth0-python raises TokenValidationError
    check("aud" in str(e).lower() or "audience" in str(e).lower(), "audience refused")


# Database signup and change_password (Authentication API).
database_api = Database(domain, web["client_id"])
signup_email = f"signup-{uuid.uuid4().hex[:8]}@example.com"
signed_up = database_api.signup(
    email=signup_email,
    password="Sup3r-secret-passphrase",
    connection=state["database_connection"],
    name="Sign Up",
)
check(signed_up["email"] == signup_email, "Database.signup email")
check(signed_up["email_verified"] is False, "Database.signup email_verified")
e = refused(lambda: (
    database_api.signup(
        email=signup_email,
        password="Sup3r-secret-passphrase",
        connection=state["database_connection"],
    )
), "a second signup with the same email is refused")
check(e.status_code == 400, "duplicate signup 400")
changed_text = database_api.change_password(
    email=signup_email, connection=state["database_connection"]
)
check("email" in str(changed_text).lower(), "Database.change_password")

# Refresh tokens: a login with offline_access, the refresh grant, revocation.
web_token = GetToken(domain, web["client_id"], client_secret=web["client_secret"])
offline = web_token.login(
    username=signup_email,
    password="Sup3r-secret-passphrase",
    scope="openid profile email offline_access",
    realm=state["database_connection"],
)
check("refresh_token" in offline, "offline_access returns a refresh_token")
refreshed = web_token.refresh_token(offline["refresh_token"])
check(refreshed["access_token"] and refreshed["token_type"] == "Bearer", "refresh_token grant")
info = Users(domain).userinfo(offline["access_token"])
check(info["email"] == signup_email, "userinfo email")
RevokeToken(domain, web["client_id"], client_secret=web["client_secret"]).revoke_refresh_token(
    offline["refresh_token"]
)
e = refused(
    lambda: web_token.refresh_token(offline["refresh_token"]),
    "a revoked refresh token is refused",
)
check(e.status_code in (400, 403) and e.error_code == "invalid_grant", "revoked refresh token")

# Pushed authorization requests (RFC 9126) and CIBA's first steps.
par = PushedAuthorizationRequests(
    domain, web["client_id"], client_secret=web["client_secret"]
).pushed_authorization_request(
    response_type="code", redirect_uri="https://localhost/callback", scope="openid"
)
check(par["request_uri"].startswith("urn:ietf:params:oauth:request_uri:"), "PAR request_uri")
check(par["expires_in"] > 0, "PAR expires_in")


def start_back_channel_login(message):
    """A CIBA request for the tenant's user, from the web application."""
    return BackChannelLogin(
        domain, web["client_id"], client_secret=web["client_secret"]
    ).back_channel_login(
        binding_message=message,
        login_hint=json.dumps(
            {"format": "iss_sub", "iss": issuer, "sub": state["user"]["user_id"]}
        ),
        scope="openid",
    )


ciba = start_back_channel_login("Approve 42")
check(ciba["auth_req_id"] and ciba["interval"] > 0, "back_channel_login")
e = refused(
    lambda: web_token.backchannel_login(ciba["auth_req_id"]),
    "an unapproved CIBA request is pending",
)
check(e.error_code == "authorization_pending", "CIBA authorization_pending")
# Approved on the user's "phone" (the control API), the next request's poll
# gets the tokens.
ciba = start_back_channel_login("Approve 43")
approved = control_call("POST", f"back-channel-logins/{ciba['auth_req_id']}/approve")
check(approved.status_code == 204, "control API: CIBA approval")
ciba_tokens = web_token.backchannel_login(ciba["auth_req_id"])
check("id_token" in ciba_tokens, "CIBA grant after approval")

# Passwordless by email: the code read from the control API.
otp_email = f"otp-{uuid.uuid4().hex[:8]}@example.com"
Passwordless(domain, web["client_id"], client_secret=web["client_secret"]).email(
    email=otp_email, send="code"
)
unauthorized = requests.get(
    control["url"] + "passwordless-codes/" + urllib.parse.quote(otp_email), timeout=10
)
check(unauthorized.status_code == 401, "control API without its token")
sent = control_call("GET", "passwordless-codes/" + urllib.parse.quote(otp_email))
check(sent.status_code == 200, "control API: passwordless code")
otp_login = web_token.passwordless_login(
    username=otp_email, otp=sent.json()["code"], realm="email", scope="openid email",
    audience=None,
)
check("id_token" in otp_login, "passwordless_login with the code")

# Roles and their permissions and users.
api = state["api_audience"]
signup_user = auth0.users_by_email.search_users_by_email(signup_email)
check(len(signup_user) == 1, "users_by_email")
signup_id = signup_user[0]["user_id"]
role = auth0.roles.create(
    {"name": f"py-role-{uuid.uuid4().hex[:6]}", "description": "from Python"}
)
check(role["id"].startswith("rol_"), "roles.create")
check(auth0.roles.get(role["id"])["description"] == "from Python", "roles.get")
check(auth0.roles.update(role["id"], {"description": "changed"})["description"] == "changed",
      "roles.update")
listed = auth0.roles.list(name_filter=role["name"])
check(any(r["id"] == role["id"] for r in listed["roles"]), "roles.list name_filter")
resource_server = auth0.resource_servers.create(
    {"name": "Py API", "identifier": f"https://py-{uuid.uuid4().hex[:6]}.test/",
     "scopes": [{"value": "read:py", "description": "Read"}]}
)
check(resource_server["identifier"].startswith("https://py-"), "resource_servers.create")
auth0.roles.add_permissions(
    role["id"],
    [{"permission_name": "read:py", "resource_server_identifier": resource_server["identifier"]}],
)
permissions = auth0.roles.list_permissions(role["id"])
check([p["permission_name"] for p in permissions["permissions"]] == ["read:py"],
      "roles.list_permissions")
auth0.roles.add_users(role["id"], [signup_id])
role_users = auth0.roles.list_users(role["id"])
check([u["user_id"] for u in role_users["users"]] == [signup_id], "roles.list_users")
user_roles = auth0.users.list_roles(signup_id)
check([r["id"] for r in user_roles["roles"]] == [role["id"]], "users.list_roles")
user_permissions = auth0.users.list_permissions(signup_id)
check([p["permission_name"] for p in user_permissions["permissions"]] == ["read:py"],
      "users.list_permissions")
auth0.roles.delete(role["id"])
check(auth0.users.list_roles(signup_id)["roles"] == [], "a deleted role leaves its users")

# Resource servers, clients and client grants.
rs = auth0.resource_servers.get(resource_server["id"])
check(rs["scopes"][0]["value"] == "read:py", "resource_servers.get")
check(auth0.resource_servers.update(rs["id"], {"name": "Py API 2"})["name"] == "Py API 2",
      "resource_servers.update")
client = auth0.clients.create({"name": "Py Client", "app_type": "non_interactive"})
check(client["client_id"] and client["client_secret"], "clients.create")
check(auth0.clients.get(client["client_id"])["name"] == "Py Client", "clients.get")
check(auth0.clients.update(client["client_id"], {"name": "Py Client 2"})["name"] == "Py Client 2",
      "clients.update")
grant_record = auth0.client_grants.create(
    {"client_id": client["client_id"], "audience": rs["identifier"], "scope": ["read:py"]}
)
check(grant_record["scope"] == ["read:py"], "client_grants.create")
grants = auth0.client_grants.all(audience=rs["identifier"])
check([g["id"] for g in grants] == [grant_record["id"]], "client_grants.all audience")
new_client_token = GetToken(
    domain, client["client_id"], client_secret=client["client_secret"]
).client_credentials(rs["identifier"])
check(new_client_token["scope"] == "read:py", "a created client's grant is usable")
auth0.client_grants.delete(grant_record["id"])
auth0.clients.delete(client["client_id"])
e = refused(lambda: auth0.clients.get(client["client_id"]), "a deleted client is gone")
check(e.status_code == 404, "deleted client 404")
auth0.resource_servers.delete(rs["id"])

# Organizations: members, their roles, invitations.
org = auth0.organizations.create_organization(
    {"name": f"py-org-{uuid.uuid4().hex[:6]}", "display_name": "Py Org"}
)
check(org["id"].startswith("org_"), "organizations.create_organization")
check(auth0.organizations.get_organization_by_name(org["name"])["id"] == org["id"],
      "organizations.get_organization_by_name")
check(auth0.organizations.update_organization(org["id"], {"display_name": "Py Org 2"})[
    "display_name"] == "Py Org 2", "organizations.update_organization")
auth0.organizations.create_organization_members(org["id"], {"members": [signup_id]})
members = auth0.organizations.all_organization_members(org["id"])
check([m["user_id"] for m in members["members"]] == [signup_id],
      "organizations.all_organization_members")
invitation = auth0.organizations.create_organization_invitation(
    org["id"],
    {"inviter": {"name": "Py"}, "invitee": {"email": "invitee@example.com"},
     "client_id": web["client_id"]},
)
check("invitation=" in invitation["invitation_url"], "create_organization_invitation")
check(auth0.organizations.get_organization_invitation(org["id"], invitation["id"])["id"]
      == invitation["id"], "get_organization_invitation")
auth0.organizations.delete_organization_invitation(org["id"], invitation["id"])
auth0.organizations.delete_organization_members(org["id"], {"members": [signup_id]})
auth0.organizations.delete_organization(org["id"])
e = refused(
    lambda: auth0.organizations.get_organization(org["id"]),
    "a deleted organization is gone",
)
check(e.status_code == 404, "deleted organization 404")

# Logs and jobs.
found_logs = auth0.logs.search(q="type:seccft", per_page=5)
logs = found_logs["logs"]
check(logs and all(entry["type"] == "seccft" for entry in logs), "logs.search q")
check(found_logs["total"] >= len(logs), "logs.search include_totals")
check(auth0.logs.get(logs[0]["log_id"])["log_id"] == logs[0]["log_id"], "logs.get")
job = auth0.jobs.export_users({"connection_id": database[0]["id"], "format": "json"})
check(job["type"] == "users_export" and job["status"] == "pending", "jobs.export_users")
check(auth0.jobs.get(job["id"])["id"] == job["id"], "jobs.get")
auth0.users.delete(signup_id)

print(f"auth0-python conformance: {checks} passed, 0 failed")
