// node-auth0's ManagementClient and AuthenticationClient (unmodified)
// against the auth0-local binary over HTTPS. Run by `cargo xtask test`: AUTH0_LOCAL_STATE names the
// tenant.json the binary wrote; NODE_EXTRA_CA_CERTS names its CA certificate.
'use strict';

const fs = require('fs');
const crypto = require('crypto');
const { AuthenticationClient, ManagementClient, UserInfoClient } = require('auth0');

const state = JSON.parse(fs.readFileSync(process.env.AUTH0_LOCAL_STATE, 'utf8'));
let checks = 0;

// One request to the tenant's control API (the out-of-band steps).
async function control(method, path) {
  return fetch(state.control.url + path, {
    method,
    headers: { authorization: `Bearer ${state.control.token}` },
  });
}
function check(condition, what) {
  if (!condition) {
    console.error(`FAILED: ${what}`);
    process.exit(1);
  }
  checks += 1;
}

async function main() {
  const management = new ManagementClient({
    domain: state.domain,
    clientId: state.applications.machine.client_id,
    clientSecret: state.applications.machine.client_secret,
  });

  // connections: getAll / get / update
  const { data: connections } = await management.connections.getAll();
  check(Array.isArray(connections) && connections.length > 0, 'connections.getAll');
  const database = connections.find((c) => c.name === state.database_connection);
  check(database, 'the database connection is listed');
  const { data: conn } = await management.connections.get({ id: database.id });
  check(conn.strategy === 'auth0', 'connections.get');
  const { data: updated } = await management.connections.update(
    { id: conn.id },
    { options: { brute_force_protection: true, from_node: true } },
  );
  check(updated.options.from_node === true, 'connections.update');
  try {
    await management.connections.get({ id: 'con_doesnotexist0' });
    check(false, 'unknown connection is a 404');
  } catch (e) {
    check(e.statusCode === 404, 'unknown connection 404');
  }

  // users: create / get / update / delete
  const email = `node-${crypto.randomBytes(4).toString('hex')}@example.com`;
  const { data: user } = await management.users.create({
    email,
    password: 'Sup3r-secret-passphrase',
    connection: state.database_connection,
  });
  check(user.email === email && user.user_id.startsWith('auth0|'), 'users.create');
  const { data: got } = await management.users.get({ id: user.user_id });
  check(got.email === email, 'users.get');
  const { data: changed } = await management.users.update(
    { id: user.user_id },
    { app_metadata: { roles: ['tester'] } },
  );
  check(changed.app_metadata.roles[0] === 'tester', 'users.update');
  const { data: byEmail } = await management.users.getAll({ q: `email:"${email}"` });
  check(byEmail.length === 1, 'users.getAll with q');
  await management.users.delete({ id: user.user_id });
  try {
    await management.users.get({ id: user.user_id });
    check(false, 'a deleted user is gone');
  } catch (e) {
    check(e.statusCode === 404, 'deleted user 404');
  }

  // The Authentication API. node-auth0 validates every ID token a grant
  // returns (signature from the JWKS, iss, aud, exp, iat) before it answers.
  const web = state.applications.web;
  const auth = new AuthenticationClient({
    domain: state.domain,
    clientId: web.client_id,
    clientSecret: web.client_secret,
  });
  const signupEmail = `node-signup-${crypto.randomBytes(4).toString('hex')}@example.com`;
  const { data: signedUp } = await auth.database.signUp({
    email: signupEmail,
    password: 'Sup3r-secret-passphrase',
    connection: state.database_connection,
  });
  check(signedUp.email === signupEmail, 'database.signUp');
  const { data: login } = await auth.oauth.passwordGrant({
    username: signupEmail,
    password: 'Sup3r-secret-passphrase',
    realm: state.database_connection,
    scope: 'openid profile email offline_access',
  });
  check(login.id_token && login.refresh_token, 'passwordGrant (ID token validated by the SDK)');
  const { data: refreshed } = await auth.oauth.refreshTokenGrant({
    refresh_token: login.refresh_token,
  });
  check(refreshed.access_token && refreshed.token_type === 'Bearer', 'refreshTokenGrant');
  const { data: info } = await new UserInfoClient({ domain: state.domain }).getUserInfo(
    login.access_token,
  );
  check(info.email === signupEmail, 'UserInfoClient.getUserInfo');
  await auth.oauth.revokeRefreshToken({ token: login.refresh_token });
  try {
    await auth.oauth.refreshTokenGrant({ refresh_token: login.refresh_token });
    check(false, 'a revoked refresh token is refused');
  } catch (e) {
    check(e.statusCode === 403 && e.error === 'invalid_grant', 'revoked refresh token 403');
  }
  try {
    await auth.oauth.passwordGrant({
      username: signupEmail,
      password: 'wrong-passphrase',
      realm: state.database_connection,
    });
    check(false, 'a wrong password is refused');
  } catch (e) {
    check(e.statusCode === 403 && e.error === 'invalid_grant', 'wrong password 403');
  }
  const { data: par } = await auth.oauth.pushedAuthorization({
    client_id: web.client_id,
    response_type: 'code',
    redirect_uri: 'https://localhost/callback',
  });
  check(par.request_uri.startsWith('urn:ietf:params:oauth:request_uri:'), 'pushedAuthorization');
  const { auth_req_id: authReqId } = await auth.backchannel.authorize({
    userId: state.user.user_id,
    binding_message: 'Approve 42',
    scope: 'openid',
  });
  check(authReqId, 'backchannel.authorize');
  try {
    await auth.backchannel.backchannelGrant({ auth_req_id: authReqId });
    check(false, 'an unapproved CIBA request is pending');
  } catch (e) {
    check(e.error === 'authorization_pending', 'CIBA authorization_pending');
  }
  // Approved on the user's "phone" (the control API): the next request's
  // poll gets the tokens, their ID token validated by the SDK.
  const { auth_req_id: approvedId } = await auth.backchannel.authorize({
    userId: state.user.user_id,
    binding_message: 'Approve 43',
    scope: 'openid',
  });
  const approval = await control('POST', `back-channel-logins/${approvedId}/approve`);
  check(approval.status === 204, 'control API: CIBA approval');
  const cibaTokens = await auth.backchannel.backchannelGrant({ auth_req_id: approvedId });
  check(cibaTokens.id_token, 'backchannelGrant after approval');

  // Passwordless by email, the code read from the control API.
  const otpEmail = `node-otp-${crypto.randomBytes(4).toString('hex')}@example.com`;
  await auth.passwordless.sendEmail({ email: otpEmail, send: 'code' });
  const sent = await control('GET', `passwordless-codes/${encodeURIComponent(otpEmail)}`);
  check(sent.status === 200, 'control API: passwordless code');
  const { code } = await sent.json();
  const { data: otpLogin } = await auth.passwordless.loginWithEmail({
    email: otpEmail,
    code,
    scope: 'openid email',
  });
  check(otpLogin.id_token, 'passwordless.loginWithEmail (ID token validated by the SDK)');
  const refused = await fetch(`${state.control.url}passwordless-codes/x`);
  check(refused.status === 401, 'control API without its token');
  const { data: changedPassword } = await auth.database.changePassword({
    email: signupEmail,
    connection: state.database_connection,
  });
  check(String(changedPassword).toLowerCase().includes('email'), 'database.changePassword');

  // Roles, resource servers, clients, client grants.
  const { data: byEmailSignup } = await management.usersByEmail.getByEmail({ email: signupEmail });
  check(byEmailSignup.length === 1, 'usersByEmail.getByEmail');
  const signupId = byEmailSignup[0].user_id;
  const suffix = crypto.randomBytes(3).toString('hex');
  const { data: api } = await management.resourceServers.create({
    name: 'Node API',
    identifier: `https://node-${suffix}.test/`,
    scopes: [{ value: 'read:node', description: 'Read' }],
  });
  check(api.identifier === `https://node-${suffix}.test/`, 'resourceServers.create');
  const { data: role } = await management.roles.create({ name: `node-role-${suffix}` });
  check(role.id.startsWith('rol_'), 'roles.create');
  await management.roles.addPermissions(
    { id: role.id },
    { permissions: [{ permission_name: 'read:node', resource_server_identifier: api.identifier }] },
  );
  const { data: rolePermissions } = await management.roles.getPermissions({ id: role.id });
  check(rolePermissions.length === 1 && rolePermissions[0].permission_name === 'read:node',
    'roles.getPermissions');
  await management.roles.assignUsers({ id: role.id }, { users: [signupId] });
  const { data: roleUsers } = await management.roles.getUsers({ id: role.id });
  check(roleUsers.length === 1 && roleUsers[0].user_id === signupId, 'roles.getUsers');
  const { data: userRoles } = await management.users.getRoles({ id: signupId });
  check(userRoles.length === 1 && userRoles[0].id === role.id, 'users.getRoles');
  const { data: userPermissions } = await management.users.getPermissions({ id: signupId });
  check(userPermissions.length === 1 && userPermissions[0].permission_name === 'read:node',
    'users.getPermissions');
  const { data: pagedRoles } = await management.roles.getAll({ include_totals: true, per_page: 1 });
  check(pagedRoles.roles.length === 1 && pagedRoles.total >= 1, 'roles.getAll include_totals');
  await management.roles.delete({ id: role.id });
  const { data: client } = await management.clients.create({
    name: 'Node Client',
    app_type: 'non_interactive',
  });
  check(client.client_id && client.client_secret, 'clients.create');
  const { data: grant } = await management.clientGrants.create({
    client_id: client.client_id,
    audience: api.identifier,
    scope: ['read:node'],
  });
  const { data: grants } = await management.clientGrants.getAll({ audience: api.identifier });
  check(grants.length === 1 && grants[0].id === grant.id, 'clientGrants.getAll audience');
  const machine = new AuthenticationClient({
    domain: state.domain,
    clientId: client.client_id,
    clientSecret: client.client_secret,
  });
  const { data: machineToken } = await machine.oauth.clientCredentialsGrant({
    audience: api.identifier,
  });
  check(machineToken.scope === 'read:node', 'clientCredentialsGrant with a created grant');
  await management.clientGrants.delete({ id: grant.id });
  await management.clients.delete({ client_id: client.client_id });
  await management.resourceServers.delete({ id: api.id });

  // Organizations: members, invitations; then logs and a users export.
  const { data: org } = await management.organizations.create({
    name: `node-org-${suffix}`,
    display_name: 'Node Org',
  });
  check(org.id.startsWith('org_'), 'organizations.create');
  const { data: byName } = await management.organizations.getByName({ name: org.name });
  check(byName.id === org.id, 'organizations.getByName');
  await management.organizations.addMembers({ id: org.id }, { members: [signupId] });
  const { data: members } = await management.organizations.getMembers({ id: org.id });
  check(members.length === 1 && members[0].user_id === signupId, 'organizations.getMembers');
  const { data: invitation } = await management.organizations.createInvitation(
    { id: org.id },
    { inviter: { name: 'Node' }, invitee: { email: 'invitee@example.com' }, client_id: web.client_id },
  );
  check(invitation.invitation_url.includes('invitation='), 'organizations.createInvitation');
  await management.organizations.deleteInvitation({ id: org.id, invitation_id: invitation.id });
  await management.organizations.delete({ id: org.id });
  const { data: logs } = await management.logs.getAll({ q: 'type:seccft', per_page: 5 });
  check(logs.length > 0 && logs.every((entry) => entry.type === 'seccft'), 'logs.getAll q');
  const { data: logEntry } = await management.logs.get({ id: logs[0].log_id });
  check(logEntry.log_id === logs[0].log_id, 'logs.get');
  const { data: job } = await management.jobs.exportUsers({
    connection_id: database.id,
    format: 'csv',
    fields: [{ name: 'email' }],
  });
  check(job.type === 'users_export' && job.status === 'pending', 'jobs.exportUsers');
  const { data: jobAgain } = await management.jobs.get({ id: job.id });
  check(jobAgain.id === job.id, 'jobs.get');
  await management.users.delete({ id: signupId });
  console.log(`node-auth0 conformance: ${checks} passed, 0 failed`);
}

main().catch((e) => {
  console.error('FAILED:', e);
  process.exit(1);
});
