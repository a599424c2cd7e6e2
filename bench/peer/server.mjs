// The benchmark's peer: node-oidc-provider configured for the same work as Lanyard's token endpoint.
//
//   node server.mjs            (configured by environment; bench/run.sh starts it)
//
//   PEER_PORT            HTTP port on 127.0.0.1 (required)
//   PEER_STORE           postgres | sqlite | memory (default memory)
//   PEER_PG              PostgreSQL connection string (postgres store)
//   PEER_SQLITE          SQLite file (sqlite store)
//   PEER_WORKERS         worker processes sharing the port (default: number of CPUs; 1 for memory)
//   PEER_ITERATIONS      PBKDF2-SHA256 iterations of the stored password hash (default 600000, Lanyard's)
//   PEER_BOOTSTRAP       file to write the clients, user and issuer to (like Lanyard's data/bootstrap.json)
//
// What is configured, and why (bench/README.md has the comparison with Lanyard):
// - access tokens are RS256 JWTs: resourceIndicators with a default resource whose accessTokenFormat is
//   'jwt', signed with a 2048-bit RSA key generated at start (Lanyard signs RS256 with a 2048-bit key);
// - clients authenticate with client_secret_basic;
// - 'bench-m2m' does client_credentials; 'bench-web' does authorization_code + PKCE + refresh_token with
//   rotation and the openid scope, so the code and every refresh also return an ID token;
//   'bench-web-static' is the same without rotation; 'bench-userinfo' gets opaque access tokens, the
//   only kind node-oidc-provider's userinfo endpoint accepts;
// - the login is a form of our own: the password is checked against a PBKDF2-SHA256 hash stored with
//   the account, at Lanyard's work factor, then login and consent finish in one step;
// - everything the provider stores (sessions, interactions, grants, codes, refresh tokens, the account)
//   goes through an adapter on one table: PostgreSQL (jsonb) or SQLite, or memory for the extra variant.
import cluster from 'node:cluster';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { promisify } from 'node:util';

import Provider from 'oidc-provider';

import { openStore } from './store.mjs';

const pbkdf2 = promisify(crypto.pbkdf2);

const port = Number(process.env.PEER_PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error('PEER_PORT is required');
const storeKind = process.env.PEER_STORE || 'memory';
const iterations = Number(process.env.PEER_ITERATIONS || 600000);
const workers = storeKind === 'memory' ? 1 : Number(process.env.PEER_WORKERS || os.availableParallelism());
const issuer = `http://127.0.0.1:${port}`;
const RESOURCE = 'urn:lanyard-bench:api';
const REDIRECT_URI = 'https://localhost:6001/auth/callback';

// ------------------------------------------------------------------------------------------------
// The primary makes the secrets and the account once and hands them to the workers, so every worker
// signs with the same key and accepts the same cookies; with one worker it serves itself.

async function bootstrap() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };
  const secret = () => crypto.randomBytes(32).toString('base64url');
  const password = secret();
  const salt = crypto.randomBytes(16);
  const hash = await pbkdf2(password, salt, iterations, 32, 'sha256');
  return {
    issuer,
    jwk,
    cookieKeys: [secret()],
    clients: {
      m2m: { id: 'bench-m2m', secret: secret() },
      web: { id: 'bench-web', secret: secret() },
      webStatic: { id: 'bench-web-static', secret: secret() },
      userinfo: { id: 'bench-userinfo', secret: secret() },
    },
    redirectUri: REDIRECT_URI,
    user: {
      accountId: crypto.randomUUID(),
      email: 'demo@bench.example',
      password,
      passwordHash: `$pbkdf2-sha256$i=${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`,
    },
  };
}

if (cluster.isPrimary) {
  const state = await bootstrap();
  const store = await openStore(storeKind, { pg: process.env.PEER_PG, sqlite: process.env.PEER_SQLITE });
  await store.createSchema();
  await store.putAccount(state.user.accountId, state.user.email, state.user.passwordHash);
  await store.close();
  const { password, ...forWorkers } = state;
  if (process.env.PEER_BOOTSTRAP) {
    const { passwordHash, ...user } = state.user;
    fs.writeFileSync(process.env.PEER_BOOTSTRAP, JSON.stringify({
      issuer, store: storeKind, workers, iterations, redirectUri: REDIRECT_URI, clients: state.clients, user,
    }, null, 2), { mode: 0o600 });
  }
  if (workers > 1) {
    const env = { PEER_STATE: JSON.stringify(forWorkers) };
    for (let i = 0; i < workers; i += 1) cluster.fork(env);
    let ready = 0;
    cluster.on('message', (_worker, message) => {
      if (message === 'listening' && (ready += 1) === workers) console.log(`peer: ${workers} workers on ${issuer} (${storeKind})`);
    });
    let stopping = false;
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) return;
      console.error(`peer: worker ${worker.process.pid} exited (${signal || code})`);
      process.exitCode = 1;
    });
    const stop = () => { stopping = true; for (const w of Object.values(cluster.workers)) w.kill('SIGTERM'); setTimeout(() => process.exit(), 2000).unref(); };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  } else {
    await serve(forWorkers);
  }
} else {
  await serve(JSON.parse(process.env.PEER_STATE));
}

// ------------------------------------------------------------------------------------------------

async function serve(state) {
  const store = await openStore(storeKind, { pg: process.env.PEER_PG, sqlite: process.env.PEER_SQLITE });
  if (storeKind === 'memory') await store.putAccount(state.user.accountId, state.user.email, state.user.passwordHash);
  const webClient = (c, rotating) => ({
    client_id: c.id,
    client_secret: c.secret,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [REDIRECT_URI],
    token_endpoint_auth_method: 'client_secret_basic',
    'urn:bench:rotating': rotating,
  });

  const provider = new Provider(issuer, {
    adapter: store.adapter,
    clients: [
      {
        client_id: state.clients.m2m.id,
        client_secret: state.clients.m2m.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      webClient(state.clients.web, true),
      webClient(state.clients.webStatic, false),
      webClient(state.clients.userinfo, true),
    ],
    extraClientMetadata: { properties: ['urn:bench:rotating'] },
    jwks: { keys: [state.jwk] },
    cookies: { keys: state.cookieKeys },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    scopes: ['openid', 'offline_access', 'email'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      userinfo: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Every client but the userinfo one gets JWT access tokens for the one resource server.
        defaultResource: (ctx, client) => (client?.clientId === state.clients.userinfo.id ? undefined : RESOURCE),
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'api',
          audience: RESOURCE,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    pkce: { required: () => true },
    // node-oidc-provider issues refresh tokens only for offline_access, which it drops unless the request
    // also asks for prompt=consent; Lanyard issues one to every client allowed the grant, so do the same.
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: (ctx) => ctx.oidc.client['urn:bench:rotating'] === true,
    ttl: {
      AccessToken: 3600,
      ClientCredentials: 3600,
      IdToken: 3600,
      AuthorizationCode: 60,
      RefreshToken: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
      Session: 24 * 3600,
      Interaction: 3600,
    },
    findAccount: async (_ctx, sub) => {
      const account = await store.findAccountById(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: () => ({ sub, email: account.email, email_verified: true }) };
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError: (ctx, out) => {
      ctx.type = 'text/plain';
      ctx.body = `${out.error}: ${out.error_description || ''}`;
    },
  });
  provider.on('server_error', (_ctx, err) => console.error('peer: server_error', err));

  const handler = provider.callback();
  const server = http.createServer((req, res) => {
    const m = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec(req.url.split('?')[0]);
    if (!m) return handler(req, res);
    const work = req.method === 'POST' && m[2] ? login(req, res, m[1]) : req.method === 'GET' && !m[2] ? form(req, res) : notFound(res);
    return work.catch((err) => {
      console.error('peer: interaction failed', err);
      if (!res.headersSent) { res.statusCode = 400; res.end('interaction failed'); } else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;

  async function form(req, res, error) {
    const details = await provider.interactionDetails(req, res);
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.statusCode = error ? 401 : 200;
    res.end(`<!doctype html><html><head><title>Sign in</title></head><body>
<h1>Sign in</h1>${error ? `<p role="alert">${error}</p>` : ''}
<form method="post" action="/interaction/${details.uid}/login">
<label>Email <input type="email" name="username" autocomplete="username" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form></body></html>`);
  }

  async function login(req, res) {
    const details = await provider.interactionDetails(req, res);
    const body = new URLSearchParams(await readBody(req));
    const account = await store.findAccountByEmail(String(body.get('username') || '').toLowerCase());
    // Unknown accounts cost a hash too, so timing does not reveal which accounts exist (as Lanyard does).
    const ok = await verifyPassword(String(body.get('password') || ''), account?.passwordHash ?? dummyHash);
    if (!account || !ok) return form(req, res, 'Invalid email or password.');

    const { params } = details;
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: account.accountId, clientId: params.client_id });
    grant.addOIDCScope(String(params.scope || 'openid'));
    if (params.client_id !== state.clients.userinfo.id) grant.addResourceScope(RESOURCE, 'api');
    const grantId = await grant.save();
    await provider.interactionFinished(req, res,
      { login: { accountId: account.accountId }, consent: { grantId } },
      { mergeWithLastSubmission: false });
  }

  server.listen(port, '127.0.0.1', () => {
    if (process.send) process.send('listening');
    else console.log(`peer: listening on ${issuer} (${storeKind})`);
  });
  const stop = () => server.close(() => store.close().finally(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

const dummySalt = crypto.randomBytes(16).toString('base64');
const dummyHash = `$pbkdf2-sha256$i=${iterations}$${dummySalt}$${Buffer.alloc(32).toString('base64')}`;

async function verifyPassword(password, stored) {
  const [, scheme, cost, salt, hash] = stored.split('$');
  if (scheme !== 'pbkdf2-sha256' || !cost.startsWith('i=')) return false;
  const expected = Buffer.from(hash, 'base64');
  // crypto.pbkdf2 runs on libuv's thread pool, so hashes use every core without blocking the event loop.
  const actual = await pbkdf2(password, Buffer.from(salt, 'base64'), Number(cost.slice(2)), expected.length, 'sha256');
  return crypto.timingSafeEqual(actual, expected);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (c) => {
      size += c.length;
      if (size > 16_384) { reject(new Error('body too large')); req.destroy(); } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function notFound(res) {
  res.statusCode = 404;
  res.end();
}
