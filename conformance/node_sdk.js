// node-auth0's ManagementClient (unmodified) against the auth0-local binary
// over HTTPS. Run by `cargo xtask test`: AUTH0_LOCAL_STATE names the
// tenant.json the binary wrote; NODE_EXTRA_CA_CERTS names its CA certificate.
'use strict';

const fs = require('fs');
const crypto = require('crypto');
const { ManagementClient } = require('auth0');

const state = JSON.parse(fs.readFileSync(process.env.AUTH0_LOCAL_STATE, 'utf8'));
let checks = 0;
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
  console.log(`node-auth0 conformance: ${checks} passed, 0 failed`);
}

main().catch((e) => {
  console.error('FAILED:', e);
  process.exit(1);
});
