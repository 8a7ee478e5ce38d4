import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LabApiServer } from '../src/apiserver/server.js';
import { labKubeconfig } from '../src/kubeconfig.js';
import { eventually } from '../../../test/support/eventually.js';

const run = promisify(execFile);

/** The lab API server's own behaviour, as written in packages/lab/SPEC.md, over raw HTTP. */
describe('lab API server (SPEC.md)', () => {
  let api: LabApiServer;
  let base: string;
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; json: any; text: string }> => {
    const r = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: r.status, json, text };
  };
  const cm = (name: string, labels: Record<string, string> = {}) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, labels },
    data: { k: name },
  });

  beforeEach(async () => {
    api = new LabApiServer({ historyCapacity: 50, bookmarkIntervalMs: 50, namespaceFinalizeDelayMs: 100 });
    base = await api.listen(0);
  });
  afterEach(() => api.close());

  it('serves discovery for core, groups and versions', async () => {
    expect((await call('GET', '/api')).json.versions).toEqual(['v1']);
    const core = (await call('GET', '/api/v1')).json;
    expect(core.resources.map((r: { name: string }) => r.name)).toEqual(
      expect.arrayContaining(['pods', 'pods/status', 'pods/binding', 'namespaces', 'persistentvolumeclaims', 'events']),
    );
    const groups = (await call('GET', '/apis')).json.groups.map((g: { name: string }) => g.name);
    expect(groups).toEqual(expect.arrayContaining(['apps', 'networking.k8s.io', 'policy', 'apiextensions.k8s.io']));
    expect(
      (await call('GET', '/apis/apps/v1')).json.resources.find((r: { name: string }) => r.name === 'deployments')
        .namespaced,
    ).toBe(true);
    expect((await call('GET', '/version')).json.gitVersion).toMatch(/kdrill-lab/);
  });

  it('answers unknown paths and objects with a real 404 Status', async () => {
    const unknown = await call('GET', '/api/v1/widgets');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
    });
    const missing = await call('GET', '/api/v1/namespaces/default/configmaps/nope');
    expect(missing.json).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      code: 404,
      message: 'configmaps "nope" not found',
      details: { name: 'nope', kind: 'configmaps' },
    });
    expect((await call('GET', '/apis/nope.example/v1')).status).toBe(404);
  });

  it('refuses objects in a namespace that does not exist', async () => {
    const r = await call('POST', '/api/v1/namespaces/ghost/configmaps', cm('x'));
    expect(r.status).toBe(404);
    expect(r.json.message).toBe('namespaces "ghost" not found');
  });

  it('names objects from generateName and pages lists with limit and continue', async () => {
    for (let i = 0; i < 5; i++)
      await call('POST', '/api/v1/namespaces/default/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { generateName: 'gen-' },
      });
    const names: string[] = [];
    let cont = '';
    let pages = 0;
    do {
      const r = (await call('GET', `/api/v1/namespaces/default/configmaps?limit=2${cont ? `&continue=${cont}` : ''}`))
        .json;
      names.push(...r.items.map((o: { metadata: { name: string } }) => o.metadata.name));
      cont = r.metadata.continue ?? '';
      pages++;
    } while (cont);
    expect(pages).toBe(3);
    expect(names).toHaveLength(5);
    expect(names.every((n) => /^gen-[a-z0-9]{5}$/.test(n))).toBe(true);
  });

  it('serves every page of a list from the state of its first page, at its resourceVersion, as etcd does', async () => {
    for (const n of ['a', 'b', 'c', 'd', 'e', 'f']) await call('POST', '/api/v1/namespaces/default/configmaps', cm(n));
    const path = '/api/v1/namespaces/default/configmaps';
    const first = (await call('GET', `${path}?limit=2`)).json;
    expect(first.items.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual(['a', 'b']);
    expect(first.metadata.remainingItemCount).toBe(4);
    // writes after the first page, behind and ahead of the cursor, do not show in the rest of this list
    await call('POST', path, cm('aa'));
    await call('POST', path, cm('zz'));
    await call('DELETE', `${path}/e`);
    await call('PATCH', `${path}/c`, { data: { k: 'changed' } }, { 'content-type': 'application/merge-patch+json' });
    const rest: { metadata: { name: string }; data: { k: string } }[] = [];
    let cont = first.metadata.continue as string | undefined;
    while (cont) {
      const r = (await call('GET', `${path}?limit=2&continue=${cont}`)).json;
      expect(r.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
      rest.push(...r.items);
      cont = r.metadata.continue;
    }
    expect(rest.map((o) => o.metadata.name)).toEqual(['c', 'd', 'e', 'f']);
    expect(rest[0]!.data.k).toBe('c');
    // a new list sees them all
    const now = (await call('GET', path)).json.items.map((o: { metadata: { name: string } }) => o.metadata.name);
    expect(now).toEqual(['a', 'aa', 'b', 'c', 'd', 'f', 'zz']);
  });

  it("refuses a continue token that is too old (410 Expired), another list's token, and a resourceVersion with it", async () => {
    const path = '/api/v1/namespaces/default/configmaps';
    for (const n of ['a', 'b', 'c']) await call('POST', path, cm(n));
    const token = (await call('GET', `${path}?limit=1`)).json.metadata.continue as string;
    expect((await call('GET', `${path}?limit=1&continue=${token}&resourceVersion=1`)).status).toBe(400);
    expect((await call('GET', `/api/v1/namespaces/default/secrets?limit=1&continue=${token}`)).status).toBe(400);
    // more lists in flight than the server keeps, then more writes than its history holds (50 here)
    for (let i = 0; i < 20; i++) await call('GET', `${path}?limit=1`);
    for (let i = 0; i < 60; i++) await call('POST', path, cm(`w${i}`));
    const old = await call('GET', `${path}?limit=1&continue=${token}`);
    expect(old.status).toBe(410);
    expect(old.json).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
  });

  it('treats strategic merge patch as merge patch, dropping directives', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', cm('s'));
    const r = await call(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/s',
      { data: { j: '1', $patch: 'merge' }, $setElementOrder: [] },
      { 'content-type': 'application/strategic-merge-patch+json' },
    );
    expect(r.status).toBe(200);
    expect(r.json.data).toEqual({ k: 's', j: '1' });
    const bad = await call(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/s',
      { data: {} },
      { 'content-type': 'application/apply-patch+yaml' },
    );
    expect(bad.status).toBe(415);
  });

  it('bumps generation on spec changes only, and keeps status off the main endpoint', async () => {
    const d = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
      },
    };
    const c = (await call('POST', '/apis/apps/v1/namespaces/default/deployments', d)).json;
    expect(c.metadata.generation).toBe(1);
    const st = (
      await call(
        'PATCH',
        '/apis/apps/v1/namespaces/default/deployments/d/status',
        { status: { readyReplicas: 1 } },
        { 'content-type': 'application/merge-patch+json' },
      )
    ).json;
    expect(st.metadata.generation).toBe(1);
    expect(st.status.readyReplicas).toBe(1);
    const sp = (
      await call(
        'PATCH',
        '/apis/apps/v1/namespaces/default/deployments/d',
        { spec: { replicas: 3 }, status: { readyReplicas: 9 } },
        { 'content-type': 'application/merge-patch+json' },
      )
    ).json;
    expect(sp.metadata.generation).toBe(2);
    expect(sp.status.readyReplicas).toBe(1);
  });

  it('streams a watch, with bookmarks, and answers a too-old version with a 410 Expired ERROR event', async () => {
    const lines: { type: string; object: any }[] = [];
    const ctl = new AbortController();
    const res = await fetch(`${base}/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true`, {
      signal: ctl.signal,
    });
    const reader = res.body!.getReader();
    let buf = '';
    const pump = (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        buf += new TextDecoder().decode(value);
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          lines.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
        }
      }
    })();
    await call('POST', '/api/v1/namespaces/default/configmaps', cm('w1'));
    await eventually(() => lines.some((l) => l.type === 'ADDED' && l.object.metadata.name === 'w1'), 'ADDED');
    await eventually(() => lines.some((l) => l.type === 'BOOKMARK'), 'a bookmark', 5000);
    const bm = lines.find((l) => l.type === 'BOOKMARK')!;
    expect(Number(bm.object.metadata.resourceVersion)).toBeGreaterThan(0);
    ctl.abort();
    await pump;

    // 60 writes overflow a 50-event history: the first version is now too old
    const first = (await call('POST', '/api/v1/namespaces/default/configmaps', cm('old'))).json.metadata
      .resourceVersion;
    for (let i = 0; i < 60; i++)
      await call(
        'PATCH',
        '/api/v1/namespaces/default/configmaps/old',
        { data: { i: String(i) } },
        { 'content-type': 'application/merge-patch+json' },
      );
    const gone = await call('GET', `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${first}`);
    const ev = JSON.parse(gone.text.trim()) as { type: string; object: { code: number; reason: string } };
    expect(ev.type).toBe('ERROR');
    expect(ev.object).toMatchObject({ code: 410, reason: 'Expired' });
  });

  it('turns objects moving out of a watched selector into DELETED, and in into ADDED', async () => {
    const ctl = new AbortController();
    const res = await fetch(`${base}/api/v1/namespaces/default/configmaps?watch=true&labelSelector=keep%3Dyes`, {
      signal: ctl.signal,
    });
    const reader = res.body!.getReader();
    let text = '';
    await call('POST', '/api/v1/namespaces/default/configmaps', cm('m', { keep: 'no' }));
    await call(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/m',
      { metadata: { labels: { keep: 'yes' } } },
      { 'content-type': 'application/merge-patch+json' },
    );
    await call(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/m',
      { metadata: { labels: { keep: 'no' } } },
      { 'content-type': 'application/merge-patch+json' },
    );
    while ((text.match(/\n/g) ?? []).length < 2) text += new TextDecoder().decode((await reader.read()).value);
    ctl.abort();
    expect(
      text
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { type: string }).type),
    ).toEqual(['ADDED', 'DELETED']);
  });

  it('keeps a namespace Terminating until its contents are gone, and honours finalizers', async () => {
    await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } });
    await call('POST', '/api/v1/namespaces/doomed/configmaps', {
      ...cm('held'),
      metadata: { name: 'held', finalizers: ['example.com/hold'] },
    });
    const del = await call('DELETE', '/api/v1/namespaces/doomed');
    expect(del.json.status.phase).toBe('Terminating');
    await new Promise((r) => setTimeout(r, 400));
    expect((await call('GET', '/api/v1/namespaces/doomed')).json.status.phase).toBe('Terminating');
    const held = (await call('GET', '/api/v1/namespaces/doomed/configmaps/held')).json;
    expect(held.metadata.deletionTimestamp).toBeTruthy();
    await call(
      'PATCH',
      '/api/v1/namespaces/doomed/configmaps/held',
      { metadata: { finalizers: null } },
      { 'content-type': 'application/merge-patch+json' },
    );
    await eventually(
      async () => (await call('GET', '/api/v1/namespaces/doomed')).status === 404,
      'the namespace to go',
    );
  });

  it('works with kubectl, including the protobuf bodies of kubectl create', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-spec-'));
    const kc = join(dir, 'kubeconfig');
    await writeFile(kc, labKubeconfig(base));
    const k = (...args: string[]) => run('kubectl', ['--kubeconfig', kc, ...args]);
    await k('create', 'namespace', 'pb');
    await k('create', 'configmap', 'c', '-n', 'pb', '--from-literal=a=b');
    await k('create', 'secret', 'generic', 's', '-n', 'pb', '--from-literal=pw=hunter2');
    expect((await k('get', 'configmap', 'c', '-n', 'pb', '-o', 'jsonpath={.data.a}')).stdout).toBe('b');
    expect(
      Buffer.from((await k('get', 'secret', 's', '-n', 'pb', '-o', 'jsonpath={.data.pw}')).stdout, 'base64').toString(),
    ).toBe('hunter2');
    const table = (await k('get', 'namespaces')).stdout;
    expect(table).toMatch(/NAME\s+STATUS\s+AGE/);
    expect(table).toMatch(/pb\s+Active/);
  });
});
