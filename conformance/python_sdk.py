"""auth0-python (unmodified) against the auth0-local binary over HTTPS.

Run by `cargo xtask test`: AUTH0_LOCAL_STATE names the tenant.json the binary
wrote; REQUESTS_CA_BUNDLE names its CA certificate.
"""

import json
import os
import sys
import uuid

from auth0.authentication import GetToken
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


def check(condition, what):
    global checks
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    checks += 1


# Client credentials (GetToken) for the Management API.
token = GetToken(domain, machine["client_id"], client_secret=machine["client_secret"])
grant = token.client_credentials(f"https://{domain}/api/v2/")
check(grant["token_type"] == "Bearer", "client_credentials token_type")
check(grant["expires_in"] > 0, "client_credentials expires_in")

# A wrong secret is refused with Auth0's error.
try:
    GetToken(domain, machine["client_id"], client_secret="wrong").client_credentials(
        f"https://{domain}/api/v2/"
    )
    check(False, "a wrong secret is refused")
except Auth0Error as e:
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
try:
    auth0.connections.get("con_doesnotexist0")
    check(False, "unknown connection is a 404")
except Auth0Error as e:
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
try:
    auth0.users.create(
        {"email": email, "password": "Sup3r-secret-passphrase",
         "connection": state["database_connection"]}
    )
    check(False, "a duplicate user is a 409")
except Auth0Error as e:
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
try:
    auth0.users.get(user["user_id"])
    check(False, "a deleted user is gone")
except Auth0Error as e:
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

print(f"auth0-python conformance: {checks} passed, 0 failed")
