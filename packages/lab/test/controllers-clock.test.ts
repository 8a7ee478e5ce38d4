import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectKube } from '../../../src/kube/client-node.js';
import { eventually } from '../../../test/support/eventually.js';
import { FakeClock } from '../../../test/support/fakes/fake-clock.js';
import { LabApiServer } from '../src/apiserver/server.js';
import { startControllers, type ControllersHandle } from '../src/controllers/index.js';
import { labKubeconfig } from '../src/kubeconfig.js';

const T0 = new Date('2031-03-04T05:06:07Z');

/** The lab kubelet starts a bound pod once its start delay has passed on the injected clock, and says when. */
describe('lab controllers on an injected clock', () => {
  let api: LabApiServer | undefined;
  let controllers: ControllersHandle | undefined;
  afterEach(async () => {
    await controllers?.stop();
    await api?.close();
    controllers = api = undefined;
  });

  it('keeps a pod Pending until its start delay passes on the clock, then stamps its start from it', async () => {
    const clock = new FakeClock(T0);
    api = new LabApiServer({ clock });
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-ctrl-clock-'));
    await writeFile(join(dir, 'kubeconfig'), labKubeconfig(await api.listen(0)));
    const kube = connectKube({ kubeconfig: join(dir, 'kubeconfig') });
    controllers = await startControllers(kube, { clock, startDelayMs: 30_000, podNetwork: false });
    await kube.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    const pod = () => kube.get({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'p' });
    await eventually(async () => !!(await pod())?.spec?.nodeName, 'the pod to be bound');
    await controllers.idle();
    clock.advance(29_000);
    await controllers.idle();
    expect((await pod())?.status?.phase).not.toBe('Running');
    clock.advance(2000);
    const running = await eventually(async () => {
      const p = await pod();
      return p?.status?.phase === 'Running' ? p : undefined;
    }, 'the pod to run');
    expect(running.status.startTime).toBe('2031-03-04T05:06:38Z');
  });
});
