import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabApiServer } from '../../packages/lab/src/apiserver/server.js';
import { labKubeconfig } from '../../packages/lab/src/kubeconfig.js';
import { expectCleanError, kdrill } from '../support/cli.js';

describe('kdrill cluster: bad kubeconfigs and unreachable servers', () => {
  let dir: string;
  let api: LabApiServer;
  let good: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kdrill-cli-'));
    api = new LabApiServer();
    good = join(dir, 'good.yaml');
    await writeFile(good, labKubeconfig(await api.listen(0)));
  });
  afterAll(() => api.close());

  it('describes a reachable cluster, as text and JSON', async () => {
    const r = await kdrill(['cluster', '--kubeconfig', good, '-o', 'json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { context: string; version: string; velero: { crds: boolean } };
    expect(s.context).toBe('kdrill-lab');
    expect(s.version).toMatch(/kdrill-lab/);
    expect(s.velero.crds).toBe(false);
  });

  it('ignores unrelated KDRILL_* environment variables', async () => {
    const r = await kdrill(['cluster', '--kubeconfig', good], {
      env: { KDRILL_TEST_SOMETHING: '1', KDRILL_DEBUG_X: 'y' },
    });
    expect(r.code, r.stderr).toBe(0);
  });

  it('a missing kubeconfig: exit 4, one line and a hint', async () => {
    expectCleanError(
      await kdrill(['cluster', '--kubeconfig', join(dir, 'missing.yaml')]),
      4,
      /cannot read kubeconfig .*missing\.yaml/,
    );
  });

  it('a malformed kubeconfig: exit 4, one line and a hint', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'clusters: [\n  {name: x\n');
    expectCleanError(await kdrill(['cluster', '--kubeconfig', bad]), 4, /cannot read kubeconfig/);
  });

  it('an unknown context: exit 4, naming the contexts that exist', async () => {
    const r = await kdrill(['cluster', '--kubeconfig', good, '--context', 'prod-eu']);
    expectCleanError(r, 4, /context "prod-eu" is not in the kubeconfig/);
    expect(r.stderr).toMatch(/known contexts: kdrill-lab/);
  });

  it('an unreachable server: exit 4, naming the server and context', async () => {
    const down = join(dir, 'down.yaml');
    await writeFile(down, labKubeconfig('http://127.0.0.1:9'));
    const r = await kdrill(['cluster', '--kubeconfig', down]);
    expectCleanError(r, 4, /cannot reach the Kubernetes API at http:\/\/127\.0\.0\.1:9 \(context "kdrill-lab"\)/);
  });

  it('an unknown command or flag: exit 2 with a hint', async () => {
    expectCleanError(await kdrill(['explode']), 2, /Unknown argument: explode/);
    expectCleanError(await kdrill(['cluster', '--kubeconfig', good, '--frobnicate']), 2, /Unknown argument/);
  });
});
