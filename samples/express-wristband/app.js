'use strict';

// An Express app that signs users in through Lanyard with the official Wristband SDK
// (@wristband/express-auth 3.0.1). Lanyard speaks Wristband's HTTP surface, so nothing here is
// Lanyard-specific: point the SDK at Lanyard's application domain and it works.
//
// Configuration comes only from environment variables; see README.md.

const crypto = require('node:crypto');
const fs = require('node:fs');
const https = require('node:https');
const express = require('express');
const { createWristbandAuth, CallbackResultType, WristbandError } = require('@wristband/express-auth');

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`Missing environment variable ${name} (see README.md).`);
    process.exit(2);
  }
  return value;
}

const port = Number(process.env.PORT || 6001);
// Set TENANT_ROOT_DOMAIN (e.g. "app.localhost:6001") to take the tenant from the host name
// ("demo.app.localhost:6001"); leave it unset to take it from the ?tenant_domain= query parameter.
const rootDomain = process.env.TENANT_ROOT_DOMAIN || '';
const appOrigin = rootDomain ? `https://{tenant_domain}.${rootDomain}` : `https://localhost:${port}`;

const wristbandAuth = createWristbandAuth({
  clientId: required('LANYARD_CLIENT_ID'),
  clientSecret: required('LANYARD_CLIENT_SECRET'),
  // Lanyard's application host, e.g. "auth.localhost:5443" or "auth.example.com".
  wristbandApplicationVanityDomain: required('LANYARD_VANITY_DOMAIN'),
  // Lanyard's tenant host style: "-" ({tenant}-{domain}, the default) or "." ({tenant}.{domain}).
  useCustomDomains: process.env.LANYARD_TENANT_HOST_STYLE === '.',
  // At least 32 characters; encrypts the short-lived login state cookie.
  loginStateSecret: required('LOGIN_STATE_SECRET'),
  loginUrl: `${appOrigin}/auth/login`,
  redirectUri: `${appOrigin}/auth/callback`,
  useTenantSubdomains: Boolean(rootDomain),
  rootDomain: rootDomain || undefined,
});

// Sessions: kept in memory, keyed by a random id in an HttpOnly cookie. Use a real session store in
// production; the tokens never leave the server.
const SESSION_COOKIE = 'sample_session';
const sessions = new Map();

function readSession(req) {
  const cookies = Object.fromEntries(
    (req.headers.cookie || '').split(';').map((c) => c.trim().split('=')).filter(([name]) => name),
  );
  const id = cookies[SESSION_COOKIE];
  return id && sessions.has(id) ? { id, data: sessions.get(id) } : null;
}

function startSession(res, data) {
  const id = crypto.randomBytes(32).toString('base64url');
  sessions.set(id, data);
  res.append('Set-Cookie', `${SESSION_COOKIE}=${id}; HttpOnly; Secure; SameSite=Lax; Path=/`);
}

function endSession(res, session) {
  if (session) {
    sessions.delete(session.id);
  }
  res.append('Set-Cookie', `${SESSION_COOKIE}=; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=0`);
}

// What the page shows about an access token: its id (jti) and expiry, read from the JWT payload.
function describeToken(jwt) {
  const claims = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
  return { jti: claims.jti, expires: new Date(claims.exp * 1000).toISOString() };
}

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
    `<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

const app = express();

// Every auth response carries tokens or login state: never cache them.
app.use((req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
});

app.get('/auth/login', async (req, res) => {
  res.redirect(await wristbandAuth.login(req, res));
});

app.get('/auth/callback', async (req, res) => {
  const result = await wristbandAuth.callback(req, res);
  if (result.type === CallbackResultType.REDIRECT_REQUIRED) {
    return res.redirect(result.redirectUrl);
  }

  const { accessToken, refreshToken, idToken, expiresIn, tenantDomainName, userinfo } = result.callbackData;
  endSession(res, readSession(req));
  startSession(res, {
    accessToken,
    refreshToken,
    idToken,
    expiresAt: Date.now() + expiresIn * 1000,
    tenantDomainName,
    userinfo,
  });
  res.redirect('/');
});

app.get('/', (req, res) => {
  const session = readSession(req);
  if (!session) {
    return res.send(page('Lanyard sample', '<p>You are not signed in.</p><p><a href="/auth/login">Log in</a></p>'));
  }

  const { userinfo, tenantDomainName, accessToken } = session.data;
  const token = describeToken(accessToken);
  res.send(page('Lanyard sample', `
    <p id="user">Signed in as <strong>${escapeHtml(userinfo.email)}</strong></p>
    <p id="tenant">Tenant: <strong>${escapeHtml(tenantDomainName)}</strong></p>
    <p id="jti">Access token id: <code>${escapeHtml(token.jti)}</code>, expires ${escapeHtml(token.expires)}</p>
    <p><a href="/refresh">Refresh the access token</a> · <a href="/auth/logout">Log out</a></p>`));
});

// Forces a token refresh. A real app calls refreshTokenIfExpired(refreshToken, expiresAt) on each
// request with the stored expiry; passing a time in the past makes the SDK refresh now.
app.get('/refresh', async (req, res) => {
  const session = readSession(req);
  if (!session) {
    return res.redirect('/auth/login');
  }

  const previous = describeToken(session.data.accessToken);
  let tokens;
  try {
    tokens = await wristbandAuth.refreshTokenIfExpired(session.data.refreshToken, Date.now() - 1000);
  } catch (err) {
    if (err instanceof WristbandError && err.error !== 'unexpected_error') {
      // The refresh token was revoked or expired: the user must sign in again.
      endSession(res, session);
      return res.redirect(`/auth/login?tenant_domain=${encodeURIComponent(session.data.tenantDomainName)}`);
    }
    throw err;
  }
  Object.assign(session.data, {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    idToken: tokens.idToken,
    expiresAt: Date.now() + tokens.expiresIn * 1000,
  });
  const token = describeToken(tokens.accessToken);
  res.send(page('Refreshed', `
    <p id="previous-jti">Previous access token id: <code>${escapeHtml(previous.jti)}</code></p>
    <p id="jti">New access token id: <code>${escapeHtml(token.jti)}</code>, expires ${escapeHtml(token.expires)}</p>
    <p><a href="/">Home</a> · <a href="/auth/logout">Log out</a></p>`));
});

app.get('/auth/logout', async (req, res) => {
  const session = readSession(req);
  endSession(res, session);
  // Revokes the refresh token, then sends the browser to Lanyard to end its session there too.
  res.redirect(await wristbandAuth.logout(req, res, {
    refreshToken: session?.data.refreshToken,
    tenantDomainName: session?.data.tenantDomainName,
  }));
});

// A self-hosted user activation page. Point the USER_ACTIVATION email policy's actionLinkUrl here
// (e.g. https://localhost:6001/self-hosted/activate): the emailed link brings the code, this backend
// redeems it with Lanyard's workflow API using a machine-to-machine token, and the browser goes on to
// the redirectUrl Lanyard returns, which creates the auth session on the tenant host and comes back to
// /auth/login, so the user is signed in without typing the password again.
const m2mClientId = process.env.LANYARD_M2M_CLIENT_ID || '';
const m2mClientSecret = process.env.LANYARD_M2M_CLIENT_SECRET || '';

function lanyardRequest(path, { method = 'POST', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const request = https.request(`https://${process.env.LANYARD_VANITY_DOMAIN}${path}`, { method, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => { text += chunk; });
      response.on('end', () => resolve({ status: response.statusCode, body: text ? JSON.parse(text) : null }));
    });
    request.on('error', reject);
    if (body) {
      request.write(body);
    }
    request.end();
  });
}

async function m2mToken() {
  const basic = Buffer.from(`${m2mClientId}:${m2mClientSecret}`).toString('base64');
  const response = await lanyardRequest('/api/v1/oauth2/token', {
    headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  if (response.status !== 200) {
    throw new Error(`client_credentials failed with ${response.status}`);
  }
  return response.body.access_token;
}

app.get('/self-hosted/activate', async (req, res) => {
  if (!m2mClientId || !m2mClientSecret) {
    return res.status(404).send(page('Not configured', '<p>Set LANYARD_M2M_CLIENT_ID and LANYARD_M2M_CLIENT_SECRET.</p>'));
  }
  const code = typeof req.query.code === 'string' ? req.query.code : '';
  const token = await m2mToken();
  const result = await lanyardRequest('/api/v1/user-activation/activate-user', {
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ emailAuthCode: code }),
  });
  if (result.status === 200 && result.body.redirectUrl) {
    return res.redirect(result.body.redirectUrl);
  }
  res.status(400).send(page('Activation link expired', '<p id="error">This activation link has expired or was already used. Sign up again to get a new one.</p>'));
});

// Logs what went wrong without dumping the SDK's HTTP request (it carries the client secret).
app.use((err, req, res, next) => {
  const detail = err.response ? ` (${err.response.status} ${JSON.stringify(err.response.data)})` : '';
  console.error(`${req.method} ${req.path} failed: ${err.name}: ${err.message}${detail}`);
  res.status(500).send(page('Something went wrong', `<p id="error">${escapeHtml(err.message)}</p>`));
});

const server = https.createServer({
  cert: fs.readFileSync(required('TLS_CERT_FILE')),
  key: fs.readFileSync(required('TLS_KEY_FILE')),
}, app);

server.listen(port, () => {
  console.log(`Listening on ${rootDomain ? `https://{tenant}.${rootDomain}` : `https://localhost:${port}`}`);
});
