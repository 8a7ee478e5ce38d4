import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { isCron } from '../../src/schedule/manifests.js';
import { kdrill } from '../support/cli.js';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  id?: string;
  if?: string;
  with?: Record<string, unknown>;
}

const wf = parse(await readFile('.github/workflows/nightly-drill.yml', 'utf8')) as {
  on: { schedule: { cron: string }[]; workflow_dispatch: unknown };
  permissions: Record<string, string>;
  env: Record<string, string>;
  jobs: Record<
    string,
    {
      'runs-on': string;
      steps: Step[];
      env: Record<string, string>;
      strategy: { matrix: { include: { velero: string; plugin: string }[] } };
    }
  >;
};
const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
const runs = steps.map((s) => s.run ?? '').join('\n');
/** The index of the first step matching, so the order can be checked. */
const at = (pred: (s: Step) => boolean, what: string): number => {
  const i = steps.findIndex(pred);
  expect(i, what).toBeGreaterThanOrEqual(0);
  return i;
};

describe('.github/workflows/nightly-drill.yml', () => {
  it('runs nightly and on demand, on GitHub-hosted Linux, allowed to publish checks', () => {
    expect(wf.on.schedule.map((s) => isCron(s.cron))).toEqual([true]);
    expect(wf.on).toHaveProperty('workflow_dispatch');
    expect(Object.values(wf.jobs).map((j) => j['runs-on'])).toEqual([expect.stringMatching(/^ubuntu-/)]);
    expect(wf.permissions.checks).toBe('write');
    for (const s of steps) if (s.uses) expect(s.uses, 'actions are pinned to a version').toMatch(/@v?\d/);
  });

  it('creates kind, starts MinIO with Object Lock, installs Velero with its AWS plugin, deploys an app and backs it up, in that order', () => {
    const kind = at((s) => s.uses?.startsWith('helm/kind-action@') ?? false, 'a kind cluster');
    const minio = at(
      (s) =>
        /"\$MINIO_IMAGE" server \/data/.test(s.run ?? '') &&
        /mb --with-lock/.test(s.run ?? '') &&
        /retention set --default GOVERNANCE/.test(s.run ?? ''),
      'MinIO with a locked bucket and default retention',
    );
    const velero = at(
      (s) => /velero install --provider aws --plugins "\$VELERO_AWS_PLUGIN"/.test(s.run ?? ''),
      'velero install with the AWS plugin',
    );
    expect(wf.jobs.drill!.env.VELERO_AWS_PLUGIN).toBe('${{ matrix.plugin }}');
    const app = at((s) => /kubectl apply -f \.github\/drill\/shop\.yaml/.test(s.run ?? ''), 'the sample app');
    const backup = at(
      (s) => /velero backup create --from-schedule nightly --wait/.test(s.run ?? ''),
      'a backup of the nightly schedule',
    );
    const drill = at((s) => /npx kdrill run "\$SCENARIO"/.test(s.run ?? ''), 'kdrill run');
    const audit = at((s) => /npx kdrill audit/.test(s.run ?? ''), 'kdrill audit');
    expect([kind, minio, velero, app, backup, drill, audit]).toEqual(
      [...[kind, minio, velero, app, backup, drill, audit]].sort((a, b) => a - b),
    );
  });

  it('runs every supported Velero version, each with the AWS plugin its compatibility table pairs it with', () => {
    const pairs = wf.jobs.drill!.strategy.matrix.include.map((m) => [
      m.velero.replace(/\.\d+$/, ''),
      m.plugin.replace(/^velero\/velero-plugin-for-aws:(v\d+\.\d+)\.\d+$/, '$1'),
    ]);
    // velero-plugin-for-aws README, "Compatibility": v1.10.x pairs with Velero v1.14.x, v1.14.x with v1.18.x
    expect(pairs).toEqual([
      ['v1.14', 'v1.10'],
      ['v1.18', 'v1.14'],
    ]);
    expect(wf.jobs.drill!.env.VELERO_VERSION).toBe('${{ matrix.velero }}');
  });

  it('names files that exist: the app manifest and a scenario that validates, targeting the kind context it allow-lists', async () => {
    expect(existsSync('.github/drill/shop.yaml')).toBe(true);
    const kinds = parseAllDocuments(await readFile('.github/drill/shop.yaml', 'utf8')).map(
      (d) => (d.toJS() as { kind: string }).kind,
    );
    expect(kinds).toEqual(expect.arrayContaining(['Namespace', 'NetworkPolicy', 'Deployment', 'Service']));
    expect(existsSync(wf.env.SCENARIO!)).toBe(true);
    const v = await kdrill(['validate', wf.env.SCENARIO!]);
    expect(v.code, v.stderr).toBe(0);
    const scenario = parse(await readFile(wf.env.SCENARIO!, 'utf8')) as {
      spec: { target: { context: string; namespaces: string[] }; backup: { schedule: string } };
    };
    expect(scenario.spec.target.context).toBe('kind-drill'); // helm/kind-action names it kind-<cluster_name>
    expect(steps.find((s) => s.uses?.startsWith('helm/kind-action@'))!.with!.cluster_name).toBe('drill');
    expect(runs).toContain('--allow-context kind-drill');
    expect(runs).toContain(`velero schedule create ${scenario.spec.backup.schedule} `);
    expect(runs).toContain('--include-namespaces shop');
    expect(scenario.spec.target.namespaces).toEqual(['shop']);
  });

  it('restore-tests the backup in a sandbox before the destructive drill: no --allow-context, and the job fails on it', async () => {
    const v = await kdrill(['validate', wf.env.RESTORE_TEST!]);
    expect(v.code, v.stderr).toBe(0);
    const rt = parse(await readFile(wf.env.RESTORE_TEST!, 'utf8')) as {
      spec: { mode: string; target: { context: string; namespaces: string[] }; backup: { schedule: string } };
    };
    const drill = parse(await readFile(wf.env.SCENARIO!, 'utf8')) as { spec: { mode?: string; disaster: unknown[] } };
    expect(rt.spec).toMatchObject({
      mode: 'restore-test',
      target: { context: 'kind-drill', namespaces: ['shop'] },
      backup: { schedule: 'nightly' },
    });
    // the destructive drill stays, for the throw-away kind cluster only
    expect(drill.spec.mode ?? 'drill').toBe('drill');
    expect(drill.spec.disaster.length).toBeGreaterThan(0);
    const backup = at((s) => /velero backup create --from-schedule nightly/.test(s.run ?? ''), 'the backup');
    const restoreTest = at((s) => /npx kdrill run "\$RESTORE_TEST"/.test(s.run ?? ''), 'the restore test');
    const destructive = at((s) => /npx kdrill run "\$SCENARIO"/.test(s.run ?? ''), 'the drill');
    expect([backup, restoreTest, destructive]).toEqual([backup, restoreTest, destructive].sort((a, b) => a - b));
    const step = steps[restoreTest]!;
    // what production gets: nothing there may be destroyed, so nothing is allow-listed
    expect(step.run).not.toContain('--allow-context');
    expect(step.run).toContain('--out reports/restore-test');
    expect(step.run).toMatch(/echo "exit=\$\?" >> "\$GITHUB_OUTPUT"/);
    expect(steps.at(-1)!.run).toContain(`test "\${{ steps.${step.id}.outputs.exit }}" = 0`);
  });

  it('publishes the JUnit results and uploads the reports even when the drill fails, then fails the job honestly', () => {
    const junit = steps.find((s) => s.uses?.startsWith('mikepenz/action-junit-report@'))!;
    expect(junit.if).toBe('always()');
    expect(junit.with!.report_paths).toBe('reports/**/junit.xml');
    expect(runs).toContain('--out reports/drill'); // where kdrill writes drill/junit.xml
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect(upload.if).toBe('always()');
    expect(upload.with!.path).toBe('reports/');
    const last = steps[steps.length - 1]!;
    expect(last.run).toMatch(
      /steps\.drill\.outputs\.exit \}\}" = 0 && test "\$\{\{ steps\.audit\.outputs\.exit \}\}" = 0/,
    );
    expect(steps.find((s) => s.id === 'drill')!.run).toMatch(/echo "exit=\$\?" >> "\$GITHUB_OUTPUT"/);
  });
});
