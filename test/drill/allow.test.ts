import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allowedContexts, contextAllowed } from '../../src/drill/allow.js';
import { registerLab } from '../../src/lab-registry.js';

describe('the allow-list', () => {
  const env = (extra: Record<string, string> = {}) => ({
    KDRILL_LAB_REGISTRY: mkdtempSync(join(tmpdir(), 'kdrill-reg-')),
    XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'kdrill-cfg-')),
    ...extra,
  });
  const cwd = mkdtempSync(join(tmpdir(), 'kdrill-cwd-'));

  it('allows a lab context only while a live lab serves it at that address, never by its name alone', () => {
    const e = env();
    expect(contextAllowed(allowedContexts([], e, cwd), 'kdrill-lab', 'http://127.0.0.1:41000')).toEqual({
      ok: false,
      why: 'context "kdrill-lab" is named like a lab\'s, but no live lab serves it at http://127.0.0.1:41000',
    });
    const unregister = registerLab(
      {
        pid: process.pid,
        dir: '/tmp/lab',
        contexts: [
          { name: 'kdrill-lab', server: 'http://127.0.0.1:41000' },
          { name: 'kdrill-lab-2', server: 'https://127.0.0.1:6443/' },
        ],
      },
      e,
    );
    const a = allowedContexts([], e, cwd);
    expect(contextAllowed(a, 'kdrill-lab', 'http://127.0.0.1:41000')).toEqual({ ok: true });
    expect(contextAllowed(a, 'kdrill-lab-2', 'https://127.0.0.1:6443')).toEqual({ ok: true });
    // the same name pointing elsewhere (a copied kubeconfig, a production server) is not the lab
    expect(contextAllowed(a, 'kdrill-lab', 'https://prod.example.com:6443').ok).toBe(false);
    unregister();
    expect(contextAllowed(allowedContexts([], e, cwd), 'kdrill-lab', 'http://127.0.0.1:41000').ok).toBe(false);
  });

  it('ignores what a dead lab left in the registry', () => {
    const e = env();
    writeFileSync(
      join(e.KDRILL_LAB_REGISTRY, '999999.json'),
      JSON.stringify({ pid: 999999, dir: '/x', contexts: [{ name: 'kdrill-lab', server: 'http://127.0.0.1:1' }] }),
    );
    writeFileSync(join(e.KDRILL_LAB_REGISTRY, 'junk.json'), 'not json');
    expect(contextAllowed(allowedContexts([], e, cwd), 'kdrill-lab', 'http://127.0.0.1:1').ok).toBe(false);
  });

  it('allows contexts named by the flag, the environment and the config files, and nothing else', () => {
    const e = env({ KDRILL_ALLOW_CONTEXTS: 'staging, kind-drill' });
    writeFileSync(join(cwd, '.kdrill.yaml'), 'allowContexts: [dr-test]\n');
    const a = allowedContexts(['sandbox'], e, cwd);
    for (const c of ['sandbox', 'staging', 'kind-drill', 'dr-test'])
      expect(contextAllowed(a, c, 'https://x').ok, c).toBe(true);
    expect(contextAllowed(a, 'prod', 'https://x')).toEqual({
      ok: false,
      why: 'context "prod" is not allow-listed for destructive drills',
    });
    expect(a.sources).toEqual(['--allow-context', 'KDRILL_ALLOW_CONTEXTS', join(cwd, '.kdrill.yaml'), 'live labs']);
  });
});
