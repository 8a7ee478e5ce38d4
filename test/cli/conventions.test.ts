import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabApiServer } from '../../packages/lab/src/apiserver/server.js';
import { labKubeconfig } from '../../packages/lab/src/kubeconfig.js';
import { installVeleroCrds } from '../../packages/lab/src/velero/crds.js';
import { connectKube } from '../../src/kube/client-node.js';
import { eventually } from '../support/eventually.js';
import { expectCleanError, kdrill } from '../support/cli.js';

describe('CLI conventions: -o json|yaml, -n/--namespace, options parsed where they are declared', () => {
  let dir: string;
  let api: LabApiServer;
  let kubeconfig: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kdrill-conv-'));
    api = new LabApiServer();
    kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, labKubeconfig(await api.listen(0)));
  });
  afterAll(() => api.close());

  /** The same command with -o json and -o yaml: the YAML must say exactly what the JSON says. */
  async function sameContent(args: string[], code = 0): Promise<unknown> {
    const json = await kdrill([...args, '-o', 'json']);
    const yaml = await kdrill([...args, '-o', 'yaml']);
    expect(json.code, json.stderr).toBe(code);
    expect(yaml.code, yaml.stderr).toBe(code);
    expect(yaml.stdout.trimStart().startsWith('{')).toBe(false);
    const fromJson: unknown = JSON.parse(json.stdout);
    expect(parse(yaml.stdout)).toEqual(fromJson);
    return fromJson;
  }

  it('-o yaml carries the same content as -o json: plan, cluster, history, lab status', async () => {
    const plan = (await sameContent(['plan', 'scenarios/namespace-loss.yaml', '--offline'])) as { scenario: string };
    expect(plan.scenario).toBe('namespace-loss');
    const cluster = (await sameContent(['cluster', '--kubeconfig', kubeconfig])) as { context: string };
    expect(cluster.context).toBe('kdrill-lab');
    const history = (await sameContent(['history', '--history', join(dir, 'history')])) as { runs: unknown[] };
    expect(history.runs).toEqual([]);
    const status = (await sameContent(['lab', 'status', '--dir', join(dir, 'no-lab')], 4)) as { running: boolean };
    expect(status.running).toBe(false);
    expectCleanError(await kdrill(['plan', 'scenarios/namespace-loss.yaml', '-o', 'xml']), 2, /Choices: .*"yaml"/);
  });

  it("-n/--namespace never means something else: schedule's CronJob namespace is --install-namespace", async () => {
    for (const flag of ['-n', '--namespace'])
      expectCleanError(
        await kdrill(['schedule', 'scenarios/pvc-loss.yaml', '--cron', '@daily', flag, 'ops']),
        2,
        /-n\/--namespace names the target namespace in kdrill; the CronJob's own namespace is --install-namespace/,
      );
    const r = await kdrill([
      'schedule',
      'scenarios/pvc-loss.yaml',
      '--cron',
      '@daily',
      '--install-namespace',
      'ops',
      '--history',
      's3://drills/kdrill',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string; metadata: { namespace?: string } });
    expect(docs.find((d) => d.kind === 'CronJob')?.metadata.namespace).toBe('ops');
    expect(r.stderr).toContain('note: create the Secret ops/kdrill-s3');
  });

  it("velero restore create: Velero's namespace is --velero-namespace; a bad --timeout is exit 2 with a hint", async () => {
    const base = ['velero', 'restore', 'create', 'r1', '--from-schedule', 'nightly', '--kubeconfig', kubeconfig];
    expectCleanError(
      await kdrill([...base, '--namespace', 'velero']),
      2,
      /Velero's own namespace is --velero-namespace/,
    );
    const r = await kdrill([...base, '--timeout', 'soon']);
    expectCleanError(r, 2, /--timeout soon is not a duration/);
    expect(r.stderr).toContain('hint: e.g. 30m');
  });

  it('velero restore create --wait: waits by watch for the phase Velero sets; exit 0 Completed, 3 otherwise', async () => {
    const kube = connectKube({ kubeconfig });
    await installVeleroCrds(kube);
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'velero' } });
    const ref = (name: string) => ({ apiVersion: 'velero.io/v1', kind: 'Restore', namespace: 'velero', name });
    for (const [name, phase, code] of [
      ['w-ok', 'Completed', 0],
      ['w-partial', 'PartiallyFailed', 3],
    ] as const) {
      const waiting = kdrill([
        'velero',
        'restore',
        'create',
        name,
        '--from-backup',
        'b1',
        '--wait',
        '--kubeconfig',
        kubeconfig,
      ]);
      await eventually(async () => (await kube.get(ref(name))) !== undefined, `Restore ${name} created`);
      // as the Velero server would: InProgress first, then the terminal phase
      await kube.patchStatus(ref(name), { phase: 'InProgress' });
      await kube.patchStatus(ref(name), { phase, ...(code ? { errors: 2 } : {}) });
      const r = await waiting;
      expect(r.code, r.stderr).toBe(code);
      expect(r.stdout).toContain(`Restore completed with status: ${phase}.`);
    }
  });

  it('audit: durations and bounds are checked as the flags are read, each a usage error with a hint', async () => {
    const base = ['audit', '--s3-endpoint', 'http://127.0.0.1:9', '--bucket', 'velero'];
    expectCleanError(await kdrill([...base, '--rpo', 'soon']), 2, /--rpo soon is not a duration/);
    expectCleanError(await kdrill([...base, '--margin', '1 day']), 2, /--margin 1 day is not a duration/);
    expectCleanError(await kdrill([...base, '--concurrency', '999']), 2, /--concurrency must be between 1 and 256/);
    expectCleanError(await kdrill(['history', '--regression-floor', '-3']), 2, /--regression-floor -3 is not/);
    expectCleanError(await kdrill(['lab', 'up', '--hardened', 'maybe']), 2, /--hardened maybe: say deny or warn/);
  });

  it('schedule: CRON_TZ= becomes spec.timeZone (Kubernetes refuses TZ in spec.schedule); none on batch/v1beta1', async () => {
    const cron = 'CRON_TZ=Europe/Berlin 0 2 * * *';
    const r = await kdrill(['schedule', 'scenarios/pvc-loss.yaml', '--cron', cron]);
    expect(r.code, r.stderr).toBe(0);
    const cj = parseAllDocuments(r.stdout)
      .map((d) => d.toJS() as { kind: string; spec: { schedule: string; timeZone?: string } })
      .find((d) => d.kind === 'CronJob')!;
    expect(cj.spec).toMatchObject({ schedule: '0 2 * * *', timeZone: 'Europe/Berlin' });
    expectCleanError(
      await kdrill(['schedule', 'scenarios/pvc-loss.yaml', '--cron', cron, '--cronjob-api', 'batch/v1beta1']),
      2,
      /batch\/v1beta1 CronJob cannot carry/,
    );
    expectCleanError(
      await kdrill(['schedule', 'scenarios/pvc-loss.yaml', '--cron', '0 0 * * 7']),
      2,
      /day-of-week "7": end of range \(7\) above maximum \(6\)/,
    );
  });
});
