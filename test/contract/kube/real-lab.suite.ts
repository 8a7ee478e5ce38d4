import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DrillResult } from '../../../src/drill/types.js';
import { kdrill } from '../../support/cli.js';
import type { KubeTarget } from './targets.js';

const run = promisify(execFile);

/** `lab up --k8s real --s3-endpoint <RGW>`, then drills on it: the lab's parts on real servers. */
export function realLabSuite(target: () => KubeTarget): void {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kdrill-real-lab-'));
    const ini = join(dir, 'rgw.ini');
    await writeFile(ini, `[default]\naws_access_key_id=${process.env.KDRILL_TEST_S3_ACCESS_KEY ?? 'TESTACCESSKEY0000001'}\naws_secret_access_key=${process.env.KDRILL_TEST_S3_SECRET_KEY ?? 'testsecretkey0000000000000000000000000001'}\n`);
    const up = await kdrill(
      ['lab', 'up', '--dir', join(dir, 'lab'), '--k8s', 'real', '--real-kubeconfig', target().kubeconfig, '--s3-endpoint', process.env.KDRILL_TEST_S3_ENDPOINT!, '--s3-credentials-file', ini, '--bucket', `kd-real-${Date.now().toString(36)}`, '--start-delay', '50'],
      { timeoutMs: 240_000 },
    );
    expect(up.code, up.stderr + up.stdout).toBe(0);
  }, 300_000);
  afterAll(async () => {
    await kdrill(['lab', 'down', '--dir', join(dir, 'lab')]);
  });

  it('seeds Thanos and two Completed nightly backups in RGW through the real apiserver', async () => {
    const kc = join(dir, 'lab', 'kubeconfig');
    const k = (...a: string[]) => run('kubectl', ['--kubeconfig', kc, ...a]).then((r) => r.stdout);
    const phases = (await k('-n', 'velero', 'get', 'backups.velero.io', '-l', 'velero.io/schedule-name=nightly', '-o', 'jsonpath={.items[*].status.phase}')).trim().split(' ');
    expect(phases).toEqual(['Completed', 'Completed']);
    expect(await k('version', '-o', 'json')).toMatch(/"gitVersion": "v1\.20\.2"/);
  });

  it('runs pvc-loss on it: the drill passes', async () => {
    const out = join(dir, 'pvc-loss');
    const r = await kdrill(['run', 'scenarios/pvc-loss.yaml', '--kubeconfig', join(dir, 'lab', 'kubeconfig'), '--out', out], { timeoutMs: 240_000 });
    const res = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as DrillResult;
    expect(r.code, `${r.stderr}\n${JSON.stringify(res.verify)}`).toBe(0);
    expect(res.verdict).toBe('pass');
  }, 300_000);
}
