import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trackActionItems } from '../../src/actions/track.js';
import { completeEvidence } from '../../src/evidence/run-hook.js';
import { readVersions, veleroVersionOf } from '../../src/evidence/versions.js';
import { recordOf } from '../../src/history/record.js';
import { DirHistory } from '../../src/history/store.js';
import type { KubeApi } from '../../src/kube/kube-api.js';
import { requireScenario } from '../../src/scenario/load.js';
import { FakeClock } from '../support/fakes/fake-clock.js';
import { FakeKube } from '../support/fakes/fake-kube.js';
import { sampleResult } from '../support/evidence.js';

const veleroServer = (image: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'velero', namespace: 'velero' },
  spec: { template: { spec: { containers: [{ name: 'velero', image }] } } },
});

describe('the versions that ran', () => {
  it("reads Kubernetes' version and Velero's from its server image, in each cluster the run touched", async () => {
    const a = new FakeKube({ context: 'kdrill-lab', namespaces: ['velero'] });
    a.seed([veleroServer('velero/velero:v1.18.1')]);
    const b = new FakeKube({ context: 'kdrill-lab-2', version: { gitVersion: 'v1.20.2', major: '1', minor: '20' } });
    const v = await readVersions([a, b, a], 'velero', new FakeClock());
    expect(v.kdrill).toEqual(expect.any(String));
    expect(v.clusters).toEqual([
      { context: 'kdrill-lab', kubernetes: 'v1.30.0', velero: 'v1.18.1' },
      { context: 'kdrill-lab-2', kubernetes: 'v1.20.2', error: 'no Velero server Deployment in velero' },
    ]);
    expect(veleroVersionOf(veleroServer('registry.example.com:5000/velero/velero:v1.14.1@sha256:abc'))).toBe('v1.14.1');
    expect(veleroVersionOf(veleroServer('velero/velero'))).toBeUndefined();
  });

  it('a cluster that no longer answers is named after 10 s, not waited for', async () => {
    const clock = new FakeClock();
    const silent = { context: 'gone', serverVersion: () => new Promise(() => undefined) } as unknown as KubeApi;
    const p = readVersions([silent], 'velero', clock);
    clock.advance(10_000);
    expect((await p).clusters).toEqual([{ context: 'gone', error: 'no answer within 10s' }]);
  });
});

describe('what a run adds to its evidence before the reports', () => {
  it('tracks action items (owner given), carries over what earlier runs left open, maps the controls', async () => {
    const s = await requireScenario('scenarios/namespace-loss.yaml');
    const h = await mkdtemp(join(tmpdir(), 'kdrill-hook-'));
    const earlier = trackActionItems([{ severity: 'P2', code: 'RTO_BREACHED', action: 'restore less at once' }], {
      runId: 'old1',
      startedAt: '2026-11-01T02:00:00.000Z',
      endedAt: new Date('2026-11-01T02:01:00Z'),
      owner: 'on-call platform engineer',
      open: [],
    });
    await new DirHistory(h).append(
      recordOf(sampleResult({ runId: 'old1', startedAt: '2026-11-01T02:00:00.000Z', actionItems: earlier.items })),
    );
    const r = sampleResult({
      actionItems: [{ severity: 'P2', code: 'BACKUP_SCOPE_GAP', object: 'b', action: 'fix' }],
      versions: undefined,
    });
    const said: string[] = [];
    await completeEvidence(r, {
      scenario: s,
      kubes: [new FakeKube({ context: 'kdrill-lab' })],
      history: { history: h },
      owner: 'Dana (platform)',
      clock: new FakeClock(),
      info: (m) => said.push(m),
    });
    expect(r.actionItems).toEqual([
      expect.objectContaining({ id: 'a1b2c3d4-1', owner: 'Dana (platform)', due: '2026-12-31', raisedIn: 'a1b2c3d4' }),
    ]);
    expect(r.carriedOver).toEqual([
      expect.objectContaining({ id: 'old1-1', raisedIn: 'old1', scenario: 'namespace-loss' }),
    ]);
    expect(said).toEqual(['1 action item(s) of earlier runs still open, carried over: old1-1']);
    expect(r.versions?.clusters[0]).toMatchObject({ context: 'kdrill-lab', kubernetes: 'v1.30.0' });
    expect(r.controls?.find((c) => c.id === 'NIST-CP-4')?.status).toBe('evidenced');
    expect(recordOf(r)).toMatchObject({
      controls: expect.arrayContaining(['SOC2-A1.3', 'DORA-12.2']),
      objectiveSeconds: { rto: 14400, rpo: 86400 },
      backup: 'nightly-1',
      lockProven: true,
      actionItems: [expect.objectContaining({ id: 'a1b2c3d4-1' })],
    });
  });

  it('a history that cannot be read is said, and the run goes on', async () => {
    const s = await requireScenario('scenarios/namespace-loss.yaml');
    const file = join(await mkdtemp(join(tmpdir(), 'kdrill-hook-')), 'not-a-dir');
    await writeFile(file, 'x');
    const r = sampleResult({ actionItems: [{ severity: 'P2', code: 'X', action: 'fix' }] });
    const said: string[] = [];
    await completeEvidence(r, {
      scenario: s,
      kubes: [new FakeKube()],
      history: { history: file },
      clock: new FakeClock(),
      info: (m) => said.push(m),
    });
    expect(said[0]).toMatch(
      /^warning: open action items of earlier runs not read from the history: --history .* is a file/,
    );
    expect(r.notes[0]).toMatch(/open action items of earlier runs not read/);
    expect(r.actionItems[0]).toMatchObject({ id: 'a1b2c3d4-1', owner: 'on-call platform engineer' });
  });
});
