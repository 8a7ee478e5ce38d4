import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../test/support/fakes/fake-clock.js';
import { LabApiServer } from '../src/apiserver/server.js';

// years from the machine's time, so that a timestamp read off the machine cannot pass for it
const T0 = new Date('2031-03-04T05:06:07Z');

/** The lab API server reads time from its injected clock: timestamps, the Age column, watch deadlines. */
describe('lab API server on an injected clock', () => {
  let api: LabApiServer | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  const start = async (clock: FakeClock): Promise<string> => {
    api = new LabApiServer({ clock });
    return api.listen(0);
  };
  const post = async (base: string, path: string, body: unknown): Promise<any> =>
    (
      await fetch(base + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    ).json();

  it('stamps creationTimestamp and deletionTimestamp from the clock', async () => {
    const clock = new FakeClock(T0);
    const base = await start(clock);
    const ns = await post(base, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } });
    expect(ns.metadata.creationTimestamp).toBe('2031-03-04T05:06:07Z');
    clock.advance(90_000);
    const deleted: any = await (await fetch(`${base}/api/v1/namespaces/a`, { method: 'DELETE' })).json();
    expect(deleted.metadata.deletionTimestamp).toBe('2031-03-04T05:07:37Z');
  });

  it("counts the Table's Age to the clock's now", async () => {
    const clock = new FakeClock(T0);
    const base = await start(clock);
    await post(base, '/api/v1/namespaces/default/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
    });
    clock.advance(45 * 60_000);
    const table: any = await (
      await fetch(`${base}/api/v1/namespaces/default/configmaps/c`, {
        headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
      })
    ).json();
    expect(table.rows[0].cells.at(-1)).toBe('45m');
  });

  it('ends a watch when its timeoutSeconds pass on the clock', async () => {
    const clock = new FakeClock(T0);
    const base = await start(clock);
    const res = await fetch(`${base}/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=60`);
    let ended = false;
    const body = res.text().then((t) => ((ended = true), t));
    clock.advance(59_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(ended).toBe(false);
    clock.advance(2000);
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still open'), 5000)));
    const outcome = await Promise.race([body.then(() => 'ended'), hung]);
    clearTimeout(timer);
    expect(outcome).toBe('ended');
  });
});
