import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const PROMTOOL = process.env.KDRILL_PROMTOOL ?? '/usr/bin/promtool';
const skip = existsSync(PROMTOOL) ? undefined : `skipped: ${PROMTOOL} is not installed (apt-get install prometheus)`;

describe.skipIf(skip !== undefined)(
  `the lab's alert rules, checked by Prometheus's own promtool${skip ? ` (${skip})` : ''}`,
  () => {
    it('the rules file is valid', async () => {
      const { stdout } = await run(PROMTOOL, ['check', 'rules', 'assets/monitoring/kdrill-lab.rules.yaml']);
      expect(stdout).toMatch(/SUCCESS: 8 rules found/);
    });

    it('they fire for what a drill does, after their for:, and not when kube-state-metrics itself is down', async () => {
      const r = await run(PROMTOOL, ['test', 'rules', 'kdrill-lab.rules.test.yaml'], {
        cwd: 'assets/monitoring',
      }).catch((e: { stdout: string; stderr: string }) => e);
      expect(`${r.stdout}${r.stderr}`).toMatch(/SUCCESS/);
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/FAILED/);
    });
  },
);
