'use strict';

// Development only: answers 127.0.0.1 for every name ending in ".localhost" (auth.localhost,
// demo-auth.localhost, ...). Browsers do this by themselves; Node asks the operating system, which
// usually knows only "localhost". Load it before the app: `node --require ./localhost-dns.js app.js`.
// In production your Lanyard host has real DNS records and this file is not needed.

const dns = require('node:dns');

const originalLookup = dns.lookup;

function isLocalhostName(hostname) {
  return typeof hostname === 'string' && /(^|\.)localhost\.?$/i.test(hostname) && hostname.toLowerCase() !== 'localhost';
}

dns.lookup = function lookup(hostname, options, callback) {
  if (typeof options === 'function') {
    callback = options;
    options = {};
  }

  if (!isLocalhostName(hostname)) {
    return originalLookup.call(dns, hostname, options, callback);
  }

  const all = typeof options === 'object' && options !== null && options.all === true;
  process.nextTick(() => {
    if (all) {
      callback(null, [{ address: '127.0.0.1', family: 4 }]);
    } else {
      callback(null, '127.0.0.1', 4);
    }
  });
  return {};
};
