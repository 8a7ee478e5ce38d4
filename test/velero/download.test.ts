import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { viaDownloadRequest, type UrlFetcher } from '../../src/velero/download.js';
import { V } from '../../src/velero/objects.js';
import { FakeClock } from '../support/fakes/fake-clock.js';
import { FakeKube } from '../support/fakes/fake-kube.js';

/** A cluster whose Velero answers every DownloadRequest with a URL, as the real one does. */
function world() {
  const clock = new FakeClock();
  const kube = new FakeKube({ clock });
  kube.seed([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'velero' } }]);
  kube.on('DownloadRequest', async (event, d) => {
    if (event !== 'ADDED') return;
    await kube.patchStatus(
      { ...V('DownloadRequest'), namespace: 'velero', name: d.metadata!.name! },
      { phase: 'Processed', downloadURL: `https://bucket.invalid/${d.spec.target.name}` },
    );
  });
  return { clock, kube };
}

describe('viaDownloadRequest', () => {
  it('fetches the pre-signed URL Velero fills in, and gunzips it', async () => {
    const { clock, kube } = world();
    const fetch: UrlFetcher = async (url) => gzipSync(Buffer.from(`from ${url}`));
    const body = await viaDownloadRequest(
      kube,
      { namespace: 'velero', kind: 'RestoreResults', name: 'r1' },
      { clock, fetch },
    );
    expect(body?.toString()).toBe('from https://bucket.invalid/r1');
  });

  it('gives up on a URL that never answers when the fake clock reaches the fetch deadline, not by the wall clock', async () => {
    const { clock, kube } = world();
    let fetching!: () => void;
    const started = new Promise<void>((r) => (fetching = r));
    const fetch: UrlFetcher = (_url, signal) =>
      new Promise((_resolve, reject) => {
        fetching();
        signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      });
    const got = viaDownloadRequest(
      kube,
      { namespace: 'velero', kind: 'BackupResourceList', name: 'b1' },
      { clock, fetch },
    );
    await started;
    clock.advance(29_999);
    const early = await Promise.race([
      got.then(
        () => 'settled',
        () => 'settled',
      ),
      new Promise((r) => setTimeout(() => r('pending'), 20)),
    ]);
    expect(early).toBe('pending');
    clock.advance(1);
    // promptly: a deadline on the wall clock would still be 30 s away
    const wall = new Promise((r) => setTimeout(() => r('still waiting on the wall clock'), 2_000));
    await expect(Promise.race([got, wall])).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});
