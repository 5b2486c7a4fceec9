// One request through Node's httpntlm (the library behind Postman's NTLM authorization), for the
// interop tests of `ntlmh serve` (tests/peers/mock_server_peers.py).
//
// Usage: node httpntlm_client.js '{"method":"get","url":...,"username":...,"password":...,
//                                  "domain":...,"workstation":...,"body":...,"headers":{...}}'
// Prints one JSON line: {"status", "headers", "body"} or {"error"}. Exits 0 either way, 2 on
// bad arguments. Every request has a timeout; nothing here listens.
'use strict';
const httpntlm = require('httpntlm');

function main() {
  let spec;
  try {
    spec = JSON.parse(process.argv[2] || '');
  } catch (e) {
    process.stderr.write('usage: node httpntlm_client.js JSON\n');
    process.exit(2);
  }
  const method = spec.method || 'get';
  if (typeof httpntlm[method] !== 'function') {
    process.stderr.write('unknown method ' + method + '\n');
    process.exit(2);
  }
  const options = {
    url: spec.url,
    username: spec.username,
    password: spec.password,
    domain: spec.domain || '',
    workstation: spec.workstation || '',
    timeout: 15000,
    rejectUnauthorized: false,  // the tests' servers use throwaway self-signed certificates
  };
  if (spec.body !== undefined) options.body = spec.body;
  if (spec.headers !== undefined) options.headers = spec.headers;
  httpntlm[method](options, (err, res) => {
    if (err) {
      process.stdout.write(JSON.stringify({error: String(err && err.message || err)}) + '\n');
      return;
    }
    process.stdout.write(
        JSON.stringify({status: res.statusCode, headers: res.headers, body: res.body}) + '\n');
  });
}

main();
