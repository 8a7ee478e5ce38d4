import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAction, readActions } from '../../src/actions/service.js';
import { trackActionItems } from '../../src/actions/track.js';
import { evidenceReport } from '../../src/evidence/report-service.js';
import { recordOf } from '../../src/history/record.js';
import { parseHistoryLocation, S3History } from '../../src/history/store.js';
import { S3_TARGETS, uniqueBucket, type S3Target } from '../contract/s3/targets.js';
import { sampleResult } from '../support/evidence.js';

for (const spec of S3_TARGETS) {
  describe.skipIf(spec.skip !== undefined)(
    `an s3:// history for action items and the period report: ${spec.name}${spec.skip ? ` (skipped: ${spec.skip})` : ''}`,
    () => {
      let t: S3Target;
      const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
      beforeAll(async () => {
        t = await spec.start();
        // an s3:// history takes its credentials from the environment, never from a flag
        process.env.AWS_ACCESS_KEY_ID = t.credentials.accessKeyId;
        process.env.AWS_SECRET_ACCESS_KEY = t.credentials.secretAccessKey;
      });
      afterAll(async () => {
        for (const [k, v] of [
          ['AWS_ACCESS_KEY_ID', saved.id],
          ['AWS_SECRET_ACCESS_KEY', saved.secret],
        ] as const)
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        await t?.stop();
      });

      it('closes an item and reports the period from the bucket', async () => {
        const bucket = uniqueBucket('evid');
        await t.store(bucket).createBucket({ objectLock: false });
        const history = `s3://${bucket}/kdrill-history`;
        const loc = parseHistoryLocation(history);
        if (loc.kind !== 's3') throw new Error('expected s3');
        const items = trackActionItems([{ severity: 'P2', code: 'RTO_BREACHED', action: 'restore less at once' }], {
          runId: 'a1b2c3d4',
          startedAt: '2026-12-01T02:00:00.000Z',
          endedAt: new Date('2026-12-01T02:00:20Z'),
          owner: 'Dana',
          open: [],
        }).items;
        await new S3History(t.store(bucket), loc).append(recordOf(sampleResult({ actionItems: items })));
        const o = { history, historyEndpoint: t.endpoint };
        expect((await readActions(o)).open.map((a) => a.id)).toEqual(['a1b2c3d4-1']);
        await closeAction(o, 'a1b2c3d4-1', { by: 'kim', note: 'phases split', now: new Date('2026-12-05T00:00:00Z') });
        const r = await evidenceReport({
          history: o,
          since: '30d',
          until: '2026-12-20T00:00:00Z',
          scenarios: ['scenarios/namespace-loss.yaml'],
          now: new Date(),
        });
        expect(r.where).toBe(`${history}/`);
        expect(r.runs.map((x) => x.runId)).toEqual(['a1b2c3d4']);
        expect(r.open).toEqual([]);
        expect(r.closed.map((c) => [c.item.id, c.closed.by, c.closed.note])).toEqual([
          ['a1b2c3d4-1', 'kim', 'phases split'],
        ]);
        expect(r.scenarios[0]).toMatchObject({ scenario: 'namespace-loss', requiredEverySeconds: 30 * 86400, pass: 1 });
        const keys: string[] = [];
        for await (const x of t.store(bucket).list('')) keys.push(x.key);
        expect(keys.filter((k) => k.includes('/_actions/'))).toEqual([
          'kdrill-history/_actions/2026-12-05T000000000Z-a1b2c3d4-1.json',
        ]);
      });
    },
  );
}
