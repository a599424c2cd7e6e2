'use strict';
// A real SMTP server on loopback for Lanyard's tests: every message it accepts is parsed and kept in
// memory, and an HTTP API on loopback lists and clears them. See README.md.

const http = require('node:http');
const { SMTPServer } = require('smtp-server');
const { simpleParser } = require('mailparser');

const MAX_SIZE = 10 * 1024 * 1024;
const smtpUser = process.env.SMTP_USER || null;
const smtpPass = process.env.SMTP_PASS || null;

function port(name) {
  const raw = process.env[name] ?? '0';
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    process.stderr.write(`mailbox: ${name}=${raw} is not a port (0-65535)\n`);
    process.exit(2);
  }
  return value;
}

const messages = [];
let nextId = 1;

function headerMap(parsed) {
  // Header lines as text, keyed by lower-case name; a repeated header keeps its last value.
  const headers = {};
  for (const { key, line } of parsed.headerLines || []) {
    const colon = line.indexOf(':');
    headers[key.toLowerCase()] = (colon >= 0 ? line.slice(colon + 1) : line).replace(/\r?\n[ \t]+/g, ' ').trim();
  }
  return headers;
}

function firstAddress(field) {
  const value = field && field.value && field.value[0];
  return value ? { name: value.name || null, address: value.address || null } : { name: null, address: null };
}

const smtp = new SMTPServer({
  authOptional: true,
  allowInsecureAuth: true, // no TLS on loopback: AUTH over plain text is what the tests exercise
  authMethods: ['PLAIN', 'LOGIN'],
  disabledCommands: ['STARTTLS'],
  size: MAX_SIZE,
  logger: false,
  banner: 'Lanyard test mailbox',
  onAuth(auth, session, callback) {
    if (smtpUser === null && smtpPass === null) {
      return callback(null, { user: auth.username }); // no account configured: any credentials are accepted
    }
    if (auth.username === smtpUser && auth.password === smtpPass) {
      return callback(null, { user: auth.username });
    }
    const error = new Error('Invalid username or password');
    error.responseCode = 535;
    return callback(error);
  },
  onData(stream, session, callback) {
    simpleParser(stream)
      .then((parsed) => {
        if (stream.sizeExceeded) {
          const error = new Error('Message exceeds the 10 MB limit');
          error.responseCode = 552;
          return callback(error);
        }
        const from = firstAddress(parsed.from);
        messages.push({
          id: nextId++,
          to: session.envelope.rcptTo.map((r) => r.address),
          from: from.address,
          fromName: from.name,
          envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
          subject: parsed.subject ?? null,
          text: parsed.text ?? null,
          html: typeof parsed.html === 'string' ? parsed.html : null,
          messageId: parsed.messageId ?? null,
          headers: headerMap(parsed),
          authUser: session.user ?? null,
          receivedAt: new Date().toISOString(),
        });
        return callback();
      })
      .catch((error) => {
        process.stderr.write(`mailbox: could not parse a message: ${error.message}\n`);
        error.responseCode = 451;
        callback(error);
      });
  },
});
smtp.on('error', (error) => process.stderr.write(`mailbox: smtp: ${error.message}\n`));

const api = http.createServer((request, response) => {
  const path = new URL(request.url, 'http://127.0.0.1').pathname;
  if (path === '/messages' && request.method === 'GET') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(messages));
  } else if (path === '/messages' && request.method === 'DELETE') {
    messages.length = 0;
    response.writeHead(204);
    response.end();
  } else {
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found\n');
  }
});

let stopping = false;
function stop() {
  if (stopping) {
    return;
  }
  stopping = true;
  api.close();
  smtp.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref(); // open SMTP sessions must not keep it alive
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The test process holds our stdin: when it exits (even killed), stdin closes and so do we.
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.on('error', stop);
process.stdin.resume();

function listen(server, portNumber) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(portNumber, '127.0.0.1', () => resolve(server.address().port));
  });
}

Promise.all([listen(smtp.server, port('SMTP_PORT')), listen(api, port('HTTP_PORT'))])
  .then(([smtpPort, httpPort]) => {
    process.stdout.write(JSON.stringify({ smtpPort, httpPort }) + '\n');
  })
  .catch((error) => {
    process.stderr.write(`mailbox: could not listen: ${error.message}\n`);
    process.exit(1);
  });
