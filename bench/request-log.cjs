// Preloaded (node --require) into a drill the bench measures the floor of: every HTTP(S) request's method
// and path, one a line, written to $KDRILL_BENCH_REQUEST_LOG when the process ends.
const http = require('node:http');
const https = require('node:https');
const { writeFileSync } = require('node:fs');

const seen = [];
for (const m of [http, https]) {
  const original = m.request;
  m.request = function (...args) {
    const req = original.apply(this, args);
    seen.push(`${req.method} ${req.path}`);
    return req;
  };
}
process.on('exit', () => writeFileSync(process.env.KDRILL_BENCH_REQUEST_LOG, `${seen.join('\n')}\n`));
