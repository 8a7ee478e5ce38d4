import { describe, expect, it } from 'vitest';
import { goJson } from '../../src/kube/go-json.js';

describe('goJson', () => {
  it('escapes what Go escapes, so raw JSON fields survive a Go round trip byte for byte', () => {
    const v = {
      args: ['--index-cache.config=addresses: [dnssrv+_client._tcp.<MEMCACHED_SERVICE>.thanos]', 'a && b > c'],
      s: '\u2028\u2029',
    };
    expect(goJson(v)).toBe(
      '{"args":["--index-cache.config=addresses: [dnssrv+_client._tcp.\\u003cMEMCACHED_SERVICE\\u003e.thanos]","a \\u0026\\u0026 b \\u003e c"],"s":"\\u2028\\u2029"}',
    );
    expect(JSON.parse(goJson(v))).toEqual(v);
  });
  it('leaves everything else as JSON.stringify writes it', () => {
    const v = { a: 1, b: [true, null], c: 'é "quoted" \\ \n' };
    expect(goJson(v)).toBe(JSON.stringify(v));
  });
});
